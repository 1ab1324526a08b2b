"""Pixels of every mode to 8-bit BGR, checked value by value against an independent computation: 16-bit
scaling, alpha on white, palettes with and without transparency, and images larger than one band."""

import io

import numpy as np
import pytest
from PIL import Image

from facerec.imaging.intake import ImageLimits, bytes_per_pixel, decode_image
from facerec.imaging.pixels import BAND_PIXELS, orient, to_bgr
from tests.photos import Photos, encoded

LIMITS = ImageLimits(max_pixels=40_000_000, max_decode_bytes=400_000_000)


def reopened(image: Image.Image, image_format: str = "PNG") -> Image.Image:
    """The image as intake meets it: saved, then opened again (16-bit PNGs come back as I;16 or I)."""
    return Image.open(io.BytesIO(encoded(image, image_format)))


def on_white(rgba: np.ndarray) -> np.ndarray:
    """Alpha compositing on white, in floats, rounded to nearest: the reference for the integer version."""
    alpha = rgba[:, :, 3:].astype(np.float64) / 255
    rgb = rgba[:, :, :3].astype(np.float64) * alpha + 255 * (1 - alpha)
    return np.rint(rgb[:, :, ::-1]).astype(np.uint8)


def scaled(values: np.ndarray, peak: int) -> np.ndarray:
    return np.asarray(np.rint(np.clip(values, 0, peak).astype(np.float64) * 255 / peak), dtype=np.uint8)


def test_every_alpha_of_every_level_is_composited_on_white_and_rounded() -> None:
    levels, alphas = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    rgba = np.stack([levels, 255 - levels, levels // 2, alphas], axis=-1).astype(np.uint8)

    pixels = to_bgr(Image.fromarray(rgba, "RGBA"))

    assert np.array_equal(pixels, on_white(rgba))


def test_grey_with_alpha_is_composited_on_white() -> None:
    la = Image.fromarray(np.array([[[0, 0], [0, 255], [100, 128]]], dtype=np.uint8), "LA")
    assert to_bgr(la).tolist() == [
        [[255, 255, 255], [0, 0, 0], [177, 177, 177]]
    ]  # 100 x 128/255 + 255 x 127/255


def test_a_transparent_palette_entry_becomes_white() -> None:
    palette = Image.new("P", (3, 1))
    palette.putpalette([255, 0, 0, 0, 0, 255, 0, 255, 0])
    palette.putdata([0, 1, 2])
    palette.info["transparency"] = 1
    opaque = palette.copy()
    del opaque.info["transparency"]

    assert to_bgr(reopened(palette)).tolist() == [[[0, 0, 255], [255, 255, 255], [0, 255, 0]]]
    assert to_bgr(reopened(opaque)).tolist() == [[[0, 0, 255], [255, 0, 0], [0, 255, 0]]]


def test_a_palette_with_alpha_entries_is_composited_on_white() -> None:
    rgba = np.array([[[255, 0, 0, 0], [0, 0, 255, 255], [0, 200, 0, 100]]], dtype=np.uint8)
    palette = Image.fromarray(rgba, "RGBA").convert("PA")
    assert to_bgr(palette).tolist() == on_white(rgba).tolist()


def test_every_sixteen_bit_level_is_scaled_to_eight_bits_and_rounded() -> None:
    ramp = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    image = reopened(Image.fromarray(ramp))

    grey = to_bgr(image)

    assert image.mode in ("I;16", "I")
    assert np.array_equal(grey[:, :, 0], scaled(ramp, 65535))
    assert np.array_equal(grey[:, :, 0], grey[:, :, 2])


@pytest.mark.parametrize(("brightest", "expected"), [(255, [0, 100, 255]), (256, [0, 0, 1])])
def test_a_sixteen_bit_image_that_never_passes_255_is_taken_as_eight_bit_values(
    brightest: int, expected: list[int]
) -> None:
    """Some tools store 8-bit values in a 16-bit file: they are kept, not darkened to black; one value
    over 255 makes the whole image 16-bit."""
    values = np.array([[0, 100, brightest]], dtype=np.uint16)
    assert to_bgr(reopened(Image.fromarray(values)))[0, :, 1].tolist() == expected


def test_thirty_two_bit_grey_is_clipped_to_the_sixteen_bit_range() -> None:
    values = np.array([[-70000, -5, 0, 32768, 65535, 70000, 2**31 - 1]], dtype=np.int32)
    image = reopened(Image.fromarray(values, "I"), "TIFF")

    assert image.mode == "I"
    assert to_bgr(image)[0, :, 0].tolist() == [0, 0, 0, 128, 255, 255, 255]


def test_a_tall_sixteen_bit_image_is_scaled_by_its_brightest_pixel_in_every_band() -> None:
    """The image spans several bands; the dark bands must not be stretched on their own."""
    width = 512
    height = 3 * BAND_PIXELS // width + 7
    values = np.full((height, width), 200, dtype=np.uint16)
    values[-1, -1] = 65535
    grey = to_bgr(reopened(Image.fromarray(values)))

    assert grey.shape == (height, width, 3)
    assert (grey[:-1, :, 0] == 1).all()  # 200 of 65535
    assert grey[-1, -1, 0] == 255


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "L", "CMYK"])
def test_an_image_of_several_bands_is_converted_row_for_row(photos: Photos, mode: str) -> None:
    """Bands of BAND_PIXELS: every row lands where it belongs, the last, shorter band included."""
    photo = photos.open(photos.group)
    width = photo.width
    height = BAND_PIXELS // width * 2 + 5
    image = photo.resize((width, height)).convert(mode)
    rgba = np.asarray(image.convert("RGBA"))

    pixels = to_bgr(image)

    assert np.array_equal(pixels, on_white(rgba))


