"""Run ``plancal serve`` for a test: fresh database, unit tokens, a free loopback port.

Helpers only, no tests and no fixtures. Use it as a context manager::

    with running_server(tmp_path) as srv:
        urllib.request.urlopen(srv.url("/health"))
        srv.tokens["vhxh"]          # bearer token of the lead unit
        srv.plancal("history")      # the CLI on the same database

On entry it creates ``tmp_path/plancal.sqlite`` with ``plancal token create``
(tokens for vhxh, cong-an and mttq, read from stdout), picks a free port on
127.0.0.1, starts ``plancal serve --db ... --port ... --today ...`` with the
repository root as cwd (so the default plan path works), stdout and stderr
going to ``tmp_path/serve.log``, and waits until ``GET /health`` answers
(30 s, else the test fails with the log).

On exit it sends SIGTERM and requires a graceful shutdown: the process must
exit within 10 s with code 0, or it is killed and the test fails with the log.

The binary is ``$PLANCAL_BIN`` or ``.build/debug/plancal``; another engineer
may be rebuilding it, so a missing or busy binary is waited for (up to
``$PLANCAL_BIN_WAIT`` seconds, default 300) rather than failing at once.
"""

from __future__ import annotations

import errno
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from peerlib import REPO_ROOT

HOST = "127.0.0.1"
PLAN_ID = "bach-dang"
TOKEN_UNITS = ("vhxh", "cong-an", "mttq")
STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 10.0
BIN_WAIT_SECONDS = float(os.environ.get("PLANCAL_BIN_WAIT", "300"))
_BUSY = (errno.ENOENT, errno.ETXTBSY, errno.EACCES)


def plancal_binary() -> Path:
    """$PLANCAL_BIN (relative paths are taken from the repo root), else .build/debug/plancal."""
    p = Path(os.environ.get("PLANCAL_BIN", ".build/debug/plancal"))
    p = p if p.is_absolute() else REPO_ROOT / p
    deadline = time.monotonic() + BIN_WAIT_SECONDS
    while not (p.is_file() and os.access(p, os.X_OK)):
        if time.monotonic() > deadline:
            pytest.fail(f"plancal binary {p} missing after {BIN_WAIT_SECONDS:.0f}s (set PLANCAL_BIN)")
        time.sleep(1)
    return p


def plancal_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PLANCAL_DB", None)  # never the real database
    env["LANG"] = env["LC_ALL"] = "C.UTF-8"
    return env


def run_plancal(*args, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    """Run the plancal CLI in the repo root (text mode); retried while the binary is being replaced."""
    deadline = time.monotonic() + BIN_WAIT_SECONDS
    while True:
        cmd = [str(plancal_binary()), *map(str, args)]
        try:
            proc = subprocess.run(cmd, cwd=REPO_ROOT, env=plancal_env(), capture_output=True, text=True,
                                  encoding="utf-8", errors="replace", timeout=timeout,
                                  stdin=subprocess.DEVNULL)
            break
        except OSError as e:
            if e.errno not in _BUSY or time.monotonic() > deadline:
                raise
            time.sleep(1)
    if check and proc.returncode != 0:
        pytest.fail(f"plancal {' '.join(map(str, args))} exited {proc.returncode}\n"
                    f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}",
                    pytrace=False)
    return proc


