"""Which stored faces the running pack can search: said once at startup and by `/readyz`, with the command
that re-embeds the others."""

import logging

from facerec.db.collections import CollectionStore
from facerec.db.database import Database
from facerec.db.embeddings import EmbeddingStore
from facerec.domain import ModelCoverage
from facerec.errors import DatabaseUnavailable

logger = logging.getLogger(__name__)


def reembed_command(model: str) -> str:
    return f"facerec reembed --model {model}"


async def coverage_of(database: Database, model: str) -> ModelCoverage | None:
    """Every stored face, less those still to be re-embedded with `model`; None while the database is not
    reachable. `/readyz` asks on every health check: both counts read no face row unless a switch of pack
    is under way."""
    try:
        async with database.transaction() as connection:
            faces, _ = await CollectionStore(connection).totals()
            pending = await EmbeddingStore(connection).count_pending(model)
    except DatabaseUnavailable:
        return None
    return ModelCoverage(model=model, faces=faces, searchable=faces - pending)


async def warn_if_unsearchable(database: Database, model: str) -> None:
    """One WARNING line when stored faces have no vector of `model`; nothing when the database is not
    reachable yet (`/readyz` tells once it is)."""
    coverage = await coverage_of(database, model)
    if coverage is not None and coverage.unsearchable:
        logger.warning(
            "%d of %d stored faces were embedded by another model pack and cannot be searched with %s; "
            "re-embed them: %s",
            coverage.unsearchable,
            coverage.faces,
            model,
            reembed_command(model),
        )
