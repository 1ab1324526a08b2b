"""What the browser asked for: Chrome's performance log (the `browser` fixture turns it on)."""

import json

from selenium import webdriver


def requested_urls(browser: webdriver.Chrome) -> list[str]:
    """Every URL the browser asked for since the last call (the log is drained)."""
    log: list[dict[str, str]] = browser.get_log("performance")  # type: ignore[no-untyped-call]
    entries = [json.loads(entry["message"])["message"] for entry in log]
    return [
        entry["params"]["request"]["url"]
        for entry in entries
        if entry["method"] == "Network.requestWillBeSent"
    ]


def foreign_urls(browser: webdriver.Chrome, base_url: str) -> list[str]:
    """The URLs asked for since the last call that are not the service's own."""
    own = (base_url, "data:", "blob:" + base_url)
    return [url for url in requested_urls(browser) if not url.startswith(own)]
