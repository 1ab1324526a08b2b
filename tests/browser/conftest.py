"""The real service on a real port, and headless Chromium (Debian's `chromium` and `chromium-driver`)
driven by Selenium, cut off from every host but the service."""

import contextlib
import shutil
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from facerec.api.app import create_app
from facerec.serve import listening_socket
from facerec.settings import Settings

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
START_TIMEOUT_S = 120


@contextlib.contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The service on a free port of 127.0.0.1 until the block ends; yields its base URL."""
    listener = listening_socket("127.0.0.1", 0)
    port = listener.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="live-server")
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert server.started, "the service did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()
        listener.close()


@pytest.fixture(scope="session")
def live_url(settings: Settings) -> Iterator[str]:
    with serving(settings) as url:
        yield url


@contextlib.contextmanager
def chromium(*arguments: str) -> Iterator[webdriver.Chrome]:
    """Headless Chromium with these command-line arguments besides the usual ones."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("headless Chromium is not installed: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        # No internet: every host but this machine fails to resolve, as it would offline
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        *arguments,
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


@pytest.fixture
def collection(live_url: str) -> Iterator[str]:
    """A collection of the test's own, deleted afterwards."""
    name = f"console-{uuid.uuid4().hex[:8]}"
    httpx.post(f"{live_url}/api/collections", json={"name": name}).raise_for_status()
    yield name
    httpx.delete(f"{live_url}/api/collections/{name}").raise_for_status()
