"""End-to-end flows through the plancal CLI, on temporary databases and output folders:
determinism and staleness of the feeds, a completion reaching the feeds and the compliance
report, idempotent `done`, `undo`, refused inputs leaving the database unchanged, broken
plans, and concurrent writers.
"""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from peerlib import (PLAN_DIR, PLAN_FILE, components, history_count, history_text, load_calendar, output,
                     raw_components, snapshot, uid_of)

TODAY = "2026-11-29"
OCC = "quarterly-news/2026-Q4"
EVIDENCE = "https://bachdang.example/tin/1"
EVENT_UID = f"{OCC}@bach-dang.plancal"
TASK_UID = f"task/{OCC}@bach-dang.plancal"
LEAD = "Phòng Văn hóa - Xã hội"
DONE_ARGS = ("done", OCC, "--unit", "vhxh", "--on", "20/11/2026", "--evidence", EVIDENCE, "--today", TODAY)
# Feeds that show quarterly-news/2026-Q4 (owned by vhxh, no participants).
TOUCHED = {"vhxh.ics", "vhxh-tasks.ics", "all.ics", "all-tasks.ics"}


def compliance_json(run, db) -> dict:
    return json.loads(run("compliance", "--format", "json", "--today", TODAY, "--db", db).stdout)


# ---------------------------------------------------------------------------
# Generate: deterministic, and the committed feeds are up to date
# ---------------------------------------------------------------------------

def test_generate_twice_is_byte_identical(run, tmp_path):
    db = tmp_path / "db.sqlite"
    run("generate", "--out", tmp_path / "a", "--db", db)
    first = snapshot(tmp_path / "a")
    mtimes = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "a").iterdir()}
    assert len(first) == 18, sorted(first)
    again = run("generate", "--out", tmp_path / "a", "--db", db)
    assert snapshot(tmp_path / "a") == first
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "a").iterdir()} == mtimes, \
        "unchanged feeds were rewritten"
    assert "(0 tệp thay đổi)" in again.stdout, again.stdout
    run("generate", "--out", tmp_path / "b", "--db", db)
    assert snapshot(tmp_path / "b") == first
    assert not db.exists(), "generate created the database (reading should never create it)"


def test_committed_feeds_are_fresh(run, tmp_path):
    run("generate", "--out", tmp_path / "out", "--db", tmp_path / "empty.sqlite")
    fresh = snapshot(tmp_path / "out")
    committed = {p.name: p.read_bytes() for p in sorted(PLAN_DIR.glob("*.ics"))}
    assert sorted(fresh) == sorted(committed)
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"committed feeds differ from `plancal generate` on an empty database: {stale}"


# ---------------------------------------------------------------------------
# A completion: the record, the feeds, the compliance report
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def recorded(run, tmp_path_factory):
    """Feeds and compliance before and after `done quarterly-news/2026-Q4` on one database.

    The done's exit status is checked by test_done_reports_the_record; here only the
    stored record matters, so the feed tests still run (and say what they see) if it fails.
    """
    tmp = tmp_path_factory.mktemp("recorded")
    db = tmp / "db.sqlite"
    run("generate", "--out", tmp / "before", "--db", db)
    before_json = compliance_json(run, db)
    done = run(*DONE_ARGS, "--db", db, check=False)
    assert history_count(run, db) == 1, f"done stored nothing:\n{output(done)}"
    run("generate", "--out", tmp / "after", "--db", db)
    return SimpleNamespace(db=db, done=done, before=tmp / "before", after=tmp / "after",
                           before_json=before_json, after_json=compliance_json(run, db))


def test_done_reports_the_record(recorded):
    done = recorded.done
    assert done.returncode == 0, f"exit {done.returncode}\n{output(done)[-1500:]}"
    assert "Đã ghi nhận" in done.stdout and OCC in done.stdout, done.stdout
    assert "20/11/2026" in done.stdout


def test_history_shows_the_record(run, recorded):
    text = history_text(run, recorded.db)
    assert OCC in text and EVIDENCE in text and "20/11/2026" in text and LEAD in text, text


def test_done_changes_only_the_feeds_that_show_it(recorded):
    before, after = snapshot(recorded.before), snapshot(recorded.after)
    assert sorted(before) == sorted(after)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == TOUCHED


