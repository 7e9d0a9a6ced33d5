#!/usr/bin/env bash
# A province on one machine, for a centre's IT to try the province hub: a throwaway PostgreSQL
# cluster (tests/pg.sh), the demo hub (config/hub-demo.toml) on 127.0.0.1:8090, and two lobbies
# that ship their events to it — the demo provincial centre (config/default.toml) on :8080
# and the example commune office (config/examples/commune.toml) on :8081. Ctrl-C stops
# everything and removes the cluster and the lobbies' data.
# XEPHANG_BIN=path uses that binary instead of building a release one.
set -euo pipefail
cd "$(dirname "$0")"
.ci/deps.sh
if [ -z "${XEPHANG_BIN:-}" ]; then
  cargo build --release --locked --quiet
  XEPHANG_BIN=$PWD/target/release/xephang
fi
# shellcheck source=tests/pg.sh
. tests/pg.sh
pg_up
WORK=$(mktemp -d /tmp/xephang-province.XXXXXX)
cleanup() {
  trap - EXIT INT TERM
  for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_down
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

lobby() { # config centre token port
  { cat "$1"; printf '\n[uplink]\nurl = "http://127.0.0.1:8090"\ncentre = "%s"\ntoken = "%s"\n' "$2" "$3"; } >"$WORK/$2.toml"
  "$XEPHANG_BIN" run --config "$WORK/$2.toml" --data-dir "$WORK/$2" --bind "127.0.0.1:$4" >"$WORK/$2.log" 2>&1 &
}
"$XEPHANG_BIN" hub --bind 127.0.0.1:8090 2>"$WORK/hub.log" &
for _ in $(seq 100); do curl -fs http://127.0.0.1:8090/healthz >/dev/null 2>&1 && break; sleep 0.2; done
lobby config/default.toml tt-tinh demo-uplink-tt-tinh-0001 8080
lobby config/examples/commune.toml xa-demo demo-uplink-xa-demo-0002 8081
sleep 1
cat <<TXT

Province demo running (Ctrl-C stops it and removes everything):
  Hub, every centre live:       http://127.0.0.1:8090/
  Province dashboard:           http://127.0.0.1:8090/province?token=demo-province-token-0003
  Provincial centre (lobby):    http://127.0.0.1:8080/   (kiosk token demo-kiosk-token-00001)
  Commune office (lobby):       http://127.0.0.1:8081/
  A ticket's phone page on the hub: the QR code of any ticket, /c/<centre>/t/<id>
  PostgreSQL:                   $XEPHANG_DATABASE_URL   (psql it: tables events, centres)
Logs in $WORK.
TXT
wait
