"""Image intake shared by every endpoint: bytes in, an upright 8-bit BGR array out, or a clear refusal."""

import io
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from facerec.errors import ImageTooLarge, InvalidImage, TruncatedImage, UnsupportedImageFormat
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
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})


@dataclass(frozen=True)
class DecodedImage:
    pixels: ImageArray
    media_type: str  # from the decoded format, never from what the client claimed


def decode_image(data: bytes, *, max_pixels: int) -> DecodedImage:
    """Decode an upload. The pixel limit is checked from the header, before any pixel is decoded."""
    if not data:
        raise InvalidImage("the upload is empty")
    image = _open(data)
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLarge(f"the image is {width}x{height} pixels; at most {max_pixels} pixels are accepted")
    image_format = str(image.format)
    try:
        image.seek(0)  # the first frame of an animation
        image.load()
        ImageOps.exif_transpose(image, in_place=True)  # no copy when the photo is already upright
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise TruncatedImage(f"the image data is truncated or corrupt ({error})") from error
    bgr = np.asarray(cv2.cvtColor(_to_rgb(image), cv2.COLOR_RGB2BGR), dtype=np.uint8)
    return DecodedImage(bgr, MEDIA_TYPES[image_format])


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


def _to_rgb(image: Image.Image) -> np.ndarray:
    """8-bit RGB from any mode: 16-bit scaled down, alpha composited on white, palette/CMYK converted."""
    if image.mode in _SIXTEEN_BIT_MODES:
        wide = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if wide.max(initial=0) > 255 else 255.0
        gray = np.clip(wide / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(canvas, rgba).convert("RGB"))
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
