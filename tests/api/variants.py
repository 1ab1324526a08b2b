"""Worse copies of a real face, each a known quality failure."""

from PIL import ImageDraw, ImageFilter

from tests.api.faces import Person
from tests.photos import encoded


def blurred(person: Person) -> bytes:
    """Out of focus: a 3 px Gaussian blur on a face about 100 px wide."""
    return encoded(person.portrait.filter(ImageFilter.GaussianBlur(3)), quality=95)


def shrunk(person: Person) -> bytes:
    """A third of the size: the face is about 35 px."""
    small = person.portrait.resize((person.portrait.width // 3, person.portrait.height // 3))
    return encoded(small, quality=95)


def rotated(person: Person) -> bytes:
    """Turned on its side."""
    return encoded(person.portrait.rotate(90, expand=True), quality=95)


def half_hidden(person: Person) -> bytes:
    """The lower half of the photo covered, as by a scarf or a mask."""
    covered = person.portrait.copy()
    width, height = covered.size
    ImageDraw.Draw(covered).rectangle([0, height // 2, width, height], fill=(128, 128, 128))
    return encoded(covered, quality=95)
