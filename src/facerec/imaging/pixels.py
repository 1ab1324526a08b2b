"""Decoded pixels to an upright 8-bit BGR array, holding at most one extra band of rows at a time.

A whole-image conversion (`convert("RGB")`, a float64 scaling of 16-bit values) holds several full-size
copies at once; a photo of a few kilobytes can then cost a gigabyte. Here the result is allocated once and
filled band by band, so the peak is the decoded source plus the result (docs/BENCHMARKS.md, decode memory).
"""

from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image

from facerec.models.faces import ImageArray

BAND_PIXELS = 1 << 18  # a band's temporaries stay within a few MiB, whatever the width
WIDE_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})  # 16-bit grey, as Pillow opens it
ALPHA_MODES = frozenset({"RGBA", "LA", "PA"})
ORIENTATION_TAG = 0x0112
_WHITE = 255

BandConverter = Callable[[Image.Image], ImageArray]


def to_bgr(image: Image.Image) -> ImageArray:
    """8-bit BGR from any mode: 16-bit scaled down, alpha composited on white, palette/CMYK converted."""
    width, height = image.size
    bgr = np.empty((height, width, 3), dtype=np.uint8)
    convert = _band_converter(image)
    rows = max(1, BAND_PIXELS // width)
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        bgr[top:bottom] = convert(image.crop((0, top, width, bottom)))
    return bgr


def orient(pixels: ImageArray, orientation: int) -> ImageArray:
    """Turn the pixels upright by their EXIF orientation (1-8), as Pillow's `exif_transpose` does."""
    turned: ImageArray
    match orientation:
        case 2:
            turned = pixels[:, ::-1]
        case 3:
            turned = pixels[::-1, ::-1]
        case 4:
            turned = pixels[::-1]
        case 5:
            turned = pixels.transpose(1, 0, 2)
        case 6:
            turned = np.rot90(pixels, k=-1)
        case 7:
            turned = pixels[::-1, ::-1].transpose(1, 0, 2)
        case 8:
            turned = np.rot90(pixels, k=1)
        case _:
            return pixels
    return np.ascontiguousarray(turned)


def _band_converter(image: Image.Image) -> BandConverter:
    if image.mode in WIDE_MODES:
        # The scale comes from the whole image: a dark 16-bit photo must not be stretched band by band.
        brightest = image.getextrema()[1]
        assert isinstance(brightest, int | float)
        return _wide_grey(65535 if brightest > 255 else 255)
    if image.mode in ALPHA_MODES or (image.mode == "P" and "transparency" in image.info):
        return _on_white
    return _plain


def _wide_grey(peak: int) -> BandConverter:
    """16- or 32-bit grey to 8 bits in integers (rounded as x / peak * 255 + 0.5), never through floats."""

    def convert(band: Image.Image) -> ImageArray:
        wide = np.clip(np.asarray(band), 0, peak).astype(np.uint32)
        grey = ((wide * 255 + peak // 2) // peak).astype(np.uint8)
        return np.asarray(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), dtype=np.uint8)

    return convert


def _plain(band: Image.Image) -> ImageArray:
    rgb = np.asarray(band if band.mode == "RGB" else band.convert("RGB"))
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), dtype=np.uint8)


def _on_white(band: Image.Image) -> ImageArray:
    rgba = np.asarray(band.convert("RGBA"))
    alpha = rgba[:, :, 3:].astype(np.uint16)
    blended = rgba[:, :, 2::-1].astype(np.uint16)  # BGR
    blended *= alpha
    blended += _WHITE * (_WHITE - alpha) + 127
    blended //= _WHITE
    return blended.astype(np.uint8)
