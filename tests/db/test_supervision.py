"""The embedded Postgres is supervised: brought back when it dies (killed, or stopped by a full disk), and
never left running by a service that was killed."""

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from facerec.settings import Settings
from tests.api.helpers import assert_error, image_file
from tests.asgi import running_client
from tests.fuzz.service import running_service
from tests.photos import Photos

RECOVERY_S = 60.0  # restarts back off from 0.5 s; a few attempts fit well within this


def _settings(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, model_cache_dir=data_dir / "models")


def _postmaster(data_dir: Path) -> psutil.Process:
    pid = int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    return psutil.Process(pid)


async def _readiness_until(client: httpx.AsyncClient, database: str) -> httpx.Response:
    """Poll /readyz until it reports `database`; the answer that did. Polled often: a restart may take
    only a few tenths of a second."""
    deadline = time.monotonic() + RECOVERY_S
    while True:
        response = await client.get("/readyz")
        if response.json()["database"] == database:
            return response
        assert time.monotonic() < deadline, f"/readyz never reported database={database}"
        await asyncio.sleep(0.05)


async def _register(client: httpx.AsyncClient, photos: Photos, name: str) -> httpx.Response:
    photo = photos.bytes_of(photos.tight_face)
    return await client.post(
        "/api/face/register", files=image_file(photo, "face.png", "image/png"), data={"displayName": name}
    )


async def test_a_killed_postmaster_is_restarted_and_requests_recover(tmp_path: Path, photos: Photos) -> None:
    async with running_client(_settings(tmp_path)) as client:
        registered = await _register(client, photos, "Ada")
        assert registered.status_code == 201, registered.text
        killed = _postmaster(tmp_path)

        killed.send_signal(signal.SIGKILL)
        killed.wait(10)

        await _readiness_until(client, "ok")
        assert _postmaster(tmp_path).pid != killed.pid
        fetched = await client.get(f"/api/face/{registered.json()['id']}")
        assert fetched.status_code == 200
        assert (await _register(client, photos, "Grace")).status_code == 201


@contextlib.contextmanager
def _small_disk(folder: Path) -> Iterator[Path]:
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128m", "tmpfs", str(folder)], check=False)
    if mounted.returncode != 0:
        pytest.skip("this machine does not let the tests mount a tmpfs")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as file, contextlib.suppress(OSError):
        while True:
            file.write(bytes(1 << 20))
    assert shutil.disk_usage(disk).free < 1 << 20
    return filler


async def test_after_a_full_disk_stops_postgres_freeing_it_brings_the_service_back(
    tmp_path: Path, photos: Photos
) -> None:
    with _small_disk(tmp_path / "disk") as disk:
        async with running_client(_settings(disk / "data")) as client:
            before = await _register(client, photos, "Ada")
            assert before.status_code == 201, before.text
            filler = _fill(disk)

            refused = await _register(client, photos, "Grace")
            assert_error(refused, 503, "database_unavailable")
            # A PANIC (the checkpointer failing to write, say) ends the server; kill it as that would.
            postmaster = _postmaster(disk / "data")
            postmaster.send_signal(signal.SIGKILL)
            postmaster.wait(10)
            restarting = await _readiness_until(client, "restarting")
            assert restarting.status_code == 503

            filler.unlink()
            await _readiness_until(client, "ok")
            assert (await client.get(f"/api/face/{before.json()['id']}")).status_code == 200
            assert (await _register(client, photos, "Grace")).status_code == 201


async def test_the_postgres_of_a_killed_service_is_adopted_and_stopped_at_shutdown(tmp_path: Path) -> None:
    with running_service(tmp_path) as service:
        orphan = _postmaster(tmp_path / "data")
        service.process.send_signal(signal.SIGKILL)
        service.process.wait(10)
    try:
        assert orphan.is_running(), "a killed service leaves its Postgres running"

        async with running_client(_settings(tmp_path / "data")) as client:
            assert (await client.get("/readyz")).status_code == 200
            assert _postmaster(tmp_path / "data").pid == orphan.pid

        orphan.wait(10)  # raises TimeoutExpired if the orphan was left running
        assert not (tmp_path / "data" / "pgdata" / "postmaster.pid").exists()
    finally:
        if orphan.is_running():
            os.kill(orphan.pid, signal.SIGKILL)
