"""Real iCalendar clients against feeds served as static files over HTTP.

plancal generates the feeds into a temporary folder that Python's http.server serves on
127.0.0.1 (a free port); vdirsyncer subscribes to vhxh.ics / vhxh-tasks.ics, khal lists the
events, todoman reads the tasks. After `plancal done` and a regeneration of the same folder,
a second sync must bring the completion to both clients.
"""

from __future__ import annotations

import functools
import http.server
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import clients
from peerlib import components, load_calendar, history_count

TODAY = "2026-11-29"
ACTION_MONTH = ("Tháng hành động vì bình đẳng giới và phòng ngừa, ứng phó với bạo lực trên cơ sở giới"
                " — năm 2026")
NEWS_Q4 = "Hạn: Đăng 01 tin, bài về bình đẳng giới trên hệ thống thông tin cơ sở — quý IV/2026"
EVIDENCE = "https://bachdang.example/tin/1"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".ics": "text/calendar; charset=utf-8",
    }

    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture
def served(run, tmp_path):
    """Feeds generated from an empty database into a served folder: (base URL, folder, db)."""
    root = tmp_path / "www"
    db = tmp_path / "db.sqlite"
    run("generate", "--out", root, "--db", db)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root, db
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def khal_day(items: Path, workdir: Path, day: str) -> list[str]:
    out = clients.khal_list(items, workdir, day, day, once=True)
    return [line for line in out.splitlines() if line.strip()]


def synced_count(items: Path) -> int:
    return len(list(items.glob("*.ics")))


def test_vdirsyncer_and_khal_show_vietnamese_titles(served, tmp_path):
    base, root, _ = served
    work = tmp_path / "khal"
    items = clients.vdirsyncer_sync(f"{base}/vhxh.ics", work)
    assert synced_count(items) == len(components(load_calendar(root / "vhxh.ics"), "VEVENT"))

    lines = khal_day(items, work, "15/11/2026")
    assert f"15/11/2026 {ACTION_MONTH}" in lines, lines
    # All-day span: still shown on its last day (15/12), gone the day after (DTEND exclusive).
    assert f"15/11/2026 {ACTION_MONTH}" in khal_day(items, work, "15/12/2026")
    assert not any(ACTION_MONTH in line for line in khal_day(items, work, "16/12/2026"))

    lines = khal_day(items, work, "31/12/2026")
    assert f"31/12/2026 {NEWS_Q4}" in lines, lines

    # The timed session keeps its local time (Asia/Ho_Chi_Minh).
    out = clients.khal_list(items, work, "18/03/2027", "18/03/2027", fmt="{start} {end} {title}")
    assert "18/03/2027 08:00 18/03/2027 11:30 Lớp tập huấn" in out, out


def test_todoman_reads_tasks(served, tmp_path):
    base, root, _ = served
    work = tmp_path / "todo"
    items = clients.vdirsyncer_sync(f"{base}/vhxh-tasks.ics", work)
    expected = len(components(load_calendar(root / "vhxh-tasks.ics"), "VTODO"))
    assert synced_count(items) == expected
    tasks = clients.todoman_list(items, work)
    assert len(tasks) == expected
    [news] = [t for t in tasks if t["summary"] == NEWS_Q4]
    assert news["completed"] is False
    due = datetime.fromtimestamp(news["due"], ZoneInfo(clients.TIMEZONE))
    assert (due.year, due.month, due.day) == (2026, 12, 31)
    assert all(not t["completed"] for t in tasks)


def test_completion_reaches_khal_and_todoman(run, served, tmp_path):
    base, root, db = served
    ev_work, td_work = tmp_path / "khal", tmp_path / "todo"
    ev_items = clients.vdirsyncer_sync(f"{base}/vhxh.ics", ev_work)
    td_items = clients.vdirsyncer_sync(f"{base}/vhxh-tasks.ics", td_work)
    assert f"31/12/2026 {NEWS_Q4}" in khal_day(ev_items, ev_work, "31/12/2026")

    # The done's own exit status is test_cli_flow's business; here the stored record matters.
    run("done", "quarterly-news/2026-Q4", "--unit", "vhxh", "--on", "20/11/2026", "--evidence", EVIDENCE,
        "--today", TODAY, "--db", db, check=False)
    assert history_count(run, db) == 1
    run("generate", "--out", root, "--db", db)

    clients.vdirsyncer_sync(f"{base}/vhxh.ics", ev_work)
    clients.vdirsyncer_sync(f"{base}/vhxh-tasks.ics", td_work)

    lines = khal_day(ev_items, ev_work, "31/12/2026")
    assert f"31/12/2026 ✓ {NEWS_Q4}" in lines, lines
    out = clients.khal_list(ev_items, ev_work, "31/12/2026", "31/12/2026", fmt="{title}|{description}")
    assert EVIDENCE in out, out
    # Other events untouched.
    assert f"15/11/2026 {ACTION_MONTH}" in khal_day(ev_items, ev_work, "15/11/2026")

    tasks = clients.todoman_list(td_items, td_work)
    [news] = [t for t in tasks if t["summary"].endswith(NEWS_Q4)]
    assert news["summary"] == f"✓ {NEWS_Q4}"
    assert news["completed"] is True
    assert news["percent"] == 100
    done_at = datetime.fromtimestamp(news["completed_at"], ZoneInfo(clients.TIMEZONE))
    assert (done_at.year, done_at.month, done_at.day) == (2026, 11, 20)
    assert sum(1 for t in tasks if t["completed"]) == 1
