"""Sending pending webhook deliveries: a background task of the lifespan. At least once: a delivery stays
pending until its receiver answers 2xx, and is retried with exponential backoff; it lives in the database,
so neither a receiver that is down nor a restart of facerec loses it."""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from facerec.db.database import Database
from facerec.db.stores import transaction
from facerec.domain import DeliveryStatus, DueDelivery
from facerec.errors import DatabaseUnavailable
from facerec.webhooks.signing import SIGNATURE_HEADER, signature

logger = logging.getLogger(__name__)

BATCH = 32  # deliveries claimed and sent at once
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class DispatchOptions:
    poll_s: float  # how often to look for due deliveries when idle
    timeout_s: float  # per request; also how long a claimed delivery is hidden from other dispatchers
    retry_base_s: float  # the first retry's delay; each next one doubles
    retry_max_s: float
    max_attempts: int  # then the delivery is marked failed

    def retry_in(self, attempts: int) -> float:
        return float(min(self.retry_base_s * 2 ** (attempts - 1), self.retry_max_s))


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    http_status: int | None
    error: str | None


class WebhookDispatcher:
    def __init__(self, database: Database, options: DispatchOptions, client: httpx.AsyncClient) -> None:
        self._database = database
        self._options = options
        self._client = client

    async def run(self) -> None:
        while True:
            try:
                sent = await self.send_due()
            except DatabaseUnavailable:
                sent = 0
            if sent < BATCH:
                await asyncio.sleep(self._options.poll_s)

    async def send_due(self) -> int:
        """Claim the due deliveries, send them concurrently, record each outcome; how many were sent."""
        async with transaction(self._database) as tx:
            due = await tx.webhooks.claim_due(limit=BATCH, lease_s=self._options.timeout_s * 2)
        outcomes = await asyncio.gather(*(self._send(delivery) for delivery in due))
        async with transaction(self._database) as tx:
            for delivery, outcome in zip(due, outcomes, strict=True):
                attempts = delivery.delivery.attempts + 1
                status = self._status_after(outcome, attempts)
                await tx.webhooks.record_attempt(
                    delivery.delivery.id,
                    status=status,
                    http_status=outcome.http_status,
                    error=outcome.error,
                    retry_in_s=self._options.retry_in(attempts),
                )
        return len(due)

    def _status_after(self, outcome: Outcome, attempts: int) -> DeliveryStatus:
        if outcome.delivered:
            return DeliveryStatus.DELIVERED
        if attempts >= self._options.max_attempts:
            return DeliveryStatus.FAILED
        return DeliveryStatus.PENDING

    async def _send(self, due: DueDelivery) -> Outcome:
        delivery = due.delivery
        body = json.dumps(
            {
                "id": str(delivery.id),
                "event": delivery.event.value,
                "createdAt": delivery.created_at.isoformat(),
                "data": delivery.payload,
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "facerec-webhooks",
            "X-Facerec-Event": delivery.event.value,
            "X-Facerec-Delivery": str(delivery.id),
            SIGNATURE_HEADER: signature(due.secret, int(time.time()), body),
        }
        try:
            response = await self._client.post(
                due.url, content=body, headers=headers, timeout=self._options.timeout_s
            )
        except httpx.HTTPError as error:
            logger.info("webhook delivery %s to %s failed: %s", delivery.id, due.url, error)
            return Outcome(False, None, f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS])
        if response.is_success:
            return Outcome(True, response.status_code, None)
        return Outcome(False, response.status_code, response.text[:MAX_ERROR_CHARS] or None)


@contextlib.asynccontextmanager
async def dispatching(database: Database, options: DispatchOptions) -> AsyncIterator[None]:
    """Run a dispatcher for as long as the block lasts."""
    async with httpx.AsyncClient(follow_redirects=False) as client:
        task = asyncio.create_task(
            WebhookDispatcher(database, options, client).run(), name="facerec-webhooks"
        )
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
