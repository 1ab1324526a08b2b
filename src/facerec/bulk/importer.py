"""`facerec import`: photos sent to `POST /api/faces/batch`, a batch at a time, of a running server or of
the service started in-process. Every photo carries an external id (the row's, else its content hash), so
running the import again stores nothing twice."""

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx

from facerec.bulk.sources import ImportRow
from facerec.errors import FacerecError

OVERLOADED_RETRIES = 30
RETRY_DELAY_S = 1.0


class ImportFailed(FacerecError):
    """The import cannot go on: the server is unreachable, refuses the credentials or the collection."""

    code = "import_failed"


@dataclass(frozen=True)
class Failure:
    row: ImportRow
    code: str
    message: str


@dataclass
class ImportReport:
    imported: int = 0
    already_stored: int = 0
    failures: list[Failure] = field(default_factory=list)


@dataclass(frozen=True)
class _Item:
    row: ImportRow
    photo: bytes
    external_id: str


class Importer:
    def __init__(
        self,
        client: httpx.AsyncClient,
        collection: str,
        *,
        batch_size: int,
        in_flight: int,
        quality_check: bool,
    ) -> None:
        self._client = client
        self._collection = collection
        self._batch_size = batch_size
        self._in_flight = asyncio.Semaphore(in_flight)
        self._quality_check = quality_check
        self._persons: dict[str, UUID] = {}

    async def run(self, rows: list[ImportRow], advance: Callable[[int], None]) -> ImportReport:
        """Import every row; `advance(n)` is called as rows are done."""
        report = ImportReport()
        for name in dict.fromkeys(row.display_name for row in rows if row.person_id is None):
            self._persons[name] = await self._person_named(name)
        batches = [rows[start : start + self._batch_size] for start in range(0, len(rows), self._batch_size)]
        await asyncio.gather(*(self._import(batch, report, advance) for batch in batches))
        return report

    async def _import(
        self, rows: list[ImportRow], report: ImportReport, advance: Callable[[int], None]
    ) -> None:
        async with self._in_flight:
            items: list[_Item] = []
            for row in rows:
                try:
                    photo = await asyncio.to_thread(row.path.read_bytes)
                except OSError as error:
                    report.failures.append(Failure(row, "unreadable", f"{type(error).__name__}: {error}"))
                    continue
                external_id = row.external_id or f"sha256:{hashlib.sha256(photo).hexdigest()}"
                items.append(_Item(row, photo, external_id))
            if items:
                self._record(items, await self._send(items), report)
            advance(len(rows))

    async def _send(self, items: list[_Item]) -> list[dict[str, Any]]:
        manifest = [
            {
                "personId": str(item.row.person_id or self._persons[item.row.display_name]),
                "externalId": item.external_id,
            }
            for item in items
        ]
        for _ in range(OVERLOADED_RETRIES):
            response = await self._client.post(
                "/api/faces/batch",
                params={"collection": self._collection},
                files=[("images", (item.row.path.name, item.photo)) for item in items],
                data={
                    "manifest": json.dumps(manifest),
                    "qualityCheck": str(self._quality_check).lower(),
                    "mostProminent": "true",  # a photo filed under a person is of that person
                },
            )
            if response.status_code != 503:
                results: list[dict[str, Any]] = checked_json(response)["results"]
                return results
            await asyncio.sleep(RETRY_DELAY_S)
        raise ImportFailed(f"the server stayed overloaded for {OVERLOADED_RETRIES} tries")

    def _record(self, items: list[_Item], results: list[dict[str, Any]], report: ImportReport) -> None:
        for item, result in zip(items, results, strict=True):
            if result["status"] == 201:
                report.imported += 1
            elif result["status"] == 200:
                report.already_stored += 1
            else:
                error = result["error"]
                report.failures.append(Failure(item.row, error["code"], error["message"]))

    async def _person_named(self, name: str) -> UUID:
        """The collection's first person named exactly `name`, created if there is none."""
        cursor = None
        while True:
            params = {"collection": self._collection, "displayName": name, "limit": "100"}
            page = checked_json(
                await self._client.get(
                    "/api/persons", params={**params, **({"cursor": cursor} if cursor else {})}
                )
            )
            for person in page["persons"]:
                if person["displayName"] == name:
                    return UUID(person["id"])
            cursor = page["nextCursor"]
            if cursor is None:
                break
        created = await self._client.post(
            "/api/persons", params={"collection": self._collection}, json={"displayName": name}
        )
        return UUID(checked_json(created)["id"])


def checked_json(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 300:
        try:
            error = response.json()["error"]
            reason = f"{error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            reason = response.text[:200]
        raise ImportFailed(f"{response.request.url.path} answered {response.status_code} ({reason})")
    body: dict[str, Any] = response.json()
    return body
