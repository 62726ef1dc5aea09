"""Self-check of the real-client helpers (clients.py, browser.py).

Serves small hand-made iCalendar feeds over HTTP on 127.0.0.1 and checks that
vdirsyncer syncs them, khal lists the event and todoman lists the task, and
that headless Chromium can be driven with Selenium.

Run: .venv-test/bin/pytest -q Tests/peers/test_clients_selfcheck.py
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import clients  # noqa: E402

EVENT_TITLE = "Tháng hành động vì bình đẳng giới"
TASK_TITLE = "Báo cáo kết quả năm 2026"

EVENTS_ICS = f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//plancal//selfcheck//VI
CALSCALE:GREGORIAN
BEGIN:VEVENT
UID:selfcheck-event-1@plancal.test
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20261115
DTEND;VALUE=DATE:20261216
SUMMARY:{EVENT_TITLE}
END:VEVENT
END:VCALENDAR
"""

TASKS_ICS = f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//plancal//selfcheck//VI
BEGIN:VTODO
UID:selfcheck-task-1@plancal.test
DTSTAMP:20260101T000000Z
DUE;VALUE=DATE:20261214
SUMMARY:{TASK_TITLE}
STATUS:NEEDS-ACTION
END:VTODO
END:VCALENDAR
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".ics": "text/calendar; charset=utf-8",
    }

    def log_message(self, format, *args):  # noqa: A002 - silence request log
        pass


@pytest.fixture(scope="module")
def feed_server(tmp_path_factory):
    """Serve a temp dir with events.ics and tasks.ics; yield its base URL."""
    root = tmp_path_factory.mktemp("feeds")
    # CRLF line endings, as RFC 5545 requires.
    for name, text in (("events.ics", EVENTS_ICS), ("tasks.ics", TASKS_ICS)):
        (root / name).write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # port 0: a free one
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _synced_items(folder: Path) -> list[icalendar.Calendar]:
    files = sorted(folder.glob("*.ics"))
    return [icalendar.Calendar.from_ical(f.read_bytes()) for f in files]


def test_vdirsyncer_then_khal_lists_event(feed_server, tmp_path):
    items = clients.vdirsyncer_sync(f"{feed_server}/events.ics", tmp_path / "ev")
    cals = _synced_items(items)
    assert len(cals) == 1, list(items.iterdir())
    [event] = cals[0].walk("VEVENT")
    assert str(event["SUMMARY"]) == EVENT_TITLE

    out = clients.khal_list(items, tmp_path / "ev", "15/11/2026", "16/11/2026", once=True)
    lines = [line for line in out.splitlines() if line.strip()]
    assert f"15/11/2026 {EVENT_TITLE}" in lines, out

    # Outside the event's span: nothing. (DTEND 16/12 is exclusive.)
    out = clients.khal_list(items, tmp_path / "ev", "16/12/2026", "20/12/2026")
    assert EVENT_TITLE not in out, out
    # Last day of the span: still listed, with its real start date.
    out = clients.khal_list(items, tmp_path / "ev", "15/12/2026", "15/12/2026")
    assert f"15/11/2026 {EVENT_TITLE}" in out, out


def test_vdirsyncer_then_todoman_lists_task(feed_server, tmp_path):
    items = clients.vdirsyncer_sync(f"{feed_server}/tasks.ics", tmp_path / "td")
    cals = _synced_items(items)
    assert len(cals) == 1, list(items.iterdir())
    [todo] = cals[0].walk("VTODO")
    assert str(todo["SUMMARY"]) == TASK_TITLE

    tasks = clients.todoman_list(items, tmp_path / "td")
    assert len(tasks) == 1, tasks
    task = tasks[0]
    assert task["summary"] == TASK_TITLE
    assert task["completed"] is False
    # Porcelain gives a Unix timestamp: local (TZ) midnight for a date-only DUE.
    due = datetime.fromtimestamp(task["due"], ZoneInfo(clients.TIMEZONE))
    assert (due.year, due.month, due.day, due.hour, due.minute) == (2026, 12, 14, 0, 0), due

    text = clients.todoman_list_text(items, tmp_path / "td")
    assert "14/12/2026" in text and TASK_TITLE in text, text


def test_headless_chromium_reads_vietnamese_h1():
    import browser

    driver = browser.make_driver()
    try:
        # ";charset=utf-8" is needed: a bare "data:text/html,<h1>Xin chào</h1>"
        # is decoded as windows-1252 by Chromium and reads "Xin chÃ o".
        driver.get("data:text/html;charset=utf-8,<h1>Xin chào</h1>")
        from selenium.webdriver.common.by import By

        assert driver.find_element(By.TAG_NAME, "h1").text == "Xin chào"
    finally:
        driver.quit()
