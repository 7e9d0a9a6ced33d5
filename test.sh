#!/usr/bin/env bash
# Runs every test of xephang on a fresh Debian machine: installs what is missing (ALSA headers
# for rodio, Debian's chromium for the browser tests, the pinned npm dev tools, cargo-deb), then
# format and lint checks, the Rust unit/property/integration tests, the Debian package check,
# schemathesis, and the end-to-end browser tests.
set -euo pipefail
cd "$(dirname "$0")"

.ci/deps.sh --browser

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings

echo "== PostgreSQL for the province hub's tests (tests/pg.sh: a throwaway cluster)"
# shellcheck source=tests/pg.sh
. tests/pg.sh
pg_up
trap pg_down EXIT

echo "== cargo test"
cargo build --locked --bins
cargo test --locked --no-fail-fast 2>&1 | tee target/cargo-test.log
grep -q "test result" target/cargo-test.log

# The Debian package: built with cargo-deb (installed from crates.io when missing) from the
# debug build above, its contents, conffiles, maintainer scripts and units checked, installed
# into a throwaway root, and the installed binary refusing the installed demo config.
echo "== Debian package (tests/package.sh)"
tests/package.sh

echo "== schemathesis (tests/schemathesis.sh)"
tests/schemathesis.sh

if [ -f tests/e2e/package.json ]; then
  echo "== browser tests (tests/e2e)"
  (cd tests/e2e && npm ci --no-audit --no-fund && XEPHANG_BIN="$PWD/../../target/debug/xephang" node --test)
fi
echo "== all tests passed"
