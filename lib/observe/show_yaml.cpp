#include "observe/show_yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>

#include "diff/diff.hpp"

namespace mvt {
namespace {

bool same_interface(const DomainInterface& a, const DomainInterface& b) {
  return a.type == b.type && a.mac == b.mac && a.source_dev == b.source_dev &&
         a.source_mode == b.source_mode && a.source_network == b.source_network &&
         a.source_bridge == b.source_bridge && a.model == b.model &&
         a.trust_guest_rx_filters == b.trust_guest_rx_filters && a.mtu == b.mtu;
}

// `verify: {reach: ...}`: a spec-only policy (nothing live shows it), emitted when the
// topology printed carries one, so that a spec round-trips.
void emit_verify(YAML::Emitter& y, const VerifyPolicy& v) {
  if (v.empty()) return;
  y << YAML::Key << "verify" << YAML::Value << YAML::Flow << YAML::BeginMap;
  if (v.reach) {
    y << YAML::Key << "reach" << YAML::Value;
    if (*v.reach == ReachPolicy::Warn)
      y << "warn";
    else
      y << (*v.reach == ReachPolicy::Check);
  }
  y << YAML::EndMap;
}

void emit_interface(YAML::Emitter& y, const GuestInterface& i) {
  y << YAML::BeginMap;
  y << YAML::Key << "name" << YAML::Value << i.name;
  if (i.kind == InterfaceKind::Network) {
    y << YAML::Key << "network" << YAML::Value << i.network;
  } else {
    y << YAML::Key << "direct" << YAML::Value << YAML::Flow << YAML::BeginMap;
    y << YAML::Key << "dev" << YAML::Value << i.source_dev;
    y << YAML::Key << "mode" << YAML::Value << to_string(i.mode);
    if (i.trust_guest_rx_filters)
      y << YAML::Key << "trust_guest_rx_filters" << YAML::Value << *i.trust_guest_rx_filters;
    if (i.mtu) y << YAML::Key << "mtu" << YAML::Value << *i.mtu;
    y << YAML::EndMap;
  }
  if (i.mac) y << YAML::Key << "mac" << YAML::Value << YAML::DoubleQuoted << i.mac->str();
  if (i.model) y << YAML::Key << "model" << YAML::Value << *i.model;
  // What the spec can say is printed as spec values; what it cannot (yet) as comments, so that
  // a plan of the printed spec leaves those settings as they are (issue 14, point 6).
  std::vector<std::string> notes;
  const InterfaceConfig& c = i.ip;
  if (c.ipv4) {
    const Ipv4Config& v4 = *c.ipv4;
    if (v4.method == Ipv4Method::Dhcp) {
      y << YAML::Key << "ipv4" << YAML::Value << "dhcp";
      std::string extra;
      for (const auto& a : v4.addresses) extra += (extra.empty() ? "" : ", ") + a.str();
      if (!extra.empty()) notes.push_back("static addresses beside the DHCP lease: " + extra);
      if (v4.gateway) notes.push_back("gateway beside the DHCP lease: " + v4.gateway->str());
    } else if (v4.method == Ipv4Method::Static && !v4.addresses.empty()) {
      y << YAML::Key << "ipv4" << YAML::Value << YAML::Flow << YAML::BeginMap;
      y << YAML::Key << "address" << YAML::Value << v4.addresses.front().str();
      if (v4.gateway) y << YAML::Key << "gateway" << YAML::Value << v4.gateway->str();
      y << YAML::EndMap;
      std::string extra;
      for (std::size_t k = 1; k < v4.addresses.size(); ++k)
        extra += (extra.empty() ? "" : ", ") + v4.addresses[k].str();
      if (!extra.empty()) notes.push_back("more IPv4 addresses: " + extra);
    } else {
      notes.push_back("ipv4: " + to_string(v4.method));
    }
  }
  if (c.mtu) notes.push_back("mtu (guest config): " + std::to_string(*c.mtu));
  if (c.defroute) y << YAML::Key << "defroute" << YAML::Value << *c.defroute;
  // ipv6: the string form when there is nothing but the method; a static setup without an
  // address (link-local only) has no spec form (rule iface.ipv6-static-needs-address).
  bool ipv6_value = false;
  if (c.ipv6) {
    const Ipv6Config& v6 = *c.ipv6;
    const bool bare = v6.addresses.empty() && !v6.gateway;
    if (v6.method == Ipv6Method::Disabled || (bare && v6.method != Ipv6Method::Static)) {
      y << YAML::Key << "ipv6" << YAML::Value << to_string(v6.method);
      ipv6_value = true;
    } else if (!v6.addresses.empty() || v6.method != Ipv6Method::Static) {
      y << YAML::Key << "ipv6" << YAML::Value << YAML::Flow << YAML::BeginMap;
      y << YAML::Key << "method" << YAML::Value << to_string(v6.method);
      if (!v6.addresses.empty()) {
        y << YAML::Key << "addresses" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const auto& a : v6.addresses) y << YAML::DoubleQuoted << a.str();
        y << YAML::EndSeq;
      }
      if (v6.gateway) y << YAML::Key << "gateway" << YAML::Value << YAML::DoubleQuoted << v6.gateway->str();
      y << YAML::EndMap;
      ipv6_value = true;
    } else {
      std::string t = "ipv6: " + to_string(v6.method);
      if (v6.gateway) t += " gateway " + v6.gateway->str();
      notes.push_back(t);
    }
  }
  if (c.ipv6_defroute) {
    if (ipv6_value)
      y << YAML::Key << "ipv6_defroute" << YAML::Value << *c.ipv6_defroute;
    else
      notes.push_back(std::string("ipv6 default route: ") + (*c.ipv6_defroute ? "yes" : "no"));
  }
  if (c.peerdns) y << YAML::Key << "peerdns" << YAML::Value << *c.peerdns;
  // IPv6 values are quoted, as the spec's examples write them.
  auto ip_value = [&y](const std::string& text, bool v6) {
    if (v6) y << YAML::DoubleQuoted;
    y << text;
  };
  if (c.dns) {
    y << YAML::Key << "dns" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& d : *c.dns) ip_value(d.str(), d.is_v6());
    y << YAML::EndSeq;
  }
  if (c.routes) {
    y << YAML::Key << "routes" << YAML::Value << YAML::BeginSeq;
    for (const auto& r : *c.routes) {
      y << YAML::Flow << YAML::BeginMap;
      y << YAML::Key << "to" << YAML::Value;
      ip_value(r.to.str(), r.to.family() == IpFamily::V6);
      y << YAML::Key << "via" << YAML::Value;
      ip_value(r.via.str(), r.via.is_v6());
      if (r.metric) y << YAML::Key << "metric" << YAML::Value << *r.metric;
      y << YAML::EndMap;
    }
    y << YAML::EndSeq;
  }
  for (const auto& u : c.unmanaged)
    notes.push_back(u.key + "=" + u.value + (u.pos.known() ? " (" + u.pos.file.str() + ":" + std::to_string(u.pos.line) + ")" : ""));
  if (!notes.empty()) {
    std::string text = "kept as the guest's file has it (not managed by this spec):";
    for (const auto& n : notes) text += "\n  " + n;
    for (char& ch : text)
      if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\n') || ch == 0x7f) ch = '?';
    y << YAML::Comment(text);
  }
  emit_verify(y, i.verify);
  y << YAML::EndMap;
}

