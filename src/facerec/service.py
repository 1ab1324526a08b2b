"""The path from an upload to storage: decode and embed off the event loop, then read or write the stores
in one unit of work. Routes reach the stores only through here and `facerec.gallery`."""

import asyncio
import functools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from facerec.db.database import Database
from facerec.db.stores import Stores, transaction
from facerec.domain import FaceRecord, Match, Metadata, NewFace, PersonMatch, StoredImage, WebhookEvent
from facerec.errors import (
    ErrorDetail,
    FacerecError,
    MultipleFaces,
    NoFarCurve,
    NoStoredFaces,
    PoorQuality,
)
from facerec.executor import BlockingRunner
from facerec.imaging.intake import DecodedImage, ImageLimits, decode_image
from facerec.imaging.scrub import without_metadata
from facerec.matching import (
    CANDIDATES,
    S,
    SearchDecision,
    Verdict,
    decide_pair,
    decide_search,
    rank_persons,
)
from facerec.models.engine import Cropped, FaceEngine
from facerec.models.faces import EncodedFace, Encoding, FloatArray, dominant_face
from facerec.models.far_curve import FAR_CURVES
from facerec.models.packs import PACKS
from facerec.models.quality import QualityBar
from facerec.models.thresholds import AUTO, Auto, OperatingPoints, Threshold, ThresholdName
from facerec.webhooks.events import face_registered

ThresholdChoice = float | ThresholdName | None  # a number, a named operating point, or the default
SearchThresholdChoice = ThresholdChoice | Auto  # searches may also follow the gallery's size
# Persons read per person search, at least, to see the runner-up person behind the top-k.
PERSON_CANDIDATES = 10
# A probe within this similarity of a face rejected for a person ("not this person") is never answered
# that person. Measured by `python -m bench.rejections` (docs/ACCURACY.md, "Not this person").
REJECTION_SIMILARITY = 0.80


@dataclass(frozen=True)
class SearchPolicy:
    """How a search without a threshold chooses one (docs/ACCURACY.md, "Thresholds that follow the
    gallery"): `auto` at `fpir` for the number of persons searched, or the pack's default point."""

    auto_by_default: bool
    fpir: float


@dataclass(frozen=True)
class SearchResult:
    query: Encoding
    matches: list[Match]
    threshold: Threshold
    verdict: Verdict
    runner_up: Match | None  # the best face of another person than the top match


@dataclass(frozen=True)
class PersonSearchResult:
    query: Encoding
    matches: list[PersonMatch]
    threshold: Threshold
    verdict: Verdict
    runner_up: PersonMatch | None


@dataclass(frozen=True)
class PairResult:
    """A 1:1 comparison of the probe's most prominent face with a second photo's, a stored face or a
    stored person's faces."""

    similarity: float
    threshold: Threshold
    verdict: Verdict
    probe: EncodedFace
    reference: EncodedFace | None  # None when the reference is stored


@dataclass(frozen=True)
class NewPerson:
    display_name: str
    metadata: Metadata


@dataclass(frozen=True)
class Registration:
    person: NewPerson | uuid.UUID  # a person to create, or the id of one in the collection
    metadata: Metadata  # the face's
    image_url: str | None
    take_most_prominent: bool
    check_quality: bool
    external_id: str | None = None  # the client's own id for the face, unique in the collection


@dataclass(frozen=True)
class Upload:
    """A photo sent to be registered, encoded, with the photo to store (None: STORE_IMAGES=false)."""

    image: StoredImage | None
    encoding: Encoding


@dataclass(frozen=True)
class Registered:
    face: FaceRecord
    other_faces: list[EncodedFace]  # faces of the photo left aside, most prominent first
    possible_duplicate: PersonMatch | None  # another person the face matches at the strict point


