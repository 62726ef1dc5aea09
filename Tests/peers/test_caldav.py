"""CalDAV on ``plancal serve`` (issue 18) against clients no one here wrote.

The contract is the README's "CalDAV: the reference": a unit's tasks are a CalDAV collection that task apps
sync both ways; ticking a task in the app is the unit's completion record (same rules, same
audit trail, same figures as a tick on the web), and everything else a client may try (new
items, edits of what the plan owns, deletes, new calendars) is refused with a ``DAV:error``
body holding a Vietnamese ``DAV:responsedescription``, nothing written.

Clients: python ``caldav`` 3.x (discovery, listing, ``complete()``, ``uncomplete()``),
vdirsyncer + todoman (sync, ``todo done``, sync back; a web tick reaches todoman),
caldav-server-tester (every check that applies to a server where clients cannot create items
or calendars), plus raw requests where the test must see status, headers and bodies. Also:
the sync token and ETags across two instances on one PostgreSQL, and a 204 that survives
``kill -9``.

Every test gets its own server (fresh database, new port, ``--today 2026-11-29``) through
``servelib.running_server`` unless it has to kill or double it (``davlib.Instance``); the
refusals share one server, each checking that it wrote nothing.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import threading
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import caldav
import icalendar
import pytest
from caldav.lib import error as caldav_error

import clients
import davlib
import servelib
from peerlib import PLAN_FILE
from davlib import (PLAN, collection, create_token, dav, dav_error, has_condition, history_blocks,
                    history_count, history_rows, history_text, item, parse_multistatus, propfind_body,
                    sync_collection_body, task_uid)
from servelib import request, run_plancal, running_server

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

NEWS = "quarterly-news/2026-Q4"                 # vhxh's news item of the quarter (needs its link)
POLICE_2026 = "dissemination/2026/cong-an"      # open since 2026, due 30/06/2026: accepted late
POLICE_2025 = "dissemination/2025/cong-an"
LINK = "https://example.org/tin-bai"

LEAD_NAME = "Phòng Văn hóa - Xã hội"
POLICE_NAME = "Công an phường"
LEAD_LABEL = "Nguyễn Thị Lan"                   # the people holding the access codes
POLICE_LABEL = "Trần Văn Bình"
UNDO_REASON = "bỏ đánh dấu trong ứng dụng"

CALDAV_UA = f"python-caldav/{caldav.__version__}"
# 28/11/2026 09:30 in Hà Nội, as a client writes COMPLETED (UTC, RFC 5545 §3.8.2.1).
TICKED_AT = datetime(2026, 11, 28, 2, 30, tzinfo=timezone.utc)
TICKED_DAY = "28/11/2026"


@pytest.fixture
def server(tmp_path):
    with running_server(tmp_path / "server") as srv:
        yield srv


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def client(srv, user: str, password: str, url: str | None = None) -> caldav.DAVClient:
    return caldav.DAVClient(url=url or srv.url("/dav/"), username=user, password=password, timeout=30)


def calendars_by_name(principal) -> dict[str, caldav.Calendar]:
    """The principal's calendars by the last segment of their URL (tasks, events, all-tasks)."""
    out = {}
    for cal in principal.calendars():
        name = urlsplit(str(cal.url)).path.rstrip("/").rsplit("/", 1)[-1]
        assert name not in out, f"two calendars named {name}: {cal.url}"
        out[name] = cal
    return out


def feed_uids(srv, path: str, comp: str) -> set[str]:
    reply = request(srv, "GET", path)
    assert reply.status == 200, reply
    cal = icalendar.Calendar.from_ical(reply.body)
    return {str(c["UID"]) for c in cal.subcomponents if c.name == comp}


def feed_component(srv, path: str, uid: str):
    reply = request(srv, "GET", path)
    assert reply.status == 200, reply
    [comp] = [c for c in icalendar.Calendar.from_ical(reply.body).subcomponents
              if c.name in ("VTODO", "VEVENT") and str(c["UID"]) == uid]
    return comp


def compliance(srv) -> dict:
    reply = request(srv, "GET", f"/api/{PLAN}/compliance")
    assert reply.status == 200, reply
    return reply.json()


def informed_on(srv, unit: str) -> str | None:
    [org] = [o for o in compliance(srv)["dissemination"]["organisations"] if o["id"] == unit]
    return org["informedOn"]


def quarter(srv, key: str) -> dict:
    [q] = [q for q in compliance(srv)["quarters"] if q["key"] == key]
    return q


def todo_by_uid(cal: caldav.Calendar, uid: str):
    """The todo as a task app finds it: from the collection's listing (calendar-query)."""
    todos = cal.get_todos(include_completed=True)
    found = [t for t in todos if str(t.icalendar_component["UID"]) == uid]
    assert len(found) == 1, f"{uid}: {len(found)} in a listing of {len(todos)} todos"
    return found[0]


def get_item(srv, path: str, auth) -> tuple[bytes, str]:
    reply = dav(srv, "GET", path, auth=auth)
    assert reply.status == 200, reply
    assert reply.headers.get("Content-Type", "").startswith("text/calendar"), reply.headers
    etag = reply.headers.get("ETag")
    assert etag, f"GET {path}: no ETag ({reply.headers})"
    return reply.body, etag


def completed(body: bytes, **more) -> bytes:
    return davlib.edit_item(body, STATUS="COMPLETED", COMPLETED=TICKED_AT, PERCENT_COMPLETE=100, **more)


def last_record(db) -> tuple[dict[str, str], str]:
    """The newest record: its CSV row and its block of ``plancal history``."""
    rows, blocks = history_rows(db), history_blocks(history_text(db))
    assert rows and len(rows) == len(blocks), (rows, blocks)
    return rows[-1], blocks[-1]


# --------------------------------------------------------------------------
# 1. Discovery and listing with python caldav
# --------------------------------------------------------------------------

def test_discovery_and_listing_with_python_caldav(server):
    lead, police = server.tokens["vhxh"], server.tokens["cong-an"]

    with client(server, "vhxh", lead) as c:
        principal = c.principal()
        assert urlsplit(str(principal.url)).path == davlib.principal("vhxh"), principal.url
        assert principal.get_display_name() == LEAD_NAME
        cals = calendars_by_name(principal)
        assert set(cals) == {"tasks", "events", "all-tasks"}, sorted(cals)
        names = {n: cal.get_display_name() for n, cal in cals.items()}
        assert all(davlib.is_vietnamese(v) for v in names.values()), names
        assert len(set(names.values())) == 3, f"an app shows these names side by side: {names}"
        assert LEAD_NAME in names["tasks"] and LEAD_NAME in names["events"], names
        assert cals["tasks"].get_supported_components() == ["VTODO"]
        assert cals["all-tasks"].get_supported_components() == ["VTODO"]
        assert cals["events"].get_supported_components() == ["VEVENT"]

        # The same items and UIDs as the subscription feeds.
        tasks = {str(t.icalendar_component["UID"]) for t in cals["tasks"].get_todos(include_completed=True)}
        assert tasks == feed_uids(server, f"/calendars/{PLAN}/vhxh-tasks.ics", "VTODO")
        assert len(tasks) == 186 and task_uid(NEWS) in tasks
        events = {str(e.icalendar_component["UID"]) for e in cals["events"].get_events()}
        assert events == feed_uids(server, f"/calendars/{PLAN}/vhxh.ics", "VEVENT")
        every = {str(t.icalendar_component["UID"]) for t in cals["all-tasks"].get_todos(include_completed=True)}
        assert every == feed_uids(server, f"/calendars/{PLAN}/all-tasks.ics", "VTODO")

    # The plan-qualified user name signs in the same unit.
    with client(server, f"{PLAN}/cong-an", police) as c:
        principal = c.principal()
        assert urlsplit(str(principal.url)).path == davlib.principal("cong-an")
        assert principal.get_display_name() == POLICE_NAME
        cals = calendars_by_name(principal)
        assert set(cals) == {"tasks", "events"}, sorted(cals)
        tasks = {str(t.icalendar_component["UID"]) for t in cals["tasks"].get_todos(include_completed=True)}
        assert tasks == feed_uids(server, f"/calendars/{PLAN}/cong-an-tasks.ics", "VTODO")
        assert task_uid(POLICE_2026) in tasks

    # RFC 6764: /.well-known/caldav redirects to the DAV root without sign-in; a client
    # follows the Location (python caldav does this itself only over https).
    for method in ("GET", "PROPFIND"):
        reply = request(server, method, "/.well-known/caldav")
        assert reply.status == 301, (method, reply)
        assert urlsplit(reply.headers["Location"]).path == "/dav/", reply.headers
    root = urljoin(server.url("/.well-known/caldav"), request(server, "GET", "/.well-known/caldav").headers["Location"])
    with client(server, "vhxh", lead, url=root) as c:
        assert urlsplit(str(c.principal().url)).path == davlib.principal("vhxh")

    # OPTIONS needs no sign-in and says what the server speaks.
    reply = request(server, "OPTIONS", "/dav/")
    assert reply.status in (200, 204), reply
    dav_classes = {v.strip() for v in reply.headers.get("DAV", "").split(",")}
    assert {"1", "3", "calendar-access"} <= dav_classes, reply.headers
    allow = {v.strip() for v in reply.headers.get("Allow", "").split(",")}
    assert {"OPTIONS", "GET", "HEAD", "PROPFIND", "REPORT", "PUT"} <= allow, reply.headers

    # A unit reads its own home only.
    reply = dav(server, "PROPFIND", davlib.home("vhxh"), propfind_body("D:displayname"),
                auth=("cong-an", police), headers={"Depth": "1"})
    assert reply.status == 403, reply
    dav_error(reply)


