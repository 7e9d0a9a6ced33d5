#!/usr/bin/env bash
# Installs the Debian packages xephang needs when they are missing: ALSA headers and
# pkg-config (rodio's sound output), libopus-dev (decoding the voice studio's browser
# recordings, WebM/Ogg Opus, through the `opus` crate); with --browser (the test command) also
# Debian's chromium for browser tests, python3-venv for schemathesis, and tesseract with its
# Vietnamese data (the print tests read printed tickets back by OCR) and openssl for the https
# browser test; with --package what tests/package.sh needs (dpkg-dev, binutils, systemd for
# systemd-analyze, fakeroot). With --browser, also Debian's postgresql for the province hub's
# tests (tests/pg.sh starts a throwaway cluster of it); `./run.sh` (the lobby alone) needs none.
set -euo pipefail
need=()
dpkg -s libasound2-dev >/dev/null 2>&1 || need+=(libasound2-dev)
dpkg -s pkg-config >/dev/null 2>&1 || need+=(pkg-config)
dpkg -s libopus-dev >/dev/null 2>&1 || need+=(libopus-dev)
if [ "${1:-}" = "--package" ]; then
  # tests/package.sh: cargo-deb's dependency scan, strip, the units' check, dpkg as non-root.
  command -v dpkg-shlibdeps >/dev/null 2>&1 || need+=(dpkg-dev)
  command -v strip >/dev/null 2>&1 || need+=(binutils)
  command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
  command -v useradd >/dev/null 2>&1 || need+=(passwd)
  [ "$(id -u)" -eq 0 ] || command -v fakeroot >/dev/null 2>&1 || need+=(fakeroot)
fi
if [ "${1:-}" = "--browser" ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  dpkg -s tesseract-ocr >/dev/null 2>&1 || need+=(tesseract-ocr)
  dpkg -s tesseract-ocr-vie >/dev/null 2>&1 || need+=(tesseract-ocr-vie)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  # schemathesis runs in a venv (tests/schemathesis.sh).
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
  # The https browser test makes its certificate with openssl (tests/e2e/tls.test.mjs).
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
fi
[ "${#need[@]}" -eq 0 ] && exit 0
echo "== installing Debian packages: ${need[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" </dev/null >&2
