#!/bin/bash
# Builds the second lab guest: Debian 12 with systemd, udev, NetworkManager (keyfile plugin
# only) and qemu-guest-agent, from Debian's packages with mmdebstrap; an ext4 disk image made
# with `mkfs.ext4 -d` (no loop mounts) and a tiny initramfs that mounts it; booted with direct
# kernel boot of the first lab guest's Debian kernel (../guest/build.sh) under TCG.
# See README.md here.
#
#   tests/system/guest-nm/build.sh   prints "kernel PATH" (bzImage), "vmlinux PATH" (the PVH
#                                    entry, when the first guest has one), "initrd PATH" and
#                                    "rootfs PATH" (raw ext4, the read-only base of the
#                                    per-test copy-on-write qcow2 disks)
#
# Cache: $MVT_LAB_CACHE (default /var/cache/mvt-lab), shared with the first guest:
#   nm-debs/         the packages mmdebstrap downloaded (reused by the next build)
#   nm-guest-<key>/  rootfs.img (sparse raw ext4), initrd.img, INFO
#   nm-guest-current -> the last guest built
# <key> hashes every input: this script, the files in this directory, the package list with
# the candidate versions the host's apt knows, and the first guest's kernel. A changed input
# builds a new guest; an unchanged one is reused. Needs root (mmdebstrap in root mode keeps
# ownership; mkfs.ext4 -d copies it) and mkfs.ext4; mmdebstrap and qemu-img (qemu-utils: the
# tests make their copy-on-write disks with it) are installed when missing.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${MVT_LAB_CACHE:-/var/cache/mvt-lab}"
SUITE=bookworm
MIRROR="http://deb.debian.org/debian"
SECURITY="deb http://deb.debian.org/debian-security $SUITE-security main"
UPDATES="deb $MIRROR $SUITE-updates main"
# What the guest runs. udev and dbus: NetworkManager manages only devices udev has
# initialised and talks over the system bus; kmod: udev loads virtio_net with it;
# busybox-static: the initramfs' only binary (taken from the root filesystem).
PKGS=(systemd systemd-sysv udev dbus kmod network-manager qemu-guest-agent iproute2 iputils-ping
  busybox-static)
