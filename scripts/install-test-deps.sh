#!/usr/bin/env bash
# Install the dependencies of the "real clients" test harness (Tests/peers/).
#
# - Debian packages: libical-dev pkg-config tzdata chromium chromium-driver wrk python3-venv nginx
#   (nginx: the load balancer in front of two instances in Tests/peers/test_instances.py),
#   and postgresql (the store tests' server, started by scripts/postgres.sh), libreoffice-writer
#   and poppler-utils (the annual reports: .docx → PDF → page-1 PNG, Tests/peers/test_annual_report.py),
#   faketime (todoman's `todo done` on the test server's day, Tests/peers/test_caldav.py)
# - A Python virtualenv at .venv-test/ (repo root, git-ignored) with the real
#   iCalendar clients and test tools: pytest, icalendar, recurring-ical-events,
#   PyYAML, vdirsyncer, khal, todoman, selenium, requests, python-docx (reads the annual reports),
#   caldav and caldav-server-tester (CalDAV clients against `plancal serve`, Tests/peers/test_caldav.py),
#   and axe-selenium-python
#   (which ships axe-core's axe.min.js: accessibility checks with no network), at the exact versions
#   of scripts/test-requirements.txt (their dependencies too).
#
# The venv is built with Debian's /usr/bin/python3 (3.11 on bookworm, with the
# python3-venv package installed above), not a pyenv/other python3 on PATH:
# it is the one interpreter guaranteed on a fresh bookworm machine and CI.
#
# Idempotent: safe to run again on a machine that already has everything.
# Must run as root on Debian bookworm (apt-get install).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${REPO_ROOT}/.venv-test"
PY=/usr/bin/python3

APT_PACKAGES=(libical-dev pkg-config tzdata chromium chromium-driver wrk python3-venv nginx)
# PostgreSQL server for the store tests (scripts/postgres.sh runs a throwaway cluster).
APT_PACKAGES+=(postgresql)
# The annual reports' .docx opened by LibreOffice headless (soffice --convert-to pdf); pdftoppm renders page 1.
APT_PACKAGES+=(libreoffice-writer poppler-utils fonts-liberation)
# libfaketime: todoman stamps COMPLETED with the machine's clock; Tests/peers/test_caldav.py runs
# `todo done` on the test server's --today.
APT_PACKAGES+=(faketime)
PIP_PACKAGES=(
  pytest
  icalendar
  recurring-ical-events
  PyYAML
  vdirsyncer
  khal
  todoman
  selenium
  requests
  python-docx
  axe-selenium-python
  caldav
  caldav-server-tester
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-test-deps: must run as root (or with sudo available)" >&2
    exit 1
  fi
fi

echo "== apt packages: ${APT_PACKAGES[*]}"
$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"

if [ ! -x "$PY" ]; then
  echo "install-test-deps: $PY not found (Debian's python3 is required)" >&2
  exit 1
fi

# (Re)create the venv if missing or broken (e.g. built by another interpreter
# that has since gone away).
if [ ! -x "${VENV}/bin/python" ] || ! "${VENV}/bin/python" -c 'import sys' >/dev/null 2>&1; then
  echo "== creating virtualenv ${VENV} with $($PY --version)"
  rm -rf "${VENV}"
  "$PY" -m venv "${VENV}"
fi

echo "== pip packages: ${PIP_PACKAGES[*]}"
"${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check "pip==26.3"
# Pinned (scripts/test-requirements.txt): a new upstream release cannot change what CI runs.
"${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r "${REPO_ROOT}/scripts/test-requirements.txt" "${PIP_PACKAGES[@]}"
"${VENV}/bin/python" -m pip check

# Selenium must never try to download a driver or browser: tests use
# /usr/bin/chromium and /usr/bin/chromedriver explicitly (see Tests/peers/browser.py).
echo "== versions"
"${VENV}/bin/python" --version
"${VENV}/bin/vdirsyncer" --version
"${VENV}/bin/khal" --version
"${VENV}/bin/todo" --version
"${VENV}/bin/python" - <<'PYEOF'
from importlib.metadata import version
for name in ("pytest", "icalendar", "recurring-ical-events", "PyYAML", "selenium", "requests", "python-docx", "axe-selenium-python",
             "caldav", "caldav-server-tester"):
    print(name, version(name))
PYEOF
# (the Debian launcher /usr/bin/chromium may print a harmless
# "[: ...: unexpected operator" from /etc/chromium.d/dev-shm when findmnt
# reports several /dev/shm mounts; it does not affect the browser.)
/usr/bin/chromium --version
/usr/bin/chromedriver --version
echo "== install-test-deps: done"
