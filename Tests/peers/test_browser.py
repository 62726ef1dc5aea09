"""The dashboard in a real browser (headless Chromium via Selenium) against ``plancal serve``.

A unit signs in with its token, marks the quarter's news item done with a link
to the article, and the G6.T3 grid turns "met" with that link. Also: the pages
are Vietnamese, load nothing from other hosts, fit a phone's width, refuse a
wrong token without a cookie, and keep the session cookie away from scripts.

Screenshots of the dashboard before and after go to ``$PLANCAL_ARTIFACTS``
(default: a pytest tmp dir, printed at the end of the test).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser import make_driver
from servelib import Server, running_server

PLAN = "bach-dang"
DASHBOARD = f"/plans/{PLAN}"
LOGIN = f"/plans/{PLAN}/login"
OCCURRENCE = "quarterly-news/2026-Q4"
OCCURRENCE_PAGE = f"/plans/{PLAN}/occurrences/{OCCURRENCE}"
CELL = "q-2026-Q4"
ARTICLE = "https://bachdang.haiphong.gov.vn/tin-tuc/tuyen-truyen-binh-dang-gioi-quy-iv-2026"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PHONE = (390, 844)
PHONE_MAX_SCROLL_WIDTH = 400


@pytest.fixture
def server(tmp_path):
    with running_server(tmp_path / "server") as srv:
        yield srv


@pytest.fixture
def driver():
    d = make_driver()
    try:
        yield d
    finally:
        d.quit()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    env = os.environ.get("PLANCAL_ARTIFACTS")
    path = Path(env) if env else tmp_path_factory.mktemp("artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def wait(driver, timeout: float = 15) -> WebDriverWait:
    return WebDriverWait(driver, timeout)


def path_of(driver) -> str:
    return urllib.parse.urlsplit(driver.current_url).path


def sign_in(driver, srv: Server, token: str) -> None:
    driver.get(srv.url(LOGIN))
    field = driver.find_element(By.ID, "token")
    field.clear()
    field.send_keys(token)
    submit_and_wait(driver, driver.find_element(By.ID, "submit-login"))


def submit_and_wait(driver, button) -> None:
    """Click a submit button and wait until the next page has loaded.

    A marker on the old document's window tells the pages apart; this avoids
    ``EC.staleness_of``, which chromedriver sometimes answers with an "unhandled
    inspector error" instead of a stale-element error while the page swaps.
    """
    driver.execute_script("window.__plancalOldPage = true")
    button.click()

    def loaded(d):
        try:
            return d.execute_script(
                "return window.__plancalOldPage === undefined && document.readyState === 'complete'")
        except WebDriverException:
            return False  # mid-navigation: ask again

    wait(driver).until(loaded)


def save_png(driver, path: Path) -> Path:
    driver.execute_script("window.scrollTo(0, 0)")
    assert driver.save_screenshot(str(path)), f"screenshot {path} failed"
    data = path.read_bytes()
    assert len(data) > 1000 and data.startswith(PNG_MAGIC), f"{path} is not a PNG ({len(data)} bytes)"
    return path


def cell(driver):
    return driver.find_element(By.ID, CELL)


# Innermost elements sticking out to the right of the viewport: the culprits of a
# horizontal scroll (their overflowing ancestors are left out).
OVERFLOW_JS = """
const limit = arguments[0];
const over = el => el.getBoundingClientRect().right > limit;
const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
  (typeof el.className === 'string' && el.className ? '.' + el.className.trim().replace(/\\s+/g, '.') : '');
