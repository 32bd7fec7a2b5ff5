#include "netconf/ifcfg/interface_facts.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace mvt::ifcfg {
namespace {

const char* yes_no(bool b) {
  return b ? "yes" : "no";
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view k) {
  return std::find(v.begin(), v.end(), k) != v.end();
}

// Key without a trailing number: "DNS2" -> "DNS", "IPADDR0" -> "IPADDR".
std::string family(std::string_view key) {
  std::size_t e = key.size();
  while (e > 0 && std::isdigit(static_cast<unsigned char>(key[e - 1]))) --e;
  return std::string(key.substr(0, e));
}

bool is_bool_key(std::string_view k) {
  static const std::vector<std::string> keys = {
      "ONBOOT",          "DEFROUTE",           "PEERDNS",
      "PEERROUTES",      "IPV4_FAILURE_FATAL", "IPV6INIT",
      "IPV6_AUTOCONF",   "IPV6_DEFROUTE",      "IPV6_PEERDNS",
      "IPV6_PEERROUTES", "IPV6_FAILURE_FATAL", "NM_CONTROLLED",  "DHCPV6C",
      "USERCTL"};
  return contains(keys, k);
}

std::optional<bool> parse_bool(std::string_view v) {
  auto f = File::parse("X=" + *quote(v) + "\n");
  return f.get_bool("X");
}

std::optional<std::string> canon_bootproto(std::string_view v) {
  return File::parse("BOOTPROTO=" + *quote(v) + "\n").bootproto();
}

// Does the file's current value of key mean `want`?
bool same_meaning(const File& file, const std::string& key, const std::string& want) {
  auto cur = file.get(key);
  if (!cur) return false;
  if (*cur == want) return true;
  std::string fam = family(key);
  if (is_bool_key(key)) {
    auto a = file.get_bool(key);
    auto b = parse_bool(want);
    return a && b && *a == *b;
  }
  if (key == "BOOTPROTO") {
    auto a = file.bootproto();
    auto b = canon_bootproto(want);
    return a && b && *a == *b;
  }
  if (key == "HWADDR" || key == "MACADDR") {
    auto a = MacAddress::parse(*cur);
    auto b = MacAddress::parse(want);
    return a && b && *a == *b;
  }
  if (key == "UUID") return lower(*cur) == lower(want);
  if (key == "IPV6ADDR") {
    auto a = IpPrefix::parse(*cur);
    auto b = IpPrefix::parse(want);
    return a && b && *a == *b;
  }
  if (key == "IPV6_DEFAULTGW") {
    auto a = IpAddress::parse(*cur);
    auto b = IpAddress::parse(want);
    return a && b && *a == *b;
  }
  if (fam == "DNS") {
    auto a = IpAddress::parse(*cur);
    auto b = IpAddress::parse(want);
    return a && b && *a == *b;
  }
  if (fam == "IPADDR" || fam == "GATEWAY") {
    auto a = Ipv4::parse(*cur);
    auto b = Ipv4::parse(want);
    return a && b && *a == *b;
  }
  return false;
}

// PREFIX<sfx>=want is met by PREFIX<sfx> itself or, when it is absent, an agreeing NETMASK.
bool prefix_met(const File& file, const std::string& sfx, const std::string& want) {
  if (file.has("PREFIX" + sfx)) {
    auto cur = file.get("PREFIX" + sfx);
    return cur && (*cur == want || (!cur->empty() && cur->size() <= 2 &&
                                    std::all_of(cur->begin(), cur->end(), ::isdigit) &&
                                    std::stoi(*cur) == std::stoi(want)));
  }
  auto m = file.get("NETMASK" + sfx);
  if (!m) return false;
  auto p = Cidr::prefix_from_netmask(*m);
  return p && std::to_string(*p) == want;
}

// Renames the address family keys to their 0-suffixed spelling.
std::string suffixed(const std::string& key, bool zero) {
  if (!zero) return key;
  if (key == "IPADDR" || key == "PREFIX" || key == "NETMASK" || key == "GATEWAY") return key + "0";
  return key;
}

// The identity keys every Ethernet file starts with: NAME, DEVICE, HWADDR (the pin), TYPE.
void push_identity(KeyValues& v, const std::string& device,
                   const std::optional<MacAddress>& hwaddr) {
  v.push_back({"NAME", device});
  v.push_back({"DEVICE", device});
  if (hwaddr) v.push_back({"HWADDR", hwaddr->str()});
  v.push_back({"TYPE", "Ethernet"});
}

}  // namespace