@pytest.mark.parametrize("feed", ["vhxh.ics", "all.ics"])
def test_done_event_is_marked_and_bumped(recorded, feed):
    old = {uid_of(e): e for e in components(load_calendar(recorded.before / feed), "VEVENT")}[EVENT_UID]
    new = {uid_of(e): e for e in components(load_calendar(recorded.after / feed), "VEVENT")}[EVENT_UID]
    assert str(new["SUMMARY"]).startswith("✓ "), str(new["SUMMARY"])
    assert str(new["SUMMARY"])[2:] == str(old["SUMMARY"])
    assert int(old["SEQUENCE"]) == 0
    assert int(new["SEQUENCE"]) == 1
    assert new["LAST-MODIFIED"].dt > old["LAST-MODIFIED"].dt
    description = str(new["DESCRIPTION"])
    assert EVIDENCE in description, description
    assert "20/11/2026" in description
    assert new["DTSTART"].dt == old["DTSTART"].dt == date(2026, 12, 31)
    assert new["DTEND"].dt == old["DTEND"].dt == date(2027, 1, 1)


@pytest.mark.parametrize("feed,kind", [("vhxh.ics", "VEVENT"), ("all.ics", "VEVENT"),
                                       ("vhxh-tasks.ics", "VTODO"), ("all-tasks.ics", "VTODO")])
def test_every_other_item_is_byte_identical(recorded, feed, kind):
    old = raw_components((recorded.before / feed).read_bytes().decode("utf-8"), kind)
    new = raw_components((recorded.after / feed).read_bytes().decode("utf-8"), kind)
    assert list(old) == list(new), "UIDs or their order changed"
    target = EVENT_UID if kind == "VEVENT" else TASK_UID
    assert old[target] != new[target]
    differing = [uid for uid in old if uid != target and old[uid] != new[uid]]
    assert not differing, differing[:5]


@pytest.mark.parametrize("feed", ["vhxh-tasks.ics", "all-tasks.ics"])
def test_done_task_is_completed(recorded, feed):
    old = {uid_of(t): t for t in components(load_calendar(recorded.before / feed), "VTODO")}[TASK_UID]
    new = {uid_of(t): t for t in components(load_calendar(recorded.after / feed), "VTODO")}[TASK_UID]
    assert str(old["STATUS"]) == "NEEDS-ACTION" and "COMPLETED" not in old
    assert str(new["STATUS"]) == "COMPLETED"
    completed = new["COMPLETED"].dt
    assert isinstance(completed, datetime) and completed.utcoffset().total_seconds() == 0
    assert completed.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date() == date(2026, 11, 20)
    assert int(new["PERCENT-COMPLETE"]) == 100
    assert int(new["SEQUENCE"]) == int(old["SEQUENCE"]) + 1
    assert str(new["SUMMARY"]).startswith("✓ ")


def test_compliance_json_shape(recorded):
    for report in (recorded.before_json, recorded.after_json):
        keys = [q["key"] for q in report["quarters"]]
        assert keys == [f"{y}-Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4)]
        # The shipped plan is tracked from 01/06/2026: earlier quarters are history, not misses.
        assert report["trackedFrom"] == "2026-06-01"
        for q in report["quarters"]:
            if q["key"] < "2026-Q2":
                assert q["state"] == "before-tracking", q
            elif q["key"] in ("2026-Q2", "2026-Q3"):
                assert q["state"] == "missed", q
        assert report["today"] == TODAY and report["year"] == 2026 and report["plan"] == "bach-dang"
        assert report["dissemination"]["total"] == 7
        assert report["dissemination"]["year"] == 2026
        reach = report["reach"]
        assert "population" in reach, f"reach.population absent (expected null): {reach}"
        assert reach["population"] is None
        assert reach["goal"] == 0.8


def test_compliance_q4_open_then_met(recorded):
    before = {q["key"]: q for q in recorded.before_json["quarters"]}
    after = {q["key"]: q for q in recorded.after_json["quarters"]}
    assert before["2026-Q4"]["state"] == "open"
    assert before["2026-Q4"]["items"] == []
    assert after["2026-Q4"]["state"] == "met"
    [item] = after["2026-Q4"]["items"]
    assert item["url"] == EVIDENCE and item["date"] == "2026-11-20" and item["unit"] == "vhxh"
    # Nothing else moved.
    assert {k: v for k, v in before.items() if k != "2026-Q4"} == {k: v for k, v in after.items() if k != "2026-Q4"}


def test_compliance_csv_has_bom_and_vietnamese(run, recorded):
    proc = run("compliance", "--format", "csv", "--today", TODAY, "--db", recorded.db, binary=True)
    data = proc.stdout
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]
    text = data[3:].decode("utf-8")  # strict: any broken byte fails here
    assert LEAD in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["chi_tieu", "ky", "doi_tuong", "trang_thai", "ma_trang_thai", "gia_tri", "ngay", "minh_chung", "ghi_chu"]
    assert all(len(r) == len(rows[0]) for r in rows), [r for r in rows if len(r) != len(rows[0])]
    q4 = [r for r in rows if r[:2] == ["G6.T3", "quý IV/2026"]]
    assert q4 and q4[0][2] == LEAD and q4[0][3] == "Đạt" and q4[0][4] == "met" and EVIDENCE in q4[0], q4
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", q4[0][6]), q4[0]


