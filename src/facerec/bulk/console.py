"""What `facerec import` shows and leaves behind: a progress bar with rate and ETA, a summary table of the
refusals, and a CSV of the failures."""

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from facerec.bulk.importer import ImportReport


class RateColumn(ProgressColumn):
    def __init__(self, unit: str) -> None:
        super().__init__()
        self._unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.1f} {self._unit}/s", style="progress.data.speed")


@contextmanager
def progress_bar(
    console: Console, description: str, total: int, unit: str
) -> Iterator[Callable[[int], None]]:
    """A bar with count, rate, elapsed time and ETA; yields `advance(n)`."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(unit),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.advance(task, done)


def summary(report: ImportReport) -> Table:
    table = Table(title="facerec import")
    table.add_column("outcome")
    table.add_column("photos", justify="right")
    table.add_row("imported", str(report.imported))
    table.add_row("already stored", str(report.already_stored))
    for code, count in Counter(failure.code for failure in report.failures).most_common():
        table.add_row(f"refused: {code}", str(count))
    return table


def write_failures(report: ImportReport, path: Path) -> None:
    write_csv(
        path,
        ["path", "displayName", "code", "message"],
        [
            [failure.row.path, failure.row.display_name, failure.code, failure.message]
            for failure in report.failures
        ],
    )


def write_csv(path: Path, header: list[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
