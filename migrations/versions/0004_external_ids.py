"""External ids: a client's own id for a face, unique in its collection, so that sending a face again
stores nothing new (batch registration and `facerec import` are idempotent through it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

The unique index is partial: faces registered without an external id (every face before this revision)
are not in it and cost nothing.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE faces ADD COLUMN external_id text")
    op.execute(
        "ALTER TABLE faces ADD CONSTRAINT faces_external_id_length "
        "CHECK (external_id IS NULL OR length(external_id) BETWEEN 1 AND 256)"
    )
    op.execute(
        "CREATE UNIQUE INDEX faces_collection_external_id ON faces (collection_id, external_id) "
        "WHERE external_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX faces_collection_external_id")
    op.execute("ALTER TABLE faces DROP COLUMN external_id")