# ---------------------------------------------------------------------------
# Idempotent done, undo
# ---------------------------------------------------------------------------

def test_second_identical_done_changes_nothing(run, tmp_path):
    db = tmp_path / "db.sqlite"
    run(*DONE_ARGS, "--db", db, check=False)  # its exit status: test_done_reports_the_record
    assert history_count(run, db) == 1
    again = run(*DONE_ARGS, "--db", db)
    assert "Đã được ghi nhận trước đó" in again.stdout, again.stdout
    assert history_count(run, db) == 1


def test_undo_appends_a_record_and_clears_the_mark(run, tmp_path):
    db = tmp_path / "db.sqlite"
    run(*DONE_ARGS, "--db", db, check=False)
    assert history_count(run, db) == 1
    undo = run("undo", OCC, "--unit", "vhxh", "--reason", "nhầm", "--db", db, check=False)
    assert history_count(run, db) == 2
    text = history_text(run, db)
    assert "lý do: nhầm" in text, text
    run("generate", "--out", tmp_path / "out", "--db", db)
    [event] = [e for e in components(load_calendar(tmp_path / "out/vhxh.ics"), "VEVENT") if uid_of(e) == EVENT_UID]
    assert not str(event["SUMMARY"]).startswith("✓"), str(event["SUMMARY"])
    assert int(event["SEQUENCE"]) == 2, "done and undo are two changes"
    [task] = [t for t in components(load_calendar(tmp_path / "out/vhxh-tasks.ics"), "VTODO") if uid_of(t) == TASK_UID]
    assert str(task["STATUS"]) == "NEEDS-ACTION" and "COMPLETED" not in task
    assert undo.returncode == 0, f"undo exit {undo.returncode}\n{output(undo)[-1500:]}"
    assert "Đã hủy" in undo.stdout, undo.stdout


# ---------------------------------------------------------------------------
# Refused inputs: non-zero exit, a message naming the problem, database unchanged
# ---------------------------------------------------------------------------

ERROR_CASES = {
    "unknown-occurrence": (["quarterly-news/2026-Q5", "--unit", "vhxh", "--on", "20/11/2026"],
                           ["quarterly-news/2026-Q5", "quarterly-news/2026-Q4"]),
    "unknown-unit": ([OCC, "--unit", "phong-khong-co", "--on", "20/11/2026"], ["phong-khong-co", "vhxh"]),
    # Named by title and unit name, as every message a person reads (the option at fault too).
    "unit-not-involved": ([OCC, "--unit", "cong-an", "--on", "20/11/2026"], ["Công an phường", "quý IV/2026", "[--unit]"]),
    "after-plan-end": ([OCC, "--unit", "vhxh", "--on", "01/01/2031"], ["01/01/2031"]),
    "future-date": ([OCC, "--unit", "vhxh", "--on", "30/11/2026"], ["30/11/2026"]),
    "non-http-evidence": ([OCC, "--unit", "vhxh", "--on", "20/11/2026", "--evidence", "ftp://x"], ["ftp://x"]),
    "negative-reached": ([OCC, "--unit", "vhxh", "--on", "20/11/2026", "--reached=-5"], ["reached", "-5"]),
    "negative-reached-spaced": ([OCC, "--unit", "vhxh", "--on", "20/11/2026", "--reached", "-5"], ["--reached"]),
    "invalid-date": ([OCC, "--unit", "vhxh", "--on", "31/02/2026"], ["31/02/2026"]),
}


