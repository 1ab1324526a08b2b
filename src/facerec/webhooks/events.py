"""What each webhook event says (the `data` of a delivery): camelCase, like the API."""

from typing import TYPE_CHECKING
from uuid import UUID

from facerec.domain import FaceRecord, Metadata, WebhookEvent
from facerec.stream.identity import TrackVerdict

if TYPE_CHECKING:  # the stream session reaches the service, which publishes these events
    from facerec.stream.session import TrackEvent


def face_registered(face: FaceRecord) -> Metadata:
    return {
        "collection": face.collection,
        "faceId": str(face.id),
        "personId": str(face.person_id),
        "displayName": face.display_name,
        "imageUrl": face.image_url,
    }


def person_deleted(collection: str, person_id: UUID) -> Metadata:
    return {"collection": collection, "personId": str(person_id)}


def stream_identity(
    collection: str, stream: str, event: "TrackEvent"
) -> tuple[WebhookEvent, Metadata] | None:
    """A stream's decision about a track, or None when the event is not one (a track started or ended)."""
    identity = event.identity
    kind = {
        TrackVerdict.MATCH: WebhookEvent.STREAM_IDENTIFIED,
        TrackVerdict.UNKNOWN: WebhookEvent.STREAM_UNKNOWN,
    }.get(identity.verdict)
    if event.kind != "identified" or kind is None:
        return None
    person = identity.person
    return kind, {
        "collection": collection,
        "stream": stream,  # the WebSocket's request id
        "trackId": event.track,
        "personId": None if person is None else str(person.id),
        "displayName": None if person is None else person.display_name,
        "score": identity.score,
    }
