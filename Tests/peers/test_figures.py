"""Figures supplied by the units and the indicator report, through the CLI (issue 7, M2):
a figure reaches `plancal indicators` in every format; refused figures write nothing."""

from __future__ import annotations

import csv
import io
import json

from peerlib import output

YEAR = "2026"


def indicators(run, db, fmt="json"):
    proc = run("indicators", "--year", YEAR, "--today", "2026-12-31", "--format", fmt, "--db", db)
    return json.loads(proc.stdout) if fmt == "json" else proc.stdout


def line(report, target, indicator=None):
    return next(l for l in report["lines"] if l["target"] == target and (indicator is None or l["indicator"] == indicator))


def test_every_target_is_listed_without_data(run, tmp_path):
    report = indicators(run, tmp_path / "db.sqlite")
    targets = {l["target"] for l in report["lines"]}
    assert len(targets) == 15 and len(report["lines"]) == 18
    g2t3 = line(report, "G2.T3")
    assert g2t3["value"] is None and g2t3["valueText"] == "chưa có số liệu" and g2t3["state"] == "no-data"
    assert g2t3["suppliers"] == ["kthtdt"] and g2t3["baseline"] is None


def test_recorded_figures_give_the_value_and_state(run, tmp_path):
    db = tmp_path / "db.sqlite"
    run("figure", "G2.T3", "--unit", "kthtdt", "--year", YEAR, "--women-directors", "9", "--directors", "30",
        "--evidence", "https://bachdang.example/so-lieu/dn-2026", "--db", db)
    g2t3 = line(indicators(run, db), "G2.T3")
    assert (g2t3["numerator"], g2t3["denominator"], g2t3["value"]) == (9, 30, 30)
    assert g2t3["valueText"] == "30%" and g2t3["state"] == "met" and g2t3["stateLabel"] == "đạt"
    # A correction is a new record; the later value wins.
    run("figure", "G2.T3", "--unit", "kthtdt", "--year", YEAR, "--women-directors=6", "--note", "Sửa theo đăng ký kinh doanh",
        "--db", db)
    g2t3 = line(indicators(run, db), "G2.T3")
    # 20% in 2026 against "at least 30% by 2030", with no baseline: not judged yet, never "chưa đạt".
    assert g2t3["value"] == 20 and g2t3["state"] == "not-judged"
    assert g2t3["stateLabel"] == "chưa đánh giá được lộ trình (chưa có số liệu ban đầu)"
    table = indicators(run, db, "table")
    assert "G2.T3" in table and "20%" in table and "ít nhất 30%" in table
    rows = list(csv.reader(io.StringIO(indicators(run, db, "csv").lstrip("\ufeff"))))
    assert rows[0][0] == "chi_tieu"
    row = next(r for r in rows if r[0] == "G2.T3")
    assert row[6] == "20%" and row[10] == "chưa đánh giá được lộ trình (chưa có số liệu ban đầu)"


def test_refused_figures_write_nothing(run, tmp_path):
    db = tmp_path / "db.sqlite"
    run("figure", "G3.T2", "--unit", "cong-an", "--year", YEAR, "--victims-detected", "5", "--note", "Sổ theo dõi", "--db", db)
    before = indicators(run, db)
    refusals = [
        (("G3.T2", "--unit", "vhxh", "--victims-supported", "6", "--note", "x"), "--victims-supported", "không được vượt mẫu số"),
        (("G3.T2", "--unit", "cong-an", "--victims-detected", "-1", "--note", "x"), "--victims-detected", "không được âm"),
        (("G3.T2", "--unit", "cong-an", "--victims-rescued", "1", "--note", "x"), "--victims-rescued", "không có trong chỉ tiêu"),
        (("G3.T2", "--unit", "cong-an", "--victims-supported", "1", "--note", "x"), "--victims-supported", "do đơn vị vhxh cung cấp"),
        (("G3.T2", "--unit", "cong-an", "--victims-detected", "1"), "--evidence", "ghi chú"),
    ]
    for args, option, phrase in refusals:
        proc = run("figure", *args, "--year", YEAR, "--db", db, check=False)
        assert proc.returncode == 1, output(proc)
        assert option in proc.stderr and phrase in proc.stderr, proc.stderr
    assert indicators(run, db) == before
    assert line(before, "G3.T2", "victims")["denominator"] == 5