def test_an_image_wider_than_a_band_goes_one_row_at_a_time() -> None:
    row = np.arange(BAND_PIXELS + 10, dtype=np.uint32) % 256
    rgb = np.stack([row, row[::-1], row], axis=-1)[None].repeat(3, axis=0).astype(np.uint8)
    rgb[1] = 255 - rgb[1]
    assert np.array_equal(to_bgr(Image.fromarray(rgb)), rgb[:, :, ::-1])


@pytest.mark.parametrize("orientation", [0, 1, 9, 255])
def test_an_orientation_outside_1_to_8_leaves_the_pixels_as_they_are(orientation: int) -> None:
    pixels = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    assert orient(pixels, orientation) is pixels


@pytest.mark.parametrize(
    ("mode", "size"),
    [("1", 1), ("L", 1), ("P", 1), ("LA", 2), ("I;16", 2), ("RGB", 3), ("RGBA", 4), ("CMYK", 4), ("I", 4)],
)
def test_bytes_per_pixel_of_each_mode_as_stored(mode: str, size: int) -> None:
    assert bytes_per_pixel(mode) == size


def test_an_mpo_is_served_as_jpeg(photos: Photos) -> None:
    """Phones save MPO (a JPEG with a second picture inside): its first picture is decoded as a JPEG."""
    face = photos.open(photos.tight_face)
    buffer = io.BytesIO()
    face.save(buffer, "MPO", save_all=True, append_images=[face.transpose(Image.Transpose.FLIP_LEFT_RIGHT)])

    decoded = decode_image(buffer.getvalue(), LIMITS)

    assert decoded.media_type == "image/jpeg"
    first = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))[:, :, ::-1]
    assert np.array_equal(decoded.pixels, first)


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_grey_and_cmyk_jpegs_decode_as_pillow_decodes_them(photos: Photos, mode: str) -> None:
    data = encoded(photos.open(photos.group).convert(mode), "JPEG", quality=92)
    expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))[:, :, ::-1]
    assert np.array_equal(decode_image(data, LIMITS).pixels, expected)
