#!/bin/bash
# The project's lab: a real libvirtd + QEMU and two host NICs, em1 and em2, on this machine.
#
#   tests/system/lab.sh up       (root) install what is missing, start daemons, create NICs
#   tests/system/lab.sh down     (root) remove exactly what `up` created
#   tests/system/lab.sh status   print what the lab has and what it created
#   tests/system/lab.sh guest    (root) build the lab guest (tests/system/guest/build.sh)
#   tests/system/lab.sh guest-nm (root) build the NetworkManager lab guest
#                                (tests/system/guest-nm/build.sh: Debian 12, mmdebstrap)
#
# Layout (see ../../shared/design/LAB.md for the facts this rests on):
#   host em1 <-veth-> em1p   in netns "mvtlab", 198.51.100.1/24   (RFC 5737 TEST-NET-2)
#                                              2001:db8:0:1::1/64  (RFC 3849)
#   host em2 <-veth-> em2p   in netns "mvtlab", 192.0.2.1/24      (RFC 5737 TEST-NET-1)
#                                              2001:db8:0:2::1/64  (RFC 3849)
#   lo of the netns: 2001:db8:100::1/128, a far network for a guest's route6
#   (2001:db8:100::/48 via 2001:db8:0:2::1): the netns owns it, so it answers a ping.
# The IPv6 addresses are added with nodad (usable at once) and recorded ("addr6 ...") when
# `up` added them; `down` removes them.
# em1/em2 stay unconfigured on the host (the procedure's macvtap lower devices); lab guests
# attach to them with <interface type='direct'> and talk to the namespace's far ends, so
# nothing leaves the machine. Suggested guest addresses: 192.0.2.84/24 on the em2 side
# (gateway 192.0.2.1), 198.51.100.15/24 on the em1 side (gateway 198.51.100.1).
#
# Idempotent: `up` twice creates nothing new. Everything `up` creates is recorded, one item a
# line, in $MVT_LAB_STATE/created ("link em2", "netns mvtlab", "daemon libvirtd 1234", ...);
# `down` undoes only those items, so it never kills a libvirtd it did not start nor deletes a
# real em2. Installed packages, the libvirt-qemu user, the kvm group and the libvirt
# directories are kept by `down` (they are harmless and slow to recreate); they are recorded
# as "kept ..." for the record. /dev/kvm gets Debian's udev permissions (root:kvm 0660;
# restored by `down`), else libvirt re-probes QEMU on every define. Concurrent invocations are serialised with flock.
set -euo pipefail

STATE_DIR="${MVT_LAB_STATE:-/run/mvt-lab}"
CREATED="$STATE_DIR/created"
NETNS="${MVT_LAB_NETNS:-mvtlab}"
URI="qemu:///system"
PKGS=(libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86 iproute2 libvirt-clients iputils-ping)
# nic  peer  address-of-peer-in-netns
NICS=("em1 em1p 198.51.100.1/24" "em2 em2p 192.0.2.1/24")
# dev-in-netns  IPv6 address (RFC 3849)
ADDRS6=("em1p 2001:db8:0:1::1/64" "em2p 2001:db8:0:2::1/64" "lo 2001:db8:100::1/128")

log() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "must run as root (it starts libvirtd and creates NICs)"; }
record() { echo "$*" >>"$CREATED"; }
recorded() { [ -f "$CREATED" ] && grep -qxF "$*" "$CREATED"; }

lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/lock"
  flock -w 120 9 || die "another lab.sh holds $STATE_DIR/lock for more than 120 s"
}

install_packages() {
  local missing=() p
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || log "apt-get update failed; trying the install anyway"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  for p in "${missing[@]}"; do record "kept package $p"; done
}

ensure_users() {
  # Debian's libvirt runs QEMU as libvirt-qemu:libvirt-qemu (qemu.conf defaults) and
  # expects the kvm group; libvirt-daemon-system normally creates them.
  local g
  for g in kvm libvirt-qemu; do
    if ! getent group "$g" >/dev/null; then groupadd -r "$g"; record "kept group $g"; fi
  done
  if ! getent passwd libvirt-qemu >/dev/null; then
    useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
    record "kept user libvirt-qemu"
  fi
  mkdir -p /var/log/libvirt/qemu /var/run/libvirt /var/lib/libvirt
  # /dev/kvm as Debian's udev rule leaves it (root:kvm 0660). Without udev it stays root 0600:
  # libvirt then finds KVM "enabled when probing but not available now" for libvirt-qemu and
  # re-probes QEMU's capabilities on every define (30-60 s each). Guests still use TCG.
  if [ -c /dev/kvm ]; then
    local cur
    cur="$(stat -c '%U:%G %a' /dev/kvm)"
    if [ "$cur" != "root:kvm 660" ]; then
      record "perm /dev/kvm $cur"
      chown root:kvm /dev/kvm
      chmod 0660 /dev/kvm
    fi
  fi
}