@pytest.fixture
def seeded_db(run, tmp_path):
    """A database holding one record (of another occurrence than the one the cases aim at)."""
    db = tmp_path / "db.sqlite"
    run("done", "action-month/2025", "--unit", "vhxh", "--on", "01/12/2025", "--today", TODAY,
        "--db", db, check=False)
    assert history_count(run, db) == 1
    return db


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_refused_input(run, seeded_db, case):
    args, fragments = ERROR_CASES[case]
    before = history_text(run, seeded_db)
    proc = run("done", *args, "--today", TODAY, "--db", seeded_db, check=False)
    text = output(proc)
    assert proc.returncode > 0, f"exit {proc.returncode}\n{text[-1500:]}"
    assert "Fatal error" not in text
    missing = [f for f in fragments if f not in text]
    assert not missing, f"message lacks {missing}:\n{text}"
    assert history_text(run, seeded_db) == before
    assert history_count(run, seeded_db) == 1


@pytest.mark.parametrize("case", ["unknown-unit", "future-date", "non-http-evidence"])
def test_refused_input_creates_no_database(run, tmp_path, case):
    """A refused write on a database that does not exist yet leaves no file behind."""
    args, _ = ERROR_CASES[case]
    db = tmp_path / "new.sqlite"
    proc = run("done", *args, "--today", TODAY, "--db", db, check=False)
    assert proc.returncode == 1, output(proc)
    assert proc.stderr.startswith("Lỗi: "), proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "a refused write created files"
    undo = run("undo", OCC, "--unit", "vhxh", "--reason", "thử", "--db", db, check=False)
    assert undo.returncode == 1 and "chưa được đơn vị" in undo.stderr, output(undo)
    assert not db.exists()


def test_participant_records_its_part_not_the_completion(run, tmp_path):
    db = tmp_path / "db.sqlite"
    proc = run("done", "action-month/2026", "--unit", "hoi-lhpn", "--on", "20/11/2026", "--today", TODAY,
               "--db", db)
    assert "Hội Liên hiệp Phụ nữ phường tham gia ngày 20/11/2026" in proc.stdout, proc.stdout
    assert "hoàn thành ngày" not in proc.stdout.splitlines()[0], proc.stdout
    status = run("status", "--unit", "vhxh", "--year", "2026", "--today", TODAY, "--db", db).stdout
    line = next(l for l in status.splitlines() if l.endswith("action-month/2026"))
    assert "Đang diễn ra" in line, status
    # In its own view the participant has done its part: status, task feed, no more alarms.
    mine = run("status", "--unit", "hoi-lhpn", "--year", "2026", "--today", TODAY, "--db", db).stdout
    line = next(l for l in mine.splitlines() if "action-month/2026" in l)
    assert "Đã tham gia" in line and line.endswith("action-month/2026 (ngày 20/11/2026)"), mine
    run("generate", "--out", tmp_path / "feeds", "--db", db)

    def item(feed, kind, uid):
        cal = load_calendar(tmp_path / "feeds" / feed)
        return next(c for c in components(cal, kind) if str(c["UID"]) == uid)

    task = item("hoi-lhpn-tasks.ics", "VTODO", "task/action-month/2026@bach-dang.plancal")
    assert str(task["STATUS"]) == "COMPLETED" and str(task["SUMMARY"]).startswith("✓ "), task.to_ical()
    event = item("hoi-lhpn.ics", "VEVENT", "action-month/2026@bach-dang.plancal")
    assert not [c for c in event.subcomponents if c.name == "VALARM"], event.to_ical()
    assert "Đã tham gia" in str(event.get("CATEGORIES").to_ical(), "utf-8") if event.get("CATEGORIES") else False
    # The owner's and the ward's views: not done until the owner's side records it.
    assert str(item("vhxh-tasks.ics", "VTODO", "task/action-month/2026@bach-dang.plancal")["STATUS"]) == "NEEDS-ACTION"
    assert str(item("all-tasks.ics", "VTODO", "task/action-month/2026@bach-dang.plancal")["STATUS"]) == "NEEDS-ACTION"
    owner = run("done", "action-month/2026", "--unit", "vhxh", "--on", "25/11/2026", "--today", TODAY, "--db", db)
    assert "Phòng Văn hóa - Xã hội hoàn thành ngày 25/11/2026" in owner.stdout, owner.stdout
    agenda = run("agenda", "--unit", "vhxh", "--from", "01/11/2026", "--to", "31/12/2026", "--db", db).stdout
    assert "✓ đã hoàn thành ngày 25/11/2026" in agenda, agenda


