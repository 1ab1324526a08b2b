"""Image intake shared by every endpoint: bytes in, an upright 8-bit BGR array out, or a clear refusal."""

import io
import warnings
from dataclasses import dataclass

import numpy as np
import simplejpeg
from PIL import Image, ImageMode, UnidentifiedImageError

from facerec.errors import (
    DecodeBudgetExceeded,
    ImageTooLarge,
    InvalidImage,
    TruncatedImage,
    UnsupportedImageFormat,
)
from facerec.imaging.pixels import ORIENTATION_TAG, orient, to_bgr
from facerec.models.faces import ImageArray

MEDIA_TYPES = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "GIF": "image/gif",
    "TIFF": "image/tiff",
}
# JPEGs that libjpeg-turbo can decode straight into BGR (YCbCr or grey); CMYK ones go through Pillow.
_DIRECT_JPEG_MODES = frozenset({"RGB", "L"})
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError)


@dataclass(frozen=True)
class DecodedImage:
    pixels: ImageArray
    media_type: str  # from the decoded format, never from what the client claimed


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int
    max_decode_bytes: int  # width x height x bytes per pixel of the image as stored (16-bit, alpha...)


def decode_image(data: bytes, limits: ImageLimits) -> DecodedImage:
    """Decode an upload. Both limits are checked from the header, before any pixel is decoded."""
    if not data:
        raise InvalidImage("the upload is empty")
    pixels, orientation, media_type = _decode(data, limits)
    return DecodedImage(orient(pixels, orientation), media_type)


def _check_limits(image: Image.Image, limits: ImageLimits) -> None:
    width, height = image.size
    if width * height > limits.max_pixels:
        raise ImageTooLarge(
            f"the image is {width}x{height} pixels; at most {limits.max_pixels} pixels are accepted"
        )
    stored = width * height * bytes_per_pixel(image.mode)
    if stored > limits.max_decode_bytes:
        raise DecodeBudgetExceeded(
            f"the {width}x{height} {image.mode} image takes {stored} bytes to decode; at most "
            f"{limits.max_decode_bytes} are allowed: send fewer pixels, 8 bits per channel or no alpha"
        )


def bytes_per_pixel(mode: str) -> int:
    """Bytes per pixel of an image mode as stored: 3 for RGB, 4 for RGBA or CMYK, 2 for 16-bit grey."""
    description = ImageMode.getmode(mode)
    return len(description.bands) * np.dtype(description.typestr).itemsize


def _decode(data: bytes, limits: ImageLimits) -> tuple[ImageArray, int, str]:
    """The pixels as stored, their EXIF orientation and the media type. The Pillow image is dropped on
    return, before the pixels are turned upright (which copies them)."""
    image = _open(data)
    _check_limits(image, limits)
    try:
        direct = image.format in ("JPEG", "MPO") and image.mode in _DIRECT_JPEG_MODES
        pixels = _decode_jpeg(data) if direct else None
        if pixels is None:
            image.seek(0)  # the first frame of an animation
            image.load()
            pixels = to_bgr(image)
        orientation = exif_orientation(image)
    except _DECODE_ERRORS as error:
        raise TruncatedImage(f"the image data is truncated or corrupt ({error})") from error
    return pixels, orientation, MEDIA_TYPES[str(image.format)]


def _decode_jpeg(data: bytes) -> ImageArray | None:
    """Pillow has read and checked the header; libjpeg-turbo decodes straight into BGR, without Pillow's
    4-byte pixels and two more copies (docs/BENCHMARKS.md, decoding). None where libjpeg-turbo finds fault
    with the data: Pillow then decides, as before, since it accepts what libjpeg only warns about (stray
    bytes before a marker) and refuses what is truly cut short."""
    try:
        pixels: ImageArray = simplejpeg.decode_jpeg(data, colorspace="BGR", strict=True)  # uint8
    except ValueError:
        return None
    return pixels


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation; 1 (as it is) where there is none or it is no integer (a malformed tag)."""
    value = image.getexif().get(ORIENTATION_TAG)
    return value if isinstance(value, int) else 1


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(str(error)) from error
    except Image.DecompressionBombWarning as error:
        raise ImageTooLarge(str(error)) from error
    except UnidentifiedImageError as error:
        raise InvalidImage("the upload is not an image in a format we can read") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise TruncatedImage(f"the image header is corrupt ({error})") from error
    if image.format not in MEDIA_TYPES:
        raise UnsupportedImageFormat(
            f"{image.format} images are not accepted; send JPEG, PNG, WebP, BMP, GIF or TIFF"
        )
    return image
