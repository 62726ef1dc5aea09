"""Shared fixtures for the peer tests (Python checks of plancal's CLI and feeds).

The tests never build plancal: they run an already-built binary, by default
``.build/debug/plancal`` in the repository (``PLANCAL_BIN`` overrides it).
Another engineer may be rebuilding that binary while the tests run, so a
missing or busy binary is waited for (up to ``PLANCAL_BIN_WAIT`` seconds,
default 300) instead of failing at once.

Every CLI call goes through the ``run`` fixture: cwd is the repository root,
output is text (UTF-8), and the environment never points at a real database
(``PLANCAL_DB`` is removed; tests pass ``--db`` into a tmp_path themselves).
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# Lets test modules `import clients` / `import peerlib` regardless of pytest's import mode.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from peerlib import PLAN_FILE, REPO_ROOT  # noqa: E402

BIN_WAIT_SECONDS = float(os.environ.get("PLANCAL_BIN_WAIT", "300"))


def plancal_path() -> Path:
    """The binary under test: $PLANCAL_BIN, else .build/debug/plancal (relative to the repo)."""
    p = Path(os.environ.get("PLANCAL_BIN", ".build/debug/plancal"))
    return p if p.is_absolute() else REPO_ROOT / p


def wait_for_binary(path: Path, timeout: float = BIN_WAIT_SECONDS) -> Path:
    """Wait until the binary exists and is executable (it may be mid-rebuild)."""
    deadline = time.monotonic() + timeout
    while True:
        if path.is_file() and os.access(path, os.X_OK):
            return path
        if time.monotonic() > deadline:
            pytest.fail(f"plancal binary {path} missing or not executable after {timeout:.0f}s "
                        "(build it, or set PLANCAL_BIN)")
        time.sleep(1)


def plancal_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PLANCAL_DB", None)  # never the real database
    env["LANG"] = env["LC_ALL"] = "C.UTF-8"
    env.setdefault("USER", "peer-tests")
    return env


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (the folder holding Package.swift)."""
    assert (REPO_ROOT / "Package.swift").is_file(), REPO_ROOT
    return REPO_ROOT


@pytest.fixture(scope="session")
def plan_file(repo_root) -> Path:
    return PLAN_FILE


@pytest.fixture(scope="session")
def plancal() -> str:
    """Path of the plancal binary (waits while it is being rebuilt)."""
    return str(wait_for_binary(plancal_path()))


class Runner:
    """Calls the plancal CLI: ``run(*args, check=True)`` -> CompletedProcess (text)."""

    def __init__(self, binary: str, cwd: Path):
        self.binary = binary
        self.cwd = cwd
        self.env = plancal_env()

    def cmd(self, *args: str) -> list[str]:
        return [self.binary, *map(str, args)]

    def __call__(self, *args, check: bool = True, binary: bool = False, timeout: float = 120,
                 **kwargs) -> subprocess.CompletedProcess:
        cmd = self.cmd(*args)
        deadline = time.monotonic() + BIN_WAIT_SECONDS
        while True:
            try:
                if binary:
                    proc = subprocess.run(cmd, cwd=self.cwd, env=self.env, capture_output=True,
                                          timeout=timeout, stdin=subprocess.DEVNULL, **kwargs)
                else:
                    proc = subprocess.run(cmd, cwd=self.cwd, env=self.env, capture_output=True,
                                          text=True, encoding="utf-8", errors="replace",
                                          timeout=timeout, stdin=subprocess.DEVNULL, **kwargs)
                break
            except OSError as e:
                # The binary is being replaced by a rebuild: wait and retry.
                if e.errno not in (errno.ENOENT, errno.ETXTBSY, errno.EACCES) or time.monotonic() > deadline:
                    raise
                time.sleep(1)
        if check and proc.returncode != 0:
            out = proc.stdout if isinstance(proc.stdout, str) else proc.stdout.decode("utf-8", "replace")
            err = proc.stderr if isinstance(proc.stderr, str) else proc.stderr.decode("utf-8", "replace")
            pytest.fail(f"plancal {' '.join(map(str, args))} exited {proc.returncode}\n"
                        f"--- stdout ---\n{out[-4000:]}\n--- stderr ---\n{err[-4000:]}", pytrace=False)
        return proc


@pytest.fixture(scope="session")
def run(plancal, repo_root) -> Runner:
    """``run(*args, check=True)``: run plancal with args in the repo root; CompletedProcess (text)."""
    return Runner(plancal, repo_root)


# The other engineer may rebuild the binary while the tests run; results that straddle a
# rebuild compare two different programs. Say so at the end of the run.
_BIN_STAT_AT_START: tuple[int, int] | None = None


def _bin_stat() -> tuple[int, int] | None:
    try:
        st = plancal_path().stat()
        return (st.st_mtime_ns, st.st_size)
    except OSError:
        return None


def pytest_sessionstart(session):
    global _BIN_STAT_AT_START
    _BIN_STAT_AT_START = _bin_stat()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    now = _bin_stat()
    if _BIN_STAT_AT_START is not None and now != _BIN_STAT_AT_START:
        terminalreporter.write_sep(
            "!", f"WARNING: {plancal_path()} was rebuilt during this run; re-run before trusting failures",
            yellow=True)
