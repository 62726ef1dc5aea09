"""A read-only database and a full disk (issue 11, items 3 and 5), for real: the CLI and a
running server as a user who may not write the database, and a database on a tiny tmpfs
that fills up. Reading keeps working; writes get a clear Vietnamese error (CLI: `Lỗi: …`,
exit 1; API: the documented JSON error, 503 or 507) and nothing is half-written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from peerlib import PLAN_FILE
from servelib import plancal_binary, plancal_env, request, run_plancal, running_server

TODAY = "2026-11-29"
NEWS = ["quarterly-news/2026-Q3", "--unit", "vhxh", "--on", "20/09/2026", "--evidence", "https://x.example/q3",
        "--by", "Cán bộ thử", "--today", TODAY]


def as_user(user: str, *args) -> subprocess.CompletedProcess:
    """The CLI run as another user."""
    from peerlib import REPO_ROOT
    return subprocess.run(["runuser", "-u", user, "--", str(plancal_binary()), *map(str, args)], cwd=REPO_ROOT,
                          env=plancal_env(), capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture
def open_folder():
    """A folder every user can reach (pytest's own temporary folders are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="plancal-ro-", dir="/tmp"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def read_only_folder(root: Path) -> Path:
    """A database with one record, in a folder only root may write (mode 755, file 644)."""
    folder = root / "ro"
    folder.mkdir()
    db = folder / "plancal.sqlite"
    run_plancal("done", "quarterly-news/2026-Q4", "--unit", "vhxh", "--on", "20/11/2026",
                "--evidence", "https://x.example/q4", "--by", "Cán bộ thử", "--db", db, "--today", TODAY)
    os.chmod(folder, 0o755)
    os.chmod(db, 0o644)
    return db


@pytest.fixture
def nobody():
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs root and runuser to act as a user without write access")
    return "nobody"


def test_reading_commands_work_on_a_database_they_may_not_write(open_folder, nobody):
    db = read_only_folder(open_folder)
    before = sorted(p.name for p in db.parent.iterdir())
    history = as_user(nobody, "history", "--db", db)
    assert history.returncode == 0, history.stderr
    assert "quarterly-news/2026-Q4" in history.stdout
    compliance = as_user(nobody, "compliance", "--db", db, "--today", TODAY, "--format", "json")
    assert compliance.returncode == 0, compliance.stderr
    q4 = [q for q in json.loads(compliance.stdout)["quarters"] if q["key"] == "2026-Q4"]
    assert q4[0]["state"] == "met"
    write = as_user(nobody, "done", *NEWS, "--db", db)
    assert write.returncode == 1
    assert write.stderr.startswith("Lỗi: Cơ sở dữ liệu chỉ cho phép đọc"), write.stderr
    assert "readonly database" not in write.stdout
    assert sorted(p.name for p in db.parent.iterdir()) == before, "nothing new was created"
    assert "quarterly-news/2026-Q3" not in run_plancal("history", "--db", db).stdout


def test_serve_on_a_read_only_database_serves_and_refuses_writes(open_folder, nobody):
    folder = open_folder / "ro"
    folder.mkdir()
    db = folder / "plancal.sqlite"

    def lock(db: Path):
        os.chmod(db.parent, 0o755)
        for p in db.parent.iterdir():
            os.chmod(p, 0o644)

    with running_server(open_folder / "srv", db=db, run_as=nobody, prepare=lock) as server:
        feed = request(server, "GET", "/calendars/bach-dang/vhxh.ics")
        assert feed.status == 200 and feed.body.startswith(b"BEGIN:VCALENDAR")
        assert request(server, "GET", "/plans/bach-dang").status == 200
        reply = request(server, "POST", "/api/bach-dang/completions",
                        json.dumps({"occurrence": "quarterly-news/2026-Q4", "unit": "vhxh", "on": "20/11/2026",
                                    "evidence": "https://x.example/q4"}).encode(),
                        {"Authorization": f"Bearer {server.tokens['vhxh']}", "Content-Type": "application/json"})
        assert reply.status == 503, reply
        error = reply.json()["error"]
        assert error["status"] == 503 and "chỉ cho phép đọc" in error["message"]
        assert "read-only" in server.log_text(), "the operator is told writes are off"
    assert "quarterly-news/2026-Q4" not in run_plancal("history", "--db", db).stdout


@pytest.fixture
def tiny_disk(tmp_path):
    """A 512 KiB tmpfs, unmounted afterwards."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root and a tmpfs mount to fill a disk for real")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(mnt: Path) -> None:
    """Fills what is left of the disk."""
    fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while os.write(fd, b"\0" * 4096) > 0:
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


def test_a_full_disk_is_a_clear_error_and_nothing_is_half_written(tiny_disk, tmp_path):
    db = tiny_disk / "plancal.sqlite"
    run_plancal("done", "quarterly-news/2026-Q4", "--unit", "vhxh", "--on", "20/11/2026",
                "--evidence", "https://x.example/q4", "--by", "Cán bộ thử", "--db", db, "--today", TODAY)
    fill(tiny_disk)
    # Within the note's limit (2,000 characters: a longer one is refused before any write, and
    # whether the open failed first depended on timing): the record's page must find room.
    note = "x" * 1_900
    result = run_plancal("record", "news", "--unit", "vhxh", "--on", "21/11/2026", "--note", note,
                         "--by", "Cán bộ thử", "--db", db, "--today", TODAY, check=False)
    assert result.returncode == 1, result
    assert result.stderr.startswith("Lỗi: Ổ đĩa hoặc cơ sở dữ liệu đã đầy"), result.stderr
    assert "SQLite error" not in result.stderr.split("(")[0]
    (tiny_disk / "filler").unlink()
    history = run_plancal("history", "--db", db).stdout
    assert history.count("\n#") + history.startswith("#") == 1, history


def test_the_api_answers_507_when_the_disk_is_full(tiny_disk, tmp_path):
    db = tiny_disk / "plancal.sqlite"
    occurrences = [f"dissemination/{year}/{unit}" for year in (2025, 2026)
                   for unit in ("vhxh", "kthtdt", "cong-an", "mttq", "hoi-lhpn", "hoi-nong-dan")]
    with running_server(tmp_path / "srv", db=db) as server:
        fill(tiny_disk)
        headers = {"Authorization": f"Bearer {server.tokens['vhxh']}", "Content-Type": "application/json"}

        def post(occurrence: str):
            return request(server, "POST", "/api/bach-dang/completions",
                           json.dumps({"occurrence": occurrence, "unit": "vhxh", "on": "20/11/2026",
                                       "note": "y" * 1900}).encode(), headers)
        # A write may still fit in space SQLite holds already; the disk refuses soon after.
        stored, refused = [], None
        for occurrence in occurrences:
            reply = post(occurrence)
            if reply.status != 201:
                refused = (occurrence, reply)
                break
            stored.append(occurrence)
        assert refused is not None, f"{len(stored)} writes went through on a full disk"
        occurrence, reply = refused
        assert reply.status == 507, reply
        error = reply.json()["error"]
        assert error["status"] == 507 and "đầy" in error["message"]
        assert "storage failure" in server.log_text()
        (tiny_disk / "filler").unlink()
        # Space again: the same write goes through, and nothing of the refused one was kept.
        history = run_plancal("history", "--db", db).stdout
        assert occurrence not in history and all(o in history for o in stored)
        assert post(occurrence).status == 201
