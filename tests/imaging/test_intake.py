import io
import re
import struct
import tracemalloc
import zlib
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, ImageOps

from facerec.errors import (
    DecodeBudgetExceeded,
    ImageTooLarge,
    InvalidImage,
    TruncatedImage,
    UnsupportedImageFormat,
)
from facerec.imaging.intake import ImageLimits, decode_image
from tests.photos import Photos, encoded, rational_orientation_exif

LIMITS = ImageLimits(max_pixels=40_000_000, max_decode_bytes=120_000_000)


@pytest.fixture(scope="module")
def face(photos: Photos) -> Image.Image:
    return photos.open(photos.tight_face).resize((200, 200))


@pytest.mark.parametrize(
    ("image_format", "media_type"),
    [
        ("JPEG", "image/jpeg"),
        ("PNG", "image/png"),
        ("WEBP", "image/webp"),
        ("BMP", "image/bmp"),
        ("GIF", "image/gif"),
        ("TIFF", "image/tiff"),
    ],
)
def test_every_accepted_format_decodes_to_bgr(face: Image.Image, image_format: str, media_type: str) -> None:
    decoded = decode_image(encoded(face, image_format), LIMITS)

    assert decoded.media_type == media_type
    assert decoded.pixels.shape == (200, 200, 3)
    assert decoded.pixels.dtype == np.uint8


def test_channels_are_bgr() -> None:
    red = Image.new("RGB", (8, 8), (255, 0, 0))
    pixels = decode_image(encoded(red, "PNG"), LIMITS).pixels
    assert tuple(pixels[0, 0]) == (0, 0, 255)


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "CMYK", "LA", "1"])
def test_other_modes_become_rgb(face: Image.Image, mode: str) -> None:
    image_format = "JPEG" if mode in ("CMYK", "L") else "PNG"
    if mode == "LA":
        image_format = "PNG"
    decoded = decode_image(encoded(face.convert(mode), image_format), LIMITS)
    assert decoded.pixels.shape == (200, 200, 3)


def test_transparent_pixels_are_composited_on_white() -> None:
    clear = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    pixels = decode_image(encoded(clear, "PNG"), LIMITS).pixels
    assert (pixels == 255).all()


def test_sixteen_bit_images_are_scaled_not_clipped() -> None:
    ramp = (np.linspace(0, 65535, 256, dtype=np.float64).reshape(16, 16)).astype(np.uint16)
    pixels = decode_image(encoded(Image.fromarray(ramp), "PNG"), LIMITS).pixels
    assert pixels[0, 0, 0] == 0
    assert pixels[-1, -1, 0] == 255
    assert 100 < pixels[8, 0, 0] < 155  # the middle of the ramp stays in the middle


