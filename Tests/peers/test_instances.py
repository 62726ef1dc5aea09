"""Several `plancal serve` instances on one PostgreSQL behind nginx (issue 9).

Two instances share a fresh PostgreSQL database; Debian's nginx sends requests to them round
robin. Every acknowledged write (201) must be visible from either instance, none lost, none
duplicated; a browser session opened on one instance is honoured by the other; and after one
instance is killed with SIGKILL in the middle of a load, the same holds for what was
acknowledged.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from icalendar import Calendar

from servelib import (HOST, STARTUP_TIMEOUT, _health_ok, _kill, _start, free_port, run_plancal)

TODAY = "2026-11-29"
PG_URL = os.environ.get("PLANCAL_TEST_POSTGRES_URL")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(not PG_URL, reason="PLANCAL_TEST_POSTGRES_URL is not set (scripts/test.sh starts PostgreSQL)")


def http(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    import http.client
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


@pytest.fixture
def database():
    """A fresh database on the test cluster, dropped afterwards."""
    name = f"plancal_{uuid.uuid4().hex[:10]}"
    subprocess.run(["psql", PG_URL, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    subprocess.run(["psql", PG_URL, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)


class Instance:
    def __init__(self, db: str, folder: Path, name: str):
        self.db, self.log = db, folder / f"{name}.log"
        self.port = free_port()
        self.proc = _start(["serve", "--db", db, "--host", HOST, "--port", str(self.port), "--today", TODAY,
                            "--db-pool", "4"], self.log)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None and not _health_ok(HOST, self.port):
            time.sleep(0.1)
        assert _health_ok(HOST, self.port), self.log.read_text(errors="replace")[-3000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _kill(self.proc)


class Nginx:
    """nginx on loopback, round robin over the instances, with its own config and prefix."""

    def __init__(self, folder: Path, upstreams: list[int]):
        self.port = free_port()
        prefix = folder / "nginx"
        (prefix / "logs").mkdir(parents=True)
        servers = "\n".join(f"        server {HOST}:{p} max_fails=1 fail_timeout=2s;" for p in upstreams)
        (prefix / "nginx.conf").write_text(f"""
worker_processes 1;
user root;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream plancal {{
{servers}
    }}
    server {{
        listen {HOST}:{self.port};
        location / {{
            proxy_pass http://plancal;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_next_upstream error timeout;
        }}
    }}
}}
""")
        self.proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _health_ok(HOST, self.port):
            time.sleep(0.1)
        assert _health_ok(HOST, self.port), self.proc.stderr.read1(4000) if self.proc.poll() is not None else "nginx not up"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def completions_to_make() -> list[dict]:
    """Distinct occurrences the lead unit may record as of TODAY, each with a day it allows."""
    units = ["vhxh", "kthtdt", "cong-an", "mttq", "hoi-lhpn", "hoi-nong-dan"]
    items = [{"occurrence": f"quarterly-news/{y}-Q{q}", "unit": "vhxh", "on": f"10/{3 * q - 1:02d}/{y}",
              "evidence": f"https://x.example/tin/{y}-{q}"} for y in (2025, 2026) for q in (1, 2, 3, 4) if (y, q) != (2026, 4)]
    items += [{"occurrence": f"dissemination/{y}/{u}", "unit": u, "on": f"10/06/{y}"} for y in (2025, 2026) for u in units]
    items += [{"occurrence": f"annual-report/2025/{u}", "unit": u, "on": "10/12/2025"} for u in units if u != "vhxh"]
    return items


def done_in_feed(port: int) -> set[str]:
    """Occurrence ids the instance's all-units feed shows as done (✓)."""
    status, _, body = http(port, "GET", "/calendars/bach-dang/all.ics")
    assert status == 200
    done = set()
    for event in Calendar.from_ical(body).walk("VEVENT"):
        if str(event.get("SUMMARY", "")).startswith("✓"):
            uid = str(event["UID"])
            done.add(uid.split("@")[0] if "@" in uid else uid)
    return done


def records(db: str) -> list[str]:
    return [line for line in run_plancal("history", "--db", db).stdout.splitlines() if line.startswith("#")]


