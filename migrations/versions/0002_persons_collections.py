"""Persons and collections: a face belongs to a person, a person to a collection.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

The upgrade keeps every stored face findable: faces are grouped into one person per display name, compared
ignoring case (Postgres `lower()`), all in the collection `default`. A person is named after their earliest
face, and each face's `display_name` is set to its person's, as it stays from now on.

A face's person and collection are tied by one composite foreign key, so a face can never sit in another
collection than its person, and deleting a collection or a person deletes their faces (and, through
`face_images`, the photos) in the same statement.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEED_MATCH_FACES = """
    CREATE OR REPLACE FUNCTION match_faces(
        query_vec vector(512), k int DEFAULT 5, threshold real DEFAULT 0.35
    )
    RETURNS TABLE (id uuid, display_name text, score double precision, image_url text)
    LANGUAGE sql STABLE
    AS $$
        SELECT f.id, f.display_name, 1 - (f.face_vec <=> query_vec) AS score, f.image_url
        FROM faces AS f
        WHERE f.face_vec <=> query_vec < threshold {collection}
        ORDER BY f.face_vec <=> query_vec
        LIMIT k
    $$
"""


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE collections (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            name text NOT NULL UNIQUE,
            metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT collections_name_shape CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
            CONSTRAINT collections_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
        )
        """
    )
    op.execute("INSERT INTO collections (name) VALUES ('default')")
    op.execute(
        """
        CREATE TABLE persons (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
            display_name text NOT NULL,
            metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT persons_id_collection UNIQUE (id, collection_id),
            CONSTRAINT persons_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
        )
        """
    )
    op.execute("CREATE INDEX persons_collection_created ON persons (collection_id, created_at, id)")
    op.execute("ALTER TABLE faces ADD COLUMN person_id uuid, ADD COLUMN collection_id uuid")
    op.execute(
        """
        INSERT INTO persons (collection_id, display_name, created_at, updated_at)
        SELECT (SELECT id FROM collections WHERE name = 'default'),
               (array_agg(display_name ORDER BY inserted_at, id))[1],
               min(inserted_at),
               max(updated_at)
        FROM faces
        GROUP BY lower(display_name)
        """
    )
    op.execute(
        """
        UPDATE faces AS f
        SET person_id = p.id, collection_id = p.collection_id, display_name = p.display_name
        FROM persons AS p
        WHERE lower(f.display_name) = lower(p.display_name)
        """
    )
    op.execute(
        "ALTER TABLE faces ALTER COLUMN person_id SET NOT NULL, ALTER COLUMN collection_id SET NOT NULL"
    )
    op.execute(
        """
        ALTER TABLE faces ADD CONSTRAINT faces_person FOREIGN KEY (person_id, collection_id)
            REFERENCES persons (id, collection_id) ON DELETE CASCADE
        """
    )
    op.execute("CREATE INDEX faces_person ON faces (person_id, inserted_at, id)")
    op.execute("CREATE INDEX faces_collection_inserted_at_id ON faces (collection_id, inserted_at, id)")
    op.execute("DROP INDEX faces_inserted_at_id")
    op.execute("DROP INDEX faces_display_name_lower")
    op.execute(
        SEED_MATCH_FACES.format(
            collection="AND f.collection_id = (SELECT id FROM collections WHERE name = 'default')"
        )
    )
    op.execute(
        """
        CREATE FUNCTION match_persons(
            collection_name text, query_vec vector(512), k int DEFAULT 5, threshold real DEFAULT 0.6
        )
        RETURNS TABLE (person_id uuid, display_name text, score double precision, face_id uuid,
                       image_url text)
        LANGUAGE sql STABLE
        AS $$
            SELECT best.person_id, best.display_name, best.score, best.face_id, best.image_url
            FROM (
                SELECT DISTINCT ON (f.person_id) f.person_id, f.display_name,
                       1 - (f.face_vec <=> query_vec) AS score, f.id AS face_id, f.image_url
                FROM faces AS f JOIN collections AS c ON c.id = f.collection_id
                WHERE c.name = collection_name AND f.face_vec <=> query_vec < threshold
                ORDER BY f.person_id, f.face_vec <=> query_vec
            ) AS best
            ORDER BY best.score DESC
            LIMIT k
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION match_persons(text, vector, int, real)")
    op.execute(SEED_MATCH_FACES.format(collection=""))
    op.execute("CREATE INDEX faces_display_name_lower ON faces (lower(display_name), inserted_at, id)")
    op.execute("CREATE INDEX faces_inserted_at_id ON faces (inserted_at, id)")
    op.execute("ALTER TABLE faces DROP COLUMN person_id, DROP COLUMN collection_id")
    op.execute("DROP TABLE persons")
    op.execute("DROP TABLE collections")
