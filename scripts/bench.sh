#!/usr/bin/env bash
# The benchmarks of issue 10, each figure a ratio against a peer measured in the same run:
# nginx (static files, gzip_static) for feeds, Python's icalendar for generation, cp -r for
# writing a city's feeds, SQLite alone for completions; and issue 18's CalDAV server beside
# Radicale serving the same tasks, the API for PUT completions. Prints the README's table.
#
#   bash scripts/bench.sh            # everything (about 25 minutes on 2 cores)
#   BENCH_QUICK=1 bash scripts/bench.sh   # one wrk run per figure, no country
#   bash scripts/bench.sh --only caldav   # one part (feeds, memory, generation, completions, caldav, country)
#
# Not part of the test command. Loopback only (127.0.0.1); every load is bounded in time.
# Installs nothing itself beyond scripts/install-bench-deps.sh; builds plancal in release.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-bench-deps.sh
swift build -c release --product plancal
swift build -c release --product plancal-bench
BIN="$(swift build -c release --show-bin-path)/plancal"

PY=.venv-test/bin/python
if ! "$PY" -c 'import icalendar' >/dev/null 2>&1; then PY=.venv-bench/bin/python; fi
exec "$PY" scripts/bench.py --bin "$BIN" --bench-bin "$(dirname "$BIN")/plancal-bench" "$@"
