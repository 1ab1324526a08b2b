import asyncio

import httpx
import numpy as np
from PIL import Image

from tests.api.helpers import assert_error, cosine, image_file
from tests.photos import Photos, encoded


async def test_encode_returns_a_unit_embedding_with_its_face(
    client: httpx.AsyncClient, photos: Photos
) -> None:
    response = await client.post("/api/face/encode", files=image_file(photos.bytes_of(photos.group)))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "buffalo_s"
    assert len(body["embedding"]) == 512
    assert (
        np.linalg.norm(body["embedding"]) == np.float64(1.0)
        or abs(np.linalg.norm(body["embedding"]) - 1) < 1e-5
    )
    assert body["faceCount"] == 6
    assert set(body["face"]) == {"box", "landmarks", "detScore", "quality"}
    assert len(body["face"]["landmarks"]) == 5
    assert body["faces"] is None


async def test_all_faces_returns_every_face_most_prominent_first(
    client: httpx.AsyncClient, photos: Photos
) -> None:
    response = await client.post(
        "/api/face/encode", files=image_file(photos.bytes_of(photos.group)), data={"allFaces": "true"}
    )

    body = response.json()
    assert len(body["faces"]) == 6
    assert body["faces"][0]["embedding"] == body["embedding"]
    assert body["faces"][0]["box"] == body["face"]["box"]


async def test_default_face_is_the_largest_central_one(client: httpx.AsyncClient, photos: Photos) -> None:
    group = photos.open(photos.group)
    response = await client.post(
        "/api/face/encode", files=image_file(encoded(group)), data={"allFaces": "true"}
    )
    faces = response.json()["faces"]
    areas = [face["box"]["width"] * face["box"]["height"] for face in faces]
    # A big face at the edge of the photo must not lose to a slightly bigger face in the centre, and
    # the chosen one is at least as large as the median face.
    assert areas[0] >= sorted(areas)[len(areas) // 2]


async def test_a_face_that_fills_the_photo_is_found(client: httpx.AsyncClient, photos: Photos) -> None:
    """SCRFD misses faces that fill the frame (insightface issue 1518); the coarse pass finds them: the
    whole face (a box of most of the photo), embedded as the same face found small in a larger photo
    (measured cosine 0.95)."""
    tight = photos.open(photos.tight_face)
    embeddings = []
    for side in (112, 400, 1000):
        response = await client.post(
            "/api/face/encode",
            files=image_file(encoded(tight.resize((side, side), Image.Resampling.LANCZOS))),
        )
        assert response.status_code == 200, f"{side}px: {response.text}"
        box = response.json()["face"]["box"]
        assert min(box["width"], box["height"]) >= side / 2, f"{side}px: {box}"
        assert -0.1 * side <= box["x"] < box["x"] + box["width"] <= 1.1 * side, f"{side}px: {box}"
        embeddings.append(response.json()["embedding"])
    canvas = Image.new("RGB", (448, 448), (128, 128, 128))
    canvas.paste(tight, (168, 168))  # the same face, small in a larger photo: found by the main pass
    reference = await client.post("/api/face/encode", files=image_file(encoded(canvas)))
    similarities = [cosine(reference.json()["embedding"], embedding) for embedding in embeddings]
    assert min(similarities) > 0.8, similarities  # the face itself, whatever its size


async def test_exif_orientation_is_applied(client: httpx.AsyncClient, photos: Photos) -> None:
    """A phone photo stored sideways with an orientation tag yields the same face as the upright one."""
    upright = photos.open(photos.tight_face).resize((400, 400))
    sideways = upright.transpose(Image.Transpose.ROTATE_90)  # what the sensor wrote
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": undoes ROTATE_90 (counter-clockwise)
    tagged = encoded(sideways, exif=exif.tobytes())

    reference = await client.post("/api/face/encode", files=image_file(encoded(upright)))
    rotated = await client.post("/api/face/encode", files=image_file(tagged))

    assert rotated.status_code == 200, rotated.text
    assert cosine(reference.json()["embedding"], rotated.json()["embedding"]) > 0.95


async def test_photo_without_a_face_is_422_no_face(client: httpx.AsyncClient) -> None:
    landscape = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    response = await client.post("/api/face/encode", files=image_file(encoded(landscape)))
    assert_error(response, 422, "no_face")


async def test_face_below_minimum_size_is_422_face_too_small(
    client: httpx.AsyncClient, photos: Photos
) -> None:
    group = photos.open(photos.group)
    tiny = group.resize((group.width // 8, group.height // 8), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (640, 640), (128, 128, 128))
    canvas.paste(tiny, (100, 100))
    response = await client.post("/api/face/encode", files=image_file(encoded(canvas, quality=95)))
    assert_error(response, 422, "face_too_small")


async def test_event_loop_stays_free_while_encodes_run(client: httpx.AsyncClient, photos: Photos) -> None:
    """/healthz answers while several encodes are still in flight: inference is off the event loop."""
    data = photos.bytes_of(photos.group)
    encodes = [asyncio.create_task(client.post("/api/face/encode", files=image_file(data))) for _ in range(6)]
    await asyncio.sleep(0)  # let them start

    health = await client.get("/healthz")

    in_flight = sum(not task.done() for task in encodes)
    results = await asyncio.gather(*encodes)
    assert health.status_code == 200
    assert in_flight > 0, "every encode finished before /healthz answered"
    assert all(result.status_code == 200 for result in results)
