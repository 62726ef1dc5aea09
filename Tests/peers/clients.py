"""Drive real iCalendar clients (vdirsyncer, khal, todoman) against our feeds.

Helpers only, no tests. The tools come from the test virtualenv built by
``scripts/install-test-deps.sh`` (``.venv-test/``); they are looked up next to
the running Python interpreter first, then on PATH.

Every command runs with HOME, XDG_CONFIG_HOME, XDG_DATA_HOME and
XDG_CACHE_HOME pointing inside ``workdir``, so nothing touches the real user's
configuration, and with TZ=Asia/Ho_Chi_Minh so local-time conversions are
deterministic.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

TIMEZONE = "Asia/Ho_Chi_Minh"
DATE_FORMAT = "%d/%m/%Y"
TIME_FORMAT = "%H:%M"
DATETIME_FORMAT = f"{DATE_FORMAT} {TIME_FORMAT}"

# Generous: the tools are local, but vdirsyncer's first start imports aiohttp.
DEFAULT_TIMEOUT = 120


class ClientError(RuntimeError):
    """A client command failed; the message carries its stdout and stderr."""

    def __init__(self, cmd: list[str], returncode: int | None, stdout: str, stderr: str):
        self.cmd = cmd
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(
            f"command {cmd!r} failed (exit {returncode})\n"
            f"--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        )


def tool(name: str) -> str:
    """Path of a client executable: the venv's bin dir first, then PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name} not found; run scripts/install-test-deps.sh and use .venv-test/bin/pytest"
        )
    return found


