#!/usr/bin/env bash
# Builds xephang's Debian package with cargo-deb and checks it (issue 18), in about a minute
# once cargo-deb is installed (the first run installs it from crates.io: several minutes):
#   1. contents: the binary, both units, the conffiles, the docs;
#   2. conffiles: /etc/xephang/xephang.toml and /etc/default/xephang, the config 0640;
#   3. maintainer scripts: present, executable, valid sh, creating the user and data folder;
#   4. `systemd-analyze verify` of both units (any warning fails the check);
#   5. install into a throwaway root (dpkg --root, scripts run chrootless with DPKG_ROOT):
#      the `xephang` system user exists there, /var/lib/xephang is its own, the config is
#      root:xephang 0640, the host is untouched;
#   6. the installed binary, run with the installed config, refuses to start (exit 78) naming
#      the demo PINs and tokens; with --demo it starts;
#   7. an upgrade keeps the centre's edited config; a purge runs its scripts and keeps the
#      journals.
# The package checked here holds the debug build already made by the test command (cargo-deb
# warns that it is meant for release profiles); a real package is `cargo deb` (release).
set -euo pipefail
cd "$(dirname "$0")/.."

.ci/deps.sh --package
CARGO_DEB_VERSION=3.8.0
if ! cargo deb --version 2>/dev/null | grep -q "$CARGO_DEB_VERSION"; then
  echo "== installing cargo-deb $CARGO_DEB_VERSION from crates.io (once)"
  cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked
fi

fail() { echo "package check FAILED: $*" >&2; exit 1; }
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=fakeroot; fi

out=target/package
rm -rf "$out"
mkdir -p "$out"
cargo build --locked --bins --quiet
echo "== cargo deb"
cargo deb --no-build --profile dev --fast --quiet --output "$out/" 2>&1 | grep -v "dev profile is not supported\|debug symbols set\|^\s*To enable" || true
deb=$(ls "$out"/xephang_*.deb)
[ -f "$deb" ] || fail "no .deb built"

echo "== contents of $deb"
contents=$(dpkg-deb -c "$deb")
for path in ./usr/bin/xephang ./lib/systemd/system/xephang.service \
  ./lib/systemd/system/xephang-hub.service ./etc/xephang/xephang.toml ./etc/default/xephang \
  ./usr/share/doc/xephang/README.md ./usr/share/doc/xephang/copyright \
  ./usr/share/doc/xephang/examples/commune.toml ./usr/share/doc/xephang/grafana-xephang.json; do
  grep -q " $path\$" <<<"$contents" || fail "$path is not in the package"
done
grep -q '^-rw-r----- .* ./etc/xephang/xephang.toml$' <<<"$contents" || fail "the config is not 0640"
grep -q '^-rwxr-xr-x .* ./usr/bin/xephang$' <<<"$contents" || fail "the binary is not 0755"
dpkg-deb -f "$deb" Package Version Architecture Depends | sed 's/^/  /'
dpkg-deb -f "$deb" Depends | grep -q libasound2 || fail "Depends lacks libasound2 (\$auto)"

ctl="$out/control"
dpkg-deb -e "$deb" "$ctl"
echo "== conffiles"
sed 's/^/  /' "$ctl/conffiles"
diff <(sort "$ctl/conffiles") <(printf '/etc/default/xephang\n/etc/xephang/xephang.toml\n') \
  || fail "conffiles differ"

echo "== maintainer scripts"
for s in postinst prerm postrm; do
  [ -x "$ctl/$s" ] || fail "$s missing or not executable"
  sh -n "$ctl/$s" || fail "$s is not valid sh"
done
grep -q 'useradd' "$ctl/postinst" || fail "postinst does not create the user"
grep -q '/var/lib/xephang' "$ctl/postinst" || fail "postinst does not make the data folder"
if command -v shellcheck >/dev/null; then shellcheck -s sh "$ctl"/postinst "$ctl"/prerm "$ctl"/postrm; fi

root=$(mktemp -d "${TMPDIR:-/tmp}/xephang-pkg.XXXXXX")
trap 'rm -rf "$root"' EXIT

