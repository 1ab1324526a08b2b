"""The arithmetic of a collection's calibration, on synthetic embeddings whose answers are known."""

import math
import uuid

import numpy as np

from facerec.calibration import MIN_FALSE_ACCEPTS, calibrate
from facerec.domain import FaceVector
from facerec.models.far_curve import FAR_CURVES

CURVE = FAR_CURVES["buffalo_s"]


def unit(vector: np.ndarray) -> np.ndarray:
    return np.asarray(vector / np.linalg.norm(vector), dtype=np.float32)


def gallery(persons: int, faces: int, seed: int = 7) -> list[FaceVector]:
    """Persons whose faces scatter around their own random direction (genuine scores near 0.8)."""
    rng = np.random.default_rng(seed)
    result = []
    for index in range(persons):
        person, centre = uuid.uuid4(), rng.normal(size=512)
        centre /= np.linalg.norm(centre)
        for _ in range(faces):
            embedding = unit(centre + rng.normal(size=512) * 0.02)
            result.append(FaceVector(uuid.uuid4(), person, f"person {index}", embedding))
    return result


def test_enough_strangers_set_the_threshold_from_the_collection() -> None:
    faces = gallery(60, 4)

    [row] = calibrate(faces, persons=60, fpirs=[0.1], curve=CURVE, lookalike_threshold=0.45).recommendations

    allowed = math.floor(-math.expm1(math.log1p(-0.1) / 60) * 240 * 59)
    assert allowed >= MIN_FALSE_ACCEPTS
    assert row.basis == "collection"
    assert row.stranger_scores == 240 * 59
    assert row.false_accepts == allowed
    assert row.misses == 0
    assert row.genuine_scores == 240


def test_too_few_strangers_leave_the_threshold_to_the_curve() -> None:
    [row] = calibrate(
        gallery(60, 4), persons=60, fpirs=[0.001], curve=CURVE, lookalike_threshold=0.45
    ).recommendations

    assert row.basis == "model"
    assert row.threshold == CURVE.threshold_for(fpir=0.001, persons=60)


def test_a_face_of_someone_else_is_a_possible_mislabel() -> None:
    faces = gallery(5, 3)
    stranger = gallery(1, 1, seed=99)[0]
    intruder = FaceVector(stranger.id, faces[0].person_id, faces[0].display_name, stranger.embedding)

    result = calibrate([*faces, intruder], persons=5, fpirs=[], curve=CURVE, lookalike_threshold=0.45)

    assert [row.face_id for row in result.disagreements] == [intruder.id]


def test_one_face_under_two_persons_is_a_possible_duplicate() -> None:
    faces = gallery(4, 2)
    twin = uuid.uuid4()
    copy = [FaceVector(uuid.uuid4(), twin, "copy", face.embedding) for face in faces[:2]]

    result = calibrate([*faces, *copy], persons=5, fpirs=[], curve=CURVE, lookalike_threshold=0.45)

    assert [{pair.first, pair.second} for pair in result.lookalikes] == [
        {faces[0].person_id, copy[0].person_id}
    ]
