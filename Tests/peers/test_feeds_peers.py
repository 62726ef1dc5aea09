"""The committed feeds (calendars/*/*.ics), read by an independent parser (Python icalendar)
and checked against the rules real clients need (see /work/shared/ICAL-NOTES.md):
CRLF, folding at 75 octets without splitting UTF-8, no floating times, one VTIMEZONE per
TZID, NAME = X-WR-CALNAME, refresh hints, VTODO only in task feeds, alarms, Vietnamese text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import icalendar
import pytest
import yaml

from peerlib import PLAN_FILE, REPO_ROOT, components, is_pure_date, load_calendar, uid_of

FEEDS = sorted((REPO_ROOT / "calendars").glob("*/*.ics"))
FEED_IDS = [f"{p.parent.name}/{p.name}" for p in FEEDS]

ACTION_MONTH_TITLE = "Tháng hành động vì bình đẳng giới"
LEAD_UNIT_NAME = "Phòng Văn hóa - Xã hội"

feed_param = pytest.mark.parametrize("feed", FEEDS, ids=FEED_IDS)


def is_tasks(feed: Path) -> bool:
    return feed.name.endswith("-tasks.ics")


@pytest.fixture(scope="module")
def calendars() -> dict[Path, icalendar.Calendar]:
    return {p: load_calendar(p) for p in FEEDS}


def items(cal: icalendar.Calendar) -> list:
    return components(cal, "VEVENT") + components(cal, "VTODO")


# ---------------------------------------------------------------------------
# The set of feeds
# ---------------------------------------------------------------------------

def test_every_unit_has_its_two_feeds():
    plan = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    ids = []
    for u in plan["units"]:
        ids.append(u["id"])
        ids += [m["id"] for m in (u.get("members") or [])]
    expected = {f"{i}{suffix}.ics" for i in ids + ["all"] for suffix in ("", "-tasks")}
    actual = {p.name for p in FEEDS if p.parent == PLAN_FILE.parent}
    assert actual == expected


# ---------------------------------------------------------------------------
# Bytes on the wire
# ---------------------------------------------------------------------------

@feed_param
def test_parses_with_icalendar(feed):
    cal = icalendar.Calendar.from_ical(feed.read_bytes())
    assert cal.name == "VCALENDAR"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal.get("PRODID", "")), "PRODID missing"
    assert items(cal), f"{feed.name} has no VEVENT and no VTODO"


@feed_param
def test_crlf_folding_and_utf8(feed):
    data = feed.read_bytes()
    assert b"\r\r\n" not in data, "CR CR LF: the libical folding bug leaked into the feed"
    assert data.endswith(b"\r\n"), "last line not terminated by CRLF"
    lines = data.split(b"\r\n")[:-1]
    problems = []
    for n, line in enumerate(lines, 1):
        if b"\n" in line:
            problems.append(f"line {n}: bare LF: {line[:60]!r}")
        if b"\r" in line:
            problems.append(f"line {n}: bare CR: {line[:60]!r}")
        if len(line) > 75:
            problems.append(f"line {n}: {len(line)} octets > 75: {line[:60]!r}")
        try:
            line.decode("utf-8", errors="strict")
        except UnicodeDecodeError as e:
            problems.append(f"line {n}: not valid UTF-8 on its own (split sequence?): {e}: {line!r}")
        if line == b"" and n != len(lines):
            problems.append(f"line {n}: empty line")
    assert not problems, "\n".join(problems[:20])


# ---------------------------------------------------------------------------
# Items
# ---------------------------------------------------------------------------

@feed_param
def test_vevents_have_required_properties(feed, calendars):
    missing = []
    for e in components(calendars[feed], "VEVENT"):
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            if prop not in e:
                missing.append(f"{e.get('UID', '?')}: no {prop}")
    assert not missing, "\n".join(missing)


@feed_param
def test_all_day_items_are_dates_with_exclusive_end(feed, calendars):
    bad = []
    for e in components(calendars[feed], "VEVENT"):
        start, end = e["DTSTART"], e["DTEND"]
        if is_pure_date(start):
            if not is_pure_date(end):
                bad.append(f"{uid_of(e)}: DTSTART is a date but DTEND is {end.dt!r}")
            elif not end.dt > start.dt:
                bad.append(f"{uid_of(e)}: DTEND {end.dt} not after DTSTART {start.dt}")
            if start.params.get("VALUE") != "DATE" or end.params.get("VALUE") != "DATE":
                bad.append(f"{uid_of(e)}: all-day DTSTART/DTEND without VALUE=DATE")
        else:
            if not end.dt > start.dt:
                bad.append(f"{uid_of(e)}: DTEND {end.dt} not after DTSTART {start.dt}")
    assert not bad, "\n".join(bad)


def _tzids_used(cal) -> list[str]:
    used = []
    for comp in cal.walk():
        if comp.name in ("VTIMEZONE", "STANDARD", "DAYLIGHT"):
            continue
        for _name, value in comp.property_items(recursive=False):
            params = getattr(value, "params", None)
            if params and "TZID" in params:
                used.append(params["TZID"])
    return used


@feed_param
def test_no_floating_date_times(feed, calendars):
    cal = calendars[feed]
    zones = {str(z["TZID"]) for z in components(cal, "VTIMEZONE")}
    bad = []
    for comp in cal.walk():
        if comp.name not in ("VEVENT", "VTODO", "VALARM"):
            continue
        for name in ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "DTSTAMP", "LAST-MODIFIED",
                     "COMPLETED", "CREATED"):
            if name not in comp:
                continue
            prop = comp[name]
            value = prop.dt
            if not isinstance(value, datetime):
                continue
            tzid = prop.params.get("TZID")
            raw = prop.to_ical().decode()
            if tzid:
                if tzid not in zones:
                    bad.append(f"{comp.get('UID', comp.name)} {name}: TZID={tzid} without a VTIMEZONE")
                if name in ("DTSTAMP", "LAST-MODIFIED", "COMPLETED", "CREATED"):
                    bad.append(f"{comp.get('UID')} {name} must be UTC, has TZID={tzid}")
            elif not raw.endswith("Z") or value.utcoffset() != timedelta(0):
                bad.append(f"{comp.get('UID', comp.name)} {name}: floating date-time {raw}")
    assert not bad, "\n".join(bad[:20])


@feed_param
def test_each_tzid_has_exactly_one_vtimezone(feed, calendars):
    cal = calendars[feed]
    zone_ids = [str(z["TZID"]) for z in components(cal, "VTIMEZONE")]
    for tzid in set(_tzids_used(cal)):
        assert zone_ids.count(tzid) == 1, f"TZID {tzid}: {zone_ids.count(tzid)} VTIMEZONEs"
    assert len(zone_ids) == len(set(zone_ids)), f"duplicate VTIMEZONEs: {zone_ids}"


@feed_param
def test_vtimezone_is_fixed_plus_seven(feed, calendars):
    for z in components(calendars[feed], "VTIMEZONE"):
        assert str(z["TZID"]) == "Asia/Ho_Chi_Minh"
        for obs in z.subcomponents:
            assert obs["TZOFFSETTO"].td == timedelta(hours=7)
            assert obs["TZOFFSETFROM"].td == timedelta(hours=7)


@feed_param
def test_uids_unique(feed, calendars):
    uids = [uid_of(c) for c in items(calendars[feed])]
    dupes = sorted({u for u in uids if uids.count(u) > 1})
    assert not dupes, dupes


def text_value(prop) -> str:
    """An RFC 5545 §3.3.11 TEXT value, unescaped from its raw form (icalendar 7 reads NAME and
    X- properties as unknown types and would return the escapes as they are)."""
    raw = prop.to_ical().decode("utf-8")
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], raw)


@feed_param
def test_name_equals_x_wr_calname(feed, calendars):
    cal = calendars[feed]
    assert "NAME" in cal and "X-WR-CALNAME" in cal
    name, wr = text_value(cal["NAME"]), text_value(cal["X-WR-CALNAME"])
    assert name == wr
    assert "Bình đẳng giới" in name and "\\" not in name


@feed_param
def test_refresh_interval_equals_published_ttl(feed, calendars):
    cal = calendars[feed]
    assert "REFRESH-INTERVAL" in cal, "REFRESH-INTERVAL missing"
    assert "X-PUBLISHED-TTL" in cal, "X-PUBLISHED-TTL missing"
    ri = cal["REFRESH-INTERVAL"]
    assert ri.params.get("VALUE") == "DURATION"
    refresh = icalendar.vDuration.from_ical(ri.to_ical().decode())
    ttl = icalendar.vDuration.from_ical(cal["X-PUBLISHED-TTL"].to_ical().decode())
    assert refresh == ttl
    assert refresh > timedelta(0)


@feed_param
def test_vtodo_only_in_task_feeds(feed, calendars):
    cal = calendars[feed]
    todos = components(cal, "VTODO")
    events = components(cal, "VEVENT")
    if not is_tasks(feed):
        assert not todos, f"{len(todos)} VTODO in an events feed"
        assert events
        return
    assert todos, "a task feed without VTODO"
    assert not events, f"{len(events)} VEVENT in a task feed"
    bad = []
    for t in todos:
        if "DUE" not in t or not is_pure_date(t["DUE"]):
            bad.append(f"{uid_of(t)}: DUE not a date: {t.get('DUE')!r}")
        elif "DTSTART" in t and not t["DUE"].dt > t["DTSTART"].dt:
            bad.append(f"{uid_of(t)}: DUE not after DTSTART")
        if str(t.get("STATUS")) != "NEEDS-ACTION":
            bad.append(f"{uid_of(t)}: STATUS {t.get('STATUS')}")
        for prop in ("UID", "DTSTAMP", "SUMMARY"):
            if prop not in t:
                bad.append(f"{t.get('UID', '?')}: no {prop}")
    assert not bad, "\n".join(bad[:20])


@feed_param
def test_every_vevent_has_a_negative_alarm(feed, calendars):
    bad = []
    for e in components(calendars[feed], "VEVENT"):
        alarms = [a for a in e.subcomponents if a.name == "VALARM"]
        if not alarms:
            bad.append(f"{uid_of(e)}: no VALARM")
            continue
        for a in alarms:
            trig = a.get("TRIGGER")
            if trig is None or not isinstance(trig.dt, timedelta) or not trig.dt < timedelta(0):
                bad.append(f"{uid_of(e)}: TRIGGER {trig.to_ical() if trig else None} not negative")
            if str(a.get("ACTION")) != "DISPLAY" or not str(a.get("DESCRIPTION", "")):
                bad.append(f"{uid_of(e)}: VALARM needs ACTION:DISPLAY and a DESCRIPTION")
    assert not bad, "\n".join(bad[:20])


# ---------------------------------------------------------------------------
# Vietnamese text
# ---------------------------------------------------------------------------

MOJIBAKE = ("Ã", "Ä", "Æ", "áº", "á»", "\ufffd")


@feed_param
def test_vietnamese_text_intact(feed, calendars):
    bad = []
    for c in items(calendars[feed]):
        for prop in ("SUMMARY", "DESCRIPTION"):
            text = str(c[prop])
            if not unicodedata.is_normalized("NFC", text):
                bad.append(f"{uid_of(c)} {prop}: not NFC")
            if any(m in text for m in MOJIBAKE):
                bad.append(f"{uid_of(c)} {prop}: mojibake: {text[:80]!r}")
        # Every item names its owner: the unit in charge, or the unit the plan only requests (V.6).
        if not any(p in str(c["DESCRIPTION"]) for p in ("Đơn vị chủ trì: ", "Đề nghị đơn vị thực hiện: ")):
            bad.append(f"{uid_of(c)}: DESCRIPTION names no owner ('Đơn vị chủ trì: ' or 'Đề nghị đơn vị thực hiện: ')")
    assert not bad, "\n".join(bad[:20])


def test_action_month_title_in_all_ics(calendars):
    cal = calendars[REPO_ROOT / "calendars/bach-dang/all.ics"]
    summaries = [str(e["SUMMARY"]) for e in components(cal, "VEVENT")]
    hits = [s for s in summaries if s.startswith(ACTION_MONTH_TITLE)]
    assert len(hits) == 6, hits  # one a year, 2025-2030
    descriptions = [str(e["DESCRIPTION"]) for e in components(cal, "VEVENT")]
    assert any(f"Đơn vị chủ trì: {LEAD_UNIT_NAME}" in d for d in descriptions)
    assert str(cal["X-WR-CALDESC"]).endswith("trên địa bàn phường Bạch Đằng")


def test_action_month_2026_spans_15_11_to_15_12(calendars):
    cal = calendars[REPO_ROOT / "calendars/bach-dang/all.ics"]
    [e] = [e for e in components(cal, "VEVENT") if uid_of(e) == "action-month/2026@bach-dang.plancal"]
    assert e["DTSTART"].dt == date(2026, 11, 15)
    assert e["DTEND"].dt == date(2026, 12, 16)
    assert str(e["SUMMARY"]).startswith(ACTION_MONTH_TITLE)
    assert "15/11/2026" in str(e["DESCRIPTION"]) and "15/12/2026" in str(e["DESCRIPTION"])


def test_cong_an_feed_has_its_report_not_mttq(calendars):
    cal = calendars[REPO_ROOT / "calendars/bach-dang/cong-an.ics"]
    uids = {uid_of(e) for e in components(cal, "VEVENT")}
    assert "annual-report/2026/cong-an@bach-dang.plancal" in uids
    assert "annual-report/2026/mttq@bach-dang.plancal" not in uids
    assert not any(u.startswith("annual-report/") and not u.split("@")[0].endswith("/cong-an") for u in uids)
    text = (REPO_ROOT / "calendars/bach-dang/cong-an.ics").read_text(encoding="utf-8")
    assert "annual-report/2026/cong-an" in text
    assert "annual-report/2026/mttq" not in text


def test_timed_session_is_zoned(calendars):
    cal = calendars[REPO_ROOT / "calendars/bach-dang/all.ics"]
    [e] = [e for e in components(cal, "VEVENT") if uid_of(e).startswith("session/tap-huan-2027@")]
    start, end = e["DTSTART"], e["DTEND"]
    assert start.params.get("TZID") == "Asia/Ho_Chi_Minh"
    assert start.dt.astimezone(timezone.utc) == datetime(2027, 3, 18, 1, 0, tzinfo=timezone.utc)
    assert end.dt.astimezone(timezone.utc) == datetime(2027, 3, 18, 4, 30, tzinfo=timezone.utc)