# pid of a running daemon by exact executable name, or nothing.
# A killed daemon stays a zombie until it is reaped: not running.
daemon_pid() {
  local p
  for p in $(pgrep -x "$1" || true); do
    if [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then echo "$p"; return 0; fi
  done
}

start_daemon() {  # name
  local name="$1" pid
  pid="$(daemon_pid "$name")"
  if [ -n "$pid" ]; then return 0; fi
  log "starting $name"
  "$name" -d 9>&-  # the daemon must not inherit the lock
  local i
  for i in $(seq 1 50); do
    pid="$(daemon_pid "$name")"
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || die "$name did not start"
  record "daemon $name $pid"
}

wait_libvirtd() {
  local i
  for i in $(seq 1 60); do
    if virsh -c "$URI" list >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "libvirtd started but 'virsh -c $URI list' still fails after 30 s"
}

create_nics() {
  if ! ip netns list | grep -qw "^$NETNS"; then
    ip netns add "$NETNS"
    record "netns $NETNS"
  fi
  ip -n "$NETNS" link set lo up
  local entry nic peer addr
  for entry in "${NICS[@]}"; do
    read -r nic peer addr <<<"$entry"
    if ip link show "$nic" >/dev/null 2>&1; then
      recorded "link $nic" || { log "$nic exists and is not the lab's: left alone"; continue; }
    else
      ip link add "$nic" type veth peer name "$peer"
      ip link set "$peer" netns "$NETNS"
      record "link $nic"
    fi
    if ip -n "$NETNS" link show "$peer" >/dev/null 2>&1; then
      ip -n "$NETNS" addr replace "$addr" dev "$peer"
      ip -n "$NETNS" link set "$peer" up
    fi
    # No IPv6 autoconf chatter on the lower device; it stays unconfigured like the procedure's.
    sysctl -qw "net.ipv6.conf.$nic.disable_ipv6=1" 2>/dev/null || true
    ip link set "$nic" up
  done
  local dev a6 have
  for entry in "${ADDRS6[@]}"; do
    read -r dev a6 <<<"$entry"
    ip -n "$NETNS" link show "$dev" >/dev/null 2>&1 || continue
    have="$(ip -n "$NETNS" -6 addr show dev "$dev")"  # not piped into grep -q: pipefail
    if ! grep -qw "inet6 $a6" <<<"$have"; then
      ip -n "$NETNS" -6 addr add "$a6" dev "$dev" nodad
      record "addr6 $NETNS $dev $a6"
    fi
  done
}

cmd_up() {
  need_root
  lock
  touch "$CREATED"
  install_packages
  ensure_users
  start_daemon virtlogd
  start_daemon libvirtd
  wait_libvirtd
  create_nics
  log "up: $URI works; NICs em1 em2 (far ends in netns $NETNS); state in $CREATED"
}

cmd_down() {
  need_root
  lock
  [ -f "$CREATED" ] || { log "nothing recorded in $CREATED: nothing to remove"; return 0; }
  local line kind a b
  # Undo in reverse order of creation.
  tac "$CREATED" | while read -r kind a b; do
    case "$kind" in
      link) ip link del "$a" 2>/dev/null && log "removed link $a" || true ;;
      netns) ip netns del "$a" 2>/dev/null && log "removed netns $a" || true ;;
      addr6)  # "addr6 NETNS DEV ADDR"
        ip -n "$a" -6 addr del ${b#* } dev "${b%% *}" 2>/dev/null && log "removed $b in $a" || true ;;
      daemon)
        # Only the very process we started (name and pid must both match).
        if [ "$(ps -o comm= -p "$b" 2>/dev/null || true)" = "$a" ]; then
          kill "$b" && log "stopped $a (pid $b)"
          for _ in $(seq 1 50); do kill -0 "$b" 2>/dev/null || break; sleep 0.1; done
        fi
        ;;
      perm)  # "perm PATH OWNER:GROUP MODE": restore what up changed
        read -r owner mode <<<"$b"
        chown "$owner" "$a" 2>/dev/null && chmod "$mode" "$a" && log "restored $a to $owner $mode" || true
        ;;
      kept) : ;;
    esac
  done
  grep '^kept ' "$CREATED" >"$CREATED.new" || true
  mv "$CREATED.new" "$CREATED"
  log "down: done (kept: packages, users, directories)"
}

cmd_status() {
  echo "state file: $CREATED"
  [ -f "$CREATED" ] && sed 's/^/  created: /' "$CREATED"
  for d in virtlogd libvirtd; do
    printf '%-9s %s\n' "$d" "$(daemon_pid "$d" | sed 's/^/pid /' | grep . || echo 'not running')"
  done
  if virsh -c "$URI" list >/dev/null 2>&1; then echo "$URI: ok"; else echo "$URI: not answering"; fi
  local entry nic peer addr
  for entry in "${NICS[@]}"; do
    read -r nic peer addr <<<"$entry"
    printf '%-4s %s\n' "$nic" "$(ip -br link show "$nic" 2>/dev/null || echo absent)"
    printf '%-4s %s\n' "$peer" "$(ip -n "$NETNS" -br addr show "$peer" 2>/dev/null || echo absent)"
  done
  printf '%-4s %s\n' lo "$(ip -n "$NETNS" -br addr show lo 2>/dev/null || echo absent)"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  guest) need_root; exec "$(dirname "$0")/guest/build.sh" ;;
  guest-nm) need_root; exec "$(dirname "$0")/guest-nm/build.sh" ;;
  *) echo "usage: $0 up|down|status|guest|guest-nm" >&2; exit 2 ;;
esac
