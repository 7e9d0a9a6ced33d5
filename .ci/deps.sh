#!/usr/bin/env bash
# Installs the Debian packages xephang needs when they are missing: ALSA headers and
# pkg-config (rodio's sound output), and with --browser Debian's chromium for browser tests
# and python3-venv for schemathesis; Debian's postgresql for the province hub's tests
# (tests/pg.sh starts a throwaway cluster of it).
set -euo pipefail
need=()
dpkg -s libasound2-dev >/dev/null 2>&1 || need+=(libasound2-dev)
dpkg -s pkg-config >/dev/null 2>&1 || need+=(pkg-config)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ "${1:-}" = "--browser" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  # schemathesis runs in a venv (tests/schemathesis.sh).
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
fi
[ "${#need[@]}" -eq 0 ] && exit 0
echo "== installing Debian packages: ${need[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" </dev/null >&2
