"""Apply the Alembic migrations (the only place the schema is defined) to a database.

The environment and revisions ship inside the package as `facerec.migrations`, so an installed wheel
migrates exactly as a checkout does; `alembic.ini` in the checkout points at the same folder.
"""

import logging
from importlib.resources import files
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config

from facerec.db.database import CONNECTION_ERRORS
from facerec.errors import DatabaseUnavailable

logger = logging.getLogger(__name__)


def migrations_dir() -> Path:
    """Where the installed Alembic environment lives (always a real folder: the package is not zipped)."""
    return Path(str(files("facerec.migrations")))


def upgrade_to_head(database_url: str) -> None:
    """Blocking (Alembic runs its own event loop): call it from a worker thread."""
    upgrade_to(database_url, "head")


def upgrade_to(database_url: str, revision: str) -> None:
    """Upgrade, and say in one line which revisions were applied (none: no line)."""
    applied: list[str] = []

    def on_version_apply(*, step: Any, **_: Any) -> None:
        applied.append(step.up_revision_id)

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["on_version_apply"] = on_version_apply
    command.upgrade(config, revision)
    if applied:
        logger.info(
            "database schema upgraded to %s (%d revisions: %s)", applied[-1], len(applied), ", ".join(applied)
        )


def upgrade_database(database_url: str) -> None:
    """`facerec migrate`: `upgrade_to_head`, with a server that cannot be reached or that refuses the
    connection reported in one line."""
    try:
        upgrade_to_head(database_url)
    except (*CONNECTION_ERRORS, asyncpg.PostgresError) as error:
        raise DatabaseUnavailable(
            f"cannot migrate the database at DATABASE_URL ({error}): check that the server is up and that "
            "DATABASE_URL names it, with the right user, password and database"
        ) from error
