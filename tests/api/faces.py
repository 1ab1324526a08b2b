"""Six people cut out of insightface's group photo, for store tests that must run without other data."""

from dataclasses import dataclass

from PIL import Image, ImageOps

from tests.photos import Photos, encoded

# Face boxes of t1.jpg's six people (x1, y1, x2, y2), from the detector, left to right.
T1_BOXES = [
    (56, 261, 169, 398),
    (270, 145, 372, 270),
    (464, 266, 573, 415),
    (745, 342, 847, 480),
    (906, 59, 1011, 206),
    (1130, 273, 1227, 401),
]


@dataclass(frozen=True)
class Person:
    name: str
    portrait: Image.Image  # the face with some margin

    def photo(self) -> bytes:
        return encoded(self.portrait, quality=95)

    def other_photo(self) -> bytes:
        """A different picture of the same face: mirrored, rescaled and re-compressed."""
        mirrored = ImageOps.mirror(self.portrait)
        scaled = mirrored.resize(
            (mirrored.width * 3 // 2, mirrored.height * 3 // 2), Image.Resampling.BICUBIC
        )
        return encoded(scaled, quality=70)


def people(photos: Photos) -> list[Person]:
    group = photos.open(photos.group)
    result = []
    for index, (x1, y1, x2, y2) in enumerate(T1_BOXES):
        margin_x, margin_y = (x2 - x1) // 2, (y2 - y1) // 2
        box = (max(0, x1 - margin_x), max(0, y1 - margin_y), x2 + margin_x, y2 + margin_y)
        result.append(Person(name=f"person {index + 1}", portrait=group.crop(box)))
    return result
