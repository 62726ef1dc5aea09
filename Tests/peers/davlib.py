"""Raw CalDAV helpers for the peer tests of ``plancal serve``'s DAV side (issue 18).

Helpers only, no tests and no fixtures. The real clients (python ``caldav``, vdirsyncer,
todoman, caldav-server-tester) drive the server in Tests/peers/test_caldav.py; these helpers
are for what a test must see byte for byte: status codes, headers, the ``DAV:error`` bodies,
multistatus answers (PROPFIND, REPORT sync-collection), and the server's own item text.

URLs follow the README's "CalDAV: the reference": ``/dav/`` is the DAV root,
``/dav/principals/<plan>/<unit>/`` a unit's principal, ``/dav/calendars/<plan>/<unit>/`` its
home with ``tasks/``, ``events/`` and (lead unit only) ``all-tasks/``; an item is
``<collection>/<occurrence id with / replaced by _>.ics``.
"""

from __future__ import annotations

import base64
import csv
import http.client
import io
import re
import signal
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import icalendar

import servelib
from servelib import HOST, Reply, Server, STARTUP_TIMEOUT, request, run_plancal

PLAN = "bach-dang"
D = "DAV:"
C = "urn:ietf:params:xml:ns:caldav"
CS = "http://calendarserver.org/ns/"
NS = {"D": D, "C": C, "CS": CS}

# Letters only Vietnamese uses among the Latin scripts (ă â đ ê ô ơ ư and the precomposed tone
# marks U+1EA0..U+1EF9): a message holding one is Vietnamese, not an English default.
_VIETNAMESE = re.compile("[ăâđêôơưĂÂĐÊÔƠƯ\u1EA0-\u1EF9]")


def is_vietnamese(text: str | None) -> bool:
    return bool(text) and bool(_VIETNAMESE.search(text))


def q(tag: str) -> str:
    """``"D:getetag"`` -> ``"{DAV:}getetag"``."""
    prefix, _, local = tag.partition(":")
    return f"{{{NS[prefix]}}}{local}"


# --------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------

def home(unit: str, plan: str = PLAN) -> str:
    return f"/dav/calendars/{plan}/{unit}/"


def principal(unit: str, plan: str = PLAN) -> str:
    return f"/dav/principals/{plan}/{unit}/"


def collection(unit: str, name: str = "tasks", plan: str = PLAN) -> str:
    return f"{home(unit, plan)}{name}/"


def item_name(occurrence: str) -> str:
    return occurrence.replace("/", "_") + ".ics"


def item(unit: str, occurrence: str, name: str = "tasks", plan: str = PLAN) -> str:
    return collection(unit, name, plan) + item_name(occurrence)


def task_uid(occurrence: str, plan: str = PLAN) -> str:
    return f"task/{occurrence}@{plan}.plancal"


def occurrence_of(uid: str) -> str:
    """``task/quarterly-news/2026-Q4@bach-dang.plancal`` -> ``quarterly-news/2026-Q4``."""
    occ = uid.split("@", 1)[0]
    return occ[len("task/"):] if occ.startswith("task/") else occ


# --------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------

def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode("utf-8")).decode("ascii")


def dav(srv: Server, method: str, path: str, body: bytes | str | None = None, *,
        auth: tuple[str, str] | None = None, headers: dict[str, str] | None = None,
        user_agent: str = "plancal-peer-tests/caldav") -> Reply:
    """One DAV request on a fresh connection, with HTTP Basic when ``auth`` = (user, password)."""
    hdrs = {"User-Agent": user_agent}
    if auth is not None:
        hdrs["Authorization"] = basic(*auth)
    if isinstance(body, str):
        body = body.encode("utf-8")
    if body is not None and method in ("PROPFIND", "REPORT", "PROPPATCH", "MKCALENDAR", "MKCOL"):
        hdrs["Content-Type"] = 'application/xml; charset="utf-8"'
    if body is not None and method == "PUT":
        hdrs["Content-Type"] = "text/calendar; charset=utf-8"
    hdrs.update(headers or {})
    return request(srv, method, path, body, hdrs)


def put_large(srv: Server, path: str, body: bytes, auth: tuple[str, str],
              headers: dict[str, str] | None = None, *, chunked: bool = False) -> Reply:
    """PUT a large body on a raw socket (with Content-Length, or chunked: no length to check up
    front), tolerating a server that answers (413) and closes before it has read it all."""
    hdrs = {"Host": f"{srv.host}:{srv.port}", "Authorization": basic(*auth),
            "Content-Type": "text/calendar; charset=utf-8", "User-Agent": "plancal-peer-tests/caldav",
            "Connection": "close"}
    if chunked:
        hdrs["Transfer-Encoding"] = "chunked"
        step = 0x10000
        payload = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + step]), body[i:i + step])
                           for i in range(0, len(body), step)) + b"0\r\n\r\n"
    else:
        hdrs["Content-Length"] = str(len(body))
        payload = body
    hdrs.update(headers or {})
    head = f"PUT {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    raw = b""
    with socket.create_connection((srv.host, srv.port), timeout=30) as s:
        s.sendall(head.encode("utf-8"))
        try:
            s.sendall(payload)
        except OSError:
            pass  # the server may answer and close before taking it all
        try:
            while chunk := s.recv(65536):
                raw += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    m = re.match(rb"HTTP/1\.[01] (\d{3})[^\r\n]*\r\n", raw)
    assert m, f"no HTTP status line in the answer to a {len(body)}-byte PUT: {raw[:300]!r}"
    stream = io.BytesIO(raw[m.end():])
    fields = http.client.parse_headers(stream)
    rest = stream.read()
    if "Content-Length" in fields:
        rest = rest[:int(fields["Content-Length"])]
    return Reply(int(m.group(1)), fields, rest)


