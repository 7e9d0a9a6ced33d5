#!/usr/bin/env bash
# Schemathesis (PyPI) against the running daemon (issue 7): every operation of
# /api/v1/openapi.json is fuzzed, positively and negatively, with the demo supervisor token and
# then with the demo kiosk token; the checks are no 5xx, every response matching its schema,
# every status documented and every content type as documented. Before fuzzing,
# tests/schemathesis_busy.py makes the lobby busy and checks those answers against the
# document too. Needs target/debug/xephang
# (`cargo build --bins`) and python3 with venv. Takes about 110 s on 2 cores (debug build).
#   ST_MAX_EXAMPLES=n   cases per operation and phase (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."

ST_VERSION=4.32.5
VENV=$PWD/target/st-venv
BIN=$PWD/target/debug/xephang
MAX=${ST_MAX_EXAMPLES:-100}
CHECKS=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$ST_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$ST_VERSION"
fi
[ -x "$BIN" ] || cargo build --bins

DATA=$(mktemp -d)
OUT="$DATA/stdout"
"$BIN" run --data-dir "$DATA/data" --bind 127.0.0.1:0 >"$OUT" 2>"$DATA/stderr" &
PID=$!
cleanup() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

URL=""
for _ in $(seq 1 100); do
  URL=$(head -n 1 "$OUT" 2>/dev/null | sed -n 's/^xephang listening on //p')
  [ -n "$URL" ] && break
  kill -0 "$PID" 2>/dev/null || { cat "$DATA/stderr"; exit 1; }
  sleep 0.1
done
[ -n "$URL" ] || { echo "daemon did not start"; cat "$DATA/stderr"; exit 1; }
echo "== schemathesis $ST_VERSION against $URL"

# A busy lobby first (calls, a no-show, waiting tickets), every answer on the way checked
# against the document: the fuzzing below then also meets current tickets and waiting lists.
"$VENV/bin/python" tests/schemathesis_busy.py "$URL"

status=0
cd "$DATA" # schemathesis keeps a cache in .schemathesis/ of its working directory
for token in demo-supervisor-token-01 demo-kiosk-token-00001; do
  echo "-- token ${token%%-token*}"
  "$VENV/bin/schemathesis" run "$URL/api/v1/openapi.json" \
    --checks "$CHECKS" --max-examples "$MAX" --seed 7 --no-color \
    --generation-database "$DATA/st-db" \
    -H "Authorization: Bearer $token" || status=1
done
kill -0 "$PID" || { echo "daemon died"; status=1; }
exit $status
