"""Fuzz every operation of the OpenAPI document against the running service: no generated request may
cause a 5xx, and every answer must be one the document declares (status code, content type and body).

The document comes from the application itself; the requests go to the real service in a subprocess
(`served`). Hooks steer part of the generated cases to where the interesting answers are: real photos in
the uploads, so that the model and the store answer; ids of faces that exist, so that the by-id routes do."""

import os
from base64 import b64encode
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from facerec.api.app import create_app
from facerec.settings import Settings
from tests.api.faces import people
from tests.fuzz.service import served
from tests.photos import Photos

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Per operation, on top of Schemathesis's examples and coverage cases; sized so the module runs in about a
# minute on two cores. A longer run (FACEREC_FUZZ_EXAMPLES=200) finds rarer inputs, such as U+0000 in text.
MAX_EXAMPLES = int(os.environ.get("FACEREC_FUZZ_EXAMPLES", "25"))
REQUEST_TIMEOUT_S = 30

schema = schemathesis.openapi.from_dict(create_app(Settings(_env_file=None)).openapi())

_photos = Photos()
ONE_FACE = people(_photos)[0].photo()
SIX_FACES = _photos.bytes_of(_photos.group)
PHOTOS = (ONE_FACE, SIX_FACES)


class KnownFaces:
    """Ids of faces that exist on the service: set by the `known_face` fixture before each operation's
    test, read by the hook below while Hypothesis generates that test's cases."""

    ids: ClassVar[list[str]] = []


@schema.hook
def flatmap_case(_: schemathesis.HookContext, case: Case[Any]) -> st.SearchStrategy[Case[Any]]:
    """Uploads keep their generated image (which must be refused with a 4xx) or carry a real photo: as
    bytes in a form, as base64 text in a JSON body. Decided by the case's media type, since a generated
    JSON body's image may be anything: text, a URL object, a number."""
    body = case.body
    if not isinstance(body, dict) or "image" not in body:
        return st.just(case)
    as_text = "json" in (case.media_type or "")
    photos = [b64encode(photo).decode() if as_text else photo for photo in PHOTOS]

    def with_image(image: Any) -> Case[Any]:
        case.body = {**body, "image": image}
        return case

    return st.sampled_from([body["image"], *photos]).map(with_image)


@schema.hook
def flatmap_path_parameters(_: schemathesis.HookContext, parameters: Any) -> st.SearchStrategy[Any]:
    """A face id is the generated one or the id of a face that exists."""
    if not isinstance(parameters, dict) or "face_id" not in parameters:
        return st.just(parameters)
    return st.sampled_from([parameters, *({**parameters, "face_id": id_} for id_ in KnownFaces.ids)])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served(tmp_path_factory.mktemp("service")) as url:
        yield url


@pytest.fixture
def known_face(base_url: str) -> Iterator[str]:
    """A fresh face for each operation's test: a DELETE among the cases must not leave the rest with none."""
    response = httpx.post(
        f"{base_url}/api/face/register",
        files={"image": ("one.jpg", ONE_FACE, "image/jpeg")},
        data={"displayName": "known face", "metadata": '{"seeded": true}'},
        timeout=REQUEST_TIMEOUT_S,
    )
    assert response.status_code == 201, response.text
    KnownFaces.ids = [response.json()["id"]]
    yield KnownFaces.ids[0]
    KnownFaces.ids = []


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # `known_face` is meant to be shared by an operation's cases
    ],
)
def test_api_conforms_to_its_schema(case: Case[Any], base_url: str, known_face: str) -> None:
    case.call_and_validate(base_url, checks=CHECKS, timeout=REQUEST_TIMEOUT_S)
