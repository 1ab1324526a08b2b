"""How the runs of one engine's models share the cores: a run that starts alone takes every thread, one
that starts beside another takes one.

On a 2-core machine a lone request was fastest with two threads whose pool spins between a model's ~100
operators (waking a sleeping thread for each one cost most of what the second thread gave), while
concurrent requests were fastest with one thread each and nothing spinning (docs/BENCHMARKS.md,
"Two sessions a model"). Each model therefore has both sessions, and every run picks by what else is under
way at that moment.
"""

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

Outputs = list[npt.NDArray[np.float32]]


class ModelSession(Protocol):
    """What insightface's model classes use of an ONNX Runtime session (a seam for unit tests)."""

    def get_inputs(self) -> list[ort.NodeArg]: ...

    def get_outputs(self) -> list[ort.NodeArg]: ...

    def get_providers(self) -> list[str]: ...

    def run(
        self,
        output_names: Sequence[str] | None,
        input_feed: dict[str, npt.NDArray[np.float32]],
        run_options: ort.RunOptions | None = None,
    ) -> Outputs: ...


class CoreShare:
    """How many runs of one engine are under way: both models of an engine share it, so a detector pass
    of one request and a recognizer pass of another count as overlapping."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0

    @contextmanager
    def turn(self) -> Iterator[bool]:
        """A run's turn; True when it starts with no other run under way."""
        with self._lock:
            alone = self._running == 0
            self._running += 1
        try:
            yield alone
        finally:
            with self._lock:
                self._running -= 1


class SharedSession:
    """One model on two sessions of the same file: `alone` (every thread) for a run that starts alone,
    `beside` (one thread) for a run that starts while another is under way. Both give bitwise the same
    outputs (tests/models/test_cores.py); insightface's model classes use it as their session."""

    def __init__(self, alone: ModelSession, beside: ModelSession, cores: CoreShare) -> None:
        self._alone = alone
        self._beside = beside
        self._cores = cores

    def get_inputs(self) -> list[ort.NodeArg]:
        return self._alone.get_inputs()

    def get_outputs(self) -> list[ort.NodeArg]:
        return self._alone.get_outputs()

    def get_providers(self) -> list[str]:
        return self._alone.get_providers()

    def run(
        self,
        output_names: Sequence[str] | None,
        input_feed: dict[str, npt.NDArray[np.float32]],
        run_options: ort.RunOptions | None = None,
    ) -> Outputs:
        with self._cores.turn() as alone:
            session = self._alone if alone else self._beside
            return session.run(output_names, input_feed, run_options)
