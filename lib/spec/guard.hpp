#pragma once
// The trust guard for specs from untrusted pull requests (SECURITY.md), checked before
// anything is contacted, for every command that reads a spec or connects.
//
// Always, whatever the allow-lists: every libvirt URI (a host's `uri:`, --connect) and every
// `ssh://` file source is parsed into its parts (libvirt_uri.hpp); refused are a URI that
// does not parse, the `ext` transport and unknown transports, a driver other than qemu and
// test (unless an --allow-uri pattern names it), and every query parameter but the harmless
// ones (mode, no_tty, sshauth) - `command`, `netcat`, `proxy`, `socket`, `keyfile`,
// `known_hosts`, `known_hosts_verify`, `no_verify`, `pkipath`, `tls_priority`, `name` and
// any unknown one - unless the operator allows that parameter by name outside the spec
// (--allow-uri-param NAME, MVT_ALLOW_URI_PARAMS).
//
// Allow-lists given OUTSIDE the spec (command line or environment); an empty list allows
// everything of its kind:
//  - uris: patterns a URI must match component by component: each pattern is parsed as a URI;
//    driver and transport equal; user equal when the pattern has one (none = any user); host
//    an fnmatch(3) glob on the host alone ('*' never reaches the path or the query); port
//    equal when the pattern has one; path equal; every query parameter of the URI also in the
//    pattern with the same value. E.g. "qemu+ssh://ci@kvm*/system", "ssh://ci@kvm*";
//  - roots: directories a dir: source (host or guest) must lie within (after resolving the
//    spec-relative path lexically); the `local` source counts as root "/".
// Always, for a host `uri:` from a spec (not --connect) naming a libvirt test-driver node file
// on this machine (test:FILE, test:///ABS/PATH; test:///default has none): the file is walked
// from "/" without following a symbolic link and must be a regular file beneath the directory
// of the spec file naming the URI or beneath an --allow-root root (compared after
// resolution); the error names the path, never a byte of the file (guard.test-node).
// Violations are errors positioned at the offending spec value (a --connect URI: at
// "--connect").
#include <optional>
#include <string>
#include <vector>

#include "model/topology.hpp"
#include "util/diagnostics.hpp"

namespace mvt {

struct Guard {
  std::vector<std::string> uris;
  std::vector<std::string> roots;
  std::vector<std::string> uri_params;  // query parameters the operator allows, by name
  // Adds entries from MVT_ALLOW_URIS / MVT_ALLOW_ROOTS / MVT_ALLOW_URI_PARAMS (comma-separated).
  void add_from_environment();
};

void check_guard(const Topology& t, const Guard& g, Diagnostics& out);

// The same checks for one libvirt URI from elsewhere (a journal's): the first reason it is
// refused, or nullopt.
std::optional<std::string> libvirt_uri_refusal(const std::string& uri, const Guard& g);

}  // namespace mvt
