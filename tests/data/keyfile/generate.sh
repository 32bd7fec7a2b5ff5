#!/bin/bash
# Makes the keyfile fixtures of this folder with the real NetworkManager (1.42 here), isolated:
# its own network, mount and UTS namespaces (unshare), a private dbus-daemon on a socket in a
# temporary directory, tmpfs over /etc/NetworkManager, /run/NetworkManager and
# /var/lib/NetworkManager inside that mount namespace, `[main] plugins=keyfile`,
# `no-auto-default=*`, `dns=none`, `hostname-mode=none`: it never touches the machine's real
# network, /etc or its system bus. Profiles are created with nmcli only; the copies ending in
# "-commented" get comments added by hand (sed below) afterwards, as an operator would.
#
# Usage (root: unshare needs it):  tests/data/keyfile/generate.sh [OUTDIR]
# OUTDIR defaults to this script's folder. UUIDs and timestamps differ on every run.
#
# Host mode: generate.sh --host OUTDIR  makes a hypervisor's profiles of every NIC kind
# instead (issue 15, point 5: a bond of two ports, a VLAN on it, a VLAN on a plain NIC, a
# team, a plain NIC with DHCP); tests/data/host-nic-kinds/keyfile holds its output.
#
# Oracle mode: generate.sh --check DIR  loads DIR/*.nmconnection into the same isolated
# NetworkManager and prints, for each profile it accepted, "== FILE" then nmcli's terse
# "property:value" lines (':' in values escaped as "\:"); a profile NetworkManager refused
# is missing from the output. Exit 77: cannot run here (not root, a tool missing).
# generate.sh --check DIR --up IF[=MAC][,...]  also gives that NetworkManager a veth device
# named IF (with that MAC) for each (peer IFp, inside the namespace only) and lets it
# autoconnect them: it
# then prints "=== device IF", the device's GENERAL.STATE and GENERAL.CONNECTION, and
# `ip -j addr show dev IF` (sysfs is mounted read-only there, so NetworkManager runs without
# udev, as in a container, and manages the veth devices).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
check=
host=
up=
if [ "${1:-}" = --check ]; then
  check=$(cd "$2" && pwd)
  out=$here
  if [ "${3:-}" = --up ]; then up=$4; fi
elif [ "${1:-}" = --host ]; then
  host=1
  out=$2
else
  out=${1:-$here}
