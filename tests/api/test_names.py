"""Display names end to end: stored composed (NFC), found by either spelling, deceptive ones refused."""

import httpx

from tests.api.faces import people
from tests.api.helpers import assert_error, image_file
from tests.photos import Photos

DECOMPOSED = "Jose\u0301 Rami\u0301rez"  # e + combining acute, as macOS file names and some keyboards send
COMPOSED = "Jos\u00e9 Ram\u00edrez"


async def test_a_name_is_stored_composed_and_found_by_either_spelling(
    client: httpx.AsyncClient, photos: Photos
) -> None:
    photo = people(photos)[0].photo()
    created = await client.post(
        "/api/face/register", files=image_file(photo), data={"displayName": f"\u200b{DECOMPOSED} "}
    )
    assert created.status_code == 201, created.text
    assert created.json()["displayName"] == COMPOSED

    for spelling in (DECOMPOSED, COMPOSED):
        listed = (await client.get("/api/faces", params={"displayName": spelling})).json()["faces"]
        assert [face["id"] for face in listed] == [created.json()["id"]]


async def test_patch_refuses_a_bidi_override_and_keeps_the_name(
    client: httpx.AsyncClient, photos: Photos
) -> None:
    created = await client.post(
        "/api/face/register", files=image_file(people(photos)[1].photo()), data={"displayName": "Ada"}
    )
    face_url = f"/api/face/{created.json()['id']}"

    refused = await client.patch(face_url, json={"displayName": "Ada\u202e"})

    assert_error(refused, 422, "validation_error")
    assert (await client.get(face_url)).json()["displayName"] == "Ada"
