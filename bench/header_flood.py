"""Header-flood benchmark: what slow and endless request heads cost the server, against uvicorn's defaults.

    python -m bench.header_flood [--rounds 2] [--seconds 20] [--connections 50]

Each round runs the same app twice, alternating: under uvicorn's defaults (`uvicorn --factory`, the
httptools parser, no header limit, no head deadline) and under `facerec serve` (h11 with a header cap,
a head deadline, a connection cap). Against each, `--connections` attackers hold connections open for
`--seconds`: half send an endless head (8 KiB of header lines every 1/32 s: 256 KiB/s each), half a slow
one (one short header line a second). An attacker whose connection is closed opens another at once, so
the flood keeps its size. Meanwhile /healthz is called on a fresh connection every 50 ms.
Reported: the server's RSS growth at its peak (over its RSS before the flood), /healthz latency quiet
and during the flood, and how many attacking connections the server closed. Everything stays on
127.0.0.1; a round stops early if the server grows by more than 2 GiB.
"""

import argparse
import asyncio
import contextlib
import datetime
import http.client
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from bench.harness import FACEREC_SERVE, Service, machine, running_service
from facerec.db.embedded import embedded_postgres_server

SERVERS: dict[str, tuple[str, ...]] = {
    "uvicorn defaults": ("-m", "uvicorn", "--factory", "facerec.api.app:create_app"),
    "facerec serve": FACEREC_SERVE,
}
ENDLESS_CHUNK = b"".join(b"X-Flood-%d: %s\r\n" % (n, b"a" * 1000) for n in range(8))
ENDLESS_EVERY_S = 1 / 32
SLOW_LINE_EVERY_S = 1.0
PROBE_EVERY_S = 0.05
GROWTH_CAP = 2 * 2**30


@dataclass
class Flood:
    closed_by_server: int = 0
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass
class Round:
    server: str
    rss_before_mb: float
    peak_growth_mb: float
    quiet_ms: list[float]
    flood_ms: list[float]
    failed_probes: int
    closed_by_server: int


async def attacker(host: str, port: int, endless: bool, flood: Flood) -> None:
    while not flood.stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
            line = 0
            pause = ENDLESS_EVERY_S if endless else SLOW_LINE_EVERY_S
            while not flood.stop.is_set() and not reader.at_eof():
                writer.write(ENDLESS_CHUNK if endless else b"X-Slow-%d: a\r\n" % line)
                line += 1
                await writer.drain()
                with contextlib.suppress(TimeoutError):  # wake up early when the server closes
                    await asyncio.wait_for(reader.read(4096), pause)
            if not flood.stop.is_set():
                flood.closed_by_server += 1
        except OSError:
            flood.closed_by_server += 1
        finally:
            writer.close()


def run_flood(host: str, port: int, connections: int, flood: Flood) -> None:
    async def all_attackers() -> None:
        await asyncio.gather(*(attacker(host, port, n % 2 == 0, flood) for n in range(connections)))

    asyncio.run(all_attackers())


def probe(host: str, port: int) -> float | None:
    """Seconds for one /healthz on a fresh connection, or None when it failed."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("GET", "/healthz", headers={"Host": "localhost"})
        ok = connection.getresponse().status == 200
    except OSError:
        ok = False
    finally:
        connection.close()
    return time.perf_counter() - started if ok else None


def probe_for(
    host: str, port: int, seconds: float, process: psutil.Process, rss_before: int
) -> tuple[list[float], int, int]:
    """Probe every PROBE_EVERY_S for `seconds`; return the latencies, the failures and the peak RSS."""
    latencies, failures, peak = [], 0, rss_before
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        latency = probe(host, port)
        if latency is None:
            failures += 1
        else:
            latencies.append(latency * 1000)
        peak = max(peak, process.memory_info().rss)
        if peak - rss_before > GROWTH_CAP:
            break
        time.sleep(PROBE_EVERY_S)
    return latencies, failures, peak


def one_round(name: str, service: Service, seconds: float, connections: int) -> Round:
    url = urlsplit(service.base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    quiet, _, _ = probe_for(host, port, 5, service.process, 0)
    rss_before = service.process.memory_info().rss
    flood = Flood()
    attackers = threading.Thread(target=run_flood, args=(host, port, connections, flood))
    attackers.start()
    try:
        during, failures, peak = probe_for(host, port, seconds, service.process, rss_before)
    finally:
        flood.stop.set()
        attackers.join()
    return Round(
        server=name,
        rss_before_mb=rss_before / 2**20,
        peak_growth_mb=(peak - rss_before) / 2**20,
        quiet_ms=quiet,
        flood_ms=during,
        failed_probes=failures,
        closed_by_server=flood.closed_by_server,
    )


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def report(rounds: list[Round], seconds: float, connections: int) -> None:
    print(f"# header flood: {connections} connections for {seconds:g} s, {datetime.date.today()}")
    print(f"# {machine()}")
    print(
        "| server | RSS before (MB) | peak growth (MB) | /healthz p50 / p99 quiet (ms) "
        "| p50 / p99 flood (ms) | failed probes | flood connections closed |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rounds:
        print(
            f"| {r.server} | {r.rss_before_mb:.0f} | {r.peak_growth_mb:.1f} "
            f"| {statistics.median(r.quiet_ms):.1f} / {percentile(r.quiet_ms, 0.99):.1f} "
            f"| {statistics.median(r.flood_ms):.1f} / {percentile(r.flood_ms, 0.99):.1f} "
            f"| {r.failed_probes} | {r.closed_by_server} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory() as folder, embedded_postgres_server(Path(folder) / "db") as url:
        for number in range(args.rounds):
            for name, command in SERVERS.items():
                data_dir = Path(folder) / f"{name.replace(' ', '-')}-{number}"
                data_dir.mkdir()
                with running_service(data_dir, command=command, DATABASE_URL=url) as service:
                    rounds.append(one_round(name, service, args.seconds, args.connections))
                print(f"round {number + 1}, {name}: done", flush=True)
    report(rounds, args.seconds, args.connections)


if __name__ == "__main__":
    main()
