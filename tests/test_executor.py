import asyncio
import os
import sys
import threading

import pytest

from facerec.errors import Overloaded
from facerec.executor import MAX_NICENESS, BlockingRunner
from facerec.logs import current_request_id


async def test_jobs_see_the_callers_request_id() -> None:
    token = current_request_id.set("req-7")
    try:
        with BlockingRunner(1, max_waiting=0) as runner:
            assert await runner.run(current_request_id.get) == "req-7"
    finally:
        current_request_id.reset(token)


async def test_a_request_waits_for_at_most_one_frame_per_worker() -> None:
    """One worker, busy; five stream frames queue up, then a request: the request runs second, not
    sixth, and the frames all run afterwards."""
    order: list[str] = []
    gate = threading.Event()
    with BlockingRunner(1, max_waiting=0) as runner:
        blocker = asyncio.ensure_future(runner.run_frame(gate.wait))
        await asyncio.sleep(0)
        frames = [asyncio.ensure_future(runner.run_frame(order.append, f"frame {n}")) for n in range(5)]
        await asyncio.sleep(0)
        request = asyncio.ensure_future(runner.run(order.append, "request"))
        await asyncio.sleep(0)
        gate.set()
        await asyncio.gather(blocker, request, *frames)
    assert order.index("request") <= 1
    assert sorted(order) == sorted(["request", *(f"frame {n}" for n in range(5))])


async def test_frames_do_not_count_against_the_request_queue() -> None:
    gate = threading.Event()
    with BlockingRunner(1, max_waiting=1) as runner:
        frames = [asyncio.ensure_future(runner.run_frame(gate.wait)) for _ in range(4)]
        await asyncio.sleep(0)
        request = asyncio.ensure_future(runner.run(len, "accepted"))
        await asyncio.sleep(0)
        gate.set()
        assert await request == len("accepted")
        await asyncio.gather(*frames)


async def test_a_cancelled_waiter_gives_its_turn_away() -> None:
    gate = threading.Event()
    with BlockingRunner(1, max_waiting=2) as runner:
        blocker = asyncio.ensure_future(runner.run(gate.wait))
        await asyncio.sleep(0)
        cancelled = asyncio.ensure_future(runner.run_frame(len, "gone"))
        waiting = asyncio.ensure_future(runner.run(len, "next"))
        await asyncio.sleep(0)
        cancelled.cancel()
        gate.set()
        await blocker
        assert await waiting == len("next")
        assert cancelled.cancelled()


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


def _own_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(sys.platform != "linux", reason="thread priorities are set on Linux only")
async def test_workers_run_below_the_event_loops_priority() -> None:
    """The event loop keeps its priority; every worker runs `niceness` steps lower, from whatever the
    process started at."""
    loop_niceness = _own_niceness()
    with BlockingRunner(2, max_waiting=0, niceness=4) as runner:
        seen = await runner.run_together([_own_niceness, _own_niceness])
    assert seen == [min(MAX_NICENESS, loop_niceness + 4)] * 2
    assert _own_niceness() == loop_niceness


async def test_niceness_zero_leaves_workers_at_the_loops_priority() -> None:
    with BlockingRunner(1, max_waiting=0) as runner:
        assert await runner.run(_own_niceness) == _own_niceness()
