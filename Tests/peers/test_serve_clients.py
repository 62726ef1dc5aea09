"""Real clients against a running ``plancal serve`` on loopback.

vdirsyncer (``http`` storage) subscribes to the served feeds, khal and todoman
read what it synced; a completion posted through the JSON API must show up in
both after a resync. Also the HTTP contract of the feeds (bytes, Content-Type,
ETag/304, HEAD, a bare request) and the server's behaviour under abuse.

Every test gets its own server (fresh database, new port) through
``servelib.running_server``, which also checks the graceful shutdown.
"""

from __future__ import annotations

import http.client
import json
import socket
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import clients
from peerlib import PLAN_DIR
from servelib import Server, request, running_server

PLAN = "bach-dang"
FEED = f"/calendars/{PLAN}/vhxh.ics"
TASKS = f"/calendars/{PLAN}/vhxh-tasks.ics"
API = f"/api/{PLAN}/completions"
OCCURRENCE = "quarterly-news/2026-Q4"
EVIDENCE = "https://bachdang.haiphong.gov.vn/tin-tuc/binh-dang-gioi-quy-iv-2026"

ACTION_MONTH = "15/11/2026 Tháng hành động vì bình đẳng giới"
NEWS_TITLE = "Hạn: Đăng 01 tin, bài về bình đẳng giới trên hệ thống thông tin cơ sở — quý IV/2026"
NEWS_OPEN = f"31/12/2026 {NEWS_TITLE}"
NEWS_DONE = f"31/12/2026 ✓ {NEWS_TITLE}"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def server(tmp_path):
    with running_server(tmp_path / "server") as srv:
        yield srv


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def post_json(srv: Server, obj, token: str | None, raw: bytes | None = None) -> Reply:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = raw if raw is not None else json.dumps(obj, ensure_ascii=False).encode("utf-8")
    return request(srv, "POST", API, body, headers)


def completion(**over) -> dict:
    body = {"occurrence": OCCURRENCE, "unit": "vhxh", "on": "2026-11-20", "evidence": EVIDENCE,
            "note": "Bài đăng trên trang thông tin điện tử phường", "reached": 120}
    body.update(over)
    return body


def history(srv: Server) -> str:
    return srv.plancal("history").stdout


def news_task(todos: list[dict]) -> dict:
    found = [t for t in todos if f"Mã công việc: {OCCURRENCE}" in (t.get("description") or "")]
    assert len(found) == 1, f"expected one VTODO for {OCCURRENCE}, found {len(found)}: " \
                            f"{[t.get('summary') for t in found]}"
    return found[0]


def khal_lines(items, workdir) -> list[str]:
    return clients.khal_list(items, workdir, "15/11/2026", "31/12/2026", once=True).splitlines()


# --------------------------------------------------------------------------
# vdirsyncer + khal + todoman
# --------------------------------------------------------------------------

def test_clients_subscribe_and_see_a_completion(server, tmp_path):
    events_dir, tasks_dir = tmp_path / "events", tmp_path / "tasks"

    # Subscribe.
    events = clients.vdirsyncer_sync(server.url(FEED), events_dir)
    tasks = clients.vdirsyncer_sync(server.url(TASKS), tasks_dir)
    assert len(list(events.glob("*.ics"))) > 100, "vdirsyncer synced too few events"

    lines = khal_lines(events, events_dir)
    assert any(line.startswith(ACTION_MONTH) for line in lines), "\n".join(lines)
    assert NEWS_OPEN in lines, "\n".join(lines)
    assert NEWS_DONE not in lines

    task = news_task(clients.todoman_list(tasks, tasks_dir))
    assert task["summary"] == NEWS_TITLE
    assert task["completed"] is False and task["completed_at"] is None, task
    assert datetime.fromtimestamp(task["due"], TZ).date().isoformat() == "2026-12-31", task

    # Mark done through the API.
    reply = post_json(server, completion(), server.tokens["vhxh"])
    assert reply.status == 201, reply
    rec = reply.json()
    assert (rec["occurrence"], rec["unit"], rec["on"], rec["evidence"], rec["reached"]) == \
        (OCCURRENCE, "vhxh", "2026-11-20", EVIDENCE, 120), rec
    assert rec["alreadyRecorded"] is False

    # Resync: the same subscriptions pick it up.
    events = clients.vdirsyncer_sync(server.url(FEED), events_dir)
    tasks = clients.vdirsyncer_sync(server.url(TASKS), tasks_dir)

    lines = khal_lines(events, events_dir)
    assert NEWS_DONE in lines, "\n".join(lines)
    assert NEWS_OPEN not in lines, "\n".join(lines)
    # Only that occurrence changed.
    assert any(line.startswith(ACTION_MONTH) for line in lines), "\n".join(lines)

    task = news_task(clients.todoman_list(tasks, tasks_dir))
    assert task["completed"] is True, task
    assert task["summary"] == f"✓ {NEWS_TITLE}", task
    assert task["percent"] == 100, task
    assert datetime.fromtimestamp(task["completed_at"], TZ).date().isoformat() == "2026-11-20", task
    assert EVIDENCE in task["description"], task


