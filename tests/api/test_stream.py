"""`WS /api/stream` on the real service behind uvicorn: a synthetic video made from real photos."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from websockets.asyncio.client import connect

from facerec.settings import Settings
from facerec.stream.tracker import MAX_MISSED
from tests.api.helpers import image_file
from tests.api.receiver import Receiver
from tests.api.streams import EVENTS, Message, play, until_answered
from tests.photos import DEEPFACE_DIR, Photos, deepface_labels
from tests.server import running_server, serving
from tests.video import blank_frames, moving_photo

REGISTERED = ("img1.jpg", "img2.jpg")  # two photos of person01: the first registered, the second filmed
STRANGER = "img13.jpg"  # person05, never registered
SCENE_FRAMES = 60


@pytest.fixture(scope="module")
async def server(settings: Settings) -> AsyncIterator[str]:
    async with running_server(settings) as address:
        yield address


async def watch_video(server: str, photos: Photos) -> list[Message]:
    """Person one's second photo for 60 frames, then a stranger's, then an empty scene."""
    frames = (
        moving_photo(photos.open(DEEPFACE_DIR / REGISTERED[1]), SCENE_FRAMES)
        + moving_photo(photos.open(DEEPFACE_DIR / STRANGER), SCENE_FRAMES)
        + blank_frames(MAX_MISSED + 1)
    )
    async with connect(f"ws://{server}/api/stream") as stream:
        return await play(stream, frames)


@pytest.mark.skipif(deepface_labels() is None, reason=f"{DEEPFACE_DIR} is absent")
async def test_a_registered_person_is_identified_and_a_stranger_is_unknown(
    server: str, photos: Photos
) -> None:
    """Each decision also goes to the webhooks subscribed to stream events."""
    receiver = Receiver()
    async with (
        serving(receiver, lifespan="off") as receiver_address,
        httpx.AsyncClient(base_url=f"http://{server}") as http,
    ):
        registered = await http.post(
            "/api/face/register",
            files=image_file((DEEPFACE_DIR / REGISTERED[0]).read_bytes()),
            data={"displayName": "Person One", "mostProminent": "true"},
        )
        assert registered.status_code == 201, registered.text
        hooked = await http.post(
            "/api/webhooks",
            json={"url": f"http://{receiver_address}/", "events": ["stream.identified", "stream.unknown"]},
        )
        assert hooked.status_code == 201, hooked.text
        messages = await watch_video(server, photos)
        notified = await receiver.wait_for(2)

    assert not [message for message in messages if message["type"] == "error"]
    replies = {message["seq"]: message for message in messages if message["type"] == "frame"}
    assert sorted(replies) == list(range(1, 2 * SCENE_FRAMES + MAX_MISSED + 2))
    person_tracks = {face["trackId"] for seq in range(1, 61) for face in replies[seq]["faces"]}
    stranger_tracks = {face["trackId"] for seq in range(61, 121) for face in replies[seq]["faces"]}
    assert len(person_tracks) == 1
    assert len(stranger_tracks) == 1
    [person], [stranger] = person_tracks, stranger_tracks
    assert person != stranger
    searched = [face["recognised"] for seq in range(1, 61) for face in replies[seq]["faces"]]
    assert searched[0]
    assert 2 <= sum(searched) < len(searched) / 2  # the tracker spares most searches

    events = [message for message in messages if message["type"] in EVENTS]
    person_events = [event for event in events if event["trackId"] == person]
    stranger_events = [event for event in events if event["trackId"] == stranger]
    assert [event["type"] for event in person_events] == ["track_started", "identified", "track_ended"]
    assert [event["type"] for event in stranger_events] == ["track_started", "identified", "track_ended"]
    identified = person_events[1]
    assert identified["seq"] <= 10
    assert identified["verdict"] == "match"
    assert identified["displayName"] == "Person One"
    assert identified["score"] > 0.4
    assert stranger_events[1]["verdict"] == "unknown"
    assert stranger_events[1]["personId"] is None
    assert person_events[2]["verdict"] == "match"
    assert stranger_events[2]["verdict"] == "unknown"
    last_person_face = replies[60]["faces"][0]
    assert last_person_face["personId"] == identified["personId"]
    assert last_person_face["verdict"] == "match"
    by_event = {delivery.json["event"]: delivery.json["data"] for delivery in notified}  # in either order
    assert sorted(by_event) == ["stream.identified", "stream.unknown"]
    assert by_event["stream.identified"]["personId"] == identified["personId"]
    assert by_event["stream.identified"]["trackId"] == person
    assert by_event["stream.unknown"]["trackId"] == stranger


async def test_a_slow_client_gets_the_latest_frames_and_no_error(server: str, photos: Photos) -> None:
    """Forty frames sent at once, answers read only afterwards: the server keeps only the latest frame
    waiting, so every frame is either answered or counted in a `dropped`, and none is queued."""
    frames = moving_photo(photos.open(photos.group), 40)
    async with connect(f"ws://{server}/api/stream") as stream:
        for frame in frames:
            await stream.send(frame)
        await asyncio.sleep(0.5)  # then one frame more, on its own
        await stream.send(frames[-1])
        messages = await until_answered(stream, len(frames) + 1)

    assert not [message for message in messages if message["type"] == "error"]
    replies = [message for message in messages if message["type"] == "frame"]
    assert len(replies) + sum(reply["dropped"] for reply in replies) == len(frames) + 1
    assert len(replies) < len(frames) / 2
    assert [reply["seq"] for reply in replies] == sorted(reply["seq"] for reply in replies)
    assert len(replies[-1]["faces"]) == 6  # the group photo's six people


async def test_four_streams_beside_http_encodes_get_no_server_error(server: str, photos: Photos) -> None:
    """Streams and requests share the inference workers in turn: every request is answered (no 5xx,
    no refusal) while four streams run, and every stream frame is answered too."""
    frames = moving_photo(photos.open(photos.group), 12)
    photo = photos.bytes_of(photos.group)

    async def watch() -> list[dict[str, object]]:
        async with connect(f"ws://{server}/api/stream") as stream:
            return await play(stream, frames)

    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=120) as http:
        streams = [asyncio.ensure_future(watch()) for _ in range(4)]
        encodes = [http.post("/api/face/encode", files=image_file(photo)) for _ in range(8)]
        probes = [http.get("/healthz") for _ in range(8)]
        responses = await asyncio.gather(*encodes, *probes)
        played = await asyncio.gather(*streams)

    assert [response.status_code for response in responses] == [200] * len(responses)
    for messages in played:
        replies = [message for message in messages if message["type"] == "frame"]
        assert len(replies) == len(frames)
        assert not [message for message in messages if message["type"] == "error"]
