#include "netconf/ifcfg/ifcfg_format.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "netconf/ifcfg/ifcfg_file.hpp"
#include "netconf/ifcfg/interface_facts.hpp"
#include "netconf/ifcfg/route_file.hpp"
#include "netconf/ifcfg/sourced_check.hpp"
#include "util/hash.hpp"

namespace mvt::ifcfg {
namespace {

using netconf::DeviceConfig;
using netconf::FileAction;
using netconf::FileEdit;
using netconf::FileRole;

SourcePos at(const std::string& file, int line = 0, int column = 0) {
  return SourcePos{file, line, column};
}

// Keys whose values the model reads: an expansion in one of them is an error.
bool model_key(const std::string& k) {
  static const std::set<std::string> keys = {
      "DEVICE",        "HWADDR",        "BOOTPROTO",     "DEFROUTE",      "PEERDNS",
      "IPV6INIT",      "IPV6ADDR",      "IPV6ADDR_SECONDARIES",           "IPV6_DEFAULTGW",
      "IPV6_AUTOCONF", "DHCPV6C",       "IPV6_DEFROUTE", "MTU",           "IPV6_MTU",
      "ONBOOT",        "TYPE"};
  if (keys.count(k)) return true;
  for (const char* fam : {"IPADDR", "PREFIX", "NETMASK", "GATEWAY", "DNS"}) {
    const std::string f(fam);
    if (k.compare(0, f.size(), f) == 0 &&
        std::all_of(k.begin() + static_cast<long>(f.size()), k.end(), ::isdigit))
      return true;
  }
  return false;
}

// Keys the tool writes itself (identity and fixed policies): not listed as unmanaged.
bool policy_key(const std::string& k) {
  static const std::set<std::string> keys = {
      "NAME",       "UUID",           "PEERROUTES",          "IPV4_FAILURE_FATAL",
      "IPV6_PEERDNS", "IPV6_PEERROUTES", "IPV6_FAILURE_FATAL"};
  return keys.count(k) > 0;
}

// "2001:db8::1%eth0" -> the address (network-scripts allow a device after the gateway).
std::optional<IpAddress> v6_address(std::string v) {
  if (auto pct = v.find('%'); pct != std::string::npos) v.resize(pct);
  auto a = IpAddress::parse(v);
  if (a && a->is_v6()) return a;
  return std::nullopt;
}

std::optional<IpPrefix> v6_prefix(const std::string& v) {
  // IPV6ADDR without a length means /64 (initscripts and NetworkManager).
  auto p = v.find('/') == std::string::npos ? (v6_address(v) ? std::optional<IpPrefix>(IpPrefix(*v6_address(v), 64)) : std::nullopt)
                                            : IpPrefix::parse(v);
  if (p && p->family() == IpFamily::V6) return p;
  return std::nullopt;
}

// Extra IPv4 addresses IPADDR1.. (IPADDRn with PREFIXn or NETMASKn), consecutive from 1.
std::vector<Cidr> extra_ipv4(const File& f) {
  std::vector<Cidr> out;
  for (int n = 1; n < 256; ++n) {
    const std::string s = std::to_string(n);
    auto a = f.get("IPADDR" + s);
    if (!a) break;
    auto ip = Ipv4::parse(*a);
    if (!ip) continue;
    int prefix = 24;
    if (auto p = f.get("PREFIX" + s); p && !p->empty() && p->size() <= 2 &&
                                       std::all_of(p->begin(), p->end(), ::isdigit))
      prefix = std::stoi(*p);
    else if (auto m = f.get("NETMASK" + s))
      prefix = Cidr::prefix_from_netmask(*m).value_or(24);
    if (prefix > 32) continue;
    out.emplace_back(*ip, prefix);
  }
  return out;
}

// Reports a file's problems: unsafe values in model keys are errors, other problems
// warnings (`kind`: "ifcfg" or "route").
void report_unsafe(const File& f, const FileState& st, const std::string& who, Diagnostics& diags) {
  const auto unsafe = f.unsafe_keys();
  const std::set<std::string> unsafe_set(unsafe.begin(), unsafe.end());
  const auto problems = f.problems();
  std::map<std::string, const Problem*> first;  // each key's first problem: linear
  for (const auto& pr : problems) first.emplace(pr.key, &pr);
  for (const auto& k : unsafe) {
    std::string detail;
    SourcePos pos = at(st.origin, f.line_of(k));
    if (auto it = first.find(k); it != first.end()) {
      detail = it->second->message;
      if (it->second->line > 0) pos = at(st.origin, it->second->line, it->second->column);
    }
    if (model_key(k))
      diags.error(pos, "ifcfg.unsafe",
                  k + " contains a shell expansion" + (detail.empty() ? "" : " (" + detail + ")") +
                      "; refusing to evaluate it");
    else
      diags.warning(pos, "ifcfg.unsafe-unmanaged",
                    (who.empty() ? "" : who + ": ") + k + " contains a shell expansion" +
                        (detail.empty() ? "" : " (" + detail + ")") +
                        "; macvtapctl does not manage " + k +
                        ", imports the rest of the file and leaves it as it is");
  }
  for (const auto& pr : problems) {
    if (unsafe_set.count(pr.key)) continue;
    diags.warning(at(st.origin, pr.line, pr.column), "ifcfg.problem",
                  (pr.key.empty() ? "" : pr.key + ": ") + pr.message);
  }
}

void report_route(const RouteFile& rf, const FileState& st, Diagnostics& diags) {
  for (const auto& p : rf.problems()) {
    SourcePos pos = at(st.origin, p.line, p.column);
    std::string msg = (p.key.empty() ? "" : p.key + ": ") + p.message;
    if (p.expansion)
      diags.error(pos, "route.unsafe", msg + " (refusing to evaluate it)");
    else
      diags.warning(pos, "route.problem", msg);
  }
}

const FileState* find(const NetworkScripts& files, const std::string& name) {
  auto it = files.find(name);
  return it == files.end() || !it->second.bytes ? nullptr : &it->second;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// "100" -> 100 when it is a VLAN id (1-4094).
std::optional<int> vlan_id_of(std::string_view s) {
  if (s.empty() || s.size() > 4 || !std::all_of(s.begin(), s.end(), ::isdigit)) return std::nullopt;
  const int n = std::stoi(std::string(s));
  if (n < 1 || n > 4094) return std::nullopt;
  return n;
}

// The device's kind as NetworkManager's ifcfg-rh reader decides it (issue 15, point 5):
// VLAN=yes or TYPE=Vlan a VLAN (parent PHYSDEV, id VLAN_ID, else both from a DEVICE named
// PARENT.ID, or the id from vlanID); TYPE=Bond or BONDING_MASTER=yes a bond; DEVICETYPE=Team
// or TYPE=Team a team; TYPE=Ethernet or no TYPE a plain NIC; lo and any other TYPE (Bridge,
// Wireless, InfiniBand...) none of the model's kinds. MASTER= / TEAM_MASTER= / BRIDGE= make
// it a port. A VLAN without DEVICE is named PARENT.ID (NetworkManager's default).
void read_kind(const File& f, DeviceConfig& d, const std::string& origin, bool has_device) {
  auto line = [&](const char* k) { return at(origin, f.line_of(k)); };
  const auto type = f.get("TYPE");
  const auto devtype = f.get("DEVICETYPE");
  const bool vlan = f.get_bool("VLAN") == true || (type && iequals(*type, "Vlan"));
  if (vlan) {
    d.kind = NicKind::Vlan;
    d.pos["kind"] = line(f.has("VLAN") ? "VLAN" : "TYPE");
    if (auto p = f.get("PHYSDEV"); p && !p->empty()) {
      d.parent = *p;
      d.pos["parent"] = line("PHYSDEV");
    }
    if (auto i = f.get("VLAN_ID")) {
      d.vlan_id = vlan_id_of(*i);
      d.pos["id"] = line("VLAN_ID");
    }
    const std::string& n = d.device;
    if (const auto dot = n.rfind('.'); has_device && dot != std::string::npos && dot > 0) {
      if (d.parent.empty()) {
        d.parent = n.substr(0, dot);
        d.pos["parent"] = line("DEVICE");
      }
      if (!d.vlan_id && !f.has("VLAN_ID")) {
        d.vlan_id = vlan_id_of(std::string_view(n).substr(dot + 1));
        d.pos["id"] = line("DEVICE");
      }
    } else if (has_device && n.rfind("vlan", 0) == 0 && !d.vlan_id && !f.has("VLAN_ID")) {
      d.vlan_id = vlan_id_of(std::string_view(n).substr(4));
      d.pos["id"] = line("DEVICE");
    }
    if (!has_device && !d.parent.empty() && d.vlan_id)
      d.device = d.parent + "." + std::to_string(*d.vlan_id);
  } else if ((type && iequals(*type, "Bond")) || f.get_bool("BONDING_MASTER") == true) {
    d.kind = NicKind::Bond;
    d.pos["kind"] = line(type && iequals(*type, "Bond") ? "TYPE" : "BONDING_MASTER");
  } else if ((devtype && iequals(*devtype, "Team")) || (type && iequals(*type, "Team"))) {
    d.kind = NicKind::Team;
    d.pos["kind"] = line(devtype && iequals(*devtype, "Team") ? "DEVICETYPE" : "TYPE");
  } else if (d.device == "lo" || (type && !iequals(*type, "Ethernet"))) {
    d.kind = std::nullopt;
    d.pos["kind"] = line(d.device == "lo" ? "DEVICE" : "TYPE");
  } else {
    d.kind = NicKind::Ethernet;
    d.pos["kind"] = line("TYPE");
  }
  for (const char* k : {"MASTER", "TEAM_MASTER", "BRIDGE"})
    if (auto m = f.get(k); m && !m->empty()) {
      d.port_of = *m;
      d.pos["port"] = line(k);
      break;
    }
}

// Whether a file leaves its device to guests (DeviceConfig::unconfigured).
bool says_unconfigured(const File& f, NicKind kind) {
  auto onboot = f.get_bool("ONBOOT");
  auto proto = f.bootproto();
  const bool no_address = !(proto && *proto == "dhcp") && !f.ipv4_address();
  if (kind == NicKind::Ethernet) return onboot && !*onboot && no_address;
  return onboot.value_or(true) && no_address;  // ONBOOT defaults to yes
}

// One ifcfg file (and its route files) as a DeviceConfig.
DeviceConfig read_device(const std::string& suffix, const FileState& st, const NetworkScripts& files,
                         const std::string& who, Diagnostics& diags) {
  DeviceConfig d;
  const auto shared = File::parse_shared(*st.bytes);
  const File& f = *shared;
  report_unsafe(f, st, who, diags);
  auto line = [&](const char* k) { return at(st.origin, f.line_of(k)); };
  auto dev = f.get("DEVICE");
  d.device = dev && !dev->empty() ? *dev : suffix;
  d.files.push_back("ifcfg-" + suffix);
  d.pos["name"] = line("DEVICE");
  d.pos[""] = at(st.origin);
  if (auto h = f.get("HWADDR")) {
    d.mac = MacAddress::parse(*h);
    d.pos["mac"] = line("HWADDR");
  }
  d.created_by_tool = st.bytes->rfind(kManagedHeader, 0) == 0;
  read_kind(f, d, st.origin, dev.has_value() && !dev->empty());
  d.ethernet = d.kind == NicKind::Ethernet;
  d.unconfigured = says_unconfigured(f, d.kind.value_or(NicKind::Ethernet));
  d.pos["config"] = line("ONBOOT");
  d.unsafe_keys = f.unsafe_keys();

  InterfaceConfig& c = d.config;
  const auto proto = f.bootproto();
  auto primary = f.ipv4_address();
  auto extras = extra_ipv4(f);
  if (proto && *proto == "dhcp") {
    Ipv4Config v4 = Ipv4Config::make_dhcp();
    if (primary) v4.addresses.push_back(*primary);
    v4.addresses.insert(v4.addresses.end(), extras.begin(), extras.end());
    v4.gateway = f.gateway();
    c.ipv4 = v4;
    d.pos["ipv4"] = line("BOOTPROTO");
  } else if (primary) {
    Ipv4Config v4 = Ipv4Config::make_static(*primary, f.gateway());
    v4.addresses.insert(v4.addresses.end(), extras.begin(), extras.end());
    c.ipv4 = v4;
    d.pos["ipv4"] = line(f.has("IPADDR") ? "IPADDR" : "IPADDR0");
    const SourcePos at_ipv4 = d.pos["ipv4"];  // a copy: the next insertion may move it
    d.pos["ipv4.address"] = at_ipv4;
    if (v4.gateway) d.pos["ipv4.gateway"] = line(f.has("GATEWAY") ? "GATEWAY" : "GATEWAY0");
  }
  if (auto v = f.get_bool("IPV6INIT")) {
    Ipv6Config v6;
    if (!*v) {
      v6.method = Ipv6Method::Disabled;
    } else {
      if (f.get_bool("DHCPV6C") == true)
        v6.method = Ipv6Method::Dhcp;
      else if (f.get_bool("IPV6_AUTOCONF").value_or(true))
        v6.method = Ipv6Method::Auto;
      else
        v6.method = Ipv6Method::Static;
      if (auto a = f.get("IPV6ADDR"))
        if (auto p = v6_prefix(*a)) v6.addresses.push_back(*p);
      if (auto s = f.get("IPV6ADDR_SECONDARIES")) {
        std::size_t i = 0;
        while (i < s->size()) {
          std::size_t j = s->find_first_of(" \t", i);
          if (j == std::string::npos) j = s->size();
          if (j > i)
            if (auto p = v6_prefix(s->substr(i, j - i))) v6.addresses.push_back(*p);
          i = j + 1;
        }
      }
      if (auto g = f.get("IPV6_DEFAULTGW")) v6.gateway = v6_address(*g);
    }
    c.ipv6 = v6;
    d.pos["ipv6"] = line("IPV6INIT");
  }
  if (auto v = f.get_bool("DEFROUTE")) {
    c.defroute = v;
    d.pos["defroute"] = line("DEFROUTE");
  }
  if (auto v = f.get_bool("IPV6_DEFROUTE"); v && c.ipv6 && c.ipv6->method != Ipv6Method::Disabled) {
    c.ipv6_defroute = v;
    d.pos["ipv6_defroute"] = line("IPV6_DEFROUTE");
  }
  if (auto v = f.get_bool("PEERDNS")) {
    c.peerdns = v;
    d.pos["peerdns"] = line("PEERDNS");
  }
  if (auto dns = f.dns(); !dns.empty()) {
    c.dns = dns;
    d.pos["dns"] = line("DNS1");
  }
  for (const char* k : {"MTU", "IPV6_MTU"}) {
    auto m = f.get(k);
    if (!m || m->empty() || m->size() > 6 || !std::all_of(m->begin(), m->end(), ::isdigit)) continue;
    c.mtu = std::stoi(*m);
    d.pos["mtu"] = line(k);
    break;
  }
  for (const auto& k : f.keys()) {
    if (model_key(k) || policy_key(k)) continue;
    auto v = f.get(k);
    c.unmanaged.push_back({k, v.value_or("(unsafe value)"), line(k.c_str())});
  }
  // Routes of both families (the route files are named after the device).
  for (const auto& [prefix, fam] : {std::pair<const char*, IpFamily>{"route-", IpFamily::V4},
                                    std::pair<const char*, IpFamily>{"route6-", IpFamily::V6}}) {
    const std::string name = prefix + d.device;
    const FileState* rs = find(files, name);
    if (!rs) continue;
    auto rf = RouteFile::parse(*rs->bytes, fam);
    report_route(rf, *rs, diags);
    if (!c.routes) c.routes.emplace();
    for (auto& r : rf.routes()) c.routes->push_back(std::move(r));
    if (!d.pos.count("routes")) d.pos["routes"] = at(rs->origin, 1);
    d.files.push_back(name);
  }
  return d;
}

// --- edits -------------------------------------------------------------------------------

std::optional<std::string> bytes_of(const FileState* have) {
  if (!have || !have->bytes) return std::nullopt;
  return have->bytes;
}

// Decoded key values that differ, in the new file's key order, then removed keys.
std::vector<FieldChange> key_changes(const File& before, const File& after) {
  std::vector<FieldChange> out;
  std::set<std::string> seen;
  auto consider = [&](const std::string& k) {
    if (!seen.insert(k).second) return;
    auto b = before.has(k) ? before.get(k) : std::nullopt;
    auto a = after.has(k) ? after.get(k) : std::nullopt;
    if (before.has(k) && !b) b = "(unsafe value)";
    if (after.has(k) && !a) a = "(unsafe value)";
    if (b != a) out.push_back({k, b, a});
  };
  for (const auto& k : after.keys()) consider(k);
  for (const auto& k : before.keys()) consider(k);
  return out;
}

FileEdit make_edit(FileRole role, const std::string& name, const std::string& subject,
                   const FileState* have, std::string after) {
  FileEdit d;
  d.role = role;
  d.name = name;
  d.path = std::string(kDir) + "/" + name;
  d.subject = subject;
  d.before = bytes_of(have);
  d.action = d.before ? FileAction::Update : FileAction::Create;
  d.after = std::move(after);
  d.mode = (have && have->bytes) ? have->mode : 0644;
  return d;
}

FileEdit removal_of(FileRole role, const FileState& st, const std::string& name,
                    const std::string& dev) {
  FileEdit d;
  d.role = role;
  d.action = FileAction::Remove;
  d.name = name;
  d.path = std::string(kDir) + "/" + name;
  d.subject = dev;
  d.before = st.bytes;
  d.mode = st.mode;
  if (role == FileRole::GuestConfig) {
    const auto f = File::parse(*st.bytes);
    for (const auto& k : f.keys()) d.fields.push_back({k, f.get(k), std::nullopt});
  } else {
    d.fields.push_back({"content", "(" + std::to_string(st.bytes->size()) + " bytes)", std::nullopt});
  }
  return d;
}

// The spec's declared settings (not routes) that the file does not hold, as InterfaceFacts
// holding only those (nullopt elsewhere).
InterfaceFacts differing_facts(const InterfaceConfig& want, const InterfaceConfig& have) {
  InterfaceFacts f;
  f.onboot.reset();
  if (want.ipv4 && ipv4_differs(*want.ipv4, have.ipv4)) f.ipv4 = want.ipv4;
  if (want.ipv6 && want.ipv6 != have.ipv6) f.ipv6 = want.ipv6;
  if (want.defroute && want.defroute != have.defroute) f.defroute = want.defroute;
  if (want.ipv6_defroute && want.ipv6_defroute != have.ipv6_defroute) f.ipv6_defroute = want.ipv6_defroute;
  if (want.peerdns && want.peerdns != have.peerdns) f.peerdns = want.peerdns;
  if (want.dns && want.dns != have.dns) f.dns = want.dns;
  if (want.mtu && want.mtu != have.mtu) f.mtu = want.mtu;
  return f;
}

// The facts of a new file: everything the spec declares.
InterfaceFacts all_facts(const InterfaceConfig& want) {
  InterfaceFacts f;
  f.ipv4 = want.ipv4;
  f.ipv6 = want.ipv6;
  f.defroute = want.defroute;
  f.ipv6_defroute = want.ipv6_defroute;
  f.peerdns = want.peerdns;
  f.dns = want.dns;
  f.mtu = want.mtu;
  return f;
}

class IfcfgFormat final : public netconf::Format {
 public:
  std::string_view name() const override { return "ifcfg"; }
  std::string_view dir() const override { return kDir; }
  bool reads(std::string_view n) const override {
    return n.rfind("ifcfg-", 0) == 0 || n.rfind("route-", 0) == 0 || n.rfind("route6-", 0) == 0;
  }
  std::vector<std::string> file_names(std::string_view dev) const override {
    const std::string d(dev);
    return {"ifcfg-" + d, "route-" + d, "route6-" + d};
  }

  std::vector<DeviceConfig> read(const NetworkScripts& files, const std::string& who,
                                 Diagnostics& diags) const override {
    std::vector<DeviceConfig> out;
    std::map<MacAddress, std::size_t> pinned;
    for (const auto& [name, st] : files) {
      if (name.rfind("ifcfg-", 0) != 0 || !st.bytes || !netconf::in_dir(*this, name, st)) continue;
      DeviceConfig d = read_device(name.substr(6), st, files, who, diags);
      if (d.mac && d.ethernet) {
        auto [it, fresh] = pinned.emplace(*d.mac, out.size());
        if (!fresh) {
          const DeviceConfig& first = out[it->second];
          diags.error(pos_of(d.pos, "mac"), "netconf.mac-claimed-twice",
                      (who.empty() ? "" : who + ": ") + d.files.front() + " and " +
                          first.files.front() + " both pin MAC " + d.mac->str() +
                          "; one device has one config file: remove one of them");
        }
      }
      out.push_back(std::move(d));
    }
    return out;
  }

  std::vector<FileEdit> guest_edits(const netconf::GuestWant& want, const DeviceConfig* have,
                                    const NetworkScripts& files, const std::string& who,
                                    Diagnostics& diags) const override {
    std::vector<FileEdit> out;
    const InterfaceConfig& cfg = *want.config;
    std::string name = "ifcfg-" + want.device;
    const FileState* own = find(files, name);
    // The device's own file under another name (ifcfg-internal holding DEVICE=ens8 and the
    // pin): edited where it is.
    if (!own && have && have->device == want.device && (!have->mac || *have->mac == want.mac)) {
      name = have->files.front();
      own = find(files, name);
    }
    // A config pinned to this MAC under another name moves to the new name (point 7).
    const DeviceConfig* moved = have && have->device != want.device && have->mac &&
                                        *have->mac == want.mac
                                    ? have
                                    : nullptr;
    const FileState* base = own;
    if (!own && moved) base = find(files, moved->files.front());
    const bool route_only = !cfg.manages_settings();
    if (!route_only || moved) {
      if (!sourced_check(who + ": " + name, base, false, diags)) return out;
      auto e = settings_edit(want, base, own ? name : "ifcfg-" + want.device, moved != nullptr && !own,
                             have);
      command_warnings(who + ": " + name, base, e ? &e->after : nullptr, false, diags);
      if (e) out.push_back(std::move(*e));
    }
    if (cfg.routes || moved) {
      for (auto [prefix, fam] : {std::pair<const char*, IpFamily>{"route-", IpFamily::V4},
                                 std::pair<const char*, IpFamily>{"route6-", IpFamily::V6}}) {
        const std::string rname = prefix + want.device;
        const FileState* rhave = find(files, rname);
        if (!rhave && moved && !own) rhave = find(files, prefix + moved->device);
        if (!sourced_check(who + ": " + rname, rhave, true, diags)) continue;
        auto e = route_edit(want, rname, fam, rhave, find(files, rname) == nullptr);
        command_warnings(who + ": " + rname, rhave, e ? &e->after : nullptr, true, diags);
        if (e) out.push_back(std::move(*e));
      }
    }
    if (moved) {
      for (const auto& f : moved->files) {
        const FileState* st = find(files, f);
        if (!st) continue;
        FileEdit r = removal_of(f.rfind("ifcfg-", 0) == 0 ? FileRole::GuestConfig : FileRole::GuestRoutes,
                                *st, f, moved->device);
        out.push_back(std::move(r));
      }
    }
    return out;
  }

  std::vector<std::string> watched(const netconf::GuestWant& want, const DeviceConfig* have,
                                   const NetworkScripts& files) const override {
    std::vector<std::string> out;
    const InterfaceConfig& cfg = *want.config;
    if (cfg.manages_settings()) out.push_back("ifcfg-" + want.device);
    if (cfg.routes) {
      out.push_back("route-" + want.device);
      const bool v6 = std::any_of(cfg.routes->begin(), cfg.routes->end(),
                                  [](const Route& r) { return r.to.family() == IpFamily::V6; });
      if (v6 || find(files, "route6-" + want.device)) out.push_back("route6-" + want.device);
    }
    if (have && have->mac && *have->mac == want.mac) {
      if (have->device != want.device)
        out.insert(out.end(), have->files.begin(), have->files.end());
    }
    if (have && have->device == want.device && (!have->mac || *have->mac == want.mac) &&
        have->files.front() != "ifcfg-" + want.device)
      out.push_back(have->files.front());
    return out;
  }

  std::vector<FileEdit> host_nic_edits(const netconf::HostNicWant& want, const DeviceConfig*,
                                       const NetworkScripts& files, const std::string& who,
                                       Diagnostics& diags) const override {
    // The NIC's file: ifcfg-<nic>, else the file whose device it is (ifcfg-vlan100 with
    // DEVICE=bond0.100, a VLAN file named by PHYSDEV and VLAN_ID).
    std::string name = "ifcfg-" + want.nic;
    const FileState* have = find(files, name);
    std::optional<DeviceConfig> cur;
    Diagnostics scratch;  // the files' own problems are reported where they are read
    if (have) {
      cur = read_device(want.nic, *have, {}, "", scratch);
    } else {
      for (const auto& [n, st] : files) {
        if (n.rfind("ifcfg-", 0) != 0 || !st.bytes) continue;
        DeviceConfig d = read_device(n.substr(6), st, {}, "", scratch);
        if (d.device != want.nic) continue;
        name = n;
        have = &st;
        cur = std::move(d);
        break;
      }
    }
    if (!sourced_check(who + ": " + name, have, false, diags)) return {};
    const auto kind = netconf::resolve_host_nic_kind(want, cur ? &*cur : nullptr, who, diags);
    if (!kind) return {};
    const auto before_text = bytes_of(have);
    const File before = File::parse(before_text.value_or(""));
    UnconfiguredNicFacts facts;
    facts.device = want.nic;
    facts.hwaddr = want.mac;
    facts.kind = kind->kind;
    facts.parent = kind->parent;
    facts.vlan_id = kind->vlan_id;
    facts.new_file = !before_text;
    const auto uuid = before.get("UUID");
    if (!uuid || uuid->empty()) facts.uuid = host_nic_uuid(want.host, want.nic);
    auto keys = unconfigured_nic(facts);
    if (before_text && cur && cur->device == want.nic && name != "ifcfg-" + want.nic)
      std::erase_if(keys.values, [](const auto& kv) { return kv.first == "DEVICE"; });
    std::string after;
    File f = before;
    if (before_text) {
      const bool changed = apply(f, keys);
      after = f.write();
      command_warnings(who + ": " + name, have, &after, false, diags);
      if (!changed) return {};
    } else {
      after = render_new_file(keys);
      f = File::parse(after);
    }
    FileEdit d = make_edit(FileRole::HostNic, name, want.nic, have, std::move(after));
    d.fields = key_changes(before, f);
    d.nic_kind = kind->kind;
    return {d};
  }

  std::vector<FileEdit> removal(const DeviceConfig& have, const NetworkScripts& files) const override {
    std::vector<FileEdit> out;
    if (!have.created_by_tool) return out;
    for (const auto& f : have.files) {
      const FileState* st = find(files, f);
      if (!st) continue;
      const bool main = f.rfind("ifcfg-", 0) == 0;
      if (!main && st->bytes->rfind(kManagedHeader, 0) != 0) continue;
      out.push_back(removal_of(main ? FileRole::GuestConfig : FileRole::GuestRoutes, *st, f, have.device));
    }
    return out;
  }

  std::vector<std::string> restart_network_argv() const override {
    return {"/etc/init.d/network", "restart"};
  }

 private:
  // The device's ifcfg: a new file with everything the spec declares, or an existing one
  // (`base`, possibly the file of the old name when `renamed`) with only what differs.
  // `have`: the device as read() found it; used as the file's current config when it is
  // this very file of this device (else the file is read here).
  static std::optional<FileEdit> settings_edit(const netconf::GuestWant& want, const FileState* base,
                                               const std::string& name, bool renamed,
                                               const DeviceConfig* have) {
    const InterfaceConfig& cfg = *want.config;
    const auto before_text = bytes_of(base);
    const auto before_shared = File::parse_shared(before_text.value_or(""));
    const File& before = *before_shared;
    std::string after;
    File f = before;
    if (before_text) {
      Diagnostics scratch;
      const FileState& st = *base;
      const bool known = have && !renamed && have->device == want.device &&
                         !have->files.empty() && have->files.front() == name;
      const DeviceConfig read_here =
          known ? DeviceConfig{} : read_device(want.device, st, {}, "", scratch);
      const DeviceConfig& cur = known ? *have : read_here;
      InterfaceFacts facts = differing_facts(cfg, cur.config);
      facts.device = want.device;
      // HWADDR pins the name to the device (the eth0/eth1 instability): kept right in a file
      // that has it, restored in a file the tool wrote when the spec asks for the pin (a
      // hand-written file without one is left unpinned: `show` then `plan` changes nothing).
      if ((want.pin_mac && cur.created_by_tool) || before.has("HWADDR")) facts.hwaddr = want.mac;
      ManagedKeys keys = interface_keys(facts);
      KeyValues declared;  // only what differs: no create-only policy keys
      for (auto& kv : keys.values) {
        if (kv.first == "DEVICE" && cur.device == want.device) continue;  // already its device
        if (std::find(keys.create_only.begin(), keys.create_only.end(), kv.first) == keys.create_only.end())
          declared.push_back(std::move(kv));
      }
      keys.values = std::move(declared);
      keys.create_only.clear();
      if (renamed && before.get("NAME") == cur.device) keys.values.push_back({"NAME", want.device});
      if (!apply(f, keys) && !renamed) return std::nullopt;
      after = f.write();
    } else {
      InterfaceFacts facts = all_facts(cfg);
      facts.device = want.device;
      facts.hwaddr = want.mac;
      facts.uuid = guest_interface_uuid(want.host, want.guest, want.device);
      after = render_new_file(interface_keys(facts));
      f = File::parse(after);
    }
    FileEdit d = make_edit(FileRole::GuestConfig, name, want.device, renamed ? nullptr : base,
                           std::move(after));
    d.fields = key_changes(renamed ? File::parse("") : before, f);
    return d;
  }

  // route-<dev> / route6-<dev>: the spec's routes of that family. `fresh`: the file is
  // created under this name (rhave may be the old name's file being moved).
  static std::optional<FileEdit> route_edit(const netconf::GuestWant& want, const std::string& name,
                                            IpFamily fam, const FileState* rhave, bool fresh) {
    const InterfaceConfig& cfg = *want.config;
    std::vector<Route> want_routes;
    if (cfg.routes) {
      for (const auto& r : *cfg.routes)
        if (r.to.family() == fam) want_routes.push_back(r);
    } else if (rhave) {
      want_routes = RouteFile::parse(*rhave->bytes, fam).routes();  // moved as they are
    }
    const auto before_text = bytes_of(rhave);
    if (!before_text && want_routes.empty()) return std::nullopt;
    // IPv4 routes were always managed with the spec's `routes`; a route6 file only when the
    // spec has IPv6 routes or the file exists.
    const RouteFile before = RouteFile::parse(before_text.value_or(""), fam);
    auto have_routes = before.routes();
    auto sorted_want = want_routes;
    std::sort(have_routes.begin(), have_routes.end());
    std::sort(sorted_want.begin(), sorted_want.end());
    if (before_text && have_routes == sorted_want && !fresh) return std::nullopt;
    RouteFile f = before_text ? before : RouteFile::parse(std::string(kManagedHeader) + "\n", fam);
    f.set_routes(want_routes);
    FileEdit d = make_edit(FileRole::GuestRoutes, name, want.device, fresh ? nullptr : rhave, f.write());
    // One field per destination: "route 10.20.0.0/16": "via A" -> "via B".
    std::map<std::string, std::string> b, a;
    if (!fresh)
      for (const auto& r : have_routes) b["route " + r.to.str()] = r.str().substr(r.to.str().size() + 1);
    for (const auto& r : sorted_want) a["route " + r.to.str()] = r.str().substr(r.to.str().size() + 1);
    std::set<std::string> keys;
    for (const auto& [k, v] : b) keys.insert(k);
    for (const auto& [k, v] : a) keys.insert(k);
    for (const auto& k : keys) {
      std::optional<std::string> bv, av;
      if (auto it = b.find(k); it != b.end()) bv = it->second;
      if (auto it = a.find(k); it != a.end()) av = it->second;
      if (bv != av) d.fields.push_back({k, bv, av});
    }
    return d;
  }
};

}  // namespace

const netconf::Format& format() {
  static const IfcfgFormat f;
  return f;
}

std::string host_nic_uuid(const std::string& host, const std::string& nic) {
  return uuid_v5(kUuidNamespace, host + "/" + nic);
}

std::string guest_interface_uuid(const std::string& host, const std::string& guest,
                                 const std::string& device) {
  return uuid_v5(kUuidNamespace, host + "/" + guest + "/" + device);
}

bool says_unconfigured(const std::string& text) {
  return says_unconfigured(File::parse(text), NicKind::Ethernet);
}

}  // namespace mvt::ifcfg
