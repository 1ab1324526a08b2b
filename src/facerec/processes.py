"""`facerec serve --workers N`: N serving processes on one port, supervised by the parent.

A process's own Python work on a request (HTTP, the multipart form, the detector's pre- and
post-processing) holds the GIL for 5-8 ms of each encode, which caps one process at about 120-205 encodes
a second however many cores it has (docs/BENCHMARKS.md, "What caps one process"): past about 8 cores,
several processes serve more. Each serving process is a replica (docs/SCALING.md): its own models,
inference threads, database pool, rate limits and stream slots, and its own socket on the port
(SO_REUSEPORT: the kernel spreads new connections over the sockets by a hash of their addresses; with one
socket shared by all, whichever process woke first took a whole burst of new connections). The parent
holds the port (one in use is reported at once), runs the embedded Postgres when DATABASE_URL is unset
(every process connects to it), and supervises: it reports the first error and stops everything if a
process cannot start, starts a new process when one dies after starting, and stops them all gracefully on
SIGTERM or SIGINT.
"""

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
from contextlib import AsyncExitStack
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from prometheus_client.multiprocess import mark_process_dead
from pydantic import SecretStr

from facerec.db.embedded import running_database
from facerec.errors import FacerecError, StartupFailed
from facerec.logs import configure_logging
from facerec.metrics import MULTIPROCESS_DIR
from facerec.serve import check_binding, listening_socket, reserved_port, run_server
from facerec.settings import Settings

logger = logging.getLogger(__name__)

# A fresh interpreter for each process: nothing half-made (threads, pools, ONNX Runtime) is forked.
SPAWN = multiprocessing.get_context("spawn")
CHECK_EVERY_S = 0.5
STOP_TIMEOUT_S = 30.0  # a process's graceful shutdown (uvicorn finishes the requests under way), then SIGKILL
READY = "ready"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def serve_processes(settings: Settings, *, host: str, port: int, processes: int) -> None:
    """Serve with `processes` processes until SIGTERM or SIGINT, each with its share of the cores
    (`per_process`) and logging at this process's level."""
    check_binding(settings, host)
    with reserved_port(host, port) as reserved:
        address = Address(host, reserved.getsockname()[1])
        supervisor = Supervisor(per_process(settings, processes), address, processes, logging.root.level)
        asyncio.run(supervisor.run())


