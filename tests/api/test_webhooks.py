"""Webhooks on the real service behind uvicorn, delivering to a real local receiver."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from facerec.db.migrate import upgrade_to_head
from facerec.db.urls import asyncpg_url
from facerec.settings import Settings
from facerec.webhooks.signing import SIGNATURE_HEADER, verify
from tests.api.helpers import assert_error, image_file
from tests.api.receiver import Receiver
from tests.photos import Photos
from tests.server import free_port, running_server, serving

SETTLE_POLLS = 200  # 10 s


@pytest.fixture(scope="module")
def hooked_settings(settings: Settings) -> Settings:
    """Deliveries looked for every 0.1 s and retried after 0.2 s, 0.4 s, 0.8 s..."""
    return settings.model_copy(
        update={"webhook_poll_s": 0.1, "webhook_retry_base_s": 0.2, "webhook_retry_max_s": 1.0}
    )


@pytest.fixture(scope="module")
async def server(hooked_settings: Settings) -> AsyncIterator[str]:
    async with running_server(hooked_settings) as address:
        yield address


async def register(http: httpx.AsyncClient, photos: Photos, name: str) -> dict[str, str]:
    response = await http.post(
        "/api/face/register",
        files=image_file(photos.bytes_of(photos.tight_face)),
        data={"displayName": name, "qualityCheck": "false"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


async def settled_log(http: httpx.AsyncClient, webhook_id: str) -> list[dict[str, Any]]:
    """The delivery log once no delivery is pending: a receiver has the request before facerec has its
    answer and records it."""
    for _ in range(SETTLE_POLLS):
        log: list[dict[str, Any]] = (await http.get(f"/api/webhooks/{webhook_id}/deliveries")).json()[
            "deliveries"
        ]
        if all(entry["status"] != "pending" for entry in log):
            break
        await asyncio.sleep(0.05)
    return log


async def test_a_receiver_gets_signed_events(server: str, photos: Photos) -> None:
    receiver = Receiver()
    async with (
        serving(receiver, lifespan="off") as receiver_address,
        httpx.AsyncClient(base_url=f"http://{server}") as http,
    ):
        created = await http.post(
            "/api/webhooks",
            json={"url": f"http://{receiver_address}/hook", "events": ["face.registered", "person.deleted"]},
        )
        assert created.status_code == 201, created.text
        webhook = created.json()
        face = await register(http, photos, "Tom")
        assert (await http.delete(f"/api/persons/{face['personId']}")).status_code == 204
        # sent concurrently, so they may arrive in either order
        received = {delivery.json["event"]: delivery for delivery in await receiver.wait_for(2)}
        registered, deleted = received["face.registered"], received["person.deleted"]
        log = await settled_log(http, webhook["id"])
        listed = (await http.get("/api/webhooks")).json()["webhooks"]
        assert (await http.delete(f"/api/webhooks/{webhook['id']}")).status_code == 204

    for delivery in (registered, deleted):
        assert verify(webhook["secret"], delivery.headers[SIGNATURE_HEADER], delivery.body) is not None
        assert verify("some-other-secret-entirely", delivery.headers[SIGNATURE_HEADER], delivery.body) is None
        assert delivery.headers["X-Facerec-Delivery"] == delivery.json["id"]
    assert registered.json["event"] == "face.registered"
    assert registered.json["data"] == {
        "collection": "default",
        "faceId": face["id"],
        "personId": face["personId"],
        "displayName": "Tom",
        "imageUrl": face["imageUrl"],
    }
    assert deleted.json["event"] == "person.deleted"
    assert deleted.json["data"] == {"collection": "default", "personId": face["personId"]}
    assert [(entry["event"], entry["status"], entry["attempts"]) for entry in log] == [
        ("person.deleted", "delivered", 1),
        ("face.registered", "delivered", 1),
    ]
    assert [item["id"] for item in listed] == [webhook["id"]]
    assert "secret" not in listed[0]


async def test_deleting_a_collection_reports_each_of_its_persons_deleted(server: str, photos: Photos) -> None:
    receiver = Receiver()
    name = f"hooked-{uuid.uuid4().hex[:8]}"
    async with (
        serving(receiver, lifespan="off") as receiver_address,
        httpx.AsyncClient(base_url=f"http://{server}") as http,
    ):
        assert (await http.post("/api/collections", json={"name": name})).status_code == 201
        persons = [
            (await http.post("/api/persons", params={"collection": name}, json={"displayName": who})).json()
            for who in ("Ada", "Grace")
        ]
        created = await http.post(
            "/api/webhooks", json={"url": f"http://{receiver_address}/hook", "events": ["person.deleted"]}
        )
        assert (await http.delete(f"/api/collections/{name}")).status_code == 204
        received = await receiver.wait_for(2)
        await http.delete(f"/api/webhooks/{created.json()['id']}")

    assert all(item.json["event"] == "person.deleted" for item in received)
    assert sorted(item.json["data"]["personId"] for item in received) == sorted(p["id"] for p in persons)
    assert {item.json["data"]["collection"] for item in received} == {name}


async def test_persons_merged_away_are_reported_deleted(server: str, photos: Photos) -> None:
    """Merging a person's only faces into another erases them: subscribers hear of it as of a delete."""
    receiver = Receiver()
    async with (
        serving(receiver, lifespan="off") as receiver_address,
        httpx.AsyncClient(base_url=f"http://{server}") as http,
    ):
        merged_away = [await register(http, photos, f"import {n}") for n in range(2)]
        target = (await http.post("/api/persons", json={"displayName": "Ada"})).json()
        created = await http.post(
            "/api/webhooks", json={"url": f"http://{receiver_address}/hook", "events": ["person.deleted"]}
        )
        response = await http.post(
            f"/api/persons/{target['id']}/faces:merge", json={"faceIds": [face["id"] for face in merged_away]}
        )
        assert response.status_code == 200, response.text
        received = await receiver.wait_for(2)
        await http.delete(f"/api/webhooks/{created.json()['id']}")

    assert sorted(item.json["data"]["personId"] for item in received) == sorted(
        face["personId"] for face in merged_away
    )
    assert {item.json["event"] for item in received} == {"person.deleted"}


