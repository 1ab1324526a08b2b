"""The face engine: SCRFD detection, 5-point alignment to 112x112, ArcFace embedding.

insightface's own model classes run on sessions we create, so providers and thread counts are ours.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from insightface.model_zoo.arcface_onnx import ArcFaceONNX
from insightface.model_zoo.scrfd import SCRFD

from facerec.errors import FaceTooSmall, NoFaceFound
from facerec.models.alignment import ARCFACE_TEMPLATE, aligned_face
from facerec.models.faces import (
    Box,
    DetectedFace,
    EncodedFace,
    Encoding,
    ImageArray,
    prominence,
)
from facerec.models.quality import FaceQuality, estimate_pose, sharpness
from facerec.models.sessions import (
    Device,
    check_detector,
    check_recognizer,
    open_session,
)
from facerec.models.store import PackFiles

# SCRFD misses a face that fills the frame (insightface issue 1518): at 640 it found 33% of 733 tight face
# crops. A second pass at 128x128 finds them all for about 5% more work. Every main-pass face is kept as
# it is (normal photos give exactly the main pass's faces and embeddings); a coarse-pass face is added only
# where it overlaps no main-pass face. Measured in docs/DETECTION.md.
COARSE_SIDE = 128
SAME_FACE_IOU = 0.4
# The detector scales the long side to det_size; a thinner image would scale its short side to nothing.
# Such strips are padded (bottom/right, so coordinates do not move) up to this aspect ratio.
MAX_ASPECT_RATIO = 16


StageTimer = Callable[[str, float], None]  # told each stage's seconds: "detector" or "recognizer"


@dataclass(frozen=True)
class EngineOptions:
    det_size: int = 640
    det_threshold: float = 0.5
    min_face_size: int = 20
    device: Device = "auto"
    intra_op_threads: int = 0


class FaceEngine:
    """Turns a decoded image into face embeddings. Thread-safe; knows nothing of HTTP."""

    def __init__(self, files: PackFiles, options: EngineOptions, timer: StageTimer | None = None) -> None:
        self.pack_name = files.pack.name
        self.options = options
        self._timer = timer
        detector_session = open_session(
            files.detector, device=options.device, intra_op_threads=options.intra_op_threads
        )
        check_detector(detector_session, files.detector)
        recognizer_session = open_session(
            files.recognizer, device=options.device, intra_op_threads=options.intra_op_threads
        )
        check_recognizer(recognizer_session, files.recognizer)
        self._detector = SCRFD(str(files.detector), session=detector_session)
        self._detector.prepare(
            0, input_size=(options.det_size, options.det_size), det_thresh=options.det_threshold
        )
        self._recognizer = ArcFaceONNX(str(files.recognizer), session=recognizer_session)

    def warm_up(self) -> None:
        """Run every path once, so the first request is as fast as the rest."""
        blank = np.zeros((self.options.det_size, self.options.det_size, 3), dtype=np.uint8)
        self._detect(blank, self.options.det_size)
        self._detect(blank, COARSE_SIDE)  # SCRFD makes a session per input size on first use
        self.embed(blank, [DetectedFace(Box(0, 0, 1, 1), ARCFACE_TEMPLATE, score=0, prominence=0)])

    def detect(self, image: ImageArray) -> list[DetectedFace]:
        """Every face found, most prominent first."""
        main = self._detect(image, self.options.det_size)
        coarse = [
            face
            for face in self._detect(image, COARSE_SIDE)
            if all(face.box.iou(kept.box) < SAME_FACE_IOU for kept in main)
        ]
        return sorted(main + coarse, key=lambda face: face.prominence, reverse=True)

    def encode(self, image: ImageArray, *, all_faces: bool) -> Encoding:
        """Embed the most prominent face, or every face large enough to recognise."""
        detected = self.detect(image)
        if not detected:
            raise NoFaceFound("no face was found in the image")
        usable = [face for face in detected if face.box.width >= self.options.min_face_size]
        if not usable:
            raise FaceTooSmall(
                f"the largest face is {detected[0].box.width:.0f} px wide; "
                f"at least {self.options.min_face_size} px is needed"
            )
        chosen = usable if all_faces else usable[:1]
        return Encoding(
            faces=self.embed(image, chosen),
            detected=len(detected),
            recognisable=len(usable),
        )

    def _detect(self, image: ImageArray, size: int) -> list[DetectedFace]:
        started = time.perf_counter()
        boxes, landmarks = self._detector.detect(_widen_strip(image), input_size=[(size, size)])
        self._time("detector", started)
        height, width = image.shape[:2]
        faces = []
        for row, points in zip(boxes, landmarks, strict=True):
            box = Box(*(float(value) for value in row[:4]))
            faces.append(
                DetectedFace(
                    box=box,
                    landmarks=points.astype(np.float32),
                    score=float(row[4]),
                    prominence=prominence(box, width, height),
                )
            )
        return faces

    def assess(self, image: ImageArray, faces: list[DetectedFace]) -> list[FaceQuality]:
        """Each face's quality, measured on its aligned crop, without embedding it."""
        return [_quality(face, aligned_face(image, face.landmarks)) for face in faces]

    def embed(self, image: ImageArray, faces: list[DetectedFace]) -> list[EncodedFace]:
        """Align each face, embed the crops in one batch and measure each face's quality on its crop."""
        crops = [aligned_face(image, face.landmarks) for face in faces]
        started = time.perf_counter()
        raw = np.asarray(self._recognizer.get_feat(crops), dtype=np.float32)
        self._time("recognizer", started)
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        vectors = raw / np.maximum(norms, np.finfo(np.float32).tiny)
        return [
            EncodedFace(face, vector, _quality(face, crop))
            for face, vector, crop in zip(faces, vectors, crops, strict=True)
        ]

    def _time(self, stage: str, started: float) -> None:
        if self._timer is not None:
            self._timer(stage, time.perf_counter() - started)


def _quality(face: DetectedFace, aligned: ImageArray) -> FaceQuality:
    return FaceQuality(
        det_score=face.score,
        face_size=min(face.box.width, face.box.height),
        sharpness=sharpness(aligned),
        pose=estimate_pose(face.landmarks),
    )


def _widen_strip(image: ImageArray) -> ImageArray:
    height, width = image.shape[:2]
    shortest = -(-max(height, width) // MAX_ASPECT_RATIO)
    if min(height, width) >= shortest:
        return image
    padding = ((0, max(0, shortest - height)), (0, max(0, shortest - width)), (0, 0))
    widened: ImageArray = np.pad(image, padding, mode="constant")
    return widened