std::string header(const Observation& obs) {
  std::ostringstream c;
  c << "Live state read by `macvtapctl show` (read-only).";
  for (const auto& [name, h] : obs.hosts) {
    c << "\nhost " << name << " (" << h.uri << "):";
    if (!h.reachable) {
      c << " unreachable: " << h.error;
      continue;
    }
    if (h.nics.empty())
      c << "\n  NICs: no information ("
        << (h.nics_error.empty() ? std::string("no libvirt interface API, no host files")
                                 : h.nics_error)
        << ")";
    for (const auto& [n, nic] : h.nics)
      c << "\n  NIC " << n << ": " << (nic.mac ? nic.mac->str() : "no MAC") << ", " << nic.state
        << (nic.kind.empty() ? "" : ", " + nic.kind + (nic.parent.empty() ? "" : " on " + nic.parent))
        << " (from " << (nic.source == NicInfoSource::Libvirt ? "libvirt's interface API"
                         : nic.source == NicInfoSource::Files ? "the host's sys/class/net files"
                                                              : "nowhere")
        << ")";
    if (h.files_source.kind != FileSourceKind::None && !h.files_read)
      c << "\n  host files " << h.files_source.str() << " not read: " << h.files_error;
    for (const auto& [g, go] : h.guests) {
      if (!go.files_read && go.source.kind != FileSourceKind::None)
        c << "\n  guest " << g << ": files " << go.source.str() << " not read: " << go.files_error;
      else if (go.files_read && !go.listed)
        c << "\n  guest " << g << ": " << diff::kUnlistedNote;
    }
    for (const auto& [d, ds] : h.domains) {
      if (live_differs(ds))
        c << "\n  guest " << d
          << ": its live interfaces differ from the persistent config shown here";
      if (h.guests.find(d) == h.guests.end())
        c << "\n  guest " << d << ": no guest files given (--guest-files " << d
          << "=SRC), IP configuration not shown";
    }
  }
  return c.str();
}

}  // namespace

