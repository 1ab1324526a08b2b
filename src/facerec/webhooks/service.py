"""Webhook subscriptions, their delivery log, and events published outside another unit of work."""

import secrets
from typing import TYPE_CHECKING
from uuid import UUID

from facerec.db.database import Database
from facerec.db.stores import transaction
from facerec.domain import Delivery, Webhook, WebhookEvent
from facerec.webhooks.events import stream_identity

if TYPE_CHECKING:  # the stream session reaches the service, which publishes events
    from facerec.stream.session import TrackEvent

SECRET_BYTES = 32


class WebhookService:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(self, *, url: str, events: list[WebhookEvent], secret: str | None) -> Webhook:
        """Without a secret, one is made (and shown once, in the answer to the creation)."""
        async with transaction(self._database) as tx:
            return await tx.webhooks.add(
                url=url, events=events, secret=secret or secrets.token_urlsafe(SECRET_BYTES)
            )

    async def all(self) -> list[Webhook]:
        async with transaction(self._database) as tx:
            return await tx.webhooks.all()

    async def delete(self, webhook_id: UUID) -> None:
        async with transaction(self._database) as tx:
            await tx.webhooks.delete(webhook_id)

    async def deliveries(self, webhook_id: UUID, *, limit: int) -> list[Delivery]:
        async with transaction(self._database) as tx:
            return await tx.webhooks.deliveries(webhook_id, limit=limit)

    async def publish_track_events(self, collection: str, stream: str, events: list["TrackEvent"]) -> None:
        """A stream's identity decisions, as `stream.identified` and `stream.unknown` events."""
        notices = [notice for event in events if (notice := stream_identity(collection, stream, event))]
        if not notices:
            return
        async with transaction(self._database) as tx:
            for event, payload in notices:
                await tx.webhooks.enqueue(event, payload)
