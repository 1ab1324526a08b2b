"""Faces registered per second into an empty table: one by one (`POST /api/face/register`), by batch
(`POST /api/faces/batch`) and by `facerec import` (batches, two in flight), on the same photos of
faces-celeba, the three ways alternating round after round on the service in-process (embedded Postgres).
Then the faces `facerec import` stored are re-embedded as `facerec reembed` does (`Reembedder`): marked as
embedded by another pack first, so that buffalo_s re-embeds every one from its stored photo.

    python -m bench.bulk [--photos 96] [--rounds 2] [--data ../shared/data/faces-celeba]
"""

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from bench.harness import machine
from facerec.api.local import running_client
from facerec.bulk.database import connection_of
from facerec.bulk.importer import Importer
from facerec.bulk.reembed import Reembedder
from facerec.bulk.sources import ImportRow
from facerec.db.embedded import embedded_postgres_server
from facerec.executor import BlockingRunner
from facerec.imaging.intake import ImageLimits
from facerec.models.loader import load_engine
from facerec.settings import Settings

BATCH = 32
FORM = {"qualityCheck": "false", "mostProminent": "true"}


async def one_by_one(client: httpx.AsyncClient, rows: list[ImportRow]) -> None:
    for row in rows:
        files = {"image": (row.path.name, row.path.read_bytes())}
        response = await client.post(
            "/api/face/register", files=files, data={**FORM, "displayName": row.display_name}
        )
        assert response.status_code in (201, 422), response.text


async def by_batch(client: httpx.AsyncClient, rows: list[ImportRow]) -> None:
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        manifest = [{"displayName": row.display_name} for row in chunk]
        files = [("images", (row.path.name, row.path.read_bytes())) for row in chunk]
        response = await client.post(
            "/api/faces/batch", files=files, data={**FORM, "manifest": json.dumps(manifest)}
        )
        assert response.status_code == 200, response.text


async def by_import(client: httpx.AsyncClient, rows: list[ImportRow]) -> None:
    importer = Importer(client, "default", batch_size=BATCH, in_flight=2, quality_check=False)
    await importer.run(rows, lambda _: None)


WAYS: dict[str, Callable[[httpx.AsyncClient, list[ImportRow]], Awaitable[None]]] = {
    "one by one": one_by_one,
    "batch of 32": by_batch,
    "facerec import": by_import,
}


REEMBED = "facerec reembed"


async def measure(data: Path, photos: int, rounds: int) -> dict[str, list[float]]:
    labels = dict(line.split(",") for line in (data / "labels.csv").read_text().split()[1:])
    rows = [ImportRow(data / path, identity.strip()) for path, identity in list(labels.items())[:photos]]
    rates: dict[str, list[float]] = {way: [] for way in [*WAYS, REEMBED]}
    with tempfile.TemporaryDirectory() as scratch, embedded_postgres_server(Path(scratch)) as url:
        settings = Settings(
            _env_file=None, database_url=url, data_dir=Path(scratch), model_cache_dir=Path(scratch) / "models"
        )
        async with running_client(settings, request_timeout_s=600) as client:
            reembedder = await _reembedder(settings)
            for _ in range(rounds):
                for way, run in WAYS.items():
                    await _empty(client)
                    started = time.perf_counter()
                    await run(client, rows)
                    rates[way].append(len(rows) / (time.perf_counter() - started))
                    print(f"{way}: {rates[way][-1]:.2f} faces/s", flush=True)
                rates[REEMBED].append(await _reembed(reembedder, settings))
                print(f"{REEMBED}: {rates[REEMBED][-1]:.2f} faces/s", flush=True)
    return rates


async def _reembedder(settings: Settings) -> Reembedder:
    engine = await asyncio.to_thread(load_engine, settings)
    runner = BlockingRunner(settings.inference_workers, max_waiting=0, name="bench-reembed")
    return Reembedder(engine, runner, ImageLimits(settings.max_image_pixels, settings.max_decode_bytes))


async def _reembed(reembedder: Reembedder, settings: Settings) -> float:
    """Faces re-embedded per second, the stored faces marked as another pack's first."""
    async with connection_of(settings) as connection:
        await connection.execute("UPDATE faces SET model = 'previous_pack'")
        started = time.perf_counter()
        report = await reembedder.run(connection, lambda _: None)
        rate: float = report.reembedded / (time.perf_counter() - started)
    return rate


async def _empty(client: httpx.AsyncClient) -> None:
    """Every person, face and photo of `default` erased: each way starts from an empty table."""
    response = await client.delete("/api/collections/default")
    assert response.status_code == 204, response.text


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=96)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/faces-celeba"))
    args = parser.parse_args()
    rates = asyncio.run(measure(args.data, args.photos, args.rounds))
    print(machine())
    for way, values in rates.items():
        print(f"| {way} | {' / '.join(f'{value:.2f}' for value in values)} | {max(values):.2f} |")


if __name__ == "__main__":
    main()