def client_env(workdir: Path) -> dict[str, str]:
    """Environment with HOME/XDG dirs inside workdir (created if missing)."""
    workdir = Path(workdir)
    home = workdir / "home"
    dirs = {
        "HOME": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_STATE_HOME": home / ".local" / "state",
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({k: str(v) for k, v in dirs.items()})
    # Drop anything that could point a client at a real config.
    for var in ("VDIRSYNCER_CONFIG", "KHAL_CONFIG", "TODOMAN_CONFIG", "XDG_CONFIG_DIRS"):
        env.pop(var, None)
    env["TZ"] = TIMEZONE
    # UTF-8 everywhere: the feeds carry Vietnamese text.
    env["LANG"] = env["LC_ALL"] = "C.UTF-8"
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUTF8"] = "1"
    return env


def run(cmd: list[str], workdir: Path, *, input: str | None = None,
        timeout: float = DEFAULT_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run cmd in workdir with client_env; raise ClientError on failure."""
    try:
        proc = subprocess.run(
            cmd,
            cwd=workdir,
            env=client_env(workdir),
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode("utf-8", "replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        raise ClientError(cmd, None, out, err + f"\n(timed out after {timeout}s)") from None
    if proc.returncode != 0:
        raise ClientError(cmd, proc.returncode, proc.stdout, proc.stderr)
    return proc


def _json_str(value: str) -> str:
    """Quote a string for vdirsyncer's INI-style config (values are JSON)."""
    return json.dumps(value, ensure_ascii=False)


# --------------------------------------------------------------------------
# vdirsyncer
# --------------------------------------------------------------------------

def vdirsyncer_sync(feed_url: str, workdir: Path) -> Path:
    """Sync the iCalendar feed at feed_url into a local folder with vdirsyncer.

    Writes ``workdir/vdirsyncer/config`` with a pair ``feed``: storage ``a`` is
    the read-only ``http`` storage at feed_url, storage ``b`` a ``filesystem``
    storage (fileext ``.ics``) at ``workdir/vdirsyncer/items``;
    ``collections = null``, ``conflict_resolution = "a wins"``. Runs
    ``vdirsyncer discover`` then ``vdirsyncer sync`` and returns the folder
    holding one .ics file per synced item.

    Prompts: with ``collections = null`` vdirsyncer 0.21 asks nothing. A
    missing filesystem path only gives "warning: Directory ... does not
    exist" at discover and is created by sync; we create it beforehand
    anyway. (The "Should vdirsyncer attempt to create it?" confirm is only
    reached for named collections.) stdin still gets "y" answers as a
    fallback, never a terminal, so a prompt cannot hang the run. ``--no-list``
    skips listing both sides' collections, which is only for debugging.
    vdirsyncer logs to stderr; stdout stays empty on success.
    """
    workdir = Path(workdir)
    base = workdir / "vdirsyncer"
    items = base / "items"
    status = base / "status"
    items.mkdir(parents=True, exist_ok=True)
    status.mkdir(parents=True, exist_ok=True)
    config = base / "config"
    config.write_text(
        "[general]\n"
        f"status_path = {_json_str(str(status))}\n"
        "\n"
        "[pair feed]\n"
        'a = "feed_remote"\n'
        'b = "feed_local"\n'
        "collections = null\n"
        'conflict_resolution = "a wins"\n'
        "\n"
        "[storage feed_remote]\n"
        'type = "http"\n'
        f"url = {_json_str(feed_url)}\n"
        # http is read-only by nature; say so explicitly as well.
        "read_only = true\n"
        "\n"
        "[storage feed_local]\n"
        'type = "filesystem"\n'
        f"path = {_json_str(str(items))}\n"
        'fileext = ".ics"\n',
        encoding="utf-8",
    )
    exe = tool("vdirsyncer")
    yes = "y\n" * 20
    run([exe, "-c", str(config), "discover", "--no-list", "feed"], workdir, input=yes)
    run([exe, "-c", str(config), "sync", "feed"], workdir, input=yes)
    return items


# --------------------------------------------------------------------------
# khal
# --------------------------------------------------------------------------

def write_khal_config(calendar_dir: Path, workdir: Path) -> Path:
    """Write a khal config for one calendar dir; return its path."""
    workdir = Path(workdir)
    base = workdir / "khal"
    base.mkdir(parents=True, exist_ok=True)
    config = base / "config"
    config.write_text(
        "[calendars]\n"
        "[[feed]]\n"
        f'path = "{Path(calendar_dir).resolve()}"\n'
        "type = calendar\n"
        "readonly = True\n"
        "\n"
        "[sqlite]\n"
        f'path = "{base / "khal.db"}"\n'
        "\n"
        "[locale]\n"
        f"timeformat = {TIME_FORMAT}\n"
        f"dateformat = {DATE_FORMAT}\n"
        f"longdateformat = {DATE_FORMAT}\n"
        f'datetimeformat = "{DATETIME_FORMAT}"\n'
        f'longdatetimeformat = "{DATETIME_FORMAT}"\n'
        f"default_timezone = {TIMEZONE}\n"
        f"local_timezone = {TIMEZONE}\n"
        "firstweekday = 0\n"
        "unicode_symbols = False\n",
        # No [default] default_calendar: khal refuses a read-only one.
        encoding="utf-8",
    )
    return config


def khal_list(calendar_dir: Path, workdir: Path, start: str, end: str,
              fmt: str = "{start-date} {title}", once: bool = False) -> str:
    """List events of calendar_dir between start and end with ``khal list``.

    start/end are in the config's date format (dd/mm/YYYY), or end may be a
    khal range such as ``3d``; the end day is inclusive. Each event is printed
    with ``fmt`` (default ``"{start-date} {title}"``, one line per event).
    The day header lines ("Sunday, 15/11/2026") are suppressed with an empty
    ``--day-format`` (khal then prints nothing for them, not even a blank
    line). Without ``once`` a multi-day event is printed once for every day
    of the range it covers, always with its own start date; ``once=True``
    passes ``--once`` to print it a single time. khal 0.14 also has
    ``--json FIELD`` (repeatable) for machine-readable output.
    Returns khal's stdout.
    """
    config = write_khal_config(calendar_dir, workdir)
    cmd = [tool("khal"), "-c", str(config), "list", "--format", fmt, "--day-format", ""]
    if once:
        cmd.append("--once")
    cmd += [start, end]
    return run(cmd, Path(workdir)).stdout


# --------------------------------------------------------------------------
# todoman
# --------------------------------------------------------------------------

def write_todoman_config(tasks_dir: Path, workdir: Path) -> Path:
    """Write a todoman config (a Python file) for one list dir; return its path."""
    workdir = Path(workdir)
    base = workdir / "todoman"
    base.mkdir(parents=True, exist_ok=True)
    tasks_dir = Path(tasks_dir).resolve()
    config = base / "config.py"
    settings = {
        # A glob; each matching directory is one list, named after the directory.
        "path": glob.escape(str(tasks_dir)),
        "date_format": DATE_FORMAT,
        "time_format": TIME_FORMAT,
        "default_list": tasks_dir.name,
        "default_due": 0,
        "cache_path": str(base / "cache.sqlite3"),
        "color": "never",
        "humanize": False,
    }
    config.write_text(
        "".join(f"{k} = {v!r}\n" for k, v in settings.items()), encoding="utf-8"
    )
    return config


def todoman_list(tasks_dir: Path, workdir: Path) -> list[dict]:
    """All tasks (any status) in tasks_dir, from ``todo --porcelain list``.

    Runs ``todo --config CONFIG --porcelain list --status ANY`` and returns the
    parsed JSON. Porcelain dates ("due", "start", "completed_at") are Unix
    timestamps (int), not date_format strings; a date-only DUE becomes local
    midnight, local being TZ (Asia/Ho_Chi_Minh here). See
    ``todoman_list_text`` for the human format using date_format.
    """
    config = write_todoman_config(tasks_dir, workdir)
    out = run(
        [tool("todo"), "--config", str(config), "--porcelain", "list", "--status", "ANY"],
        Path(workdir),
    ).stdout
    return json.loads(out)


def todoman_list_text(tasks_dir: Path, workdir: Path) -> str:
    """Same listing in todoman's human format (dates in date_format)."""
    config = write_todoman_config(tasks_dir, workdir)
    return run(
        [tool("todo"), "--config", str(config), "--color", "never", "list", "--status", "ANY"],
        Path(workdir),
    ).stdout
