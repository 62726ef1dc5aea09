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


def make_driver() -> webdriver.Chrome:
    """A headless Chromium driver, window 1280x900. Caller must quit() it."""
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
    options.add_argument("--lang=vi-VN")
    # A throwaway profile, so runs never share state or touch ~/.config/chromium.
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='plancal-chromium-')}")

    service = Service(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_window_size(1280, 900)
    driver.set_page_load_timeout(30)
    return driver
