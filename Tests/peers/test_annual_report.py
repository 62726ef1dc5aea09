"""The year's reports as documents (issue 7, part 2): `plancal report` writes a .docx that
python-docx opens for every unit and for the ward, with the sections, tables and the recorded
figures; its numbers equal `plancal compliance` / `plancal indicators` of the same records;
LibreOffice converts the ward's report to PDF and pdftoppm renders page 1 (kept under
$PLANCAL_ARTIFACTS); the CLI refuses what it should, in Vietnamese."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
import yaml

from peerlib import PLAN_FILE, artifact_dir, output

YEAR = "2026"
TODAY = "16/12/2026"


@pytest.fixture(scope="module")
def db(run, tmp_path_factory) -> Path:
    """A year of records: a news item, a meeting, a training, an obstacle, a report on time, figures."""
    path = tmp_path_factory.mktemp("annual") / "db.sqlite"
    common = ("--db", path, "--by", "Chị Lan")
    run("done", "quarterly-news/2026-Q3", "--unit", "vhxh", "--on", "20/09/2026", "--today", "20/09/2026",
        "--evidence", "https://bachdang.example/tin/binh-dang-gioi-quy-3-2026", *common)
    run("record", "meeting", "--unit", "mttq", "--on", "03/11/2026", "--reached", "120", "--organisations", "hoi-lhpn",
        "--note", "Tuyên truyền tại khu dân cư số 2", "--today", "29/11/2026", *common)
    run("record", "training", "--unit", "mttq", "--on", "05/11/2026", "--participants", "35",
        "--note", "Tập huấn cán bộ Mặt trận", "--today", "29/11/2026", *common)
    run("record", "obstacle", "--unit", "mttq", "--on", "06/11/2026",
        "--note", "Thiếu tài liệu tuyên truyền bằng tiếng dân tộc", "--today", "29/11/2026", *common)
    run("done", "annual-report/2026/mttq", "--unit", "mttq", "--on", "10/12/2026", "--today", "10/12/2026", *common)
    run("figure", "G3.T2", "--unit", "cong-an", "--year", YEAR, "--victims-detected", "12", "--note", "Sổ theo dõi", *common)
    run("figure", "G3.T2", "--unit", "vhxh", "--year", YEAR, "--victims-supported", "9", "--note", "Sổ theo dõi", *common)
    return path


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    return artifact_dir(tmp_path_factory)


def report(run, db, out: Path, *who: str, fmt: str = "docx") -> Path:
    run("report", *who, "--year", YEAR, "--today", TODAY, "--format", fmt, "--out", out, "--db", db)
    return out


def unit_ids() -> list[str]:
    plan = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    ids = []
    for u in plan["units"]:
        ids.append(u["id"])
        ids += [m["id"] for m in u.get("members") or []]
    return ids


def texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def table_rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def find_table(document, first_column: str, column: int = 0):
    """The first table whose header row has `first_column` in column `column`."""
    return next(t for t in document.tables if len(t.rows[0].cells) > column and t.rows[0].cells[column].text == first_column)


def test_every_unit_report_opens_with_its_sections(run, db, tmp_path):
    for unit in unit_ids():
        d = docx.Document(str(report(run, db, tmp_path / f"{unit}.docx", "--unit", unit)))
        paragraphs = texts(d)
        for heading in ("BÁO CÁO", "I. KẾT QUẢ THỰC HIỆN", "II. NHIỆM VỤ CHƯA HOÀN THÀNH", "III. KHÓ KHĂN, VƯỚNG MẮC",
                        "IV. KIẾN NGHỊ, ĐỀ XUẤT", "V. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2027"):
            assert heading in paragraphs, (unit, heading)
        header = table_rows(d.tables[0])
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header[0][1] and "Độc lập - Tự do - Hạnh phúc" in header[0][1]
        assert header[1][1] == "Bạch Đằng, ngày … tháng … năm 2026"
        assert "Nơi nhận:" in table_rows(d.tables[-1])[0][0]
        section = d.sections[0]
        assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
        assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 15
        assert d.styles["Normal"].font.name in (None, "Times New Roman")


def test_unit_report_holds_its_records(run, db, tmp_path):
    d = docx.Document(str(report(run, db, tmp_path / "mttq.docx", "--unit", "mttq")))
    activities = table_rows(find_table(d, "Hoạt động", 1))
    assert activities[0][:3] == ["STT", "Hoạt động", "Ngày"]
    meeting = next(r for r in activities if r[2] == "03/11/2026")
    assert meeting[4] == "120" and "Hội Liên hiệp Phụ nữ phường" in meeting[3]
    training = next(r for r in activities if r[2] == "05/11/2026")
    assert training[1] == "Buổi tập huấn" and training[5] == "35"
    assert "- ngày 06/11/2026: Thiếu tài liệu tuyên truyền bằng tiếng dân tộc — Chưa giải quyết" in texts(d)
    done = table_rows(find_table(d, "Nhiệm vụ", 1))
    assert any(r[1].startswith("Báo cáo") and r[4] == "10/12/2026" for r in done[1:]), done
    # The police's report lists the figure it supplied.
    police = docx.Document(str(report(run, db, tmp_path / "cong-an.docx", "--unit", "cong-an")))
    figures = next(table_rows(t) for t in police.tables if t.rows[0].cells[-1].text == "Năm 2026")
    assert any(r[1] == "G3.T2" and r[3] == "12" for r in figures[1:]), figures


def test_ward_report_equals_compliance_and_indicators(run, db, tmp_path):
    d = docx.Document(str(report(run, db, tmp_path / "ward.docx", "--ward")))
    paragraphs = texts(d)
    for heading in ("I. KẾT QUẢ THỰC HIỆN CỦA CÁC ĐƠN VỊ", "III. CÁC CHỈ TIÊU CỦA KẾ HOẠCH", "IV. KHÓ KHĂN, VƯỚNG MẮC",
                    "V. KIẾN NGHỊ, ĐỀ XUẤT", "VI. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2027"):
        assert heading in paragraphs, heading
    assert "Kính gửi: Ủy ban nhân dân thành phố Hải Phòng" in paragraphs
    compliance = json.loads(run("compliance", "--year", YEAR, "--today", TODAY, "--format", "json", "--db", db).stdout)
    indicators = json.loads(run("indicators", "--year", YEAR, "--today", TODAY, "--format", "json", "--db", db).stdout)

    quarters = table_rows(find_table(d, "Quý"))[1:]
    assert [r[0] for r in quarters] == [q["label"] for q in compliance["quarters"]]
    q3 = next(r for r in quarters if r[0] == "quý III/2026")
    assert "https://bachdang.example/tin/binh-dang-gioi-quy-3-2026" in q3[2]

    organisations = table_rows(find_table(d, "Ngày được phổ biến", 2))[1:]
    informed = {o["name"]: o["informedOn"] for o in compliance["dissemination"]["organisations"]}
    assert [r[1] for r in organisations] == list(informed)
    assert dict((r[1], r[2]) for r in organisations)["Hội Liên hiệp Phụ nữ phường"] == "03/11/2026"
    assert f"Năm 2026: {compliance['dissemination']['informed']}/{compliance['dissemination']['total']} tổ chức" in "\n".join(paragraphs)
    reach = compliance["reach"]
    assert any(p.startswith("Số lượt người dân được tiếp cận") and f": {reach['reached']}." in p for p in paragraphs)

    rows = table_rows(find_table(d, "Chỉ tiêu"))[1:]
    assert len(rows) == len(indicators["lines"])
    for row, line in zip(rows, indicators["lines"]):
        assert row[0] == line["target"] and row[1] == line["label"]
        assert row[2] == line["valueText"] and row[5] == line["stateLabel"]
    g3 = next(r for r in rows if r[0] == "G3.T2" and r[2] == "75%")
    assert g3

    units = table_rows(find_table(d, "Đơn vị", 1))
    assert units[0][1] == "Đơn vị"
    by_name = {r[1]: r for r in units[1:]}
    for line in compliance["units"]:
        row = by_name[line["name"]]
        if line["annualReport"] == "done-on-time":
            assert row[6].startswith("Hoàn thành đúng hạn")
    assert by_name["Ủy ban Mặt trận Tổ quốc Việt Nam phường"][4] == "120"
    assert any(p.startswith("Gửi đúng hạn") and "Ủy ban Mặt trận Tổ quốc Việt Nam phường" in p for p in paragraphs)
    assert "- Ủy ban Mặt trận Tổ quốc Việt Nam phường, ngày 06/11/2026: Thiếu tài liệu tuyên truyền bằng tiếng dân tộc — Chưa giải quyết" in paragraphs


def test_same_records_same_bytes_and_html(run, db, tmp_path):
    a = report(run, db, tmp_path / "a.docx", "--ward").read_bytes()
    b = report(run, db, tmp_path / "b.docx", "--ward").read_bytes()
    assert a == b
    piped = run("report", "--ward", "--year", YEAR, "--today", TODAY, "--db", db, binary=True).stdout
    assert piped == a
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx", "b.docx"]  # nothing left behind
    html = report(run, db, tmp_path / "ward.html", "--ward", fmt="html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html
    assert "@page{size:A4" in html and "Thiếu tài liệu tuyên truyền bằng tiếng dân tộc" in html


def test_cli_refusals(run, db, plancal, tmp_path):
    cases = [
        ((), "Cần --unit <mã đơn vị> hoặc --ward"),
        (("--ward", "--unit", "mttq"), "không dùng cả hai"),
        (("--unit", "khong-co"), 'Không có đơn vị "khong-co"'),
    ]
    for args, message in cases:
        proc = run("report", *args, "--year", YEAR, "--out", tmp_path / "x.docx", "--db", db, check=False)
        assert proc.returncode == 1 and message in output(proc), (args, output(proc))
    proc = run("report", "--ward", "--year", "2040", "--out", tmp_path / "x.docx", "--db", db, check=False)
    assert proc.returncode == 1 and "--year 2040 nằm ngoài thời gian của kế hoạch (2025–2030)" in output(proc)
    assert not (tmp_path / "x.docx").exists()
    # A .docx is never written to a terminal.
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([plancal, "report", "--ward", "--year", YEAR, "--db", db], cwd=run.cwd, env=run.env,
                              stdout=follower, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == 1 and "Không ghi tệp .docx ra màn hình" in proc.stderr.decode()


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                    reason="LibreOffice (libreoffice-writer) and poppler-utils: scripts/install-test-deps.sh")
def test_libreoffice_renders_the_ward_report(run, db, tmp_path, artifacts):
    source = report(run, db, tmp_path / "bao-cao-nam-2026.docx", "--ward")
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(source)], check=True, timeout=240, capture_output=True,
                   env={**os.environ, "HOME": str(tmp_path)})
    pdf = tmp_path / "bao-cao-nam-2026.pdf"
    assert pdf.is_file()
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(next(l for l in info.splitlines() if l.startswith("Pages:")).split()[1])
    assert pages >= 1
    assert "A4" in info or "595" in info
    shutil.copy(pdf, artifacts / "ward-report-2026.pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 5000
    shutil.copy(png, artifacts / "ward-report-page1.png")
    text = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "BÁO CÁO" in text


DATE_START = re.compile(r"^\(?\d{1,2}/\d{1,2}/")
DATE = re.compile(r"^\(?\d{2}/\d{2}/\d{4}[).,;:]*$")
PERCENT = re.compile(r"^\(?\d+(,\d+)?%[).,;:]*$")


def pdf_words(pdf: Path) -> list[tuple[str, float, float]]:
    """Every word LibreOffice laid out, with its box's left and top (pdftotext -bbox)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [(m.group(3), float(m.group(1)), float(m.group(2)))
            for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', html)]


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice (libreoffice-writer) and poppler-utils: scripts/install-test-deps.sh")
def test_dates_and_percentages_stay_on_one_line_in_the_documents(run, db, tmp_path):
    """Issue 17: the column widths fit their content. Converted by LibreOffice, every date is one
    word on one line (a wrapped "15/12/20" + "26" would be two), and no percentage loses its sign."""
    sources = [report(run, db, tmp_path / "ward.docx", "--ward"), report(run, db, tmp_path / "vhxh.docx", "--unit", "vhxh"),
               report(run, db, tmp_path / "cong-an.docx", "--unit", "cong-an")]
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), *map(str, sources)], check=True, timeout=240, capture_output=True,
                   env={**os.environ, "HOME": str(tmp_path)})
    for source in sources:
        words = pdf_words(source.with_suffix(".pdf"))
        assert len(words) > 200, source.name
        dates = [w for w, _, _ in words if DATE_START.match(w)]
        assert dates, f"{source.name}: no date found"
        broken = [w for w in dates if not DATE.match(w)]
        assert not broken, f"{source.name}: dates broken across lines: {broken}"
        assert not [w for w, _, _ in words if w.startswith("%")], f"{source.name}: a percentage lost its sign to the next line"
        percents = [w for w, _, _ in words if "%" in w and w[0].isdigit()]
        assert all(PERCENT.match(w) for w in percents), percents
    # The completions table of vhxh's report has its due day and its day done: both whole.
    vhxh = [w for w, _, _ in pdf_words(tmp_path / "vhxh.pdf")]
    assert "20/09/2026" in vhxh and "30/09/2026" in vhxh
