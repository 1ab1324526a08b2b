"""What the face store refuses, on a real Postgres."""

import uuid

import asyncpg
import numpy as np
import pytest

from facerec.db.faces import FaceStore
from facerec.domain import NewFace
from facerec.errors import PersonNotFound
from facerec.models.faces import Box
from tests.db.test_face_search import fill, unit_vectors


async def test_a_face_of_a_person_gone_meanwhile_is_refused_naming_the_person(
    connection: asyncpg.Connection,
) -> None:
    """The person is deleted between the service's check and the insert: nothing is stored."""
    collection_id, _ = await fill(connection, "mine", unit_vectors(1, 1))
    gone = uuid.uuid4()
    face = NewFace(
        id=uuid.uuid4(),
        person_id=gone,
        image_url=None,
        embedding=unit_vectors(1, 2)[0],
        model="buffalo_s",
        det_score=0.9,
        box=Box(0, 0, 10, 10),
        landmarks=np.zeros((5, 2), dtype=np.float32),
        metadata={},
        image=None,
    )
    with pytest.raises(PersonNotFound, match=str(gone)):
        await FaceStore(connection).add(collection_id, face)
    assert await connection.fetchval("SELECT count(*) FROM faces WHERE id = $1", face.id) == 0