# --------------------------------------------------------------------------
# 2. complete() and uncomplete() with python caldav
# --------------------------------------------------------------------------

def test_complete_and_uncomplete_with_python_caldav(server):
    db = server.db
    code = create_token(db, "cong-an", POLICE_LABEL)
    uid = task_uid(POLICE_2026)
    feed = f"/calendars/{PLAN}/cong-an-tasks.ics"
    assert history_count(db) == 0 and informed_on(server, "cong-an") is None

    with client(server, "cong-an", code) as c:
        tasks = calendars_by_name(c.principal())["tasks"]
        todo = todo_by_uid(tasks, uid)
        assert str(todo.icalendar_component["STATUS"]) == "NEEDS-ACTION"
        assert urlsplit(str(todo.url)).path == item("cong-an", POLICE_2026)

        todo.complete(completion_timestamp=TICKED_AT)

        # One completion record, by the code's holder, from the app, on the day ticked.
        assert history_count(db) == 1, history_text(db)
        row, block = last_record(db)
        assert (row["ma_loai"], row["ma_cong_viec"], row["don_vi"], row["ngay"], row["nguoi_ghi"]) == \
            ("done", POLICE_2026, POLICE_NAME, TICKED_DAY, POLICE_LABEL), row
        assert CALDAV_UA in block, f"plancal history does not show the client's User-Agent:\n{block}"
        assert informed_on(server, "cong-an") == "2026-11-28"
        done = feed_component(server, feed, uid)
        assert str(done["STATUS"]) == "COMPLETED" and "COMPLETED" in done, done.to_ical().decode()

        # The app fetches it again (a 204 without ETag says: the server changed it).
        todo.load()
        again = todo.icalendar_component
        assert str(again["STATUS"]) == "COMPLETED", again.to_ical().decode()
        assert "COMPLETED" in again and int(again["PERCENT-COMPLETE"]) == 100, again.to_ical().decode()

        # Un-tick: python caldav sets STATUS:NEEDS-ACTION and drops COMPLETED, but leaves the
        # PERCENT-COMPLETE:100 the server wrote; STATUS says what the user did.
        todo.uncomplete()

        assert history_count(db) == 2, history_text(db)
        row, block = last_record(db)
        assert (row["ma_loai"], row["ma_cong_viec"], row["nguoi_ghi"]) == ("undo", POLICE_2026, POLICE_LABEL), row
        assert row["ly_do"] == UNDO_REASON, row
        assert CALDAV_UA in block, block
        assert informed_on(server, "cong-an") is None
        assert str(feed_component(server, feed, uid)["STATUS"]) == "NEEDS-ACTION"
        todo.load()
        assert str(todo.icalendar_component["STATUS"]) == "NEEDS-ACTION"
        assert "COMPLETED" not in todo.icalendar_component


# --------------------------------------------------------------------------
# 3. The quarter's news item: refused without its link, recorded with it
# --------------------------------------------------------------------------

def test_news_item_needs_its_article_link(server):
    db = server.db
    code = create_token(db, "vhxh", LEAD_LABEL)
    auth = ("vhxh", code)
    path = item("vhxh", NEWS)
    _, first_etag = get_item(server, path, auth)

    with client(server, "vhxh", code) as c:
        tasks = calendars_by_name(c.principal())["tasks"]
        todo = todo_by_uid(tasks, task_uid(NEWS))

        # Ticked without the article's link: the rules refuse it, and the app is told.
        # (python caldav raises AuthorizationError for a 403 to a PUT.)
        with pytest.raises(caldav_error.AuthorizationError) as refused:
            todo.complete(completion_timestamp=TICKED_AT)
        assert "Forbidden" in str(refused.value), refused.value
        assert history_count(db) == 0

        # The same PUT by hand: 403, a DAV:error with the reason in Vietnamese.
        body, etag = get_item(server, path, auth)
        assert etag != first_etag, "the refused item's rendering (and ETag) must change"
        reply = dav(server, "PUT", path, completed(body), auth=auth, headers={"If-Match": etag})
        assert reply.status == 403, reply
        _, reason = dav_error(reply)
        assert "đường dẫn" in reason.lower(), f"the reason should ask for the article's link: {reason!r}"
        assert history_count(db) == 0

        # The next rendering carries the reason at the top of DESCRIPTION, still open.
        body, _ = get_item(server, path, auth)
        description = davlib.description_of(body)
        assert description.startswith("Chưa ghi nhận:"), description[:300]
        assert f"/occurrences/{NEWS}" in description.split("\n", 1)[0], description[:300]
        assert davlib.status_of(body) == "NEEDS-ACTION"
        assert quarter(server, "2026-Q4")["state"] != "met"

        # The official puts the article's link in the task's URL field and ticks it again.
        todo.load()
        todo.icalendar_component.pop("URL", None)
        todo.icalendar_component.add("URL", LINK)
        todo.complete(completion_timestamp=TICKED_AT)

    q4 = quarter(server, "2026-Q4")
    assert q4["state"] == "met", q4
    assert any(i["url"] == LINK and i["source"] == NEWS and i["date"] == "2026-11-28" for i in q4["items"]), q4
    assert history_count(db) == 1
    row, block = last_record(db)
    assert (row["ma_loai"], row["ma_cong_viec"], row["minh_chung"], row["nguoi_ghi"]) == \
        ("done", NEWS, LINK, LEAD_LABEL), row
    assert CALDAV_UA in block, block
    body, _ = get_item(server, path, auth)
    assert davlib.status_of(body) == "COMPLETED"
    assert not davlib.description_of(body).startswith("Chưa ghi nhận:")


# --------------------------------------------------------------------------
# 3b. Where evidence, note and day come from; un-ticks; what records nothing
# --------------------------------------------------------------------------

def _put_completion(srv, path, auth, if_match=True, **changes):
    body, etag = get_item(srv, path, auth)
    edited = davlib.edit_item(body, STATUS="COMPLETED", **changes)
    return dav(srv, "PUT", path, edited, auth=auth, headers={"If-Match": etag} if if_match else None)


