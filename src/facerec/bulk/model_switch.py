"""`facerec reembed`: re-embed the gallery with another pack, list what could not be, and with
`--drop-old` make that pack every face's own. Runs in-process with the service's settings (its database)."""

import asyncio
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.table import Table

from facerec.bulk.console import progress_bar, write_csv
from facerec.bulk.database import connection_of
from facerec.bulk.reembed import Reembedder, ReembedReport
from facerec.db.embeddings import EmbeddingStore, Promotion
from facerec.executor import BlockingRunner
from facerec.imaging.intake import ImageLimits
from facerec.models.loader import load_engine
from facerec.settings import Settings


@dataclass(frozen=True)
class ReembedOptions:
    failures: Path  # the CSV of the faces that could not be re-embedded
    drop_old: bool
    force: bool


async def reembed_gallery(
    settings: Settings, connection: asyncpg.Connection, console: Console
) -> ReembedReport:
    """Re-embed every face that has no vector of `settings.model_pack` yet."""
    engine = await asyncio.to_thread(load_engine, settings)
    limits = ImageLimits(settings.max_image_pixels, settings.max_decode_bytes)
    with BlockingRunner(settings.inference_workers, max_waiting=0, name="facerec-reembed") as runner:
        reembedder = Reembedder(engine, runner, limits)
        total = await EmbeddingStore(connection).count_pending(reembedder.model)
        with progress_bar(console, f"re-embedding with {reembedder.model}", total, "faces") as advance:
            return await reembedder.run(connection, advance)


async def drop_other_packs(connection: asyncpg.Connection, model: str, *, force: bool) -> Promotion:
    """`--drop-old`, in one transaction (`EmbeddingStore.promote`)."""
    async with connection.transaction():
        return await EmbeddingStore(connection).promote(model, force=force)


def reembed(settings: Settings, options: ReembedOptions) -> None:
    asyncio.run(_reembed(settings, options, Console(stderr=True)))


async def _reembed(settings: Settings, options: ReembedOptions, console: Console) -> None:
    async with connection_of(settings) as connection:
        report = await reembed_gallery(settings, connection, console)
        console.print(f"{report.reembedded} faces re-embedded with {report.model}")
        if report.unembedded:
            console.print(_unembedded_table(report))
            _write_failures(report, options.failures)
            console.print(f"{len(report.unembedded)} faces not re-embedded, listed in {options.failures}")
        if options.drop_old:
            promotion = await drop_other_packs(connection, report.model, force=options.force)
            console.print(
                f"{promotion.promoted} faces now on {report.model}; {promotion.dropped} vectors of other "
                f"packs dropped; {promotion.left} faces without a {report.model} vector kept their own"
            )


def _unembedded_table(report: ReembedReport) -> Table:
    table = Table(title=f"not re-embedded with {report.model}")
    for column in ("face", "collection", "displayName", "reason"):
        table.add_column(column)
    for item in report.unembedded:
        table.add_row(str(item.face.id), item.face.collection, item.face.display_name, item.reason)
    return table


def _write_failures(report: ReembedReport, path: Path) -> None:
    write_csv(
        path,
        ["faceId", "collection", "displayName", "reason"],
        (
            [item.face.id, item.face.collection, item.face.display_name, item.reason]
            for item in report.unembedded
        ),
    )