@pytest.fixture
async def own_database(hooked_settings: Settings, database_url: str) -> AsyncIterator[Settings]:
    """The settings on a database of their own (in the same server), so that no other running service's
    dispatcher can deliver what this test's services leave pending."""
    name = f"webhooks_{uuid.uuid4().hex}"
    admin = await asyncpg.connect(asyncpg_url(database_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = urlsplit(database_url)._replace(path=f"/{name}").geturl()
        await asyncio.to_thread(upgrade_to_head, url)
        yield hooked_settings.model_copy(update={"database_url": SecretStr(url)})
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_a_receiver_down_at_first_gets_every_event_even_across_a_restart(
    own_database: Settings, photos: Photos
) -> None:
    """The receiver is down while two faces are registered and facerec retries; facerec stops; the
    receiver comes up; a new facerec process on the same database delivers both events."""
    port = free_port()
    async with (
        running_server(own_database) as first,
        httpx.AsyncClient(base_url=f"http://{first}") as http,
    ):
        created = await http.post(
            "/api/webhooks", json={"url": f"http://127.0.0.1:{port}/hook", "events": ["face.registered"]}
        )
        webhook = created.json()
        faces = [await register(http, photos, name) for name in ("Ada", "Grace")]
        for _ in range(300):
            log = (await http.get(f"/api/webhooks/{webhook['id']}/deliveries")).json()["deliveries"]
            if len(log) == 2 and all(entry["attempts"] >= 2 for entry in log):
                break
        assert all(entry["status"] == "pending" and entry["lastStatus"] is None for entry in log)
        assert all("ConnectError" in entry["lastError"] for entry in log)

    receiver = Receiver()
    async with serving(receiver, port=port, lifespan="off"), running_server(own_database) as second:
        received = await receiver.wait_for(2)
        async with httpx.AsyncClient(base_url=f"http://{second}") as http:
            log = await settled_log(http, webhook["id"])
            await http.delete(f"/api/webhooks/{webhook['id']}")

    assert sorted(item.json["data"]["faceId"] for item in received) == sorted(face["id"] for face in faces)
    assert all(entry["status"] == "delivered" and entry["attempts"] >= 3 for entry in log)


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/hook", "events": ["face.registered"]},
        {"url": "http://example.com/hook", "events": []},
        {"url": "http://example.com/hook", "events": ["face.smiled"]},
        {"url": "http://example.com/hook", "events": ["face.registered"], "secret": "short"},
        {"events": ["face.registered"]},
    ],
    ids=["not http", "no events", "unknown event", "short secret", "no url"],
)
async def test_a_bad_subscription_is_refused(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    assert_error(await client.post("/api/webhooks", json=body), 422, "validation_error")


async def test_an_unknown_webhook_is_not_found(client: httpx.AsyncClient) -> None:
    missing = "/api/webhooks/00000000-0000-0000-0000-000000000000"
    assert_error(await client.delete(missing), 404, "webhook_not_found")
    assert_error(await client.get(f"{missing}/deliveries"), 404, "webhook_not_found")
