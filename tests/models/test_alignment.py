import numpy as np
import pytest
from insightface.utils.face_align import norm_crop

from facerec.models.alignment import ARCFACE_TEMPLATE, aligned_face
from facerec.models.engine import FaceEngine
from facerec.models.loader import load_engine
from facerec.settings import Settings
from tests.photos import DEEPFACE_DIR, Photos, pixels_of


@pytest.fixture(scope="module")
def engine(settings: Settings) -> FaceEngine:
    return load_engine(settings)


@pytest.mark.filterwarnings("ignore:`estimate` is deprecated:FutureWarning")  # norm_crop's own, the reason
def test_crops_are_those_of_insightface_norm_crop(engine: FaceEngine, photos: Photos) -> None:
    paths = [photos.group, *sorted(DEEPFACE_DIR.glob("img*.jpg"))[:4]]
    compared = 0
    for path in paths:
        pixels = pixels_of(path)
        for face in engine.detect(pixels):
            assert np.array_equal(aligned_face(pixels, face.landmarks), norm_crop(pixels, face.landmarks))
            compared += 1
    assert compared >= 6  # the group photo alone shows six people


def test_the_template_maps_onto_itself(photos: Photos) -> None:
    pixels = np.asarray(photos.open(photos.tight_face))[:112, :112].copy()
    assert np.array_equal(aligned_face(pixels, ARCFACE_TEMPLATE), pixels)


def test_degenerate_landmarks_give_a_black_crop() -> None:
    grey = np.full((200, 200, 3), 77, dtype=np.uint8)
    crop = aligned_face(grey, np.full((5, 2), 56, dtype=np.float32))
    assert crop.shape == (112, 112, 3)
    assert not crop.any()
