#include "model/topology.hpp"

#include "util/hash.hpp"

#include <algorithm>
#include <stdexcept>

namespace mvt {

namespace {
template <typename V>
auto lower(V& v, const std::string& field) {
  return std::lower_bound(v.begin(), v.end(), field,
                          [](const auto& e, const std::string& f) { return e.first < f; });
}
}  // namespace

SourcePos& Positions::operator[](const std::string& field) {
  auto it = lower(v_, field);
  if (it == v_.end() || it->first != field) it = v_.insert(it, {field, SourcePos{}});
  return it->second;
}

Positions::iterator Positions::find(const std::string& field) {
  auto it = lower(v_, field);
  return it != v_.end() && it->first == field ? it : v_.end();
}

Positions::const_iterator Positions::find(const std::string& field) const {
  auto it = lower(v_, field);
  return it != v_.end() && it->first == field ? it : v_.end();
}

const SourcePos& Positions::at(const std::string& field) const {
  auto it = find(field);
  if (it == end()) throw std::out_of_range("no position for field '" + field + "'");
  return it->second;
}

SourcePos pos_of(const Positions& p, const std::string& field) {
  if (auto it = p.find(field); it != p.end()) return it->second;
  if (auto it = p.find(""); it != p.end()) return it->second;
  return {};
}

std::string to_string(MacvtapMode m) {
  switch (m) {
    case MacvtapMode::Vepa: return "vepa";
    case MacvtapMode::Bridge: return "bridge";
    case MacvtapMode::Private: return "private";
    case MacvtapMode::Passthrough: return "passthrough";
  }
  return "vepa";
}

std::string to_string(NicConfig c) { return c == NicConfig::Unconfigured ? "unconfigured" : "host"; }

std::string to_string(Activate a) {
  switch (a) {
    case Activate::Reboot: return "reboot";
    case Activate::RestartNetwork: return "restart-network";
    case Activate::None: return "none";
  }
  return "none";
}

std::string to_string(InterfaceKind k) { return k == InterfaceKind::Direct ? "direct" : "network"; }

std::optional<MacvtapMode> parse_macvtap_mode(const std::string& s) {
  if (s == "vepa") return MacvtapMode::Vepa;
  if (s == "bridge") return MacvtapMode::Bridge;
  if (s == "private") return MacvtapMode::Private;
  if (s == "passthrough") return MacvtapMode::Passthrough;
  return std::nullopt;
}

std::string to_string(NicKind k) {
  switch (k) {
    case NicKind::Ethernet: return "ethernet";
    case NicKind::Vlan: return "vlan";
    case NicKind::Bond: return "bond";
    case NicKind::Team: return "team";
  }
  return "ethernet";
}

std::optional<NicKind> parse_nic_kind(const std::string& s) {
  if (s == "ethernet") return NicKind::Ethernet;
  if (s == "vlan") return NicKind::Vlan;
  if (s == "bond") return NicKind::Bond;
  if (s == "team") return NicKind::Team;
  return std::nullopt;
}

std::optional<NicConfig> parse_nic_config(const std::string& s) {
  if (s == "unconfigured") return NicConfig::Unconfigured;
  if (s == "host") return NicConfig::Host;
  return std::nullopt;
}

std::optional<Activate> parse_activate(const std::string& s) {
  if (s == "reboot") return Activate::Reboot;
  if (s == "restart-network") return Activate::RestartNetwork;
  if (s == "none") return Activate::None;
  return std::nullopt;
}

std::string to_string(ReachPolicy r) {
  switch (r) {
    case ReachPolicy::Check: return "true";
    case ReachPolicy::Warn: return "warn";
    case ReachPolicy::Skip: return "false";
  }
  return "true";
}

ReachPolicy reach_policy(const Guest& g, const GuestInterface& i) {
  if (i.verify.reach) return *i.verify.reach;
  if (g.verify.reach) return *g.verify.reach;
  return ReachPolicy::Check;
}

std::string FileSourceSpec::str() const {
  switch (kind) {
    case FileSourceKind::Local: return "local";
    case FileSourceKind::Dir: return "dir:" + path;
    case FileSourceKind::Ssh: return "ssh://" + path;
    case FileSourceKind::Agent: return "agent";
    case FileSourceKind::None: return "none";
  }
  return "none";
}

std::optional<FileSourceSpec> FileSourceSpec::parse(const std::string& t) {
  if (t == "local") return FileSourceSpec{FileSourceKind::Local, ""};
  if (t == "agent") return FileSourceSpec{FileSourceKind::Agent, ""};
  if (t == "none") return FileSourceSpec{FileSourceKind::None, ""};
  if (t.rfind("dir:", 0) == 0 && t.size() > 4) return FileSourceSpec{FileSourceKind::Dir, t.substr(4)};
  if (t.rfind("ssh://", 0) == 0 && t.size() > 6) {
    const std::string rest = t.substr(6);
    // user@host or host; no spaces, no option-looking host, no path.
    if (rest.front() == '-' || rest.find_first_of(" \t\n/;|&$`'\"\\") != std::string::npos)
      return std::nullopt;
    return FileSourceSpec{FileSourceKind::Ssh, rest};
  }
  return std::nullopt;
}

MacAddress derive_mac(const std::string& host, const std::string& guest, const std::string& name) {
  const auto h = sha256(host + "/" + guest + "/" + name);
  return MacAddress({0x52, 0x54, 0x00, h[0], h[1], h[2]});
}

MacAddress effective_mac(const std::string& host, const std::string& guest, const GuestInterface& i) {
  return i.mac ? *i.mac : derive_mac(host, guest, i.name);
}

bool interface_uses_ipv6(const GuestInterface& i) {
  return i.ip.ipv6 &&
         (i.ip.ipv6->method == Ipv6Method::Static || i.ip.ipv6->method == Ipv6Method::Auto);
}

}  // namespace mvt
