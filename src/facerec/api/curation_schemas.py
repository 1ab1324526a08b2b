"""The JSON of calibration, clustering and merging."""

from uuid import UUID

from pydantic import Field

from facerec.api.schemas import ApiModel
from facerec.curation import (
    MAX_CALIBRATION_FACES,
    MAX_CLUSTER_FACES,
    CollectionCalibration,
    PhotoClusters,
    StoredClusters,
)


class RecommendationOut(ApiModel):
    fpir: float = Field(description="Share of strangers allowed to match somebody.", examples=[0.01])
    threshold: float = Field(description="The search threshold for that FPIR.", examples=[0.338])
    basis: str = Field(
        description="collection: from this collection's own stranger scores (enough of them reach it); "
        "model: from the model pack's measured FAR curve, as threshold=auto does.",
        examples=["model"],
    )
    false_accepts: int = Field(description="Stranger scores at or above the threshold.")
    stranger_scores: int = Field(description="Faces scored against other persons, in all.")
    misses: int = Field(description="Genuine scores below the threshold (a person's face against the rest).")
    genuine_scores: int


class DisagreementOut(ApiModel):
    person_id: UUID
    display_name: str
    face_id: UUID
    score: float = Field(description="Similarity to the centroid of the person's other faces.")


class LookalikeOut(ApiModel):
    person_ids: list[UUID] = Field(description="The two persons.")
    score: float = Field(description="Similarity of their centroids.")


class CalibrationOut(ApiModel):
    persons: int = Field(description="Persons in the collection: the N the thresholds are for.")
    face_count: int = Field(description="Faces in the collection.")
    faces_sampled: int = Field(description="Faces read: the first faces of every person first.")
    max_faces: int = Field(description="At most this many faces are read.", examples=[MAX_CALIBRATION_FACES])
    recommendations: list[RecommendationOut]
    disagreement_threshold: float = Field(
        description="A face below this similarity to the rest of its person (the score one stranger in "
        "100 reaches) is listed in possibleMislabels."
    )
    possible_mislabels: list[DisagreementOut]
    lookalike_threshold: float = Field(
        description="Persons whose centroids reach it are listed as lookalikes."
    )
    possible_duplicates: list[LookalikeOut] = Field(description="Most alike first, at most 100.")

    @classmethod
    def of(cls, result: CollectionCalibration) -> "CalibrationOut":
        calibration = result.calibration
        return cls(
            persons=calibration.persons,
            face_count=result.face_count,
            faces_sampled=result.faces_sampled,
            max_faces=MAX_CALIBRATION_FACES,
            recommendations=[
                RecommendationOut(
                    fpir=row.fpir,
                    threshold=row.threshold,
                    basis=row.basis,
                    false_accepts=row.false_accepts,
                    stranger_scores=row.stranger_scores,
                    misses=row.misses,
                    genuine_scores=row.genuine_scores,
                )
                for row in calibration.recommendations
            ],
            disagreement_threshold=calibration.disagreement_threshold,
            possible_mislabels=[
                DisagreementOut(
                    person_id=row.person_id,
                    display_name=row.display_name,
                    face_id=row.face_id,
                    score=row.score,
                )
                for row in calibration.disagreements
            ],
            lookalike_threshold=calibration.lookalike_threshold,
            possible_duplicates=[
                LookalikeOut(person_ids=[pair.first, pair.second], score=pair.score)
                for pair in calibration.lookalikes
            ],
        )


class PhotoClusterOut(ApiModel):
    members: list[int] = Field(description="Indexes of the photos sent (0 = the first `images` part).")


class PhotoClustersOut(ApiModel):
    clusters: list[PhotoClusterOut] = Field(description="Largest first; each likely one person.")
    unclustered: list[int] = Field(description="Photos whose face fits no group.")
    no_face: list[int] = Field(description="Photos without a usable face.")

    @classmethod
    def of(cls, result: PhotoClusters) -> "PhotoClustersOut":
        return cls(
            clusters=[PhotoClusterOut(members=members) for members in result.clusters],
            unclustered=result.unclustered,
            no_face=result.no_face,
        )


class StoredClusterRequest(ApiModel):
    person_ids: list[UUID] | None = Field(
        None,
        max_length=MAX_CLUSTER_FACES,
        description="Cluster these persons' faces; without it, the faces of every person with a single "
        "face (photos imported one person each).",
    )


class StoredClusterOut(ApiModel):
    members: list[UUID] = Field(description="Face ids.")
    person_ids: list[UUID] = Field(description="The persons those faces belong to now.")


class StoredClustersOut(ApiModel):
    clusters: list[StoredClusterOut] = Field(description="Largest first; each likely one person.")
    unclustered: list[UUID] = Field(description="Faces that fit no group.")
    truncated: bool = Field(
        description=f"More than {MAX_CLUSTER_FACES} faces qualified; the oldest were used."
    )

    @classmethod
    def of(cls, result: StoredClusters) -> "StoredClustersOut":
        return cls(
            clusters=[
                StoredClusterOut(
                    members=[face.id for face in cluster.faces],
                    person_ids=list(dict.fromkeys(face.person_id for face in cluster.faces)),
                )
                for cluster in result.clusters
            ],
            unclustered=[face.id for face in result.unclustered],
            truncated=result.truncated,
        )


class MergeRequest(ApiModel):
    face_ids: list[UUID] = Field(min_length=1, max_length=MAX_CLUSTER_FACES, description="Faces to move.")


class MergeOut(ApiModel):
    person_id: UUID
    removed_person_ids: list[UUID] = Field(
        description="Persons left without a face by the move, and erased (merged into this one)."
    )


class RejectionOut(ApiModel):
    id: UUID
    person_id: UUID = Field(description="The person the face is not.")
    face_id: UUID | None = Field(description="The stored face rejected; null for a photo.")
