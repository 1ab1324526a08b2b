"""Stored photos lose their metadata: losslessly when they are upright JPEG or PNG, re-encoded otherwise."""

import io

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms

from facerec.imaging.intake import ImageLimits, decode_image
from facerec.imaging.scrub import Photo, without_metadata
from tests.photos import IPTC, SERIAL, XMP, Photos, camera_exif, camera_jpeg, encoded

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


def test_restart_markers_fill_bytes_and_colour_segments_are_copied_other_app2_is_not(
    portrait: Image.Image,
) -> None:
    """Restart markers (RSTn) inside the scan and fill bytes before a marker are part of the picture; an
    APP2 that is not the ICC profile (a FlashPix or MPF block) is metadata."""
    plain = camera_jpeg(portrait, restart_marker_rows=1)
    assert b"\xff\xd0" in plain[plain.index(b"\xff\xda") :]
    flashpix = b"FPXR\x00" + b"camera owner Ada"
    app2 = b"\xff\xe2" + (2 + len(flashpix)).to_bytes(2, "big") + flashpix
    scan = plain.index(b"\xff\xda")
    sent = plain[:2] + app2 + plain[2:scan] + b"\xff\xff" + plain[scan:]  # fill bytes before the scan

    stored = scrubbed(sent)

    assert stored.media_type == "image/jpeg"
    assert b"camera owner" not in stored.data
    assert traces(stored.data) == []
    assert stored.data[stored.data.index(b"\xff\xda") :] == plain[scan:]  # the scans, byte for byte
    assert np.array_equal(pixels(stored.data), pixels(plain))


def test_a_jpeg_the_copier_cannot_follow_is_reencoded_from_its_pixels(portrait: Image.Image) -> None:
    """Structure the copier does not expect (here: no end-of-image marker) falls back to re-encoding the
    decoded pixels, never to storing the bytes as sent."""
    sent = camera_jpeg(portrait)
    decoded = decode_image(sent, LIMITS)

    stored = without_metadata(sent[:-2], decoded)

    assert stored.media_type == "image/jpeg"
    assert traces(stored.data) == []
    assert pixels(stored.data).shape == decoded.pixels.shape