def test_data_report_carries_its_figures(run, tmp_path):
    db = tmp_path / "db.sqlite"
    occ = ("done", "data-report-violence/2026", "--unit", "cong-an", "--on", "10/12/2026", "--today", "2026-12-12")
    refused = run(*occ, "--figure", "victims-supported=3", "--note", "x", "--db", db, check=False)
    assert refused.returncode == 1 and "không thu số liệu \"victims-supported\"" in refused.stderr
    negative = run(*occ, "--figure", "victims-detected=-2", "--db", db, check=False)
    assert negative.returncode == 1 and "[--figure victims-detected]" in negative.stderr
    # Nothing written by the refusals: neither the completion nor a figure.
    assert line(indicators(run, db), "G3.T2", "victims")["denominator"] is None
    assert "data-report-violence/2026" not in run("history", "--db", db, check=False).stdout
    run(*occ, "--figure", "victims-detected=12", "--figure", "trafficking-victims-in-need=2", "--note", "Báo cáo số 7",
        "--db", db)
    report = indicators(run, db)
    assert line(report, "G3.T2", "victims")["denominator"] == 12
    assert line(report, "G3.T3")["denominator"] == 2


def test_values_are_digits_within_bounds(run, tmp_path):
    """Issue 20: no hexadecimal, no exponent, nothing above 2^53 − 1; a data report's figures too."""
    db = tmp_path / "db.sqlite"
    base = ("figure", "G3.T2", "--unit", "cong-an", "--year", YEAR, "--note", "x", "--db", db)
    for value, phrase in [("0x10", "không phải là một số"), ("1e19", "không phải là một số"),
                          ("inf", "không phải là một số"), ("10000000000000000000", "vượt mức tối đa")]:
        proc = run(*base, "--victims-detected", value, check=False)
        assert proc.returncode == 1 and phrase in proc.stderr, output(proc)
        assert "--victims-detected" in proc.stderr, proc.stderr
    occ = ("done", "data-report-violence/2026", "--unit", "cong-an", "--on", "10/12/2026", "--today", "2026-12-12")
    proc = run(*occ, "--figure", "victims-detected=1e3", "--note", "x", "--db", db, check=False)
    assert proc.returncode == 1 and "victims-detected=1e3" in proc.stderr, output(proc)
    assert line(indicators(run, db), "G3.T2", "victims")["denominator"] is None
    run(*base, "--victims-detected", "9007199254740991")
    assert line(indicators(run, db), "G3.T2", "victims")["denominator"] == 9007199254740991


def test_recorded_baseline_gives_the_path(run, tmp_path):
    db = tmp_path / "db.sqlite"
    run("figure", "G2.T3", "--unit", "kthtdt", "--year", YEAR, "--women-directors", "6", "--directors", "30",
        "--note", "Đăng ký kinh doanh", "--db", db)
    assert line(indicators(run, db), "G2.T3")["state"] == "not-judged"
    proc = run("baseline", "G2.T3", "--indicator", "women-directors", "--year", "2025", "--value", "10",
               "--evidence", "https://bachdang.example/so-lieu/dn-2025", "--today", "2026-12-31", "--db", db)
    assert "Đã ghi số liệu ban đầu" in proc.stdout and "(bản ghi số liệu ban đầu số 1)" in proc.stdout
    # 10% in 2025 towards 30% by 2030: the path stands at 14% in 2026; 20% is on it.
    g2t3 = line(indicators(run, db), "G2.T3")
    assert (g2t3["baseline"], g2t3["baselineYear"], g2t3["path"], g2t3["state"]) == (10, 2025, 14, "on-path")
    # A later record replaces it (decimal comma): 18,5% → path 20,8%; 20% is behind.
    run("baseline", "G2.T3", "--indicator", "women-directors", "--year", "2025", "--value", "18,5",
        "--note", "Sửa theo thống kê", "--today", "2026-12-31", "--db", db)
    g2t3 = line(indicators(run, db), "G2.T3")
    assert (g2t3["baseline"], g2t3["path"], g2t3["state"]) == (18.5, 20.8, "behind")


def test_refused_baselines_write_nothing(run, tmp_path):
    db = tmp_path / "db.sqlite"
    before = indicators(run, db)
    base = ("--today", "2026-12-31", "--note", "x", "--db", db)
    refusals = [
        (("G2.T3", "--indicator", "women-directors", "--year", "2025", "--value", "0x10"), "--value", "không phải là một số"),
        (("G2.T3", "--indicator", "women-directors", "--year", "2025", "--value", "1e2"), "--value", "không phải là một số"),
        (("G2.T3", "--indicator", "women-directors", "--year", "2025", "--value", "150"), "--value", "không vượt quá 100"),
        (("G2.T3", "--indicator", "women-directors", "--year", "2025", "--value=-1"), "--value", "không được âm"),
        (("G2.T3", "--indicator", "women-directors", "--year", "2027", "--value", "10"), "--year", "sau năm hiện tại"),
        (("G2.T3", "--indicator", "nope", "--year", "2025", "--value", "10"), "--indicator", "women-directors"),
        (("G4.T1", "--indicator", "sex-ratio", "--year", "2025", "--value", "104"), "--indicator", "không có lộ trình"),
    ]
    for args, option, words in refusals:
        proc = run("baseline", *args, *base, check=False)
        assert proc.returncode == 1, args
        assert option in proc.stderr and words in proc.stderr, (args, proc.stderr)
    assert indicators(run, db) == before
