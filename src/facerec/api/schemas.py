"""The JSON the API speaks: camelCase fields, every shape named and documented."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from facerec.api.params import DisplayName, MetadataObject
from facerec.domain import FacePage, FaceRecord, Match, PersonMatch
from facerec.matching import Verdict
from facerec.models.faces import Box, DetectedFace, EncodedFace, FloatArray
from facerec.models.quality import FaceQuality, QualityBar, QualityReason


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class FaceBox(ApiModel):
    """Pixel coordinates in the upright image."""

    x: float = Field(examples=[412.5])
    y: float = Field(examples=[118.0])
    width: float = Field(examples=[96.3])
    height: float = Field(examples=[121.8])

    @classmethod
    def of(cls, box: Box) -> "FaceBox":
        return cls(x=box.x1, y=box.y1, width=box.width, height=box.height)


class FaceOut(ApiModel):
    box: FaceBox
    landmarks: list[list[float]] = Field(
        description="Five [x, y] points: left eye, right eye, nose tip, left and right mouth corner.",
        examples=[[[440.1, 165.2], [484.0, 163.9], [463.2, 190.4], [445.7, 212.8], [480.3, 211.6]]],
    )
    det_score: float = Field(description="Detector confidence, 0 to 1.", examples=[0.87])

    @classmethod
    def of(cls, face: DetectedFace) -> "FaceOut":
        return cls(box=FaceBox.of(face.box), landmarks=_points(face.landmarks), det_score=face.score)


class PoseOut(ApiModel):
    """Degrees, estimated from the five landmarks (rough: about ±10° near frontal)."""

    yaw: float = Field(description="Turned left (-) or right (+).", examples=[-8.5])
    pitch: float = Field(description="Looking down (+) or up (-).", examples=[4.1])
    roll: float = Field(description="In-plane tilt of the eye line.", examples=[-2.0])


class QualityOut(ApiModel):
    det_score: float = Field(description="Detector confidence, 0 to 1.", examples=[0.87])
    face_size: float = Field(description="Shorter side of the face box, px.", examples=[96.3])
    sharpness: float = Field(
        description="0 (flat) to 1: Laplacian variance over intensity variance of the aligned face.",
        examples=[0.31],
    )
    pose: PoseOut
    reasons: list[QualityReason] = Field(
        description="Where the face is below the quality bar; empty when it is fine to enrol.",
        examples=[["blurry"]],
    )

    @classmethod
    def of(cls, quality: FaceQuality, bar: QualityBar) -> "QualityOut":
        pose = PoseOut(yaw=quality.pose.yaw, pitch=quality.pose.pitch, roll=quality.pose.roll)
        return cls(
            det_score=quality.det_score,
            face_size=quality.face_size,
            sharpness=quality.sharpness,
            pose=pose,
            reasons=bar.reasons(quality),
        )


class DetectedFaceOut(FaceOut):
    """A face found in the uploaded photo, with its quality."""

    quality: QualityOut

    @classmethod
    def of_encoded(cls, encoded: EncodedFace, bar: QualityBar) -> "DetectedFaceOut":
        face = FaceOut.of(encoded.face)
        return cls(**face.model_dump(), quality=QualityOut.of(encoded.quality, bar))


class EncodedFaceOut(DetectedFaceOut):
    embedding: list[float] = Field(description="512 floats, unit L2 norm.")

    @classmethod
    def of_embedded(cls, encoded: EncodedFace, bar: QualityBar) -> "EncodedFaceOut":
        face = DetectedFaceOut.of_encoded(encoded, bar)
        return cls(**face.model_dump(), embedding=encoded.embedding.tolist())


class EncodeResponse(ApiModel):
    model: str = Field(description="Model pack that made the embedding.", examples=["buffalo_s"])
    embedding: list[float] = Field(description="The most prominent face's embedding: 512 floats, unit norm.")
    face: DetectedFaceOut = Field(description="The face the embedding came from.")
    face_count: int = Field(description="How many faces the detector found in the photo.", examples=[1])
    faces: list[EncodedFaceOut] | None = Field(
        None, description="Every recognisable face, most prominent first (only with allFaces=true)."
    )


class FaceRecordOut(ApiModel):
    id: UUID
    person_id: UUID = Field(description="The person this face belongs to.")
    collection: str = Field(examples=["default"])
    display_name: str = Field(description="The person's name.", examples=["Ada Lovelace"])
    image_url: str | None = Field(examples=["/api/face/2b1f0e4e-8a57-4df6-9d0e-0d2a6a3e1c11/image"])
    inserted_at: datetime
    updated_at: datetime
    model: str = Field(examples=["buffalo_s"])
    face: FaceOut
    metadata: dict[str, Any] = Field(examples=[{"employeeId": "E-1042"}])
    has_image: bool = Field(description="Whether the original photo is stored.")
    embedding: list[float] | None = Field(None, description="Only with includeEmbedding=true.")
    external_id: str | None = Field(None, description="The client's own id, unique in the collection.")

    @classmethod
    def of(cls, record: FaceRecord) -> "FaceRecordOut":
        return cls(
            id=record.id,
            person_id=record.person_id,
            collection=record.collection,
            display_name=record.display_name,
            image_url=record.image_url,
            inserted_at=record.inserted_at,
            updated_at=record.updated_at,
            model=record.model,
            face=FaceOut(
                box=FaceBox.of(record.box), landmarks=_points(record.landmarks), det_score=record.det_score
            ),
            metadata=record.metadata,
            has_image=record.has_image,
            embedding=None if record.embedding is None else record.embedding.tolist(),
            external_id=record.external_id,
        )


class MatchOut(ApiModel):
    id: UUID = Field(description="The stored face.")
    person_id: UUID
    display_name: str = Field(examples=["Ada Lovelace"])
    score: float = Field(description="Cosine similarity, 1 - cosine distance.", examples=[0.71])
    image_url: str | None

    @classmethod
    def of(cls, match: Match) -> "MatchOut":
        return cls(
            id=match.id,
            person_id=match.person_id,
            display_name=match.display_name,
            score=match.score,
            image_url=match.image_url,
        )


class PersonMatchOut(ApiModel):
    person_id: UUID
    display_name: str = Field(examples=["Ada Lovelace"])
    score: float = Field(
        description="The person's similarity: their face nearest to the query (docs/ACCURACY.md).",
        examples=[0.71],
    )
    face_id: UUID = Field(description="Their face nearest to the query.")
    face_count: int = Field(description="Their faces compared (those of the running model pack).")

    @classmethod
    def of(cls, match: PersonMatch) -> "PersonMatchOut":
        return cls(
            person_id=match.person_id,
            display_name=match.display_name,
            score=match.score,
            face_id=match.face_id,
            face_count=match.face_count,
        )


class RegisterResponse(FaceRecordOut):
    other_faces: list[FaceOut] = Field(
        description="Other faces of the photo, left aside because the registered face clearly dominated "
        "them or mostProminent=true; most prominent first."
    )
    possible_duplicate_of: PersonMatchOut | None = Field(
        description="Another person of the collection this face matches at the strict operating point: the "
        "face was stored, but the two persons may be one."
    )


ThresholdValue = Annotated[float, Field(description="Similarity cut-off applied.", examples=[0.4])]
ThresholdLabel = Annotated[
    str,
    Field(
        description="Its operating point: strict, default, loose, custom for a number sent, or auto "
        "(searches: from the persons searched and the FPIR aimed at).",
        examples=["default"],
    ),
]


class SearchAnswer(ApiModel):
    """What every search answers besides its matches."""

    model: str = Field(examples=["buffalo_s"])
    threshold: ThresholdValue
    threshold_name: ThresholdLabel
    fpir: float | None = Field(
        None,
        description="threshold=auto only: the share of strangers the threshold lets match somebody.",
        examples=[0.01],
    )
    persons: int | None = Field(
        None, description="threshold=auto only: the persons of the collection searched.", examples=[100]
    )
    ambiguity_margin: float = Field(description="Of the model pack (docs/ACCURACY.md).", examples=[0.06])
    face: DetectedFaceOut = Field(description="The query face (the most prominent face of the photo).")
    face_count: int = Field(description="How many faces the detector found in the photo.")


class SearchResponse(SearchAnswer):
    verdict: Verdict = Field(
        description="match: the top match is at or above the threshold and ahead of every other person by at "
        "least ambiguityMargin; ambiguous: above the threshold, but another person is closer than that; "
        "unknown: nobody is at or above the threshold. A person's several faces never compete."
    )
    matches: list[MatchOut] = Field(description="Best first; empty when nobody is above the threshold.")
    runner_up: MatchOut | None = Field(
        description="The best face of another person than the top match (null when unknown, or when the "
        "nearest faces are all the top match's person); it may be below the threshold."
    )


class PersonSearchResponse(SearchAnswer):
    verdict: Verdict = Field(
        description="match: the top person is at or above the threshold and ahead of the next person by at "
        "least ambiguityMargin; ambiguous: above the threshold, but the next person is closer than that; "
        "unknown: nobody is at or above the threshold."
    )
    matches: list[PersonMatchOut] = Field(description="Best first; empty when nobody is above the threshold.")
    runner_up: PersonMatchOut | None = Field(
        description="The best person after the top match; it may be below the threshold."
    )


class VerifyResponse(ApiModel):
    model: str = Field(examples=["buffalo_s"])
    similarity: float = Field(description="Cosine similarity of the two faces.", examples=[0.62])
    threshold: ThresholdValue
    threshold_name: ThresholdLabel
    verdict: Verdict = Field(
        description="match: similarity at or above the threshold; unknown: below it, which does not prove "
        "two different people (a poor photo scores low too)."
    )
    is_same_person: bool = Field(description="verdict == match.")
    face: DetectedFaceOut = Field(description="The most prominent face of `image` or `image1`.")
    other_face: DetectedFaceOut | None = Field(
        description="The most prominent face of `image2`; null when compared with a stored face."
    )


class FaceUpdate(ApiModel):
    display_name: DisplayName | None = Field(
        None, description="Renames the face's person (a face's name is its person's); 1-200 characters."
    )
    metadata: MetadataObject | None = Field(None, description="Replaces the metadata; limits as on register.")
    person_id: UUID | None = Field(None, description="Moves the face to this person of the same collection.")


class FacePageOut(ApiModel):
    faces: list[FaceRecordOut]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last.")

    @classmethod
    def of(cls, page: FacePage, cursor: str | None) -> "FacePageOut":
        return cls(faces=[FaceRecordOut.of(face) for face in page.faces], next_cursor=cursor)


class ErrorDetail(ApiModel):
    field: str
    message: str
    code: str | None = Field(None, description="A reason code, where the error lists several reasons.")


class Error(ApiModel):
    code: str = Field(description="Stable, machine-readable.", examples=["no_face"])
    message: str = Field(description="For humans.", examples=["no face was found in the image"])
    details: list[ErrorDetail] | None = None


class ErrorBody(ApiModel):
    error: Error


class Health(ApiModel):
    status: str = Field(examples=["ok"])


class FaceCoverage(ApiModel):
    """The stored faces the running pack can search (registered or re-embedded with it), and the command
    that re-embeds the others."""

    stored: int = Field(examples=[1200])
    searchable: int = Field(examples=[1200])
    unsearchable: int = Field(examples=[0])
    reembed: str | None = Field(examples=[None], description="What to run when some are unsearchable.")


class Readiness(ApiModel):
    status: str = Field(examples=["ready"])
    model: str | None = Field(examples=["buffalo_s"])
    database: str = Field(examples=["ok"], description="ok, unavailable, or restarting (embedded server).")
    faces: FaceCoverage | None = Field(None, description="None while the database is not answering.")


def _points(landmarks: FloatArray) -> list[list[float]]:
    return [[float(x), float(y)] for x, y in landmarks]
