#!/bin/bash
# Builds the lab guest: a Debian kernel and a small initramfs (busybox, real bash,
# iproute2's ip, iputils' ping, qemu-guest-agent, the virtio modules, the network-scripts
# stand-in), booted
# with direct kernel boot under TCG. Facts: ../../../../shared/design/LAB.md.
#
#   tests/system/guest/build.sh   prints "kernel PATH" (bzImage), "initrd PATH" and, when it
#                                 could be extracted, "vmlinux PATH" (the PVH entry)
#
# Which kernel to boot: the vmlinux through its PVH entry saves ≈ 5 s under TCG; the bzImage
# is the fallback. Either way the domain needs <features><acpi/></features>: without it
# libvirt runs QEMU with -no-acpi, and the guest then has no ACPI PCI hot-plug (device_del
# never completes) and no power-off (agent/ACPI shutdown leaves a halted guest "running").
#
# Nothing is installed on the host: Debian packages are fetched with `apt-get download` and
# unpacked with `dpkg-deb -x` into the cache; bash, ip and ping (iputils-ping, which lab.sh
# installs) and qemu-ga's shared libraries are the host's (copied with what ldd lists).
# iputils' ping, not busybox's: verification runs `ping -6 -c 1 -W 2 GW` in the guest, the
# command a RHEL guest runs, and busybox's applet is built without `-6` on some configs. Cache: $MVT_LAB_CACHE (default /var/cache/mvt-lab):
#   debs/            downloaded packages          unpacked/<deb>/   their contents
#   guest-<key>/     kernel (bzImage), vmlinux (PVH ELF, when extracted), initrd.img
#   guest-current -> the last guest built
# <key> hashes every input (package file names, this script, the files in this directory,
# the host's bash/ip), so a changed input builds a new guest and an unchanged one is reused.
# With MVT_LAB_OFFLINE=1 no download is attempted (cached packages are used).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${MVT_LAB_CACHE:-/var/cache/mvt-lab}"
T0=$(date +%s.%N)
log() { printf 'guest-build: %s\n' "$*" >&2; }
die() { printf 'guest-build: error: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(date +%s.%N) $T0" | awk '{printf "%.1f s", $1 - $2}'; }

mkdir -p "$CACHE/debs" "$CACHE/unpacked"
exec 8>"$CACHE/build.lock"
flock -w 600 8 || die "another build holds $CACHE/build.lock"

# --- 1. packages -----------------------------------------------------------------------
kernel_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/{print $2; exit}'
}
PKGS=(busybox-static qemu-guest-agent cpio)
KPKG="$(kernel_pkg || true)"
if [ -z "$KPKG" ]; then
  KPKG="$(ls "$CACHE"/debs/linux-image-[0-9]*.deb 2>/dev/null | tail -n1 | xargs -r basename | cut -d_ -f1)"
fi
[ -n "$KPKG" ] || die "cannot tell the kernel package (apt-cache depends linux-image-amd64)"
PKGS+=("$KPKG")

