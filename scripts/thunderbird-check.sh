#!/usr/bin/env bash
# Tick a plancal task through a real, headless Thunderbird and check the record lands.
#
# From nothing on Debian 12 (as root): installs Thunderbird (apt) and marionette_driver (PyPI,
# in a venv), creates an access code in a fresh database, starts `plancal serve`, then runs
# thunderbird_check.py, which registers the unit's task collection as a CalDAV calendar in a
# fresh Thunderbird profile, ticks tasks through Thunderbird's own calendar code and reads them
# back. Exit 0 only when every ticked task is read back COMPLETED by Thunderbird and has its
# record, made "qua ứng dụng: …Thunderbird/…", in `plancal history`.
#
# Environment:
#   PLANCAL_BIN    plancal binary                      (default .build/debug/plancal of this checkout)
#   PLANCAL_PLAN   plan file                            (default calendars/bach-dang/plan.yaml of this checkout)
#   PLANCAL_UNIT   unit whose tasks are used           (default vhxh)
#   PLANCAL_PORT   port for plancal serve              (default 18777)
#   PLANCAL_TODAY  the server's --today                (default 2026-12-20)
#   PLANCAL_TASKS  space-separated occurrence ids to tick; "id=link" adds the article link
#                  (a new line at the end of the notes) for a news item
#                  (default: "ward-report/2026 quarterly-news/2026-Q4=https://bachdang.example.vn/tin-tuc/binh-dang-gioi-quy-iv-2026")
#   TICK_MODE      ui (default: the Tasks tab checkbox; the task dialog for "id=link") or api
#                  (clone + isCompleted + doTransaction("modify") from script)
#   LINK_MODE      api mode only: description (link on a new line in the notes) or url
#   CHECK_VENV     venv for marionette_driver          (default: .venv-thunderbird/ of this checkout)
#   KEEP_WORK=1    keep the temporary directory (DB, profile, logs) even on success
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PLANCAL_BIN=${PLANCAL_BIN:-$ROOT/.build/debug/plancal}
PLANCAL_PLAN=${PLANCAL_PLAN:-$ROOT/calendars/bach-dang/plan.yaml}
UNIT=${PLANCAL_UNIT:-vhxh}
PORT=${PLANCAL_PORT:-18777}
TODAY=${PLANCAL_TODAY:-2026-12-20}
TASKS=${PLANCAL_TASKS:-"ward-report/2026 quarterly-news/2026-Q4=https://bachdang.example.vn/tin-tuc/binh-dang-gioi-quy-iv-2026"}
LINK_MODE=${LINK_MODE:-description}
TICK_MODE=${TICK_MODE:-ui}
VENV=${CHECK_VENV:-$ROOT/.venv-thunderbird}
DRIVER=$HERE/thunderbird_check.py
MARIONETTE_DRIVER_VERSION=${MARIONETTE_DRIVER_VERSION:-3.7.1}

START=$(date +%s)
say() { printf '[check %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

[ -x "$PLANCAL_BIN" ] || die "PLANCAL_BIN=$PLANCAL_BIN is not an executable (swift build first, or set PLANCAL_BIN)"
[ -f "$PLANCAL_PLAN" ] || die "PLANCAL_PLAN=$PLANCAL_PLAN does not exist"
[ -f "$DRIVER" ] || die "driver $DRIVER is missing"

# ---------------------------------------------------------------- install
apt_install() {
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/tmp/thunderbird-check-apt.log 2>&1; then
    say "apt-get install $* failed; running apt-get update first"
    apt-get update -q >>/tmp/thunderbird-check-apt.log 2>&1 || die "apt-get update failed (see /tmp/thunderbird-check-apt.log)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>/tmp/thunderbird-check-apt.log 2>&1 \
      || die "apt-get install $* failed (see /tmp/thunderbird-check-apt.log)"
  fi
}
if ! command -v thunderbird >/dev/null 2>&1; then
  say "installing thunderbird (apt)"
  apt_install thunderbird
fi
command -v python3 >/dev/null 2>&1 || apt_install python3
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import marionette_driver' >/dev/null 2>&1; then
  say "creating venv $VENV with marionette_driver==$MARIONETTE_DRIVER_VERSION"
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    apt_install python3-venv
    python3 -m venv "$VENV" || die "python3 -m venv $VENV failed"
  fi
  "$VENV/bin/pip" install -q "marionette_driver==$MARIONETTE_DRIVER_VERSION" || die "pip install marionette_driver failed"
fi
TB_VERSION=$(thunderbird --version 2>/dev/null | tail -1)
MD_VERSION=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("marionette_driver"))')
say "$TB_VERSION; marionette_driver $MD_VERSION; $("$PLANCAL_BIN" --version 2>/dev/null || echo plancal)"

