"""Headless Chromium for browser-side checks, via Selenium.

Uses Debian's packages explicitly: /usr/bin/chromium (package ``chromium``)
and /usr/bin/chromedriver (package ``chromium-driver``), both installed by
``scripts/install-test-deps.sh``. Passing both paths (and SE_OFFLINE=true)
keeps selenium-manager from ever trying to download a driver or browser.
"""

from __future__ import annotations

import os
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def make_driver(lang: str = "vi-VN") -> webdriver.Chrome:
    """A headless Chromium driver, window 1280x900, in the UI language ``lang``
    (``--lang``, which also sets the locale of date pickers). Caller must quit() it."""
    os.environ["SE_OFFLINE"] = "true"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            raise FileNotFoundError(f"{path} missing: run scripts/install-test-deps.sh")

    options = Options()
    options.binary_location = CHROMIUM
    options.add_argument("--headless=new")
    options.add_argument("--no-sandbox")  # we run as root
    options.add_argument("--disable-dev-shm-usage")
    options.add_argument("--window-size=1280,900")
    options.add_argument("--disable-gpu")
    options.add_argument("--no-first-run")
    options.add_argument("--no-default-browser-check")
    options.add_argument(f"--lang={lang}")
    options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    # A throwaway profile, so runs never share state or touch ~/.config/chromium.
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='plancal-chromium-')}")

    service = Service(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_window_size(1280, 900)
    driver.set_page_load_timeout(30)
    return driver


def set_viewport(driver: webdriver.Chrome, width: int, height: int) -> None:
    """Emulate a screen of exactly width x height CSS px (a phone below 700 px wide), as
    DevTools' device mode does: the layout viewport is that size whatever the window."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700})


def full_page_png(driver: webdriver.Chrome) -> bytes:
    """A PNG of the whole page (not only the first screen), at the emulated width."""
    import base64
    size = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}})
    return base64.b64decode(shot["data"])
