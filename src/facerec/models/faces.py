"""Data shapes of the face pipeline and the rules that pick the subject of a photo."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from facerec.models.quality import FaceQuality

FloatArray = npt.NDArray[np.float32]
ImageArray = npt.NDArray[np.uint8]  # H x W x 3, BGR (insightface's convention)

# A photo with several faces has a subject when its most prominent face is at least this many times as
# prominent as the next. Measured in docs/ACCURACY.md ("Photos with bystanders"): in all 45 multi-face
# photos of faces-celeba and faces-deepface whose subject could be told from the person's other photos, the
# subject was the most prominent face; group photos where nobody is the subject have ratios of 1.15 to 1.35,
# and a couple in faces-celeba 1.88. 2.0 is the round number above every photo where faces compete.
DOMINANCE = 2.0


@dataclass(frozen=True)
class Box:
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    def iou(self, other: "Box") -> float:
        """Intersection over union of the two boxes."""
        width = max(0.0, min(self.x2, other.x2) - max(self.x1, other.x1))
        height = max(0.0, min(self.y2, other.y2) - max(self.y1, other.y1))
        overlap = width * height
        union = self.width * self.height + other.width * other.height - overlap
        return overlap / union if union > 0 else 0.0


@dataclass(frozen=True)
class DetectedFace:
    box: Box
    landmarks: FloatArray  # 5 x 2: eyes, nose, mouth corners
    score: float
    prominence: float  # how much this face is the subject of the photo; see `prominence`


@dataclass(frozen=True)
class EncodedFace:
    face: DetectedFace
    embedding: FloatArray  # 512, unit L2 norm
    quality: FaceQuality


@dataclass(frozen=True)
class Encoding:
    """The faces kept from one image, most prominent first, and how many the detector saw."""

    faces: list[EncodedFace]
    detected: int  # every face found
    recognisable: int  # faces large enough to embed


def prominence(box: Box, image_width: int, image_height: int) -> float:
    """Face area, discounted by up to half as the face centre moves from the image centre to a corner.

    A large face wins over a small one; between faces of similar size the central one wins.
    """
    half_diagonal = float(np.hypot(image_width, image_height)) / 2
    dx = (box.x1 + box.x2) / 2 - image_width / 2
    dy = (box.y1 + box.y2) / 2 - image_height / 2
    off_centre = min(1.0, float(np.hypot(dx, dy)) / half_diagonal)
    return box.width * box.height * (1.0 - 0.5 * off_centre)


def dominant_face(faces: Sequence[EncodedFace]) -> EncodedFace | None:
    """The face that is clearly the subject of the photo, or None when faces compete (or there are none).

    A single face is the subject; of several, the most prominent one when it is at least `DOMINANCE` times
    as prominent as every other.
    """
    ranked = sorted(faces, key=lambda face: face.face.prominence, reverse=True)
    if not ranked:
        return None
    if len(ranked) > 1 and ranked[0].face.prominence < DOMINANCE * ranked[1].face.prominence:
        return None
    return ranked[0]
