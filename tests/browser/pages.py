"""What the browser tests share: waiting for what a page shows, and a photo registered beforehand."""

from pathlib import Path

import httpx
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT_S = 60


def wait_for(browser: webdriver.Chrome, css: str, count: int = 1) -> list[WebElement]:
    WebDriverWait(browser, WAIT_S).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, css)) >= count
    )
    return browser.find_elements(By.CSS_SELECTOR, css)


def wait_for_text(browser: webdriver.Chrome, element_id: str, text: str) -> str:
    locator = (By.ID, element_id)
    WebDriverWait(browser, WAIT_S).until(expected_conditions.text_to_be_present_in_element(locator, text))
    return browser.find_element(*locator).text


def choose_collection(browser: webdriver.Chrome, name: str) -> None:
    wait_for(browser, f"#collection option[value='{name}']")
    Select(browser.find_element(By.ID, "collection")).select_by_value(name)


def register_photo(base_url: str, collection: str, photo: Path, display_name: str) -> None:
    """The photo's most prominent face, registered through the API as a new person."""
    with photo.open("rb") as image:
        httpx.post(
            f"{base_url}/api/face/register",
            params={"collection": collection},
            files={"image": image},
            data={"displayName": display_name, "mostProminent": "true"},
        ).raise_for_status()