def test_evidence_note_day_and_what_records_nothing(server):
    """Where a tick's evidence, note and day come from; the lead ticks for another unit in
    all-tasks; the rules refuse a future day and a day before the item opens (403, reason in the
    next rendering, which a syncing app is told about); edits of what the unit owns (alarms,
    categories, priority) and a re-sent tick record nothing."""
    db = server.db
    code = create_token(db, "vhxh", LEAD_LABEL)
    auth = ("vhxh", code)

    def last():
        row, _ = last_record(db)
        return row

    # Evidence from ATTACH.
    reply = _put_completion(server, item("vhxh", "quarterly-news/2026-Q2"), auth, COMPLETED=TICKED_AT,
                            ATTACH="https://example.org/dinh-kem")
    assert reply.status == 204, reply
    assert "ETag" not in reply.headers, "the server re-renders the item: no ETag on the PUT (RFC 4791 §5.3.4)"
    row = last()
    assert (row["ma_cong_viec"], row["minh_chung"], row["ngay"], row["nguoi_ghi"]) == \
        ("quarterly-news/2026-Q2", "https://example.org/dinh-kem", TICKED_DAY, LEAD_LABEL), row

    # Evidence and note from the text the user added under the plan's DESCRIPTION.
    path = item("vhxh", "quarterly-news/2026-Q1")
    body, _ = get_item(server, path, auth)
    note = "Đã đăng trên trang của phường: https://example.org/bai-q1 và phát trên loa"
    reply = _put_completion(server, path, auth, COMPLETED=TICKED_AT,
                            DESCRIPTION=davlib.description_of(body) + "\n" + note)
    assert reply.status == 204, reply
    row = last()
    assert (row["ma_cong_viec"], row["minh_chung"]) == ("quarterly-news/2026-Q1", "https://example.org/bai-q1"), row
    assert row["ghi_chu"] == note, row
    body, _ = get_item(server, path, auth)
    assert davlib.status_of(body) == "COMPLETED" and note in davlib.description_of(body)

    # No COMPLETED, no If-Match (both optional): the day is today.
    reply = _put_completion(server, item("vhxh", "training/2026"), auth, if_match=False)
    assert reply.status == 204, reply
    row = last()
    assert (row["ma_cong_viec"], row["ngay"]) == ("training/2026", "29/11/2026"), row

    # The lead ticks another unit's task in all-tasks: the unit's record, the lead's signature.
    reply = _put_completion(server, item("vhxh", "dissemination/2026/mttq", "all-tasks"), auth, COMPLETED=TICKED_AT)
    assert reply.status == 204, reply
    row = last()
    assert (row["ma_cong_viec"], row["nguoi_ghi"]) == ("dissemination/2026/mttq", LEAD_LABEL), row
    assert informed_on(server, "mttq") == "2026-11-28"
    mttq = ("mttq", server.tokens["mttq"])
    body, _ = get_item(server, item("mttq", "dissemination/2026/mttq"), mttq)
    assert davlib.status_of(body) == "COMPLETED"

    # The day is COMPLETED in Hà Nội: 27/11 20:00 UTC is 28/11 03:00 there.
    reply = _put_completion(server, item("vhxh", "ward-report/2026"), auth,
                            COMPLETED=datetime(2026, 11, 27, 20, 0, tzinfo=timezone.utc))
    assert reply.status == 204, reply
    row = last()
    assert (row["ma_cong_viec"], row["ngay"]) == ("ward-report/2026", TICKED_DAY), row

    # What apps add around a tick (their PRODID, a VTIMEZONE, X- properties, CLASS; LF line
    # endings) is not a change to what the plan owns.
    path = item("vhxh", "data-report-violence/2026")
    body, etag = get_item(server, path, auth)
    cal = icalendar.Calendar.from_ical(completed(body))
    cal.pop("PRODID")
    cal.add("PRODID", "-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN")
    cal.subcomponents.insert(0, icalendar.Timezone.from_ical(
        "BEGIN:VTIMEZONE\r\nTZID:Asia/Ho_Chi_Minh\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0700\r\n"
        "TZOFFSETTO:+0700\r\nTZNAME:+07\r\nDTSTART:19700101T000000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"))
    [todo] = [c for c in cal.subcomponents if c.name == "VTODO"]
    todo.add("X-MOZ-GENERATION", "2")
    todo.add("X-APPLE-SORT-ORDER", "123")
    todo.add("CLASS", "PUBLIC")
    reply = dav(server, "PUT", path, cal.to_ical().replace(b"\r\n", b"\n"), auth=auth, headers={"If-Match": etag})
    assert reply.status == 204, reply
    row = last()
    assert (row["ma_cong_viec"], row["ngay"]) == ("data-report-violence/2026", TICKED_DAY), row
    count = history_count(db)

    # A client re-sending its tick (the server's rendering, unchanged): nothing new.
    path = item("vhxh", "training/2026")
    body, etag = get_item(server, path, auth)
    reply = dav(server, "PUT", path, body, auth=auth, headers={"If-Match": etag})
    assert reply.status == 204, reply
    assert history_count(db) == count

    # Only what the unit owns changed (alarm, categories, priority): 204, nothing recorded.
    path = item("vhxh", "annual-review/2026")
    body, etag = get_item(server, path, auth)
    cal = icalendar.Calendar.from_ical(body)
    [todo] = [c for c in cal.subcomponents if c.name == "VTODO"]
    todo.pop("CATEGORIES")
    todo.add("CATEGORIES", ["Việc của tôi"])
    todo.add("PRIORITY", 1)
    alarm = icalendar.Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("DESCRIPTION", "Nhắc việc")
    alarm.add("TRIGGER", timedelta(days=-1))
    todo.add_component(alarm)
    reply = dav(server, "PUT", path, cal.to_ical(), auth=auth, headers={"If-Match": etag})
    assert reply.status == 204, reply
    assert history_count(db) == count
    assert davlib.status_of(get_item(server, path, auth)[0]) == "NEEDS-ACTION"

    # The rules refuse: a day still to come, a day before the item opens.
    # (The news ticks above, dated in Q4, met Q4 already: another open item for the first.)
    for occurrence, day, words in (("annual-review/2026", datetime(2026, 12, 5, 2, 0, tzinfo=timezone.utc),
                                    "05/12/2026"),
                                   ("quarterly-news/2027-Q1", TICKED_AT, "01/01/2027")):
        path = item("vhxh", occurrence)
        token = _sync(server, collection("vhxh"), auth).sync_token
        _, etag = get_item(server, path, auth)
        reply = _put_completion(server, path, auth, COMPLETED=day, URL=LINK)
        assert reply.status == 403, (occurrence, reply)
        _, reason = dav_error(reply)
        assert words in reason, (occurrence, reason)
        assert history_count(db) == count
        body, new_etag = get_item(server, path, auth)
        assert new_etag != etag and davlib.status_of(body) == "NEEDS-ACTION"
        assert davlib.description_of(body).startswith("Chưa ghi nhận:"), davlib.description_of(body)[:300]
        # A syncing app (DAVx⁵, Thunderbird) learns of the new rendering through the sync token.
        changed = _sync(server, collection("vhxh"), auth, token)
        assert path in changed.by_href(), (occurrence, sorted(changed.by_href()))

    # Un-ticks: IN-PROCESS in all-tasks withdraws the lead's tick for mttq; NEEDS-ACTION withdraws a
    # tick made on the web.
    path = item("vhxh", "dissemination/2026/mttq", "all-tasks")
    body, etag = get_item(server, path, auth)
    reply = dav(server, "PUT", path, davlib.edit_item(body, STATUS="IN-PROCESS", COMPLETED=None, PERCENT_COMPLETE=50),
                auth=auth, headers={"If-Match": etag})
    assert reply.status == 204, reply
    row = last()
    assert (row["ma_loai"], row["ma_cong_viec"], row["ly_do"], row["nguoi_ghi"]) == \
        ("undo", "dissemination/2026/mttq", UNDO_REASON, LEAD_LABEL), row
    assert informed_on(server, "mttq") is None
    reply = request(server, "POST", f"/api/{PLAN}/completions",
                    json.dumps({"occurrence": "quarterly-news/2025-Q4", "unit": "vhxh", "on": "2025-12-10",
                                "evidence": LINK}).encode(),
                    {"Authorization": f"Bearer {code}", "Content-Type": "application/json"})
    assert reply.status == 201, reply
    path = item("vhxh", "quarterly-news/2025-Q4")
    body, etag = get_item(server, path, auth)
    assert davlib.status_of(body) == "COMPLETED"
    assert quarter(server, "2025-Q4")["state"] == "met"
    reply = dav(server, "PUT", path, davlib.edit_item(body, STATUS="NEEDS-ACTION", COMPLETED=None, PERCENT_COMPLETE=0),
                auth=auth, headers={"If-Match": etag})
    assert reply.status == 204, reply
    row = last()
    assert (row["ma_loai"], row["ma_cong_viec"], row["ly_do"]) == ("undo", "quarterly-news/2025-Q4", UNDO_REASON), row
    assert quarter(server, "2025-Q4")["state"] != "met"
    assert davlib.status_of(get_item(server, path, auth)[0]) == "NEEDS-ACTION"


