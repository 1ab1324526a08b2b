"""`facerec serve` as a user runs it, with the embedded database: quiet start-up, no warning per request,
JSON logs that carry the request id, a clean stop on SIGTERM."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.helpers import image_file
from tests.cli.run import environment, free_port
from tests.photos import Photos

MAX_STARTUP_LINES = 15
READY_TIMEOUT_S = 180


def test_quiet_start_ten_encodes_without_a_warning_and_json_logs(tmp_path: Path, photos: Photos) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "facerec", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=environment(DATA_DIR=str(tmp_path / "data"), LOG_FORMAT="json"),
            stderr=stderr,
        )
        try:
            ids = _exercise(f"http://127.0.0.1:{port}", photos)
        finally:
            server.send_signal(signal.SIGTERM)
            # uvicorn shuts down gracefully, then lets SIGTERM end the process as it would have
            assert server.wait(timeout=60) == -signal.SIGTERM
    records = [json.loads(line) for line in log.read_text().splitlines()]  # every line is one object
    first_request = next(index for index, record in enumerate(records) if record["request_id"] != "-")
    assert first_request <= MAX_STARTUP_LINES, records[:first_request]
    assert [record for record in records if record["level"] not in ("INFO", "DEBUG")] == []
    for request_id, start in ids.items():
        [line] = [record["message"] for record in records if record["request_id"] == request_id]
        assert line.startswith(start + " ")
    assert records[-1]["message"].startswith("Finished server process")
    assert any(record["message"] == "embedded Postgres stopped" for record in records)


def _exercise(base_url: str, photos: Photos) -> dict[str, str]:
    """Wait until ready, encode ten times and send one hostile path: the request id of each, and how the
    line its request logged should start."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        _wait_until_ready(client)
        photo = photos.bytes_of(photos.tight_face)
        ids = {}
        for _ in range(10):
            response = client.post("/api/face/encode", files=image_file(photo))
            assert response.status_code == 200
            ids[response.headers["X-Request-ID"]] = "POST /api/face/encode 200"
        hostile = client.get("/x%0D%0Afake%1B[31m")
        ids[hostile.headers["X-Request-ID"]] = "GET /x\r\nfake\x1b[31m 404"
    return ids


def _wait_until_ready(client: httpx.Client) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError("facerec serve never became ready")
