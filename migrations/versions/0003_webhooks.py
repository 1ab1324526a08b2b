"""Webhooks and their deliveries: an outbox, so an event written is delivered even across a restart.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

A delivery row is written in the same transaction as the change it reports (a face registered, a person
deleted), or when a stream decides a track's identity. The dispatcher sends each pending row until the
receiver answers 2xx, backing off exponentially, and keeps the outcome as the delivery log.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE webhooks (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            url text NOT NULL,
            events text[] NOT NULL,
            secret text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT webhooks_http_url CHECK (url ~ '^https?://'),
            CONSTRAINT webhooks_some_events CHECK (cardinality(events) > 0)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE webhook_deliveries (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
            event text NOT NULL,
            payload jsonb NOT NULL,
            status text NOT NULL DEFAULT 'pending',
            attempts int NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            last_status int,
            last_error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            delivered_at timestamptz,
            CONSTRAINT webhook_deliveries_status CHECK (status IN ('pending', 'delivered', 'failed'))
        )
        """
    )
    op.execute(
        "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'"
    )
    op.execute("CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, created_at DESC)")


def downgrade() -> None:
    op.execute("DROP TABLE webhook_deliveries")
    op.execute("DROP TABLE webhooks")
