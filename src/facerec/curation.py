"""Looking after a collection's labels: a calibration from its own faces, clusters of faces nobody has
named yet, and merging a cluster into a person. Each call is one unit of work over the stores; the
arithmetic runs off the event loop."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from facerec.calibration import Calibration, calibrate
from facerec.clustering import cluster_faces
from facerec.db.database import Database
from facerec.db.stores import transaction
from facerec.domain import FaceVector, WebhookEvent
from facerec.errors import FaceTooSmall, NoFaceFound, NoFarCurve, OwnFace
from facerec.executor import BlockingRunner
from facerec.models.faces import FloatArray
from facerec.models.far_curve import FAR_CURVES
from facerec.service import FaceService
from facerec.webhooks.events import person_deleted

# Faces a calibration reads at most: spread over persons (first faces first). 2,000 faces make 4 million
# scores at most, well under a second of arithmetic.
MAX_CALIBRATION_FACES = 2000
CALIBRATION_FPIRS = (0.001, 0.01, 0.1)
# Faces clustered at once: average linkage keeps n²/2 distances (2,000 faces: 16 MB, about a second).
MAX_CLUSTER_FACES = 2000


@dataclass(frozen=True)
class CollectionCalibration:
    calibration: Calibration
    faces_sampled: int
    face_count: int  # in the collection


@dataclass(frozen=True)
class PhotoClusters:
    clusters: list[list[int]]  # indexes of the photos sent, largest group first
    unclustered: list[int]  # photos whose face fits no group
    no_face: list[int]  # photos without a usable face


@dataclass(frozen=True)
class StoredCluster:
    faces: list[FaceVector]


@dataclass(frozen=True)
class StoredClusters:
    clusters: list[StoredCluster]
    unclustered: list[FaceVector]
    truncated: bool  # more faces qualified than MAX_CLUSTER_FACES; the oldest were clustered


@dataclass(frozen=True)
class Merged:
    person_id: uuid.UUID
    removed_persons: list[uuid.UUID]  # persons left without a face, erased


class Curator:
    def __init__(self, *, service: FaceService, runner: BlockingRunner, database: Database) -> None:
        self._service = service
        self._runner = runner
        self._database = database

    async def calibration(self, collection: str) -> CollectionCalibration:
        curve = FAR_CURVES.get(self._service.model)
        if curve is None:
            raise NoFarCurve(f"no FAR curve is measured for model pack {self._service.model}")
        async with transaction(self._database) as tx:
            record = await tx.collections.get(collection)
            faces = await tx.faces.sample(record.id, model=self._service.model, limit=MAX_CALIBRATION_FACES)
        result = await self._runner.run(
            lambda: calibrate(
                faces,
                persons=record.person_count,
                fpirs=CALIBRATION_FPIRS,
                curve=curve,
                lookalike_threshold=self._service.operating_points.strict,
            )
        )
        return CollectionCalibration(result, len(faces), record.face_count)

    async def cluster_photos(self, photos: Sequence[bytes]) -> PhotoClusters:
        """Each photo's most prominent face, grouped; photos are embedded one after another."""
        embeddings: list[FloatArray] = []
        embedded: list[int] = []
        no_face: list[int] = []
        for index, photo in enumerate(photos):
            try:
                encoding = await self._service.encode(photo, all_faces=False)
            except (NoFaceFound, FaceTooSmall):
                no_face.append(index)
                continue
            embeddings.append(encoding.faces[0].embedding)
            embedded.append(index)
        groups = await self._runner.run(cluster_faces, embeddings)
        clusters = [[embedded[member] for member in group] for group in groups]
        grouped = {index for cluster in clusters for index in cluster}
        return PhotoClusters(clusters, [index for index in embedded if index not in grouped], no_face)

    async def cluster_stored(self, collection: str, person_ids: list[uuid.UUID] | None) -> StoredClusters:
        """The faces of these persons or, without persons, of every person with a single face."""
        async with transaction(self._database) as tx:
            collection_id = await tx.collections.id_of(collection)
            faces = await tx.faces.of_persons_or_singletons(
                collection_id, person_ids, model=self._service.model, limit=MAX_CLUSTER_FACES + 1
            )
        kept = faces[:MAX_CLUSTER_FACES]
        groups = await self._runner.run(cluster_faces, [face.embedding for face in kept])
        grouped = {member for group in groups for member in group}
        return StoredClusters(
            clusters=[StoredCluster([kept[member] for member in group]) for group in groups],
            unclustered=[face for index, face in enumerate(kept) if index not in grouped],
            truncated=len(faces) > MAX_CLUSTER_FACES,
        )

    async def merge(self, collection: str, person_id: uuid.UUID, face_ids: list[uuid.UUID]) -> Merged:
        """Give the faces to the person; a person left with no face is erased (they were merged), and
        reported as `person.deleted` in the same transaction."""
        async with transaction(self._database) as tx:
            collection_id = await tx.collections.id_of(collection)
            await tx.persons.lock(collection_id, person_id)
            previous = await tx.faces.move(collection_id, face_ids, person_id)
            removed = await tx.persons.delete_faceless(collection_id, previous)
            await tx.webhooks.enqueue_many(
                WebhookEvent.PERSON_DELETED, [person_deleted(collection, erased) for erased in removed]
            )
        return Merged(person_id, removed)

    async def reject_face(self, collection: str, person_id: uuid.UUID, face_id: uuid.UUID) -> uuid.UUID:
        """A stored face is not this person: a search with that face (or one within
        `REJECTION_SIMILARITY` of it) never answers them again."""
        async with transaction(self._database) as tx:
            collection_id = await tx.collections.id_of(collection)
            await tx.persons.lock(collection_id, person_id)
            face = await tx.faces.vector_of(collection_id, face_id, model=self._service.model)
            if face.person_id == person_id:
                raise OwnFace(
                    f"face {face_id} is this person's own; move it to its person (PATCH /api/face/{face_id})"
                )
            return await tx.rejections.add(
                collection_id, person_id, embedding=face.embedding, model=self._service.model, face_id=face_id
            )

    async def reject_photo(self, collection: str, person_id: uuid.UUID, photo: bytes) -> uuid.UUID:
        """The photo's most prominent face is not this person (as `reject_face`, for a probe photo)."""
        embedding = (await self._service.encode(photo, all_faces=False)).faces[0].embedding
        async with transaction(self._database) as tx:
            collection_id = await tx.collections.id_of(collection)
            await tx.persons.lock(collection_id, person_id)
            return await tx.rejections.add(
                collection_id, person_id, embedding=embedding, model=self._service.model, face_id=None
            )