bool live_differs(const DomainState& d) {
  if (!d.live) return false;
  if (d.live->size() != d.config.size()) return true;
  for (std::size_t k = 0; k < d.config.size(); ++k)
    if (!same_interface(d.config[k], (*d.live)[k])) return true;
  return false;
}

std::string show_yaml(const Topology& t, const Observation& obs) {
  YAML::Emitter y;
  y << YAML::Comment(header(obs)) << YAML::Newline;
  y << YAML::BeginMap;
  y << YAML::Key << "version" << YAML::Value << t.version;
  y << YAML::Key << "hosts" << YAML::Value << YAML::BeginMap;
  for (const auto& [hname, h] : t.hosts) {
    y << YAML::Key << hname << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "uri" << YAML::Value << h.uri;
    if (h.files.kind != FileSourceKind::None)
      y << YAML::Key << "files" << YAML::Value << h.files.str();
    if (!h.nics.empty()) {
      y << YAML::Key << "nics" << YAML::Value << YAML::BeginMap;
      for (const auto& [n, nic] : h.nics) {
        y << YAML::Key << n << YAML::Value << YAML::Flow << YAML::BeginMap;
        if (nic.mac) y << YAML::Key << "mac" << YAML::Value << YAML::DoubleQuoted << nic.mac->str();
        y << YAML::Key << "config" << YAML::Value << to_string(nic.config);
        if (nic.kind) y << YAML::Key << "kind" << YAML::Value << to_string(*nic.kind);
        if (!nic.parent.empty()) y << YAML::Key << "parent" << YAML::Value << nic.parent;
        if (nic.vlan_id) y << YAML::Key << "id" << YAML::Value << *nic.vlan_id;
        y << YAML::EndMap;
      }
      y << YAML::EndMap;
    }
    if (!h.guests.empty()) {
      y << YAML::Key << "guests" << YAML::Value << YAML::BeginMap;
      for (const auto& [gname, g] : h.guests) {
        y << YAML::Key << gname << YAML::Value << YAML::BeginMap;
        if (g.guest_files.kind != FileSourceKind::None)
          y << YAML::Key << "guest_files" << YAML::Value << g.guest_files.str();
        if (g.config_format != kAutoFormat)
          y << YAML::Key << "config_format" << YAML::Value << g.config_format;
        if (g.activate != Activate::None)
          y << YAML::Key << "activate" << YAML::Value << to_string(g.activate);
        emit_verify(y, g.verify);
        y << YAML::Key << "interfaces" << YAML::Value;
        if (g.interfaces.empty()) {
          y << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        } else {
          y << YAML::BeginSeq;
          for (const auto& i : g.interfaces) emit_interface(y, i);
          y << YAML::EndSeq;
        }
        y << YAML::EndMap;
      }
      y << YAML::EndMap;
    }
    y << YAML::EndMap;
  }
  y << YAML::EndMap;
  y << YAML::EndMap;
  std::string out = y.c_str();
  out += "\n";
  return out;
}

}  // namespace mvt