deb_of() { ls "$CACHE"/debs/"$1"_*.deb 2>/dev/null | tail -n1; }
missing=()
for p in "${PKGS[@]}"; do [ -n "$(deb_of "$p")" ] || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "${MVT_LAB_OFFLINE:-0}" = 1 ] && die "offline and not cached: ${missing[*]}"
  log "downloading ${missing[*]}"
  # apt's _apt user cannot write into root's cache: download as root, quietly.
  (cd "$CACHE/debs" && apt-get download -q "${missing[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
    die "apt-get download ${missing[*]} failed"
fi
unpack() {  # pkg -> prints the unpacked dir
  local deb dir
  deb="$(deb_of "$1")"
  [ -n "$deb" ] || die "package $1 not downloaded"
  dir="$CACHE/unpacked/$(basename "$deb" .deb)"
  if [ ! -d "$dir" ]; then
    dpkg-deb -x "$deb" "$dir.tmp" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}
U_BB="$(unpack busybox-static)"
U_QGA="$(unpack qemu-guest-agent)"
U_CPIO="$(unpack cpio)"
U_K="$(unpack "$KPKG")"
BUSYBOX="$U_BB/bin/busybox"
QGA="$U_QGA/usr/sbin/qemu-ga"
CPIO="$U_CPIO/bin/cpio"
KVER="$(basename "$(ls -d "$U_K"/lib/modules/*)")"
VMLINUZ="$U_K/boot/vmlinuz-$KVER"

# --- 2. cache key ----------------------------------------------------------------------
BASH_BIN="$(command -v bash)"
IP_BIN="$(command -v ip)"
PING_BIN="$(command -v ping)" || die "ping (iputils-ping) is not installed on the host"
"$PING_BIN" -V 2>/dev/null | grep -q iputils || die "$PING_BIN is not iputils' ping"
KEY="$(
  {
    for p in "${PKGS[@]}"; do basename "$(deb_of "$p")"; done
    sha256sum "$0" "$HERE"/init "$HERE"/hotplug "$HERE"/shutdown "$HERE"/network-scripts-standin \
      "$HERE"/service "$HERE"/udhcpc-script "$BASH_BIN" "$IP_BIN" "$PING_BIN" | cut -d' ' -f1
  } | sha256sum | cut -c1-16
)"
OUT="$CACHE/guest-$KEY"
print_paths() {
  echo "kernel $OUT/kernel"
  echo "initrd $OUT/initrd.img"
  if [ -f "$OUT/vmlinux" ]; then echo "vmlinux $OUT/vmlinux"; fi
}
if [ -f "$OUT/initrd.img" ] && [ -f "$OUT/kernel" ]; then
  ln -sfn "$OUT" "$CACHE/guest-current"
  log "cached ($OUT), $(elapsed)"
  print_paths
  exit 0
fi

# --- 3. the kernel: uncompressed vmlinux for the PVH entry, else bzImage ---------------
WORK="$(mktemp -d "$CACHE/work.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
extract_vmlinux() {  # like the kernel's scripts/extract-vmlinux, xz only (Debian's choice)
  local off
  for off in $(LC_ALL=C grep -aboP '\xfd7zXZ\x00' "$VMLINUZ" | cut -d: -f1); do
    tail -c +"$((off + 1))" "$VMLINUZ" | xz -dc 2>/dev/null >"$WORK/vmlinux" || true
    if [ "$(head -c4 "$WORK/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then return 0; fi
  done
  return 1
}
if command -v xz >/dev/null && extract_vmlinux; then
  KERNEL_KIND="bzImage + vmlinux"
else
  log "could not extract vmlinux (needs xz): bzImage only"
  rm -f "$WORK/vmlinux"
  KERNEL_KIND=bzImage
fi

# --- 4. the initramfs tree -------------------------------------------------------------
R="$WORK/root"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,proc,sys,dev,run,tmp,root,mnt} \
  "$R"/etc/{sysconfig/network-scripts,rc.d/init.d,qemu} "$R"/var/log "$R"/lib/modules
ln -s ../run "$R/var/run"
ln -s rc.d/init.d "$R/etc/init.d"
chmod 1777 "$R/tmp"

copy_with_libs() {  # host-binary dest-path
  local bin="$1" dest="$2" lib
  install -D -m 0755 "$bin" "$R$dest"
  if ldd "$bin" | grep -q 'not found'; then die "$bin: libraries missing on the host: $(ldd "$bin" | grep 'not found')"; fi
  for lib in $(ldd "$bin" | grep -oE '/[^ ]+' ); do
    [ -e "$R$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$R$lib"
  done
}
install -m 0755 "$BUSYBOX" "$R/bin/busybox"
# Busybox applets, except those the real tools replace (sh/bash, ip: busybox's ip has no
# `replace`; ping: iputils' ping -6; Debian's busybox shell would run its own applets ahead of $PATH).
for a in $("$BUSYBOX" --list-full); do
  case "$(basename "$a")" in sh|ash|ip|ping|ping6|bash|init|linuxrc) continue ;; esac
  [ -e "$R/$a" ] || ln -s /bin/busybox "$R/$a"
done
copy_with_libs "$BASH_BIN" /bin/bash
ln -sf bash "$R/bin/sh"
copy_with_libs "$IP_BIN" /sbin/ip
ln -sf /sbin/ip "$R/bin/ip"
copy_with_libs "$PING_BIN" /bin/ping
copy_with_libs "$QGA" /usr/sbin/qemu-ga

install -m 0755 "$HERE/init" "$R/init"
install -m 0755 "$HERE/hotplug" "$R/sbin/hotplug"
install -m 0755 "$HERE/shutdown" "$R/sbin/shutdown"
# The stand-in for RHEL's network-scripts, under its own name and where RHEL has `network`.
install -m 0755 "$HERE/network-scripts-standin" "$R/usr/sbin/macvtap-lab-network"
ln -s /usr/sbin/macvtap-lab-network "$R/etc/rc.d/init.d/network"
install -m 0755 "$HERE/service" "$R/usr/sbin/service"
install -D -m 0755 "$HERE/udhcpc-script" "$R/usr/share/udhcpc/default.script"
ln -sf /usr/sbin/service "$R/sbin/service"
for f in reboot poweroff halt; do ln -sf /sbin/shutdown "$R/sbin/$f"; done
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
printf 'mvt-lab-guest\n' >"$R/etc/hostname"
printf '127.0.0.1 localhost\n' >"$R/etc/hosts"
: >"$R/etc/resolv.conf"
printf 'NETWORKING=yes\nHOSTNAME=mvt-lab-guest\n' >"$R/etc/sysconfig/network"
# ifcfg-lo as on RHEL: the stand-in skips it (lo is up from /init).
cat >"$R/etc/sysconfig/network-scripts/ifcfg-lo" <<'EOF'
DEVICE=lo
IPADDR=127.0.0.1
NETMASK=255.0.0.0
NETWORK=127.0.0.0
BROADCAST=127.255.255.255
ONBOOT=yes
NAME=loopback
EOF

# Modules with their dependencies, in load order (no depmod/kmod on the host: read the
# "depends=" field of each .ko's .modinfo section).
MODDIR="$U_K/lib/modules/$KVER/kernel"
declare -A MODPATH=()
while IFS= read -r f; do
  n="$(basename "$f" .ko)"; MODPATH["${n//-/_}"]="$f"
done < <(find "$MODDIR" -name '*.ko')
ORDER=()
declare -A SEEN=()
add_module() {
  local m="${1//-/_}" d deps
  [ -n "${SEEN[$m]:-}" ] && return 0
  SEEN[$m]=1
  [ -n "${MODPATH[$m]:-}" ] || { log "module $m not found (built in?)"; return 0; }
  deps="$(tr '\0' '\n' <"${MODPATH[$m]}" | grep -a -m1 '^depends=' | cut -d= -f2 || true)"
  for d in ${deps//,/ }; do add_module "$d"; done
  ORDER+=("$m")
}
for m in virtio_pci virtio_net virtio_console virtio_blk; do add_module "$m"; done
for m in "${ORDER[@]}"; do
  cp "${MODPATH[$m]}" "$R/lib/modules/$m.ko"
  echo "$m" >>"$R/lib/modules/load-order"
done

mkdir -p "$OUT.tmp"
cp "$VMLINUZ" "$OUT.tmp/kernel"
if [ -f "$WORK/vmlinux" ]; then mv "$WORK/vmlinux" "$OUT.tmp/vmlinux"; fi
(cd "$R" && find . -print0 | sort -z | "$CPIO" --null -o -H newc --quiet) | gzip -1 >"$OUT.tmp/initrd.img"
printf 'kernel=%s (%s)\nmodules=%s\nkey=%s\n' "$KVER" "$KERNEL_KIND" "${ORDER[*]}" "$KEY" >"$OUT.tmp/INFO"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
ln -sfn "$OUT" "$CACHE/guest-current"
# Older builds unused for a day go (a running test may still boot one built minutes ago).
find "$CACHE" -maxdepth 1 -type d -name 'guest-*' ! -path "$OUT" -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
log "built $OUT: $KERNEL_KIND $KVER, initrd $(du -h "$OUT/initrd.img" | cut -f1), modules: ${ORDER[*]}; $(elapsed)"
print_paths