ManagedKeys interface_keys(const InterfaceFacts& f) {
  ManagedKeys m;
  auto& v = m.values;
  push_identity(v, f.device, f.hwaddr);
  if (f.onboot) v.push_back({"ONBOOT", yes_no(*f.onboot)});
  bool is_static = false;
  if (f.ipv4) {
    if (f.ipv4->dhcp()) {
      v.push_back({"BOOTPROTO", "dhcp"});
      for (const char* k :
           {"IPADDR", "PREFIX", "NETMASK", "GATEWAY", "IPADDR0", "PREFIX0", "NETMASK0", "GATEWAY0"})
        m.absent.push_back(k);
    } else {
      is_static = true;
      v.push_back({"BOOTPROTO", "none"});
      if (f.ipv4->address()) {
        v.push_back({"IPADDR", f.ipv4->address()->address().str()});
        v.push_back({"PREFIX", std::to_string(f.ipv4->address()->prefix())});
      }
      if (f.ipv4->gateway)
        v.push_back({"GATEWAY", f.ipv4->gateway->str()});
      else
        m.absent.push_back("GATEWAY");
    }
  }
  if (f.defroute) v.push_back({"DEFROUTE", yes_no(*f.defroute)});
  if (is_static) v.push_back({"PEERROUTES", "no"});
  if (f.peerdns) v.push_back({"PEERDNS", yes_no(*f.peerdns)});
  if (f.dns) {
    for (std::size_t i = 0; i < f.dns->size(); ++i)
      v.push_back({"DNS" + std::to_string(i + 1), (*f.dns)[i].str()});
    m.absent_numbered.push_back("DNS");
  }
  if (is_static) v.push_back({"IPV4_FAILURE_FATAL", "yes"});
  if (f.mtu) v.push_back({"MTU", std::to_string(*f.mtu)});
  m.create_only = {"NAME", "TYPE", "PEERROUTES", "IPV4_FAILURE_FATAL"};
  if (f.ipv6) {
    const Ipv6Config& c = *f.ipv6;
    const bool on = c.method != Ipv6Method::Disabled;
    v.push_back({"IPV6INIT", yes_no(on)});
    if (on) {
      v.push_back({"IPV6_AUTOCONF", yes_no(c.method == Ipv6Method::Auto)});
      if (c.method == Ipv6Method::Dhcp)
        v.push_back({"DHCPV6C", "yes"});
      else
        m.absent.push_back("DHCPV6C");
    } else {
      for (const char* k : {"IPV6_AUTOCONF", "DHCPV6C"}) m.absent.push_back(k);
    }
    if (on && !c.addresses.empty()) {
      v.push_back({"IPV6ADDR", c.addresses.front().str()});
      std::string rest;
      for (std::size_t i = 1; i < c.addresses.size(); ++i)
        rest += (rest.empty() ? "" : " ") + c.addresses[i].str();
      if (rest.empty())
        m.absent.push_back("IPV6ADDR_SECONDARIES");
      else
        v.push_back({"IPV6ADDR_SECONDARIES", rest});
    } else {
      for (const char* k : {"IPV6ADDR", "IPV6ADDR_SECONDARIES"}) m.absent.push_back(k);
    }
    if (on && c.gateway)
      v.push_back({"IPV6_DEFAULTGW", c.gateway->str()});
    else
      m.absent.push_back("IPV6_DEFAULTGW");
  } else {
    for (const char* k : {"IPV6INIT", "IPV6_AUTOCONF"}) {
      v.push_back({k, "no"});
      m.create_only.push_back(k);
    }
  }
  if (f.ipv6_defroute) {
    v.push_back({"IPV6_DEFROUTE", yes_no(*f.ipv6_defroute)});
  } else {
    // Not managed: a new file gets the default route when it has an IPv6 gateway (the
    // spec's rule guest.one-ipv6-defroute counts it so), else none.
    const bool gw = f.ipv6 && f.ipv6->method != Ipv6Method::Disabled && f.ipv6->gateway;
    v.push_back({"IPV6_DEFROUTE", yes_no(gw)});
    m.create_only.push_back("IPV6_DEFROUTE");
  }
  for (const char* k : {"IPV6_PEERDNS", "IPV6_PEERROUTES", "IPV6_FAILURE_FATAL"}) {
    v.push_back({k, "no"});
    m.create_only.push_back(k);
  }
  if (f.uuid) v.push_back({"UUID", *f.uuid});
  return m;
}

