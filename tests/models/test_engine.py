from pathlib import Path

import numpy as np
import pytest
from insightface.app import FaceAnalysis

from facerec.errors import NoFaceFound
from facerec.models.engine import FaceEngine, detector_input
from facerec.models.loader import load_engine
from facerec.models.packs import PACKS
from facerec.models.store import bundled_model_dir
from facerec.settings import Settings
from tests.photos import DEEPFACE_DIR, Photos, pixels_of


@pytest.fixture(scope="module")
def engine(settings: Settings) -> FaceEngine:
    return load_engine(settings)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> FaceAnalysis:
    """insightface's own pipeline on the same buffalo_s files."""
    pack = PACKS["buffalo_s"]
    folder = tmp_path_factory.mktemp("buffalo_s")
    for model_file in pack.files:
        (folder / model_file.name).symlink_to(bundled_model_dir() / model_file.name)
    analysis = FaceAnalysis(name=str(folder), providers=["CPUExecutionProvider"])
    analysis.prepare(ctx_id=-1, det_size=(640, 640))
    return analysis


def _unseen_photos(photos: Photos) -> list[Path]:
    extra = sorted(DEEPFACE_DIR.glob("img*.jpg"))[:8] if DEEPFACE_DIR.is_dir() else []
    return [photos.group, *extra]


@pytest.mark.filterwarnings("ignore:`estimate` is deprecated:FutureWarning")  # FaceAnalysis's norm_crop
def test_embeddings_agree_with_insightface(
    engine: FaceEngine, reference: FaceAnalysis, photos: Photos
) -> None:
    """Same pack, same image, same detector input: every face's embedding matches FaceAnalysis to cosine
    >= 0.999. (The input fitted to the photo instead of the library's square is measured in BENCHMARKS.md.)"""
    compared = 0
    for path in _unseen_photos(photos):
        pixels = pixels_of(path)
        ours = engine.encode(pixels, all_faces=True).faces
        reference.det_model.input_sizes = [detector_input(*pixels.shape[:2], side=640)]
        theirs = reference.get(pixels)
        for face in ours:
            centre = np.array([face.face.box.x1 + face.face.box.x2, face.face.box.y1 + face.face.box.y2]) / 2
            twin = min(
                theirs, key=lambda other: np.linalg.norm((other.bbox[:2] + other.bbox[2:]) / 2 - centre)
            )
            expected = twin.embedding / np.linalg.norm(twin.embedding)
            assert float(face.embedding @ expected) >= 0.999, path.name
            compared += 1
    assert compared >= 6


def test_embeddings_are_unit_float32_512(engine: FaceEngine, photos: Photos) -> None:
    pixels = pixels_of(photos.group)
    for face in engine.encode(pixels, all_faces=True).faces:
        assert face.embedding.dtype == np.float32
        assert face.embedding.shape == (512,)
        assert abs(float(np.linalg.norm(face.embedding)) - 1) < 1e-5


def test_faces_come_most_prominent_first(engine: FaceEngine, photos: Photos) -> None:
    pixels = pixels_of(photos.group)
    faces = engine.detect(pixels)
    assert len(faces) == 6
    assert [face.prominence for face in faces] == sorted((face.prominence for face in faces), reverse=True)


def test_blank_image_has_no_face(engine: FaceEngine) -> None:
    with pytest.raises(NoFaceFound):
        engine.encode(np.full((480, 640, 3), 127, dtype=np.uint8), all_faces=False)


@pytest.mark.parametrize("shape", [(20, 20000, 3), (20000, 20, 3), (1, 1, 3)])
def test_extreme_shapes_are_searched_not_crashed_on(engine: FaceEngine, shape: tuple[int, int, int]) -> None:
    """The detector scales the long side to 640: a 20000x20 strip must not collapse to zero rows."""
    with pytest.raises(NoFaceFound):
        engine.encode(np.full(shape, 90, dtype=np.uint8), all_faces=False)


def test_a_face_filling_the_frame_is_found_beside_a_small_one(engine: FaceEngine, photos: Photos) -> None:
    """The main pass sees the small face, so a fallback 'if nothing found' never looks for the big one."""
    big = pixels_of(photos.tight_face)
    big = np.repeat(np.repeat(big, 4, axis=0), 4, axis=1)  # 448x448, the face fills it
    group = pixels_of(photos.group)
    small = group[145:270, 270:372]  # one person of the group photo, about 100 px wide
    scene = big.copy()
    rows = scene.shape[0] - 330
    scene[330:, :102] = small[:rows]  # bottom-left corner, over the edge of the big face

    faces = engine.detect(scene)

    assert len(faces) == 2
    assert faces[0].box.width > 250  # the frame-filling face, most prominent


def test_photos_embedded_in_one_batch_match_photos_embedded_alone(engine: FaceEngine, photos: Photos) -> None:
    """The recognizer batch of a batch registration gives each photo the embeddings it gets alone."""
    group = pixels_of(photos.group)
    tight = pixels_of(photos.tight_face)
    together = engine.embed([engine.crop(group, all_faces=True), engine.crop(tight, all_faces=False)])
    alone = [engine.encode(group, all_faces=True), engine.encode(tight, all_faces=False)]

    assert [len(encoding.faces) for encoding in together] == [len(encoding.faces) for encoding in alone]
    for batched, single in zip(together, alone, strict=True):
        for a, b in zip(batched.faces, single.faces, strict=True):
            np.testing.assert_allclose(a.embedding, b.embedding, atol=1e-5)
            assert a.face.box == b.face.box


@pytest.mark.parametrize(
    ("height", "width", "expected"),
    [(1868, 1382, (480, 640)), (267, 400, (640, 448)), (400, 400, (640, 640)), (20, 320, (640, 64))],
)
def test_the_detector_input_fits_the_photo(height: int, width: int, expected: tuple[int, int]) -> None:
    """The long side is scaled to 640 as in the square; the short side is padded only to the stride."""
    assert detector_input(height, width, side=640) == expected
