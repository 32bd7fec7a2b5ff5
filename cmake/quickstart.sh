#!/bin/sh
# Quick start, the main job: installs the Debian packages (idempotent), builds, and plans the
# procedure's topology (specs/seed.yaml) against the embedded lab under specs/lab/ (a libvirt
# test-driver node file and host/guest file roots): no hypervisor needed.
set -eu
cd "$(dirname "$0")/.."
./cmake/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target macvtapctl >/dev/null
set +e
./build/macvtapctl plan -f specs/seed.yaml -f specs/lab/seed-lab.yaml --detailed-exitcode "$@"
rc=$?
# 2 = changes pending: the expected outcome on the "before" lab.
[ $rc -eq 2 ] && exit 0
exit $rc
