"""Stored photos lose their metadata: losslessly when they are upright JPEG or PNG, re-encoded otherwise."""

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms

from facerec.imaging.intake import ImageLimits, decode_image
from facerec.imaging.scrub import Photo, without_metadata
from tests.photos import (
    IPTC,
    SERIAL,
    XMP,
    Photos,
    camera_exif,
    camera_jpeg,
    encoded,
    rational_orientation_exif,
)

LIMITS = ImageLimits(max_pixels=40_000_000, max_decode_bytes=10**9)
TRACES = [SERIAL.encode(), b"Exif", XMP, b"xmpmeta", IPTC, b"Photoshop", b"owner: Ada", b"Canon"]


@pytest.fixture(scope="module")
def portrait(photos: Photos) -> Image.Image:
    """A 480x640 part of a real photo (taller than wide, so a wrong turn shows)."""
    return photos.open(photos.group).crop((500, 0, 980, 640))


def scrubbed(data: bytes) -> Photo:
    return without_metadata(data, decode_image(data, LIMITS))


def traces(data: bytes) -> list[bytes]:
    return [trace for trace in TRACES if trace in data]


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.mark.parametrize("progressive", [False, True])
def test_an_upright_jpeg_loses_its_metadata_and_keeps_every_pixel(
    portrait: Image.Image, progressive: bool
) -> None:
    sent = camera_jpeg(portrait, progressive=progressive)
    assert len(traces(sent)) == len(TRACES)

    stored = scrubbed(sent)

    assert stored.media_type == "image/jpeg"
    assert traces(stored.data) == []
    assert np.array_equal(pixels(stored.data), pixels(sent))
    assert Image.open(io.BytesIO(stored.data)).info.get("icc_profile")  # colours stay as they were
    assert len(sent) - len(stored.data) < 2000  # only the metadata went


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_a_jpeg_to_turn_is_stored_upright_without_metadata(portrait: Image.Image, orientation: int) -> None:
    sent = camera_jpeg(portrait, orientation=orientation)

    stored = scrubbed(sent)

    assert stored.media_type == "image/jpeg"
    assert traces(stored.data) == []
    upright = pixels(stored.data)
    expected = decode_image(sent, LIMITS).pixels[:, :, ::-1]
    assert upright.shape == expected.shape
    assert upright.shape[:2] == ((480, 640) if orientation in (6, 8) else (640, 480))
    assert np.abs(upright.astype(int) - expected).mean() < 2  # quality 95: a generation loss, no more


def test_what_follows_the_first_image_is_dropped(portrait: Image.Image) -> None:
    """An MPO (a phone's depth map or a second view) carries its own EXIF after the first image."""
    first = encoded(portrait)
    sent = first + camera_jpeg(portrait.resize((80, 60)))

    stored = scrubbed(sent)

    assert stored.data == first


def test_an_upright_png_loses_its_text_chunks_and_keeps_every_pixel(portrait: Image.Image) -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    sent = encoded(
        portrait,
        "PNG",
        pnginfo=_png_text(),
        exif=camera_exif().tobytes(),
        icc_profile=icc,
    )
    chunks = [b"tEXt", b"zTXt", b"iTXt", b"eXIf"]
    assert all(chunk in sent for chunk in chunks)

    stored = scrubbed(sent)

    assert stored.media_type == "image/png"
    assert traces(stored.data) == []
    assert [chunk for chunk in chunks if chunk in stored.data] == []
    assert np.array_equal(pixels(stored.data), pixels(sent))
    assert Image.open(io.BytesIO(stored.data)).info.get("icc_profile")


def _png_text() -> object:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "owner: Ada Lovelace")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode(), zip=True)
    info.add_text("Author", SERIAL, zip=True)
    return info


@pytest.mark.parametrize(
    ("image_format", "stored_type"), [("WEBP", "image/jpeg"), ("TIFF", "image/png"), ("PNG", "image/png")]
)
def test_other_photos_and_turned_pngs_are_reencoded_upright(
    portrait: Image.Image, image_format: str, stored_type: str
) -> None:
    sent = encoded(portrait, image_format, exif=camera_exif(orientation=6).tobytes())
    assert SERIAL.encode() in sent

    stored = scrubbed(sent)

    assert stored.media_type == stored_type
    assert traces(stored.data) == []
    assert Image.open(io.BytesIO(stored.data)).size == (640, 480)
    assert Image.open(io.BytesIO(stored.data)).getexif().get(ExifTags.Base.Orientation) is None


