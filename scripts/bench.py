"""The benchmarks of issue 10, run by scripts/bench.sh (which installs and builds first).

Every figure is a ratio against a peer measured in the same run, on the same machine, one
after the other (the machine's 2 cores are shared with other work, so absolute numbers
drift; ratios much less):

  feeds         plancal serve vs nginx serving the same bytes from files (gzip_static on, with
                pre-gzipped copies), wrk -t2 -c32 -d10s, several runs alternating, medians
  generation    plancal generate vs Python icalendar's to_ical on the same events (bytes/s);
                generate --plans-dir for a city vs cp -r of its feeds
  completions   POST /api/<plan>/completions from 64 wrk connections vs SQLite alone (one
                durable transaction per row, synchronous=FULL, WAL), at 0 and 100,000 records;
                201s counted against the rows stored
  memory        RSS of plancal serve with every feed of a 114-ward city fetched; a 3,321-ward
                country: time to serve and RSS with every feed fetched
  caldav        issue 18: plancal's CalDAV vs Radicale 3.9 serving the same 186 tasks (PROPFIND
                Depth 1, REPORT sync-collection with no change; wrk -c8, Radicale's default
                max_connections); a PUT tick/untick vs the API's completion/undo, records stored
                per second on fresh databases; a 114-ward city's 1,026 sync-collections (every
                unit's tasks and the lead's all-tasks) every 15 minutes as CPU of one core

Loopback only; every load is bounded in time.
"""
import argparse
import gzip
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "calendars" / "bach-dang" / "plan.yaml"
FEEDS = ROOT / "calendars" / "bach-dang"
TODAY = "2030-12-31"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_http(port, path="/health", timeout=120):
    start = time.time()
    while time.time() - start < timeout:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                return time.time() - start
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"nothing answered 200 on {port}{path} within {timeout}s")


def get(port, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    # Header names are case-insensitive (the fast path and the application may spell them apart).
    return r.status, r.msg, body


# ---------------------------------------------------------------- plans


def make_wards(root: Path, count: int, prefix: str) -> Path:
    """`count` plans, copies of Bạch Đằng's with their own ids and issuers, one folder each."""
    text = PLAN.read_text(encoding="utf-8")
    assert "  id: bach-dang\n" in text
    root.mkdir(parents=True)
    width = len(str(count))
    for n in range(1, count + 1):
        ward = root / f"{prefix}-{n:0{width}d}"
        ward.mkdir()
        (ward / "plan.yaml").write_text(
            text.replace("  id: bach-dang\n", f"  id: {prefix}-{n:0{width}d}\n")
                .replace('issuer: "Ủy ban nhân dân phường Bạch Đằng"',
                         f'issuer: "Ủy ban nhân dân {prefix} {n:0{width}d}"'),
            encoding="utf-8")
    return root


def pregzip(folder: Path):
    """gzip -6 copies beside the feeds, for nginx's gzip_static (the level plancal uses)."""
    for f in folder.rglob("*.ics"):
        Path(str(f) + ".gz").write_bytes(gzip.compress(f.read_bytes(), compresslevel=6, mtime=0))


# ---------------------------------------------------------------- servers


class Server:
    def __init__(self, args, port, cwd=ROOT, env=None, log_path=None):
        self.port = port
        self.log = open(log_path or os.devnull, "wb")
        self.started = time.time()
        self.proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=self.log, stderr=self.log)

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def start_plancal(binary, work, port, db, plan=None, plans_dir=None, extra=()):
    args = [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db),
            "--today", TODAY, "--log-level", "warning", *extra]
    if plans_dir:
        args += ["--plans-dir", str(plans_dir)]
    else:
        args += ["--plan", str(plan or PLAN)]
    return Server(args, port, log_path=work / f"serve-{port}.log")


def start_nginx(work: Path, root: Path, port: int):
    conf = work / "nginx" / "nginx.conf"
    conf.parent.mkdir(exist_ok=True)
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (conf.parent / d).mkdir(exist_ok=True)
    # A static-file server as one would deploy it for feeds: sendfile, open_file_cache, no
    # access log (plancal logs no requests at its default level either), gzip_static.
    conf.write_text(f"""
user root;
worker_processes 2;
pid {conf.parent}/nginx.pid;
error_log {conf.parent}/error.log warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  open_file_cache max=20000 inactive=120s;
  client_body_temp_path {conf.parent}/body;
  proxy_temp_path {conf.parent}/proxy;
  fastcgi_temp_path {conf.parent}/fastcgi;
  uwsgi_temp_path {conf.parent}/uwsgi;
  scgi_temp_path {conf.parent}/scgi;
  types {{ text/calendar ics; }}
  default_type application/octet-stream;
  charset utf-8;
  charset_types text/calendar;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location /calendars/ {{
      gzip_static on;
      gzip_vary on;
      add_header Cache-Control "public, max-age=300";
    }}
    location = /health {{ return 200 "ok"; }}
  }}
}}
""")
    server = Server(["nginx", "-c", str(conf), "-p", str(conf.parent)], port, log_path=work / "nginx.log")
    wait_http(port)
    return server


# ---------------------------------------------------------------- wrk


