"""Real photos for the tests: insightface's bundled samples, variants made from them, and the labelled
faces-deepface set beside the project when it is there."""

import io
import os
from dataclasses import dataclass
from pathlib import Path

import insightface
from PIL import ExifTags, Image, ImageCms

from facerec.imaging.intake import ImageLimits, decode_image
from facerec.models.faces import ImageArray

INSIGHTFACE_IMAGES = Path(insightface.__file__).parent / "data" / "images"
DEEPFACE_DIR = Path(
    os.environ.get("FACEREC_DEEPFACE_DIR", Path(__file__).parents[2] / "shared" / "data" / "faces-deepface")
)


@dataclass(frozen=True)
class Photos:
    group: Path = INSIGHTFACE_IMAGES / "t1.jpg"  # six people
    tight_face: Path = INSIGHTFACE_IMAGES / "Tom_Hanks_54745.png"  # an aligned 112x112 face crop

    def bytes_of(self, path: Path) -> bytes:
        return path.read_bytes()

    def open(self, path: Path) -> Image.Image:
        return Image.open(path).convert("RGB")


# Room for any test photo: the limits are the subject of other tests.
PHOTO_LIMITS = ImageLimits(max_pixels=100_000_000, max_decode_bytes=10**9)


def pixels_of(path: Path) -> ImageArray:
    """A photo decoded as the service decodes an upload."""
    return decode_image(path.read_bytes(), PHOTO_LIMITS).pixels


def encoded(image: Image.Image, image_format: str = "JPEG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


SERIAL = "SERIAL-0123456789"
XMP = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF>creator: Ada, 52.52N 13.41E</rdf:RDF></x:xmpmeta>"
IPTC = b"Photoshop 3.0\x008BIM\x04\x04IPTC by-line: Ada"
IPTC_SEGMENT = b"\xff\xed" + (2 + len(IPTC)).to_bytes(2, "big") + IPTC  # APP13


def camera_exif(orientation: int = 1) -> Image.Exif:
    """What a phone writes: maker, orientation, the camera's serial number and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.BodySerialNumber] = SERIAL
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)})
    return exif


def camera_jpeg(image: Image.Image, orientation: int = 1, **options: object) -> bytes:
    """A JPEG with EXIF (GPS, serial), XMP, IPTC, a comment and an ICC profile, as cameras and editors
    save them."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encoded(
        image,
        "JPEG",
        exif=camera_exif(orientation).tobytes(),
        xmp=XMP,
        comment=b"owner: Ada Lovelace",
        icc_profile=icc,
        **options,
    )
    return data[:2] + IPTC_SEGMENT + data[2:]


def deepface_labels() -> dict[str, str] | None:
    """path -> identity for faces-deepface, or None where the set is absent."""
    labels = DEEPFACE_DIR / "labels.csv"
    if not labels.is_file():
        return None
    rows = labels.read_text().splitlines()[1:]
    return dict(row.split(",", 1) for row in rows if row)


def rational_orientation_exif(orientation: int) -> bytes:
    """EXIF whose orientation is a RATIONAL (`orientation`/1), not the SHORT the standard asks for: a
    malformed tag. Pillow reads it as a fraction, which equals the integer."""
    entry = (
        (0x0112).to_bytes(2, "big")
        + (5).to_bytes(2, "big")
        + (1).to_bytes(4, "big")
        + (26).to_bytes(4, "big")
    )
    ifd = (1).to_bytes(2, "big") + entry + bytes(4)  # one entry, no next directory
    value = orientation.to_bytes(4, "big") + (1).to_bytes(4, "big")  # at offset 8 + 18 = 26
    return b"Exif\x00\x00" + b"MM\x00\x2a" + (8).to_bytes(4, "big") + ifd + value
