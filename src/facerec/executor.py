"""One typed way to run blocking work (decoding, inference) off the event loop, on our own threads."""

import asyncio
import contextvars
import functools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import ParamSpec, Protocol, Self, TypeVar

from facerec.errors import Overloaded

P = ParamSpec("P")
T = TypeVar("T")


class QueueObserver(Protocol):
    """Told how many jobs wait for a worker, and how long each waited (facerec.metrics.Metrics)."""

    def queue_depth(self, waiting: int) -> None: ...

    def queue_wait(self, seconds: float) -> None: ...


class BlockingRunner:
    """A dedicated thread pool; `await runner.run(func, *args)` never blocks the event loop. Jobs run in a
    copy of the caller's context, as with `asyncio.to_thread`, so their log records carry the request id.

    At most `workers + max_waiting` jobs are accepted at once; past that `run` refuses at once with
    `Overloaded`, so a burst is answered quickly instead of queueing without bound.
    """

    def __init__(
        self,
        workers: int,
        *,
        max_waiting: int,
        name: str = "facerec-inference",
        observer: QueueObserver | None = None,
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._workers = workers
        self._capacity = workers + max_waiting
        self._accepted = 0
        self._observer = observer

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._accepted >= self._capacity:
            raise Overloaded(f"{self._accepted} images are being processed; try again shortly")
        self._accepted += 1
        self._report_depth()
        try:
            loop = asyncio.get_running_loop()
            job = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
            return await loop.run_in_executor(self._pool, self._timed(job))
        finally:
            self._accepted -= 1
            self._report_depth()

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

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