# --------------------------------------------------------------------------
# 4. Refusals: status, DAV:error in Vietnamese, nothing written
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def refusing(tmp_path_factory):
    """One server for every refusal (none of them may write anything)."""
    with running_server(tmp_path_factory.mktemp("refusals")) as srv:
        yield srv


def _news_completion(srv, **changes) -> tuple[str, bytes, str]:
    """vhxh's news item completed with its link, plus ``changes``: (path, body, etag)."""
    auth = ("vhxh", srv.tokens["vhxh"])
    path = item("vhxh", NEWS)
    body, etag = get_item(srv, path, auth)
    return path, completed(body, URL=LINK, **changes), etag


def _put_edit(**changes):
    def case(srv):
        path, body, etag = _news_completion(srv, **changes)
        return dav(srv, "PUT", path, body, auth=("vhxh", srv.tokens["vhxh"]), headers={"If-Match": etag})
    return case


def _other_unit_put(srv):
    path, body, etag = _news_completion(srv)
    return dav(srv, "PUT", path, body, auth=("cong-an", srv.tokens["cong-an"]), headers={"If-Match": etag})


def _no_auth_put(srv):
    path, body, etag = _news_completion(srv)
    return dav(srv, "PUT", path, body, headers={"If-Match": etag})


def _revoked(srv):
    label = f"Mã thu hồi {uuid.uuid4().hex[:6]}"
    code = create_token(srv.db, "vhxh", label)
    path, body, etag = _news_completion(srv)
    assert dav(srv, "PROPFIND", collection("vhxh"), propfind_body("D:getetag"), auth=("vhxh", code),
               headers={"Depth": "0"}).status == 207, "the code works before it is revoked"
    run_plancal("token", "revoke", davlib.token_id(srv.db, label), "--db", srv.db)
    return dav(srv, "PUT", path, body, auth=("vhxh", code), headers={"If-Match": etag})


def _new_item(srv):
    todo = icalendar.Todo()
    todo.add("UID", "viec-moi-123@example.org")
    todo.add("DTSTAMP", TICKED_AT)
    todo.add("SUMMARY", "Việc mới do ứng dụng tạo")
    todo.add("STATUS", "NEEDS-ACTION")
    cal = icalendar.Calendar()
    cal.add("PRODID", "-//peer-tests//VI")
    cal.add("VERSION", "2.0")
    cal.add_component(todo)
    return dav(srv, "PUT", collection("vhxh") + "viec-moi-123.ics", cal.to_ical(),
               auth=("vhxh", srv.tokens["vhxh"]), headers={"If-None-Match": "*"})


def _if_none_match_existing(srv):
    path, body, _ = _news_completion(srv)
    return dav(srv, "PUT", path, body, auth=("vhxh", srv.tokens["vhxh"]), headers={"If-None-Match": "*"})


def _stale_if_match(srv):
    """The app's ETag went stale: its first tick (without the link) was refused, which re-rendered
    the item; it sends the corrected tick with the old ETag."""
    auth = ("vhxh", srv.tokens["vhxh"])
    path = item("vhxh", NEWS)
    body, old_etag = get_item(srv, path, auth)
    first = dav(srv, "PUT", path, completed(body), auth=auth, headers={"If-Match": old_etag})
    assert first.status == 403, first
    assert get_item(srv, path, auth)[1] != old_etag
    return dav(srv, "PUT", path, completed(body, URL=LINK), auth=auth, headers={"If-Match": old_etag})


def _bogus_if_match(srv):
    path, body, etag = _news_completion(srv)
    return dav(srv, "PUT", path, body, auth=("vhxh", srv.tokens["vhxh"]), headers={"If-Match": '"khong-phai-etag"'})


def _too_large(chunked: bool):
    def case(srv):
        path, body, etag = _news_completion(srv)
        # A valid completion padded past 1 MiB with a long note property.
        big = body.replace(b"END:VTODO", b"X-GHI-CHU:" + b"a" * (1 << 20) + b"\r\nEND:VTODO")
        assert len(big) > (1 << 20)
        return davlib.put_large(srv, path, big, ("vhxh", srv.tokens["vhxh"]), {"If-Match": etag}, chunked=chunked)
    return case


def _garbage(srv):
    path, _, etag = _news_completion(srv)
    return dav(srv, "PUT", path, b"day khong phai iCalendar\r\n", auth=("vhxh", srv.tokens["vhxh"]),
               headers={"If-Match": etag})


def _wrong_uid(srv):
    path, body, etag = _news_completion(srv, UID="task/quarterly-news/2026-Q3@bach-dang.plancal")
    return dav(srv, "PUT", path, body, auth=("vhxh", srv.tokens["vhxh"]), headers={"If-Match": etag})


def _events_put(srv):
    """The event collection is read-only: even the item as served, sent back, is refused."""
    auth = ("vhxh", srv.tokens["vhxh"])
    path = item("vhxh", NEWS, "events")
    body, etag = get_item(srv, path, auth)
    return dav(srv, "PUT", path, body, auth=auth, headers={"If-Match": etag})


def _two_vtodos(srv):
    path, body, etag = _news_completion(srv)
    cal = icalendar.Calendar.from_ical(body)
    [todo] = [c for c in cal.subcomponents if c.name == "VTODO"]
    extra = icalendar.Todo()
    extra.add("UID", "them@example.org")
    extra.add("DTSTAMP", TICKED_AT)
    extra.add("SUMMARY", "Việc thêm")
    cal.add_component(extra)
    return dav(srv, "PUT", path, cal.to_ical(), auth=("vhxh", srv.tokens["vhxh"]), headers={"If-Match": etag})


def _vevent_in_tasks(srv):
    auth = ("vhxh", srv.tokens["vhxh"])
    body, _ = get_item(srv, item("vhxh", NEWS, "events"), auth)
    _, etag = get_item(srv, item("vhxh", NEWS), auth)
    return dav(srv, "PUT", item("vhxh", NEWS), body, auth=auth, headers={"If-Match": etag})


def _code_of_another_unit(srv):
    path, body, etag = _news_completion(srv)
    return dav(srv, "PUT", path, body, auth=("vhxh", srv.tokens["cong-an"]), headers={"If-Match": etag})


def _simple(method, path_of, body=None, headers=None, user="vhxh", password=None):
    def case(srv):
        pw = password if password is not None else srv.tokens[user]
        return dav(srv, method, path_of(srv), body, auth=(user, pw), headers=headers)
    return case


_NEWS_ITEM = lambda srv: item("vhxh", NEWS)  # noqa: E731
_TASKS = lambda srv: collection("vhxh")  # noqa: E731

