#!/bin/sh
# The drift units as installed (configured like packaging/CMakeLists.txt does at install
# time): systemd-analyze security --offline scores each service's exposure at most 4.0, and
# systemd-analyze verify accepts every unit; every path a sandboxing setting names is
# optional ("-": a missing directory does not stop the unit); both services read
# EnvironmentFile=-/etc/default/macvtapctl and take the textfile path from it.
# Usage: units_test.sh SOURCE_DIR MACVTAPCTL
# Exit 77 (skipped) without systemd-analyze.
set -u
src=$1
bin=$2
command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: no systemd-analyze"; exit 77; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# A root like the package's: the units, the binary, and systemd's own targets from this host.
mkdir -p "$root/lib/systemd/system" "$root/usr/bin" "$root/run/systemd/system"
cp "$bin" "$root/usr/bin/macvtapctl"
cp /lib/systemd/system/*.target /lib/systemd/system/*.slice "$root/run/systemd/system/"
for unit in "$src"/packaging/systemd/*; do
  sed 's|@CMAKE_INSTALL_FULL_BINDIR@|/usr/bin|g' "$unit" >"$root/lib/systemd/system/${unit##*/}"
done

for unit in macvtapctl-drift.service macvtapctl-drift@kvm1.service; do
  score=$(systemd-analyze security --offline=true --root="$root" --no-pager "$unit" 2>&1 |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  echo "$unit: exposure $score"
  [ -n "$score" ] || fail "$unit: no exposure score"
  awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 4.0) }' || fail "$unit: exposure $score > 4.0"
done
# --man=no: Documentation=man:macvtapctl(1) is looked up on this host, not in the root.
systemd-analyze verify --man=no --root="$root" macvtapctl-drift.service macvtapctl-drift.timer \
  macvtapctl-drift@kvm1.service macvtapctl-drift@kvm1.timer || fail "systemd-analyze verify"

for unit in "$root"/lib/systemd/system/*.service; do
  name=${unit##*/}
  grep -qx 'EnvironmentFile=-/etc/default/macvtapctl' "$unit" ||
    fail "$name: no EnvironmentFile=-/etc/default/macvtapctl"
  bad=$(grep -E '^(ReadWritePaths|ReadOnlyPaths|InaccessiblePaths|ExecPaths|NoExecPaths)=' \
    "$unit" | grep -vE '^[A-Za-z]+=(-[^ ]+( |$))+$')
  [ -z "$bad" ] || fail "$name: paths that are not optional (no '-'): $bad"
  grep -E '^ExecStart=.*--prometheus \$\{MVT_TEXTFILE(_DIR)?\}' "$unit" >/dev/null ||
    fail "$name: the textfile path does not come from MVT_TEXTFILE/MVT_TEXTFILE_DIR"
done

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "units: ok"
