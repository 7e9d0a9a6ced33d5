#!/bin/sh
# Short fuzz smoke: each target ~8 s under libFuzzer, starting from the committed corpus
# (http_request: whole requests through an in-process daemon, see tests/fuzz/src/http_request.rs).
# New inputs go to a temporary directory, so the committed corpus stays small; a crash leaves
# its input in tests/fuzz/artifacts/<target>/ (add it to the corpus as a regression test).
# Needs cargo-fuzz (`cargo install cargo-fuzz`, ~3 min); the stable toolchain runs it with
# RUSTC_BOOTSTRAP=1. First build ~6 min on 2 cores; then about 40 s in all.
# Without cargo-fuzz, CI runs `cargo test --test fuzz_corpus` (the same functions, no libFuzzer).
set -eu
cd "$(dirname "$0")/../.."
SECS="${FUZZ_SECS:-8}"
export RUSTC_BOOTSTRAP=1
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "cargo-fuzz not installed: replaying the corpus instead" >&2
    exec cargo test --test fuzz_corpus
fi
for t in journal_line config api_input http_request; do
    tmp="$(mktemp -d)"
    cargo fuzz run --fuzz-dir tests/fuzz -s none "$t" "$tmp" "tests/fuzz/corpus/$t" -- \
        -max_total_time="$SECS" -print_final_stats=1 2>&1 |
        grep -E '^(stat::number_of_executed_units|#[0-9]+.*DONE)|panicked|ERROR' || true
    rm -rf "$tmp"
    # cargo fuzz exits non-zero on a crash; `set -e` does not see it through the pipe.
    if [ -n "$(ls "tests/fuzz/artifacts/$t" 2>/dev/null)" ]; then
        echo "$t: crash inputs in tests/fuzz/artifacts/$t" >&2
        exit 1
    fi
done