def test_two_instances_behind_nginx_share_every_write(database, tmp_path):
    lead = run_plancal("token", "create", "--unit", "vhxh", "--label", "Chị Lan", "--db", database).stdout.strip()
    a, b = Instance(database, tmp_path, "a"), Instance(database, tmp_path, "b")
    proxy = Nginx(tmp_path, [a.port, b.port])
    try:
        auth = {"Authorization": f"Bearer {lead}", "Content-Type": "application/json"}
        acknowledged = []
        for item in completions_to_make():
            status, _, body = http(proxy.port, "POST", "/api/bach-dang/completions", json.dumps(item).encode(), auth)
            assert status == 201, body
            acknowledged.append(item["occurrence"])
        # Each instance sees every write, whichever instance took it.
        for inst in (a, b):
            compliance = json.loads(http(inst.port, "GET", "/api/bach-dang/compliance?year=2025")[2])
            assert {q["key"] for q in compliance["quarters"] if q["state"] == "met"} == {f"2025-Q{q}" for q in (1, 2, 3, 4)}
            assert compliance["dissemination"]["informed"] == 6
        feeds = [done_in_feed(a.port), done_in_feed(b.port)]
        assert feeds[0] == feeds[1]
        assert len(records(database)) == len(acknowledged), "none lost, none duplicated"

        # A session opened on one instance is honoured by the other (sessions live in the database).
        public = f"{HOST}:{proxy.port}"
        status, headers, _ = http(a.port, "POST", "/plans/bach-dang/login", f"token={lead}".encode(),
                                  {"Host": public, "Origin": f"http://{public}",
                                   "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303
        cookie = headers["Set-Cookie"].split(";")[0]
        status, _, page = http(b.port, "GET", "/plans/bach-dang/occurrences/quarterly-news/2026-Q4",
                               headers={"Host": public, "Cookie": cookie})
        csrf = re.search(rb'name="csrf" value="([0-9a-f]+)"', page)
        assert status == 200 and csrf, page[:400]
        form = (f"csrf={csrf.group(1).decode()}&occurrence=quarterly-news%2F2026-Q4&unit=vhxh&on=2026-11-20"
                "&evidence=https%3A%2F%2Fx.example%2Ftin%2F2026-4").encode()
        status, headers, body = http(b.port, "POST", "/plans/bach-dang/done", form,
                                     {"Host": public, "Origin": f"http://{public}", "Cookie": cookie,
                                      "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303, body[:500]
        assert "quarterly-news/2026-Q4" in done_in_feed(a.port)
        assert len(records(database)) == len(acknowledged) + 1
    finally:
        proxy.stop()
        a.stop()
        b.stop()


def test_an_instance_killed_mid_load_loses_no_acknowledged_write(database, tmp_path):
    lead = run_plancal("token", "create", "--unit", "vhxh", "--label", "Chị Lan", "--db", database).stdout.strip()
    a, b = Instance(database, tmp_path, "a"), Instance(database, tmp_path, "b")
    proxy = Nginx(tmp_path, [a.port, b.port])
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    items = completions_to_make()

    def writer(worker: int):
        n = 0
        auth = {"Authorization": f"Bearer {lead}", "Content-Type": "application/json"}
        while not stop.is_set():
            item = dict(items[(worker * 7 + n) % len(items)])
            # Each request its own note, so a record can be traced to it; correct: a new record every time.
            item["note"] = f"w{worker}-{n}"
            item["correct"] = True
            n += 1
            try:
                status, _, _ = http(proxy.port, "POST", "/api/bach-dang/completions", json.dumps(item).encode(), auth)
            except OSError:
                continue
            if status == 201:
                with lock:
                    acknowledged.append(item["note"])

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    try:
        for t in threads:
            t.start()
        time.sleep(1.5)
        a.proc.send_signal(signal.SIGKILL)
        time.sleep(1.5)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        assert len(acknowledged) > 20, f"only {len(acknowledged)} writes acknowledged"
        history = run_plancal("history", "--db", database).stdout
        notes = re.findall(r"ghi chú: (w\d+-\d+)", history)
        assert len(notes) == len(set(notes)), "a request was stored twice"
        missing = set(acknowledged) - set(notes)
        assert not missing, f"{len(missing)} acknowledged writes lost"
        print(f"{len(acknowledged)} writes acknowledged, {len(notes)} stored, instance killed mid-load")
        # The surviving instance, and a restarted one, serve the same state.
        restarted = Instance(database, tmp_path, "a2")
        try:
            assert done_in_feed(b.port) == done_in_feed(restarted.port)
            assert json.loads(http(b.port, "GET", "/api/bach-dang/compliance")[2]) == \
                json.loads(http(restarted.port, "GET", "/api/bach-dang/compliance")[2])
        finally:
            restarted.stop()
    finally:
        stop.set()
        proxy.stop()
        a.stop()
        b.stop()
