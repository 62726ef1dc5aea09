#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: installs nothing (scripts/install-test-deps.sh
# brings Debian's `postgresql`), keeps its data in a new temporary folder, listens on a free
# loopback port only, trusts every local connection and is made to be thrown away (no fsync).
#
#   bash scripts/postgres.sh start   # starts one (if this checkout has none running), prints its URL
#   bash scripts/postgres.sh url     # prints the URL of the running one
#   bash scripts/postgres.sh stop    # stops it and deletes its folder
#
# The cluster's folder is remembered in .build/postgres-cluster, so each checkout (worktree)
# has its own. As root, the server runs as the `postgres` system user (PostgreSQL refuses root).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${REPO_ROOT}/.build/postgres-cluster"

pg_bin() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "postgres.sh: PostgreSQL is not installed (run scripts/install-test-deps.sh)" >&2
    exit 1
  fi
  echo "$bin"
}

# Runs a command as the cluster's owner: `postgres` when we are root, ourselves otherwise.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

running_dir() {
  [ -f "$STATE" ] || return 1
  local dir
  dir="$(cat "$STATE")"
  [ -f "$dir/port" ] && as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 || return 1
  echo "$dir"
}

url_of() { echo "postgres://postgres@127.0.0.1:$(cat "$1/port")/postgres"; }

start() {
  local dir bin port
  if dir="$(running_dir)"; then url_of "$dir"; return; fi
  bin="$(pg_bin)"
  dir="$(mktemp -d "${TMPDIR:-/tmp}/plancal-postgres.XXXXXX")"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2; exit 1; }
  port="$(free_port)"
  # Tests run in parallel and each opens its own pool: allow plenty of connections.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  mkdir -p "$(dirname "$STATE")"
  echo "$dir" >"$STATE"
  url_of "$dir"
}

stop() {
  local dir
  [ -f "$STATE" ] || return 0
  dir="$(cat "$STATE")"
  if [ -d "$dir/data" ]; then
    as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir" "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) dir="$(running_dir)" || { echo "postgres.sh: no cluster running for this checkout" >&2; exit 1; }; url_of "$dir" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