def test_history_times_are_local_dates(run, tmp_path):
    db = tmp_path / "db.sqlite"
    run(*DONE_ARGS, "--db", db)
    text = history_text(run, db)
    # "#1 29/11/2026 16:05 user: hoàn thành …": recorded when, in the plan's time zone.
    assert re.match(r"#1 \d\d/\d\d/\d{4} \d\d:\d\d ", text), text
    assert "T" not in text.split(" ")[1] and "Z " not in text, text


def test_token_list_is_vietnamese(run, tmp_path):
    db = tmp_path / "db.sqlite"
    made = run("token", "create", "--unit", "cong-an", "--label", "Chị Hoa", "--db", db)
    assert made.stdout.startswith("pc_") and len(made.stdout.strip().splitlines()) == 1, made.stdout
    assert "Công an phường" in made.stderr and "chỉ hiện một lần" in made.stderr, made.stderr
    listed = run("token", "list", "--db", db).stdout
    assert "Công an phường (cong-an)" in listed and "người giữ: Chị Hoa" in listed and "đang dùng" in listed, listed
    assert re.search(r"tạo \d\d/\d\d/\d{4} \d\d:\d\d", listed), listed
    assert made.stdout.strip() not in listed


def broken_plan(tmp_path: Path) -> Path:
    text = PLAN_FILE.read_text(encoding="utf-8")
    good = 'rrule: "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1"'
    assert good in text
    path = tmp_path / "broken-plan.yaml"
    path.write_text(text.replace(good, 'rrule: "FREQ=QUARTERLY;BYMONTHDAY=-1"'), encoding="utf-8")
    return path


def test_check_names_file_and_field(run, tmp_path):
    plan = broken_plan(tmp_path)
    proc = run("check", plan, check=False)
    text = output(proc)
    assert proc.returncode > 0, text
    assert "broken-plan.yaml" in text and "rrule" in text, text
    assert "FREQ=QUARTERLY" in text
    good = run("check", PLAN_FILE)
    assert "Kế hoạch hợp lệ" in good.stdout


def test_generate_with_broken_plan_writes_nothing(run, tmp_path):
    plan = broken_plan(tmp_path)
    fresh = tmp_path / "fresh"
    proc = run("generate", "--plan", plan, "--out", fresh, "--db", tmp_path / "db.sqlite", check=False)
    assert proc.returncode > 0, output(proc)
    assert "rrule" in output(proc)
    assert not fresh.exists() or not any(fresh.iterdir()), sorted(p.name for p in fresh.iterdir())
    # Over existing feeds: left exactly as they were.
    existing = tmp_path / "existing"
    run("generate", "--out", existing, "--db", tmp_path / "db.sqlite")
    snap = snapshot(existing)
    proc = run("generate", "--plan", plan, "--out", existing, "--db", tmp_path / "db.sqlite", check=False)
    assert proc.returncode > 0
    assert snapshot(existing) == snap


# ---------------------------------------------------------------------------
# Concurrent writers lose nothing
# ---------------------------------------------------------------------------

N_WRITERS = 8


def record_concurrently(run, db: Path, tag: str) -> list[subprocess.CompletedProcess]:
    procs = []
    for n in range(1, N_WRITERS + 1):
        cmd = run.cmd("record", "news", "--unit", "vhxh", "--evidence", f"https://x.example/{tag}/{n}",
                      "--on", f"2026-11-0{n}", "--today", TODAY, "--db", db)
        procs.append((cmd, subprocess.Popen(cmd, cwd=run.cwd, env=run.env, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                            encoding="utf-8", errors="replace")))
    results = []
    for cmd, p in procs:
        out, err = p.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(cmd, p.returncode, out, err))
    return results