# ---------------------------------------------------------------- work dir, cleanup
WORK=$(mktemp -d /tmp/thunderbird-check.XXXXXX)
SERVER_PID=""
OK=0
cleanup() {
  local rc=$?
  if [ -f "$WORK/w/thunderbird.pid" ]; then
    local tb; tb=$(cat "$WORK/w/thunderbird.pid")
    if kill -0 "$tb" 2>/dev/null; then
      say "stopping Thunderbird (pid $tb)"
      kill -TERM -- "-$tb" 2>/dev/null || kill -TERM "$tb" 2>/dev/null || true
      sleep 2; kill -KILL -- "-$tb" 2>/dev/null || true
    fi
  fi
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$OK" = 1 ] && [ "${KEEP_WORK:-0}" != 1 ]; then
    rm -rf "$WORK"
  else
    say "work directory kept: $WORK (server.log, w/thunderbird.log, w/tb-http.log*, w/summary.json)"
  fi
  say "runtime $(( $(date +%s) - START ))s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DB=$WORK/plancal.sqlite
PROFILE=$WORK/profile

# plan id (the plan: block's id) for the DAV path
PLAN_ID=$(awk '/^plan:/{p=1;next} p&&/^[^ #]/{p=0} p&&/^  id:/{print $2; exit}' "$PLANCAL_PLAN" | tr -d '"'"'")
[ -n "$PLAN_ID" ] || die "cannot read plan.id from $PLANCAL_PLAN"

# ---------------------------------------------------------------- access code, server
CODE=$("$PLANCAL_BIN" token create --unit "$UNIT" --label "Chị Lan" --plan "$PLANCAL_PLAN" --db "$DB" | head -n1)
[ -n "$CODE" ] || die "plancal token create printed no code"
say "access code created for $UNIT (db $DB)"

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  die "port $PORT is already in use (set PLANCAL_PORT)"
fi
"$PLANCAL_BIN" serve --host 127.0.0.1 --port "$PORT" --db "$DB" --plan "$PLANCAL_PLAN" \
  --today "$TODAY" --log-level debug >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  if "$VENV/bin/python" - "$PORT" <<'EOF' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1)
EOF
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "plancal serve exited"; }
  sleep 0.2
done
say "plancal serve up on 127.0.0.1:$PORT (pid $SERVER_PID, --today $TODAY)"

MPORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

TASK_ARGS=()
for t in $TASKS; do TASK_ARGS+=(--task "$t"); done

# ---------------------------------------------------------------- Thunderbird
set +e
"$VENV/bin/python" "$DRIVER" \
  --profile "$PROFILE" --workdir "$WORK/w" --marionette-port "$MPORT" \
  --dav-url "http://127.0.0.1:$PORT/dav/calendars/$PLAN_ID/$UNIT/tasks/" \
  --user "$UNIT" --password "$CODE" \
  --plancal "$PLANCAL_BIN" --plan "$PLANCAL_PLAN" --db "$DB" --today "$TODAY" \
  --tick-mode "$TICK_MODE" --link-mode "$LINK_MODE" "${TASK_ARGS[@]}"
RC=$?
set -e

echo
echo "plancal serve saw (debug log, method and path):"
grep -o 'hb.request.method=[A-Z]* hb.request.path=[^ ]*' "$WORK/server.log" \
  | sed 's/hb.request.method=/  /; s/ hb.request.path=/ /' | uniq -c || true

if [ "$RC" -ne 0 ]; then
  die "Thunderbird check failed (driver exit $RC)"
fi
OK=1
say "PASS"
