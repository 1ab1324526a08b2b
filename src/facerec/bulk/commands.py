"""The bulk commands of the CLI: `facerec import` against a running server (`--url`) or the service
started in-process with the environment's settings."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from facerec.bulk.console import progress_bar, summary, write_failures
from facerec.bulk.importer import Importer, ImportFailed, ImportReport, checked_json
from facerec.bulk.sources import ImportRow, read_source
from facerec.settings import Settings

# A batch waits for its photos to be embedded; on a busy 2-core machine 32 photos take a few seconds.
REQUEST_TIMEOUT_S = 600.0
# Batches sent at once: one is embedded while the next is read, uploaded and stored.
IN_FLIGHT = 2


@dataclass(frozen=True)
class Target:
    url: str | None  # None: the service in-process, with `settings`
    api_key: str | None
    collection: str
    settings: Settings


@dataclass(frozen=True)
class ImportOptions:
    batch_size: int
    quality_check: bool
    failures: Path


def import_photos(source: Path, target: Target, options: ImportOptions) -> None:
    rows = read_source(source)
    console = Console(stderr=True)
    report = asyncio.run(_import(rows, target, options, console))
    console.print(summary(report))
    if report.failures:
        write_failures(report, options.failures)
        console.print(f"{len(report.failures)} failures listed in {options.failures}")


async def _import(
    rows: list[ImportRow], target: Target, options: ImportOptions, console: Console
) -> ImportReport:
    async with client_of(target) as client:
        importer = Importer(
            client,
            target.collection,
            batch_size=options.batch_size,
            in_flight=IN_FLIGHT,
            quality_check=options.quality_check,
        )
        with progress_bar(console, "importing", len(rows), "photos") as advance:
            return await importer.run(rows, advance)


def list_persons(target: Target) -> None:
    asyncio.run(_list_persons(target))


def show_counts(target: Target) -> None:
    asyncio.run(_show_counts(target))


async def _list_persons(target: Target) -> None:
    table = Table(title=f"persons of {target.collection}")
    for column in ("id", "displayName", "faces", "createdAt"):
        table.add_column(column)
    async with client_of(target) as client:
        cursor = None
        while True:
            params = {
                "collection": target.collection,
                "limit": "100",
                **({"cursor": cursor} if cursor else {}),
            }
            page = checked_json(await client.get("/api/persons", params=params))
            for person in page["persons"]:
                table.add_row(
                    person["id"], person["displayName"], str(person["faceCount"]), person["createdAt"]
                )
            if (cursor := page["nextCursor"]) is None:
                break
    Console().print(table)


async def _show_counts(target: Target) -> None:
    table = Table(title="collections")
    for column in ("collection", "persons", "faces"):
        table.add_column(column)
    async with client_of(target) as client:
        for collection in checked_json(await client.get("/api/collections"))["collections"]:
            table.add_row(collection["name"], str(collection["personCount"]), str(collection["faceCount"]))
    Console().print(table)


@asynccontextmanager
async def client_of(target: Target) -> AsyncIterator[httpx.AsyncClient]:
    """A client to the server at `target.url`, or to the service started here (its access control off:
    whoever runs this has the database already)."""
    try:
        if target.url is not None:
            headers = {"X-API-Key": target.api_key} if target.api_key else {}
            async with httpx.AsyncClient(
                base_url=target.url, headers=headers, timeout=REQUEST_TIMEOUT_S
            ) as client:
                yield client
        else:
            from facerec.api.local import running_client

            settings = target.settings.model_copy(update={"api_keys": [], "jwt_secret_key": None})
            async with running_client(settings, request_timeout_s=REQUEST_TIMEOUT_S) as client:
                yield client
    except httpx.TransportError as error:
        raise ImportFailed(f"cannot reach {target.url}: {error}") from error
