"""How long one serving process holds the GIL for an encode, and the ceiling that puts on one process.

    pip install gil_load      # a C extension built from its sdist; not a dependency of facerec
    python -m bench.gil [--seconds 15] [--clients 4] [--rounds 2]

`facerec serve` runs under gil_load, which checks from a thread of its own, at random moments, whether a
thread holds the GIL (it read 0.91 for a thread spinning in Python alone: it undercounts a little). Each
photo set of `bench.encode` (small and large) is sent by --clients concurrent clients for --seconds after a
warm-up, --rounds times in turn; for each window the report gives requests/s, the share of the time the
GIL was held and waited for, the GIL's milliseconds per request, and 1000 / that: the most requests a
second one process could serve however many cores it had. Prints a markdown report.
"""

import asyncio
import json
import os
import signal
import tempfile
import time
from pathlib import Path

from bench.encode import library_analysis, photo_sets, service_throughput
from bench.harness import machine, running_service, window_options

WARM_UP_S = 3.0
SETTLE_S = 0.5


def main() -> None:
    args = window_options(__doc__)
    sets = photo_sets(library_analysis())
    print(f"# GIL benchmark\n\n{time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}\n")
    print(f"{args.clients} clients, windows of {args.seconds:.0f} s, default settings.\n")
    print(
        "| photos | requests/s | GIL held | GIL waited for | GIL ms per request | ceiling of one process /s |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="facerec-gil-") as name:
        out = Path(name) / "gil.jsonl"
        command = ("-m", "gil_load", "-m", "bench.gil_serve", "serve")
        with running_service(Path(name), command=command, GIL_OUT=str(out)) as service:
            for _ in range(args.rounds):
                for photo_set in sets:
                    urls = [service.base_url]
                    asyncio.run(service_throughput(urls, photo_set.photos, args.clients, WARM_UP_S))
                    service.process.send_signal(signal.SIGUSR1)
                    rate = asyncio.run(service_throughput(urls, photo_set.photos, args.clients, args.seconds))
                    service.process.send_signal(signal.SIGUSR2)
                    time.sleep(SETTLE_S)
                    held = json.loads(out.read_text().splitlines()[-1])
                    per_request = held["held"] / rate * 1000
                    print(
                        f"| {photo_set.name} | {rate:.1f} | {held['held']:.3f} | {held['wait']:.3f} "
                        f"| {per_request:.2f} | {1000 / per_request:.0f} |"
                    )
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}.")


if __name__ == "__main__":
    main()
