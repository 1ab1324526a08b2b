"""Photos with bystanders: how often the dominance rule (`facerec.models.faces.dominant_face`) takes a
photo with several faces, and whether the face it takes is the labelled person.

The labelled person's face in a photo is told by their other photos: the face whose median similarity to
them (each other photo's best-matching face) is at least `EVIDENCE`, when no other face of the photo
reaches it. Unlabelled photos beside the labels (faces-deepface's group photos) have no subject: the rule
should refuse them.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.accuracy.data import Photo
from facerec.models.faces import DOMINANCE, EncodedFace, dominant_face

EVIDENCE = 0.25  # FAR about 1e-3 per pair on faces-celeba; a median over 7 photos
RATIOS = (1.25, 1.5, 1.75, 2.0, 2.5, 3.0)


@dataclass(frozen=True)
class MultiFacePhoto:
    path: str
    faces: int
    ratio: float  # prominence of the most prominent face over the next one's
    subject: int | None  # index (most prominent first) of the labelled person's face; None: not told
    evidence: float  # the subject's (or the best face's) median similarity to the person's other photos
    taken: bool  # the rule with the shipped DOMINANCE takes the most prominent face


@dataclass(frozen=True)
class RuleOutcome:
    ratio: float
    taken: int
    taken_right: int  # the most prominent face is the labelled person
    taken_wrong: int  # another face is
    taken_untold: int  # no face is told to be the person
    refused: int
    groups_taken: int


def prominence_ratio(faces: Sequence[EncodedFace]) -> float:
    return faces[0].face.prominence / faces[1].face.prominence


def subject_of(
    faces: Sequence[EncodedFace], others: Sequence[Sequence[EncodedFace]]
) -> tuple[int | None, float]:
    evidence = [
        float(np.median([max(float(face.embedding @ o.embedding) for o in other) for other in others]))
        for face in faces
    ]
    best = int(np.argmax(evidence))
    told = evidence[best] >= EVIDENCE and sum(e >= EVIDENCE for e in evidence) == 1
    return (best if told else None), evidence[best]


def multi_face_photos(photos: Sequence[Photo], faces: dict[str, list[EncodedFace]]) -> list[MultiFacePhoto]:
    found = []
    for photo in photos:
        mine = faces.get(photo.path, [])
        if len(mine) < 2:
            continue
        others = [
            faces.get(p.path, []) for p in photos if p.identity == photo.identity and p.path != photo.path
        ]
        subject, evidence = subject_of(mine, [o for o in others if o])
        taken = dominant_face(mine) is not None
        found.append(MultiFacePhoto(photo.path, len(mine), prominence_ratio(mine), subject, evidence, taken))
    return found


def group_ratios(faces: dict[str, list[EncodedFace]], groups: Sequence[str]) -> dict[str, float]:
    return {path: prominence_ratio(faces[path]) for path in groups if len(faces.get(path, [])) > 1}


def outcome(photos: Sequence[MultiFacePhoto], groups: dict[str, float], ratio: float) -> RuleOutcome:
    taken = [p for p in photos if p.ratio >= ratio]
    return RuleOutcome(
        ratio,
        taken=len(taken),
        taken_right=sum(p.subject == 0 for p in taken),
        taken_wrong=sum(p.subject is not None and p.subject > 0 for p in taken),
        taken_untold=sum(p.subject is None for p in taken),
        refused=len(photos) - len(taken),
        groups_taken=sum(r >= ratio for r in groups.values()),
    )


def sweep(photos: Sequence[MultiFacePhoto], groups: dict[str, float]) -> list[RuleOutcome]:
    return [outcome(photos, groups, ratio) for ratio in sorted({*RATIOS, DOMINANCE})]