const path = el => { const parts = []; for (let e = el; e && e !== document.body; e = e.parentElement) parts.unshift(name(e)); return parts.join(' > '); };
const out = [];
for (const el of document.querySelectorAll('body *')) {
  if (!over(el) || [...el.children].some(over)) continue;
  const r = el.getBoundingClientRect();
  out.push({path: path(el), left: Math.round(r.left), right: Math.round(r.right),
            width: Math.round(r.width), text: (el.textContent || '').trim().slice(0, 70)});
}
const widest = [...document.querySelectorAll('body *')]
  .filter(el => el.children.length === 0 && el.closest('table, pre, code, svg') && el.getBoundingClientRect().width > 150)
  .map(el => { const r = el.getBoundingClientRect();
    return {path: path(el), left: Math.round(r.left), right: Math.round(r.right), width: Math.round(r.width),
            text: (el.textContent || '').trim().slice(0, 70)}; })
  .sort((a, b) => b.width - a.width);
return {edge: out, widest: widest};
"""


# --------------------------------------------------------------------------
# The main flow
# --------------------------------------------------------------------------

def test_sign_in_and_mark_quarterly_news_done(server, driver, artifacts):
    # Before: the quarter is open, no article linked; the page offers sign-in, no form.
    driver.get(server.url(DASHBOARD))
    assert cell(driver).get_attribute("data-state") == "open", cell(driver).get_attribute("outerHTML")
    assert cell(driver).find_elements(By.TAG_NAME, "a") == []
    before = save_png(driver, artifacts / "dashboard-before.png")

    driver.get(server.url(OCCURRENCE_PAGE))
    assert driver.find_elements(By.ID, "submit-done") == [], "mark-done form shown without signing in"
    assert driver.find_elements(By.CSS_SELECTOR, f'a[href="{LOGIN}"]'), "no sign-in link on the occurrence page"

    # Sign in as the lead unit.
    sign_in(driver, server, server.tokens["vhxh"])
    assert path_of(driver) == f"/plans/{PLAN}/units/vhxh", driver.current_url
    assert "Đã đăng nhập" in driver.find_element(By.TAG_NAME, "header").text

    # Mark the quarter's news item done with a link to the article.
    driver.get(server.url(OCCURRENCE_PAGE))
    submit = driver.find_elements(By.ID, "submit-done")
    assert submit, "no #submit-done on the occurrence page after signing in"
    assert driver.find_element(By.ID, "unit").get_attribute("value") == "vhxh"
    driver.find_element(By.ID, "evidence").send_keys(ARTICLE)
    driver.find_element(By.ID, "reached").send_keys("120")
    submit_and_wait(driver, submit[0])

    # Back on the dashboard, with the flash message.
    assert path_of(driver) == DASHBOARD, driver.current_url
    flash = driver.find_elements(By.ID, "flash")
    assert flash and flash[0].is_displayed(), driver.page_source[:3000]
    assert "Đã ghi nhận hoàn thành: Đăng 01 tin, bài" in flash[0].text and "quý IV/2026" in flash[0].text, flash[0].text

    # The G6.T3 cell is met and links the article.
    assert cell(driver).get_attribute("data-state") == "met", cell(driver).get_attribute("outerHTML")
    links = [a.get_attribute("href") for a in cell(driver).find_elements(By.TAG_NAME, "a")]
    assert ARTICLE in links, links
    after = save_png(driver, artifacts / "dashboard-after.png")
    assert before.read_bytes() != after.read_bytes()

    # What the browser did is what the database holds.
    history = server.plancal("history").stdout
    assert OCCURRENCE in history and ARTICLE in history and "120" in history, history
    print(f"\nscreenshots: {before} {after}")


# --------------------------------------------------------------------------
# Page properties
# --------------------------------------------------------------------------

def test_pages_are_vietnamese_and_self_contained(server, driver):
    sign_in(driver, server, server.tokens["vhxh"])
    origin = urllib.parse.urlsplit(server.base_url).netloc
    for path in (DASHBOARD, f"/plans/{PLAN}/units/vhxh", OCCURRENCE_PAGE, LOGIN):
        driver.get(server.url(path))
        assert driver.execute_script("return document.documentElement.lang") == "vi", path
        assert driver.execute_script("return document.characterSet") == "UTF-8", path
        # Scripts, styles, images, frames, media, icons: nothing from another host.
        refs = driver.execute_script("""
            const out = [];
            for (const el of document.querySelectorAll('script[src], img[src], iframe[src], video[src], audio[src], source[src], embed[src], object[data], link[href]'))
              out.push([el.tagName.toLowerCase(), el.getAttribute('src') || el.getAttribute('href') || el.getAttribute('data')]);
            return out;""")
        foreign = [(tag, ref) for tag, ref in refs
                   if urllib.parse.urlsplit(urllib.parse.urljoin(driver.current_url, ref)).netloc != origin]
        assert foreign == [], (path, foreign)
        # Nor anything fetched by CSS (fonts, backgrounds) or scripts.
        loaded = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)")
        assert [u for u in loaded if urllib.parse.urlsplit(u).netloc != origin] == [], (path, loaded)
        assert driver.find_elements(By.TAG_NAME, "script") == [], path


@pytest.mark.parametrize("path", [DASHBOARD, f"/plans/{PLAN}/units/vhxh", OCCURRENCE_PAGE, LOGIN],
                         ids=["dashboard", "unit", "occurrence", "login"])
def test_phone_width_has_no_horizontal_scroll(server, driver, path):
    sign_in(driver, server, server.tokens["vhxh"])  # signed in: the fullest version of each page
    driver.set_window_size(*PHONE)
    driver.get(server.url(path))
    width = driver.execute_script("return document.documentElement.scrollWidth")
    if width > PHONE_MAX_SCROLL_WIDTH:
        found = driver.execute_script(OVERFLOW_JS, PHONE_MAX_SCROLL_WIDTH)

        def show(items):
            return "\n".join(f"  {c['path']}  [{c['left']}..{c['right']}px, {c['width']}px wide] {c['text']!r}"
                             for c in items[:6]) or "  (none)"

        pytest.fail(f"{path} on a {PHONE[0]}x{PHONE[1]} window: document scrollWidth is {width}px "
                    f"(limit {PHONE_MAX_SCROLL_WIDTH}).\n"
                    f"Widest unbreakable leaves inside tables (likely cause):\n{show(found['widest'])}\n"
                    f"Innermost elements past {PHONE_MAX_SCROLL_WIDTH}px ({len(found['edge'])} in all):\n"
                    f"{show(found['edge'])}", pytrace=False)


# --------------------------------------------------------------------------
# Sign-in
# --------------------------------------------------------------------------

def test_wrong_token_shows_error_and_sets_no_cookie(server, driver):
    sign_in(driver, server, "pc_00000000_" + "0" * 48)
    assert path_of(driver) == LOGIN, driver.current_url
    error = driver.find_elements(By.ID, "error")
    assert error and error[0].is_displayed(), driver.page_source[:2000]
    assert "Mã truy cập không đúng" in error[0].text, error[0].text
    assert driver.get_cookies() == []
    assert "Đã đăng nhập" not in driver.find_element(By.TAG_NAME, "header").text

    # The same over plain HTTP: 401, and no Set-Cookie at all.
    req = urllib.request.Request(server.url(LOGIN), data=b"token=pc_nope", method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 401
    assert e.value.headers.get_all("Set-Cookie") is None


def test_session_cookie_is_httponly(server, driver):
    sign_in(driver, server, server.tokens["vhxh"])
    cookies = {c["name"]: c for c in driver.get_cookies()}
    assert "plancal_session" in cookies, cookies
    session = cookies["plancal_session"]
    assert session["httpOnly"] is True, session
    assert session.get("sameSite") == "Strict", session
    assert session.get("path") == "/", session
    for path in (DASHBOARD, OCCURRENCE_PAGE):
        driver.get(server.url(path))
        assert "plancal_session" not in driver.execute_script("return document.cookie"), path
        assert session["value"] not in driver.page_source, path
        assert "Đã đăng nhập" in driver.find_element(By.TAG_NAME, "header").text, path
