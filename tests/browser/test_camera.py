"""The camera page at /camera in headless Chromium against the real service. Chromium's fake camera
plays a synthetic video made from a real photo (tests/video.py): the person registered from another
photo of theirs is boxed and named over the picture, and the events say so."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from facerec.settings import Settings
from tests.browser.conftest import chromium, serving
from tests.browser.network import foreign_urls, requested_urls
from tests.browser.pages import WAIT_S, choose_collection, register_photo, wait_for, wait_for_text
from tests.photos import DEEPFACE_DIR, Photos, deepface_labels
from tests.video import moving_photo, y4m

REGISTERED = "img1.jpg"  # person01, registered through the API
FILMED = "img2.jpg"  # person01 again, in front of the camera
FRAMES = 40
FPS = 10
API_KEY = "camera-test-key-0123456789abcdef"

pytestmark = pytest.mark.skipif(deepface_labels() is None, reason=f"{DEEPFACE_DIR} is absent")


@pytest.fixture(scope="module")
def camera(tmp_path_factory: pytest.TempPathFactory, photos: Photos) -> Iterator[webdriver.Chrome]:
    """Chromium whose camera (allowed without asking) shows person01 moving and growing, looped."""
    video: Path = tmp_path_factory.mktemp("camera") / "person01.y4m"
    video.write_bytes(y4m(moving_photo(photos.open(DEEPFACE_DIR / FILMED), FRAMES), FPS))
    with chromium(
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ) as driver:
        yield driver


def boxes(browser: webdriver.Chrome) -> list[dict[str, object]]:
    """The boxes over the picture: their class, label, and whether they lie inside the picture."""
    script = """
        const screen = document.getElementById('video').getBoundingClientRect();
        return [...document.querySelectorAll('#tracks .track')].map((box) => {
            const r = box.getBoundingClientRect();
            const inside = r.width > 8 && r.height > 8 && r.left >= screen.left - 1 && r.top >= screen.top - 1
                && r.right <= screen.right + 1 && r.bottom <= screen.bottom + 1;
            return {className: box.className, label: box.textContent, inside};
        });
    """
    found: list[dict[str, object]] = browser.execute_script(script)
    return found


def counter(browser: webdriver.Chrome, element_id: str) -> int:
    return int(browser.find_element(By.ID, element_id).text)


def test_a_registered_person_is_boxed_and_named(
    camera: webdriver.Chrome, live_url: str, photos: Photos, collection: str
) -> None:
    register_photo(live_url, collection, DEEPFACE_DIR / REGISTERED, "Person One")
    requested_urls(camera)
    camera.get(f"{live_url}/camera")
    choose_collection(camera, collection)
    camera.find_element(By.ID, "start").click()
    wait_for_text(camera, "camera-status", f"Streaming to “{collection}”")

    named: list[dict[str, object]] = WebDriverWait(camera, WAIT_S).until(
        lambda driver: [box for box in boxes(driver) if box["className"] == "track match"]
    )
    assert all(box["inside"] for box in named)
    assert all(str(box["label"]).startswith("Person One · match · 0.") for box in named)
    events = wait_for_text(camera, "events", "identified: Person One · match")
    assert "came into view" in events
    assert camera.find_element(By.ID, "faces-now").text.startswith("Face ")
    assert counter(camera, "answered") >= 2
    assert counter(camera, "dropped") == 0  # a frame is sent only once the previous one is answered

    camera.find_element(By.ID, "stop").click()
    wait_for_text(camera, "camera-status", "Stopped. The camera is off.")
    assert boxes(camera) == []
    assert camera.find_element(By.ID, "start").is_enabled()
    assert camera.execute_script("return document.getElementById('video').srcObject") is None
    sent = counter(camera, "sent")
    assert counter(camera, "answered") >= sent - 1  # at most the frame in flight went unanswered
    assert foreign_urls(camera, live_url) == []


def test_the_stream_carries_the_key_when_access_control_is_on(
    camera: webdriver.Chrome, settings: Settings
) -> None:
    guarded = settings.model_copy(update={"api_keys": [SecretStr(API_KEY)]})
    with serving(guarded) as url:
        camera.get(f"{url}/camera")
        wait_for(camera, "#key-dialog[open]")
        camera.find_element(By.ID, "api-key").send_keys(API_KEY)
        camera.find_element(By.ID, "key-submit").click()
        wait_for(camera, "#collection option[value='default']")
        camera.find_element(By.ID, "start").click()
        WebDriverWait(camera, WAIT_S).until(lambda driver: counter(driver, "answered") >= 2)
        camera.find_element(By.ID, "stop").click()
        camera.execute_script("sessionStorage.clear()")
