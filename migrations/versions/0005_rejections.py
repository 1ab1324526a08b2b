""" "Not this person": a face, or a probe photo's embedding, that a person must never be answered for.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

A rejection keeps the embedding it was made from (a stored face's, or the probe photo's), so it outlives
the face; it goes with its person (the composite foreign key, as faces have) and so with the collection.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE rejections (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            person_id uuid NOT NULL,
            collection_id uuid NOT NULL,
            face_id uuid REFERENCES faces (id) ON DELETE SET NULL,
            embedding vector(512) NOT NULL,
            model text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            FOREIGN KEY (person_id, collection_id) REFERENCES persons (id, collection_id) ON DELETE CASCADE
        )
        """
    )
    op.execute("CREATE INDEX rejections_collection_model ON rejections (collection_id, model)")
    op.execute("CREATE INDEX rejections_person ON rejections (person_id)")


def downgrade() -> None:
    op.execute("DROP TABLE rejections")
