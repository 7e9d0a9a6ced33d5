#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the hub's tests and demo. Source it:
#   . tests/pg.sh && pg_up     # exports XEPHANG_DATABASE_URL (and PG_PORT, PG_DIR, PG_BIN)
#   pg_down                    # stops the cluster and removes its directory
# It installs Debian's postgresql when missing, runs initdb into a temp dir on a free port
# (as the postgres user when run as root: the server refuses to run as root), listens on
# 127.0.0.1 and a socket in that dir only, and creates the database `xephang`.
# `pg_restart` stops and starts the same cluster (fault tests). `PG_PARENT=/dev/shm` puts the
# cluster's directory there instead of /tmp (hub_lobby: the database off the lobby's disk).

pg_bin_dir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

pg_as() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_up() {
  if [ -z "$(pg_bin_dir)" ]; then
    echo "== installing Debian's postgresql" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql </dev/null >&2
  fi
  PG_BIN=$(pg_bin_dir)
  PG_DIR=$(mktemp -d "${PG_PARENT:-/tmp}/xephang-pg.XXXXXX")
  chmod 755 "$PG_DIR"
  mkdir -p "$PG_DIR/data" "$PG_DIR/sock"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$PG_DIR"
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  pg_start || return 1
  pg_as "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres xephang || return 1
  export PG_BIN PG_DIR PG_PORT
  export XEPHANG_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/xephang"
  echo "== PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT ($PG_DIR)" >&2
}

pg_start() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
    -o "-p $PG_PORT -k $PG_DIR/sock -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
}

pg_restart() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null && pg_start
}

pg_down() {
  [ -n "${PG_DIR:-}" ] || return 0
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  unset XEPHANG_DATABASE_URL PG_DIR
}
