"""Apply the Alembic migrations (the only place the schema is defined) to a database."""

from pathlib import Path

from alembic import command
from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parents[3]
ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"


def upgrade_to_head(database_url: str) -> None:
    """Blocking (Alembic runs its own event loop): call it from a worker thread."""
    upgrade_to(database_url, "head")


def upgrade_to(database_url: str, revision: str) -> None:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, revision)
