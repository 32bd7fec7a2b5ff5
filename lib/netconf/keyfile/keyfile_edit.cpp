#include "netconf/keyfile/keyfile_edit.hpp"

#include <algorithm>
#include <set>

#include "netconf/keyfile/keyfile_profile.hpp"

namespace mvt::keyfile {
namespace {

std::vector<IpAddress> of_family(const std::optional<std::vector<IpAddress>>& v, IpFamily fam) {
  std::vector<IpAddress> out;
  if (v)
    for (const auto& a : *v)
      if (a.family() == fam) out.push_back(a);
  return out;
}

std::vector<Route> of_family(const std::optional<std::vector<Route>>& v, IpFamily fam) {
  std::vector<Route> out;
  if (v)
    for (const auto& r : *v)
      if (r.to.family() == fam) out.push_back(r);
  return out;
}

// The largest N of the group's numbered keys (0: none).
long max_number(const File& f, const std::string& g, bool route) {
  long n = 0;
  const std::string stem = route ? "route" : "address";
  for (const auto& k : numbered_keys(f, g, route)) {
    std::string rest = k.substr(stem.size());
    if (!rest.empty() && rest[0] == 's') rest.erase(0, 1);
    if (!rest.empty()) n = std::max(n, std::stol(rest));
  }
  return n;
}

// addressN (and the gateway, in the form the profile uses) of one group.
void write_addresses(File& f, const std::string& g, IpFamily fam, const std::vector<IpPrefix>& addrs,
                     const std::optional<IpAddress>& gw) {
  const auto keys = numbered_keys(f, g, false);
  bool gw_in_address = false;
  if (!f.has(g, "gateway") && !keys.empty())
    if (auto v = f.get(g, keys.front()))
      if (auto a = parse_address(*v, fam)) gw_in_address = a->gateway.has_value();
  long next = max_number(f, g, false) + 1;
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    std::string v = addrs[i].str();
    if (i == 0 && gw_in_address && gw) v += "," + gw->str();
    const std::string k = i < keys.size() ? keys[i] : "address" + std::to_string(next++);
    // Same meaning, other spelling ("ADDR/PLEN,GW" vs the gateway key): left as it is.
    auto cur = f.get(g, k);
    auto parsed = cur ? parse_address(*cur, fam) : std::nullopt;
    if (parsed && parsed->prefix == addrs[i] &&
        (i != 0 || !gw_in_address || parsed->gateway == gw))
      continue;
    f.set(g, k, v);
  }
  for (std::size_t i = addrs.size(); i < keys.size(); ++i) f.remove(g, keys[i]);
  if (gw_in_address && !addrs.empty()) return;
  if (gw) {
    auto cur = f.get(g, "gateway");
    auto a = cur ? IpAddress::parse(*cur) : std::nullopt;
    if (!a || *a != *gw) f.set(g, "gateway", gw->str());
  } else {
    f.remove(g, "gateway");
  }
}

// routeN of one group: the model's routes replace the routes with a next hop; a route without
// one (not the model's) stays where it is.
void write_routes(File& f, const std::string& g, IpFamily fam, const std::vector<Route>& routes) {
  std::vector<std::string> keys;
  for (const auto& k : numbered_keys(f, g, true)) {
    auto v = f.get(g, k);
    auto r = v ? parse_route(*v, fam) : std::nullopt;
    if (!r || r->via) keys.push_back(k);
  }
  long next = max_number(f, g, true) + 1;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const std::string k = i < keys.size() ? keys[i] : "route" + std::to_string(next++);
    auto v = f.get(g, k);
    auto cur = v ? parse_route(*v, fam) : std::nullopt;
    if (cur && cur->via && Route(cur->to, *cur->via, cur->metric) == routes[i]) continue;
    f.set(g, k, route_value(routes[i]));
  }
  for (std::size_t i = routes.size(); i < keys.size(); ++i) {
    f.remove(g, keys[i]);
    f.remove(g, keys[i] + "_options");  // the options of a route that is gone
  }
}

const char* method_name(Ipv4Method m) {
  switch (m) {
    case Ipv4Method::Static: return "manual";
    case Ipv4Method::Dhcp: return "auto";
    case Ipv4Method::Disabled: return "disabled";
  }
  return "auto";
}

