#!/usr/bin/env bash
# The main job on a fresh Debian (bookworm) machine: installs libical, builds plancal and
# runs it; with no arguments it regenerates the feeds of the shipped plan into
# calendars/bach-dang/. Any arguments are passed to plancal instead, e.g.
#   bash scripts/run.sh serve --port 8080
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! pkg-config --exists libical 2>/dev/null || [ ! -d /usr/share/zoneinfo/Asia ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libical-dev tzdata pkg-config
fi

swift build -c release --product plancal
bin="$(swift build -c release --show-bin-path)/plancal"
if [ "$#" -eq 0 ]; then
  exec "$bin" generate
fi
exec "$bin" "$@"
