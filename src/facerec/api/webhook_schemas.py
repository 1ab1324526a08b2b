"""The JSON of the webhook routes."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, Field, HttpUrl

from facerec.api.schemas import ApiModel
from facerec.domain import Delivery, DeliveryStatus, Webhook, WebhookEvent


def _distinct(events: list[WebhookEvent]) -> list[WebhookEvent]:
    return list(dict.fromkeys(events))


class WebhookIn(ApiModel):
    url: HttpUrl = Field(
        description="Where deliveries are POSTed: http or https. Private addresses are allowed.",
        examples=["https://hooks.example.com/facerec"],
    )
    events: Annotated[list[WebhookEvent], AfterValidator(_distinct)] = Field(min_length=1, max_length=16)
    secret: str | None = Field(
        None,
        min_length=16,
        max_length=256,
        description="Signs every delivery (X-Facerec-Signature); made for you when absent.",
    )


class WebhookOut(ApiModel):
    id: UUID
    url: str
    events: list[WebhookEvent]
    created_at: datetime

    @classmethod
    def of(cls, webhook: Webhook) -> "WebhookOut":
        return cls(id=webhook.id, url=webhook.url, events=webhook.events, created_at=webhook.created_at)


class CreatedWebhookOut(WebhookOut):
    secret: str = Field(description="The signing secret: shown here only.")

    @classmethod
    def of_created(cls, webhook: Webhook) -> "CreatedWebhookOut":
        return cls(**WebhookOut.of(webhook).model_dump(), secret=webhook.secret)


class WebhookListOut(ApiModel):
    webhooks: list[WebhookOut]


class DeliveryOut(ApiModel):
    id: UUID
    event: WebhookEvent
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="When it is tried again; null once settled.")
    last_status: int | None = Field(description="The receiver's last HTTP status; null if unreachable.")
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    data: dict[str, Any]

    @classmethod
    def of(cls, delivery: Delivery) -> "DeliveryOut":
        pending = delivery.status is DeliveryStatus.PENDING
        return cls(
            id=delivery.id,
            event=delivery.event,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at if pending else None,
            last_status=delivery.last_status,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
            data=delivery.payload,
        )


class DeliveryLogOut(ApiModel):
    deliveries: list[DeliveryOut]
