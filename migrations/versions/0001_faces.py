"""Faces, their images, the HNSW index and the seed's match_faces() function.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Storage choices (measured in docs/BENCHMARKS.md, "Vector index"):
- `face_vec vector(512)` keeps the seed's name and type. A 512-D vector is 2,056 bytes, just over
  Postgres's ~2 KB TOAST threshold, so by default every row's vector would be compressed or moved out of
  line and every exact re-check would de-TOAST it. STORAGE PLAIN keeps it inline in the heap page.
- The HNSW index uses cosine distance (embeddings are unit-length, `score = 1 - distance`).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute(
        """
        CREATE TABLE faces (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            display_name text NOT NULL,
            image_url text,
            face_vec vector(512) NOT NULL,
            inserted_at timestamptz NOT NULL DEFAULT now(),
            model text NOT NULL,
            det_score real NOT NULL,
            box real[] NOT NULL,
            landmarks real[] NOT NULL,
            metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT faces_box_shape CHECK (cardinality(box) = 4),
            CONSTRAINT faces_landmarks_shape CHECK (cardinality(landmarks) = 10),
            CONSTRAINT faces_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
        )
        """
    )
    op.execute("ALTER TABLE faces ALTER COLUMN face_vec SET STORAGE PLAIN")
    op.execute(
        "CREATE INDEX faces_face_vec_hnsw ON faces USING hnsw (face_vec vector_cosine_ops) "
        "WITH (m = 16, ef_construction = 64)"
    )
    op.execute("CREATE INDEX faces_inserted_at_id ON faces (inserted_at, id)")
    op.execute("CREATE INDEX faces_display_name_lower ON faces (lower(display_name), inserted_at, id)")
    op.execute(
        """
        CREATE TABLE face_images (
            face_id uuid PRIMARY KEY REFERENCES faces (id) ON DELETE CASCADE,
            content_type text NOT NULL,
            data bytea NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE FUNCTION match_faces(query_vec vector(512), k int DEFAULT 5, threshold real DEFAULT 0.35)
        RETURNS TABLE (id uuid, display_name text, score double precision, image_url text)
        LANGUAGE sql STABLE
        AS $$
            SELECT f.id, f.display_name, 1 - (f.face_vec <=> query_vec) AS score, f.image_url
            FROM faces AS f
            WHERE f.face_vec <=> query_vec < threshold
            ORDER BY f.face_vec <=> query_vec
            LIMIT k
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION match_faces(vector, int, real)")
    op.execute("DROP TABLE face_images")
    op.execute("DROP TABLE faces")