# name -> (request, status, DAV/CalDAV condition expected in the D:error body or None)
REFUSALS = {
    "no-auth-propfind": (lambda srv: dav(srv, "PROPFIND", collection("vhxh"), propfind_body("D:getetag"),
                                         headers={"Depth": "1"}), 401, None),
    "no-auth-put": (_no_auth_put, 401, None),
    "wrong-password": (_simple("PROPFIND", _TASKS, propfind_body("D:getetag"), {"Depth": "1"},
                               password="pc_00000000_" + "0" * 48), 401, None),
    "unknown-user": (_simple("PROPFIND", _TASKS, propfind_body("D:getetag"), {"Depth": "1"},
                             user="khong-co-don-vi", password="x"), 401, None),
    "revoked-code": (_revoked, 401, None),
    "code-of-another-unit": (_code_of_another_unit, 401, None),
    "other-unit-put": (_other_unit_put, 403, None),
    "other-unit-read": (_simple("GET", _NEWS_ITEM, user="cong-an"), 403, None),
    "summary-changed": (_put_edit(SUMMARY="Đăng tin khác"), 403, "C:valid-calendar-object-resource"),
    "due-changed": (_put_edit(DUE=date(2027, 1, 31)), 403, "C:valid-calendar-object-resource"),
    "dtstart-added": (_put_edit(DTSTART=date(2026, 10, 1)), 403, "C:valid-calendar-object-resource"),
    "rrule-added": (_put_edit(RRULE={"FREQ": "WEEKLY"}), 403, "C:valid-calendar-object-resource"),
    "plan-text-changed": (_put_edit(DESCRIPTION="Mô tả khác"), 403, "C:valid-calendar-object-resource"),
    "events-are-read-only": (_events_put, 403, None),
    "new-item": (_new_item, 403, None),
    "delete-item": (_simple("DELETE", _NEWS_ITEM), 403, None),
    "delete-collection": (_simple("DELETE", _TASKS), 403, None),
    "mkcalendar": (_simple("MKCALENDAR", lambda srv: davlib.home("vhxh") + "lich-moi/", davlib.MKCALENDAR_BODY),
                   403, None),
    "mkcol": (_simple("MKCOL", lambda srv: davlib.home("vhxh") + "thu-muc-moi/"), 403, None),
    "proppatch": (_simple("PROPPATCH", _TASKS, davlib.PROPPATCH_DISPLAYNAME), 403, None),
    "move": (_simple("MOVE", _NEWS_ITEM, headers={"Destination": "/dav/calendars/bach-dang/vhxh/tasks/x.ics"}),
             403, None),
    "copy": (_simple("COPY", _NEWS_ITEM, headers={"Destination": "/dav/calendars/bach-dang/vhxh/tasks/x.ics"}),
             403, None),
    "propfind-depth-infinity": (_simple("PROPFIND", _TASKS, propfind_body("D:getetag"), {"Depth": "infinity"}),
                                403, "D:propfind-finite-depth"),
    "if-none-match-on-existing": (_if_none_match_existing, 412, None),
    "stale-if-match": (_stale_if_match, 412, None),
    "bogus-if-match": (_bogus_if_match, 412, None),
    "body-over-1-mib": (_too_large(False), 413, None),
    "body-over-1-mib-chunked": (_too_large(True), 413, None),
    "garbage-body": (_garbage, 400, None),
    "another-uid": (_wrong_uid, 400, None),
    "two-vtodos": (_two_vtodos, 400, None),
    "vevent-in-tasks": (_vevent_in_tasks, 400, None),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusal_writes_nothing(refusing, case):
    send, status, condition = REFUSALS[case]
    srv = refusing
    before = history_count(srv.db)
    reply = send(srv)
    assert reply.status == status, f"{case}: expected {status}, got {reply!r}"
    root, _ = dav_error(reply)
    if condition:
        assert has_condition(root, condition), f"{case}: no {condition} in {reply.body[:600]!r}"
    if status == 401:
        challenge = reply.headers.get("WWW-Authenticate", "")
        assert challenge.startswith("Basic ") and 'realm="plancal"' in challenge, reply.headers
        assert 'charset="UTF-8"' in challenge, reply.headers
    assert history_count(srv.db) == before, f"{case}: a refused request wrote a record:\n{history_text(srv.db)}"
    body, _ = get_item(srv, item("vhxh", NEWS), ("vhxh", srv.tokens["vhxh"]))
    assert davlib.status_of(body) == "NEEDS-ACTION", case
    assert srv.alive(), srv.log_text()[-3000:]


# --------------------------------------------------------------------------
# 5. Sync tokens and ETags
# --------------------------------------------------------------------------

def _sync(srv, path, auth, token=""):
    reply = dav(srv, "REPORT", path, sync_collection_body(token, "D:getetag"), auth=auth, headers={"Depth": "1"})
    ms = parse_multistatus(reply)
    assert ms.sync_token, f"no DAV:sync-token in the sync-collection answer: {reply.body[-400:]!r}"
    return ms


def _collection_props(srv, path, auth):
    reply = dav(srv, "PROPFIND", path, propfind_body("CS:getctag", "D:sync-token", "D:getetag"), auth=auth,
                headers={"Depth": "1"})
    return parse_multistatus(reply).by_href()


def test_sync_collection_and_etags(server):
    auth = ("vhxh", server.tokens["vhxh"])
    tasks, every = collection("vhxh"), collection("vhxh", "all-tasks")
    news_href, police_href = item("vhxh", NEWS), item("vhxh", POLICE_2026, "all-tasks")

    # PROPFIND Depth 1: the collection's ctag and sync-token, an ETag on every item, equal to
    # the one GET gives.
    props = _collection_props(server, tasks, auth)
    coll = props[tasks]
    assert coll.text("CS:getctag") and coll.text("D:sync-token"), coll
    items = {h: r for h, r in props.items() if h != tasks}
    assert len(items) == 186 and all(r.text("D:getetag") for r in items.values()), \
        [h for h, r in items.items() if not r.text("D:getetag")][:5]
    _, news_etag = get_item(server, news_href, auth)
    assert items[news_href].text("D:getetag") == news_etag

    # Initial sync: every item; again with its token and no change: nothing, same token.
    first = _sync(server, tasks, auth)
    assert {r.href for r in first.responses} == set(items)
    assert {r.href: r.text("D:getetag") for r in first.responses} == {h: r.text("D:getetag") for h, r in items.items()}
    idle = _sync(server, tasks, auth, first.sync_token)
    assert idle.responses == [] and idle.sync_token == first.sync_token, idle
    every_first = _sync(server, every, auth)

    # A write on the API changes the token and the item's ETag; the next sync lists it.
    reply = request(server, "POST", f"/api/{PLAN}/completions",
                    json.dumps({"occurrence": NEWS, "unit": "vhxh", "on": "2026-11-20", "evidence": LINK}).encode(),
                    {"Authorization": f"Bearer {server.tokens['vhxh']}", "Content-Type": "application/json"})
    assert reply.status == 201, reply
    after = _sync(server, tasks, auth, first.sync_token)
    assert after.sync_token != first.sync_token
    changed = after.by_href()
    assert news_href in changed and len(changed) == 1, sorted(changed)
    new_etag = changed[news_href].text("D:getetag")
    assert new_etag and new_etag != news_etag
    body, etag = get_item(server, news_href, auth)
    assert etag == new_etag and davlib.status_of(body) == "COMPLETED"
    props = _collection_props(server, tasks, auth)
    assert props[tasks].text("CS:getctag") != coll.text("CS:getctag")
    assert props[tasks].text("D:sync-token") == after.sync_token
    idle = _sync(server, tasks, auth, after.sync_token)
    assert idle.responses == [] and idle.sync_token == after.sync_token

    # Another unit's write reaches the lead's all-tasks collection.
    reply = request(server, "POST", f"/api/{PLAN}/completions",
                    json.dumps({"occurrence": POLICE_2026, "unit": "cong-an", "on": "2026-06-10"}).encode(),
                    {"Authorization": f"Bearer {server.tokens['cong-an']}", "Content-Type": "application/json"})
    assert reply.status == 201, reply
    every_after = _sync(server, every, auth, every_first.sync_token)
    assert every_after.sync_token != every_first.sync_token
    assert police_href in every_after.by_href(), sorted(every_after.by_href())

    # A token this server never gave cannot be answered.
    reply = dav(server, "REPORT", tasks, sync_collection_body(server.url("/dav/sync/khong-co")), auth=auth,
                headers={"Depth": "1"})
    assert reply.status == 403, reply
    root, _ = dav_error(reply)
    assert has_condition(root, "D:valid-sync-token"), reply.body[:500]


# --------------------------------------------------------------------------
# 5b. Properties and reports as the apps ask for them
# --------------------------------------------------------------------------

CALENDAR_QUERY = ('<?xml version="1.0" encoding="utf-8"?>'
                  '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
                  "<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name=\"VCALENDAR\">"
                  '<C:comp-filter name="VTODO">{inner}</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>')


def test_items_are_folded_as_rfc5545_says(server):
    """What the DAV side serves folds lines as RFC 5545 §3.1 says: CRLF, at most 75 octets, a fold
    only between two characters (an empty continuation line — a lone space — makes python
    caldav rewrite the data with a warning on every listing, and a strict parser may refuse it)."""
    auth = ("vhxh", server.tokens["vhxh"])
    for path in (collection("vhxh"), item("vhxh", NEWS), item("vhxh", NEWS, "events")):
        reply = dav(server, "GET", path, auth=auth)
        assert reply.status == 200, (path, reply)
        body = reply.body
        assert body.count(b"\n") == body.count(b"\r\n"), path
        lines = body.split(b"\r\n")
        assert max(len(line) for line in lines) <= 75, path
        lone = [i for i, line in enumerate(lines) if line in (b" ", b"\t")]
        assert not lone, f"{path}: {len(lone)} empty continuation lines, e.g. " \
                         f"{[b''.join(lines[i - 2:i + 1]).decode() for i in lone[:1]]}"


def _in_range(todo, start: datetime, end: datetime, tz) -> bool:
    """RFC 4791 §9.9 for a VTODO with DUE (and maybe DTSTART); DATE values at midnight in ``tz``."""
    def at(prop):
        v = todo[prop].dt
        return v if isinstance(v, datetime) else datetime(v.year, v.month, v.day, tzinfo=tz)
    due = at("DUE")
    if "DTSTART" in todo:
        dtstart = at("DTSTART")
        return (start < due or start <= dtstart) and (end > dtstart or end >= due)
    return start < due and end >= due


def test_properties_and_reports_as_apps_use_them(server):
    auth = ("vhxh", server.tokens["vhxh"])
    tasks = collection("vhxh")
    news = item("vhxh", NEWS)

    # The collection's properties (RFC 4791 §5.2, RFC 6578, the spec's list).
    props = ("D:resourcetype", "D:displayname", "D:current-user-principal", "D:owner",
             "D:current-user-privilege-set", "D:supported-report-set", "C:supported-calendar-component-set",
             "CS:getctag", "D:sync-token", "C:calendar-description", "D:getcontenttype")
    reply = dav(server, "PROPFIND", tasks, propfind_body(*props, "D:quota-used-bytes"), auth=auth,
                headers={"Depth": "0"})
    coll = parse_multistatus(reply).by_href()[tasks]
    assert [p for p in props if davlib.q(p) not in coll.found] == [], \
        f"collection properties missing: {sorted(coll.missing)}"
    assert davlib.q("D:quota-used-bytes") in coll.missing and "404" in coll.missing[davlib.q("D:quota-used-bytes")]
    assert {davlib.q("D:collection"), davlib.q("C:calendar")} <= coll.children("D:resourcetype")
    assert coll.hrefs("D:current-user-principal") == [davlib.principal("vhxh")]
    assert coll.hrefs("D:owner") == [davlib.principal("vhxh")]
    reports = coll.children("D:supported-report-set")
    assert {davlib.q("C:calendar-query"), davlib.q("C:calendar-multiget"), davlib.q("D:sync-collection")} <= reports
    assert coll.text("D:sync-token") and coll.text("CS:getctag")

    # Who may write where: tasks and (for the lead) all-tasks, not events.
    def privileges(path, who=auth):
        r = dav(server, "PROPFIND", path, propfind_body("D:current-user-privilege-set"), auth=who,
                headers={"Depth": "0"})
        return {c.tag for c in parse_multistatus(r).by_href()[path].found[davlib.q("D:current-user-privilege-set")].iter()
                if c.tag not in (davlib.q("D:current-user-privilege-set"), davlib.q("D:privilege"))}
    assert privileges(tasks) == {davlib.q("D:read"), davlib.q("D:write-content")}
    assert privileges(collection("vhxh", "all-tasks")) == {davlib.q("D:read"), davlib.q("D:write-content")}
    assert privileges(collection("vhxh", "events")) == {davlib.q("D:read")}

    # The principal: its home, no calendar-user-address-set (no scheduling).
    p = davlib.principal("vhxh")
    reply = dav(server, "PROPFIND", p, propfind_body("D:principal-URL", "C:calendar-home-set",
                                                     "C:calendar-user-address-set"), auth=auth, headers={"Depth": "0"})
    me = parse_multistatus(reply).by_href()[p]
    assert me.hrefs("C:calendar-home-set") == [davlib.home("vhxh")] and me.hrefs("D:principal-URL") == [p]
    assert davlib.q("C:calendar-user-address-set") in me.missing

    # An item: ETag (the same as GET's and HEAD's), content type, last modified.
    reply = dav(server, "PROPFIND", news, propfind_body("D:getetag", "D:getcontenttype", "D:getlastmodified",
                                                        "D:resourcetype"), auth=auth, headers={"Depth": "0"})
    one = parse_multistatus(reply).by_href()[news]
    body, etag = get_item(server, news, auth)
    assert one.text("D:getetag") == etag
    assert one.text("D:getcontenttype") == "text/calendar; charset=utf-8; component=VTODO"
    assert one.text("D:getlastmodified") and one.children("D:resourcetype") == set()
    head = dav(server, "HEAD", news, auth=auth)
    assert (head.status, head.headers.get("ETag"), head.body) == (200, etag, b""), head
    assert davlib.one_vtodo(body)["UID"] == task_uid(NEWS)
    whole = dav(server, "GET", tasks, auth=auth)
    assert whole.status == 200 and whole.headers["Content-Type"].startswith("text/calendar")
    assert whole.body == request(server, "GET", f"/calendars/{PLAN}/vhxh-tasks.ics").body
    assert dav(server, "GET", tasks + "khong-co.ics", auth=auth).status == 404

    # calendar-query with a time-range (Thunderbird, DAVx⁵): the tasks of December 2026.
    feed = icalendar.Calendar.from_ical(whole.body)
    start, end = datetime(2026, 12, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc)
    inner = '<C:time-range start="20261201T000000Z" end="20270101T000000Z"/>'
    reply = dav(server, "REPORT", tasks, CALENDAR_QUERY.format(inner=inner), auth=auth, headers={"Depth": "1"})
    got = {r.href for r in parse_multistatus(reply).responses}
    by_href = {item("vhxh", davlib.occurrence_of(str(t["UID"]))): t for t in feed.subcomponents if t.name == "VTODO"}
    surely = {h for h, t in by_href.items() if _in_range(t, start, end, TZ) and _in_range(t, start, end, timezone.utc)}
    maybe = {h for h, t in by_href.items() if _in_range(t, start, end, TZ) or _in_range(t, start, end, timezone.utc)}
    assert news in surely and surely <= got <= maybe, (sorted(surely - got), sorted(got - maybe))
    assert len(got) < len(by_href) / 4

    # calendar-multiget: a known href with its data, an unknown one 404.
    body = ('<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>'
            f"<D:href>{news}</D:href><D:href>{tasks}khong-co.ics</D:href></C:calendar-multiget>")
    answers = parse_multistatus(dav(server, "REPORT", tasks, body, auth=auth, headers={"Depth": "1"})).by_href()
    assert davlib.one_vtodo(answers[news].text("C:calendar-data").encode())["UID"] == task_uid(NEWS)
    assert answers[news].text("D:getetag") == etag
    assert "404" in (answers[tasks + "khong-co.ics"].status or ""), answers[tasks + "khong-co.ics"]

    # python caldav's pending-only listing leaves out what is done, everywhere it is listed.
    reply = request(server, "POST", f"/api/{PLAN}/completions",
                    json.dumps({"occurrence": NEWS, "unit": "vhxh", "on": "2026-11-20", "evidence": LINK}).encode(),
                    {"Authorization": f"Bearer {server.tokens['vhxh']}", "Content-Type": "application/json"})
    assert reply.status == 201, reply
    with client(server, "vhxh", server.tokens["vhxh"]) as c:
        for name, cal in calendars_by_name(c.principal()).items():
            if name == "events":
                continue
            pending = {str(t.icalendar_component["UID"]) for t in cal.get_todos()}
            assert task_uid(NEWS) not in pending and task_uid("quarterly-news/2027-Q1") in pending, name
            everything = {str(t.icalendar_component["UID"]) for t in cal.get_todos(include_completed=True)}
            assert everything - pending == {task_uid(NEWS)}, (name, sorted(everything - pending))


# --------------------------------------------------------------------------
# 5c. Concurrent ticks, several wards
# --------------------------------------------------------------------------

def test_concurrent_ticks_of_one_item_record_it_once(server):
    """A phone and a desktop app tick the same task at the same moment with the same ETag:
    one wins, the others get 412 (or find it done), and there is exactly one record."""
    auth = ("vhxh", server.tokens["vhxh"])
    path = item("vhxh", NEWS)
    body, etag = get_item(server, path, auth)
    edited = completed(body, URL=LINK)
    results: list = [None] * 8

    def tick(i):
        results[i] = dav(server, "PUT", path, edited, auth=auth, headers={"If-Match": etag},
                         user_agent=f"app-{i}")

    threads = [threading.Thread(target=tick, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(r.status for r in results)
    assert statuses.count(204) >= 1 and set(statuses) <= {204, 412}, statuses
    assert history_count(server.db) == 1, history_text(server.db)
    assert davlib.status_of(get_item(server, path, auth)[0]) == "COMPLETED"


def test_wards_on_one_server_keep_to_their_own_tasks(tmp_path):
    """``--plans-dir``: two wards with the same unit ids. A code signs in its own ward's unit
    (user name ``vhxh`` or ``<ward>/vhxh``), never the other ward's; a tick lands in its ward."""
    wards = ("phuong-001", "phuong-002")
    city = tmp_path / "city"
    text = PLAN_FILE.read_text(encoding="utf-8")
    assert "  id: bach-dang\n" in text
    plan = {}
    for w in wards:
        plan[w] = city / w / "plan.yaml"
        plan[w].parent.mkdir(parents=True)
        plan[w].write_text(text.replace("  id: bach-dang\n", f"  id: {w}\n"), encoding="utf-8")
    db = tmp_path / "city.sqlite"
    codes = {w: run_plancal("token", "create", "--unit", "vhxh", "--label", f"Cán bộ {w}", "--plan", plan[w],
                            "--db", db).stdout.strip() for w in wards}
    with running_server(tmp_path / "server", db=db, extra_args=("--plans-dir", str(city))) as srv:
        for w in wards:
            for user in ("vhxh", f"{w}/vhxh"):
                with client(srv, user, codes[w]) as c:
                    assert urlsplit(str(c.principal().url)).path == davlib.principal("vhxh", w), (user, w)
        other = {"phuong-001": "phuong-002", "phuong-002": "phuong-001"}
        for w in wards:
            mine = ("vhxh", codes[w])
            reply = dav(srv, "PROPFIND", "/dav/", propfind_body("D:current-user-principal"),
                        auth=(f"{other[w]}/vhxh", codes[w]), headers={"Depth": "0"})
            assert reply.status == 401, reply
            dav_error(reply)
            for path in (davlib.home("vhxh", other[w]), davlib.item("vhxh", NEWS, plan=other[w])):
                reply = dav(srv, "GET" if path.endswith(".ics") else "PROPFIND", path, auth=mine,
                            headers={"Depth": "0"})
                assert reply.status == 403, (w, path, reply)
                dav_error(reply)

        with client(srv, "vhxh", codes["phuong-002"]) as c:
            tasks = calendars_by_name(c.principal())["tasks"]
            todo = todo_by_uid(tasks, task_uid(NEWS, "phuong-002"))
            todo.icalendar_component.pop("URL", None)
            todo.icalendar_component.add("URL", LINK)
            todo.complete(completion_timestamp=TICKED_AT)
        for w, n in (("phuong-001", 0), ("phuong-002", 1)):
            text = run_plancal("history", "--plan", plan[w], "--db", db).stdout
            assert len(davlib.HISTORY_LINE.findall(text)) == n, (w, text)
        assert quarter_of(srv, "phuong-002", "2026-Q4")["state"] == "met"
        assert quarter_of(srv, "phuong-001", "2026-Q4")["state"] != "met"


def quarter_of(srv, plan: str, key: str) -> dict:
    reply = request(srv, "GET", f"/api/{plan}/compliance")
    assert reply.status == 200, reply
    [q] = [q for q in reply.json()["quarters"] if q["key"] == key]
    return q


# --------------------------------------------------------------------------
# 6. vdirsyncer + todoman, both ways
# --------------------------------------------------------------------------

def _vdirsyncer_config(srv, workdir: Path, user: str, password: str) -> tuple[Path, Path]:
    base = workdir / "vdirsyncer"
    (base / "status").mkdir(parents=True, exist_ok=True)
    local = base / "local"
    local.mkdir(exist_ok=True)
    config = base / "config"
    js = json.dumps
    config.write_text(
        "[general]\n"
        f"status_path = {js(str(base / 'status'))}\n\n"
        "[pair plancal]\n"
        'a = "plancal_remote"\n'
        'b = "plancal_local"\n'
        'collections = ["tasks"]\n\n'
        "[storage plancal_remote]\n"
        'type = "caldav"\n'
        f"url = {js(srv.url('/dav/'))}\n"
        f"username = {js(user)}\n"
        f"password = {js(password)}\n"
        # What task apps send: a calendar-query with a VTODO comp-filter.
        'item_types = ["VTODO"]\n\n'
        "[storage plancal_local]\n"
        'type = "filesystem"\n'
        f"path = {js(str(local))}\n"
        'fileext = ".ics"\n',
        encoding="utf-8")
    return config, local / "tasks"


def _vdirsyncer(config: Path, workdir: Path, *args: str):
    return clients.run([clients.tool("vdirsyncer"), "-c", str(config), *args], workdir, input="y\n" * 10)


def _local_todos(folder: Path) -> dict[str, icalendar.Todo]:
    out = {}
    for f in folder.glob("*.ics"):
        for todo in davlib.vtodos(f.read_bytes()):
            out[str(todo["UID"])] = todo
    return out


def test_vdirsyncer_and_todoman_both_ways(server, tmp_path):
    faketime = shutil.which("faketime")
    assert faketime, "faketime is missing (scripts/install-test-deps.sh installs Debian's faketime)"
    db = server.db
    code = create_token(db, "cong-an", POLICE_LABEL)
    work = tmp_path / "client"
    config, folder = _vdirsyncer_config(server, work, "cong-an", code)

    _vdirsyncer(config, work, "discover", "plancal")
    _vdirsyncer(config, work, "sync", "plancal")
    local = _local_todos(folder)
    assert set(local) == feed_uids(server, f"/calendars/{PLAN}/cong-an-tasks.ics", "VTODO")

    listed = clients.todoman_list(folder, work)
    [mine] = [t for t in listed if f"Mã công việc: {POLICE_2026}" in (t.get("description") or "")]
    assert mine["completed"] is False, mine

    # `todo done` stamps COMPLETED with the machine's clock: run it on the server's day
    # (libfaketime), 29/11/2026 09:00 in Hà Nội.
    todo_config = clients.write_todoman_config(folder, work)
    clients.run([faketime, "-f", "@2026-11-29 09:00:00", clients.tool("todo"), "--config", str(todo_config),
                 "done", str(mine["id"])], work)
    assert str(_local_todos(folder)[task_uid(POLICE_2026)]["STATUS"]) == "COMPLETED"

    _vdirsyncer(config, work, "sync", "plancal")
    assert history_count(db) == 1, history_text(db)
    row, block = last_record(db)
    assert (row["ma_loai"], row["ma_cong_viec"], row["ngay"], row["nguoi_ghi"]) == \
        ("done", POLICE_2026, "29/11/2026", POLICE_LABEL), row
    assert "vdirsyncer" in block, f"plancal history does not show vdirsyncer's User-Agent:\n{block}"
    assert informed_on(server, "cong-an") == "2026-11-29"

    # A tick on the web (API) reaches todoman at the next sync.
    reply = request(server, "POST", f"/api/{PLAN}/completions",
                    json.dumps({"occurrence": POLICE_2025, "unit": "cong-an", "on": "2025-06-10"}).encode(),
                    {"Authorization": f"Bearer {server.tokens['cong-an']}", "Content-Type": "application/json"})
    assert reply.status == 201, reply
    _vdirsyncer(config, work, "sync", "plancal")
    local = _local_todos(folder)
    assert str(local[task_uid(POLICE_2025)]["STATUS"]) == "COMPLETED", local[task_uid(POLICE_2025)].to_ical()
    # The todo ticked in todoman came back as the server rendered it (the PUT's 204 had no ETag).
    mine = local[task_uid(POLICE_2026)]
    assert str(mine["STATUS"]) == "COMPLETED" and "Đã hoàn thành" in str(mine["DESCRIPTION"]), mine.to_ical()
    listed = {t["id"]: t for t in clients.todoman_list(folder, work)}
    web = [t for t in listed.values() if f"Mã công việc: {POLICE_2025}" in (t.get("description") or "")]
    assert len(web) == 1 and web[0]["completed"] is True, web
    assert datetime.fromtimestamp(web[0]["completed_at"], TZ).date() == date(2025, 6, 10), web
    assert history_count(db) == 2

    # Nothing changed on either side: a sync uploads nothing and records nothing.
    before = {f.name: f.read_bytes() for f in folder.glob("*.ics")}
    _vdirsyncer(config, work, "sync", "plancal")
    assert {f.name: f.read_bytes() for f in folder.glob("*.ics")} == before
    assert history_count(db) == 2


# --------------------------------------------------------------------------
# 7. caldav-server-tester
# --------------------------------------------------------------------------

# The checks that apply to a server where clients cannot create items or calendars, with the
# verdict each feature must get. Every other check of caldav-server-tester 1.7.0 first stores
# fixtures of its own (PrepareCalendar: events, journals, recurring tasks with csc_* UIDs) or
# creates/deletes calendars, and grades search, save/load, ETag, sync-token, scheduling,
# free/busy, timezone... on those fixtures; here the PUTs of new items are refused (403, as
# they must be), so the tester can only answer "unknown" for them or grade its own missing
# fixtures. Well-known is one of the read-only checks but the tester answers "unknown" for a
# server on 127.0.0.1 by design (test_discovery_and_listing_with_python_caldav checks it).
# The README (CalDAV: the reference) lists every check that does not apply, with the reason.
TESTER_CHECKS = ("CheckGetCurrentUserPrincipal", "CheckWWWAuthenticate", "CheckPropfindAllprop",
                 "CheckMakeDeleteCalendar", "CheckNonExistingResource", "CheckScheduling", "CheckSearch")
TESTER_EXPECTED = {
    "get-current-user-principal": "full",
    "get-current-user-principal.has-calendar": True,
    "auth.www-authenticate": "full",
    "auth.www-authenticate.usable-scheme": "full",
    "propfind": "full",
    "propfind.allprop": "full",
    "propfind.allprop.resourcetype": "full",
    "propfind.principal-depth-1": "full",
    "propfind.displayname": "full",
    "non-existing-raises-not-found.object": "full",
    "non-existing-raises-not-found.collection": "full",
    # CheckSearch's two probes that read what the calendar holds (the plan's 186 VTODOs); its
    # other probes search for fixtures it could not store and are left aside.
    "search.comp-type": "full",
    "search.comp-type.optional": "full",
    # Refused cleanly: no calendar is made, neither by MKCALENDAR nor by touching a new URL.
    "create-calendar": "unsupported",
    "create-calendar.auto": "unsupported",
    # The server does not claim RFC 6638 (DAV: 1, 3, calendar-access only).
    "scheduling": "unsupported",
}


def test_caldav_server_tester(server, tmp_path):
    auth = ("vhxh", server.tokens["vhxh"])
    reply = dav(server, "PROPFIND", collection("vhxh"), propfind_body("D:displayname"), auth=auth,
                headers={"Depth": "0"})
    name = parse_multistatus(reply).by_href()[collection("vhxh")].text("D:displayname")
    assert name, reply
    before = history_count(server.db)

    cmd = [clients.tool("caldav-server-tester"), "--caldav-url", server.url("/dav/"),
           "--caldav-username", "vhxh", "--caldav-password", server.tokens["vhxh"],
           "--caldav-calendar", name, "--format", "hints"]
    for check in TESTER_CHECKS:
        cmd += ["--run-checks", check]
    env = clients.client_env(tmp_path / "tester")
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=150, stdin=subprocess.DEVNULL)
    (tmp_path / "tester-stderr.txt").write_text(proc.stderr, encoding="utf-8")
    assert proc.returncode == 0, f"caldav-server-tester exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    start = proc.stdout.index("{")
    found = ast.literal_eval(proc.stdout[start:])

    def verdict(feature):
        v = found.get(feature)
        if v is None:
            return None
        return v.get("value") if "value" in v else v.get("support", "full")

    got = {f: verdict(f) for f in TESTER_EXPECTED}
    wrong = {f: (TESTER_EXPECTED[f], got[f], found.get(f)) for f in TESTER_EXPECTED if got[f] != TESTER_EXPECTED[f]}
    assert not wrong, "caldav-server-tester verdicts (expected, got, detail):\n" + \
        "\n".join(f"  {f}: {v}" for f, v in wrong.items()) + f"\n--- stderr ---\n{proc.stderr[-4000:]}"

    # The tester's attempts to store its fixtures were refused: nothing written, no calendar made.
    assert history_count(server.db) == before
    home = parse_multistatus(dav(server, "PROPFIND", davlib.home("vhxh"), propfind_body("D:resourcetype"),
                                 auth=auth, headers={"Depth": "1"})).by_href()
    assert set(home) == {davlib.home("vhxh"), collection("vhxh"), collection("vhxh", "events"),
                         collection("vhxh", "all-tasks")}, sorted(home)
    assert len(_collection_props(server, collection("vhxh"), auth)) == 187


# --------------------------------------------------------------------------
# 8. Two instances on one PostgreSQL
# --------------------------------------------------------------------------

PG_URL = os.environ.get("PLANCAL_TEST_POSTGRES_URL")


@pytest.fixture
def pg_database():
    """A fresh database on the test cluster, dropped afterwards."""
    name = f"plancal_dav_{uuid.uuid4().hex[:10]}"
    subprocess.run(["psql", PG_URL, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    subprocess.run(["psql", PG_URL, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)


@pytest.mark.skipif(not PG_URL, reason="PLANCAL_TEST_POSTGRES_URL is not set (scripts/test.sh starts PostgreSQL)")
def test_two_instances_share_sync_token_and_etag(pg_database, tmp_path):
    code = create_token(pg_database, "vhxh", LEAD_LABEL)
    auth = ("vhxh", code)
    a = davlib.Instance(pg_database, tmp_path, "a")
    b = davlib.Instance(pg_database, tmp_path, "b")
    try:
        path, tasks = item("vhxh", NEWS), collection("vhxh")
        seen = _sync(b, tasks, auth)
        etag_b = {r.href: r.text("D:getetag") for r in seen.responses}[path]
        ctag_b = _collection_props(b, tasks, auth)[tasks].text("CS:getctag")

        # Ticked through A.
        body, etag = get_item(a, path, auth)
        assert etag == etag_b, "both instances must give one item the same ETag"
        reply = dav(a, "PUT", path, completed(body, URL=LINK), auth=auth, headers={"If-Match": etag})
        assert reply.status == 204, reply

        # Seen through B.
        after = _sync(b, tasks, auth, seen.sync_token)
        assert after.sync_token != seen.sync_token
        assert path in after.by_href(), sorted(after.by_href())
        assert after.by_href()[path].text("D:getetag") != etag_b
        assert _collection_props(b, tasks, auth)[tasks].text("CS:getctag") != ctag_b
        body, etag = get_item(b, path, auth)
        assert davlib.status_of(body) == "COMPLETED" and etag == after.by_href()[path].text("D:getetag")
        assert history_count(pg_database) == 1
    finally:
        a.stop()
        b.stop()


# --------------------------------------------------------------------------
# 9. Durability: a 204 survives kill -9
# --------------------------------------------------------------------------

def test_acknowledged_put_survives_kill9(tmp_path):
    db = servelib.fresh_postgres_database() or tmp_path / "plancal.sqlite"
    code = create_token(db, "vhxh", LEAD_LABEL)
    auth = ("vhxh", code)
    path = item("vhxh", NEWS)
    other = item("vhxh", "training/2026")
    first = davlib.Instance(db, tmp_path, "first")
    try:
        token = _sync(first, collection("vhxh"), auth).sync_token
        _, other_etag = get_item(first, other, auth)
        body, etag = get_item(first, path, auth)
        reply = dav(first, "PUT", path, completed(body, URL=LINK), auth=auth, headers={"If-Match": etag})
        assert reply.status == 204, reply
        first.kill9()  # at once: no graceful shutdown, no checkpoint
    finally:
        first.stop()
    assert first.proc.returncode == -9, first.proc.returncode

    rows = history_rows(db)
    assert [(r["ma_loai"], r["ma_cong_viec"], r["minh_chung"]) for r in rows] == [("done", NEWS, LINK)], rows
    second = davlib.Instance(db, tmp_path, "second")
    try:
        body, _ = get_item(second, path, auth)
        assert davlib.status_of(body) == "COMPLETED"
        # A restart costs the apps nothing: unchanged items keep their ETag, and a sync token from
        # before it is answered with just what changed.
        assert get_item(second, other, auth)[1] == other_etag
        changed = _sync(second, collection("vhxh"), auth, token)
        assert set(changed.by_href()) == {path}, sorted(changed.by_href())
    finally:
        second.stop()