# --------------------------------------------------------------------------
# Bodies
# --------------------------------------------------------------------------

def propfind_body(*props: str) -> str:
    inner = "".join(f"<{p}/>" for p in props)
    return (f'<?xml version="1.0" encoding="utf-8"?>'
            f'<D:propfind xmlns:D="DAV:" xmlns:C="{C}" xmlns:CS="{CS}"><D:prop>{inner}</D:prop></D:propfind>')


def sync_collection_body(token: str = "", *props: str) -> str:
    inner = "".join(f"<{p}/>" for p in (props or ("D:getetag",)))
    tok = f"<D:sync-token>{token}</D:sync-token>" if token else "<D:sync-token/>"
    return (f'<?xml version="1.0" encoding="utf-8"?>'
            f'<D:sync-collection xmlns:D="DAV:" xmlns:C="{C}">{tok}<D:sync-level>1</D:sync-level>'
            f"<D:prop>{inner}</D:prop></D:sync-collection>")


PROPPATCH_DISPLAYNAME = ('<?xml version="1.0" encoding="utf-8"?>'
                         '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
                         "<D:displayname>Đổi tên</D:displayname></D:prop></D:set></D:propertyupdate>")

MKCALENDAR_BODY = (f'<?xml version="1.0" encoding="utf-8"?>'
                   f'<C:mkcalendar xmlns:D="DAV:" xmlns:C="{C}"><D:set><D:prop>'
                   "<D:displayname>Lịch mới</D:displayname></D:prop></D:set></C:mkcalendar>")


# --------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------

@dataclass
class DavResponse:
    """One ``D:response`` of a multistatus: its href, status (if given at response level) and
    the properties found with a 2xx propstat (element by Clark name) and those refused."""

    href: str
    status: str | None
    found: dict[str, ET.Element]
    missing: dict[str, str]

    def text(self, prop: str) -> str | None:
        el = self.found.get(q(prop))
        return None if el is None else (el.text or "").strip()

    def hrefs(self, prop: str) -> list[str]:
        el = self.found.get(q(prop))
        return [] if el is None else [unquote(urlsplit((h.text or "").strip()).path) for h in el.iter(q("D:href"))]

    def children(self, prop: str) -> set[str]:
        el = self.found.get(q(prop))
        return set() if el is None else {c.tag for c in el.iter() if c is not el}


@dataclass
class Multistatus:
    responses: list[DavResponse]
    sync_token: str | None

    def by_href(self) -> dict[str, DavResponse]:
        return {r.href: r for r in self.responses}


def parse_multistatus(reply: Reply) -> Multistatus:
    assert reply.status == 207, f"expected 207 Multi-Status, got {reply!r}"
    ctype = reply.headers.get("Content-Type", "")
    assert "xml" in ctype, f"multistatus with Content-Type {ctype!r}"
    root = ET.fromstring(reply.body)
    assert root.tag == q("D:multistatus"), root.tag
    out = []
    for resp in root.findall("D:response", NS):
        # Paths, whether the server wrote a path or an absolute URL (both are allowed).
        href = unquote(urlsplit((resp.findtext("D:href", default="", namespaces=NS) or "").strip()).path)
        status = resp.findtext("D:status", default=None, namespaces=NS)
        found: dict[str, ET.Element] = {}
        missing: dict[str, str] = {}
        for ps in resp.findall("D:propstat", NS):
            st = ps.findtext("D:status", default="", namespaces=NS)
            code = int(st.split()[1]) if len(st.split()) > 1 else 0
            prop_el = ps.find("D:prop", NS)
            for prop in (list(prop_el) if prop_el is not None else []):
                if 200 <= code < 300:
                    found[prop.tag] = prop
                else:
                    missing[prop.tag] = st
        out.append(DavResponse(href, status.strip() if status else None, found, missing))
    token = root.findtext("D:sync-token", default=None, namespaces=NS)
    return Multistatus(out, token.strip() if token else None)


