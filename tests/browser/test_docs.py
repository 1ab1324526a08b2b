"""/docs and /redoc render in a browser with no way out to the internet, and ask nothing of another host."""

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.network import foreign_urls, requested_urls

RENDER_TIMEOUT_S = 60


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
    assert foreign_urls(browser, live_url) == []


def test_redoc_renders_every_operation(browser: webdriver.Chrome, live_url: str) -> None:
    requested_urls(browser)
    browser.get(f"{live_url}/redoc")
    expected = operation_count(live_url)
    selector = "[data-section-id^='operation/']"
    WebDriverWait(browser, RENDER_TIMEOUT_S).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, selector)) >= expected
    )
    assert "/api/face/encode" in browser.find_element(By.TAG_NAME, "body").text
    assert foreign_urls(browser, live_url) == []


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_no_page_names_another_host(live_url: str, page: str) -> None:
    html = httpx.get(f"{live_url}{page}").text
    assert "http://" not in html
    assert "https://" not in html
