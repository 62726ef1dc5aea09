#!/usr/bin/env bash
# Install what scripts/bench.sh needs on a Debian (bookworm) machine, and nothing else:
# - Debian packages: nginx (the static-file peer), wrk (load), hyperfine (whole-command
#   timing), linux-perf (profiles; `perf stat -e instructions` works only where the CPU's
#   counters are exposed), valgrind (callgrind, where perf's counters are not), zlib1g-dev.
# - Python's icalendar (the generation peer) and requests in a venv: .venv-test (the test
#   venv, pinned by scripts/test-requirements.txt) when it is there, else .venv-bench.
# - Radicale (the CalDAV peer of issue 18, run by bench.py as `python -m radicale`) in that same
#   venv: the pin in scripts/test-requirements.txt if it has one, else radicale==3.9.0.
# Idempotent; run as root (apt-get install).
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=/usr/bin/python3

APT_PACKAGES=(nginx wrk hyperfine linux-perf valgrind python3-venv zlib1g-dev libical-dev pkg-config tzdata)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-bench-deps: must run as root (or with sudo available)" >&2
    exit 1
  fi
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== apt packages: ${missing[*]}"
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Debian starts nginx as a service on install: the benchmark runs its own on another port.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
  $SUDO systemctl stop nginx || true
fi

VENV="${REPO_ROOT}/.venv-test"
if [ ! -x "${VENV}/bin/python" ] || ! "${VENV}/bin/python" -c 'import icalendar, requests' >/dev/null 2>&1; then
  VENV="${REPO_ROOT}/.venv-bench"
  if [ ! -x "${VENV}/bin/python" ]; then "$PY" -m venv "${VENV}"; fi
  if ! "${VENV}/bin/python" -c 'import icalendar, requests' >/dev/null 2>&1; then
    ICAL_PIN="$(grep -E '^icalendar==' "${REPO_ROOT}/scripts/test-requirements.txt" || echo icalendar)"
    REQ_PIN="$(grep -E '^requests==' "${REPO_ROOT}/scripts/test-requirements.txt" || echo requests)"
    "${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check "$ICAL_PIN" "$REQ_PIN"
  fi
fi
RADICALE_PIN="$(grep -E '^radicale==' "${REPO_ROOT}/scripts/test-requirements.txt" || echo radicale==3.9.0)"
if ! "${VENV}/bin/python" -c "import sys, radicale; sys.exit(radicale.VERSION != '${RADICALE_PIN#radicale==}')" >/dev/null 2>&1; then
  echo "== pip: ${RADICALE_PIN} into ${VENV}"
  "${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check "$RADICALE_PIN"
fi
echo "== install-bench-deps: python venv ${VENV}"
echo "== install-bench-deps: done"
