#include "netconf/keyfile/keyfile_profile.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace mvt::keyfile {
namespace {

bool digits(const std::string& s) {
  return !s.empty() && s.size() <= 9 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// "address12" -> 12, "address" -> -1, other -> nullopt (for `stem` "address"/"addresses").
std::optional<long> number_of(const std::string& key, const std::string& stem) {
  if (key.compare(0, stem.size(), stem) != 0) return std::nullopt;
  const std::string rest = key.substr(stem.size());
  if (rest.empty()) return -1;
  if (!digits(rest)) return std::nullopt;
  return std::stol(rest);
}

bool numbered(const std::string& key, bool route) {
  // Named arrays: an initializer_list chosen by ?: would dangle (its array dies with the
  // full-expression that made it, before the loop reads it).
  static const char* const kRouteStems[] = {"route", "routes"};
  static const char* const kAddressStems[] = {"address", "addresses"};
  for (const char* stem : route ? kRouteStems : kAddressStems)
    if (number_of(key, stem)) return true;
  return false;
}

// Splits at '/', ',' and ';' (the old list form "ADDR;PLEN;GW;" too).
std::vector<std::string> tokens(const std::string& v) {
  std::vector<std::string> out(1);
  for (const char c : v) {
    if (c == '/' || c == ',' || c == ';')
      out.emplace_back();
    else if (c != ' ' && c != '\t')
      out.back() += c;
  }
  return out;
}

SourcePos at(const FileState& st, int line = 0, int column = 0) {
  return SourcePos{st.origin.empty() ? st.path : st.origin, line, column};
}

}  // namespace

std::string ethernet_group(const File& f) {
  return !f.has_group("ethernet") && f.has_group("802-3-ethernet") ? "802-3-ethernet" : "ethernet";
}

std::vector<std::string> numbered_keys(const File& f, const std::string& group, bool route) {
  std::vector<std::pair<long, std::string>> found;
  for (const auto& k : f.keys(group)) {
    if (!numbered(k, route)) continue;
    auto n = number_of(k, route ? "route" : "address");
    if (!n) n = number_of(k, route ? "routes" : "addresses");
    found.emplace_back(*n, k);
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& [n, k] : found) out.push_back(std::move(k));
  return out;
}

std::optional<AddressValue> parse_address(const std::string& value, IpFamily fam) {
  const auto t = tokens(value);
  auto a = IpAddress::parse(t[0]);
  if (!a || a->family() != fam) return std::nullopt;
  int plen = fam == IpFamily::V4 ? 24 : 64;
  std::size_t next = 1;
  if (t.size() > 1 && digits(t[1])) {
    plen = std::stoi(t[1]);
    next = 2;
  }
  if (plen > a->max_prefix()) return std::nullopt;
  AddressValue out{IpPrefix(*a, plen), std::nullopt};
  if (t.size() > next && !t[next].empty()) {
    auto g = IpAddress::parse(t[next]);
    if (!g || g->family() != fam) return std::nullopt;
    if (!g->is_unspecified()) out.gateway = g;
  }
  return out;
}

std::optional<RouteValue> parse_route(const std::string& value, IpFamily fam) {
  const auto t = tokens(value);
  auto a = IpAddress::parse(t[0]);
  if (!a || a->family() != fam || t.size() < 2 || !digits(t[1])) return std::nullopt;
  const int plen = std::stoi(t[1]);
  if (plen > a->max_prefix()) return std::nullopt;
  RouteValue out{IpPrefix(*a, plen).network_prefix(), std::nullopt, std::nullopt};
  if (t.size() > 2 && !t[2].empty()) {
    auto g = IpAddress::parse(t[2]);
    if (!g || g->family() != fam) return std::nullopt;
    if (!g->is_unspecified()) out.via = g;
  }
  if (t.size() > 3 && !t[3].empty()) {
    if (!digits(t[3])) return std::nullopt;
    const long m = std::stol(t[3]);
    if (m > 0xffffffffL) return std::nullopt;
    out.metric = static_cast<std::uint32_t>(m);
  }
  return out;
}

std::string route_value(const Route& r) {
  return r.to.network_prefix().str() + "," + r.via.str() +
         (r.metric ? "," + std::to_string(*r.metric) : "");
}

std::optional<bool> parse_bool(const std::optional<std::string>& v) {
  if (!v) return std::nullopt;
  std::string s = *v;
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  if (s == "true" || s == "1") return true;
  if (s == "false" || s == "0") return false;
  return std::nullopt;
}

bool model_key(const std::string& g, const std::string& k) {
  if (g == "connection") return k == "interface-name" || k == "type";
  if (g == "ethernet" || g == "802-3-ethernet") return k == "mac-address" || k == "mtu";
  if (g == "ipv4" || g == "ipv6")
    return k == "method" || k == "gateway" || k == "dns" || k == "never-default" ||
           (g == "ipv4" && k == "ignore-auto-dns") || numbered(k, false) || numbered(k, true);
  return false;
}

bool policy_key(const std::string& g, const std::string& k) {
  if (g == "connection") return k == "id" || k == "uuid";
  return (g == "ipv4" || g == "ipv6") && k == "may-fail";
}

netconf::DeviceConfig read_profile(const std::string& name, const FileState& st, const File& f,
                                   const std::string& who, Diagnostics& diags) {
  netconf::DeviceConfig d;
  const std::string pre = who.empty() ? "" : who + ": ";
  auto line = [&](const std::string& g, const std::string& k) {
    return at(st, f.line_of(g, k), f.line_of(g, k) ? f.value_column(g, k) : 0);
  };
  auto warn = [&](const std::string& g, const std::string& k, const std::string& msg) {
    diags.warning(line(g, k), "keyfile.value", pre + "[" + g + "] " + k + ": " + msg);
  };
  d.files.push_back(name);
  d.pos[""] = at(st);
  d.created_by_tool = st.bytes && st.bytes->rfind(kManagedHeader, 0) == 0;
  for (const auto& p : f.problems()) {
    if (!p.bad_value) continue;
    d.unsafe_keys.push_back(p.group + "." + p.key);
    if (model_key(p.group, p.key))
      diags.error(at(st, p.line, p.column), "keyfile.bad-value", pre + p.message);
    else
      diags.warning(at(st, p.line, p.column), "keyfile.bad-value-unmanaged",
                    pre + p.message + "; macvtapctl does not manage it and leaves it as it is");
  }
  if (auto n = f.get("connection", "interface-name"); n && !n->empty()) {
    d.device = *n;
    d.pos["name"] = line("connection", "interface-name");
  }
  const std::string eth = ethernet_group(f);
  if (auto m = f.get(eth, "mac-address"); m && !m->empty()) {
    d.mac = MacAddress::parse(*m);
    if (!d.mac) warn(eth, "mac-address", "not a MAC address: " + *m);
    d.pos["mac"] = line(eth, "mac-address");
  }
  const auto type = f.get("connection", "type");
  d.ethernet = !type || *type == "ethernet" || *type == "802-3-ethernet";
  // The device's kind (issue 15, point 5): [connection] type; a VLAN's [vlan] parent and id;
  // a port's controller ([connection] controller, or master in NetworkManager before 1.46).
  if (type) d.pos["kind"] = line("connection", "type");
  if (d.ethernet) d.kind = NicKind::Ethernet;
  else if (*type == "vlan") d.kind = NicKind::Vlan;
  else if (*type == "bond") d.kind = NicKind::Bond;
  else if (*type == "team") d.kind = NicKind::Team;
  else d.kind = std::nullopt;  // a bridge, Wi-Fi, loopback...: not a host NIC of the model
  if (d.kind == NicKind::Vlan) {
    if (auto p = f.get("vlan", "parent"); p && !p->empty()) {
      d.parent = *p;
      d.pos["parent"] = line("vlan", "parent");
    }
    if (auto v = f.get("vlan", "id"); v && digits(*v) && v->size() <= 4) {
      d.vlan_id = std::stoi(*v);
      d.pos["id"] = line("vlan", "id");
    }
  }
  for (const char* k : {"controller", "master"})
    if (auto m = f.get("connection", k); m && !m->empty() && d.port_of.empty()) {
      d.port_of = *m;
      d.pos["port"] = line("connection", k);
    }

  InterfaceConfig& c = d.config;
  std::set<std::string> unmanaged_too;  // model keys whose value the model cannot hold
  // Addresses and the gateway of one family.
  auto addresses = [&](const std::string& g, IpFamily fam, std::vector<IpPrefix>& out,
                       std::optional<IpAddress>& gw) {
    for (const auto& k : numbered_keys(f, g, false)) {
      auto v = f.get(g, k);
      auto a = v ? parse_address(*v, fam) : std::nullopt;
      if (!a) {
        if (v) warn(g, k, "not an address of this family: " + *v);
        continue;
      }
      out.push_back(a->prefix);
      if (a->gateway && !gw) gw = a->gateway;  // the old "ADDR/PLEN,GATEWAY" form
    }
    if (auto v = f.get(g, "gateway"); v && !v->empty()) {
      auto a = IpAddress::parse(*v);
      if (a && a->family() == fam)
        gw = a;
      else
        warn(g, "gateway", "not an address of this family: " + *v);
    }
  };
  const auto m4 = f.get("ipv4", "method");
  {
    std::vector<IpPrefix> addrs;
    std::optional<IpAddress> gw;
    addresses("ipv4", IpFamily::V4, addrs, gw);
    std::optional<Ipv4Method> method;
    if (m4 == "manual" || (!m4 && !addrs.empty())) method = Ipv4Method::Static;
    else if (m4 == "auto") method = Ipv4Method::Dhcp;
    else if (m4 == "disabled") method = Ipv4Method::Disabled;
    else if (m4) unmanaged_too.insert("ipv4.method");  // link-local, shared: not the model's
    if (method) {
      Ipv4Config v4;
      v4.method = *method;
      if (*method != Ipv4Method::Disabled) {
        for (const auto& a : addrs) v4.addresses.push_back(*a.v4());
        if (gw) v4.gateway = gw->v4();
      }
      c.ipv4 = v4;
      d.pos["ipv4"] = m4 ? line("ipv4", "method") : line("ipv4", numbered_keys(f, "ipv4", false).front());
      if (!v4.addresses.empty()) d.pos["ipv4.address"] = line("ipv4", numbered_keys(f, "ipv4", false).front());
      if (v4.gateway)
        d.pos["ipv4.gateway"] = f.has("ipv4", "gateway") ? line("ipv4", "gateway")
                                                          : line("ipv4", numbered_keys(f, "ipv4", false).front());
    }
  }
  const auto m6 = f.get("ipv6", "method");
  {
    std::vector<IpPrefix> addrs;
    std::optional<IpAddress> gw;
    addresses("ipv6", IpFamily::V6, addrs, gw);
    std::optional<Ipv6Method> method;
    if (m6 == "manual" || (!m6 && !addrs.empty())) method = Ipv6Method::Static;
    else if (m6 == "auto") method = Ipv6Method::Auto;
    else if (m6 == "dhcp") method = Ipv6Method::Dhcp;
    else if (m6 == "disabled" || m6 == "ignore") method = Ipv6Method::Disabled;
    else if (m6) unmanaged_too.insert("ipv6.method");
    if (m6 == "ignore") unmanaged_too.insert("ipv6.method");  // shown: "ignore", read as disabled
    if (method) {
      Ipv6Config v6;
      v6.method = *method;
      if (*method != Ipv6Method::Disabled) {
        v6.addresses = addrs;
        v6.gateway = gw;
      }
      c.ipv6 = v6;
      d.pos["ipv6"] = m6 ? line("ipv6", "method") : line("ipv6", numbered_keys(f, "ipv6", false).front());
    }
  }
  auto flag = [&](const std::string& g, const std::string& k, std::optional<bool>& out,
                  const char* field, bool invert) {
    if (!f.has(g, k)) return;
    auto b = parse_bool(f.get(g, k));
    if (!b) {
      warn(g, k, "not a boolean (true or false): " + f.raw(g, k).value_or(""));
      return;
    }
    out = invert ? !*b : *b;
    d.pos[field] = line(g, k);
  };
  flag("ipv4", "never-default", c.defroute, "defroute", true);
  if (c.ipv6 && c.ipv6->method != Ipv6Method::Disabled)
    flag("ipv6", "never-default", c.ipv6_defroute, "ipv6_defroute", true);
  flag("ipv4", "ignore-auto-dns", c.peerdns, "peerdns", true);
  for (const auto& [g, fam] : {std::pair<const char*, IpFamily>{"ipv4", IpFamily::V4},
                               std::pair<const char*, IpFamily>{"ipv6", IpFamily::V6}}) {
    if (auto l = f.get_list(g, "dns")) {
      if (!c.dns) c.dns.emplace();
      for (const auto& s : *l) {
        auto a = IpAddress::parse(s);
        if (a && a->family() == fam)
          c.dns->push_back(*a);
        else
          warn(g, "dns", "not a DNS server address of this family: " + s);
      }
      if (!d.pos.count("dns")) d.pos["dns"] = line(g, "dns");
    }
    for (const auto& k : numbered_keys(f, g, true)) {
      if (!c.routes) c.routes.emplace();
      if (!d.pos.count("routes")) d.pos["routes"] = line(g, k);
      auto v = f.get(g, k);
      auto r = v ? parse_route(*v, fam) : std::nullopt;
      if (!r) {
        if (v) warn(g, k, "not a route of this family (DEST/PLEN,NEXTHOP[,METRIC]): " + *v);
        continue;
      }
      if (!r->via) {  // the model's routes have a next hop: this one is kept as it is
        unmanaged_too.insert(std::string(g) + "." + k);
        continue;
      }
      c.routes->push_back(Route(r->to, *r->via, r->metric));
    }
  }
  if (c.dns && c.dns->empty()) c.dns.reset();
  if (auto m = f.get(eth, "mtu"); m && !m->empty()) {
    if (digits(*m) && m->size() <= 6 && std::stoi(*m) > 0) {
      c.mtu = std::stoi(*m);
      d.pos["mtu"] = line(eth, "mtu");
    } else if (*m != "0") {
      warn(eth, "mtu", "not an MTU: " + *m);
    }
  }
  // Left to guests (point 4): brought up (autoconnect not false), no address of either
  // family (both methods disabled; ipv6 "ignore" too).
  d.unconfigured = m4 == "disabled" && (m6 == "disabled" || m6 == "ignore") &&
                   parse_bool(f.get("connection", "autoconnect")).value_or(true);
  for (const auto& g : f.groups())
    for (const auto& k : f.keys(g)) {
      const std::string full = g + "." + k;
      if ((model_key(g, k) && !unmanaged_too.count(full)) || policy_key(g, k)) continue;
      c.unmanaged.push_back({full, f.get(g, k).value_or(f.raw(g, k).value_or("")), line(g, k)});
    }
  return d;
}

}  // namespace mvt::keyfile