# --------------------------------------------------------------------------
# HTTP contract of a feed
# --------------------------------------------------------------------------

def test_feed_bytes_and_http_semantics(server):
    committed = (PLAN_DIR / "vhxh.ics").read_bytes()

    full = request(server, "GET", FEED)
    assert full.status == 200, full
    assert full.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert full.body == committed, "served vhxh.ics differs from calendars/bach-dang/vhxh.ics " \
                                   "(run plancal generate, or serve and generate disagree)"
    assert int(full.headers["Content-Length"]) == len(committed)
    etag, last_modified = full.headers["ETag"], full.headers["Last-Modified"]
    assert etag and etag.startswith('"') and etag.endswith('"'), etag
    assert last_modified, full.headers

    # Conditional GET: a client that already has these bytes gets 304 and no body.
    not_modified = request(server, "GET", FEED, headers={"If-None-Match": etag})
    assert not_modified.status == 304, not_modified
    assert not_modified.body == b""
    assert not_modified.headers["ETag"] == etag
    assert request(server, "GET", FEED, headers={"If-None-Match": '"something-else"'}).status == 200
    assert request(server, "GET", FEED, headers={"If-Modified-Since": last_modified}).status == 304

    # A bare request (no Accept, no Accept-Encoding, no User-Agent) still gets the feed.
    bare = request(server, "GET", FEED, bare=True)
    assert bare.status == 200, bare
    assert bare.body == committed
    assert bare.headers["Content-Type"] == "text/calendar; charset=utf-8"

    # HEAD: the same headers, no body.
    head_reply = request(server, "HEAD", FEED)
    assert head_reply.status == 200, head_reply
    assert head_reply.body == b""
    assert head_reply.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert head_reply.headers["ETag"] == etag
    assert int(head_reply.headers["Content-Length"]) == len(committed)

    # The tasks feed is served the same way.
    tasks = request(server, "GET", TASKS)
    assert tasks.status == 200 and tasks.body == (PLAN_DIR / "vhxh-tasks.ics").read_bytes()


def test_http10_request_without_headers(tmp_path):
    """HTTP/1.0, no header at all (old fetchers, `nc`): the feed is served. HTTP/1.0 without
    "Connection: keep-alive" is not persistent (RFC 9112 §9.3), but Hummingbird 2.28 closes a
    connection only when the request says "Connection: close"; plancal bounds the wait with its
    idle timeout (`--idle-timeout`, 30 s by default; 2 s here), so a client reading to EOF gets
    its EOF within it instead of hanging."""
    committed = (PLAN_DIR / "vhxh.ics").read_bytes()
    with running_server(tmp_path, extra_args=("--idle-timeout", "2")) as server, \
            socket.create_connection((server.host, server.port), timeout=30) as s:
        s.sendall(f"GET {FEED} HTTP/1.0\r\n\r\n".encode())
        raw = b""
        while b"\r\n\r\n" not in raw:
            chunk = s.recv(65536)
            assert chunk, raw
            raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0].split(" ")[1] == "200", head[:300]
        fields = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(fields["content-length"])
        while len(body) < length:
            chunk = s.recv(65536)
            assert chunk, (len(body), length)
            body += chunk
        assert body == committed

        s.settimeout(6)
        try:
            rest = s.recv(65536)
        except TimeoutError:
            pytest.fail(f"GET {FEED} HTTP/1.0: the full response came, but the connection stayed "
                        "open past the 2 s idle timeout; an HTTP/1.0 client reading to EOF hangs "
                        f"(response head: {lines[0]!r}, Connection header: {fields.get('connection')!r})")
        assert rest == b"", rest[:200]


