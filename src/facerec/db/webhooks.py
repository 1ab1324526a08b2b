"""The webhook store: every query on `webhooks` and `webhook_deliveries`, beside the method that runs it."""

from typing import Any
from uuid import UUID

import asyncpg

from facerec.db.status import rows_affected
from facerec.domain import Delivery, DeliveryStatus, DueDelivery, Metadata, Webhook, WebhookEvent
from facerec.errors import WebhookNotFound

_DELIVERY_COLUMNS = """
    d.id, d.webhook_id, d.event, d.payload, d.status, d.attempts, d.next_attempt_at, d.last_status,
    d.last_error, d.created_at, d.delivered_at
"""


class WebhookStore:
    """A repository over one connection (`facerec.db.stores`)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def add(self, *, url: str, events: list[WebhookEvent], secret: str) -> Webhook:
        row = await self._connection.fetchrow(
            "INSERT INTO webhooks (url, events, secret) VALUES ($1, $2, $3) RETURNING *",
            url,
            [event.value for event in events],
            secret,
        )
        return _webhook(row)

    async def all(self) -> list[Webhook]:
        rows = await self._connection.fetch("SELECT * FROM webhooks ORDER BY created_at, id")
        return [_webhook(row) for row in rows]

    async def delete(self, webhook_id: UUID) -> None:
        status = await self._connection.execute("DELETE FROM webhooks WHERE id = $1", webhook_id)
        if status == "DELETE 0":
            raise WebhookNotFound(f"no webhook with id {webhook_id}")

    async def enqueue(self, event: WebhookEvent, payload: Metadata) -> int:
        """One pending delivery for every webhook subscribed to the event; how many."""
        return await self.enqueue_many(event, [payload])

    async def enqueue_many(self, event: WebhookEvent, payloads: list[Metadata]) -> int:
        """One pending delivery of each payload for every webhook subscribed to the event (one statement
        however many); how many."""
        status: str = await self._connection.execute(
            """
            INSERT INTO webhook_deliveries (webhook_id, event, payload)
            SELECT w.id, $1, p.payload
            FROM webhooks AS w, unnest($2::jsonb[]) AS p (payload)
            WHERE $1 = ANY (w.events)
            """,
            event.value,
            payloads,
        )
        return rows_affected(status)

    async def claim_due(self, *, limit: int, lease_s: float) -> list[DueDelivery]:
        """Pending deliveries whose time has come, oldest first, hidden from other dispatchers for
        `lease_s` (so one that dies while sending leaves them to be retried, not lost)."""
        rows = await self._connection.fetch(
            f"""
            WITH claimed AS (
                UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs => $2)
                WHERE id IN (
                    SELECT id FROM webhook_deliveries
                    WHERE status = 'pending' AND next_attempt_at <= now()
                    ORDER BY next_attempt_at
                    LIMIT $1
                    FOR UPDATE SKIP LOCKED
                )
                RETURNING *
            )
            SELECT {_DELIVERY_COLUMNS}, w.url, w.secret
            FROM claimed AS d JOIN webhooks AS w ON w.id = d.webhook_id
            ORDER BY d.created_at
            """,
            limit,
            lease_s,
        )
        return [DueDelivery(_delivery(row), row["url"], row["secret"]) for row in rows]

    async def record_attempt(
        self,
        delivery_id: UUID,
        *,
        status: DeliveryStatus,
        http_status: int | None,
        error: str | None,
        retry_in_s: float,
    ) -> None:
        await self._connection.execute(
            """
            UPDATE webhook_deliveries
            SET status = $2, attempts = attempts + 1, last_status = $3, last_error = $4,
                next_attempt_at = now() + make_interval(secs => $5),
                delivered_at = CASE WHEN $2 = 'delivered' THEN now() END
            WHERE id = $1
            """,
            delivery_id,
            status.value,
            http_status,
            error,
            retry_in_s,
        )

    async def deliveries(self, webhook_id: UUID, *, limit: int) -> list[Delivery]:
        """The delivery log of one webhook, newest first."""
        if await self._connection.fetchval("SELECT 1 FROM webhooks WHERE id = $1", webhook_id) is None:
            raise WebhookNotFound(f"no webhook with id {webhook_id}")
        rows = await self._connection.fetch(
            f"""
            SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries AS d
            WHERE d.webhook_id = $1 ORDER BY d.created_at DESC, d.id LIMIT $2
            """,
            webhook_id,
            limit,
        )
        return [_delivery(row) for row in rows]


def _webhook(row: Any) -> Webhook:
    return Webhook(
        id=row["id"],
        url=row["url"],
        events=[WebhookEvent(event) for event in row["events"]],
        secret=row["secret"],
        created_at=row["created_at"],
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row["id"],
        webhook_id=row["webhook_id"],
        event=WebhookEvent(row["event"]),
        payload=row["payload"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        delivered_at=row["delivered_at"],
    )
