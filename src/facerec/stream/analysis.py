"""One stream's frames, one at a time: decode, detect, measure, track, and embed the faces due for
recognition. Blocking (it runs on the inference threads); knows nothing of WebSockets or the database."""

import math
from dataclasses import dataclass, field

from facerec.imaging.intake import decode_image
from facerec.models.engine import FaceEngine
from facerec.models.faces import Box, FloatArray
from facerec.models.quality import FaceQuality
from facerec.models.sessions import ALIGNED_FACE_SIDE
from facerec.stream.tracker import Track, Tracker

# A track is recognised again before its turn when its face is this much better than at its best
# recognition so far (e.g. it came closer or turned to the camera).
QUALITY_GAIN = 1.25


@dataclass(frozen=True)
class StreamOptions:
    min_face_size: int  # px: smaller faces are tracked but never recognised
    recognise_every: int  # frames between two recognitions of one track


@dataclass(frozen=True)
class SeenFace:
    """A tracked face in one frame; `embedding` is there when this frame recognises it."""

    track: int
    box: Box
    quality: FaceQuality
    embedding: FloatArray | None


@dataclass(frozen=True)
class FrameAnalysis:
    faces: list[SeenFace]
    started: list[Track]
    ended: list[Track]


def quality_score(quality: FaceQuality) -> float:
    """One number to compare two sightings of a face: confidence, size up to the aligned crop's side, and
    how frontal it is."""
    size = min(1.0, quality.face_size / ALIGNED_FACE_SIDE)
    frontal = max(0.0, math.cos(math.radians(quality.pose.yaw)) * math.cos(math.radians(quality.pose.pitch)))
    return quality.det_score * size * frontal


@dataclass
class _Recognised:
    frame: int
    score: float


@dataclass
class FrameAnalyser:
    engine: FaceEngine
    options: StreamOptions
    max_image_pixels: int
    tracker: Tracker = field(default_factory=Tracker)
    frames: int = 0
    recognitions: int = 0
    _recognised: dict[int, _Recognised] = field(default_factory=dict)

    def analyse(self, data: bytes) -> FrameAnalysis:
        image = decode_image(data, max_pixels=self.max_image_pixels).pixels
        self.frames += 1
        detected = self.engine.detect(image)
        qualities = self.engine.assess(image, detected)
        update = self.tracker.update([face.box for face in detected])
        for track in update.ended:
            self._recognised.pop(track.id, None)
        due = [
            index
            for index, (track, quality) in enumerate(zip(update.assigned, qualities, strict=True))
            if self._due(track, quality)
        ]
        embedded = self.engine.embed(image, [detected[i] for i in due]) if due else []
        embeddings = dict(zip(due, embedded, strict=True))
        for index in due:
            track = update.assigned[index]
            self._recognised[track.id] = _Recognised(self.frames, quality_score(qualities[index]))
        self.recognitions += len(due)
        faces = [
            SeenFace(
                track.id,
                face.box,
                quality,
                embeddings[index].embedding if index in embeddings else None,
            )
            for index, (face, quality, track) in enumerate(
                zip(detected, qualities, update.assigned, strict=True)
            )
        ]
        return FrameAnalysis(faces, update.started, update.ended)

    def _due(self, track: Track, quality: FaceQuality) -> bool:
        if quality.face_size < self.options.min_face_size:
            return False
        last = self._recognised.get(track.id)
        return (
            last is None
            or self.frames - last.frame >= self.options.recognise_every
            or quality_score(quality) >= last.score * QUALITY_GAIN
        )