def per_process(settings: Settings, processes: int) -> Settings:
    """The settings of each serving process: the cores shared among them. A process's share of the cores
    gives its inference workers and the ONNX Runtime threads of a run that starts alone (at most 2, as
    for one process), unless INFERENCE_WORKERS or INTRA_OP_THREADS say otherwise. A process cannot see
    the others' runs, so without this each would count every core as its own."""
    share = max(1, (os.cpu_count() or 1) // processes)
    defaults = {"inference_workers": share, "intra_op_threads": min(2, share)}
    return settings.model_copy(
        update={name: value for name, value in defaults.items() if name not in settings.model_fields_set}
    )


@dataclass(frozen=True)
class Address:
    host: str
    port: int


@dataclass
class Worker:
    """One serving process, and the parent's end of the pipe on which it says it is ready, or why it is
    not."""

    index: int
    process: BaseProcess
    reports: Connection
    ready: bool = False

    def read_reports(self) -> None:
        """Note a process that has started; raise the error with which one could not."""
        while self.reports.poll():
            try:
                report = self.reports.recv()
            except EOFError:  # the process has exited; `alive` says so
                return
            if isinstance(report, FacerecError):
                raise report
            self.ready = report == READY

    def alive(self) -> bool:
        return self.process.is_alive()


class Supervisor:
    def __init__(self, settings: Settings, address: Address, count: int, log_level: int) -> None:
        self.settings = settings
        self.address = address
        self.count = count
        self.log_level = log_level

    async def run(self) -> None:
        """Serve until SIGTERM or SIGINT; then, once every process and the database have stopped, end
        this process by that signal, as a single serving process (uvicorn) does."""
        stopping = asyncio.Event()
        received: list[signal.Signals] = []
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, _note, signal_number, received, stopping)
        async with AsyncExitStack() as stack:
            url, _ = await running_database(self.settings.database_url, self.settings.data_dir, stack)
            settings = self.settings.model_copy(update={"database_url": SecretStr(url)})
            metrics_dir = tempfile.mkdtemp(prefix="facerec-metrics-")
            stack.callback(shutil.rmtree, metrics_dir, ignore_errors=True)
            os.environ[MULTIPROCESS_DIR] = metrics_dir  # read by each process's prometheus_client
            workers: list[Worker] = []
            stack.push_async_callback(_stop_all, workers)
            workers.extend(self._start(settings, index) for index in range(self.count))
            await self._supervise(settings, workers, stopping, metrics_dir)
        for signal_number in received[:1]:
            loop.remove_signal_handler(signal_number)
            signal.raise_signal(signal_number)

    async def _supervise(
        self, settings: Settings, workers: list[Worker], stopping: asyncio.Event, metrics_dir: str
    ) -> None:
        announced = False
        while not stopping.is_set():
            for position, worker in enumerate(workers):
                alive = worker.alive()  # before reading: an exited process has sent all it will
                worker.read_reports()
                if alive:
                    continue
                if not worker.ready:
                    raise StartupFailed(
                        f"serving process {worker.index} exited with status {worker.process.exitcode} "
                        "before it was ready; see the log lines above"
                    )
                logger.warning(
                    "serving process %d (pid %s) exited with status %s; starting another",
                    worker.index,
                    worker.process.pid,
                    worker.process.exitcode,
                )
                if worker.process.pid is not None:
                    mark_process_dead(worker.process.pid, metrics_dir)  # type: ignore[no-untyped-call]
                workers[position] = self._start(settings, worker.index)
            if not announced and all(worker.ready for worker in workers):
                announced = True
                logger.info("facerec serving with %d processes", len(workers))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), CHECK_EVERY_S)

    def _start(self, settings: Settings, index: int) -> Worker:
        reports, child_end = SPAWN.Pipe(duplex=False)
        process = SPAWN.Process(
            target=serve_one,
            args=(settings, self.address, child_end, self.log_level, os.getpid()),
            name=f"facerec-serve-{index}",
        )
        process.start()
        child_end.close()
        logger.info("started serving process %d (pid %s)", index, process.pid)
        return Worker(index, process, reports)


def _note(signal_number: signal.Signals, received: list[signal.Signals], stopping: asyncio.Event) -> None:
    received.append(signal_number)
    stopping.set()


async def _stop_all(workers: list[Worker]) -> None:
    """SIGTERM to every process, then SIGKILL to any still running after STOP_TIMEOUT_S."""
    for worker in workers:
        if worker.alive() and worker.process.pid is not None:
            os.kill(worker.process.pid, signal.SIGTERM)
    for worker in workers:
        await asyncio.to_thread(worker.process.join, STOP_TIMEOUT_S)
        if worker.alive():
            logger.warning(
                "serving process %d did not stop in %g s; killing it", worker.index, STOP_TIMEOUT_S
            )
            worker.process.kill()
            await asyncio.to_thread(worker.process.join)
        worker.reports.close()


def serve_one(settings: Settings, address: Address, reports: Connection, log_level: int, parent: int) -> None:
    """A serving process, on a socket of its own on the reserved port: says `READY` once its app has
    started, or sends the error that stopped it."""
    _end_with(parent)
    configure_logging(log_level, settings.log_format)
    try:
        listener = listening_socket(address.host, address.port, shared=True)
        run_server(settings, listener, on_ready=lambda: reports.send(READY))
    except FacerecError as error:
        reports.send(error)
        raise SystemExit(1) from None


def _end_with(parent: int) -> None:
    """Have Linux send this process SIGTERM when the parent ends, even killed by SIGKILL, so that no serving
    process outlives its supervisor and keeps serving on the port unsupervised; if the parent has already
    ended, end now."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        raise SystemExit(1)
