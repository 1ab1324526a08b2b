"""A person's score from several faces, on real faces of faces-deepface: the centroid of their embeddings."""

from pathlib import Path

import numpy as np
import pytest

from facerec.models.engine import FaceEngine
from facerec.models.faces import FloatArray
from facerec.models.loader import load_engine
from facerec.person_score import centroid, person_score
from facerec.settings import Settings
from tests.photos import DEEPFACE_DIR, deepface_labels, pixels_of

LABELS = deepface_labels()


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return load_engine(Settings(_env_file=None, intra_op_threads=1))


def embedding(engine: FaceEngine, path: Path) -> FloatArray:
    return engine.encode(pixels_of(path), all_faces=False).faces[0].embedding


def test_one_face_scores_as_that_face() -> None:
    a, b = np.eye(512, dtype=np.float32)[:2]
    probe = (a + b) / np.linalg.norm(a + b)

    assert person_score(probe, [a]) == pytest.approx(float(probe @ a))


def test_the_centroid_is_the_normalised_mean() -> None:
    a, b = np.eye(512, dtype=np.float32)[:2]

    assert np.allclose(centroid([a, b]), (a + b) / np.sqrt(2))
    assert person_score(a, [a, b]) == pytest.approx(1 / np.sqrt(2))
    with pytest.raises(ValueError, match="at least one"):
        centroid([])
    with pytest.raises(ValueError, match="cancel"):
        centroid([a, -a])


@pytest.mark.skipif(LABELS is None, reason=f"{DEEPFACE_DIR} is absent")
def test_a_person_with_several_faces_scores_a_hard_photo_above_its_average_similarity(
    engine: FaceEngine,
) -> None:
    """person02's hardest photo (img46.jpg: 0.362 against img27.jpg, 0.533 on average over person02's other
    seven photos) scores well above that average against their centroid, and a stranger stays far below."""
    assert LABELS is not None
    faces = [
        embedding(engine, DEEPFACE_DIR / p)
        for p, who in LABELS.items()
        if who == "person02" and p != "img46.jpg"
    ]
    probe = embedding(engine, DEEPFACE_DIR / "img46.jpg")
    stranger = embedding(engine, DEEPFACE_DIR / next(p for p, who in LABELS.items() if who == "person01"))

    score = person_score(probe, faces)

    assert len(faces) >= 4
    assert score > float(np.mean([probe @ face for face in faces])) + 0.1
    assert score >= 0.40  # found at the default threshold
    assert person_score(stranger, faces) < 0.2
