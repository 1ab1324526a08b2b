"""Synthetic video made from real photos: a photo moving and growing across a 640x480 canvas."""

from PIL import Image

from tests.photos import encoded

CANVAS = (640, 480)
BACKGROUND = (96, 96, 96)
MARGIN = 16


def moving_photo(photo: Image.Image, frames: int, *, heights: tuple[int, int] = (240, 300)) -> list[bytes]:
    """`frames` JPEG frames: the photo scaled from `heights[0]` to `heights[1]` px high while it moves
    from the top-left corner of the canvas to the bottom-right."""
    video = []
    for index in range(frames):
        progress = index / max(1, frames - 1)
        height = round(heights[0] + (heights[1] - heights[0]) * progress)
        width = round(photo.width * height / photo.height)
        x = round(MARGIN + (CANVAS[0] - width - 2 * MARGIN) * progress)
        y = round(MARGIN + (CANVAS[1] - height - 2 * MARGIN) * progress)
        canvas = Image.new("RGB", CANVAS, BACKGROUND)
        canvas.paste(photo.resize((width, height), Image.Resampling.BILINEAR), (x, y))
        video.append(encoded(canvas, quality=85))
    return video


def blank_frames(frames: int) -> list[bytes]:
    return [encoded(Image.new("RGB", CANVAS, BACKGROUND), quality=85)] * frames
