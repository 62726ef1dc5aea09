"""Helpers shared by the peer tests (no tests, no fixtures)."""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime
from pathlib import Path

import icalendar

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAN_DIR = REPO_ROOT / "calendars" / "bach-dang"
PLAN_FILE = PLAN_DIR / "plan.yaml"

PLAN_ID = "bach-dang"
UID_SUFFIX = f"@{PLAN_ID}.plancal"

HISTORY_LINE = re.compile(r"^#\d+ ", re.M)


def history_count(run, db: Path) -> int:
    """Number of records ``plancal history`` lists for the database."""
    out = run("history", "--db", db).stdout
    return len(HISTORY_LINE.findall(out))


def history_text(run, db: Path) -> str:
    return run("history", "--db", db).stdout


def output(proc: subprocess.CompletedProcess) -> str:
    """stdout and stderr of a text-mode run, together."""
    return (proc.stdout or "") + (proc.stderr or "")


def unfold(text: str) -> str:
    """RFC 5545 §3.1 unfolding: CRLF followed by one space or tab is removed."""
    return re.sub(r"\r\n[ \t]", "", text)


def raw_components(text: str, name: str) -> dict[str, str]:
    """The exact serialized text (folded, CRLF) of each top-level ``name`` component, by UID.

    Top level means directly inside VCALENDAR (VALARMs stay inside their VEVENT's text).
    """
    lines = text.split("\r\n")
    out: dict[str, str] = {}
    depth = 0
    current: list[str] | None = None
    for line in lines:
        if line.startswith("BEGIN:"):
            depth += 1
            if depth == 2 and line == f"BEGIN:{name}":
                current = []
        if current is not None:
            current.append(line)
        if line.startswith("END:"):
            if depth == 2 and current is not None and line == f"END:{name}":
                block = "\r\n".join(current) + "\r\n"
                m = re.search(r"^UID:([^\r\n]*)", unfold(block), re.M)
                assert m, f"{name} without UID:\n{block}"
                uid = m.group(1)
                assert uid not in out, f"duplicate UID {uid}"
                out[uid] = block
                current = None
            depth -= 1
    return out


def load_calendar(path: Path) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(Path(path).read_bytes())


def components(cal: icalendar.Calendar, name: str) -> list:
    """Direct children of the calendar with that name (walk() would recurse)."""
    return [c for c in cal.subcomponents if c.name == name]


def as_date(value) -> date:
    """A DTSTART/DTEND/DUE property value (vDDDTypes or date) as a date (datetimes: their date)."""
    v = getattr(value, "dt", value)
    return v.date() if isinstance(v, datetime) else v


def is_pure_date(value) -> bool:
    v = getattr(value, "dt", value)
    return isinstance(v, date) and not isinstance(v, datetime)


def uid_of(component) -> str:
    return str(component["UID"])


def occurrence_id(uid: str) -> str:
    """``quarterly-news/2026-Q4@bach-dang.plancal`` -> ``quarterly-news/2026-Q4`` (tasks: ``task/`` dropped)."""
    assert uid.endswith(UID_SUFFIX), uid
    occ = uid[: -len(UID_SUFFIX)]
    return occ[len("task/"):] if occ.startswith("task/") else occ


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder (non-recursive), name -> bytes."""
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir()) if p.is_file()}


def artifact_dir(tmp_path_factory, sub: str | None = None) -> Path:
    """Where a test keeps what a person may want to look at: $PLANCAL_ARTIFACTS (else a temp folder)."""
    import os

    env = os.environ.get("PLANCAL_ARTIFACTS")
    path = Path(env) if env else tmp_path_factory.mktemp("artifacts")
    if sub:
        path = path / sub
    path.mkdir(parents=True, exist_ok=True)
    return path
