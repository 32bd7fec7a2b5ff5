#!/bin/sh
# Installs the Debian 12 packages the build, the tests and the lab need. Idempotent: does
# nothing when every package is already installed. Run as root (or through sudo).
set -eu
PKGS="build-essential cmake pkg-config git libyaml-cpp-dev libyaml-dev libvirt-dev libxml2-dev libxml2-utils
libboost-filesystem-dev libboost-dev doctest-dev nlohmann-json3-dev libcli11-dev libfmt-dev
python3 python3-jsonschema python3-yaml libvirt-clients iproute2 scdoc ${MVT_EXTRA_PKGS:-}"
missing=""
PKGS="$PKGS curl jq"  # contrib/ci/post-comment.sh and its test (contrib.ci_recipes)
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing Debian packages:$missing (run as root to install them)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
