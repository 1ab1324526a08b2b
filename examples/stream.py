"""Send a video file or a webcam to facerec's live video stream and print what it says.

    python examples/stream.py video.mp4                 # a file
    python examples/stream.py 0 --fps 5                 # the first webcam
    python examples/stream.py 0 --url ws://host:8000 --collection door --api-key "$FACEREC_API_KEY"

Needs `opencv-python` (or -headless) and `websockets`. Frames are JPEG-encoded and sent at --fps; the
server keeps only the latest frame while it is busy, so a slow server drops frames (each reply says how
many) rather than falling behind. Events (track_started, identified, track_ended) are printed as they
come; --frames also prints every frame reply.
"""

import argparse
import asyncio
import json
import time

import cv2
from websockets.asyncio.client import ClientConnection, connect

JPEG_QUALITY = 85


async def send_frames(stream: ClientConnection, source: str, fps: float) -> None:
    capture = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not capture.isOpened():
        raise SystemExit(f"cannot open {source!r}")
    try:
        while True:
            started = time.monotonic()
            ok, frame = await asyncio.to_thread(capture.read)
            if not ok:
                return  # end of the file
            ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if ok:
                await stream.send(jpeg.tobytes())
            await asyncio.sleep(max(0.0, 1 / fps - (time.monotonic() - started)))
    finally:
        capture.release()


async def print_messages(stream: ClientConnection, every_frame: bool) -> None:
    async for raw in stream:
        message = json.loads(raw)
        kind = message["type"]
        if kind == "frame" and every_frame:
            faces = ", ".join(
                f"#{face['trackId']} {face['displayName'] or face['verdict']}" for face in message["faces"]
            )
            print(f"frame {message['seq']} (dropped {message['dropped']}): {faces or 'no face'}")
        elif kind == "identified":
            who = message["displayName"] or "someone not registered"
            print(f"frame {message['seq']}: track {message['trackId']} is {who} ({message['verdict']})")
        elif kind in ("track_started", "track_ended"):
            print(f"frame {message['seq']}: track {message['trackId']} {kind.removeprefix('track_')}")
        elif kind == "error":
            print(f"error: {message['error']['code']}: {message['error']['message']}")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("source", help="a video file, or a camera number (0 = the first webcam)")
    parser.add_argument("--url", default="ws://127.0.0.1:8000", help="facerec's address (ws:// or wss://)")
    parser.add_argument("--collection", default="default")
    parser.add_argument("--api-key", help="X-API-Key, when access control is on")
    parser.add_argument("--fps", type=float, default=5.0, help="frames sent per second")
    parser.add_argument("--frames", action="store_true", help="print every frame reply too")
    args = parser.parse_args()
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    url = f"{args.url.rstrip('/')}/api/stream?collection={args.collection}"
    async with connect(url, additional_headers=headers) as stream:
        printing = asyncio.create_task(print_messages(stream, args.frames))
        await send_frames(stream, args.source, args.fps)
        await asyncio.sleep(2)  # the last answers
        printing.cancel()


if __name__ == "__main__":
    asyncio.run(main())