const char* method_name(Ipv6Method m) {
  switch (m) {
    case Ipv6Method::Static: return "manual";
    case Ipv6Method::Auto: return "auto";
    case Ipv6Method::Dhcp: return "dhcp";
    case Ipv6Method::Disabled: return "disabled";
  }
  return "auto";
}

std::string boolean(bool b) { return b ? "true" : "false"; }


}  // namespace

// Writes the fields `want` declares whose values `have` does not hold (have null: all).
void write_fields(File& f, const InterfaceConfig& w, const InterfaceConfig* have) {
  if (w.ipv4 && (!have || ipv4_differs(*w.ipv4, have->ipv4))) {
    f.set("ipv4", "method", method_name(w.ipv4->method));
    std::vector<IpPrefix> addrs;
    if (w.ipv4->method != Ipv4Method::Disabled)
      for (const auto& a : w.ipv4->addresses) addrs.emplace_back(a);
    std::optional<IpAddress> gw;
    if (w.ipv4->gateway && w.ipv4->method != Ipv4Method::Disabled) gw = IpAddress(*w.ipv4->gateway);
    write_addresses(f, "ipv4", IpFamily::V4, addrs, gw);
  }
  if (w.ipv6 && (!have || w.ipv6 != have->ipv6)) {
    f.set("ipv6", "method", method_name(w.ipv6->method));
    const bool off = w.ipv6->method == Ipv6Method::Disabled;
    write_addresses(f, "ipv6", IpFamily::V6, off ? std::vector<IpPrefix>{} : w.ipv6->addresses,
                    off ? std::nullopt : w.ipv6->gateway);
  }
  if (w.defroute && (!have || w.defroute != have->defroute))
    f.set("ipv4", "never-default", boolean(!*w.defroute));
  if (w.ipv6_defroute && (!have || w.ipv6_defroute != have->ipv6_defroute))
    f.set("ipv6", "never-default", boolean(!*w.ipv6_defroute));
  if (w.peerdns && (!have || w.peerdns != have->peerdns))
    f.set("ipv4", "ignore-auto-dns", boolean(!*w.peerdns));
  for (const auto& [g, fam] : {std::pair<const char*, IpFamily>{"ipv4", IpFamily::V4},
                               std::pair<const char*, IpFamily>{"ipv6", IpFamily::V6}}) {
    if (w.dns) {
      const auto want = of_family(w.dns, fam);
      if (!have || want != of_family(have->dns, fam)) {
        std::vector<std::string> items;
        for (const auto& a : want) items.push_back(a.str());
        if (items.empty())
          f.remove(g, "dns");
        else
          f.set_list(g, "dns", items);
      }
    }
    if (w.routes) {
      auto want = of_family(w.routes, fam);
      auto cur = have ? of_family(have->routes, fam) : std::vector<Route>{};
      auto sorted = want;
      std::sort(sorted.begin(), sorted.end());
      std::sort(cur.begin(), cur.end());
      if (!have || sorted != cur) write_routes(f, g, fam, want);
    }
  }
  if (w.mtu && (!have || w.mtu != have->mtu)) f.set(ethernet_group(f), "mtu", std::to_string(*w.mtu));
}

// Decoded values that differ ("ipv4.address1"), in the new file's order, then removed keys.
std::vector<FieldChange> key_changes(const File& before, const File& after) {
  std::vector<FieldChange> out;
  std::set<std::string> seen;
  auto value = [](const File& f, const std::string& g, const std::string& k) -> std::optional<std::string> {
    if (!f.has(g, k)) return std::nullopt;
    return f.get(g, k).value_or(f.raw(g, k).value_or(""));
  };
  auto consider = [&](const std::string& g, const std::string& k) {
    if (!seen.insert(g + "." + k).second) return;
    auto b = value(before, g, k), a = value(after, g, k);
    if (b != a) out.push_back({g + "." + k, b, a});
  };
  for (const auto& g : after.groups())
    for (const auto& k : after.keys(g)) consider(g, k);
  for (const auto& g : before.groups())
    for (const auto& k : before.keys(g)) consider(g, k);
  return out;
}

}  // namespace mvt::keyfile
