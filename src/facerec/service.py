"""The path from an upload to storage: decode and embed off the event loop, then read or write the store."""

import uuid
from dataclasses import dataclass

from facerec.db.faces import FaceStore
from facerec.db.records import FaceRecord, Match, Metadata, NewFace, StoredImage
from facerec.errors import MultipleFaces
from facerec.executor import BlockingRunner
from facerec.imaging.intake import decode_image
from facerec.models.engine import FaceEngine
from facerec.models.faces import Encoding
from facerec.models.packs import PACKS


@dataclass(frozen=True)
class SearchResult:
    query: Encoding
    matches: list[Match]
    threshold: float


@dataclass(frozen=True)
class Registration:
    display_name: str
    metadata: Metadata
    image_url: str | None
    take_most_prominent: bool


class FaceService:
    def __init__(
        self,
        *,
        engine: FaceEngine,
        runner: BlockingRunner,
        store: FaceStore,
        max_image_pixels: int,
        store_images: bool,
    ) -> None:
        self.engine = engine
        self._runner = runner
        self._store = store
        self._max_image_pixels = max_image_pixels
        self._store_images = store_images

    @property
    def model(self) -> str:
        return self.engine.pack_name

    @property
    def default_threshold(self) -> float:
        return PACKS[self.engine.pack_name].match_threshold

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

    async def search(self, data: bytes, *, top_k: int, threshold: float | None) -> SearchResult:
        encoding = await self.encode(data, all_faces=False)
        cutoff = self.default_threshold if threshold is None else threshold
        matches = await self._store.search(
            encoding.faces[0].embedding, model=self.model, top_k=top_k, threshold=cutoff
        )
        return SearchResult(query=encoding, matches=matches, threshold=cutoff)

    def _encode(self, data: bytes, all_faces: bool) -> tuple[Encoding, str]:
        image = decode_image(data, max_pixels=self._max_image_pixels)
        return self.engine.encode(image.pixels, all_faces=all_faces), image.media_type
