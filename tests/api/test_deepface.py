"""Identification on real photos of 13 people (../shared/data/faces-deepface), when that set is present."""

from collections import defaultdict

import httpx
import pytest

from tests.api.helpers import image_file
from tests.photos import DEEPFACE_DIR, deepface_labels

LABELS = deepface_labels()
pytestmark = pytest.mark.skipif(LABELS is None, reason=f"{DEEPFACE_DIR} is absent")
GALLERY_PER_PERSON = 2
NEVER_ENROLLED = ("person04", "person11")  # every one of their photos is a probe of a stranger


def _split() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    by_person: dict[str, list[str]] = defaultdict(list)
    for path, identity in (LABELS or {}).items():
        by_person[identity].append(path)
    gallery = {p: paths[:GALLERY_PER_PERSON] for p, paths in by_person.items() if p not in NEVER_ENROLLED}
    probes = {
        p: paths if p in NEVER_ENROLLED else paths[GALLERY_PER_PERSON:] for p, paths in by_person.items()
    }
    return gallery, probes


async def test_registered_people_are_found_and_strangers_are_not(client: httpx.AsyncClient) -> None:
    gallery, probes = _split()
    for identity, paths in gallery.items():
        for path in paths:
            response = await client.post(
                "/api/face/register",
                files=image_file((DEEPFACE_DIR / path).read_bytes()),
                data={"displayName": identity, "mostProminent": "true"},
            )
            assert response.status_code == 201, f"{path}: {response.text}"

    wrong: list[str] = []
    for identity, paths in probes.items():
        for path in paths:
            body = (
                await client.post("/api/face/search", files=image_file((DEEPFACE_DIR / path).read_bytes()))
            ).json()
            top = body["matches"][0]["displayName"] if body["matches"] else None
            expected = None if identity in NEVER_ENROLLED else identity
            if top != expected:
                wrong.append(f"{path} ({identity}) -> {top}")
    assert wrong == []
