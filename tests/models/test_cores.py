"""A run that starts alone takes the session with every thread; one that starts beside another takes the
one-thread session, which gives the same outputs."""

import threading
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import pytest

from facerec.models.cores import CoreShare, Outputs, SharedSession
from facerec.models.faces import ImageArray
from facerec.models.loader import load_engine
from facerec.models.packs import PACKS
from facerec.models.sessions import open_session
from facerec.models.store import bundled_model_dir
from facerec.settings import Settings
from tests.photos import Photos, pixels_of

Feed = dict[str, npt.NDArray[np.float32]]
BUFFALO_S = PACKS["buffalo_s"]


class FakeSession:
    """Records which session ran; `hold` keeps a run under way until it is set."""

    def __init__(self, name: str, runs: list[str], hold: threading.Event | None = None) -> None:
        self.name = name
        self.runs = runs
        self.hold = hold
        self.started = threading.Event()

    def get_inputs(self) -> list[ort.NodeArg]:
        return []

    def get_outputs(self) -> list[ort.NodeArg]:
        return []

    def get_providers(self) -> list[str]:
        return []

    def run(
        self, output_names: Sequence[str] | None, input_feed: Feed, run_options: object = None
    ) -> Outputs:
        self.runs.append(self.name)
        self.started.set()
        if self.hold is not None:
            assert self.hold.wait(timeout=10)
        return []


class FailingSession(FakeSession):
    def run(
        self, output_names: Sequence[str] | None, input_feed: Feed, run_options: object = None
    ) -> Outputs:
        super().run(output_names, input_feed, run_options)
        raise RuntimeError("the run failed")


def test_a_lone_run_takes_every_thread() -> None:
    runs: list[str] = []
    session = SharedSession(FakeSession("alone", runs), FakeSession("beside", runs), CoreShare())
    session.run(None, {})
    session.run(None, {})
    assert runs == ["alone", "alone"]


def test_a_run_that_starts_beside_another_of_the_engine_takes_one_thread() -> None:
    """The detector of one request is under way: the recognizer of another takes its one-thread session,
    and once the detector is done, the next run is alone again."""
    cores = CoreShare()
    runs: list[str] = []
    release = threading.Event()
    held = FakeSession("detector alone", runs, hold=release)
    detector = SharedSession(held, FakeSession("detector beside", runs), cores)
    recognizer = SharedSession(
        FakeSession("recognizer alone", runs), FakeSession("recognizer beside", runs), cores
    )
    under_way = threading.Thread(target=detector.run, args=(None, {}))
    under_way.start()
    assert held.started.wait(timeout=10)
    recognizer.run(None, {})
    release.set()
    under_way.join(timeout=10)
    recognizer.run(None, {})
    assert runs == ["detector alone", "recognizer beside", "recognizer alone"]


def test_a_failed_run_ends_its_turn() -> None:
    runs: list[str] = []
    cores = CoreShare()
    failing = SharedSession(FailingSession("failing", runs), FakeSession("failing beside", runs), cores)
    session = SharedSession(FakeSession("alone", runs), FakeSession("beside", runs), cores)
    with pytest.raises(RuntimeError):
        failing.run(None, {})
    session.run(None, {})
    assert runs == ["failing", "alone"]


def _blob(image: ImageArray, size: tuple[int, int], scale: float) -> npt.NDArray[np.float32]:
    blob = cv2.dnn.blobFromImage(image, scale, size, (127.5, 127.5, 127.5), swapRB=True)
    return np.asarray(blob, dtype=np.float32)


@pytest.mark.parametrize(
    ("model", "photo", "size", "scale"),
    [
        (BUFFALO_S.detector.name, "group", (640, 640), 1 / 128),
        (BUFFALO_S.recognizer.name, "tight_face", (112, 112), 1 / 127.5),
    ],
)
def test_both_sessions_give_bitwise_the_same_outputs(
    photos: Photos, model: str, photo: str, size: tuple[int, int], scale: float
) -> None:
    path = bundled_model_dir() / model
    alone = open_session(path, device="cpu", intra_op_threads=2, spinning=True)
    beside = open_session(path, device="cpu", intra_op_threads=1)
    image = pixels_of(getattr(photos, photo))
    feed = {alone.get_inputs()[0].name: _blob(image, size, scale)}
    for alone_output, beside_output in zip(alone.run(None, feed), beside.run(None, feed), strict=True):
        assert np.array_equal(alone_output, beside_output)


def test_concurrent_encodes_give_the_embeddings_of_lone_ones(settings: Settings, photos: Photos) -> None:
    """Two threads encode at once, so most of their runs take the one-thread sessions."""
    engine = load_engine(settings)
    image = pixels_of(photos.group)
    lone = engine.encode(image, all_faces=True)
    results: list[list[npt.NDArray[np.float32]]] = []

    def encode_repeatedly() -> None:
        for _ in range(3):
            results.append([face.embedding for face in engine.encode(image, all_faces=True).faces])

    threads = [threading.Thread(target=encode_repeatedly) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6
    for embeddings in results:
        assert all(np.array_equal(a, b.embedding) for a, b in zip(embeddings, lone.faces, strict=True))
