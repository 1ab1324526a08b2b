"""Each collection keeps its counts of persons and faces, maintained by triggers.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

Searches with `threshold=auto` need the collection's person count, and every search its face count (exact
scan or index); listings and /metrics show both. Counting rows each time is linear in the gallery. The
counts live on `collections` instead, kept by statement-level triggers (one UPDATE per statement, however
many rows it touched: deleting a collection of a million faces costs one). A face or person never moves
between collections (the composite foreign keys have no ON UPDATE), so inserts, deletes and TRUNCATE are
all that change a count.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTED = {"persons": "person_count", "faces": "face_count"}


def upgrade() -> None:
    for table, column in COUNTED.items():
        op.execute(f"ALTER TABLE collections ADD COLUMN {column} bigint NOT NULL DEFAULT 0")
        op.execute(
            f"""
            UPDATE collections AS c SET {column} = counted.n
            FROM (SELECT collection_id, count(*) AS n FROM {table} GROUP BY collection_id) AS counted
            WHERE c.id = counted.collection_id
            """
        )
        for event, rows, sign in (("INSERT", "NEW", "+"), ("DELETE", "OLD", "-")):
            function = f"count_{table}_{event.lower()}"
            op.execute(
                f"""
                CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE collections AS c SET {column} = c.{column} {sign} changed.n
                    FROM (SELECT collection_id, count(*) AS n FROM changed_rows GROUP BY collection_id)
                        AS changed
                    WHERE c.id = changed.collection_id;
                    RETURN NULL;
                END $$
                """
            )
            op.execute(
                f"""
                CREATE TRIGGER {function} AFTER {event} ON {table}
                REFERENCING {rows} TABLE AS changed_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {function}()
                """
            )
        op.execute(
            f"""
            CREATE FUNCTION count_{table}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE collections SET {column} = 0 WHERE {column} <> 0;
                RETURN NULL;
            END $$
            """
        )
        op.execute(
            f"""
            CREATE TRIGGER count_{table}_truncate AFTER TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION count_{table}_truncate()
            """
        )


def downgrade() -> None:
    for table, column in COUNTED.items():
        for event in ("insert", "delete", "truncate"):
            op.execute(f"DROP TRIGGER count_{table}_{event} ON {table}")
            op.execute(f"DROP FUNCTION count_{table}_{event}()")
        op.execute(f"ALTER TABLE collections DROP COLUMN {column}")