ManagedKeys unconfigured_nic(const UnconfiguredNicFacts& f) {
  ManagedKeys m;
  auto& v = m.values;
  push_identity(v, f.device, f.hwaddr);
  v.push_back({"ONBOOT", "no"});
  v.push_back({"BOOTPROTO", "no"});
  v.push_back({"DEFROUTE", "no"});
  v.push_back({"PEERDNS", "no"});
  v.push_back({"PEERROUTES", "no"});
  v.push_back({"IPV4_FAILURE_FATAL", "no"});
  for (const char* k : {"IPV6INIT", "IPV6_AUTOCONF", "IPV6_DEFROUTE", "IPV6_PEERDNS",
                        "IPV6_PEERROUTES", "IPV6_FAILURE_FATAL"})
    v.push_back({k, "no"});
  if (f.uuid) v.push_back({"UUID", *f.uuid});
  for (const char* k :
       {"IPADDR", "PREFIX", "NETMASK", "GATEWAY", "IPADDR0", "PREFIX0", "NETMASK0", "GATEWAY0"})
    m.absent.push_back(k);
  m.absent_numbered.push_back("DNS");
  m.create_only = {"NAME", "TYPE"};
  return m;
}

KeyValues unconfigured_nic_keys(std::string_view device, const std::optional<MacAddress>& hwaddr,
                                const std::optional<std::string>& uuid) {
  return unconfigured_nic({std::string(device), hwaddr, uuid}).values;
}

KeyValues static_interface_keys(const InterfaceFacts& f) {
  if (!f.ipv4 || f.ipv4->dhcp() || !f.ipv4->address())
    throw std::invalid_argument("static_interface_keys: " + f.device +
                                " has no static IPv4 address");
  return interface_keys(f).values;
}

bool apply(File& file, const ManagedKeys& keys) {
  File before = file;
  // 0-suffixed address family when the file already uses it.
  bool zero = !file.has("IPADDR") && file.has("IPADDR0");
  for (const auto& [k0, want] : keys.values) {
    std::string key = suffixed(k0, zero);
    if (contains(keys.create_only, k0)) {
      if (!file.has(key)) file.set(key, want);
      continue;
    }
    if (family(key) == "PREFIX") {
      std::string sfx = key.substr(6);
      if (!prefix_met(file, sfx, want)) file.set(key, want);
      // A NETMASK that disagrees with the wanted prefix goes.
      if (file.has("NETMASK" + sfx)) {
        auto m = file.get("NETMASK" + sfx);
        auto p = m ? Cidr::prefix_from_netmask(*m) : std::nullopt;
        if (!p || std::to_string(*p) != want) file.unset("NETMASK" + sfx);
      }
      continue;
    }
    if (!same_meaning(file, key, want)) file.set(key, want);
  }
  for (const auto& k : keys.absent) {
    file.unset(k);
    file.unset(suffixed(k, zero));
  }
  std::vector<std::string> gone;  // removed in one pass: a file may hold any number of them
  for (const auto& fam : keys.absent_numbered) {
    for (const auto& k : file.keys()) {
      if (k.size() <= fam.size() || k.compare(0, fam.size(), fam) != 0) continue;
      auto rest = std::string_view(k).substr(fam.size());
      if (!std::all_of(rest.begin(), rest.end(), ::isdigit)) continue;
      bool wanted = std::any_of(keys.values.begin(), keys.values.end(),
                                [&](const auto& kv) { return kv.first == k; });
      if (!wanted) gone.push_back(k);
    }
  }
  if (!gone.empty()) file.unset(gone);
  return file.write() != before.write();
}

std::string render_new_file(const KeyValues& values) {
  File f = File::parse(std::string(kManagedHeader) + "\n");
  for (const auto& [k, v] : values) f.set(k, v);
  return f.write();
}

std::string render_new_file(const ManagedKeys& keys) {
  return render_new_file(keys.values);
}

InterfaceFacts facts_of(const GuestInterface& i, const MacAddress& mac,
                        std::optional<std::string> uuid, bool pin_hwaddr) {
  InterfaceFacts f;
  f.device = i.name;
  if (pin_hwaddr) f.hwaddr = mac;
  f.uuid = std::move(uuid);
  f.ipv4 = i.ip.ipv4;
  f.ipv6 = i.ip.ipv6;
  f.defroute = i.ip.defroute;
  f.ipv6_defroute = i.ip.ipv6_defroute;
  f.peerdns = i.ip.peerdns;
  f.dns = i.ip.dns;
  f.mtu = i.ip.mtu;
  return f;
}

}  // namespace mvt::ifcfg
