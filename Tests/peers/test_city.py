"""A city of wards on one deployment (issue 9): 114 copies of the plan below one folder,
served by one `plancal serve --plans-dir`, summed up on the city page and its CSV/JSON, and
by `plancal compliance --plans-dir`. Every city figure must equal the ward's own compliance
report for the same records.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from peerlib import PLAN_FILE
from servelib import request, run_plancal, running_server

WARDS = 114
TODAY = "2026-11-29"


def make_city(root: Path) -> Path:
    """114 ward plans (copies of Bạch Đằng's with their own ids and issuers), one folder each."""
    text = Path(PLAN_FILE).read_text(encoding="utf-8")
    assert "  id: bach-dang\n" in text
    city = root / "hai-phong"
    for n in range(1, WARDS + 1):
        ward = city / f"phuong-{n:03d}"
        ward.mkdir(parents=True)
        (ward / "plan.yaml").write_text(
            text.replace("  id: bach-dang\n", f"  id: phuong-{n:03d}\n")
                .replace('issuer: "Ủy ban nhân dân phường Bạch Đằng"', f'issuer: "Ủy ban nhân dân phường Thử {n:03d}"'),
            encoding="utf-8")
    return city


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return make_city(tmp_path_factory.mktemp("city"))


def test_city_page_and_exports_list_every_ward_with_its_own_figures(city, tmp_path):
    folder = city
    with running_server(tmp_path, today=TODAY, extra_args=("--plans-dir", str(folder))) as server:
        server_db = server.db
        # Different histories in a few wards, written by the CLI while the server runs.
        for n in (3, 7, 50):
            plan = folder / f"phuong-{n:03d}" / "plan.yaml"
            run_plancal("done", "quarterly-news/2026-Q4", "--unit", "vhxh", "--on", "20/11/2026",
                        "--evidence", f"https://phuong-{n:03d}.example/tin/q4", "--by", "Cán bộ thử",
                        "--plan", plan, "--db", server_db, "--today", TODAY)
        run_plancal("record", "meeting", "--unit", "to-dan-pho", "--on", "02/06/2026", "--reached", "1200",
                    "--organisations", "hoi-lhpn,mttq", "--by", "Tổ trưởng",
                    "--plan", folder / "phuong-007" / "plan.yaml", "--db", server_db, "--today", TODAY)
        run_plancal("done", "annual-report/2026/cong-an", "--unit", "cong-an", "--on", "10/11/2026", "--by", "Anh Hùng",
                    "--plan", folder / "phuong-050" / "plan.yaml", "--db", server_db, "--today", TODAY)

        page = request(server, "GET", "/")
        assert page.status == 200, page
        html = page.body.decode("utf-8")
        assert f"Tổng hợp {WARDS} phường, xã" in html
        links = set(re.findall(r'href="/plans/(phuong-\d{3})"', html))
        assert len(links) == WARDS

        reply = request(server, "GET", "/api/city.csv")
        assert reply.status == 200
        rows = list(csv.reader(io.StringIO(reply.body.decode("utf-8-sig"))))
        assert len(rows) == WARDS + 1
        assert {r[0] for r in rows[1:]} == links

        city_json = request(server, "GET", "/api/city.json").json()
        assert len(city_json["rows"]) == WARDS
        by_id = {r["plan"]: r for r in city_json["rows"]}
        for ward_id in sorted(links):
            ward = request(server, "GET", f"/api/{ward_id}/compliance").json()
            row = by_id[ward_id]
            # The quarters judged so far: begun, and not ended before tracking started.
            this_year = [q for q in ward["quarters"]
                         if q["key"].startswith("2026") and q["state"] not in ("future", "before-tracking")]
            assert row["quarters"] == len(this_year), ward_id
            assert row["quartersMet"] == sum(q["state"] == "met" for q in this_year), ward_id
            assert row["informed"] == ward["dissemination"]["informed"], ward_id
            assert row["organisations"] == ward["dissemination"]["total"], ward_id
            assert row["reached"] == ward["reach"]["reached"], ward_id
            assert row["overdue"] == sum(u["overdue"] for u in ward["units"]), ward_id
            # Reports owed by the units the plan directs; a requested unit's (V.6 "Đề nghị") is not owed.
            reports = [u["annualReport"] for u in ward["units"] if u["annualReport"] is not None and not u["requested"]]
            assert row["reportsOwed"] == len(reports), ward_id
            assert row["reportsReceived"] == sum(s in ("done-on-time", "done-late") for s in reports), ward_id
        # The histories made a difference where they should, and only there.
        assert by_id["phuong-003"]["quartersMet"] == 1 and by_id["phuong-001"]["quartersMet"] == 0
        assert by_id["phuong-007"]["reached"] == 1200 and by_id["phuong-007"]["informed"] == 2
        assert by_id["phuong-050"]["reportsReceived"] == 1

        # Sorting: the wards with a met quarter come first when sorted by quarters, descending.
        sorted_page = request(server, "GET", "/?sort=quarters&order=desc").body.decode("utf-8")
        order = re.findall(r'href="/plans/(phuong-\d{3})"', sorted_page)
        assert set(order[:3]) == {"phuong-003", "phuong-007", "phuong-050"}

        # The CLI prints the same table from the same folder and records.
        out = run_plancal("compliance", "--plans-dir", folder, "--db", server_db, "--today", TODAY,
                          "--format", "json").stdout
        cli_rows = {r["plan"]: r for r in json.loads(out)["rows"]}
        for ward_id, row in by_id.items():
            expected = dict(row)
            got = dict(cli_rows[ward_id])
            expected.pop("lastFetch"), got.pop("lastFetch")
            assert got == expected, ward_id


def test_several_plans_to_a_one_plan_command_is_an_error(tmp_path):
    result = run_plancal("compliance", "--plan", PLAN_FILE, "--plan", PLAN_FILE, "--db", tmp_path / "x.sqlite",
                         check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("Lỗi: ") and "một --plan" in result.stderr
    assert not (tmp_path / "x.sqlite").exists()
