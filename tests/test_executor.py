import asyncio
import threading

from facerec.executor import BlockingRunner
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
