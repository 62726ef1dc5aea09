"""Recurrence expansion: plancal (libical) against an independent implementation
(recurring-ical-events on python-dateutil), with `plancal agenda` as a third source.

For every obligation in plan.yaml, its DTSTART + RRULE are expanded over the plan period by
recurring_ical_events; the resulting dates must be exactly the DTSTART dates of the events
in the committed all.ics whose UID starts with ``<obligation id>/`` (per date once, for
``for_each`` obligations), and exactly the first dates ``plancal agenda --unit all`` prints.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events
import yaml

from peerlib import PLAN_DIR, PLAN_FILE, components, load_calendar, occurrence_id, uid_of

PLAN = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
OBLIGATIONS = PLAN["obligations"]
START: date = PLAN["plan"]["period"]["start"]
END: date = PLAN["plan"]["period"]["end"]


def as_day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def expand(obligation: dict) -> list[date]:
    """The obligation's dates, expanded by recurring_ical_events (not libical)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//plancal peer tests//rrule//EN")
    cal.add("version", "2.0")
    ev = icalendar.Event()
    ev.add("uid", f"{obligation['id']}@peer-test")
    ev.add("dtstamp", datetime(2026, 1, 1))
    ev.add("dtstart", as_day(obligation["dtstart"]))
    ev.add("rrule", icalendar.vRecur.from_ical(obligation["rrule"]))
    ev.add("summary", obligation["title"])
    cal.add_component(ev)
    events = recurring_ical_events.of(cal).between(START, END + timedelta(days=1))
    return sorted(as_day(e["DTSTART"].dt) for e in events)


def for_each_units(obligation: dict) -> list[str]:
    """for_each ids with collectives replaced by their members when the plan lists any."""
    units = {u["id"]: u for u in PLAN["units"]}
    out: list[str] = []
    for uid in obligation.get("for_each") or []:
        members = (units.get(uid) or {}).get("members") or []
        out += [m["id"] for m in members] if members else [uid]
    return out


@pytest.fixture(scope="module")
def feed_starts() -> dict[str, list[tuple[date, str]]]:
    """obligation id -> [(DTSTART date, occurrence id)] from the committed all.ics."""
    cal = load_calendar(PLAN_DIR / "all.ics")
    out: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for e in components(cal, "VEVENT"):
        occ = occurrence_id(uid_of(e))
        out[occ.split("/", 1)[0]].append((as_day(e["DTSTART"].dt), occ))
    return out


AGENDA_ITEM = re.compile(
    r"^(?P<first>\d{2}/\d{2}/\d{4})(?: – (?P<last>\d{2}/\d{2}/\d{4}))?\s.*\n\s+\[(?P<id>[^\]]+)\]$", re.M)


def vn_date(text: str) -> date:
    d, m, y = map(int, text.split("/"))
    return date(y, m, d)


@pytest.fixture(scope="module")
def agenda_starts(run, tmp_path_factory) -> dict[str, list[tuple[date, date, str]]]:
    db = tmp_path_factory.mktemp("agenda") / "empty.sqlite"
    out = run("agenda", "--unit", "all", "--db", db).stdout
    header = re.search(r": (\d+) việc$", out.splitlines()[0])
    assert header, out[:300]
    found: dict[str, list[tuple[date, date, str]]] = defaultdict(list)
    n = 0
    for m in AGENDA_ITEM.finditer(out):
        n += 1
        first = vn_date(m["first"])
        last = vn_date(m["last"]) if m["last"] else first
        found[m["id"].split("/", 1)[0]].append((first, last, m["id"]))
    assert n == int(header.group(1)), f"parsed {n} agenda items, header says {header.group(1)}"
    return found


def test_plan_has_obligations():
    assert len(OBLIGATIONS) >= 10
    assert {o["id"] for o in OBLIGATIONS} >= {"action-month", "quarterly-news", "annual-report"}


@pytest.mark.parametrize("obligation", OBLIGATIONS, ids=[o["id"] for o in OBLIGATIONS])
def test_libical_and_dateutil_agree(obligation, feed_starts):
    expected = expand(obligation)
    assert expected, f"{obligation['id']}: the independent expansion gives no date"
    assert expected[0] == as_day(obligation["dtstart"]), "DTSTART does not match its own rule"
    got = feed_starts.get(obligation["id"], [])
    got_dates = sorted({d for d, _ in got}) if obligation.get("for_each") else sorted(d for d, _ in got)
    assert got_dates == expected, (
        f"{obligation['id']} ({obligation['rrule']} from {obligation['dtstart']}):\n"
        f"  only in all.ics: {sorted(set(got_dates) - set(expected))}\n"
        f"  only in recurring-ical-events: {sorted(set(expected) - set(got_dates))}")
    if obligation.get("for_each"):
        per_date: dict[date, list[str]] = defaultdict(list)
        for d, occ in got:
            per_date[d].append(occ.rsplit("/", 1)[1])
        for d, owners in per_date.items():
            assert sorted(owners) == sorted(for_each_units(obligation)), f"{d}: {owners}"