# Modules the guest gets (with what they need, resolved by the guest's own modprobe): the
# root disk and its file system for the initramfs; the NICs and the agent port for udev.
INITRD_MODULES=(virtio_pci virtio_blk ext4 crc32c_generic)
GUEST_MODULES=(virtio_net virtio_console virtio_rng e1000 af_packet)
T0=$(date +%s.%N)
log() { printf 'guest-nm-build: %s\n' "$*" >&2; }
die() { printf 'guest-nm-build: error: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(date +%s.%N) $T0" | awk '{printf "%.1f s", $1 - $2}'; }

[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap root mode, ownership in the image)"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 is not installed (e2fsprogs)"
# The host tools this build and the tests need: mmdebstrap; qemu-img (the tests'
# copy-on-write disks). Installed when missing, as lab.sh installs the lab's packages.
host_missing=()
command -v mmdebstrap >/dev/null || host_missing+=(mmdebstrap)
command -v qemu-img >/dev/null || host_missing+=(qemu-utils)
if [ ${#host_missing[@]} -gt 0 ]; then
  log "installing ${host_missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${host_missing[@]}" >/dev/null ||
    die "apt-get install ${host_missing[*]} failed"
fi

# --- 1. the kernel: the first lab guest's (same Debian kernel, PVH entry) -------------------
FIRST="$("$HERE/../guest/build.sh")" || die "../guest/build.sh failed"
KERNEL="$(awk '$1 == "kernel" {print $2}' <<<"$FIRST")"
VMLINUX="$(awk '$1 == "vmlinux" {print $2}' <<<"$FIRST")"
KVER="$(sed -n 's/^kernel=\([^ ]*\).*/\1/p' "$(dirname "$KERNEL")/INFO")"
[ -n "$KVER" ] || die "cannot tell the first guest's kernel version ($(dirname "$KERNEL")/INFO)"
KDIR="$(ls -d "$CACHE"/unpacked/linux-image-"$KVER"_*/lib/modules/"$KVER" 2>/dev/null | tail -n1)"
[ -d "$KDIR" ] || die "the unpacked modules of $KVER are not in $CACHE/unpacked"

mkdir -p "$CACHE/nm-debs"
exec 7>"$CACHE/build-nm.lock"
flock -w 1800 7 || die "another build holds $CACHE/build-nm.lock"

# --- 2. cache key ---------------------------------------------------------------------------
KEY="$(
  {
    sha256sum "$0" "$HERE"/init "$HERE"/NetworkManager.conf "$HERE"/qemu-ga.conf | cut -d' ' -f1
    LC_ALL=C apt-cache policy "${PKGS[@]}" 2>/dev/null | awk '/^[^ ]/{p=$1} /Candidate:/{print p, $2}'
    echo "$KVER" "${INITRD_MODULES[*]}" "${GUEST_MODULES[*]}"
  } | sha256sum | cut -c1-16
)"
OUT="$CACHE/nm-guest-$KEY"
print_paths() {
  echo "kernel $KERNEL"
  if [ -n "$VMLINUX" ]; then echo "vmlinux $VMLINUX"; fi
  echo "initrd $OUT/initrd.img"
  echo "rootfs $OUT/rootfs.img"
}
if [ -f "$OUT/rootfs.img" ] && [ -f "$OUT/initrd.img" ]; then
  ln -sfn "$OUT" "$CACHE/nm-guest-current"
  log "cached ($OUT), $(elapsed)"
  print_paths
  exit 0
fi

WORK="$(mktemp -d "$CACHE/work-nm.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
R="$WORK/root"

# --- 3. the root filesystem -----------------------------------------------------------------
# Essential packages plus PKGS and their dependencies (no Recommends, no apt), without
# documentation, manual pages and translations. The downloaded packages are kept in nm-debs/
# for the next build (mmdebstrap's documented sync-in/sync-out cache; essential/unlink kept
# so that the essential packages stay in the cache too).
log "mmdebstrap $SUITE: ${PKGS[*]}"
mmdebstrap --quiet --variant=essential --mode=root --skip=essential/unlink \
  --include="$(IFS=,; echo "${PKGS[*]}")" \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives' \
  --setup-hook="sync-in '$CACHE/nm-debs' /var/cache/apt/archives" \
  --customize-hook="sync-out /var/cache/apt/archives '$CACHE/nm-debs'" \
  "$SUITE" "$R" "deb $MIRROR $SUITE main" "$UPDATES" "$SECURITY" >&2 ||
  die "mmdebstrap failed"
rm -f "$CACHE"/nm-debs/lock
rm -rf "$CACHE"/nm-debs/partial
log "mmdebstrap done, $(elapsed)"

# --- 4. configuration (lab only) ------------------------------------------------------------
echo mvt-lab-nm >"$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 mvt-lab-nm\n::1 localhost ip6-localhost ip6-loopback\n' >"$R/etc/hosts"
# The root file system; no fsck at boot (each test boots a fresh copy-on-write disk).
printf '/dev/vda / ext4 rw,errors=remount-ro 0 0\n' >"$R/etc/fstab"
# One machine id for the image (an empty one would make every boot a "first boot").
od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$R/etc/machine-id" && echo >>"$R/etc/machine-id"
# NetworkManager: the keyfile plugin only, no profiles of its own; nothing waits for it.
install -m 0644 "$HERE/NetworkManager.conf" "$R/etc/NetworkManager/NetworkManager.conf"
rm -f "$R"/etc/NetworkManager/system-connections/*
ln -sfn /dev/null "$R/etc/systemd/system/NetworkManager-wait-online.service"
# qemu-ga: Debian's unit, started by udev when org.qemu.guest_agent.0 appears.
install -D -m 0644 "$HERE/qemu-ga.conf" "$R/etc/qemu/qemu-ga.conf"
# Serial console (console=ttyS0): root logs in without a password (lab only: the guest is
# reachable from this host's libvirt and the lab namespace, nothing else).
chroot "$R" passwd -d root >/dev/null
# The NetworkManager dispatcher's ifupdown hook (there is no ifupdown): it only fails.
rm -f "$R/etc/NetworkManager/dispatcher.d/01-ifupdown"
# A journal in memory only (no flush to the disk at boot).
mkdir -p "$R/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$R/etc/systemd/journald.conf.d/lab.conf"
# Boot time under TCG (each unit costs seconds on busy cores): units a lab guest does not
# need are masked. Kept: journald, udev, dbus, NetworkManager, qemu-ga, the serial getty, and
# logind: qemu-ga's guest-shutdown runs `shutdown -P +0`, which systemd schedules through it.
for u in getty@tty1.service systemd-update-utmp.service \
  systemd-update-utmp-runlevel.service systemd-journal-flush.service systemd-random-seed.service \
  systemd-hostnamed.service systemd-pstore.service systemd-binfmt.service modprobe@.service \
  proc-sys-fs-binfmt_misc.automount sys-kernel-debug.mount sys-kernel-tracing.mount \
  sys-fs-fuse-connections.mount sys-kernel-config.mount dev-mqueue.mount \
  dpkg-db-backup.timer systemd-tmpfiles-clean.timer e2scrub_all.timer e2scrub_reap.service \
  fstrim.timer apt-daily.timer apt-daily-upgrade.timer; do
  ln -sfn /dev/null "$R/etc/systemd/system/$u"
done
log "root filesystem configured, $(elapsed)"

# --- 5. kernel modules: the closure of what the guest needs, found by its own modprobe -----
mkdir -p "$R/lib/modules"
cp -a "$KDIR" "$R/lib/modules/$KVER"
chroot "$R" depmod "$KVER"
closure() {  # module names -> module paths (under /lib/modules), dependencies first
  local m
  for m in "$@"; do
    chroot "$R" modprobe -S "$KVER" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}'
  done | awk '!seen[$0]++'
}
mapfile -t INITRD_KO < <(closure "${INITRD_MODULES[@]}")
mapfile -t GUEST_KO < <(closure "${INITRD_MODULES[@]}" "${GUEST_MODULES[@]}")
[ ${#INITRD_KO[@]} -gt 0 ] || die "modprobe found none of ${INITRD_MODULES[*]} in $KVER"
KEEP="$WORK/keep"
printf '%s\n' "${GUEST_KO[@]}" modules.order modules.builtin modules.builtin.modinfo |
  sed "s|^/lib/modules/$KVER/||" | sort -u >"$KEEP"
(cd "$R/lib/modules/$KVER" && find kernel -name '*.ko*' | sort | comm -23 - "$KEEP" | xargs -r rm -f)
find "$R/lib/modules/$KVER/kernel" -depth -type d -empty -delete
chroot "$R" depmod "$KVER"
log "modules: ${#GUEST_KO[@]} in the guest, ${#INITRD_KO[@]} in the initramfs, $(elapsed)"

# --- 6. the initramfs: busybox, the modules, /init ------------------------------------------
I="$WORK/initrd"
mkdir -p "$I"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$R/bin/busybox" "$I/bin/busybox"
install -m 0755 "$HERE/init" "$I/init"
for ko in "${INITRD_KO[@]}"; do
  cp "$R$ko" "$I/lib/modules/"
  basename "$ko" >>"$I/lib/modules/load-order"
done
mkdir -p "$OUT.tmp"
(cd "$I" && find . | sort | "$R/bin/busybox" cpio -o -H newc 2>/dev/null) | gzip -1 >"$OUT.tmp/initrd.img"

# --- 7. the disk image: ext4 from the directory (mkfs.ext4 -d), sparse ----------------------
USED_MB=$(du -sm "$R" | cut -f1)
SIZE_MB=$(( USED_MB * 13 / 10 + 256 ))
mkfs.ext4 -q -F -L mvt-lab-nm -d "$R" "$OUT.tmp/rootfs.img" "${SIZE_MB}M" >&2 ||
  die "mkfs.ext4 -d failed"
chmod 0644 "$OUT.tmp/rootfs.img"
printf 'kernel=%s\nrootfs=%s MB used, %s MB image (sparse: %s on disk)\ninitrd modules=%s\nkey=%s\nbuilt in %s\n' \
  "$KVER" "$USED_MB" "$SIZE_MB" "$(du -h "$OUT.tmp/rootfs.img" | cut -f1)" \
  "$(cat "$I/lib/modules/load-order" | tr '\n' ' ')" "$KEY" "$(elapsed)" >"$OUT.tmp/INFO"
chroot "$R" dpkg-query -W -f='${Package} ${Version}\n' >"$OUT.tmp/packages"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
ln -sfn "$OUT" "$CACHE/nm-guest-current"
# Older builds unused for a day go (a running test may still use one built minutes ago).
find "$CACHE" -maxdepth 1 -type d -name 'nm-guest-*' ! -path "$OUT" -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
log "built $OUT: rootfs $USED_MB MB in a $SIZE_MB MB sparse image ($(du -h "$OUT/rootfs.img" | cut -f1) on disk), initrd $(du -h "$OUT/initrd.img" | cut -f1); $(elapsed)"
print_paths