def wrk(port, path, headers=(), script=None, connections=32, duration=10, threads=2):
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s"]
    for h in headers:
        args += ["-H", h]
    if script:
        args += ["-s", str(script)]
    args.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(args, capture_output=True, text=True, errors="replace", check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    rps = float(m.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"wrk saw errors on {path}: {out}")
    return rps, out


def paired(label, runs, a, b, peer="nginx"):
    """Runs a() and b() alternately `runs` times; medians and their ratio b/a."""
    xs, ys = [], []
    for i in range(runs):
        xs.append(a())
        ys.append(b())
        log(f"  {label} run {i + 1}: {peer} {xs[-1]:,.0f}  plancal {ys[-1]:,.0f}  ({ys[-1] / xs[-1]:.2f}×)")
    mx, my = statistics.median(xs), statistics.median(ys)
    return mx, my, my / mx


MIX_LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""

WRITER_LUA = """
local pairs_ = {}
for line in io.lines("%s") do
  local occ, unit = line:match("([^ ]+) ([^ ]+)")
  pairs_[#pairs_ + 1] = {occ, unit}
end
local token = "%s"
local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
local n = 0
statuses = {}
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local p = pairs_[math.random(#pairs_)]
  n = n + 1
  local body = '{"occurrence":"' .. p[1] .. '","unit":"' .. p[2] .. '","evidence":"https://bench.example/' .. n .. '","correct":true}'
  return wrk.format("POST", "/api/bach-dang/completions", headers, body)
end
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
done = function(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write(string.format("STATUS %%d %%d\\n", k, v)) end
end
"""


# ---------------------------------------------------------------- the benchmarks


def prepare_city(a, work):
    """The 114-ward city: plan folders, their feeds generated for nginx (with gzip copies) and the
    random mix's paths. Returns (city, www, mix)."""
    www = work / "www"
    (www / "calendars" / "bach-dang").mkdir(parents=True)
    for f in FEEDS.glob("*.ics"):
        shutil.copy(f, www / "calendars" / "bach-dang" / f.name)
    pregzip(www / "calendars" / "bach-dang")

    city = make_wards(work / "city", 114, "phuong")
    subprocess.run([a.bin, "generate", "--plans-dir", str(city), "--out", str(www / "calendars"),
                    "--db", str(work / "none.sqlite")], check=True, capture_output=True)
    pregzip(www / "calendars")
    mix = sorted("/calendars/" + str(p.relative_to(www / "calendars")) for p in (www / "calendars").glob("phuong-*/*.ics"))
    (work / "mix.txt").write_text("\n".join(mix) + "\n")
    (work / "mix.lua").write_text(MIX_LUA % (work / "mix.txt"))
    log(f"city: 114 wards, {len(mix)} feeds")
    return city, www, mix


def feed_benchmarks(a, work, results):
    runs = a.runs
    city, www, mix = prepare_city(a, work)
    nport, pport, cport = free_port(), free_port(), free_port()
    nginx = start_nginx(work, www, nport)
    one = start_plancal(a.bin, work, pport, work / "one.sqlite")
    city_srv = start_plancal(a.bin, work, cport, work / "city.sqlite", plans_dir=city)
    try:
        wait_http(pport)
        wait_http(cport)
        # Same bytes from both, and the validators of each.
        for name in ("vhxh.ics", "chi-bo.ics"):
            s1, h1, b1 = get(nport, f"/calendars/bach-dang/{name}")
            s2, h2, b2 = get(pport, f"/calendars/bach-dang/{name}")
            assert s1 == s2 == 200 and b1 == b2 == (FEEDS / name).read_bytes(), name
        _, hn, _ = get(nport, "/calendars/bach-dang/vhxh.ics")
        _, hp, _ = get(pport, "/calendars/bach-dang/vhxh.ics")
        _, hng, bng = get(nport, "/calendars/bach-dang/vhxh.ics", {"Accept-Encoding": "gzip"})
        _, hpg, bpg = get(pport, "/calendars/bach-dang/vhxh.ics", {"Accept-Encoding": "gzip"})
        assert hng.get("Content-Encoding") == hpg.get("Content-Encoding") == "gzip"
        assert gzip.decompress(bng) == gzip.decompress(bpg) == (FEEDS / "vhxh.ics").read_bytes()
        results["gzip_bytes"] = (len(bng), len(bpg))
        for path in mix[:: max(1, len(mix) // 50)]:
            assert get(nport, path)[2] == get(cport, path)[2], path
        # Warm both (plancal builds each feed once).
        for path in mix:
            get(cport, path)

        def pair(label, path, hn_=(), hp_=(), script=None, pp=pport):
            return paired(label, runs,
                          lambda: wrk(nport, path, hn_, script, duration=a.duration)[0],
                          lambda: wrk(pp, path, hp_, script, duration=a.duration)[0])

        log("feeds: cached GET vhxh.ics (355 KB)")
        results["get_vhxh"] = pair("vhxh.ics", "/calendars/bach-dang/vhxh.ics")
        log("feeds: cached GET chi-bo.ics (58 KB)")
        results["get_chibo"] = pair("chi-bo.ics", "/calendars/bach-dang/chi-bo.ics")
        log("feeds: 304 (If-None-Match)")
        results["304"] = pair("304", "/calendars/bach-dang/vhxh.ics",
                              [f"If-None-Match: {hn['ETag']}"], [f"If-None-Match: {hp['ETag']}"])
        log("feeds: gzip GET vhxh.ics")
        results["gzip_vhxh"] = pair("gzip vhxh.ics", "/calendars/bach-dang/vhxh.ics",
                                    ["Accept-Encoding: gzip"], ["Accept-Encoding: gzip"])
        log("feeds: 114-ward random mix")
        results["mix"] = pair("mix", "/", script=work / "mix.lua", pp=cport)
        results["mix_rss_mb"] = rss_mb(city_srv.pid)
    finally:
        nginx.stop()
        one.stop()
        city_srv.stop()
    return city, www


def memory_city(a, work, city, results):
    """Every feed of the 114 wards fetched, then every gzip feed: the server's RSS."""
    port = free_port()
    srv = start_plancal(a.bin, work, port, work / "city-mem.sqlite", plans_dir=city)
    try:
        wait_http(port)
        results["city_rss_start_mb"] = rss_mb(srv.pid)
        paths = (work / "mix.txt").read_text().split()
        fetch_all(port, paths, {})
        results["city_rss_all_mb"] = rss_mb(srv.pid)
        fetch_all(port, paths, {"Accept-Encoding": "gzip"})
        results["city_rss_all_gzip_mb"] = rss_mb(srv.pid)
    finally:
        srv.stop()


def fetch_all(port, paths, headers, workers=4):
    """GETs every path once over keep-alive connections; returns bytes received."""
    chunks = [paths[i::workers] for i in range(workers)]
    received = [0] * workers

    def run(i):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for p in chunks[i]:
            c.request("GET", p, headers=headers)
            r = c.getresponse()
            received[i] += len(r.read())
            assert r.status == 200, (p, r.status)
        c.close()

    ts = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(received)


def python_peer_bytes_per_second(seconds=5.0):
    """Python icalendar serialising the same 18 feeds' events (parsed once, untimed)."""
    import icalendar
    cals = [icalendar.Calendar.from_ical(f.read_bytes()) for f in sorted(FEEDS.glob("*.ics"))]
    total, start, n = 0, time.perf_counter(), 0
    while time.perf_counter() - start < seconds or n < 2:
        for c in cals:
            total += len(c.to_ical())
        n += 1
    return total / (time.perf_counter() - start)


def hyperfine(commands, runs, prepare=None):
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    args = ["hyperfine", "-N" if not prepare else "--shell=bash", "-w", "1", "-r", str(runs), "--export-json", str(out)]
    if prepare:
        args += ["--prepare", prepare]
    subprocess.run(args + commands, check=True, capture_output=True)
    data = json.loads(out.read_text())
    out.unlink()
    return [r["median"] for r in data["results"]]


def generation(a, work, city, results):
    feed_bytes = sum(f.stat().st_size for f in FEEDS.glob("*.ics"))
    out = work / "gen-one"
    [t] = hyperfine([f"{a.bin} generate --plan {PLAN} --db {work / 'none.sqlite'} --out {out}"], 15, prepare=f"rm -rf {out}")
    py = python_peer_bytes_per_second()
    results["gen_one"] = (py, feed_bytes / t, feed_bytes / t / py, t)
    log(f"generation: plancal {feed_bytes / t / 1e6:.1f} MB/s, Python icalendar {py / 1e6:.2f} MB/s")
    # The same work as the peer's, in process: every feed of the plan made again and again
    # (plan read and expanded once, untimed, as Python parses its calendars once).
    out_ = subprocess.run([a.bench_bin, "--feed-bytes-per-second", "5"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    inproc = float(out_.strip().splitlines()[-1].split()[-1])
    py2 = python_peer_bytes_per_second()
    results["gen_inproc"] = (py2, inproc, inproc / py2)
    log(f"generation in process: plancal {inproc / 1e6:.1f} MB/s, Python icalendar {py2 / 1e6:.2f} MB/s")

    gen, cp = work / "gen-city", work / "cp-city"
    ref = work / "www" / "calendars"
    t_gen, t_cp = hyperfine([f"{a.bin} generate --plans-dir {city} --out {gen} --db {work / 'none.sqlite'}",
                             f"cp -r {ref} {cp}"], 3, prepare=f"rm -rf {gen} {cp}; sync")
    city_bytes = sum(f.stat().st_size for f in ref.rglob("*.ics"))
    results["gen_city"] = (t_cp, t_gen, t_gen / t_cp, city_bytes / t_gen)
    log(f"city: generate {t_gen:.2f} s, cp -r {t_cp:.2f} s")
    shutil.rmtree(gen, ignore_errors=True)
    shutil.rmtree(cp, ignore_errors=True)


def country(a, work, results):
    wards = make_wards(work / "country", a.country, "xa")
    gen = work / "gen-country"
    subprocess.run(["sync"])
    t0 = time.time()
    subprocess.run([a.bin, "generate", "--plans-dir", str(wards), "--out", str(gen), "--db", str(work / "none.sqlite")],
                   check=True, capture_output=True)
    t_gen = time.time() - t0
    subprocess.run(["sync"])
    t0 = time.time()
    subprocess.run(["cp", "-r", str(gen), str(work / "cp-country")], check=True)
    t_cp = time.time() - t0
    size = sum(f.stat().st_size for f in gen.rglob("*.ics"))
    results["gen_country"] = (t_cp, t_gen, size)
    log(f"country: generate {t_gen:.1f} s ({size / 1e9:.2f} GB), cp -r {t_cp:.1f} s")
    paths = sorted("/calendars/" + str(p.relative_to(gen)) for p in gen.glob("*/*.ics"))
    shutil.rmtree(work / "cp-country", ignore_errors=True)
    shutil.rmtree(gen, ignore_errors=True)

    port = free_port()
    srv = start_plancal(a.bin, work, port, work / "country.sqlite", plans_dir=wards)
    try:
        last = paths[-1]
        start = srv.started
        while True:
            try:
                if get(port, last)[0] == 200:
                    break
            except OSError:
                pass
            if time.time() - start > 300:
                raise RuntimeError("the country did not start within 300 s")
            time.sleep(0.05)
        t_start = time.time() - start
        rss_start = rss_mb(srv.pid)
        # Plans load in the background (a request loads its own plan first): the city page
        # answers once every plan has loaded.
        status, _, page = get(port, "/")
        assert status == 200 and f"Tổng hợp {a.country} phường" in page.decode(), "the city page names every plan"
        t_loaded = time.time() - start
        rss_loaded = rss_mb(srv.pid)
        t0 = time.time()
        received = fetch_all(port, paths, {}, workers=4)
        t_fetch = time.time() - t0
        results["country_serve"] = (t_start, rss_start, t_fetch, rss_mb(srv.pid), len(paths), received, t_loaded, rss_loaded)
        log(f"country: the last ward's feed after {t_start:.1f} s at {rss_start:.0f} MB; every plan loaded after {t_loaded:.1f} s "
            f"at {rss_loaded:.0f} MB; every feed ({len(paths)}) in {t_fetch:.0f} s, RSS {results['country_serve'][3]:.0f} MB")
    finally:
        srv.stop()


def sqlite_alone(work, seconds=5.0):
    """Rows per second of one connection inserting one row per durable transaction."""
    path = work / "alone.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE record (id INTEGER PRIMARY KEY, plan TEXT, occurrenceID TEXT, unit TEXT, note TEXT)")
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO record (plan, occurrenceID, unit, note) VALUES ('p', 'o', 'u', ?)", (str(n),))
        db.execute("COMMIT")
        n += 1
    rate = n / (time.perf_counter() - start)
    db.close()
    return rate


def prefill(db_path, pairs, n):
    """n completion records (corrections of random items), as the API would have stored them."""
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("BEGIN")
    rnd = random.Random(1)
    for i in range(n):
        occ, unit = pairs[rnd.randrange(len(pairs))]
        db.execute("""INSERT INTO record (plan, action, occurrenceID, unit, doneOn, recordedBy, recordedAt, evidenceURL, organisations)
                      VALUES ('bach-dang', 'done', ?, ?, '2030-12-31', 'bench', ?, ?, '')""",
                   (occ, unit, 1_900_000_000 + i, f"https://bench.example/p{i}"))
    db.execute("COMMIT")
    db.close()


def count_rows(db_path):
    db = sqlite3.connect(db_path)
    n = db.execute("SELECT COUNT(*) FROM record").fetchone()[0]
    db.close()
    return n


def completions(a, work, results):
    """Writes through the API at 0 and at 100,000 records, alternating (each run on a fresh copy
    of its database), so both see the same machine; and SQLite alone on the same disk."""
    pairs = []
    for f in sorted(FEEDS.glob("*.ics")):
        if f.name.startswith("all") or f.name.endswith("-tasks.ics"):
            continue
        unit = f.stem
        for uid in re.findall(r"^UID:(.+)@bach-dang\.plancal\r?$", f.read_text(), re.M):
            pairs.append((uid, unit))
    (work / "pairs.txt").write_text("".join(f"{o} {u}\n" for o, u in pairs))
    empty = work / "writes-0.sqlite"
    token = subprocess.run([a.bin, "token", "create", "--unit", "vhxh", "--plan", str(PLAN), "--db", str(empty)],
                           check=True, capture_output=True, text=True).stdout.strip()
    full = work / "writes-100000.sqlite"
    shutil.copy(empty, full)
    prefill(full, pairs, 100_000)
    (work / "writer.lua").write_text(WRITER_LUA % (work / "pairs.txt", token))
    alone, runs = [], {0: [], 100_000: []}
    for i in range(a.runs):
        alone.append(sqlite_alone(work))
        for records, template in ((0, empty), (100_000, full)):
            db = work / "writes-run.sqlite"
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
            shutil.copy(template, db)
            port = free_port()
            srv = start_plancal(a.bin, work, port, db)
            try:
                wait_http(port)
                _, h, _ = get(port, "/calendars/bach-dang/vhxh.ics")
                r304 = wrk(port, "/calendars/bach-dang/vhxh.ics", [f"If-None-Match: {h['ETag']}"], duration=5)[0]
                before = count_rows(db)
                rps, out = wrk(port, "/", script=work / "writer.lua", connections=64, duration=a.duration)
                time.sleep(0.5)
                after = count_rows(db)
            finally:
                srv.stop()
            statuses = {int(k): int(v) for k, v in re.findall(r"STATUS (\d+) (\d+)", out)}
            created = statuses.get(201, 0)
            runs[records].append((created / a.duration, created, after - before, statuses, r304))
            log(f"  completions at {records:,} records, run {i + 1}: {created / a.duration:,.0f} 201/s, {created} 201s, "
                f"{after - before} rows, statuses {statuses}; 304 {r304:,.0f}/s; SQLite alone {alone[-1]:,.0f} rows/s")
    results["sqlite_alone"] = statistics.median(alone)
    for records, rs in runs.items():
        med = sorted(rs, key=lambda r: r[0])[len(rs) // 2]
        lost = sum(max(0, r[1] - r[2]) for r in rs)
        results[f"writes_{records}"] = (med[0], med[0], sum(r[1] for r in rs), sum(r[2] for r in rs),
                                        {"lost": lost}, statistics.median(r[4] for r in rs))


# ---------------------------------------------------------------- CalDAV (issue 18) beside Radicale

DAV_USER = "vhxh"
DAV_TASKS = "/dav/calendars/bach-dang/vhxh/tasks/"
RADICALE_TASKS = "/vhxh/tasks/"
# Radicale's built-in server handles at most `max_connections` (8 by default) at once and closes
# every connection after its answer (HTTP/1.0); its listen queue holds 5. More wrk connections than
# that would measure SYN retries, not Radicale: both servers get the same 8.
DAV_CONNECTIONS = 8
# The day the PUTs complete on: 10:00 on 31/12/2030 in Asia/Ho_Chi_Minh, the server's --today.
DAV_COMPLETED = "20301231T030000Z"
DAV_ON = "2030-12-31"

PROPFIND_BODY = """<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/">
  <d:prop><d:getetag/><cs:getctag/><d:sync-token/></d:prop>
</d:propfind>
"""

SYNC_BODY = """<?xml version="1.0" encoding="utf-8"?>
<d:sync-collection xmlns:d="DAV:">
  <d:sync-token>%s</d:sync-token>
  <d:sync-level>1</d:sync-level>
  <d:prop><d:getetag/></d:prop>
</d:sync-collection>
"""

MKCALENDAR_BODY = """<?xml version="1.0" encoding="utf-8"?>
<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:set><d:prop>
    <d:displayname>Phòng Văn hóa - Xã hội — Công việc</d:displayname>
    <c:supported-calendar-component-set><c:comp name="VTODO"/></c:supported-calendar-component-set>
  </d:prop></d:set>
</c:mkcalendar>
"""

# One static request (method, headers and body from the script), as every client sends it.
DAV_LUA = """
wrk.method = "%(method)s"
wrk.headers["Authorization"] = "Basic %(auth)s"
wrk.headers["Depth"] = "%(depth)s"
wrk.headers["Content-Type"] = "application/xml; charset=utf-8"
%(extra)s
local f = assert(io.open("%(body)s", "rb"))
wrk.body = f:read("*a")
f:close()
"""

# Each wrk thread owns every n-th item of the list and walks its own items round-robin, sending
# each item's first request (tick, or the API's completion), then, the next time round, its second
# (untick, or the API's undo): every request changes the item's state, so every 2xx is a record.
# Lines: "<method> <path> <body file> <method> <path> <body file>".
TOGGLE_LUA = """
local list = "%(list)s"
local nthreads = %(threads)d
local headers = {%(headers)s}
local created = 0
local threads = {}
setup = function(thread)
  thread:set("tid", created)
  created = created + 1
  threads[#threads + 1] = thread
end
local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end
local items = {}
local at = 0
statuses = {}
init = function(args)
  local i = 0
  for line in io.lines(list) do
    if i %% nthreads == tid then
      local m1, p1, b1, m2, p2, b2 = line:match("(%%S+) (%%S+) (%%S+) (%%S+) (%%S+) (%%S+)")
      items[#items + 1] = {{m1, p1, slurp(b1)}, {m2, p2, slurp(b2)}, 1}
    end
    i = i + 1
  end
end
request = function()
  at = at %% #items + 1
  local it = items[at]
  local r = it[it[3]]
  it[3] = 3 - it[3]
  return wrk.format(r[1], r[2], headers, r[3])
end
refusal = nil
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 400 and not refusal then refusal = status .. " " .. body:sub(1, 400):gsub("%%s+", " ") end
end
done = function(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do total[k] = (total[k] or 0) + v end
    local r = t:get("refusal")
    if r then io.write("REFUSAL " .. r .. "\\n") end
  end
  for k, v in pairs(total) do io.write(string.format("STATUS %%d %%d\\n", k, v)) end
end
"""


def basic(user, password):
    import base64
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def dav(port, method, path, body=b"", headers=None, timeout=120):
    """One request on its own connection; (status, headers, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    if isinstance(body, str):
        body = body.encode("utf-8")
    c.request(method, path, body=body or None, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.msg, data


def multistatus(body):
    """(hrefs of the responses, the top-level sync-token or None) of a 207 body."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(body)
    hrefs = [r.findtext("{DAV:}href") for r in root.findall("{DAV:}response")]
    return hrefs, root.findtext("{DAV:}sync-token")


def proc_cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def create_token(a, db, unit, plan=PLAN, label=None):
    out = subprocess.run([a.bin, "token", "create", "--unit", unit, "--label", label or unit, "--plan", str(plan),
                          "--db", str(db)], check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[0].strip()


def plan_units(plan=PLAN):
    """The unit ids of a plan file's `units:` section (and their members)."""
    text = plan.read_text(encoding="utf-8")
    section = text.split("\nunits:\n", 1)[1].split("\ntargets:\n", 1)[0]
    return re.findall(r"^\s+- id: ([a-z0-9-]+)\s*$", section, re.M)


def unfold(text):
    return text.replace("\r\n", "\n").replace("\n ", "").replace("\n\t", "")


def fold(lines):
    """Content lines folded at 75 octets (never inside a UTF-8 sequence), CRLF."""
    out = []
    for line in lines:
        raw = line.encode("utf-8")
        first = True
        while raw:
            limit = 75 if first else 74
            cut = min(limit, len(raw))
            while cut < len(raw) and (raw[cut] & 0xC0) == 0x80:
                cut -= 1
            out.append((b"" if first else b" ") + raw[:cut])
            raw, first = raw[cut:], False
    return b"\r\n".join(out) + b"\r\n"


def vtodo_edit(ics, status, url=None):
    """What a task app PUTs back after ticking (`COMPLETED`) or unticking (`NEEDS-ACTION`) the one
    VTODO it fetched: STATUS, COMPLETED and PERCENT-COMPLETE set, LAST-MODIFIED and DTSTAMP moved,
    optionally the URL (a tick's evidence) replaced; everything else as fetched."""
    drop = ("STATUS", "COMPLETED", "PERCENT-COMPLETE", "LAST-MODIFIED", "DTSTAMP")
    lines, in_todo = [], False
    for line in unfold(ics).split("\n"):
        if not line:
            continue
        name = re.split(r"[;:]", line, 1)[0].upper()
        if line == "BEGIN:VTODO":
            in_todo = True
        elif line == "END:VTODO":
            lines += [f"DTSTAMP:{DAV_COMPLETED}", f"LAST-MODIFIED:{DAV_COMPLETED}", f"STATUS:{status}"]
            if status == "COMPLETED":
                lines += [f"COMPLETED:{DAV_COMPLETED}", "PERCENT-COMPLETE:100"]
            in_todo = False
        elif in_todo and name in drop:
            continue
        elif in_todo and name == "URL" and url:
            line = f"URL:{url}"
        lines.append(line)
    return fold(lines)


def split_tasks(feed):
    """(name, UID, one VCALENDAR with that VTODO) for every VTODO of a task feed."""
    text = feed.read_text(encoding="utf-8").replace("\r\n", "\n")
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//plancal//plancal 1.0//VI", "CALSCALE:GREGORIAN"]
    items = []
    for block in re.findall(r"^BEGIN:VTODO\n.*?^END:VTODO\n", text, re.M | re.S):
        uid = re.search(r"^UID:(.+)$", unfold(block), re.M).group(1).strip()
        occ = uid.split("@", 1)[0].split("/", 1)[1]  # task/<occurrence>@<plan>.plancal
        body = "\r\n".join(head) + "\r\n" + block.rstrip("\n").replace("\n", "\r\n") + "\r\nEND:VCALENDAR\r\n"
        items.append((occ.replace("/", "_"), uid, body))
    return items


def start_radicale(work, port, password, items):
    """Radicale 3.9 (the venv's), htpasswd plain auth for vhxh, its own storage folder; the
    collection made by MKCALENDAR and filled with one PUT per item, as a client would."""
    try:
        import radicale  # noqa: F401
    except ImportError:
        raise RuntimeError(f"Radicale is not installed in {sys.executable}'s venv: run scripts/install-bench-deps.sh")
    root = work / "radicale"
    (root / "collections").mkdir(parents=True, exist_ok=True)
    (root / "users").write_text(f"{DAV_USER}:{password}\n")
    (root / "config").write_text(f"""[server]
hosts = 127.0.0.1:{port}

[auth]
type = htpasswd
htpasswd_filename = {root / 'users'}
htpasswd_encryption = plain

[rights]
type = owner_only

[storage]
filesystem_folder = {root / 'collections'}

[logging]
level = warning
""")
    srv = Server([sys.executable, "-m", "radicale", "--config", str(root / "config")], port,
                   log_path=work / "radicale.log")
    auth = {"Authorization": "Basic " + basic(DAV_USER, password)}
    start = time.time()
    while True:
        try:
            status, _, _ = dav(port, "PROPFIND", "/", PROPFIND_BODY, {**auth, "Depth": "0"})
            if status == 207:
                break
        except OSError:
            pass
        if time.time() - start > 60 or srv.proc.poll() is not None:
            raise RuntimeError(f"Radicale did not answer on {port}: {(work / 'radicale.log').read_text()[-2000:]}")
        time.sleep(0.1)
    status, _, body = dav(port, "MKCALENDAR", RADICALE_TASKS, MKCALENDAR_BODY, auth)
    assert status == 201, (status, body)
    for name, _, ics in items:
        status, _, body = dav(port, "PUT", f"{RADICALE_TASKS}{name}.ics", ics,
                              {**auth, "Content-Type": "text/calendar; charset=utf-8"})
        assert status == 201, (name, status, body)
    return srv


def dav_lua(work, name, method, auth, depth, body, close=False):
    (work / f"{name}.xml").write_text(body, encoding="utf-8")
    script = work / f"{name}.lua"
    script.write_text(DAV_LUA % {"method": method, "auth": auth, "depth": depth, "body": work / f"{name}.xml",
                                 "extra": 'wrk.headers["Connection"] = "close"' if close else ""})
    return script


def caldav_reads(a, work, results, items, pport, rport, password):
    """PROPFIND Depth 1 and sync-collection with no change, plancal and Radicale alternating."""
    auth = basic(DAV_USER, password)
    hdr = {"Authorization": "Basic " + auth}
    # The same collection on both: 186 items (+ the collection itself), the same names.
    names = {f"{n}.ics" for n, _, _ in items}
    for port, path in ((pport, DAV_TASKS), (rport, RADICALE_TASKS)):
        status, _, body = dav(port, "PROPFIND", path, PROPFIND_BODY, {**hdr, "Depth": "1"})
        assert status == 207, (port, status, body[:2000])
        hrefs, _ = multistatus(body)
        got = {h.rstrip("/").rsplit("/", 1)[1] for h in hrefs if h.rstrip("/") != path.rstrip("/")}
        assert got == names, (port, sorted(got ^ names)[:10])
    tokens = {}
    for port, path in ((pport, DAV_TASKS), (rport, RADICALE_TASKS)):
        status, _, body = dav(port, "REPORT", path, SYNC_BODY % "", {**hdr, "Depth": "0"})
        assert status == 207, (port, status, body[:2000])
        hrefs, token = multistatus(body)
        assert len(hrefs) == len(items) and token, (port, len(hrefs), token)
        status, _, body = dav(port, "REPORT", path, SYNC_BODY % token, {**hdr, "Depth": "0"})
        assert status == 207, (port, status, body[:2000])
        hrefs, token2 = multistatus(body)
        assert hrefs == [] and token2, (port, hrefs[:5], token2)
        tokens[port] = token2
    log(f"caldav: both serve the {len(items)} tasks; sync tokens plancal {tokens[pport]}, Radicale {tokens[rport]}")
    scripts = {
        "propfind": {p: dav_lua(work, f"propfind-{p}", "PROPFIND", auth, "1", PROPFIND_BODY) for p in (pport, rport)},
        "sync": {p: dav_lua(work, f"sync-{p}", "REPORT", auth, "0", SYNC_BODY % tokens[p]) for p in (pport, rport)},
        "sync_close": {p: dav_lua(work, f"sync-close-{p}", "REPORT", auth, "0", SYNC_BODY % tokens[p], close=True)
                       for p in (pport, rport)},
    }
    paths = {pport: DAV_TASKS, rport: RADICALE_TASKS}

    def pair(label, key):
        """Radicale and plancal at the same 8 connections, alternating; then Radicale alone at one
        connection, where its threads do not contend for Python's GIL (its best rate here)."""
        rad1 = []

        def radicale():
            rad1.append(wrk(rport, paths[rport], script=scripts[key][rport], connections=1, threads=1,
                            duration=a.duration)[0])
            return wrk(rport, paths[rport], script=scripts[key][rport], connections=DAV_CONNECTIONS,
                       duration=a.duration)[0]

        out = paired(label, a.runs, radicale,
                     lambda: wrk(pport, paths[pport], script=scripts[key][pport], connections=DAV_CONNECTIONS,
                                 duration=a.duration)[0],
                     peer="Radicale")
        log(f"  {label}: Radicale at 1 connection {', '.join(f'{x:,.1f}' for x in rad1)} req/s")
        results[f"dav_{key}_radicale1"] = statistics.median(rad1)
        return out

    log("caldav: PROPFIND Depth 1 (getetag, getctag, sync-token) on vhxh's tasks")
    results["dav_propfind"] = pair("PROPFIND", "propfind")
    log("caldav: REPORT sync-collection, current token (no change)")
    results["dav_sync"] = pair("sync-collection", "sync")
    log("caldav: REPORT sync-collection, a new connection per request (Connection: close)")
    results["dav_sync_close"] = pair("sync-collection, close", "sync_close")


def fresh_copy(template, db):
    """db as a copy of template, with no -wal or -shm left from an earlier copy."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    shutil.copy(template, db)


def caldav_probe(a, work, template, items, password):
    """On a scratch copy of the database: which items a tick and an untick (PUT), and a completion
    and an undo (API), all take, one after the other, and the exact bodies a task app would then
    send (built from what the server answered to GET after each step). Returns the usable
    items and the refusals seen."""
    db = work / "dav-probe.sqlite"
    fresh_copy(template, db)
    port = free_port()
    srv = start_plancal(a.bin, work, port, db)
    auth = {"Authorization": "Basic " + basic(DAV_USER, password)}
    put_hdr = {**auth, "Content-Type": "text/calendar; charset=utf-8", "User-Agent": "plancal-bench"}
    api_hdr = {"Authorization": f"Bearer {password}", "Content-Type": "application/json"}
    usable, refused = [], []
    try:
        wait_http(port)
        for name, uid, _ in items:
            occ = uid.split("@", 1)[0].split("/", 1)[1]
            path = f"{DAV_TASKS}{name}.ics"
            bodies, ok = [], True
            for cycle in range(2):
                for status_to in ("COMPLETED", "NEEDS-ACTION"):
                    st, _, got = dav(port, "GET", path, headers=auth)
                    if st != 200:
                        refused.append((f"GET {path}", st, got[:300].decode("utf-8", "replace")))
                        ok = False
                        break
                    body = vtodo_edit(got.decode("utf-8"), status_to,
                                      url=f"https://bench.example/tin/{name}" if status_to == "COMPLETED" else None)
                    st, h, ans = dav(port, "PUT", path, body, put_hdr)
                    if st != 204:
                        refused.append((f"PUT {path} STATUS:{status_to}", st, ans[:500].decode("utf-8", "replace")))
                        ok = False
                        break
                    if cycle == 1:
                        bodies.append(body)
                if not ok:
                    break
            if not ok:
                continue
            api = []
            for method_path, obj in ((f"/api/bach-dang/completions", {"occurrence": occ, "unit": DAV_USER, "on": DAV_ON,
                                                                    "evidence": f"https://bench.example/tin/{name}"}),
                                     (f"/api/bach-dang/undo", {"occurrence": occ, "unit": DAV_USER,
                                                              "reason": "bỏ đánh dấu trong ứng dụng"})):
                raw = json.dumps(obj, ensure_ascii=False).encode("utf-8")
                st, _, ans = dav(port, "POST", method_path, raw, api_hdr)
                if st != 201:
                    refused.append((f"POST {method_path} {occ}", st, ans[:300].decode("utf-8", "replace")))
                    ok = False
                    break
                api.append(raw)
            if ok:
                usable.append((name, path, bodies[0], bodies[1], api[0], api[1]))
    finally:
        srv.stop()
    return usable, refused


def caldav_writes(a, work, results, template, usable, password):
    """Ticks and unticks by PUT against completions and undos by the API, each run on a fresh copy
    of the same database, alternating; records stored per second."""
    auth = basic(DAV_USER, password)
    put_dir, api_dir = work / "put-bodies", work / "api-bodies"
    put_dir.mkdir(exist_ok=True)
    api_dir.mkdir(exist_ok=True)
    put_lines, api_lines = [], []
    for i, (name, path, tick, untick, complete, undo) in enumerate(usable):
        (put_dir / f"{i}.tick").write_bytes(tick)
        (put_dir / f"{i}.untick").write_bytes(untick)
        (api_dir / f"{i}.done").write_bytes(complete)
        (api_dir / f"{i}.undo").write_bytes(undo)
        put_lines.append(f"PUT {path} {put_dir / f'{i}.tick'} PUT {path} {put_dir / f'{i}.untick'}")
        api_lines.append(f"POST /api/bach-dang/completions {api_dir / f'{i}.done'} "
                         f"POST /api/bach-dang/undo {api_dir / f'{i}.undo'}")
    (work / "put.txt").write_text("\n".join(put_lines) + "\n")
    (work / "api.txt").write_text("\n".join(api_lines) + "\n")
    threads = 2
    put_lua, api_lua = work / "put.lua", work / "api.lua"
    put_lua.write_text(TOGGLE_LUA % {"list": work / "put.txt", "threads": threads, "headers":
                                     f'["Authorization"] = "Basic {auth}", '
                                     '["Content-Type"] = "text/calendar; charset=utf-8", '
                                     '["User-Agent"] = "plancal-bench (wrk)"'})
    api_lua.write_text(TOGGLE_LUA % {"list": work / "api.txt", "threads": threads, "headers":
                                     f'["Authorization"] = "Bearer {password}", ["Content-Type"] = "application/json"'})
    runs = {"put": [], "api": []}
    for i in range(a.runs):
        for kind, script, ok_status in (("put", put_lua, 204), ("api", api_lua, 201)):
            db = work / "dav-writes.sqlite"
            fresh_copy(template, db)
            port = free_port()
            srv = start_plancal(a.bin, work, port, db)
            try:
                wait_http(port)
                before = count_rows(db)
                cpu0 = proc_cpu_seconds(srv.pid)
                out = subprocess.run(["wrk", f"-t{threads}", "-c64", f"-d{a.duration}s", "--timeout", "30s",
                                      "-s", str(script), f"http://127.0.0.1:{port}/"],
                                     capture_output=True, text=True, errors="replace", check=True).stdout
                cpu = proc_cpu_seconds(srv.pid) - cpu0
                time.sleep(0.5)
                after = count_rows(db)
            finally:
                srv.stop()
            statuses = {int(k): int(v) for k, v in re.findall(r"STATUS (\d+) (\d+)", out)}
            refusals = re.findall(r"^REFUSAL (.*)$", out, re.M)
            rows = after - before
            # The server's CPU per record stored: what the rate is made of on a machine where the
            # server, not the disk, is the limit.
            ms = 1000 * cpu / rows if rows else float("nan")
            runs[kind].append((rows / a.duration, rows, statuses.get(ok_status, 0), statuses, refusals, ms))
            log(f"  {kind} run {i + 1}: {rows / a.duration:,.0f} records/s ({rows} records, "
                f"{statuses.get(ok_status, 0)} {ok_status}s, statuses {statuses}); server {ms:.3f} CPU ms per record"
                + "".join(f"\n    a refusal: {x}" for x in refusals))
    med = {k: sorted(v, key=lambda r: r[0])[len(v) // 2] for k, v in runs.items()}
    results["dav_put"] = (med["api"][0], med["put"][0], med["put"][0] / med["api"][0],
                          {k: {"rows": sum(r[1] for r in v), "ok": sum(r[2] for r in v),
                               "statuses": [r[3] for r in v], "refusals": [r[4] for r in v],
                               "cpu_ms": statistics.median(r[5] for r in v)} for k, v in runs.items()},
                          len(usable))
    if a.bench_bin:
        # The same tick and completion read in process, without HTTP or the store.
        out = subprocess.run([a.bench_bin, "--task-read", str(put_dir / "0.tick"), str(api_dir / "0.done")], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        us = {k: float(v) for k, v in re.findall(r"^(\S+)-us (\S+)$", out, re.M)}
        results["dav_read"] = (us["api-decode"], us["task-parse"], us["task-read"])
        log(f"caldav: read in process: the API's body {us['api-decode']:.1f} µs, the task's libical parse "
            f"{us['task-parse']:.1f} µs, TaskEdit.read (parse and checks) {us['task-read']:.1f} µs")


def caldav_city(a, work, results):
    """114 wards on one `serve --plans-dir`; every unit of every ward syncs its tasks, and each lead
    unit its all-tasks too (9 collections a ward, 1,026 in all), with its own access code; one
    burst of the 1,026 sync-collections with the current tokens (nothing changed), a new connection
    each, as the clients of 15 minutes would send them; the server's CPU time from /proc."""
    wards = make_wards(work / "dav-city", 114, "phuong")
    db = work / "dav-city.sqlite"
    units = plan_units()
    lead = units[0]
    t0 = time.time()
    collections = []  # (plan, unit, path, password)
    for ward in sorted(wards.iterdir()):
        for unit in units:
            code = create_token(a, db, unit, plan=ward / "plan.yaml", label=f"{unit} {ward.name}")
            collections.append((ward.name, unit, f"/dav/calendars/{ward.name}/{unit}/tasks/", code))
            if unit == lead:
                collections.append((ward.name, unit, f"/dav/calendars/{ward.name}/{unit}/all-tasks/", code))
    log(f"caldav city: {len(collections)} collections, {len(collections) - 114} access codes in {time.time() - t0:.0f} s")
    port = free_port()
    srv = start_plancal(a.bin, work, port, db, plans_dir=wards)
    workers = 4
    try:
        wait_http(port, "/ready", timeout=300)

        def burst(bodies, method="REPORT", depth="0"):
            """Every collection once, `workers` at a time, a new connection each; (CPU s, wall s, answers)."""
            answers = [None] * len(collections)

            def run(k):
                for i in range(k, len(collections), workers):
                    plan, unit, path, code = collections[i]
                    st, _, body = dav(port, method, path, bodies[i],
                                      {"Authorization": "Basic " + basic(f"{plan}/{unit}", code), "Depth": depth,
                                       "Content-Type": "application/xml; charset=utf-8"})
                    answers[i] = (st, body)

            cpu0, wall0 = proc_cpu_seconds(srv.pid), time.time()
            ts = [threading.Thread(target=run, args=(k,)) for k in range(workers)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            return proc_cpu_seconds(srv.pid) - cpu0, time.time() - wall0, answers

        cpu, wall, answers = burst([SYNC_BODY % ""] * len(collections))
        bad = [(collections[i][2], st, b[:300]) for i, (st, b) in enumerate(answers) if st != 207]
        assert not bad, bad[:3]
        tokens = [multistatus(b)[1] for _, b in answers]
        items = sum(len(multistatus(b)[0]) for _, b in answers)
        results["dav_city_initial"] = (cpu, wall, items)
        log(f"caldav city: initial sync of {len(collections)} collections ({items:,} items): {cpu:.2f} CPU s in {wall:.1f} s")
        sync_bodies = [SYNC_BODY % t for t in tokens]
        runs, idle = [], []
        for i in range(a.runs):
            cpu, wall, answers = burst(sync_bodies)
            assert all(st == 207 and multistatus(b)[0] == [] for st, b in answers), \
                [(collections[i][2], st, b[:300]) for i, (st, b) in enumerate(answers) if st != 207][:3]
            cpu_p, wall_p, answers_p = burst([PROPFIND_BODY] * len(collections), method="PROPFIND", depth="0")
            assert all(st == 207 for st, _ in answers_p)
            c0 = proc_cpu_seconds(srv.pid)
            time.sleep(10)
            idle.append((proc_cpu_seconds(srv.pid) - c0) / 10)
            runs.append((cpu, wall, cpu_p, wall_p))
            log(f"  city run {i + 1}: 1,026 sync-collections {cpu:.2f} CPU s in {wall:.1f} s "
                f"({cpu / 900 * 100:.3f} % of a core over 15 min); 1,026 PROPFIND Depth 0 {cpu_p:.2f} CPU s; "
                f"idle {idle[-1] * 100:.2f} % of a core")
        cpu = statistics.median(r[0] for r in runs)
        cpu_p = statistics.median(r[2] for r in runs)
        results["dav_city"] = (cpu, statistics.median(r[1] for r in runs), cpu / 900,
                               cpu_p, statistics.median(idle), len(collections), [list(r) for r in runs])
        results["dav_city_rss_mb"] = rss_mb(srv.pid)
    finally:
        srv.stop()


def caldav(a, work, results):
    items = split_tasks(FEEDS / "vhxh-tasks.ics")
    assert len(items) == 186, len(items)
    template = work / "dav-template.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(template) + suffix).unlink(missing_ok=True)
    password = create_token(a, template, DAV_USER, label="Chị Lan")
    pport, rport = free_port(), free_port()
    db = work / "dav-reads.sqlite"
    fresh_copy(template, db)
    plancal = start_plancal(a.bin, work, pport, db)
    radicale = None
    try:
        wait_http(pport)
        t0 = time.time()
        radicale = start_radicale(work, rport, password, items)
        log(f"caldav: Radicale filled with {len(items)} tasks in {time.time() - t0:.1f} s")
        caldav_reads(a, work, results, items, pport, rport, password)
        results["dav_rss_mb"] = (rss_mb(radicale.pid), rss_mb(plancal.pid))
    finally:
        plancal.stop()
        if radicale:
            radicale.stop()
    usable, refused = caldav_probe(a, work, template, items, password)
    results["dav_probe"] = {"usable": len(usable), "refused": refused}
    log(f"caldav: {len(usable)} of {len(items)} tasks take a tick, an untick, an API completion and an undo; "
        f"{len(refused)} refusals" + "".join(f"\n    {r}" for r in refused[:8]))
    if usable:
        caldav_writes(a, work, results, template, usable, password)
    caldav_city(a, work, results)


def table(r, a):
    rows = []

    def ratio_row(what, key, goal, unit="req/s", peer=""):  # (peer, plancal, ratio)
        if key not in r:
            return
        n, p, q = r[key]
        rows.append((what, f"{peer}{n:,.0f} {unit}", f"{p:,.0f} {unit}", f"**{q:.2f}×**", goal))

    ratio_row("cached GET `vhxh.ics` (355 KB)", "get_vhxh", "≥ 0.8×")
    ratio_row("cached GET `chi-bo.ics` (58 KB)", "get_chibo", "≥ 0.8×")
    ratio_row("304 (`If-None-Match`)", "304", "≥ 0.5×")
    ratio_row("gzip GET `vhxh.ics` (`Accept-Encoding: gzip`)", "gzip_vhxh", "—")
    ratio_row("114-ward random mix (2,052 feeds)", "mix", "≥ 0.5×")
    if "gen_one" in r:
        py, ours, q, t = r["gen_one"]
        rows.append(("`generate` one plan (18 feeds, 2.48 MB), bytes/s", f"Python icalendar {py / 1e6:.2f} MB/s",
                     f"{ours / 1e6:.1f} MB/s ({t * 1000:.0f} ms)", f"**{q:.1f}×**", "≥ 20×"))
    if "gen_inproc" in r:
        py, ours, q = r["gen_inproc"]
        rows.append(("one plan's 18 feeds made in process, bytes/s (the peer's own measure)",
                     f"Python icalendar `to_ical` {py / 1e6:.2f} MB/s", f"{ours / 1e6:.1f} MB/s", f"**{q:.1f}×**", "≥ 20×"))
    if "gen_city" in r:
        t_cp, t_gen, q, bps = r["gen_city"]
        rows.append(("114-ward city, `generate --plans-dir` vs `cp -r` of its feeds", f"cp -r {t_cp:.2f} s",
                     f"{t_gen:.2f} s ({bps / 1e6:.0f} MB/s)", f"**{q:.1f}×** the time", "≤ 5×"))
    if "gen_country" in r:
        t_cp, t_gen, size = r["gen_country"]
        rows.append((f"{a.country:,}-ward country, `generate --plans-dir` ({size / 1e9:.1f} GB)", f"cp -r {t_cp:.1f} s",
                     f"{t_gen:.1f} s", f"**{t_gen / t_cp:.1f}×** the time", "< 60 s"))
    for n in (0, 100_000):
        k = f"writes_{n}"
        if k in r:
            rps, per_s, created, rows_added, statuses, r304 = r[k]
            rows.append((f"API completions, 64 clients, {n:,} records before", f"SQLite alone {r['sqlite_alone']:,.0f} rows/s",
                         f"{per_s:,.0f} 201/s (all runs: {created:,} 201s, {rows_added:,} rows stored, {statuses['lost']} lost)",
                         f"**{per_s / r['sqlite_alone']:.2f}×**", "≥ 1,000/s, flat, 0 lost"))
    if "writes_0" in r and "writes_100000" in r:
        a0, b0 = r["writes_0"][1], r["writes_100000"][1]
        c0, d0 = r["writes_0"][5], r["writes_100000"][5]
        rows.append(("flatness 0 → 100,000 records", f"304: {c0:,.0f} → {d0:,.0f} req/s", f"writes: {a0:,.0f} → {b0:,.0f} /s",
                     f"**{d0 / c0:.2f}× / {b0 / a0:.2f}×**", "flat"))
    if "city_rss_all_mb" in r:
        rows.append(("RSS, 114 wards, every feed fetched (then every gzip feed)", f"at start {r['city_rss_start_mb']:.0f} MB",
                     f"{r['city_rss_all_mb']:.0f} MB ({r['city_rss_all_gzip_mb']:.0f} MB)", "", "< 200 MB"))
    if "country_serve" in r:
        t_start, rss0, t_fetch, rss1, n, got, t_loaded, rss_loaded = r["country_serve"]
        rows.append((f"{a.country:,}-ward country served",
                     f"the last ward's feed after {t_start:.1f} s ({rss0:.0f} MB); every plan loaded after {t_loaded:.1f} s ({rss_loaded:.0f} MB)",
                     f"every feed ({n:,}, {got / 1e9:.1f} GB) in {t_fetch:.0f} s: {rss1:.0f} MB", "", "< 10 s, < 1 GiB"))
    def dav_row(what, key, goal):  # Radicale at 8 connections (and at 1), plancal at 8
        if key not in r:
            return
        n, p, q = r[key]
        one = r.get(key + "_radicale1")
        rows.append((what, f"Radicale {n:,.1f} req/s" + (f" (1 connection: {one:,.1f})" if one else ""),
                     f"{p:,.0f} req/s", f"**{q:,.0f}×**" + (f" ({p / one:,.0f}× Radicale's 1-connection rate)" if one else ""),
                     goal))

    dav_row("CalDAV `PROPFIND` Depth 1 on a unit's tasks (186 items: `getetag`, `getctag`, `sync-token`), 8 connections",
            "dav_propfind", "≥ 10×")
    dav_row("CalDAV `REPORT` `sync-collection` with the current token (no change), 8 connections", "dav_sync", "≥ 10×")
    dav_row("the same, a new connection per request (`Connection: close`; Radicale closes every connection anyway)",
            "dav_sync_close", "—")
    if "dav_put" in r:
        api, put, q, detail, n = r["dav_put"]
        rows.append((f"tick/untick by `PUT` vs the API's completion/undo, 64 clients over {n} tasks, records stored/s",
                     f"API {api:,.0f} records/s (all runs: {detail['api']['ok']:,} 201s, {detail['api']['rows']:,} records)",
                     f"`PUT` {put:,.0f} records/s (all runs: {detail['put']['ok']:,} 204s, {detail['put']['rows']:,} records)",
                     f"**{q:.2f}×**", "≥ 1×"))
        rows.append(("the server's CPU per record stored in those runs (medians)",
                     f"API {detail['api']['cpu_ms']:.3f} ms", f"`PUT` {detail['put']['cpu_ms']:.3f} ms",
                     f"{detail['put']['cpu_ms'] / detail['api']['cpu_ms']:.2f}× the CPU", "—"))
    if "dav_read" in r:
        api_us, parse_us, read_us = r["dav_read"]
        rows.append(("reading the write in process (`plancal-bench --task-read`): the API's JSON body vs the task's "
                     "`TaskEdit.read` (libical's parse in it)",
                     f"`APIBody.decode` {api_us:.1f} µs", f"{read_us:.1f} µs (parse {parse_us:.1f} µs)",
                     f"{read_us / api_us:.2f}× the time", "—"))
    if "dav_city" in r:
        cpu, wall, share, cpu_p, idle, n, _ = r["dav_city"]
        rows.append((f"a 114-ward city's sync every 15 minutes: {n:,} `sync-collection`s (no change), a new connection each",
                     f"{n:,} requests in {wall:.1f} s; {n:,} `PROPFIND` Depth 0: {cpu_p:.2f} CPU s; idle: {idle * 100:.2f} % of a core",
                     f"{cpu:.2f} CPU s per 900 s", f"**{share * 100:.3f} %** of one core", "< 5 %"))
    out = ["| what | peer | plancal | ratio | goal |", "|---|---|---|---|---|"]
    out += [f"| {w} | {p} | {q} | {x} | {g} |" for w, p, q, x, g in rows]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--bench-bin", help="plancal-bench, for the in-process generation rate (needed by generation) and caldav's in-process read of a tick")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")))
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--country", type=int, default=3321)
    ap.add_argument("--only", default="feeds,memory,generation,completions,caldav,country")
    a = ap.parse_args()
    if os.environ.get("BENCH_QUICK"):
        a.runs, a.only = 1, a.only.replace(",country", "")
    only = set(a.only.split(","))
    if "generation" in only and not a.bench_bin:
        ap.error("--only generation needs --bench-bin")
    work = Path(tempfile.mkdtemp(prefix="plancal-bench-"))
    os.chmod(work, 0o755)
    results = {}
    log(f"work folder {work}; plancal {a.bin}")
    try:
        city = None
        if "feeds" in only:
            city, _ = feed_benchmarks(a, work, results)
        elif only & {"memory", "generation"}:
            city, _, _ = prepare_city(a, work)
        if "memory" in only and city:
            memory_city(a, work, city, results)
        if "generation" in only and city:
            generation(a, work, city, results)
        if "completions" in only:
            completions(a, work, results)
        if "caldav" in only:
            caldav(a, work, results)
        if "country" in only:
            country(a, work, results)
    finally:
        (work / "results.json").write_text(json.dumps(results, indent=1, default=str))
        print(table(results, a))
        print(f"\n(raw: {work / 'results.json'})")
        if not os.environ.get("BENCH_KEEP"):
            for d in ("country", "city", "www", "gen-country", "cp-country", "dav-city", "radicale", "put-bodies", "api-bodies"):
                shutil.rmtree(work / d, ignore_errors=True)


if __name__ == "__main__":
    main()