def free_port(host: str = HOST) -> int:
    """A port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running ``plancal serve``."""

    base_url: str
    host: str
    port: int
    tokens: dict[str, str]
    db: Path | str
    log: Path
    today: str
    proc: subprocess.Popen = field(repr=False)
    # Set by a test that sent SIGTERM itself (and checked the exit): nothing left to stop.
    stopped: bool = False

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"

    def plancal(self, *args, check: bool = True) -> subprocess.CompletedProcess:
        """The CLI with ``--db`` set to this server's database."""
        return run_plancal(*args, "--db", self.db, check=check)

    def connection(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def alive(self) -> bool:
        return self.proc.poll() is None


def _tail(text: str, n: int = 6000) -> str:
    return text if len(text) <= n else "…" + text[-n:]


def _health_ok(host: str, port: int) -> bool:
    try:
        conn = http.client.HTTPConnection(host, port, timeout=2)
        try:
            conn.request("GET", "/health")
            resp = conn.getresponse()
            resp.read()
            return resp.status == 200
        finally:
            conn.close()
    except OSError:
        return False


def _start(cmd_args: list[str], log_path: Path, run_as: str | None = None) -> subprocess.Popen:
    deadline = time.monotonic() + BIN_WAIT_SECONDS
    while True:
        cmd = [str(plancal_binary()), *cmd_args]
        if run_as:
            cmd = ["runuser", "-u", run_as, "--", *cmd]
        log = open(log_path, "ab")
        try:
            return subprocess.Popen(cmd, cwd=REPO_ROOT, env=plancal_env(), stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT)
        except OSError as e:
            if e.errno not in _BUSY or time.monotonic() > deadline:
                raise
            time.sleep(1)
        finally:
            log.close()  # the child keeps its own descriptor


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def stop(server: Server) -> str | None:
    """SIGTERM, then wait; returns None on a graceful exit (code 0), else what went wrong."""
    proc = server.proc
    if server.stopped and proc.poll() == 0:
        return None
    if proc.poll() is not None:
        return f"plancal serve had already exited with code {proc.returncode} before shutdown"
    # Started through runuser: signal the server itself (runuser then exits with its code).
    target = proc.pid
    if isinstance(proc.args, list) and proc.args and proc.args[0] == "runuser":
        try:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            target = int(children[0]) if children else proc.pid
        except OSError:
            pass
    os.kill(target, signal.SIGTERM)
    try:
        code = proc.wait(timeout=SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill(proc)
        return f"plancal serve did not exit within {SHUTDOWN_TIMEOUT:.0f}s of SIGTERM (killed)"
    if code != 0:
        return f"plancal serve exited with code {code} after SIGTERM (expected 0)"
    return None


def fresh_postgres_database() -> str | None:
    """With PLANCAL_PEER_ENGINE=postgres (scripts/test.sh's second pass), a new, empty database
    on the test cluster for one server: its URL. Otherwise None (SQLite)."""
    admin = os.environ.get("PLANCAL_TEST_POSTGRES_URL", "")
    if os.environ.get("PLANCAL_PEER_ENGINE") != "postgres" or not admin:
        return None
    name = f"plancal_peer_{uuid.uuid4().hex[:12]}"
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return admin.rsplit("/", 1)[0] + "/" + name


@contextmanager
def running_server(tmp_path: Path, today: str | None = "2026-11-29", *,
                   extra_args: tuple[str, ...] = (), db: Path | None = None,
                   run_as: str | None = None, prepare=None) -> Iterator[Server]:
    """Start ``plancal serve`` on a fresh database in tmp_path; stop it gracefully on exit.

    ``today=None`` omits ``--today`` (the real date). ``extra_args`` are appended to
    the serve command (e.g. ``("--base-url", "https://x.example")``). ``db`` names the
    database (tokens are made in it first), ``prepare(db)`` runs after that and before the
    server starts, and ``run_as`` starts the server as another user (``runuser``).
    """
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = Path(db) if db is not None else (fresh_postgres_database() or tmp_path / "plancal.sqlite")
    log = tmp_path / "serve.log"

    tokens: dict[str, str] = {}
    for unit in TOKEN_UNITS:
        out = run_plancal("token", "create", "--unit", unit, "--db", db).stdout.strip()
        assert out and len(out.splitlines()) == 1 and " " not in out, \
            f"token create --unit {unit} should print only the token on stdout, got {out!r}"
        tokens[unit] = out
    if prepare is not None:
        prepare(db)

    proc = None
    for _attempt in range(3):  # the free port may be taken between probe and bind
        port = free_port()
        args = ["serve", "--db", str(db), "--host", HOST, "--port", str(port)]
        if today is not None:
            args += ["--today", today]
        args += list(extra_args)
        with open(log, "ab") as f:
            f.write(f"$ plancal {' '.join(args)}\n".encode())
        proc = _start(args, log, run_as)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if _health_ok(HOST, port):
                break
            time.sleep(0.1)
        if proc.poll() is None and _health_ok(HOST, port):
            break
        text = log.read_text(encoding="utf-8", errors="replace")
        if proc.poll() is not None and ("in use" in text.lower() or "đang được một chương trình khác dùng" in text):
            continue  # port race: try another
        _kill(proc)
        pytest.fail(f"plancal serve did not answer GET /health within {STARTUP_TIMEOUT:.0f}s "
                    f"(exit code {proc.returncode})\n--- {log} ---\n{_tail(text)}", pytrace=False)
    else:
        pytest.fail(f"plancal serve could not bind a free port\n--- {log} ---\n"
                    f"{_tail(log.read_text(encoding='utf-8', errors='replace'))}", pytrace=False)

    server = Server(base_url=f"http://{HOST}:{port}", host=HOST, port=port, tokens=tokens, db=db,
                    log=log, today=today or "", proc=proc)
    failed = False
    try:
        yield server
    except BaseException:
        failed = True
        raise
    finally:
        problem = stop(server)
        if problem and not failed:
            pytest.fail(f"{problem}\n--- {log} ---\n{_tail(server.log_text())}", pytrace=False)
        elif problem:
            # The test already failed; keep its error, but leave a trace of this one.
            print(f"[servelib] {problem}", file=sys.stderr)
            with open(log, "a", encoding="utf-8") as f:
                f.write(f"\n[servelib] {problem}\n")


class Reply:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return f"<{self.status} {dict(self.headers)} {self.body[:300]!r}>"


def request(srv: Server, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, *, bare: bool = False) -> Reply:
    """One request on a fresh connection. ``bare``: send no header but Host (no Accept,
    no Accept-Encoding, no User-Agent)."""
    conn = srv.connection()
    try:
        hdrs = dict(headers or {})
        conn.putrequest(method, path, skip_accept_encoding=True, skip_host="Host" in hdrs)
        if body is not None:
            hdrs.setdefault("Content-Length", str(len(body)))
        if not bare:
            hdrs.setdefault("User-Agent", "plancal-peer-tests")
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders()
        if body is not None:
            conn.send(body)
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()
