"""Clustering unnamed faces, on real photos: six strangers stay apart, a person's photos come together."""

from pathlib import Path

import numpy as np
import pytest
from PIL import ImageOps

from facerec.clustering import cluster_faces
from facerec.imaging.intake import decode_image
from facerec.models.engine import FaceEngine
from facerec.models.faces import FloatArray
from facerec.models.loader import load_engine
from facerec.settings import Settings
from tests.photos import DEEPFACE_DIR, PHOTO_LIMITS, Photos, deepface_labels, encoded

LABELS = deepface_labels()


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return load_engine(Settings(_env_file=None, intra_op_threads=1))


def faces_of(engine: FaceEngine, data: bytes) -> list[FloatArray]:
    pixels = decode_image(data, PHOTO_LIMITS).pixels
    return [face.embedding for face in engine.encode(pixels, all_faces=True).faces]


def test_strangers_stay_apart_and_a_face_seen_twice_is_grouped(engine: FaceEngine, photos: Photos) -> None:
    group = faces_of(engine, photos.bytes_of(photos.group))
    mirrored = faces_of(engine, encoded(ImageOps.mirror(photos.open(photos.group))))

    assert cluster_faces(group) == []  # six different people: no group
    clusters = cluster_faces([*group, *mirrored])
    assert len(clusters) == 6
    assert all(len(c) == 2 for c in clusters)
    # each face with its mirror image: the closest face of the other photo
    for first, second in clusters:
        assert first < len(group) <= second
        assert int(np.argmax([group[first] @ m for m in mirrored])) == second - len(group)


def test_too_few_faces() -> None:
    face = np.eye(512, dtype=np.float32)[0]

    assert cluster_faces([]) == []
    assert cluster_faces([face]) == []
    assert cluster_faces([face], min_size=1) == [[0]]


@pytest.mark.skipif(LABELS is None, reason=f"{DEEPFACE_DIR} is absent")
def test_the_labelled_people_of_faces_deepface_come_out_as_pure_groups(engine: FaceEngine) -> None:
    assert LABELS is not None
    paths = sorted(LABELS)
    embeddings = [faces_of(engine, (DEEPFACE_DIR / Path(p)).read_bytes())[0] for p in paths]

    clusters = cluster_faces(embeddings)

    people = [{LABELS[paths[i]] for i in cluster} for cluster in clusters]
    assert all(len(who) == 1 for who in people)  # no group mixes two people
    grouped = sum(len(c) for c in clusters)
    assert grouped >= 0.9 * len(paths)
    assert len(clusters) <= len(set(LABELS.values())) + 3
