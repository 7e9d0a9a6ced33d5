#!/usr/bin/env bash
# Starts xephang (release build) on the embedded demo centre, installing the ALSA and Opus
# headers and pkg-config first when missing (.ci/deps.sh). Extra arguments go to `xephang run` (e.g. --config my-centre.toml).
set -euo pipefail
cd "$(dirname "$0")"
.ci/deps.sh
exec cargo run --release --locked --quiet -- run "$@"
