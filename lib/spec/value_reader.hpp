#pragma once
// ValueReader: the typed readers the structural decoder (decode.cpp) is built from. Each reads
// one SpecNode, reports problems at the node's position with a structural rule id
// (spec.type, spec.value, spec.mac, spec.ipv4, spec.ipv6, spec.cidr, spec.uri, spec.file-source,
// spec.name, spec.unknown-key) and returns nullopt/false when the value is unusable.
// Internal to lib/spec.
#include <optional>
#include <string>
#include <vector>

#include "model/topology.hpp"
#include "spec/spec_node.hpp"
#include "spec/suggest.hpp"
#include "util/diagnostics.hpp"

namespace mvt::spec {

using Keys = std::vector<std::string>;

// "'x'"
inline std::string quote(const std::string& s) { return "'" + s + "'"; }

// `rel` resolved against the directory of the spec file `file` (absolute, normalised).
std::string resolve_path(const std::string& file, const std::string& rel);

class ValueReader {
 public:
  explicit ValueReader(Diagnostics& d) : d_(d) {}

  // Position of `key` in `map` (the map itself when absent).
  static SourcePos key_pos(const SpecNode& map, const std::string& key);
  // Reports spec.type unless `n` is a mapping; `what` names it ("'hosts'").
  bool expect_map(const SpecNode& n, const std::string& what);
  // Reports each key not in `allowed` (spec.unknown-key) with a "did you mean", or a hint
  // where the key belongs when it is valid elsewhere in a spec; `where` like "in host 'kvm1'".
  void check_keys(const SpecNode& n, const Keys& allowed, const std::string& where);
  // Host/guest names (map keys): names.hpp object_name_problem, reported as spec.name.
  bool name_ok(const SpecNode::Entry& e, const std::string& what);
  // A map key that is a string to every YAML reader (not `yes:`, `010:`); else spec.name.
  bool key_is_string(const SpecNode::Entry& e, const std::string& what);
  // A boolean only to YAML 1.1 (yes/no/on/off/y/n): reports "write true/false" and returns
  // true; false (nothing reported) for anything else.
  bool yaml11_only_bool(const SpecNode& n, const std::string& field);
  // Scalar readers: nullopt (with a diagnostic at the value) when `n` has the wrong type or
  // a malformed value. `field` is the key path used in messages ("ipv4.gateway").
  std::optional<std::string> str(const SpecNode& n, const std::string& field);
  std::optional<bool> boolean(const SpecNode& n, const std::string& field);
  // A plain decimal number (digits only, no sign, no leading zero, at most 4294967295): YAML
  // 1.1's other integer spellings (0x10, 0o17, 017, 1_500) are refused, not reinterpreted.
  std::optional<unsigned> decimal(const SpecNode& n, const std::string& field);
  std::optional<MacAddress> mac(const SpecNode& n, const std::string& field);
  std::optional<Ipv4> ip(const SpecNode& n, const std::string& field);
  std::optional<Cidr> cidr(const SpecNode& n, const std::string& field);
  // Either family: text with a ':' is read as IPv6 (inet_pton, spec.ipv6 / spec.cidr),
  // anything else as ip()/cidr() read IPv4 (their messages, octal hints included).
  std::optional<IpAddress> ip_any(const SpecNode& n, const std::string& field);
  std::optional<IpPrefix> prefix_any(const SpecNode& n, const std::string& field);
  // IPv6 only (an IPv4 value is a spec.ipv6 / spec.cidr error saying so).
  std::optional<IpAddress> ipv6_address(const SpecNode& n, const std::string& field);
  std::optional<IpPrefix> ipv6_prefix(const SpecNode& n, const std::string& field);
  // A file source among `kinds`; a relative dir: PATH becomes absolute against the directory
  // of the file that set it. `allowed` spells the accepted forms for the message.
  std::optional<FileSourceSpec> file_source(const SpecNode& n, const std::string& field,
                                            const std::vector<FileSourceKind>& kinds,
                                            const std::string& allowed);
  // A libvirt URI ("scheme:rest"); test:RELPATH becomes test:///ABS (see decode.hpp).
  std::optional<std::string> uri(const SpecNode& n);

  // An enum value from `allowed`, parsed with `parse` (string -> optional<T>).
  template <class T, class Parse>
  std::optional<T> enum_value(const SpecNode& n, const std::string& field, const Keys& allowed,
                              Parse parse) {
    auto s = str(n, field);
    if (!s) return std::nullopt;
    if (auto v = parse(*s)) return v;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : " | ") + a;
    d_.error(n.pos, "spec.value", quote(field) + " must be one of " + list + ", got " +
                                      quote(*s) + did_you_mean(*s, allowed));
    return std::nullopt;
  }

 protected:
  Diagnostics& d_;
};

}  // namespace mvt::spec