def check_all_recorded(run, db, results, tag, expected_total):
    text = history_text(run, db)
    lost = [n for n in range(1, N_WRITERS + 1) if f"https://x.example/{tag}/{n}" not in text]
    failures = [f"{' '.join(r.args[1:3])} #{i}: exit {r.returncode}: {(r.stderr or r.stdout).strip()[:300]}"
                for i, r in enumerate(results, 1) if r.returncode != 0]
    assert not lost, f"records lost: {lost}\nfailures:\n" + "\n".join(failures)
    assert history_count(run, db) == expected_total
    assert not failures, "\n".join(failures)


def test_concurrent_writers_on_existing_db(run, tmp_path):
    db = tmp_path / "db.sqlite"
    run("record", "news", "--unit", "vhxh", "--evidence", "https://x.example/seed", "--on", "2026-10-01",
        "--today", TODAY, "--db", db, check=False)
    assert history_count(run, db) == 1
    results = record_concurrently(run, db, "existing")
    check_all_recorded(run, db, results, "existing", N_WRITERS + 1)


NEW_DB_ROUNDS = 8


def test_concurrent_writers_on_new_db(run, tmp_path):
    """First use of a database by several processes at once (each one creates and migrates it).

    A race there is timing-dependent, so several fresh databases are tried.
    """
    for round_ in range(1, NEW_DB_ROUNDS + 1):
        db = tmp_path / f"new-{round_}.sqlite"
        results = record_concurrently(run, db, f"new{round_}")
        check_all_recorded(run, db, results, f"new{round_}", N_WRITERS)


# ---------------------------------------------------------------------------
# serve: its own option errors and a busy port are plancal errors, not stack traces
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("args, phrase", [
    (["--today", "31/02/2026"], "--today: \"31/02/2026\""),
    (["--base-url", "ftp://x"], "--base-url"),
    (["--port", "70000"], "--port"),
])
def test_serve_refuses_bad_options(run, tmp_path, args, phrase):
    proc = run("serve", "--db", tmp_path / "db.sqlite", *args, check=False, timeout=30)
    assert proc.returncode == 1, output(proc)
    assert proc.stderr.startswith("Lỗi: ") and phrase in proc.stderr, proc.stderr