@pytest.mark.parametrize("obligation", OBLIGATIONS, ids=[o["id"] for o in OBLIGATIONS])
def test_agenda_agrees(obligation, agenda_starts):
    expected = expand(obligation)
    got = agenda_starts.get(obligation["id"], [])
    firsts = sorted({f for f, _, _ in got}) if obligation.get("for_each") else sorted(f for f, _, _ in got)
    assert firsts == expected
    if obligation["kind"] == "span":
        for first, last, occ in got:
            assert (last - first).days == obligation["days"] - 1, occ
    else:
        assert all(first == last for first, last, _ in got)


def test_quarter_ends(feed_starts):
    """The one rule libical 3.0.16 gets wrong in other spellings: the last day of each quarter."""
    news = sorted(d for d, _ in feed_starts["quarterly-news"])
    assert len(news) == 24
    assert news[:4] == [date(2025, 3, 31), date(2025, 6, 30), date(2025, 9, 30), date(2025, 12, 31)]
    assert news[-1] == date(2030, 12, 31)
    ids = {occ for _, occ in feed_starts["quarterly-news"]}
    assert "quarterly-news/2026-Q4" in ids


def test_no_event_outside_obligations_and_sessions(feed_starts):
    known = {o["id"] for o in OBLIGATIONS} | {"session"}
    assert set(feed_starts) <= known, set(feed_starts) - known
    sessions = PLAN.get("sessions") or []
    assert sorted(d for d, _ in feed_starts.get("session", [])) == sorted(as_day(s["date"]) for s in sessions)


# ---------------------------------------------------------------------------
# Harder rules than the shipped plan uses, in a temporary copy of the plan
# ---------------------------------------------------------------------------

EXTRA_RULES = {
    # id: (rrule, dtstart)
    "x-monthly-31": ("FREQ=MONTHLY;BYMONTHDAY=31", "2025-01-31"),
    "x-leap-day": ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2028-02-29"),
    "x-last-friday": ("FREQ=MONTHLY;BYDAY=-1FR", "2025-01-31"),
    "x-fortnightly": ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=20", "2025-01-06"),
    "x-until": ("FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=30;UNTIL=20280630", "2025-06-30"),
    "x-second-tuesday": ("FREQ=YEARLY;BYMONTH=11;BYDAY=2TU", "2025-11-11"),
    "x-last-weekday": ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "2025-01-31"),
    "x-quarter-end-from-march": ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1", "2025-03-31"),
}


@pytest.fixture(scope="module")
def extra_feed(run, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("extra-rules")
    text = PLAN_FILE.read_text(encoding="utf-8")
    block = "".join(
        f'\n  - id: {oid}\n    title: "Việc thử {oid}"\n    kind: deadline\n    rrule: "{rule}"\n'
        f"    dtstart: {start}\n    key: date\n    owner: vhxh\n    section: \"thử\"\n"
        for oid, (rule, start) in EXTRA_RULES.items())
    marker = "\n# One-off sessions"
    assert marker in text
    plan = tmp / "extra.yaml"
    plan.write_text(text.replace(marker, block + marker, 1), encoding="utf-8")
    run("check", plan)
    run("generate", "--plan", plan, "--out", tmp / "out", "--db", tmp / "db.sqlite")
    return load_calendar(tmp / "out" / "all.ics")


@pytest.mark.parametrize("oid", list(EXTRA_RULES))
def test_harder_rules_agree(oid, extra_feed):
    rule, start = EXTRA_RULES[oid]
    expected = expand({"id": oid, "title": oid, "rrule": rule, "dtstart": start})
    got = sorted(as_day(e["DTSTART"].dt) for e in components(extra_feed, "VEVENT")
                 if uid_of(e).startswith(f"{oid}/"))
    assert got == expected, (
        f"{rule} from {start}:\n  only in plancal: {sorted(set(got) - set(expected))}\n"
        f"  only in recurring-ical-events: {sorted(set(expected) - set(got))}")
