import asyncio
import threading

import pytest

from facerec.errors import Overloaded
from facerec.executor import BlockingRunner
from facerec.logs import current_request_id


async def test_jobs_see_the_callers_request_id() -> None:
    token = current_request_id.set("req-7")
    try:
        with BlockingRunner(1, max_waiting=0) as runner:
            assert await runner.run(current_request_id.get) == "req-7"
    finally:
        current_request_id.reset(token)


async def test_jobs_run_together_are_accepted_all_at_once_or_not_at_all() -> None:
    """Two places in all, one taken: a pair of jobs is refused whole, and none of it runs."""
    release = threading.Event()
    ran: list[str] = []
    with BlockingRunner(1, max_waiting=1) as runner:
        holder = asyncio.ensure_future(runner.run(release.wait, 10))
        await asyncio.sleep(0.05)
        with pytest.raises(Overloaded):
            await runner.run_together([lambda: ran.append("a"), lambda: ran.append("b")])
        release.set()
        await holder
        assert await runner.run_together([lambda: "a", lambda: "b"]) == ["a", "b"]
    assert ran == []
