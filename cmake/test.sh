#!/bin/sh
# Builds and runs every test - unit, golden and catalogue tests, and (as root) the system
# tests on a real libvirtd with the project's own lab (tests/system/lab.sh) - under
# AddressSanitizer + UndefinedBehaviorSanitizer (the asan-ubsan preset, build/asan-ubsan):
# one build, one run, every test sanitized (issue 8). Installs the Debian packages it needs
# first (idempotent). Extra arguments go to ctest (e.g. -L system, -LE system, -R golden).
# For an unsanitized run: cmake --preset dev && cmake --build --preset dev && ctest --preset dev
set -eu
cd "$(dirname "$0")/.."
MVT_EXTRA_PKGS="${MVT_EXTRA_PKGS:-} libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86 openssh-server iputils-ping clang libclang-rt-14-dev strace" \
  ./cmake/install-deps.sh
cmake --preset asan-ubsan >/dev/null
cmake --build --preset asan-ubsan -j"$(nproc)"
if [ -x tests/system/lab.sh ] && [ "$(id -u)" = 0 ]; then
  tests/system/lab.sh up
fi
ctest --preset asan-ubsan -j"$(nproc)" "$@"
