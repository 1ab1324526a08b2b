import asyncio
from pathlib import Path

from facerec.settings import Settings
from tests.api.helpers import assert_error, image_file
from tests.asgi import running_client
from tests.photos import Photos


async def test_a_burst_beyond_the_queue_is_refused_quickly(
    database_url: str, tmp_path: Path, photos: Photos
) -> None:
    """One worker and one waiting place: a burst of eight is mostly refused with 503 `overloaded` and
    Retry-After at once rather than queued, and the service answers normally afterwards."""
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=tmp_path,
        model_cache_dir=tmp_path,
        auto_migrate=False,
        inference_workers=1,
        max_waiting_jobs=1,
    )
    data = photos.bytes_of(photos.group)
    async with running_client(settings) as client:
        burst = await asyncio.gather(
            *(client.post("/api/face/encode", files=image_file(data)) for _ in range(8))
        )
        refused = [response for response in burst if response.status_code != 200]
        assert 1 <= len(refused) <= 6
        for response in refused:
            assert_error(response, 503, "overloaded")
            assert response.headers["Retry-After"] == "1"
        assert (await client.post("/api/face/encode", files=image_file(data))).status_code == 200
