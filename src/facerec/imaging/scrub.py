"""Stored photos without what cameras and editors write into them: EXIF (GPS position, camera serial, owner,
time), XMP, IPTC and comments.

An upright JPEG or PNG loses its metadata losslessly: every other segment or chunk is copied byte for byte.
A photo that needs turning upright (an EXIF orientation other than 1), and the other formats, are
re-encoded from the upright pixels the faces were found in, so the stored photo and the face boxes agree
whatever the viewer does with orientation tags. Costs: docs/BENCHMARKS.md (bench/scrub.py)."""

import io
import re
from dataclasses import dataclass

import cv2
from PIL import Image

from facerec.imaging.intake import DecodedImage, exif_orientation

REENCODE_JPEG_QUALITY = 95  # a generation loss no viewer sees; about the size of a phone's own JPEG
PNG_COMPRESSION = 3  # zlib level: lossless; 6 and above take several times longer for a few % less
_LOSSY = frozenset({"image/jpeg", "image/webp"})

_JPEG_EOI, _JPEG_SOS = 0xD9, 0xDA
_JPEG_APP1, _JPEG_APP2, _JPEG_APP14, _JPEG_APP15, _JPEG_COM = 0xE1, 0xE2, 0xEE, 0xEF, 0xFE
# Comments and the APPn segments, except JFIF (APP0) and Adobe's colour transform (APP14), which decoders need
# to show the right colours; APP2 is decided by its payload (the ICC colour profile is kept).
_JPEG_METADATA = frozenset({_JPEG_COM, *range(_JPEG_APP1, _JPEG_APP15 + 1)} - {_JPEG_APP14})
# A marker ending the entropy-coded data of a scan: 0xFF, then neither a stuffed 0x00, a restart marker
# (RST0-RST7) nor a fill byte.
_JPEG_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_ICC_PROFILE = b"ICC_PROFILE\x00"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_METADATA = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"})


@dataclass(frozen=True)
class Photo:
    data: bytes
    media_type: str


def without_metadata(data: bytes, decoded: DecodedImage) -> Photo:
    """The photo to store: `data` as sent, less its metadata. `decoded` is its upright decoding."""
    if _orientation(data) == 1:
        if decoded.media_type == "image/jpeg" and (jpeg := _jpeg_without_metadata(data)) is not None:
            return Photo(jpeg, decoded.media_type)
        if decoded.media_type == "image/png" and (png := _png_without_metadata(data)) is not None:
            return Photo(png, decoded.media_type)
    return _reencoded(decoded)


def _orientation(data: bytes) -> int:
    with Image.open(io.BytesIO(data)) as image:
        return exif_orientation(image)


def _reencoded(decoded: DecodedImage) -> Photo:
    if decoded.media_type in _LOSSY:
        _, jpeg = cv2.imencode(".jpg", decoded.pixels, [cv2.IMWRITE_JPEG_QUALITY, REENCODE_JPEG_QUALITY])
        return Photo(jpeg.tobytes(), "image/jpeg")
    _, png = cv2.imencode(".png", decoded.pixels, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
    return Photo(png.tobytes(), "image/png")


def _jpeg_without_metadata(data: bytes) -> bytes | None:
    """The JPEG's segments up to its first end-of-image, less the metadata ones; None if it is malformed
    (it is then re-encoded). What follows the first image (an MPO's other pictures, trailers) is dropped.
    A segment or scan cut short by the end of the data leaves nothing more to read: None."""
    if data[:2] != b"\xff\xd8":
        return None
    kept = [data[:2]]
    position = 2
    while position + 2 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == _JPEG_EOI:
            kept.append(data[position : position + 2])
            return b"".join(kept)
        end = position + 2 + int.from_bytes(data[position + 2 : position + 4], "big")
        if _jpeg_segment_kept(marker, data[position + 4 : end]):
            kept.append(data[position:end])
        position = end
        if marker == _JPEG_SOS:
            scan_end = _end_of_scan(data, position)
            if scan_end is None:
                return None
            kept.append(data[position:scan_end])
            position = scan_end
    return None


def _jpeg_segment_kept(marker: int, payload: bytes) -> bool:
    if marker == _JPEG_APP2:
        return payload.startswith(_ICC_PROFILE)
    return marker not in _JPEG_METADATA


def _end_of_scan(data: bytes, position: int) -> int | None:
    """Where the entropy-coded data after a start-of-scan ends: at the first marker."""
    marker = _JPEG_MARKER_IN_SCAN.search(data, position)
    return None if marker is None else marker.start()


def _png_without_metadata(data: bytes) -> bytes | None:
    if not data.startswith(_PNG_SIGNATURE):
        return None
    kept = [_PNG_SIGNATURE]
    position = len(_PNG_SIGNATURE)
    while True:  # each chunk moves on by 12 bytes or more, so one runs past the end of the data in the end
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            return None
        if kind not in _PNG_METADATA:
            kept.append(data[position:end])
        position = end
        if kind == b"IEND":
            return b"".join(kept)