def dav_error(reply: Reply) -> tuple[ET.Element, str]:
    """The ``D:error`` body of a refusal: (root element, responsedescription text).

    Fails unless the body is XML whose root is ``DAV:error`` holding a non-empty Vietnamese
    ``DAV:responsedescription`` (the spec's "D:error body holding a Vietnamese
    D:responsedescription")."""
    ctype = reply.headers.get("Content-Type", "")
    assert "xml" in ctype, f"refusal {reply.status} with Content-Type {ctype!r}, not XML: {reply!r}"
    try:
        root = ET.fromstring(reply.body)
    except ET.ParseError as e:
        raise AssertionError(f"refusal {reply.status}: body is not XML ({e}): {reply.body[:500]!r}") from None
    assert root.tag == q("D:error"), f"refusal {reply.status}: root element {root.tag}, not DAV:error: {reply.body[:500]!r}"
    desc = root.find(".//D:responsedescription", NS)
    text = "" if desc is None else "".join(desc.itertext()).strip()
    assert is_vietnamese(text), \
        f"refusal {reply.status}: DAV:responsedescription missing or not Vietnamese: {text!r} in {reply.body[:500]!r}"
    return root, text


def has_condition(root: ET.Element, tag: str) -> bool:
    return root.find(q(tag)) is not None or root.find(f".//{q(tag)}") is not None


# --------------------------------------------------------------------------
# Items
# --------------------------------------------------------------------------

def vtodos(body: bytes) -> list[icalendar.Todo]:
    cal = icalendar.Calendar.from_ical(body)
    return [c for c in cal.subcomponents if c.name == "VTODO"]


def one_vtodo(body: bytes) -> icalendar.Todo:
    todos = vtodos(body)
    cal = icalendar.Calendar.from_ical(body)
    others = [c.name for c in cal.subcomponents if c.name not in ("VTODO", "VTIMEZONE")]
    assert len(todos) == 1 and not others, f"expected one VTODO, got {len(todos)} and {others}"
    return todos[0]


def edit_item(body: bytes, **changes) -> bytes:
    """The item's text with properties replaced (value None: removed), as a client writes it back.

    Keys are property names with ``_`` for ``-`` (``PERCENT_COMPLETE=100``)."""
    cal = icalendar.Calendar.from_ical(body)
    [todo] = [c for c in cal.subcomponents if c.name == "VTODO"]
    for key, value in changes.items():
        name = key.replace("_", "-").upper()
        todo.pop(name, None)
        if value is not None:
            todo.add(name, value)
    return cal.to_ical()


def status_of(body: bytes) -> str:
    return str(one_vtodo(body).get("STATUS", "NEEDS-ACTION"))


def description_of(body: bytes) -> str:
    return str(one_vtodo(body).get("DESCRIPTION", ""))


# --------------------------------------------------------------------------
# The CLI
# --------------------------------------------------------------------------

HISTORY_LINE = re.compile(r"^#\d+ ", re.M)


def history_text(db) -> str:
    return run_plancal("history", "--db", db).stdout


def history_count(db) -> int:
    return len(HISTORY_LINE.findall(history_text(db)))


def history_rows(db) -> list[dict[str, str]]:
    """``plancal history --format csv`` as dicts (the BOM dropped)."""
    text = run_plancal("history", "--format", "csv", "--db", db).stdout.lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


def create_token(db, unit: str, label: str) -> str:
    out = run_plancal("token", "create", "--unit", unit, "--label", label, "--db", db).stdout.strip()
    assert out and len(out.splitlines()) == 1 and " " not in out, out
    return out


def token_id(db, label: str) -> str:
    """The id (first column of ``plancal token list``) of the one token with that label."""
    lines = [line for line in run_plancal("token", "list", "--db", db).stdout.splitlines()
             if f"người giữ: {label} " in line + " "]
    assert len(lines) == 1, f"expected one token labelled {label!r}: {lines}"
    return lines[0].split()[0]


# --------------------------------------------------------------------------
# A server we stop ourselves (SIGKILL) or run twice on one database
# --------------------------------------------------------------------------

class Instance:
    """``plancal serve`` on ``db`` (a SQLite path or a PostgreSQL URL), started without
    servelib.running_server so a test may kill it with SIGKILL. Duck-types servelib.Server
    for ``request``/``dav`` (host, port, connection, url)."""

    def __init__(self, db, folder: Path, name: str, today: str = "2026-11-29"):
        self.db, self.host, self.today = db, HOST, today
        self.log = Path(folder) / f"{name}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):
            self.port = servelib.free_port()
            self.proc = servelib._start(["serve", "--db", str(db), "--host", HOST, "--port", str(self.port),
                                         "--today", today, "--db-pool", "4"], self.log)
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None \
                    and not servelib._health_ok(HOST, self.port):
                time.sleep(0.1)
            if servelib._health_ok(HOST, self.port):
                return
            if self.proc.poll() is None:
                break
        servelib._kill(self.proc)
        raise AssertionError(f"plancal serve ({name}) did not start:\n{self.log_text()[-3000:]}")

    base_url = property(lambda self: f"http://{HOST}:{self.port}")

    def url(self, path: str) -> str:
        return self.base_url + path

    def connection(self, timeout: float = 30):
        import http.client
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                servelib._kill(self.proc)


def history_blocks(text: str) -> list[str]:
    """``plancal history`` text split into one block per record (its ``#N`` line and any
    lines under it), oldest first."""
    starts = [m.start() for m in HISTORY_LINE.finditer(text)]
    return [text[a:b].strip() for a, b in zip(starts, starts[1:] + [len(text)])]
