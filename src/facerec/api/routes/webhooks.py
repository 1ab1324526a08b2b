"""Webhooks: subscriptions to events, and the log of their deliveries (README, "Webhooks")."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from facerec.api.deps import WebhooksDep, every_collection
from facerec.api.errors import documented_errors
from facerec.api.webhook_schemas import (
    CreatedWebhookOut,
    DeliveryLogOut,
    DeliveryOut,
    WebhookIn,
    WebhookListOut,
    WebhookOut,
)

COMMON = documented_errors(
    {
        403: "The credential reaches only some collections; webhooks span them all.",
        422: "Invalid fields.",
        503: "Database unavailable; retry after `Retry-After` seconds.",
    }
)
BY_ID = documented_errors({404: "No webhook with this id."})
BODY = documented_errors({400: "A body that cannot be parsed.", 413: "Body too large."})

router = APIRouter(
    prefix="/api/webhooks", tags=["webhooks"], responses=COMMON, dependencies=[Depends(every_collection)]
)


@router.post("", status_code=201, responses=BODY)
async def create_webhook(webhooks: WebhooksDep, webhook: WebhookIn) -> CreatedWebhookOut:
    """Subscribe a URL to events. Each delivery is a POST of `{id, event, createdAt, data}` signed with
    HMAC-SHA256 (`X-Facerec-Signature: t=<unix time>,v1=<hex of HMAC(secret, "<t>." + body)>`), sent
    until the receiver answers 2xx (at least once: deduplicate on `id`)."""
    created = await webhooks.create(url=str(webhook.url), events=webhook.events, secret=webhook.secret)
    return CreatedWebhookOut.of_created(created)


@router.get("")
async def list_webhooks(webhooks: WebhooksDep) -> WebhookListOut:
    return WebhookListOut(webhooks=[WebhookOut.of(webhook) for webhook in await webhooks.all()])


@router.delete("/{webhook_id}", status_code=204, responses=BY_ID)
async def delete_webhook(webhooks: WebhooksDep, webhook_id: UUID) -> Response:
    """Unsubscribe; its pending deliveries are dropped with it."""
    await webhooks.delete(webhook_id)
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", responses=BY_ID)
async def webhook_deliveries(
    webhooks: WebhooksDep, webhook_id: UUID, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> DeliveryLogOut:
    """The delivery log, newest first: each delivery's status, attempts and the receiver's last answer."""
    deliveries = await webhooks.deliveries(webhook_id, limit=limit)
    return DeliveryLogOut(deliveries=[DeliveryOut.of(delivery) for delivery in deliveries])
