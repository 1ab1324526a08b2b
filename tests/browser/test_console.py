"""The console at / in headless Chromium against the real service: a real photo, its boxes, register,
search, the match with its photo, browse and delete; and the API key prompt with access control on."""

import httpx
import pytest
from pydantic import SecretStr
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from facerec.api.console import CONTENT_SECURITY_POLICY, PAGES
from facerec.settings import Settings
from tests.browser.conftest import serving
from tests.browser.network import foreign_urls, requested_urls
from tests.browser.pages import WAIT_S, choose_collection, register_photo, wait_for, wait_for_text
from tests.photos import Photos

GROUP_FACES = 6  # insightface's t1.jpg
API_KEY = "console-test-key-0123456789abcdef"


@pytest.mark.parametrize("path", list(PAGES))
def test_the_pages_are_static_and_allow_no_inline_script(live_url: str, path: str) -> None:
    page = httpx.get(f"{live_url}{path}")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert "http://" not in page.text
    assert "https://" not in page.text
    assert httpx.get(f"{live_url}/console/console.js").headers["content-type"].startswith("text/javascript")


def test_register_a_face_then_find_it(
    browser: webdriver.Chrome, live_url: str, photos: Photos, collection: str
) -> None:
    requested_urls(browser)
    browser.get(live_url)
    choose_collection(browser, collection)
    browser.find_element(By.ID, "file").send_keys(str(photos.group))
    boxes = wait_for(browser, ".box", GROUP_FACES)
    assert len(boxes) == GROUP_FACES
    assert len(browser.find_elements(By.CSS_SELECTOR, ".face .badges")) == GROUP_FACES

    boxes[1].click()
    browser.find_element(By.ID, "display-name").send_keys("Face Two")
    browser.find_element(By.ID, "register").click()
    wait_for_text(browser, "registered", "Registered face")

    browser.find_element(By.ID, "search-faces").click()
    verdict = wait_for_text(browser, "verdict", "Match: Face Two")
    assert "the auto threshold" in verdict
    match = wait_for(browser, "#matches .hit")[0]
    assert match.find_element(By.CSS_SELECTOR, ".name").text == "Face Two"
    assert float(match.find_element(By.CSS_SELECTOR, ".score").text) > 0.9
    WebDriverWait(browser, WAIT_S).until(
        lambda driver: any(url.endswith("/image?collection=" + collection) for url in requested_urls(driver))
    )

    browser.find_element(By.ID, "search-persons").click()
    wait_for_text(browser, "verdict", "Match: Face Two")

    boxes[3].click()
    browser.find_element(By.ID, "search-faces").click()
    wait_for_text(browser, "verdict", "Unknown: nobody")
    assert foreign_urls(browser, live_url) == []


def test_browse_people_and_delete(
    browser: webdriver.Chrome, live_url: str, photos: Photos, collection: str
) -> None:
    register_photo(live_url, collection, photos.group, "Group Leader")
    browser.get(live_url)
    choose_collection(browser, collection)
    wait_for(browser, ".person-row")[0].click()
    wait_for(browser, ".thumb-item")
    browser.find_element(By.ID, "delete-person").click()
    WebDriverWait(browser, WAIT_S).until(expected_conditions.alert_is_present()).accept()
    wait_for_text(browser, "people", "Nobody yet.")
    persons = httpx.get(f"{live_url}/api/persons", params={"collection": collection}).json()["persons"]
    assert persons == []


def test_asks_for_a_key_when_access_control_is_on(browser: webdriver.Chrome, settings: Settings) -> None:
    guarded = settings.model_copy(update={"api_keys": [SecretStr(API_KEY)]})
    with serving(guarded) as url:
        assert httpx.get(f"{url}/").status_code == 200
        assert httpx.get(f"{url}/api/collections").status_code == 401
        browser.get(url)
        wait_for(browser, "#key-dialog[open]")
        browser.find_element(By.ID, "api-key").send_keys("not-the-key-but-long-enough-0000")
        browser.find_element(By.ID, "key-submit").click()
        wait_for_text(browser, "key-error", "That key was refused.")
        browser.find_element(By.ID, "api-key").send_keys(API_KEY)
        browser.find_element(By.ID, "key-submit").click()
        wait_for(browser, "#collection option[value='default']")
        wait_for(browser, ".people li")
        assert not browser.find_elements(By.CSS_SELECTOR, "#key-dialog[open]")
        assert browser.execute_script("return sessionStorage.getItem('facerec.apiKey')") == API_KEY
        browser.execute_script("sessionStorage.clear()")
