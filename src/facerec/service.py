"""The path from an upload to storage: decode and embed off the event loop, then read or write the store."""

import asyncio
import uuid
from dataclasses import dataclass

from facerec.db.faces import FaceStore
from facerec.db.records import FaceRecord, Match, Metadata, NewFace, StoredImage
from facerec.errors import ErrorDetail, ModelMismatch, MultipleFaces, PoorQuality
from facerec.executor import BlockingRunner
from facerec.imaging.intake import ImageLimits, decode_image
from facerec.matching import CANDIDATES, Verdict, decide_pair, decide_search
from facerec.models.engine import FaceEngine
from facerec.models.faces import EncodedFace, Encoding, FloatArray
from facerec.models.packs import PACKS
from facerec.models.quality import QualityBar
from facerec.models.thresholds import OperatingPoints, Threshold, ThresholdName

ThresholdChoice = float | ThresholdName | None  # a number, a named operating point, or the default


@dataclass(frozen=True)
class SearchResult:
    query: Encoding
    matches: list[Match]
    threshold: Threshold
    verdict: Verdict
    runner_up: Match | None  # the best candidate of another identity than the top match


@dataclass(frozen=True)
class PairResult:
    """A 1:1 comparison of the probe's most prominent face with a second photo's or a stored face."""

    similarity: float
    threshold: Threshold
    verdict: Verdict
    probe: EncodedFace
    reference: EncodedFace | None  # None when the reference is a stored face


@dataclass(frozen=True)
class Registration:
    display_name: str
    metadata: Metadata
    image_url: str | None
    take_most_prominent: bool
    check_quality: bool


class FaceService:
    def __init__(
        self,
        *,
        engine: FaceEngine,
        runner: BlockingRunner,
        store: FaceStore,
        image_limits: ImageLimits,
        store_images: bool,
        quality_bar: QualityBar,
    ) -> None:
        self.engine = engine
        self.quality_bar = quality_bar
        self._runner = runner
        self._store = store
        self._image_limits = image_limits
        self._store_images = store_images

    @property
    def model(self) -> str:
        return self.engine.pack_name

    @property
    def operating_points(self) -> OperatingPoints:
        return PACKS[self.engine.pack_name].operating_points

    async def encode(self, data: bytes, *, all_faces: bool) -> Encoding:
        encoding, _ = await self._runner.run(self._encode, data, all_faces)
        return encoding

    async def register(self, data: bytes, registration: Registration) -> FaceRecord:
        encoding, media_type = await self._runner.run(self._encode, data, False)
        if encoding.recognisable > 1 and not registration.take_most_prominent:
            raise MultipleFaces(
                f"the photo shows {encoding.recognisable} faces; send a photo of one person, or set "
                "mostProminent=true to register the most prominent face"
            )
        face = encoding.faces[0]
        if registration.check_quality:
            self._check_quality(face)
        face_id = uuid.uuid4()
        keep_image = self._store_images
        image_url = registration.image_url or (f"/api/face/{face_id}/image" if keep_image else None)
        return await self._store.add(
            NewFace(
                id=face_id,
                display_name=registration.display_name,
                image_url=image_url,
                embedding=face.embedding,
                model=self.model,
                det_score=face.face.score,
                box=face.face.box,
                landmarks=face.face.landmarks,
                metadata=registration.metadata,
                image=StoredImage(media_type, data) if keep_image else None,
            )
        )

    async def search(self, data: bytes, *, top_k: int, threshold: ThresholdChoice) -> SearchResult:
        encoding = await self.encode(data, all_faces=False)
        cutoff = Threshold.choose(self.operating_points, threshold)
        candidates = await self._store.nearest(
            encoding.faces[0].embedding, model=self.model, limit=max(top_k, CANDIDATES)
        )
        decision = decide_search(
            candidates, top_k=top_k, threshold=cutoff.value, margin=self.operating_points.ambiguity_margin
        )
        return SearchResult(encoding, decision.matches, cutoff, decision.verdict, decision.runner_up)

    async def compare_photos(self, first: bytes, second: bytes, *, threshold: ThresholdChoice) -> PairResult:
        probe, reference = await asyncio.gather(
            self.encode(first, all_faces=False), self.encode(second, all_faces=False)
        )
        return self._pair(probe.faces[0], reference.faces[0].embedding, threshold, reference.faces[0])

    async def compare_with_stored(
        self, data: bytes, face_id: uuid.UUID, *, threshold: ThresholdChoice
    ) -> PairResult:
        stored = await self._store.get(face_id, with_embedding=True)
        if stored.model != self.model:
            raise ModelMismatch(
                f"face {face_id} was embedded by model pack {stored.model}, this service runs {self.model}: "
                "embeddings of different packs cannot be compared; register the face again"
            )
        assert stored.embedding is not None  # asked for with_embedding
        probe = await self.encode(data, all_faces=False)
        return self._pair(probe.faces[0], stored.embedding, threshold, None)

    def _pair(
        self,
        probe: EncodedFace,
        reference: FloatArray,
        threshold: ThresholdChoice,
        reference_face: EncodedFace | None,
    ) -> PairResult:
        cutoff = Threshold.choose(self.operating_points, threshold)
        similarity = float(probe.embedding @ reference)
        verdict = decide_pair(similarity, threshold=cutoff.value)
        return PairResult(similarity, cutoff, verdict, probe, reference_face)

    def _check_quality(self, face: EncodedFace) -> None:
        reasons = self.quality_bar.reasons(face.quality)
        if reasons:
            raise PoorQuality(
                f"the face is below the enrolment quality bar ({', '.join(reasons)}); send a better photo, "
                "or set qualityCheck=false to register it anyway",
                [
                    ErrorDetail("image", self.quality_bar.explain(reason, face.quality), reason.value)
                    for reason in reasons
                ],
            )

    def _encode(self, data: bytes, all_faces: bool) -> tuple[Encoding, str]:
        image = decode_image(data, self._image_limits)
        return self.engine.encode(image.pixels, all_faces=all_faces), image.media_type
