#!/bin/sh
# CI check of the Debian package (issue 16), as root on Debian 12:
#  1. builds the .deb from a release build (build/deb: the release preset without tests) with
#     `cpack -G DEB`;
#  2. lints it: lintian with 0 errors and 0 warnings (and no override);
#  3. installs it with `dpkg -i` into a clean root (an empty dpkg database in a temporary
#     directory; the packages its Depends name are recorded there as the host has them, so
#     dpkg checks the Depends line against Debian 12's versions) and checks what it installed:
#     the file list, `macvtapctl --version`, each man page (`man -l --warnings`: no warning),
#     the bash completion loading in bash (and the zsh one parsing), the schemas' `$id`, the
#     example topologies (validated by the installed binary), the units (`systemd-analyze
#     verify`, and `systemd-analyze security --offline` exposure <= 4.0);
#  4. removes it again (dpkg -r) and checks that nothing of it is left.
# Prints its time. MVT_JOBS sets the build's parallelism (default: every core); MVT_DEB=FILE
# skips steps 1's build and checks FILE.
set -eu
cd "$(dirname "$0")/.."
src=$PWD
start=$(date +%s)
say() { echo "check-deb: $*"; }
fail() { echo "check-deb: FAILED: $*" >&2; exit 1; }

MVT_EXTRA_PKGS="${MVT_EXTRA_PKGS:-} file lintian man-db zsh systemd" ./cmake/install-deps.sh

# 1. Build. -B: its own build directory, so the developer's build/release is left alone.
# MVT_DEB=FILE checks that .deb instead (e.g. one built by hand).
if [ -n "${MVT_DEB:-}" ]; then
  deb=$MVT_DEB
else
  build="$src/build/deb"
  cmake --preset release -B "$build" -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$build" -j"${MVT_JOBS:-$(nproc)}"
  rm -f "$build"/macvtapctl_*.deb
  (cd "$build" && cpack -G DEB >/dev/null) || fail "cpack -G DEB"
  deb=$(ls "$build"/macvtapctl_*.deb)
fi
version=$(dpkg-deb -f "$deb" Version)
say "package $deb"
dpkg-deb -f "$deb" Package Version Architecture Depends Recommends Section

# 2. Lint.
lintian --fail-on error,warning --display-info "$deb" ||
  fail "lintian reports errors or warnings (above)"
say "lintian: 0 errors, 0 warnings"