def test_a_jpeg_of_unexpected_structure_is_reencoded(portrait: Image.Image) -> None:
    """Bytes after the end of the last scan that are no marker: Pillow decodes it, the copier stops."""
    sent = camera_jpeg(portrait)
    cut = sent.rindex(b"\xff\xd9")
    odd = sent[:cut] + b"\xff\xd0\x00\x00" + sent[cut:]

    stored = scrubbed(odd)

    assert traces(stored.data) == []
    assert pixels(stored.data).shape == pixels(sent).shape


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (2 + len(payload)).to_bytes(2, "big") + payload


@pytest.mark.parametrize("fill", [b"\xff", b"\xff\xff"], ids=["one-fill-byte", "two-fill-bytes"])
def test_restart_markers_fill_bytes_and_colour_segments_are_copied_other_app2_is_not(
    portrait: Image.Image, fill: bytes
) -> None:
    """Restart markers (RSTn) inside the scan and fill bytes before a marker are part of the picture; an
    APP2 that is not the ICC profile (a FlashPix or MPF block) is metadata, and so is the last APPn."""
    plain = camera_jpeg(portrait, restart_marker_rows=1)
    scan = plain.index(b"\xff\xda")
    assert all(bytes((0xFF, 0xD0 + n)) in plain[scan:] for n in range(8))  # RST0 to RST7
    app2 = _segment(0xE2, b"FPXR\x00" + b"camera owner Ada")
    app15 = _segment(0xEF, b"editor owner Ada")
    sent = plain[:2] + app2 + plain[2:scan] + app15 + fill + plain[scan:]  # fill bytes before the scan

    stored = scrubbed(sent)

    assert stored.media_type == "image/jpeg"
    assert b"owner Ada" not in stored.data
    assert traces(stored.data) == []
    assert stored.data[stored.data.index(b"\xff\xda") :] == plain[scan:]  # the scans, byte for byte
    assert np.array_equal(pixels(stored.data), pixels(plain))


def _scan(data: bytes) -> int:
    return data.index(b"\xff\xda")


@pytest.mark.parametrize(
    "cut",
    [
        lambda data: data[:-2],  # no end-of-image marker
        lambda data: data[:-2] + b"\xff",  # the scan ends in a lone 0xFF
        lambda data: data[: _scan(data)],  # the end just after a segment
        lambda data: data[: _scan(data) + 1],  # one byte of a marker
        lambda data: data[:-2] + b"\xff\xfe\x10\x00cut",  # a comment of 4 KiB cut short
        lambda data: data[: _scan(data) + 14] + b"\x00" * 64,  # scan data without any marker
    ],
    ids=["no-eoi", "lone-ff", "after-segment", "marker-byte", "short-segment", "no-marker"],
)
def test_a_jpeg_the_copier_cannot_follow_is_reencoded_from_its_pixels(
    portrait: Image.Image, cut: Callable[[bytes], bytes]
) -> None:
    """Structure the copier does not expect (data that ends where the JPEG structure says more must come)
    falls back to re-encoding the decoded pixels, never to storing the bytes as sent nor to an error."""
    sent = camera_jpeg(portrait)
    decoded = decode_image(sent, LIMITS)

    stored = without_metadata(cut(sent), decoded)

    assert stored.media_type == "image/jpeg"
    assert traces(stored.data) == []
    assert pixels(stored.data).shape == decoded.pixels.shape


def test_a_jpeg_with_a_malformed_orientation_is_copied_as_it_was_decoded(portrait: Image.Image) -> None:
    """An orientation that is no integer turns nothing (tests/imaging/test_intake.py): the faces were found
    in the pixels as stored, so the photo keeps every pixel, less its metadata."""
    sent = encoded(portrait, exif=rational_orientation_exif(6), comment=b"owner: Ada Lovelace")

    stored = scrubbed(sent)

    assert stored.media_type == "image/jpeg"
    assert b"Exif" not in stored.data
    assert b"owner: Ada" not in stored.data
    assert np.array_equal(pixels(stored.data), pixels(sent))
