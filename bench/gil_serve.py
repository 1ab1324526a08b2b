"""`facerec serve` with gil_load watching the GIL; run by `bench.gil` as `python -m gil_load -m
bench.gil_serve serve --port N` (gil_load needs its library preloaded, which its `-m` entry does).

SIGUSR1 marks the start of a window; SIGUSR2 appends the GIL's share of the time since the mark, held and
waited for, as one JSON line to GIL_OUT. gil_load keeps running throughout: its counts are shares of the
time since it started, so a window's share comes from the counts at both ends (stopping and restarting it
from a signal handler can deadlock)."""

import json
import os
import signal
import sys
import time
from types import FrameType

import gil_load

from facerec.cli import main

started = time.monotonic()
mark = (0.0, 0.0, 0.0)  # seconds since start, GIL held and waited for (seconds) at the window's start


def totals() -> tuple[float, float, float]:
    elapsed = time.monotonic() - started
    counts, _threads = gil_load.get()
    return elapsed, counts["held"] * elapsed, counts["wait"] * elapsed


def begin(_signal: int, _frame: FrameType | None) -> None:
    global mark
    mark = totals()


def report(_signal: int, _frame: FrameType | None) -> None:
    elapsed, held, wait = (now - then for now, then in zip(totals(), mark, strict=True))
    with open(os.environ["GIL_OUT"], "a") as out:
        out.write(json.dumps({"held": held / elapsed, "wait": wait / elapsed}) + "\n")


if __name__ == "__main__":
    gil_load.init()
    gil_load.start()
    started = time.monotonic()
    signal.signal(signal.SIGUSR1, begin)
    signal.signal(signal.SIGUSR2, report)
    sys.exit(main(sys.argv[1:]))
