"""One typed way to run blocking work (decoding, inference) off the event loop, on our own threads."""

import asyncio
import contextvars
import functools
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from types import TracebackType
from typing import ParamSpec, Protocol, Self, TypeVar

from facerec.errors import Overloaded

P = ParamSpec("P")
T = TypeVar("T")


class QueueObserver(Protocol):
    """Told how many jobs wait for a worker, and how long each waited (facerec.metrics.Metrics)."""

    def queue_depth(self, waiting: int) -> None: ...

    def queue_wait(self, seconds: float) -> None: ...


class Lane(StrEnum):
    REQUEST = "request"  # HTTP requests: encode, register, search, verify
    STREAM = "stream"  # frames of live video streams


class BlockingRunner:
    """A dedicated thread pool; `await runner.run(func, *args)` never blocks the event loop. Jobs run in a
    copy of the caller's context, as with `asyncio.to_thread`, so their log records carry the request id.

    At most `workers + max_waiting` requests are accepted at once; past that `run` refuses at once with
    `Overloaded`, so a burst is answered quickly instead of queueing without bound.

    Requests and stream frames (`run_frame`) wait in two lanes. A worker that frees up goes to the lanes in
    turn, so however many frames the streams send, a request waits for at most one frame per worker: a
    stream cannot starve encode or search. Frames do not count against `max_waiting`: each stream has at
    most one frame in flight, and the number of streams has its own limit.

    With `niceness` > 0 the worker threads run that many steps lower in CPU priority (Linux only), so that
    when every core is busy with inference the event loop still gets a core at once: health checks, new
    connections and stream replies are answered without waiting for a time slice behind a detector pass.
    """

    def __init__(
        self,
        workers: int,
        *,
        max_waiting: int,
        niceness: int = 0,
        name: str = "facerec-inference",
        observer: QueueObserver | None = None,
    ) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix=name, initializer=_lower_priority, initargs=(niceness,)
        )
        self._workers = workers
        self._capacity = workers + max_waiting
        self._accepted = 0
        self._observer = observer
        self._busy = 0
        self._waiting: dict[Lane, deque[asyncio.Future[None]]] = {lane: deque() for lane in Lane}
        self._next_lane = Lane.REQUEST

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        (result,) = await self.run_together([functools.partial(func, *args, **kwargs)])
        return result

    async def run_together(self, jobs: Sequence[Callable[[], T]]) -> list[T]:
        """Run every job, in parallel where workers are free: all are accepted at once, or none is
        (`Overloaded`), so that a batch never stops half-way for want of room."""
        if self._accepted + len(jobs) > self._capacity:
            raise Overloaded(f"{self._accepted} jobs are being processed; try again shortly")
        self._accepted += len(jobs)
        self._report_depth()
        try:
            return list(await asyncio.gather(*(self._run_in(Lane.REQUEST, self._timed(job)) for job in jobs)))
        finally:
            self._accepted -= len(jobs)
            self._report_depth()

    @property
    def workers(self) -> int:
        return self._workers

    def _timed(self, job: Callable[[], T]) -> Callable[[], T]:
        observer = self._observer
        if observer is None:
            return job
        submitted = time.perf_counter()

        def started() -> T:
            observer.queue_wait(time.perf_counter() - submitted)
            return job()

        return started

    def _report_depth(self) -> None:
        if self._observer is not None:
            self._observer.queue_depth(max(0, self._accepted - self._workers))

    async def run_frame(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._run_in(Lane.STREAM, functools.partial(func, *args, **kwargs))

    async def _run_in(self, lane: Lane, func: Callable[[], T]) -> T:
        await self._take_worker(lane)
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, contextvars.copy_context().run, func)
        finally:
            self._release_worker()

    async def _take_worker(self, lane: Lane) -> None:
        if self._busy < self._workers and not any(self._waiting.values()):
            self._busy += 1
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiting[lane].append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release_worker()  # handed a worker just as it was cancelled: pass it on
            else:
                self._waiting[lane].remove(turn)
            raise

    def _release_worker(self) -> None:
        """Hand the worker to the next lane in turn that has a job waiting, or free it."""
        lanes = [self._next_lane, *(lane for lane in Lane if lane != self._next_lane)]
        for lane in lanes:
            if self._waiting[lane]:
                self._waiting[lane].popleft().set_result(None)
                self._next_lane = next(other for other in Lane if other != lane)
                return
        self._busy -= 1

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _lower_priority(niceness: int) -> None:
    """Lower the calling thread's CPU priority by `niceness` steps (never raising it, which would need
    privileges). On Linux a thread id names one thread for setpriority; elsewhere it would name the whole
    process, so there the priority is left alone."""
    if niceness > 0 and sys.platform == "linux":
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(MAX_NICENESS, current + niceness))


MAX_NICENESS = 19  # the lowest CPU priority Linux has
