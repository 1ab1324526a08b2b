"""`facerec reembed --model NAME`: every stored face embedded again from its stored photo with pack NAME,
beside the vector it has, so that a service on the old pack keeps searching while this runs and a service
on NAME finds every face once it is done. A face is done once it has a NAME vector, so a second run does
only what the first left.

The photo is searched again with NAME's detector and the face whose box overlaps the stored one is taken
(`SAME_FACE_IOU`, the engine's own rule for one face seen twice): the registered face, not whichever is
most prominent. Faces stored without a photo, or whose face is not found again, are listed."""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg

from facerec.db.embeddings import EmbeddingStore
from facerec.domain import FaceToReembed
from facerec.errors import FacerecError
from facerec.executor import BlockingRunner
from facerec.imaging.intake import ImageLimits, decode_image
from facerec.models.engine import SAME_FACE_IOU, Cropped, FaceEngine, crop_faces
from facerec.models.faces import DetectedFace, FloatArray

# Faces read from the database at a time: each worker embeds its share of them in one recognizer batch.
FACES_PER_READ = 64
NO_PHOTO = "no_photo"
NOT_FOUND_AGAIN = "face_not_found_again"


@dataclass(frozen=True)
class Unembedded:
    face: FaceToReembed
    reason: str  # NO_PHOTO, NOT_FOUND_AGAIN, or the code of the error decoding the photo


@dataclass
class ReembedReport:
    model: str
    reembedded: int = 0
    unembedded: list[Unembedded] = field(default_factory=list)


@dataclass(frozen=True)
class _Found:
    face: FaceToReembed
    cropped: Cropped


class Reembedder:
    def __init__(self, engine: FaceEngine, runner: BlockingRunner, limits: ImageLimits) -> None:
        self._engine = engine
        self._runner = runner
        self._limits = limits

    @property
    def model(self) -> str:
        return self._engine.pack_name

    async def run(self, connection: asyncpg.Connection, advance: Callable[[int], None]) -> ReembedReport:
        """Embed every face without a vector of this pack; `advance(n)` as faces are done."""
        store = EmbeddingStore(connection)
        report = ReembedReport(self.model)
        after: UUID | None = None
        while faces := await store.pending(self.model, after=after, limit=FACES_PER_READ):
            after = faces[-1].id
            shares = [faces[start :: self._runner.workers] for start in range(self._runner.workers)]
            jobs = [functools.partial(self._embed, share) for share in shares if share]
            outcomes = [outcome for done in await self._runner.run_together(jobs) for outcome in done]
            vectors = [outcome for outcome in outcomes if not isinstance(outcome, Unembedded)]
            await store.add(self.model, vectors)
            report.reembedded += len(vectors)
            report.unembedded.extend(outcome for outcome in outcomes if isinstance(outcome, Unembedded))
            advance(len(faces))
        return report

    def _embed(self, faces: list[FaceToReembed]) -> list[tuple[UUID, FloatArray] | Unembedded]:
        """Find each face again in its photo, then embed them all in one batch (a worker thread)."""
        found = [self._find_again(face) for face in faces]
        ready = [item for item in found if isinstance(item, _Found)]
        encodings = iter(self._engine.embed([item.cropped for item in ready]))
        return [
            item if isinstance(item, Unembedded) else (item.face.id, next(encodings).faces[0].embedding)
            for item in found
        ]

    def _find_again(self, face: FaceToReembed) -> _Found | Unembedded:
        if face.photo is None:
            return Unembedded(face, NO_PHOTO)
        try:
            pixels = decode_image(face.photo, self._limits).pixels
        except FacerecError as error:
            return Unembedded(face, error.code)
        match = same_face(self._engine.detect(pixels), face)
        if match is None:
            return Unembedded(face, NOT_FOUND_AGAIN)
        return _Found(face, crop_faces(pixels, [match]))


def same_face(detected: list[DetectedFace], stored: FaceToReembed) -> DetectedFace | None:
    """The detected face that overlaps the stored face's box most, if it overlaps it enough."""
    best = max(detected, key=lambda face: face.box.iou(stored.box), default=None)
    return best if best is not None and best.box.iou(stored.box) >= SAME_FACE_IOU else None
