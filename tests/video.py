"""Synthetic video made from real photos: a photo moving and growing across a 640x480 canvas."""

import io

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


def y4m(frames: list[bytes], fps: int) -> bytes:
    """The frames as a YUV4MPEG2 video: a header, then each frame as raw 4:2:0 planes (full-range YCbCr,
    as JPEG has it). Chromium's fake camera plays such a file (`--use-file-for-fake-video-capture`)."""
    width, height = CANVAS
    chroma = (width // 2, height // 2)
    video = [f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode()]
    for frame in frames:
        luma, blue, red = Image.open(io.BytesIO(frame)).convert("YCbCr").split()
        video += [b"FRAME\n", luma.tobytes()]
        video += [plane.resize(chroma, Image.Resampling.BOX).tobytes() for plane in (blue, red)]
    return b"".join(video)
