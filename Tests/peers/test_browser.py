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


@pytest.mark.parametrize("path", [DASHBOARD, f"/plans/{PLAN}/units/vhxh", OCCURRENCE_PAGE, LOGIN,
                                  f"/plans/{PLAN}/indicators"],
                         ids=["dashboard", "unit", "occurrence", "login", "indicators"])
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

    # The same over plain HTTP (with the Origin a browser sends): 401, and no Set-Cookie at all.
    origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(server.url(LOGIN)))
    req = urllib.request.Request(server.url(LOGIN), data=b"token=pc_nope", method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": origin})
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


# --------------------------------------------------------------------------
# Every write from the browser (issue 8)
# --------------------------------------------------------------------------

def informed_count(driver, srv: Server) -> str:
    driver.get(srv.url(DASHBOARD))
    return driver.find_element(By.ID, "informed-count").text


def type_into(driver, field_id: str, text: str) -> None:
    field = driver.find_element(By.ID, field_id)
    field.clear()
    field.send_keys(text)


def test_unit_records_a_meeting_and_withdraws_it(server, driver, artifacts):
    """The police record a meeting that informed two unions: G6.T2 goes from 0/7 to 2/7 on
    the dashboard; withdrawn with a reason from its record, it goes back to 0/7."""
    assert informed_count(driver, server) == "0/7"
    sign_in(driver, server, server.tokens["cong-an"])
    assert path_of(driver) == f"/plans/{PLAN}/units/cong-an"
    submit_and_wait(driver, driver.find_element(By.ID, "record-meeting"))
    assert path_of(driver) == f"/plans/{PLAN}/units/cong-an/record/meeting"
    type_into(driver, "on", "03/11/2026")
    for org in ("hoi-lhpn", "hoi-nong-dan"):
        driver.find_element(By.ID, f"org-{org}").click()
    type_into(driver, "reached", "120")
    type_into(driver, "note", "Tuyên truyền tại hội trường khu dân cư số 2")
    submit_and_wait(driver, driver.find_element(By.ID, "submit-record"))
    flash = driver.find_element(By.ID, "flash").text
    assert "Đã ghi nhận buổi tuyên truyền, phổ biến ngày 03/11/2026 của Công an phường" in flash, flash
    assert informed_count(driver, server) == "2/7"
    save_png(driver, artifacts / "flow-meeting-recorded.png")

    # The unit's history of the year lists it; its record page withdraws it with a reason.
    driver.get(server.url(f"/plans/{PLAN}/units/cong-an/history?year=2026&kind=meeting"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#history-rows > li")
    assert len(rows) == 1 and "Buổi tuyên truyền, phổ biến" in rows[0].text, [r.text for r in rows]
    submit_and_wait(driver, rows[0].find_element(By.CSS_SELECTOR, "a.title"))
    type_into(driver, "reason", "Ghi trùng với báo cáo của Hội Phụ nữ")
    submit_and_wait(driver, driver.find_element(By.ID, "submit-withdraw"))
    assert "Đã hủy bản ghi số" in driver.find_element(By.ID, "flash").text
    assert informed_count(driver, server) == "0/7"
    history = server.plancal("history", "--unit", "cong-an", "--kind", "undo").stdout
    assert "Ghi trùng với báo cáo của Hội Phụ nữ" in history, history


def test_unit_records_figures_on_the_indicators_page(server, driver, artifacts):
    """The police follow the dashboard's link to the indicators, record the victims detected in
    2026 (a refused negative first, kept as typed), then vhxh its part: G3.T2 shows 90%, met, with
    a trend whose title says it."""
    sign_in(driver, server, server.tokens["cong-an"])
    driver.get(server.url(DASHBOARD))
    submit_and_wait(driver, driver.find_element(By.ID, "link-indicators"))
    assert path_of(driver) == f"/plans/{PLAN}/indicators"
    driver.get(server.url(f"/plans/{PLAN}/indicators?year=2026"))
    driver.find_element(By.CSS_SELECTOR, "#figures-G3-T2-cong-an summary").click()
    type_into(driver, "fig-G3-T2-cong-an-victims-detected", "-10")
    type_into(driver, "figures-G3-T2-cong-an-note", "Sổ theo dõi của Công an phường")
    submit_and_wait(driver, driver.find_element(By.ID, "figures-G3-T2-cong-an-submit"))
    error = driver.find_element(By.ID, "error").text
    assert "victims-detected" in error and "không được âm" in error, error
    assert driver.find_element(By.ID, "fig-G3-T2-cong-an-victims-detected").get_attribute("value") == "-10"
    type_into(driver, "fig-G3-T2-cong-an-victims-detected", "10")
    submit_and_wait(driver, driver.find_element(By.ID, "figures-G3-T2-cong-an-submit"))
    assert "Đã ghi số liệu G3.T2 năm 2026" in driver.find_element(By.ID, "flash").text
    submit_and_wait(driver, driver.find_element(By.ID, "logout"))
    sign_in(driver, server, server.tokens["vhxh"])
    driver.get(server.url(f"/plans/{PLAN}/indicators?year=2026"))
    driver.find_element(By.CSS_SELECTOR, "#figures-G3-T2-vhxh summary").click()
    type_into(driver, "fig-G3-T2-vhxh-victims-supported", "9")
    type_into(driver, "figures-G3-T2-vhxh-note", "Sổ theo dõi hỗ trợ nạn nhân")
    submit_and_wait(driver, driver.find_element(By.ID, "figures-G3-T2-vhxh-submit"))
    row = driver.find_element(By.ID, "ind-G3-T2-victims")
    assert "90%" in row.text and "đạt" in row.text, row.text
    title = row.find_element(By.CSS_SELECTOR, "svg[role=img] title").get_attribute("textContent")
    assert "năm 2026: 90%" in title, title
    save_png(driver, artifacts / "flow-figures-recorded.png")


def test_refused_form_keeps_what_was_typed(server, driver):
    sign_in(driver, server, server.tokens["cong-an"])
    driver.get(server.url(f"/plans/{PLAN}/units/cong-an/record/meeting"))
    type_into(driver, "on", "12/31/2026")  # month first, as an en-US picker writes it
    driver.find_element(By.ID, "org-mttq").click()
    type_into(driver, "reached", "45")
    type_into(driver, "note", "Họp chi hội")
    submit_and_wait(driver, driver.find_element(By.ID, "submit-record"))
    error = driver.find_element(By.ID, "error").text
    assert "Ngày:" in error and "không đúng thứ tự ngày/tháng/năm" in error and "31/12/2026" in error, error
    assert driver.find_element(By.ID, "on").get_attribute("value") == "12/31/2026"
    assert driver.find_element(By.ID, "reached").get_attribute("value") == "45"
    assert driver.find_element(By.ID, "note").get_attribute("value") == "Họp chi hội"
    assert driver.find_element(By.ID, "org-mttq").is_selected()
    assert not driver.find_element(By.ID, "org-hoi-lhpn").is_selected()
    assert "Chưa có bản ghi nào" in server.plancal("history").stdout


def test_lead_issues_a_code_that_signs_in_a_second_browser_and_revokes_it(server, driver):
    sign_in(driver, server, server.tokens["vhxh"])
    driver.find_element(By.ID, "nav-admin").click()
    assert path_of(driver) == f"/plans/{PLAN}/admin"
    from selenium.webdriver.support.ui import Select
    Select(driver.find_element(By.ID, "issue-unit")).select_by_value("mttq")
    type_into(driver, "issue-label", "Anh Tú")
    submit_and_wait(driver, driver.find_element(By.ID, "submit-issue"))
    secret = driver.find_element(By.ID, "secret").text.strip()
    assert secret.startswith("pc_"), secret
    copy = driver.find_element(By.ID, "signin-link").get_attribute("value")
    assert copy.endswith(f"/plans/{PLAN}/login?ma={secret}"), copy
    link = driver.find_element(By.ID, "signin-here").get_attribute("href")

    second = make_driver()
    try:
        second.get(link)
        assert second.find_element(By.ID, "token").get_attribute("value") == secret
        assert second.get_cookies() == []  # the link alone signs nobody in
        submit_and_wait(second, second.find_element(By.ID, "submit-login"))
        assert path_of(second) == f"/plans/{PLAN}/units/mttq", second.current_url
        assert "Đã đăng nhập: Ủy ban Mặt trận Tổ quốc Việt Nam phường (Anh Tú)" in second.find_element(By.TAG_NAME, "header").text

        # The admin page shows the code (never its secret again) and revokes it.
        driver.get(server.url(f"/plans/{PLAN}/admin"))
        assert secret not in driver.page_source
        token_id = secret.split("_")[1]
        submit_and_wait(driver, driver.find_element(By.ID, f"revoke-{token_id}"))
        assert f"Đã thu hồi mã số {token_id}" in driver.find_element(By.ID, "flash").text
        second.refresh()
        assert "Đã đăng nhập" not in second.find_element(By.TAG_NAME, "header").text
    finally:
        second.quit()


@pytest.mark.parametrize("lang", ["en-US", "vi"])
def test_date_field_reads_the_same_day_in_any_locale(server, lang):
    """05/11/2026 is 5 November in a browser set to English (US) as in one set to
    Vietnamese: the field is text read by the server, never the browser's own date picker."""
    d = make_driver(lang=lang)
    try:
        assert d.execute_script("return navigator.language").lower().startswith(lang.lower()[:2])
        sign_in(d, server, server.tokens["cong-an"])
        d.get(server.url(f"/plans/{PLAN}/units/cong-an/record/news"))
        field = d.find_element(By.ID, "on")
        assert field.get_attribute("type") == "text" and field.get_attribute("inputmode") == "numeric"
        type_into(d, "on", "05/11/2026")
        type_into(d, "evidence", f"https://bachdang.example/tin/{lang}")
        submit_and_wait(d, d.find_element(By.ID, "submit-record"))
        assert "ngày 05/11/2026" in d.find_element(By.ID, "flash").text
    finally:
        d.quit()
    rows = server.plancal("history", "--format", "csv", "--kind", "news").stdout.splitlines()
    assert len(rows) == 2 and ",05/11/2026," in rows[1] and f"/tin/{lang}" in rows[1], rows


def test_annual_report_page_chooses_a_unit_and_downloads_its_docx(server, driver, artifacts):
    """From the dashboard to the ward's annual report, then one unit's, as a visitor: the page
    shows the document's blocks, and its .docx button serves a Word file of the same report."""
    from selenium.webdriver.support.ui import Select

    server.plancal("record", "meeting", "--unit", "mttq", "--on", "03/11/2026", "--reached", "120",
                   "--organisations", "hoi-lhpn", "--note", "Tuyên truyền tại khu dân cư số 2", "--by", "Anh Tú")
    driver.get(server.url(f"/plans/{PLAN}"))
    submit_and_wait(driver, driver.find_element(By.ID, "annual-report-link"))
    assert path_of(driver) == f"/plans/{PLAN}/annual-report"
    doc = driver.find_element(By.ID, "annual-report")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in doc.text and "ỦY BAN NHÂN DÂN PHƯỜNG BẠCH ĐẰNG" in doc.text
    Select(driver.find_element(By.ID, "unit")).select_by_value("mttq")
    submit_and_wait(driver, driver.find_element(By.ID, "submit-annual"))
    doc = driver.find_element(By.ID, "annual-report")
    assert "ỦY BAN MẶT TRẬN TỔ QUỐC VIỆT NAM PHƯỜNG" in doc.text
    assert "Tuyên truyền tại khu dân cư số 2" in driver.find_element(By.ID, "annual-results").text
    save_png(driver, artifacts / "annual-report-mttq.png")
    href = driver.find_element(By.ID, "download-docx").get_attribute("href")
    with urllib.request.urlopen(href, timeout=30) as r:
        assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
        assert r.headers["Content-Disposition"].startswith("attachment; filename=\"bao-cao-nam-")
        assert r.read(2) == b"PK"
