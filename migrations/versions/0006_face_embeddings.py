"""Vectors of other model packs, so that a gallery can change pack without a face leaving search.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

`faces.face_vec` keeps each face's vector of the pack it was registered with (`faces.model`), as the seed's
`match_faces()` reads it. `facerec reembed --model NAME` adds each face's NAME vector to
`face_embeddings`; `facerec reembed --model NAME --drop-old` later moves them into `faces` and deletes the
rest. A face has at most one vector per pack: `face_embeddings` never holds the pack of `faces.model`.

`face_vectors` is the one place searches read vectors from: every face's vector of every pack it has.
Both branches are plain tables, so a search ordered by distance walks both HNSW indexes (a merge of two
index scans) and a scan of one collection reads both btrees. `collection_id` is copied into
`face_embeddings` (a face never changes collection) so that the filter sits beside the vector.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE faces ADD CONSTRAINT faces_id_collection UNIQUE (id, collection_id)")
    op.execute(
        """
        CREATE TABLE face_embeddings (
            face_id uuid NOT NULL,
            model text NOT NULL,
            collection_id uuid NOT NULL,
            embedding vector(512) NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (face_id, model),
            FOREIGN KEY (face_id, collection_id) REFERENCES faces (id, collection_id) ON DELETE CASCADE
        )
        """
    )
    op.execute("ALTER TABLE face_embeddings ALTER COLUMN embedding SET STORAGE PLAIN")
    op.execute(
        "CREATE INDEX face_embeddings_hnsw ON face_embeddings USING hnsw (embedding vector_cosine_ops) "
        "WITH (m = 16, ef_construction = 64)"
    )
    op.execute("CREATE INDEX face_embeddings_model_collection ON face_embeddings (model, collection_id)")
    op.execute("CREATE INDEX faces_model ON faces (model)")
    op.execute(
        """
        CREATE VIEW face_vectors AS
            SELECT id AS face_id, collection_id, model, face_vec AS embedding FROM faces
            UNION ALL
            SELECT face_id, collection_id, model, embedding FROM face_embeddings
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW face_vectors")
    op.execute("DROP INDEX faces_model")
    op.execute("DROP TABLE face_embeddings")
    op.execute("ALTER TABLE faces DROP CONSTRAINT faces_id_collection")