def test_gif_first_frame_is_used() -> None:
    frames = [Image.new("RGB", (10, 10), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    pixels = decode_image(buffer.getvalue(), LIMITS).pixels
    assert tuple(pixels[5, 5]) == (0, 0, 255)  # red, in BGR


def test_exif_orientation_turns_the_image_upright() -> None:
    wide = Image.new("RGB", (40, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    pixels = decode_image(encoded(wide, exif=exif.tobytes()), LIMITS).pixels
    assert pixels.shape[:2] == (40, 20)


def test_empty_upload_is_invalid() -> None:
    with pytest.raises(InvalidImage):
        decode_image(b"", LIMITS)


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is text",
        bytes(range(256)) * 8,
        b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF",
    ],
)
def test_non_images_are_invalid(data: bytes) -> None:
    with pytest.raises(InvalidImage):
        decode_image(data, LIMITS)


def test_readable_but_unaccepted_format_is_unsupported(face: Image.Image) -> None:
    with pytest.raises(UnsupportedImageFormat):
        decode_image(encoded(face, "PPM"), LIMITS)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_truncated_files_are_refused(face: Image.Image, image_format: str) -> None:
    data = encoded(face, image_format)
    with pytest.raises(TruncatedImage):
        decode_image(data[: len(data) // 2], LIMITS)


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    """A PNG that claims 40000x40000 pixels is refused before a single row is inflated."""
    header = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1_000_000)  # the start of 4.8 GB of zeros
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")
    with pytest.raises(ImageTooLarge):
        decode_image(data, LIMITS)


def test_the_pixel_limit_is_a_setting(face: Image.Image) -> None:
    with pytest.raises(ImageTooLarge):
        decode_image(encoded(face), ImageLimits(max_pixels=199 * 200, max_decode_bytes=10**9))


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_every_exif_orientation_turns_the_image_as_pillow_does(
    face: Image.Image, orientation: int, image_format: str
) -> None:
    """JPEGs are decoded by libjpeg-turbo and turned in numpy, others through Pillow: both as Pillow's
    exif_transpose would turn them."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encoded(face.crop((0, 0, 200, 120)), image_format, exif=exif.tobytes())
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data)).convert("RGB")))[:, :, ::-1]

    pixels = decode_image(data, LIMITS).pixels

    assert pixels.flags.c_contiguous
    assert np.array_equal(pixels, expected)


def test_jpeg_pixels_are_those_pillow_decodes(face: Image.Image) -> None:
    data = encoded(face, quality=90)
    expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))[:, :, ::-1]
    assert np.array_equal(decode_image(data, LIMITS).pixels, expected)


@pytest.mark.parametrize(
    ("mode", "image_format", "bytes_per_pixel"),
    [("RGB", "PNG", 3), ("RGBA", "PNG", 4), ("CMYK", "JPEG", 4), ("I;16", "PNG", 2), ("L", "PNG", 1)],
)
def test_the_decode_budget_counts_bytes_per_pixel(
    face: Image.Image, mode: str, image_format: str, bytes_per_pixel: int
) -> None:
    source = face.convert("I;16") if mode == "I;16" else face.convert(mode)
    data = encoded(source, image_format)
    fits = ImageLimits(max_pixels=40_000_000, max_decode_bytes=200 * 200 * bytes_per_pixel)
    over = ImageLimits(max_pixels=40_000_000, max_decode_bytes=200 * 200 * bytes_per_pixel - 1)

    assert decode_image(data, fits).pixels.shape == (200, 200, 3)
    with pytest.raises(DecodeBudgetExceeded, match=f"200x200 {mode}"):
        decode_image(data, over)


def test_a_sixteen_bit_bomb_is_refused_before_decoding() -> None:
    """A few kilobytes of 16-bit grey PNG that would take 2 bytes x 64 megapixels: refused from the header,
    although its pixels are within the pixel limit."""
    header = struct.pack(">IIBBBBB", 8000, 8000, 16, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1_000_000)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")
    with pytest.raises(DecodeBudgetExceeded):
        decode_image(data, ImageLimits(max_pixels=100_000_000, max_decode_bytes=120_000_000))


def test_colour_jpeg_pixels_are_those_pillow_decodes_channel_for_channel(photos: Photos) -> None:
    """The grey face above cannot tell BGR from RGB; a colour photo and a red square can."""
    data = photos.bytes_of(photos.group)
    expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))[:, :, ::-1]
    assert np.array_equal(decode_image(data, LIMITS).pixels, expected)

    red = decode_image(encoded(Image.new("RGB", (16, 16), (255, 0, 0)), quality=95), LIMITS).pixels
    assert red[8, 8, 2] > 250
    assert red[8, 8, 0] < 5


def test_an_image_of_exactly_the_pixel_limit_is_accepted(face: Image.Image) -> None:
    decoded = decode_image(encoded(face), ImageLimits(max_pixels=200 * 200, max_decode_bytes=10**9))
    assert decoded.pixels.shape == (200, 200, 3)


def _bomb() -> bytes:
    header = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IEND", b"")


def _bad_bmp_header(face: Image.Image) -> bytes:
    """A BMP whose info header claims a size no BMP version has: Pillow refuses it while opening."""
    data = encoded(face, "BMP")
    return data[:14] + (99).to_bytes(4, "little") + data[18:]


@pytest.mark.parametrize(
    ("make", "limits", "error", "message"),
    [
        (lambda face: b"", LIMITS, InvalidImage, re.escape("the upload is empty")),
        (
            lambda face: b"hello",
            LIMITS,
            InvalidImage,
            re.escape("the upload is not an image in a format we can read"),
        ),
        (
            lambda face: encoded(face, "PPM"),
            LIMITS,
            UnsupportedImageFormat,
            re.escape("PPM images are not accepted; send JPEG, PNG, WebP, BMP, GIF or TIFF"),
        ),
        (
            lambda face: encoded(face),
            ImageLimits(max_pixels=100, max_decode_bytes=10**9),
            ImageTooLarge,
            re.escape("the image is 200x200 pixels; at most 100 pixels are accepted"),
        ),
        (lambda face: _bomb(), LIMITS, ImageTooLarge, r"Image size \(1600000000 pixels\) exceeds .+"),
        (
            _bad_bmp_header,
            LIMITS,
            TruncatedImage,
            r"the image header is corrupt \(.+\)",
        ),
        (
            lambda face: encoded(face, "PNG")[:-200],
            LIMITS,
            TruncatedImage,
            r"the image data is truncated or corrupt \(.+\)",
        ),
    ],
    ids=["empty", "text", "ppm", "pixels", "bomb", "header", "cut"],
)
def test_each_refusal_says_what_is_wrong(
    face: Image.Image, make: Callable[[Image.Image], bytes], limits: ImageLimits, error: type, message: str
) -> None:
    """The message is what the client reads: each is checked whole (Pillow's own words as a pattern)."""
    with pytest.raises(error) as refused:
        decode_image(make(face), limits)
    assert re.fullmatch(message, str(refused.value))


def test_an_image_pillow_only_warns_about_is_refused_with_its_words() -> None:
    """Between Pillow's MAX_IMAGE_PIXELS and twice that, Pillow only warns: the warning is a refusal too,
    before the intake's own pixel limit is even asked."""
    side = 10_000  # 100 megapixels: over Pillow's 89.5 M, under its 179 M error
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IEND", b"")
    with pytest.raises(ImageTooLarge, match="100000000 pixels"):
        decode_image(data, ImageLimits(max_pixels=10**9, max_decode_bytes=10**10))


def test_a_jpeg_pillow_only_warns_about_is_decoded(face: Image.Image) -> None:
    """Only Pillow's bomb warning is a refusal. A malformed MPO block (APP2 "MPF"), which Pillow warns
    about while opening, leaves a photo that decodes as the plain JPEG it also is."""
    payload = b"MPF\x00" + b"not a TIFF header"
    data = encoded(face)
    sent = data[:2] + b"\xff\xe2" + (2 + len(payload)).to_bytes(2, "big") + payload + data[2:]

    with pytest.warns(UserWarning, match="malformed MPO"):
        decoded = decode_image(sent, LIMITS)

    assert decoded.media_type == "image/jpeg"
    assert np.array_equal(decoded.pixels, decode_image(data, LIMITS).pixels)


def test_a_malformed_orientation_leaves_the_photo_as_it_is(face: Image.Image) -> None:
    """An orientation that is no integer (here the fraction 6/1) is not read as any turn."""
    data = encoded(face.crop((0, 0, 200, 120)), exif=rational_orientation_exif(6))
    assert Image.open(io.BytesIO(data)).getexif()[0x0112] == 6  # Pillow's reading equals 6, as a fraction

    pixels = decode_image(data, LIMITS).pixels

    assert np.array_equal(pixels, np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))[:, :, ::-1])


def _mpo(photo: Image.Image) -> bytes:
    """A phone's multi-picture JPEG: the photo, then a second view."""
    buffer = io.BytesIO()
    photo.save(buffer, "MPO", save_all=True, append_images=[photo.resize((64, 48))], quality=90)
    return buffer.getvalue()


@pytest.mark.parametrize("image_format", ["JPEG", "MPO"])
def test_a_jpeg_is_decoded_straight_into_its_bgr_array(photos: Photos, image_format: str) -> None:
    """libjpeg-turbo writes the BGR result itself: the decode holds nothing beside it that Python sees.
    (Through Pillow, its 4-byte pixels are converted band by band: half as much again for this photo.)"""
    photo = photos.open(photos.group)
    data = _mpo(photo) if image_format == "MPO" else encoded(photo, quality=90)
    assert Image.open(io.BytesIO(data)).format == image_format

    tracemalloc.start()
    try:
        pixels = decode_image(data, LIMITS).pixels
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert pixels.shape == (photo.height, photo.width, 3)
    assert peak < 1.05 * pixels.nbytes