fi
if [ "${MVT_KEYFILE_INNER:-}" != 1 ]; then
  [ "$(id -u)" = 0 ] || { echo "generate.sh: needs root (unshare)" >&2; exit 77; }
  for t in unshare dbus-daemon NetworkManager nmcli; do
    command -v "$t" >/dev/null || { echo "generate.sh: $t not installed" >&2; exit 77; }
  done
  tmp=$(mktemp -d /tmp/mvt-nm-keyfile.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$out"
  MVT_KEYFILE_INNER=1 MVT_TMP=$tmp MVT_OUT=$(cd "$out" && pwd) MVT_CHECK=$check MVT_HOST=$host MVT_UP=$up \
    unshare --net --mount --uts --fork --kill-child "$0"
  exit $?
fi

# --- inside the namespaces -----------------------------------------------------------------
tmp=$MVT_TMP
out=$MVT_OUT
mount --make-rprivate /
for d in /etc/NetworkManager /run/NetworkManager /var/lib/NetworkManager; do
  mkdir -p "$d" 2>/dev/null || true
  mount -t tmpfs tmpfs "$d"
done
# resolv.conf is never written (dns=none, rc-manager=unmanaged); a private file over it anyway.
: >"$tmp/resolv.conf"
mount --bind "$tmp/resolv.conf" /etc/resolv.conf
hostname mvt-keyfile-fixtures
if [ -n "${MVT_UP:-}" ]; then
  mount -t sysfs -o ro sysfs /sys
  for spec in ${MVT_UP//,/ }; do
    i=${spec%%=*}
    if [ "$i" != "$spec" ]; then
      ip link add "$i" address "${spec#*=}" type veth peer name "${i}p"
    else
      ip link add "$i" type veth peer name "${i}p"
    fi
  done
fi

mkdir -p "$tmp/conns"
chmod 700 "$tmp/conns"
if [ -n "${MVT_CHECK:-}" ]; then
  cp "$MVT_CHECK"/*.nmconnection "$tmp/conns/"
  chmod 600 "$tmp"/conns/*.nmconnection
fi
cat >"$tmp/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
CONF
cat >"$tmp/NetworkManager.conf" <<CONF
[main]
plugins=keyfile
no-auto-default=*
dns=none
rc-manager=unmanaged
hostname-mode=none
auth-polkit=false
[keyfile]
path=$tmp/conns
[logging]
level=WARN
CONF
dbus-daemon --config-file="$tmp/bus.conf" --fork --nopidfile --nosyslog
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/bus
for _ in $(seq 50); do [ -S "$tmp/bus" ] && break; sleep 0.1; done
NetworkManager --no-daemon --config="$tmp/NetworkManager.conf" --config-dir="$tmp/conf.d" \
  --state-file="$tmp/NetworkManager.state" --pid-file="$tmp/nm.pid" >"$tmp/nm.log" 2>&1 &
nm=$!
ok=
for _ in $(seq 100); do
  if nmcli -t -f RUNNING general status 2>/dev/null | grep -q running; then ok=1; break; fi
  sleep 0.1
done
[ -n "$ok" ] || { echo "generate.sh: NetworkManager did not start:" >&2; cat "$tmp/nm.log" >&2; exit 1; }

if [ -n "${MVT_CHECK:-}" ]; then
  fields=connection.id,connection.uuid,connection.interface-name,802-3-ethernet.mac-address
  fields=$fields,802-3-ethernet.mtu,ipv4.method,ipv4.addresses,ipv4.gateway,ipv4.dns,ipv4.routes
  fields=$fields,ipv4.never-default,ipv4.ignore-auto-dns,ipv4.may-fail,ipv6.method,ipv6.addresses
  fields=$fields,ipv6.gateway,ipv6.dns,ipv6.routes,ipv6.never-default
  nmcli -t -f UUID,TYPE,FILENAME connection show | while IFS=: read -r uuid type file; do
    echo "== $(basename "$file")"
    # The common settings, then the kind's own (host NICs: issue 15, point 5).
    case $type in
      vlan) f=connection.id,connection.uuid,connection.type,connection.interface-name,connection.autoconnect,ipv4.method,ipv4.addresses,ipv6.method,vlan.parent,vlan.id ;;
      bond) f=connection.id,connection.uuid,connection.type,connection.interface-name,connection.autoconnect,ipv4.method,ipv4.addresses,ipv6.method,bond.options ;;
      team) f=connection.id,connection.uuid,connection.type,connection.interface-name,connection.autoconnect,ipv4.method,ipv4.addresses,ipv6.method,team.config ;;
      *) f=$fields,connection.type,connection.autoconnect,connection.master ;;
    esac
    nmcli -t -f "$f" connection show uuid "$uuid"
  done
  for spec in ${MVT_UP//,/ }; do
    i=${spec%%=*}
    state=
    for _ in $(seq 150); do
      state=$(nmcli -g GENERAL.STATE device show "$i" 2>/dev/null || true)
      case $state in 100*) break ;; esac
      sleep 0.2
    done
    echo "=== device $i"
    nmcli -t -f GENERAL.STATE,GENERAL.CONNECTION device show "$i"
    echo "addr:$(ip -j addr show dev "$i")"
  done
  kill "$nm"
  wait "$nm" || true
  exit 0
fi

add() { echo "+ nmcli connection add $*" >>"$tmp/commands"; nmcli connection add "$@" >/dev/null; }

if [ -n "${MVT_HOST:-}" ]; then
  # A hypervisor's NICs of every kind (RFC 5737 addresses).
  add type bond con-name bond0 ifname bond0 bond.options "mode=802.3ad,miimon=100" \
    ipv4.method disabled ipv6.method disabled
  add type ethernet con-name bond0-port-em3 ifname em3 master bond0 slave-type bond
  add type ethernet con-name bond0-port-em4 ifname em4 master bond0 slave-type bond
  add type vlan con-name bond0.100 ifname bond0.100 dev bond0 id 100 \
    ipv4.method manual ipv4.addresses 198.51.100.2/24 ipv6.method auto
  add type vlan con-name vlan200 ifname em2.200 dev em2 id 200 ipv4.method auto ipv6.method ignore
  add type team con-name team0 ifname team0 team.config '{"runner": {"name": "activebackup"}}' \
    ipv4.method auto connection.autoconnect no
  add type ethernet con-name em2 ifname em2 ethernet.mac-address 18:66:DA:9F:96:D7 \
    ipv4.method auto ipv6.method auto
  sleep 0.5
  kill "$nm"
  wait "$nm" || true
  rm -f "$out"/*.nmconnection
  for f in "$tmp"/conns/*.nmconnection; do cp "$f" "$out/"; done
  { echo "# Made by tests/data/keyfile/generate.sh --host with NetworkManager $(NetworkManager --version) (isolated; see the script)."
    cat "$tmp/commands"; } >"$out/COMMANDS.txt"
  echo "NetworkManager $(NetworkManager --version): $(ls "$out"/*.nmconnection | wc -l) files in $out"
  exit 0
fi

# Static IPv4 + IPv6, MAC pinned and interface name, routes with metrics, DNS of both
# families, MTU, ignore-auto-dns, never-default on IPv6, may-fail off.
add type ethernet con-name static-v4v6 ifname ens9 \
  ethernet.mac-address 52:54:00:5D:9C:33 ethernet.mtu 9000 \
  ipv4.method manual ipv4.addresses "192.0.2.84/24, 192.0.2.85/24" ipv4.gateway 192.0.2.1 \
  ipv4.dns "192.0.2.53 198.51.100.53" ipv4.ignore-auto-dns yes ipv4.may-fail no \
  ipv4.routes "198.51.100.0/24 192.0.2.1 100, 203.0.113.0/24 192.0.2.254" \
  ipv6.method manual ipv6.addresses "2001:db8:0:9::84/64" ipv6.gateway 2001:db8:0:9::1 \
  ipv6.dns "2001:db8::53" \
  ipv6.routes "2001:db8:100::/48 2001:db8:0:9::1 50"
# DHCP (IPv4) and DHCPv6, interface name only (no MAC).
add type ethernet con-name dhcp-ifname ifname ens10 \
  ipv4.method auto ipv6.method dhcp ipv4.dns-search example.net
# Automatic: DHCP + SLAAC, matched by MAC only (no interface-name).
add type ethernet con-name "auto mac only" ifname "" ethernet.mac-address 52:54:00:AA:BB:01 \
  ipv4.method auto ipv6.method auto ipv4.never-default yes ipv6.never-default yes
# Nothing: IPv4 disabled, IPv6 ignored.
add type ethernet con-name disabled ifname ens11 ipv4.method disabled ipv6.method ignore
# Link-local both families, and IPv6 disabled on another profile.
add type ethernet con-name link-local ifname ens12 ipv4.method link-local ipv6.method link-local
add type ethernet con-name v6-off ifname ens13 ipv4.method manual ipv4.addresses 203.0.113.7/28 \
  ipv6.method disabled
# Values that need keyfile escaping: a name with ';', a leading and a trailing space, and a
# ';' inside a list item.
add type ethernet con-name " odd; name " ifname ens14 ipv4.method manual \
  ipv4.addresses 198.51.100.9/24 ipv4.dns-search "a.example;b.example" \
  connection.zone "trusted" 802-3-ethernet.wake-on-lan magic

# Comments, blank lines, an indented comment and spacing around '=' added by hand (as an
# operator would), CR LF line ends in another copy; NetworkManager then loads both copies
# (its parser is the oracle: `nmcli connection load` fails on a file GKeyFile refuses).
sed -e '1i # ens9: the database VLAN, see ticket 4711' \
    -e 's/^\[ipv4\]$/\n# static, as the network team asked\n[ipv4]/' \
    -e '/^\[ipv4\]/,/^$/s/^method=manual$/method=manual\n  # an indented comment/' \
    -e 's/^mtu=9000$/mtu = 9000/' \
    -e 's/^id=static-v4v6$/id=static-v4v6-commented/' \
    -e 's/^uuid=.*/uuid=3e1f5a52-7c1d-4c8e-9a57-1b2f0c6d4e01/' \
    "$tmp/conns/static-v4v6.nmconnection" >"$tmp/conns/static-v4v6-commented.nmconnection"
sed -e 's/$/\r/' -e 's/^id=dhcp-ifname\r$/id=dhcp-ifname-crlf\r/' \
    -e 's/^uuid=.*/uuid=9b0e3c2a-5d4f-4e6a-8b7c-2d1e0f3a4b02\r/' \
    "$tmp/conns/dhcp-ifname.nmconnection" >"$tmp/conns/dhcp-ifname-crlf.nmconnection"
chmod 600 "$tmp"/conns/*.nmconnection
for c in static-v4v6-commented dhcp-ifname-crlf; do
  nmcli connection load "$tmp/conns/$c.nmconnection"
  v=$(nmcli -g connection.id,connection.interface-name,802-3-ethernet.mtu,ipv4.method,ipv4.addresses \
      connection show "$c")
  echo "+ nmcli connection load $c.nmconnection -> $v" | tr '\n' ' ' >>"$tmp/commands"
  echo >>"$tmp/commands"
done

sleep 0.5
kill "$nm"
wait "$nm" || true

rm -f "$out"/*.nmconnection
# Plain file names in the repository (NetworkManager names files after the id; it reads any).
for f in "$tmp"/conns/*.nmconnection; do
  b=$(basename "$f" .nmconnection)
  s=$(printf '%s' "$b" | tr -c 'A-Za-z0-9.-' '-' | sed 's/^-*//; s/-*$//')
  cp "$f" "$out/$s.nmconnection"
  [ "$b" = "$s" ] || echo "# '$b.nmconnection' checked in as '$s.nmconnection'" >>"$tmp/commands"
done
{ echo "# Made by generate.sh with NetworkManager $(NetworkManager --version) (isolated; see the script)."
  cat "$tmp/commands"; } >"$out/COMMANDS.txt"
echo "NetworkManager $(NetworkManager --version): $(ls "$out"/*.nmconnection | wc -l) files in $out"
