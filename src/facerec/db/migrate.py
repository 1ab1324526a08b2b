"""Apply the Alembic migrations (the only place the schema is defined) to a database.

The environment and revisions ship inside the package as `facerec.migrations`, so an installed wheel
migrates exactly as a checkout does; `alembic.ini` in the checkout points at the same folder.
"""

from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config


def migrations_dir() -> Path:
    """Where the installed Alembic environment lives (always a real folder: the package is not zipped)."""
    return Path(str(files("facerec.migrations")))


def upgrade_to_head(database_url: str) -> None:
    """Blocking (Alembic runs its own event loop): call it from a worker thread."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")