# 3. Install into a clean root.
root=$(mktemp -d /tmp/mvt-deb-root.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
: >"$root/var/lib/dpkg/available"
# Record each package the Depends line names (the first alternative the host has) as
# installed, with the host's version: dpkg then checks names and version constraints.
dpkg-deb -f "$deb" Depends | tr ',' '\n' | while IFS= read -r alternatives; do
  found=""
  for alt in $(echo "$alternatives" | tr '|' '\n' | sed 's/(.*)//; s/:any//' | tr -d ' '); do
    if dpkg-query -s "$alt" >/dev/null 2>&1; then
      dpkg-query -s "$alt" >>"$root/var/lib/dpkg/status"
      echo >>"$root/var/lib/dpkg/status"
      # ... with no files (an empty file list, as dpkg expects one per package).
      for name in $(dpkg-query -W -f='${binary:Package}\n' "$alt"); do
        : >"$root/var/lib/dpkg/info/$name.list"
      done
      found=$alt
      break
    fi
  done
  [ -n "$found" ] || fail "no package of '$alternatives' is installed on this Debian host"
done
# The maintainer scripts run outside the root (there is no shell inside); they do nothing
# when DPKG_ROOT is set, which dpkg --root sets.
dpkg --root="$root" --force-script-chrootless -i "$deb" >/dev/null || fail "dpkg -i"
dpkg --root="$root" -s macvtapctl | grep -q '^Status: install ok installed' ||
  fail "dpkg does not record macvtapctl as installed"
say "installed into $root"

for f in /usr/bin/macvtapctl \
         /usr/share/man/man1/macvtapctl.1.gz \
         /usr/share/bash-completion/completions/macvtapctl \
         /usr/share/zsh/vendor-completions/_macvtapctl \
         /usr/share/macvtapctl/schemas/topology.schema.json \
         /usr/share/macvtapctl/schemas/plan.schema.json \
         /usr/share/doc/macvtapctl/copyright \
         /usr/share/doc/macvtapctl/changelog.gz \
         /usr/share/doc/macvtapctl/README.md.gz \
         /usr/share/doc/macvtapctl/SECURITY.md.gz \
         /usr/share/doc/macvtapctl/examples/seed.yaml \
         /lib/systemd/system/macvtapctl-drift.service \
         /lib/systemd/system/macvtapctl-drift.timer \
         /lib/systemd/system/macvtapctl-drift@.service \
         /lib/systemd/system/macvtapctl-drift@.timer; do
  [ -f "$root$f" ] || fail "the package does not install $f"
  dpkg --root="$root" -S "$f" >/dev/null 2>&1 || fail "$f is not in the package's file list"
done
for scd in docs/man/*.scd; do  # every man page source becomes an installed page
  page=$(basename "$scd" .scd)
  f=/usr/share/man/man${page##*.}/$page.gz
  [ -f "$root$f" ] || fail "the package does not install $f (from $scd)"
done
[ ! -e "$root/usr/local" ] || fail "the package installs under /usr/local"

# macvtapctl --version, from the installed binary (the host provides its libraries).
out=$("$root/usr/bin/macvtapctl" --version)
[ "$out" = "macvtapctl $version" ] || fail "--version says '$out', the package is $version"
say "--version: $out"

# Man pages: every installed page renders without a warning.
pages=$(find "$root/usr/share/man" -name '*.gz' | sort)
[ -n "$pages" ] || fail "no man page installed"
for page in $pages; do
  warnings=$(MANWIDTH=80 man -l --warnings "$page" 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "man -l ${page#"$root"}: $warnings"
  say "man -l ${page#"$root"}: no warnings"
done

# Completion: bash loads it and binds it to macvtapctl; zsh parses it.
bash_out=$(bash -c 'source "$1" && complete -p macvtapctl' sh \
  "$root/usr/share/bash-completion/completions/macvtapctl")
[ "$bash_out" = "complete -F _macvtapctl macvtapctl" ] || fail "bash completion: '$bash_out'"
zsh -n "$root/usr/share/zsh/vendor-completions/_macvtapctl" || fail "zsh completion does not parse"
say "completion: $bash_out"

# Schemas: JSON, with a stable $id named after the installed file.
for schema in "$root"/usr/share/macvtapctl/schemas/*.json; do
  id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["$id"])' "$schema") ||
    fail "$schema is not JSON with an \$id"
  [ "$id" = "https://macvtapctl.invalid/schemas/$(basename "$schema")" ] ||
    fail "${schema#"$root"}: \$id is '$id'"
done

# Examples: the installed binary accepts each, and each points at the installed schema.
for ex in "$root"/usr/share/doc/macvtapctl/examples/*.yaml; do
  "$root/usr/bin/macvtapctl" validate -f "$ex" >/dev/null || fail "validate ${ex#"$root"}"
  if grep -q 'schema=' "$ex"; then
    grep -q 'schema=/usr/share/macvtapctl/schemas/topology.schema.json' "$ex" ||
      fail "${ex#"$root"} does not point at the installed schema"
  fi
done
say "schemas and examples: ok"

# Units: systemd-analyze verify inside the root (ExecStart must name the installed binary).
# systemd's own targets (sysinit.target, timers.target, ...) come from this host's systemd,
# copied into the root's /run, where a system would have them. --man=no: the units'
# Documentation=man:macvtapctl(1) would be looked up on this host; it is checked here instead.
for unit in "$root"/lib/systemd/system/macvtapctl-drift*; do
  grep -qx 'Documentation=man:macvtapctl(1)' "$unit" || fail "${unit#"$root"}: no Documentation="
done
grep -qx 'ExecStart=/usr/bin/macvtapctl drift .*' "$root/lib/systemd/system/macvtapctl-drift.service" ||
  fail "macvtapctl-drift.service does not run /usr/bin/macvtapctl"
mkdir -p "$root/run/systemd/system"
cp /lib/systemd/system/*.target /lib/systemd/system/*.slice "$root/run/systemd/system/"
units="macvtapctl-drift.service macvtapctl-drift.timer macvtapctl-drift@kvm1.service
       macvtapctl-drift@kvm1.timer"
# shellcheck disable=SC2086
systemd-analyze verify --man=no --root="$root" $units || fail "systemd-analyze verify"
for unit in macvtapctl-drift.service macvtapctl-drift@kvm1.service; do
  systemd-analyze security --offline=true --root="$root" --threshold=40 --no-pager "$unit" |
    tail -n 1
  systemd-analyze security --offline=true --root="$root" --threshold=40 --no-pager "$unit" \
    >/dev/null || fail "$unit: exposure above 4.0"
done
rm -rf "$root/run/systemd"
say "units: verified, exposure <= 4.0"

# 4. Remove: nothing of the package is left but directories (dpkg -r keeps conffiles;
# the package has none).
dpkg --root="$root" --force-script-chrootless -r macvtapctl >/dev/null || fail "dpkg -r"
left=$(find "$root" -type f ! -path "$root/var/lib/dpkg/*")
[ -z "$left" ] || fail "files left after dpkg -r: $left"

say "ok ($(( $(date +%s) - start )) s)"