class FaceService:
    def __init__(
        self,
        *,
        engine: FaceEngine,
        runner: BlockingRunner,
        database: Database,
        image_limits: ImageLimits,
        store_images: bool,
        keep_photo_metadata: bool,
        quality_bar: QualityBar,
        search_policy: SearchPolicy,
    ) -> None:
        self.engine = engine
        self.quality_bar = quality_bar
        self.search_policy = search_policy
        self._runner = runner
        self._database = database
        self._image_limits = image_limits
        self._store_images = store_images
        self._keep_photo_metadata = keep_photo_metadata

    @property
    def model(self) -> str:
        return self.engine.pack_name

    @property
    def operating_points(self) -> OperatingPoints:
        return PACKS[self.engine.pack_name].operating_points

    async def encode(self, data: bytes, *, all_faces: bool) -> Encoding:
        return await self._runner.run(self._encode, data, all_faces)

    async def register(self, collection: str, data: bytes, registration: Registration) -> Registered:
        upload = await self._runner.run(self._encode_to_store, data)
        return await self.store(collection, upload, registration)

    async def encode_uploads(self, photos: list[bytes]) -> list[Upload | FacerecError]:
        """Decode and encode the photos on every worker, their faces embedded in batches: all of them are
        accepted into the inference queue at once or none is (`Overloaded`). A photo that cannot be used
        is answered by its error, in its place."""
        chunks = [photos[start :: self._runner.workers] for start in range(self._runner.workers)]
        jobs = [functools.partial(self._encode_many, chunk) for chunk in chunks if chunk]
        encoded = [iter(chunk) for chunk in await self._runner.run_together(jobs)]
        return [next(encoded[index % len(jobs)]) for index in range(len(photos))]

    async def store(self, collection: str, upload: Upload, registration: Registration) -> Registered:
        """Store the face a registration is about, once its photo has been encoded."""
        subject, others = self._subject(upload.encoding, take_most_prominent=registration.take_most_prominent)
        if registration.check_quality:
            self._check_quality(subject)
        face_id = uuid.uuid4()
        keep_image = self._store_images
        async with transaction(self._database) as tx:
            collection_id = await tx.collections.id_of(collection)
            person_id = await self._person_for(tx, collection_id, registration.person)
            duplicate = await self._other_person_matching(tx, collection_id, subject.embedding, person_id)
            record = await tx.faces.add(
                collection_id,
                NewFace(
                    id=face_id,
                    person_id=person_id,
                    image_url=registration.image_url
                    or (f"/api/face/{face_id}/image" if keep_image else None),
                    embedding=subject.embedding,
                    model=self.model,
                    det_score=subject.face.score,
                    box=subject.face.box,
                    landmarks=subject.face.landmarks,
                    metadata=registration.metadata,
                    image=upload.image,
                    external_id=registration.external_id,
                ),
            )
            await tx.webhooks.enqueue(WebhookEvent.FACE_REGISTERED, face_registered(record))
        return Registered(record, others, duplicate)

    async def search(
        self,
        collection: str,
        data: bytes,
        *,
        top_k: int,
        threshold: SearchThresholdChoice,
        fpir: float | None = None,
    ) -> SearchResult:
        encoding = await self.encode(data, all_faces=False)
        embedding = encoding.faces[0].embedding
        cutoff, decision = await self._search_embedding(
            collection,
            embedding,
            top_k=top_k,
            threshold=threshold,
            fpir=fpir,
            find=lambda tx, collection_id: tx.faces.nearest(
                collection_id, embedding, model=self.model, limit=max(top_k, CANDIDATES)
            ),
        )
        return SearchResult(encoding, decision.matches, cutoff, decision.verdict, decision.runner_up)

    async def search_persons(
        self,
        collection: str,
        data: bytes,
        *,
        top_k: int,
        threshold: SearchThresholdChoice,
        fpir: float | None = None,
    ) -> PersonSearchResult:
        encoding = await self.encode(data, all_faces=False)
        cutoff, decision = await self.search_persons_by_embedding(
            collection, encoding.faces[0].embedding, top_k=top_k, threshold=threshold, fpir=fpir
        )
        return PersonSearchResult(encoding, decision.matches, cutoff, decision.verdict, decision.runner_up)

    async def search_persons_by_embedding(
        self,
        collection: str,
        embedding: FloatArray,
        *,
        top_k: int,
        threshold: SearchThresholdChoice,
        fpir: float | None = None,
    ) -> tuple[Threshold, SearchDecision[PersonMatch]]:
        """The persons nearest a face that is already embedded (a video stream's face too), and the
        threshold they were judged by."""
        return await self._search_embedding(
            collection,
            embedding,
            top_k=top_k,
            threshold=threshold,
            fpir=fpir,
            find=lambda tx, collection_id: self._nearest_persons(
                tx, collection_id, embedding, limit=max(top_k + 1, PERSON_CANDIDATES)
            ),
        )

    async def _search_embedding(
        self,
        collection: str,
        embedding: FloatArray,
        *,
        top_k: int,
        threshold: SearchThresholdChoice,
        fpir: float | None,
        find: Callable[[Stores, uuid.UUID], Awaitable[list[S]]],
    ) -> tuple[Threshold, SearchDecision[S]]:
        """One search, of faces or of persons (`find` gives the nearest, best first): in one transaction
        the collection, its threshold, the candidates less those rejected for this face; then the verdict."""
        async with transaction(self._database) as tx:
            collection_id = await tx.collections.id_of(collection)
            cutoff = await self._search_threshold(tx, collection_id, threshold, fpir)
            nearest = await find(tx, collection_id)
            candidates = await self._unrejected(tx, collection_id, embedding, nearest)
        return cutoff, self._decide(candidates, top_k, cutoff)

    async def compare_photos(self, first: bytes, second: bytes, *, threshold: ThresholdChoice) -> PairResult:
        probe, reference = await asyncio.gather(
            self.encode(first, all_faces=False), self.encode(second, all_faces=False)
        )
        similarity = float(probe.faces[0].embedding @ reference.faces[0].embedding)
        return self._pair(probe.faces[0], similarity, threshold, reference.faces[0])

    async def compare_with_face(
        self, collection: str, data: bytes, face_id: uuid.UUID, *, threshold: ThresholdChoice
    ) -> PairResult:
        async with transaction(self._database) as tx:
            stored = await tx.faces.vector_of(
                await tx.collections.id_of(collection), face_id, model=self.model
            )
        probe = (await self.encode(data, all_faces=False)).faces[0]
        return self._pair(probe, float(probe.embedding @ stored.embedding), threshold, None)

    async def compare_with_person(
        self, collection: str, data: bytes, person_id: uuid.UUID, *, threshold: ThresholdChoice
    ) -> PairResult:
        """The probe against every face of the person, scored as person search scores a person."""
        probe = (await self.encode(data, all_faces=False)).faces[0]
        async with transaction(self._database) as tx:
            collection_id = await tx.collections.id_of(collection)
            person = await tx.persons.get(collection_id, person_id)
            faces = await tx.faces.vectors_of_persons(collection_id, [person_id], model=self.model)
        if not faces:
            raise NoStoredFaces(
                f"person {person_id} has no face embedded by model pack {self.model} "
                f"({person.face_count} faces in all); add a face to them first"
            )
        return self._pair(probe, rank_persons(probe.embedding, faces)[0].score, threshold, None)

    async def _search_threshold(
        self, tx: Stores, collection_id: uuid.UUID, choice: SearchThresholdChoice, fpir: float | None
    ) -> Threshold:
        """The threshold asked for; without one, `auto` when the policy says so and the pack has a FAR
        curve, else the default point. `auto` follows the collection's person count."""
        curve = FAR_CURVES.get(self.model)
        if choice is None and self.search_policy.auto_by_default and curve is not None:
            choice = AUTO
        if not isinstance(choice, Auto):
            return Threshold.choose(self.operating_points, choice)
        if curve is None:
            raise NoFarCurve(
                f"threshold=auto needs a FAR curve measured for model pack {self.model}; "
                "send a named operating point or a number"
            )
        persons = await tx.collections.person_count(collection_id)
        return Threshold.follow(curve, fpir=fpir or self.search_policy.fpir, persons=persons)

    async def _unrejected(
        self, tx: Stores, collection_id: uuid.UUID, embedding: FloatArray, candidates: list[S]
    ) -> list[S]:
        """The candidates, less the persons rejected for a face this close to the probe."""
        rejected = await tx.rejections.persons_rejected(
            collection_id, embedding, model=self.model, similarity=REJECTION_SIMILARITY
        )
        return [candidate for candidate in candidates if candidate.person_id not in rejected]

    async def _person_for(
        self, tx: Stores, collection_id: uuid.UUID, person: NewPerson | uuid.UUID
    ) -> uuid.UUID:
        if isinstance(person, NewPerson):
            created = await tx.persons.create(
                collection_id, display_name=person.display_name, metadata=person.metadata
            )
            return created.id
        await tx.persons.lock(collection_id, person)
        return person

    async def _other_person_matching(
        self, tx: Stores, collection_id: uuid.UUID, embedding: FloatArray, person_id: uuid.UUID
    ) -> PersonMatch | None:
        """The best other person this face matches at the strict operating point: a likely duplicate."""
        persons = await self._nearest_persons(tx, collection_id, embedding, limit=2)
        others = [person for person in persons if person.person_id != person_id]
        if others and others[0].score >= self.operating_points.strict:
            return others[0]
        return None

    async def _nearest_persons(
        self, tx: Stores, collection_id: uuid.UUID, embedding: FloatArray, *, limit: int
    ) -> list[PersonMatch]:
        """The persons owning the nearest faces, each scored on all their faces, best first."""
        nearest = await tx.faces.nearest(
            collection_id, embedding, model=self.model, limit=max(CANDIDATES, 4 * limit)
        )
        person_ids = list(dict.fromkeys(face.person_id for face in nearest))[:limit]
        faces = await tx.faces.vectors_of_persons(collection_id, person_ids, model=self.model)
        return rank_persons(embedding, faces)

    def _decide(self, candidates: list[S], top_k: int, cutoff: Threshold) -> SearchDecision[S]:
        return decide_search(
            candidates, top_k=top_k, threshold=cutoff.value, margin=self.operating_points.ambiguity_margin
        )

    def _subject(
        self, encoding: Encoding, *, take_most_prominent: bool
    ) -> tuple[EncodedFace, list[EncodedFace]]:
        """The face a registration is about (the most prominent, when it clearly dominates the others or
        when asked to take it anyway), and the faces left aside."""
        subject, *others = encoding.faces
        if others and not take_most_prominent and dominant_face(encoding.faces) is None:
            raise MultipleFaces(
                f"the photo shows {encoding.recognisable} faces of similar prominence; send a photo of one "
                "person, or set mostProminent=true to register the most prominent face"
            )
        return subject, others

    def _pair(
        self,
        probe: EncodedFace,
        similarity: float,
        threshold: ThresholdChoice,
        reference_face: EncodedFace | None,
    ) -> PairResult:
        cutoff = Threshold.choose(self.operating_points, threshold)
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

    def _encode(self, data: bytes, all_faces: bool) -> Encoding:
        image = decode_image(data, self._image_limits)
        return self.engine.encode(image.pixels, all_faces=all_faces)

    def _encode_to_store(self, data: bytes) -> Upload:
        image = decode_image(data, self._image_limits)
        return Upload(self._photo_to_keep(data, image), self.engine.encode(image.pixels, all_faces=True))

    def _encode_many(self, photos: list[bytes]) -> list[Upload | FacerecError]:
        """Decode and crop one photo at a time (one full-size image in memory per worker), then embed the
        crops of all of them in one batch."""
        cropped: list[tuple[StoredImage | None, Cropped] | FacerecError] = []
        for data in photos:
            try:
                image = decode_image(data, self._image_limits)
                cropped.append(
                    (self._photo_to_keep(data, image), self.engine.crop(image.pixels, all_faces=True))
                )
            except FacerecError as error:
                cropped.append(error)
        ready = [item for item in cropped if not isinstance(item, FacerecError)]
        encodings = iter(self.engine.embed([crop for _, crop in ready]))
        return [
            item if isinstance(item, FacerecError) else Upload(item[0], next(encodings)) for item in cropped
        ]

    def _photo_to_keep(self, data: bytes, image: DecodedImage) -> StoredImage | None:
        """The photo to store: none with STORE_IMAGES=false, else less its metadata unless
        KEEP_PHOTO_METADATA."""
        if not self._store_images:
            return None
        if self._keep_photo_metadata:
            return StoredImage(image.media_type, data)
        photo = without_metadata(data, image)
        return StoredImage(photo.media_type, photo.data)