echo "== systemd-analyze verify"
dpkg-deb -x "$deb" "$root/x"
# The units' dependencies (sysinit.target…) and ExecReload's /bin/kill, as on a system.
mkdir -p "$root/x/usr/lib/systemd/system" "$root/x/bin"
cp -a /lib/systemd/system/*.target "$root/x/usr/lib/systemd/system/"
for k in /bin/kill /usr/bin/kill; do [ -x "$k" ] && cp "$k" "$root/x/bin/kill" && break; done
verify=$(systemd-analyze verify --root="$root/x" \
  "$root/x/lib/systemd/system/xephang.service" "$root/x/lib/systemd/system/xephang-hub.service" 2>&1) \
  || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify warns: $verify"
for key in NoNewPrivileges=yes ProtectSystem=strict ReadWritePaths=/var/lib/xephang \
  AmbientCapabilities=CAP_NET_BIND_SERVICE Restart=on-failure Type=notify WatchdogSec=30 \
  'ExecStart=/usr/bin/xephang run --config /etc/xephang/xephang.toml'; do
  grep -q "^$key" "$root/x/lib/systemd/system/xephang.service" || fail "xephang.service lacks $key"
done
grep -q '^ExecStart=/usr/bin/xephang hub --config /etc/xephang/hub.toml$' \
  "$root/x/lib/systemd/system/xephang-hub.service" || fail "xephang-hub.service ExecStart"
echo "  both units verify cleanly"

echo "== install into a throwaway root (dpkg --root)"
r="$root/sys"
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$r/var/lib/dpkg/triggers" "$r/etc" "$r/var/log"
touch "$r/var/lib/dpkg/status" "$r/var/lib/dpkg/available"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
printf 'root:x:0:\naudio:x:29:\n' >"$r/etc/group"
printf 'root:*:19000:0:99999:7:::\n' >"$r/etc/shadow"
printf 'root:*::\naudio:*::\n' >"$r/etc/gshadow"
chmod 0640 "$r/etc/shadow" "$r/etc/gshadow"
cp /etc/login.defs "$r/etc/"
host_passwd=$(md5sum /etc/passwd /etc/group)
dpkg_root() { $SUDO dpkg --root="$r" --force-script-chrootless --force-depends --force-confold "$@" </dev/null; }
dpkg_root -i "$deb" >"$root/dpkg.log" 2>&1 || { cat "$root/dpkg.log"; fail "dpkg -i"; }
grep -q '^xephang:x:[0-9]*:[0-9]*:.*:/var/lib/xephang:/usr/sbin/nologin$' "$r/etc/passwd" \
  || fail "no xephang user in the root: $(cat "$r/etc/passwd")"
uid=$(awk -F: '$1=="xephang"{print $3}' "$r/etc/passwd")
gid=$(awk -F: '$1=="xephang"{print $3}' "$r/etc/group")
[ "$uid" -lt 1000 ] || fail "xephang is not a system user (uid $uid)"
if [ -z "$SUDO" ]; then
  [ "$(stat -c '%u:%g %a' "$r/var/lib/xephang")" = "$uid:$gid 750" ] \
    || fail "/var/lib/xephang: $(stat -c '%u:%g %a' "$r/var/lib/xephang")"
  [ "$(stat -c '%u:%g %a' "$r/etc/xephang/xephang.toml")" = "0:$gid 640" ] \
    || fail "config: $(stat -c '%u:%g %a' "$r/etc/xephang/xephang.toml")"
fi
[ "$host_passwd" = "$(md5sum /etc/passwd /etc/group)" ] || fail "the host's users changed"
echo "  user xephang ($uid:$gid), /var/lib/xephang and the config in place; host untouched"

echo "== the installed binary refuses the installed config (demo secrets)"
set +e
"$r/usr/bin/xephang" run --config "$r/etc/xephang/xephang.toml" --data-dir "$r/var/lib/xephang" \
  --bind 127.0.0.1:0 >"$root/run.out" 2>"$root/run.err" </dev/null
code=$?
set -e
[ "$code" -eq 78 ] || fail "exit $code instead of 78: $(cat "$root/run.err")"
for needle in "still holds the demo centre's public secrets" "staff nv01: pin_hash is the demo's (PIN 1234)" \
  "staff gs01: pin_hash is the demo's (PIN 9999)" 'device "TV sảnh": token demo-display-token-0001' \
  'device "Máy tính giám sát": token demo-supervisor-token-01' "--demo"; do
  grep -qF -- "$needle" "$root/run.err" || fail "the refusal does not name: $needle"
done
[ ! -s "$root/run.out" ] || fail "it printed a start-up line: $(cat "$root/run.out")"
sed 's/^/  /' "$root/run.err"
# On purpose, the same file runs.
"$r/usr/bin/xephang" run --demo --config "$r/etc/xephang/xephang.toml" --data-dir "$root/demo-data" \
  --bind 127.0.0.1:0 >"$root/demo.out" 2>"$root/demo.err" </dev/null &
pid=$!
for _ in $(seq 1 100); do grep -q '^xephang listening on http://' "$root/demo.out" && break; sleep 0.1; done
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
grep -q '^xephang listening on http://' "$root/demo.out" || fail "--demo did not start: $(tail -5 "$root/demo.err")"
echo "  with --demo it starts"

echo "== upgrade keeps the edited config; purge"
echo '# edited by the centre' >>"$r/etc/xephang/xephang.toml"
cargo deb --no-build --profile dev --fast --quiet --deb-version 0.1.0-2 --output "$out/upgrade.deb" >/dev/null 2>&1
dpkg_root -i "$out/upgrade.deb" >"$root/dpkg.log" 2>&1 || { cat "$root/dpkg.log"; fail "upgrade"; }
grep -q '^# edited by the centre$' "$r/etc/xephang/xephang.toml" || fail "the upgrade replaced the edited config"
[ "$(grep -c '^xephang:' "$r/etc/passwd")" -eq 1 ] || fail "the upgrade added a second user"
mkdir -p "$r/var/lib/xephang/journal" && touch "$r/var/lib/xephang/journal/2026-11-30.jsonl"
dpkg_root --purge xephang >"$root/dpkg.log" 2>&1 || { cat "$root/dpkg.log"; fail "purge"; }
[ ! -e "$r/usr/bin/xephang" ] || fail "the binary is still there after purge"
[ ! -e "$r/etc/xephang/xephang.toml" ] || fail "the config is still there after purge"
[ -f "$r/var/lib/xephang/journal/2026-11-30.jsonl" ] || fail "purge removed the journals"
echo "  upgrade kept the config, purge removed the package and kept the journals"
echo "== package checks passed: $deb"
