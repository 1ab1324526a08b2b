"""The face engine: SCRFD detection, 5-point alignment to 112x112, ArcFace embedding.

insightface's own model classes run on sessions we create, so providers and thread counts are ours.
"""

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from insightface.model_zoo.arcface_onnx import ArcFaceONNX
from insightface.model_zoo.scrfd import SCRFD

from facerec.errors import FaceTooSmall, NoFaceFound
from facerec.models.alignment import ARCFACE_TEMPLATE, aligned_face
from facerec.models.cores import CoreShare
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
    open_model,
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
# SCRFD's coarsest feature stride: its input sides must be multiples of it.
DETECTOR_STRIDE = 32


StageTimer = Callable[[str, float], None]  # told each stage's seconds: "detector" or "recognizer"


@dataclass(frozen=True)
class Cropped:
    """The chosen faces of one photo, aligned to 112x112, and how many faces were found and usable."""

    faces: list[DetectedFace]
    crops: list[ImageArray]
    detected: int
    recognisable: int


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
        cores = CoreShare()
        detector_session = open_model(
            files.detector, device=options.device, intra_op_threads=options.intra_op_threads, cores=cores
        )
        check_detector(detector_session, files.detector)
        recognizer_session = open_model(
            files.recognizer, device=options.device, intra_op_threads=options.intra_op_threads, cores=cores
        )
        check_recognizer(recognizer_session, files.recognizer)
        # One session for every input shape: the input fits each photo (`detector_input`), so the shapes are
        # many, and insightface's default (a static-shape session per shape) would build sessions per request.
        self._detector = SCRFD(str(files.detector), session=detector_session, static_shape_sessions=False)
        self._detector.prepare(
            0, input_size=(options.det_size, options.det_size), det_thresh=options.det_threshold
        )
        self._recognizer = ArcFaceONNX(str(files.recognizer), session=recognizer_session)

    def warm_up(self) -> None:
        """Run every path once, so the first request is as fast as the rest."""
        blank = np.zeros((self.options.det_size, self.options.det_size, 3), dtype=np.uint8)
        self._detect(blank, self.options.det_size)
        self._detect(blank, COARSE_SIDE)  # SCRFD makes a session per input size on first use
        self.embed_faces(blank, [DetectedFace(Box(0, 0, 1, 1), ARCFACE_TEMPLATE, score=0, prominence=0)])

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
        (encoding,) = self.embed([self.crop(image, all_faces=all_faces)])
        return encoding

    def crop(self, image: ImageArray, *, all_faces: bool) -> Cropped:
        """Detect the faces and align the chosen ones (the most prominent, or every one large enough to
        recognise), ready for `embed`. The image itself is no longer needed after this."""
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
        crops = [aligned_face(image, face.landmarks) for face in chosen]
        return Cropped(chosen, crops, detected=len(detected), recognisable=len(usable))

    def embed(self, photos: Sequence[Cropped]) -> list[Encoding]:
        """Embed the crops of every photo in one recognizer batch and measure each face's quality on its
        crop; one encoding per photo, in order."""
        if not photos:
            return []
        crops = [crop for photo in photos for crop in photo.crops]
        started = time.perf_counter()
        raw = np.asarray(self._recognizer.get_feat(crops), dtype=np.float32)
        self._time("recognizer", started)
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        vectors = iter(raw / np.maximum(norms, np.finfo(np.float32).tiny))
        return [
            Encoding(
                faces=[
                    EncodedFace(face, next(vectors), _quality(face, crop))
                    for face, crop in zip(photo.faces, photo.crops, strict=True)
                ],
                detected=photo.detected,
                recognisable=photo.recognisable,
            )
            for photo in photos
        ]

    def _detect(self, image: ImageArray, side: int) -> list[DetectedFace]:
        started = time.perf_counter()
        searched = _widen_strip(image)
        input_size = detector_input(*searched.shape[:2], side=side)
        boxes, landmarks = self._detector.detect(searched, input_size=[input_size])
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

    def embed_faces(self, image: ImageArray, faces: list[DetectedFace]) -> list[EncodedFace]:
        """Embed the given faces of one image (a video frame's tracks due for recognition)."""
        if not faces:
            return []
        (encoding,) = self.embed([crop_faces(image, faces)])
        return encoding.faces

    def _time(self, stage: str, started: float) -> None:
        if self._timer is not None:
            self._timer(stage, time.perf_counter() - started)


def crop_faces(image: ImageArray, faces: list[DetectedFace]) -> Cropped:
    """The given faces of one image (already chosen, e.g. found again or tracked), aligned for `embed`."""
    crops = [aligned_face(image, face.landmarks) for face in faces]
    return Cropped(faces, crops, detected=len(faces), recognisable=len(faces))


def _quality(face: DetectedFace, aligned: ImageArray) -> FaceQuality:
    return FaceQuality(
        det_score=face.score,
        face_size=min(face.box.width, face.box.height),
        sharpness=sharpness(aligned),
        pose=estimate_pose(face.landmarks),
    )


def detector_input(height: int, width: int, *, side: int) -> tuple[int, int]:
    """(width, height) of the detector input for a photo: scaled so that its long side is `side`, as
    insightface does, but padded only up to the next multiple of the stride instead of to a square. The
    photo's scale, and so every face, box and landmark, is what the square gives; a 3:2 photo costs 2/3 of
    the detector's work. Measured in docs/BENCHMARKS.md."""
    scale = side / max(height, width)

    def fitted(length: int) -> int:
        return min(side, math.ceil(length * scale / DETECTOR_STRIDE) * DETECTOR_STRIDE)

    return fitted(width), fitted(height)


def _widen_strip(image: ImageArray) -> ImageArray:
    height, width = image.shape[:2]
    shortest = -(-max(height, width) // MAX_ASPECT_RATIO)
    if min(height, width) >= shortest:
        return image
    padding = ((0, max(0, shortest - height)), (0, max(0, shortest - width)), (0, 0))
    widened: ImageArray = np.pad(image, padding, mode="constant")
    return widened