def test_serve_on_a_busy_port_says_so(run, tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = run("serve", "--port", port, "--db", tmp_path / "db.sqlite", check=False, timeout=60)
    assert proc.returncode == 1, output(proc)
    assert f"Không thể lắng nghe tại 127.0.0.1:{port}" in proc.stderr, proc.stderr
    assert "đang được một chương trình khác dùng" in proc.stderr, proc.stderr


# ---------------------------------------------------------------------------
# Ad hoc records: written once, withdrawn by record number
# ---------------------------------------------------------------------------

def test_ad_hoc_news_twice_then_withdrawn(run, tmp_path):
    db = tmp_path / "db.sqlite"
    args = ("record", "news", "--unit", "vhxh", "--on", "05/10/2026", "--evidence", "https://bachdang.example/tin/adhoc",
            "--today", TODAY, "--db", db)
    first = run(*args)
    assert "Đã ghi nhận tin, bài ngày 05/10/2026" in first.stdout and "(bản ghi số 1)" in first.stdout, first.stdout
    again = run(*args)
    assert "Đã được ghi nhận trước đó" in again.stdout and "(bản ghi số 1)" in again.stdout, again.stdout
    assert history_count(run, db) == 1
    q4 = lambda: next(q for q in compliance_json(run, db)["quarters"] if q["key"] == "2026-Q4")
    assert q4()["state"] == "met" and len(q4()["items"]) == 1

    gone = run("undo", "--record", "1", "--reason", "ghi nhầm", "--db", db)
    assert "Đã hủy bản ghi số 1" in gone.stdout, gone.stdout
    assert q4()["state"] == "open" and q4()["items"] == []
    lines = history_text(run, db).splitlines()
    assert "hủy bản ghi #1" in lines[1] and lines[0].endswith("[đã hủy bởi #2]"), lines
    twice = run("undo", "--record", "1", "--reason", "lần nữa", "--db", db, check=False)
    assert twice.returncode == 1 and "đã được hủy trước đó" in twice.stderr, output(twice)
    neither = run("undo", "--reason", "x", "--db", db, check=False)
    assert neither.returncode == 1 and "--record" in neither.stderr, output(neither)


def test_undo_record_of_an_occurrence_points_to_the_occurrence_form(run, tmp_path):
    db = tmp_path / "db.sqlite"
    run(*DONE_ARGS, "--db", db)
    proc = run("undo", "--record", "1", "--reason", "x", "--db", db, check=False)
    assert proc.returncode == 1 and f"plancal undo {OCC} --unit" in proc.stderr, output(proc)
    assert history_count(run, db) == 1


def test_history_says_participation_and_correction(run, tmp_path):
    db = tmp_path / "db.sqlite"
    run("done", "action-month/2026", "--unit", "mttq", "--on", "20/11/2026", "--today", TODAY, "--db", db)
    run(*DONE_ARGS, "--db", db)
    run(*DONE_ARGS[:4], "--on", "21/11/2026", "--evidence", EVIDENCE, "--today", TODAY, "--correct", "--db", db)
    lines = history_text(run, db).splitlines()
    assert ": tham gia action-month/2026" in lines[0], lines
    assert ": hoàn thành quarterly-news/2026-Q4" in lines[1], lines
    assert ": hoàn thành (sửa, thay bản ghi #2) quarterly-news/2026-Q4" in lines[2], lines


# ---------------------------------------------------------------------------
# Edges a ward official runs into
# ---------------------------------------------------------------------------

def test_reports_after_the_plan_use_its_last_year(run, tmp_path):
    report = json.loads(run("compliance", "--format", "json", "--today", "15/01/2031",
                            "--db", tmp_path / "db.sqlite").stdout)
    assert report["year"] == 2030 and report["dissemination"]["year"] == 2030, report["year"]
    assert report["quarters"][-1]["key"] == "2030-Q4"
    proc = run("status", "--year", "2031", "--db", tmp_path / "db.sqlite", check=False)
    assert proc.returncode == 1 and "2025–2030" in proc.stderr, output(proc)


def test_refusals_that_create_nothing(run, tmp_path):
    db = tmp_path / "new.sqlite"
    revoke = run("token", "revoke", "1234", "--db", db, check=False)
    assert revoke.returncode == 1 and "1234" in revoke.stderr, output(revoke)
    assert not db.exists()
    afile = tmp_path / "a-file"
    afile.write_text("x")
    gen = run("generate", "--out", afile, "--db", db, check=False)
    assert gen.returncode == 1 and "không phải thư mục" in gen.stderr, output(gen)
    assert afile.read_text() == "x" and not db.exists()
    agenda = run("agenda", "--unit", "vhxh", "--from", "01/01/2031", "--db", db, check=False)
    assert agenda.returncode == 1 and "ngày kết thúc kế hoạch (31/12/2030)" in agenda.stderr, output(agenda)


def test_check_warns_about_an_example_base_url(run):
    out = run("check", PLAN_FILE).stdout
    assert "Lưu ý: public_base_url (https://lich.bachdang.example)" in out, out


# ---------------------------------------------------------------------------
# Filling in a collective's members: stale feeds go, orphaned records are flagged
# ---------------------------------------------------------------------------

def plan_with_party_cells(tmp_path: Path) -> Path:
    text = PLAN_FILE.read_text(encoding="utf-8")
    old = "    members: []\n"
    assert text.count(old) >= 1
    new = ('    members:\n      - { id: cb-1, name: "Chi bộ Tổ dân phố số 1" }\n'
           '      - { id: cb-2, name: "Chi bộ Tổ dân phố số 2" }\n')
    path = tmp_path / "plan.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_members_filled_in_flags_orphans_and_generate_cleans_up(run, tmp_path):
    db = tmp_path / "db.sqlite"
    run("done", "dissemination/2026/chi-bo", "--unit", "chi-bo", "--on", "10/06/2026", "--today", TODAY, "--db", db)
    cells = plan_with_party_cells(tmp_path)
    report = run("compliance", "--plan", cells, "--today", TODAY, "--db", db)
    assert "Lưu ý: có bản ghi của 1 việc không còn trong kế hoạch (dissemination/2026/chi-bo)" in report.stderr, \
        output(report)

    out = tmp_path / "feeds"
    out.mkdir()
    foreign = out / "other.ics"
    foreign.write_bytes(b"BEGIN:VCALENDAR\r\nPRODID:-//someone//else//EN\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    run("generate", "--plan", cells, "--out", out, "--db", db)
    assert (out / "cb-1.ics").exists() and (out / "cb-2-tasks.ics").exists()
    # Back to the plan without members: their feeds are removed, the foreign file kept.
    back = run("generate", "--out", out, "--db", db)
    assert "Đã xóa 4 tệp lịch cũ của kế hoạch này không còn được tạo" in back.stdout, back.stdout
    assert not (out / "cb-1.ics").exists() and foreign.exists()
    assert len(list(out.glob("*.ics"))) == 18 + 1


def test_same_meeting_twice_is_one_and_notes_stay_on_one_line(run, tmp_path):
    db = tmp_path / "db.sqlite"
    args = ("record", "meeting", "--unit", "mttq", "--on", "21/11/2026", "--reached", "100",
            "--organisations", "hoi-lhpn", "--note", "Họp tổ 3\n#99 giả mạo", "--today", TODAY, "--db", db)
    run(*args)
    again = run(*args)
    assert "Đã được ghi nhận trước đó" in again.stdout, again.stdout
    assert compliance_json(run, db)["reach"]["reached"] == 100
    # Another meeting of the unit's day with residents: asked whether it is the same event.
    asked = run(*args[:-6], "--note", "Họp tổ 4", "--today", TODAY, "--db", db, check=False)
    assert asked.returncode == 1 and "--same-event | --separate-event" in asked.stderr, output(asked)
    other = run(*args[:-6], "--note", "Họp tổ 4", "--separate-event", "--today", TODAY, "--db", db)
    assert "(bản ghi số 2)" in other.stdout, other.stdout
    assert compliance_json(run, db)["reach"]["reached"] == 200
    lines = history_text(run, db).splitlines()
    assert len(lines) == 2 and "ghi chú: Họp tổ 3 ⏎ #99 giả mạo" in lines[0], lines


def test_one_event_recorded_twice_counts_once(run, tmp_path):
    """Issue 17: a meeting recorded ad hoc and again on the action month, the same day, with the
    same residents: the CLI asks, and --same-event keeps the record without counting again; the
    action month's organisations complete their dissemination (status and history say by what)."""
    db = tmp_path / "db.sqlite"
    common = ("--db", db, "--today", "10/12/2026")
    by = ("--by", "Chị Lan")
    run("record", "meeting", "--unit", "vhxh", "--on", "20/11/2026", "--reached", "1250",
        "--organisations", "kthtdt", *common, *by)
    asked = run("done", "action-month/2026", "--unit", "vhxh", "--on", "20/11/2026", "--reached", "1250",
                "--organisations", "cong-an", *common, *by, check=False)
    assert asked.returncode == 1, output(asked)
    assert "đã có bản ghi số 1 ghi 1.250 người" in asked.stderr and "--same-event | --separate-event" in asked.stderr
    done = run("done", "action-month/2026", "--unit", "vhxh", "--on", "20/11/2026", "--reached", "1250",
               "--organisations", "cong-an", "--same-event", *common, *by)
    assert "Cũng được tính hoàn thành" in done.stdout and "action-month-planning/2026" in done.stdout, done.stdout
    report = json.loads(run("compliance", "--format", "json", *common).stdout)
    assert report["dissemination"]["organisations"][2]["informedOn"] == "2026-11-20"   # cong-an, by the action month
    status = run("status", "--unit", "cong-an", "--year", "2026", *common).stdout
    assert "dissemination/2026/cong-an (hoàn thành ngày 20/11/2026 — Đã được phổ biến qua bản ghi số 2" in status, status
    history = run("history", "--db", db).stdout
    assert "Cùng sự kiện với bản ghi số 1" in history
    assert "→ cũng hoàn thành: dissemination/2026/kthtdt" in history