# --------------------------------------------------------------------------
# Abuse
# --------------------------------------------------------------------------

def test_server_survives_abuse(server):
    vhxh, cong_an = server.tokens["vhxh"], server.tokens["cong-an"]
    assert "Chưa có bản ghi nào" in history(server)

    # 1 MiB body, declared with Content-Length (even with a valid token).
    big = b'{"note":"' + b"x" * (1 << 20) + b'"}'
    reply = post_json(server, None, vhxh, raw=big)
    assert reply.status == 413, reply
    assert reply.json()["error"]["status"] == 413

    # 1 MiB body, chunked (no Content-Length to check up front).
    with socket.create_connection((server.host, server.port), timeout=30) as s:
        s.sendall((f"POST {API} HTTP/1.1\r\nHost: {server.host}\r\nAuthorization: Bearer {vhxh}\r\n"
                   "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                   "Connection: close\r\n\r\n").encode())
        try:
            for _ in range(16):
                s.sendall(b"10000\r\n" + b"x" * 0x10000 + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer and close before taking it all
        raw = b""
        try:
            while chunk := s.recv(65536):
                raw += chunk
        except ConnectionResetError:
            pass
    assert raw.startswith(b"HTTP/1.1 413"), raw[:300]

    # Malformed JSON.
    reply = post_json(server, None, vhxh, raw=b'{"occurrence": "quarterly-news/2026-Q4", "unit": ')
    assert reply.status == 400, reply
    assert reply.json()["error"]["status"] == 400

    # Wrong type for a field.
    reply = post_json(server, completion(reached="nhiều"), vhxh)
    assert reply.status == 400, reply

    # No token; a bogus token.
    reply = post_json(server, completion(), None)
    assert reply.status == 401, reply
    assert reply.headers["WWW-Authenticate"], reply
    assert post_json(server, completion(), "pc_00000000_" + "0" * 48).status == 401

    # A cong-an token writing for vhxh.
    reply = post_json(server, completion(), cong_an)
    assert reply.status == 403, reply
    assert reply.json()["error"].get("field") == "unit", reply

    # Path traversal, encoded and not.
    for path in ("/calendars/..%2F..%2Fetc%2Fpasswd",
                 f"/calendars/{PLAN}/..%2F..%2Fetc%2Fpasswd",
                 f"/calendars/{PLAN}/../../etc/passwd",
                 f"/calendars/{PLAN}/%2e%2e%2fplan.yaml",
                 f"/calendars/{PLAN}/vhxh.ics%00",
                 f"/plans/{PLAN}/occurrences/..%2F..%2F..%2Fetc%2Fpasswd"):
        reply = request(server, "GET", path)
        assert reply.status == 404, (path, reply)
        assert b"root:" not in reply.body and b"obligations:" not in reply.body, (path, reply)

    # Still alive, still serving, nothing recorded.
    assert server.alive(), server.log_text()
    health = request(server, "GET", "/health")
    assert (health.status, health.body) == (200, b"ok"), health
    assert request(server, "GET", FEED).body == (PLAN_DIR / "vhxh.ics").read_bytes()
    text = history(server)
    assert "Chưa có bản ghi nào" in text and "#1" not in text, text


# --------------------------------------------------------------------------
# Fetch log on the dashboard
# --------------------------------------------------------------------------

@pytest.mark.parametrize("origin, allowed", [
    ("SAME", True),
    # No Origin: the Referer decides (OWASP's CSRF guidance); neither is refused.
    (None, False),
    ("REFERER http://evil.example/x", False),
    ("REFERER SAME/plans/bach-dang/login", True),
    ("http://127.0.0.1:1", False),          # same host, another port: another site
    # Another scheme is another origin (RFC 6454): the server speaks plain HTTP here; behind a
    # TLS proxy, --base-url https://… names the https origin (tested in RouteTests).
    ("https://SAMEHOSTPORT", False),
    ("http://evil.example", False),
    ("null", False),
])
def test_login_form_origin_check(server, origin, allowed):
    authority = f"{server.host}:{server.port}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if origin is not None:
        origin = origin.replace("SAMEHOSTPORT", authority).replace("SAME", f"http://{authority}")
        if origin.startswith("REFERER "):
            headers["Referer"] = origin[len("REFERER "):]
        else:
            headers["Origin"] = origin
    body = f"token={server.tokens['cong-an']}".encode()
    reply = request(server, "POST", f"/plans/{PLAN}/login", body, headers)
    if allowed:
        assert reply.status == 303 and "plancal_session" in reply.headers.get("Set-Cookie", ""), reply
    else:
        assert reply.status == 403 and reply.headers.get("Set-Cookie") is None, reply


def test_dashboard_fetch_log_names_the_client(server):
    dash = request(server, "GET", f"/plans/{PLAN}")
    assert dash.status == 200
    assert "Google-Calendar-Importer" not in dash.body.decode("utf-8")

    reply = request(server, "GET", FEED, headers={"User-Agent": "Google-Calendar-Importer"})
    assert reply.status == 200

    dash = request(server, "GET", f"/plans/{PLAN}")
    assert dash.status == 200, dash
    html = dash.body.decode("utf-8")
    assert "Google-Calendar-Importer" in html, html[html.find('id="fetches"'):][:1500]
    section = html[html.find('id="fetches"'):]
    assert "vhxh.ics" in section[:section.find("</section>")]


# --------------------------------------------------------------------------
# Shutdown with a client still connected
# --------------------------------------------------------------------------

def test_graceful_shutdown_with_idle_keepalive_connection(tmp_path):
    """A subscribed client (or a browser) may hold a keep-alive connection open;
    SIGTERM must still stop the server within 10 s with code 0 (checked by servelib)."""
    with running_server(tmp_path / "server") as srv:
        conn = srv.connection()
        conn.request("GET", "/health")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == b"ok"
        assert not resp.will_close  # HTTP/1.1 keep-alive: the connection stays open
        assert conn.sock is not None
        # Leaving the `with` sends SIGTERM while this connection is idle and open.
    conn.close()


def test_host_header_does_not_choose_subscribe_links(server):
    """A client chooses its Host header: the subscribe links on the pages never come from it
    (they come from --base-url, else the plan's public_base_url, else the listen address)."""
    for path in (f"/plans/{PLAN}", f"/plans/{PLAN}/units/vhxh"):
        reply = request(server, "GET", path, headers={"Host": "evil.example"})
        assert reply.status == 200, reply
        html = reply.body.decode("utf-8")
        assert "evil.example" not in html
        assert "webcal://" in html


# --------------------------------------------------------------------------
# Secrets and methods (issue 20)
# --------------------------------------------------------------------------


def test_trace_log_holds_no_access_code(tmp_path):
    """The whole log of a server at --log-level trace, after a sign-in link, an API write and a
    sign-in form: no secret part of any code, the link's code shown as ma=pc_…[ẩn]."""
    with running_server(tmp_path / "server", extra_args=("--log-level", "trace")) as srv:
        lead, police = srv.tokens["vhxh"], srv.tokens["cong-an"]
        assert request(srv, "GET", f"/plans/{PLAN}/login?ma={lead}").status == 200
        figure = {"target": "G3.T2", "unit": "cong-an", "year": 2026, "values": {"victims-detected": 4}, "note": "x"}
        reply = request(srv, "POST", f"/api/{PLAN}/figures", json.dumps(figure).encode(),
                        {"Content-Type": "application/json", "Authorization": f"Bearer {police}"})
        assert reply.status == 201, reply
        origin = f"http://{srv.host}:{srv.port}"
        reply = request(srv, "POST", f"/plans/{PLAN}/login", f"token={police}".encode(),
                        {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin})
        assert reply.status == 303, reply
    log = srv.log_text()
    assert "ma=pc_…[ẩn]" in log, log[-3000:]
    assert "Bearer [ẩn]" in log, log[-3000:]
    for token in (lead, police):
        assert token.rsplit("_", 1)[-1] not in log, "a secret in the log"


@pytest.mark.parametrize("method", ["OPTIONS", "POST", "PUT", "DELETE"])
def test_feed_other_methods_are_405(server, method):
    reply = request(server, method, FEED, b"" if method != "OPTIONS" else None)
    assert reply.status == 405, reply
    assert reply.headers.get("Allow") == "GET, HEAD", reply


def test_feed_range_is_answered_whole(server):
    whole = request(server, "GET", FEED)
    ranged = request(server, "GET", FEED, None, {"Range": "bytes=0-9"})
    assert ranged.status == 200 and ranged.body == whole.body, ranged
