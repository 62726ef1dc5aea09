"""Every page at a phone's size (360x740) and a laptop's (1366x768), in headless Chromium:
no horizontal scroll, no word broken letter by letter, tap targets of 44 px, the unit's main
task within the first screen, and no serious or critical accessibility violation (axe-core).
A screenshot of the whole of every page at both sizes goes to $PLANCAL_ARTIFACTS."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from browser import make_driver, set_viewport
from pagecheck import axe_serious, layout_problems, open_all_details, save_full_page
from servelib import running_server

PLAN = "bach-dang"
SIZES = [(360, 740), (1366, 768)]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    env = os.environ.get("PLANCAL_ARTIFACTS")
    path = Path(env) if env else tmp_path_factory.mktemp("artifacts")
    (path / "pages").mkdir(parents=True, exist_ok=True)
    return path / "pages"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One server with some history, so that pages show records, waivers and obstacles."""
    with running_server(tmp_path_factory.mktemp("layout")) as srv:
        srv.plancal("record", "meeting", "--unit", "mttq", "--on", "03/11/2026", "--reached", "120",
                    "--organisations", "hoi-lhpn", "--note", "Tuyên truyền tại khu dân cư số 2", "--by", "Anh Tú",
                    "--today", "29/11/2026")
        srv.plancal("record", "obstacle", "--unit", "mttq", "--on", "05/11/2026",
                    "--note", "Thiếu tài liệu tuyên truyền bằng tiếng dân tộc", "--by", "Anh Tú", "--today", "29/11/2026")
        srv.plancal("done", "quarterly-news/2026-Q3", "--unit", "vhxh", "--on", "20/09/2026", "--by", "Chị Lan",
                    "--evidence", "https://bachdang.haiphong.gov.vn/tin-tuc/binh-dang-gioi-quy-iii-2026-rat-dai-de-thu-xuong-dong",
                    "--today", "29/11/2026")
        # Figures of two years, so the indicators page draws a trend.
        for year, detected, supported in (("2025", "12", "8"), ("2026", "10", "9")):
            srv.plancal("figure", "G3.T2", "--unit", "cong-an", "--year", year, "--victims-detected", detected,
                        "--note", "Sổ theo dõi của Công an phường", "--by", "Anh Hùng")
            srv.plancal("figure", "G3.T2", "--unit", "vhxh", "--year", year, "--victims-supported", supported,
                        "--note", "Sổ theo dõi hỗ trợ nạn nhân", "--by", "Chị Lan")
        srv.plancal("waive", "budget-estimate/2026", "--reason", "Kinh phí năm 2026 đã bố trí trong dự toán chung", "--by", "Chị Lan")
        yield srv


def sign_in(driver, srv, unit: str) -> None:
    driver.get(srv.url(f"/plans/{PLAN}/login"))
    driver.find_element(By.ID, "token").send_keys(srv.tokens[unit])
    driver.find_element(By.ID, "submit-login").click()
    driver.find_element(By.ID, "logout")  # waits until the next page is there


# (name, who is signed in, path): every kind of page, in its fullest version.
PAGES = [
    ("dashboard", "vhxh", f"/plans/{PLAN}"),
    ("unit-mttq", "mttq", f"/plans/{PLAN}/units/mttq"),
    ("unit-vhxh", "vhxh", f"/plans/{PLAN}/units/vhxh"),
    ("occurrence-lead", "vhxh", f"/plans/{PLAN}/occurrences/training/2026"),
    ("occurrence-waived", "vhxh", f"/plans/{PLAN}/occurrences/budget-estimate/2026"),
    ("record-meeting", "mttq", f"/plans/{PLAN}/units/mttq/record/meeting"),
    ("record-obstacle", "mttq", f"/plans/{PLAN}/units/mttq/record/obstacle"),
    ("history", "mttq", f"/plans/{PLAN}/units/mttq/history?year=2026"),
    ("record-page", "mttq", f"/plans/{PLAN}/records/1"),
    ("correct-form", "mttq", f"/plans/{PLAN}/records/1/correct"),
    ("admin", "vhxh", f"/plans/{PLAN}/admin"),
    ("indicators-lead", "vhxh", f"/plans/{PLAN}/indicators?year=2026"),
    ("indicators", None, f"/plans/{PLAN}/indicators"),
    ("report", None, f"/plans/{PLAN}/report"),
    ("report-2027", None, f"/plans/{PLAN}/report?year=2027"),
    ("annual-report", None, f"/plans/{PLAN}/annual-report?year=2026"),
    ("annual-report-unit", "mttq", f"/plans/{PLAN}/annual-report?year=2026&unit=mttq"),
    ("login", None, f"/plans/{PLAN}/login"),
    ("not-found", None, f"/plans/{PLAN}/occurrences/khong-co/2026"),
]


@pytest.fixture(scope="module")
def drivers(site):
    """One browser per signed-in unit (and one signed out), shared by the module."""
    made = {}
    try:
        for who in ("vhxh", "mttq", None):
            d = make_driver()
            if who:
                sign_in(d, site, who)
            made[who] = d
        yield made
    finally:
        for d in made.values():
            d.quit()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("name, who, path", PAGES, ids=[p[0] for p in PAGES])
def test_page_fits_and_is_accessible(site, drivers, artifacts, name, who, path, size):
    driver = drivers[who]
    width, height = size
    set_viewport(driver, width, height)
    driver.get(site.url(path))
    assert driver.execute_script("return document.readyState") == "complete"
    if who:
        assert "Đã đăng nhập" in driver.find_element(By.TAG_NAME, "header").text, (name, "not signed in")
    if name.startswith("unit"):
        # The main task is on the first screen: the to-do list and its first action.
        top = driver.find_element(By.ID, "todo").rect["y"]
        assert top < height / 2, f"{name}: the to-do list starts at {top}px"
        first = driver.find_elements(By.CSS_SELECTOR, "#todo .btn.primary, #todo a.title")
        assert first and first[0].rect["y"] + first[0].rect["height"] <= height, \
            f"{name}: the first thing to do ends at {first[0].rect['y'] + first[0].rect['height'] if first else None}px"
    open_all_details(driver)
    shot = save_full_page(driver, artifacts / f"{name}-{width}x{height}.png")
    found = layout_problems(driver)
    assert found["overflow"] == [], f"{name} at {width}px: page is {found['scrollWidth']}px wide: {found['overflow']}"
    assert found["narrow"] == [], f"{name} at {width}px: text squeezed letter by letter: {found['narrow']}"
    assert found["targets_measured"] >= 1, f"{name}: no tap targets measured"
    assert found["small_targets"] == [], f"{name} at {width}px: tap targets under 44x44 px: {found['small_targets']}"
    problems = axe_serious(driver)
    assert problems == [], f"{name} at {width}px ({shot}): axe-core found:\n" + "\n".join(problems)


def test_print_stylesheet_hides_controls_on_the_report(site, drivers):
    driver = drivers[None]
    set_viewport(driver, 1366, 768)
    driver.get(site.url(f"/plans/{PLAN}/report?year=2026"))
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        hidden = driver.execute_script(
            "return [...document.querySelectorAll('nav, form, .btn, button')].every(e => getComputedStyle(e).display === 'none')")
        assert hidden, "the printed report still shows navigation, forms or buttons"
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "Báo cáo tiến độ năm 2026" in body and "Kinh phí năm 2026 đã bố trí trong dự toán chung" in body
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
