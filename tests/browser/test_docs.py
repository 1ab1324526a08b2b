"""/docs and /redoc render in a browser with no way out to the internet, and ask nothing of another host."""

import json

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

RENDER_TIMEOUT_S = 60


def requested_urls(browser: webdriver.Chrome) -> list[str]:
    """Every URL the browser asked for since the last call (Chrome's performance log, drained)."""
    log: list[dict[str, str]] = browser.get_log("performance")  # type: ignore[no-untyped-call]
    entries = [json.loads(entry["message"])["message"] for entry in log]
    return [
        entry["params"]["request"]["url"]
        for entry in entries
        if entry["method"] == "Network.requestWillBeSent"
    ]


def operation_count(live_url: str) -> int:
    document = httpx.get(f"{live_url}/openapi.json").json()
    return sum(len(methods) for methods in document["paths"].values())


def test_swagger_ui_renders_every_operation(browser: webdriver.Chrome, live_url: str) -> None:
    requested_urls(browser)  # forget earlier pages
    browser.get(f"{live_url}/docs")
    expected = operation_count(live_url)
    WebDriverWait(browser, RENDER_TIMEOUT_S).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, ".opblock")) >= expected
    )
    paths = {element.text for element in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert "/api/face/encode" in paths
    assert [
        url for url in requested_urls(browser) if not url.startswith((live_url, "data:", "blob:" + live_url))
    ] == []


def test_redoc_renders_every_operation(browser: webdriver.Chrome, live_url: str) -> None:
    requested_urls(browser)
    browser.get(f"{live_url}/redoc")
    expected = operation_count(live_url)
    selector = "[data-section-id^='operation/']"
    WebDriverWait(browser, RENDER_TIMEOUT_S).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, selector)) >= expected
    )
    assert "/api/face/encode" in browser.find_element(By.TAG_NAME, "body").text
    assert [
        url for url in requested_urls(browser) if not url.startswith((live_url, "data:", "blob:" + live_url))
    ] == []


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_no_page_names_another_host(live_url: str, page: str) -> None:
    html = httpx.get(f"{live_url}{page}").text
    assert "http://" not in html
    assert "https://" not in html
