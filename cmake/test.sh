#!/bin/sh
# Builds and runs every test: unit tests, golden tests, and (as root) the system tests on a
# real libvirtd with the project's own lab (tests/system/lab.sh). Installs the Debian
# packages it needs first (idempotent).
set -eu
cd "$(dirname "$0")/.."
MVT_EXTRA_PKGS="${MVT_EXTRA_PKGS:-} libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86 openssh-server iputils-ping clang libclang-rt-14-dev" \
  ./cmake/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
if [ -x tests/system/lab.sh ] && [ "$(id -u)" = 0 ]; then
  tests/system/lab.sh up
fi
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
