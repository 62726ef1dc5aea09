"""Crash safety: writers killed at random moments lose nothing they acknowledged.

Many `plancal record news` processes write to one SQLite database; a third of them are
SIGKILLed at random times, most of them mid-run. Afterwards the database must pass SQLite's
integrity check, open normally, and hold every record whose process printed its
acknowledgement ("Đã ghi nhận") — and no half-written rows.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import time

from conftest import plancal_env


def test_killed_writers_lose_no_acknowledged_record(plancal, repo_root, tmp_path):
    db = tmp_path / "crash.sqlite"
    rng = random.Random(20261129)
    acknowledged: set[str] = set()
    killed = 0
    for batch in range(6):
        procs = []
        for i in range(8):
            url = f"https://bachdang.example/tin/{batch}-{i}"
            p = subprocess.Popen(
                [plancal, "record", "news", "--unit", "vhxh", "--evidence", url,
                 "--on", "2026-11-20", "--today", "2026-11-29", "--db", str(db)],
                cwd=repo_root, env=plancal_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            procs.append((url, p))
        victims = rng.sample(range(8), 3)
        time.sleep(rng.uniform(0.0, 0.05))
        for v in victims:
            procs[v][1].send_signal(signal.SIGKILL)
        for url, p in procs:
            out, err = p.communicate(timeout=60)
            if p.returncode == 0:
                assert "Đã ghi nhận" in out, (out, err)
                acknowledged.add(url)
            elif p.returncode == -signal.SIGKILL:
                killed += 1
            else:
                raise AssertionError(f"writer failed without being killed: {p.returncode} {err}")
    assert acknowledged, "no writer survived; the test proves nothing"
    assert killed, "no writer was killed before it finished; the test proves nothing"

    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = con.execute("SELECT evidenceURL, unit, doneOn, recordedBy FROM record").fetchall()
    finally:
        con.close()
    stored = {r[0] for r in rows}
    missing = acknowledged - stored
    assert not missing, f"acknowledged but lost: {sorted(missing)}"
    # No half-written rows: every stored row is complete.
    assert all(r[1] == "vhxh" and r[2] == "2026-11-20" and r[3] for r in rows)

    # The CLI still opens and reads the database.
    history = subprocess.run([plancal, "history", "--db", str(db)], cwd=repo_root, env=plancal_env(),
                             capture_output=True, text=True, timeout=60)
    assert history.returncode == 0, history.stderr
    assert history.stdout.count("tin, bài") == len(stored)
