#pragma once
// The trust guard for specs from untrusted pull requests (SECURITY.md).
//
// A spec names libvirt URIs and file roots; `plan` in CI would connect to whatever a PR
// writes there. The guard is an allow-list given OUTSIDE the spec (command line or
// environment), checked before anything is contacted:
//  - uris: fnmatch(3) patterns a host's libvirt URI (after --connect) and an ssh:// file
//    source must match, e.g. "qemu+ssh://root@kvm*/system", "test:///*";
//  - roots: directories a dir: source (host or guest) must lie within (after resolving the
//    spec-relative path lexically); the `local` source counts as root "/".
// An empty list allows everything of its kind (the default for operators on their own
// hosts). Violations are errors positioned at the offending spec value.
#include <string>
#include <vector>

#include "model/topology.hpp"
#include "util/diagnostics.hpp"

namespace mvt {

struct Guard {
  std::vector<std::string> uris;
  std::vector<std::string> roots;
  bool empty() const { return uris.empty() && roots.empty(); }
  // Adds entries from MVT_ALLOW_URIS / MVT_ALLOW_ROOTS (comma-separated).
  void add_from_environment();
};

void check_guard(const Topology& t, const Guard& g, Diagnostics& out);

}  // namespace mvt
