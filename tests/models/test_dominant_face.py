"""The subject of a photo with several faces, on real photos: group photos have none; a portrait with
bystanders, and a press photo from faces-deepface, have one."""

import dataclasses

import pytest

from facerec.models.engine import FaceEngine
from facerec.models.faces import DOMINANCE, EncodedFace, ImageArray, dominant_face
from facerec.models.loader import load_engine
from facerec.settings import Settings
from tests.photos import DEEPFACE_DIR, Photos, pixels_of

needs_deepface = pytest.mark.skipif(not DEEPFACE_DIR.is_dir(), reason=f"{DEEPFACE_DIR} is absent")


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return load_engine(Settings(_env_file=None, intra_op_threads=1))


def faces_in(engine: FaceEngine, pixels: ImageArray) -> list[EncodedFace]:
    return engine.encode(pixels, all_faces=True).faces


def with_prominence(face: EncodedFace, prominence: float) -> EncodedFace:
    return dataclasses.replace(face, face=dataclasses.replace(face.face, prominence=prominence))


def test_a_group_photo_has_no_subject(engine: FaceEngine, photos: Photos) -> None:
    faces = faces_in(engine, pixels_of(photos.group))

    assert len(faces) == 6
    assert dominant_face(faces) is None  # six faces of about the same size side by side


def test_the_subject_must_be_dominance_times_as_prominent(engine: FaceEngine, photos: Photos) -> None:
    first, second = faces_in(engine, pixels_of(photos.group))[:2]
    subject = with_prominence(first, DOMINANCE * second.face.prominence)
    rival = with_prominence(first, 0.99 * DOMINANCE * second.face.prominence)

    assert dominant_face([second, subject]) == subject  # whatever the order
    assert dominant_face([second, rival]) is None
    assert dominant_face([second]) == second
    assert dominant_face([]) is None


@needs_deepface
@pytest.mark.parametrize("group", ["couple.jpg", "selfie-many-people.jpg"])
def test_photos_of_people_together_have_no_subject(engine: FaceEngine, group: str) -> None:
    faces = faces_in(engine, pixels_of(DEEPFACE_DIR / group))

    assert len(faces) > 1
    assert dominant_face(faces) is None


@needs_deepface
def test_a_press_photo_with_bystanders_has_its_subject(engine: FaceEngine) -> None:
    """img54.jpg: person04 in front, two people behind; the subject is the face that matches person04's
    portrait img3.jpg, and no bystander does."""
    faces = faces_in(engine, pixels_of(DEEPFACE_DIR / "img54.jpg"))
    portrait = faces_in(engine, pixels_of(DEEPFACE_DIR / "img3.jpg"))[0]

    subject = dominant_face(faces)

    assert len(faces) == 3
    assert subject is not None
    assert float(subject.embedding @ portrait.embedding) >= 0.40
    assert all(float(face.embedding @ portrait.embedding) < 0.2 for face in faces if face is not subject)
