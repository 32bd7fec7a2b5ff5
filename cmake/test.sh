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
# promtool lints the drift metrics (tests/unit/fleet_readonly_test.cpp). It comes from Debian's
# prometheus package, unpacked into build/tools rather than installed: installing it would
# start a Prometheus server. Idempotent; without it the test says so (and fails under CI).
promdir="$PWD/build/tools/prometheus"
if [ ! -x "$promdir/usr/bin/promtool" ] && ! command -v promtool >/dev/null 2>&1; then
  mkdir -p build/tools
  if (cd build/tools && rm -f prometheus_*.deb && apt-get download prometheus >/dev/null 2>&1 &&
      dpkg-deb -x prometheus_*.deb "$promdir" && rm -f prometheus_*.deb); then :; else
    echo "test.sh: could not unpack Debian's prometheus package: promtool is missing" >&2
  fi
fi
if [ -x "$promdir/usr/bin/promtool" ]; then
  MVT_PROMTOOL="$promdir/usr/bin/promtool"
  export MVT_PROMTOOL
fi
# ajv (draft 2020-12, strict mode) and the `yaml` package check the JSON Schemas as
# JavaScript tooling reads them (tests/unit/schema_ajv_test.cpp), from npm into build/tools/ajv
# with the machine's node. Idempotent; offline or without npm the test says so (and fails
# under CI).
ajvdir="$PWD/build/tools/ajv"
if [ ! -f "$ajvdir/node_modules/ajv/dist/2020.js" ] || [ ! -f "$ajvdir/node_modules/yaml/package.json" ]; then
  mkdir -p "$ajvdir"
  if command -v npm >/dev/null 2>&1 &&
     npm install --prefix "$ajvdir" --no-audit --no-fund --silent ajv@8 yaml@2 >/dev/null 2>&1; then :; else
    echo "test.sh: could not install ajv and yaml from npm into build/tools/ajv: the schemas are not checked with ajv" >&2
  fi
fi
MVT_AJV_DIR="$ajvdir"
export MVT_AJV_DIR
cmake --preset asan-ubsan >/dev/null
cmake --build --preset asan-ubsan -j"$(nproc)"
if [ -x tests/system/lab.sh ] && [ "$(id -u)" = 0 ]; then
  tests/system/lab.sh up
fi
ctest --preset asan-ubsan -j"$(nproc)" "$@"
