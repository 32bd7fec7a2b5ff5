#include "apply/verify_checks.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "util/errors.hpp"

namespace mvt::apply {
namespace {

using json = nlohmann::json;

json parse_array(const std::string& text, const std::string& what) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array())
    throw Error(what + ": not a JSON array (" +
                (text.size() > 80 ? text.substr(0, 80) + "..." : text) + ")");
  return j;
}

std::string str_field(const json& o, const char* key) {
  auto it = o.find(key);
  return (it != o.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

std::string mac_or_none(const std::optional<MacAddress>& m) {
  return m ? m->str() : "(no MAC)";
}

bool is_static(const GuestInterface& i) {
  return i.ip.ipv4 && !i.ip.ipv4->dhcp() && i.ip.ipv4->address();
}

bool is_default_route_interface(const GuestInterface& i) {
  if (!i.ip.ipv4) return false;
  if (i.ip.defroute) return *i.ip.defroute;
  return !i.ip.ipv4->dhcp() && i.ip.ipv4->gateway.has_value();  // initscripts: DEFROUTE defaults to yes
}

bool route_matches(const RouteEntry& want, const RouteEntry& got) {
  return want.family == got.family && want.dst == got.dst && want.dev == got.dev &&
         (want.any_gateway || want.gateway == got.gateway);
}

bool is_static6(const GuestInterface& i) {
  return i.ip.ipv6 && i.ip.ipv6->method == Ipv6Method::Static && !i.ip.ipv6->addresses.empty();
}

bool has_routes(const GuestInterface& i, IpFamily f) {
  if (!i.ip.routes) return false;
  return std::any_of(i.ip.routes->begin(), i.ip.routes->end(),
                     [&](const Route& r) { return r.to.family() == f; });
}

// The IPv6 twin of is_default_route_interface (IPV6_DEFROUTE defaults to yes).
bool is_default_route6_interface(const GuestInterface& i) {
  if (!i.ip.ipv6 || i.ip.ipv6->method == Ipv6Method::Disabled) return false;
  if (i.ip.ipv6_defroute) return *i.ip.ipv6_defroute;
  return i.ip.ipv6->method == Ipv6Method::Static && i.ip.ipv6->gateway.has_value();
}

// Whether the comparison looks at every route of family `f` on this device.
bool manages_routes_of(const GuestInterface& i, IpFamily f) {
  return (f == IpFamily::V4 ? is_static(i) : is_static6(i)) || has_routes(i, f);
}

}  // namespace

std::vector<HostLink> parse_ip_links(const std::string& json_text) {
  const json j = parse_array(json_text, "ip -j -d link show");
  std::vector<HostLink> out;
  for (const auto& l : j) {
    if (!l.is_object()) continue;
    HostLink h;
    h.name = str_field(l, "ifname");
    h.lower = str_field(l, "link");
    h.mac = MacAddress::parse(str_field(l, "address"));
    if (auto li = l.find("linkinfo"); li != l.end() && li->is_object()) {
      h.kind = str_field(*li, "info_kind");
      if (auto d = li->find("info_data"); d != li->end() && d->is_object())
        h.mode = str_field(*d, "mode");
    }
    out.push_back(std::move(h));
  }
  return out;
}

std::string RouteEntry::str() const {
  std::string s = dst;
  if (any_gateway)
    s += family == IpFamily::V6 ? " via (the advertised router)" : " via (DHCP's gateway)";
  else if (gateway)
    s += " via " + gateway->str();
  return s + " dev " + dev;
}

std::vector<RouteEntry> parse_ip_routes(const std::string& json_text) {
  const json j = parse_array(json_text, "ip -j route");
  std::vector<RouteEntry> out;
  for (const auto& r : j) {
    if (!r.is_object()) continue;
    const std::string type = str_field(r, "type");
    if (!type.empty() && type != "unicast") continue;
    RouteEntry e;
    e.dst = str_field(r, "dst");
    const std::string gw = str_field(r, "gateway");
    // The family: from the destination, else ("default") from the gateway, else from the
    // spelling `ip -6` uses for a default without gateway (family "inet6").
    const bool v6 = e.dst.find(':') != std::string::npos || gw.find(':') != std::string::npos ||
                    str_field(r, "family") == "inet6";
    e.family = v6 ? IpFamily::V6 : IpFamily::V4;
    if (e.dst == "0.0.0.0/0" || e.dst == "::/0") e.dst = "default";
    if (e.dst != "default") {
      if (e.dst.find('/') == std::string::npos) e.dst += v6 ? "/128" : "/32";
      if (v6) {
        auto p = IpPrefix::parse(e.dst);
        if (p && p->address().is_link_local()) continue;  // fe80::/64 on every IPv6 link
        if (p && p->address().is_multicast()) continue;
        if (p) e.dst = p->str();
      }
    }
    if (!gw.empty()) {
      // `ip` prints a link-local gateway without its zone; keep the address only.
      if (auto a = IpAddress::parse(gw.substr(0, gw.find('%')))) e.gateway = *a;
    }
    e.dev = str_field(r, "dev");
    out.push_back(std::move(e));
  }
  return out;
}

bool uses_ipv6(const Guest& g) {
  return std::any_of(g.interfaces.begin(), g.interfaces.end(), [](const GuestInterface& i) {
    return i.ip.ipv6 || i.ip.ipv6_defroute || has_routes(i, IpFamily::V6);
  });
}

namespace {

std::vector<RouteEntry> implied_routes6(const Guest& g) {
  std::vector<RouteEntry> out;
  const auto v6 = IpFamily::V6;
  for (const auto& i : g.interfaces) {
    if (is_static6(i))
      for (const auto& a : i.ip.ipv6->addresses) {
        if (a.prefix() >= 128) continue;
        RouteEntry e{a.network_prefix().str(), std::nullopt, false, i.name, v6};
        if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(std::move(e));
      }
    if (is_default_route6_interface(i)) {
      if (i.ip.ipv6->method != Ipv6Method::Static)
        out.push_back({"default", std::nullopt, true, i.name, v6});
      else if (i.ip.ipv6->gateway)
        out.push_back({"default", i.ip.ipv6->gateway, false, i.name, v6});
    }
    if (i.ip.routes)
      for (const auto& r : *i.ip.routes)
        if (r.to.family() == v6 && r.via.is_v6())
          out.push_back({r.to.network_prefix().str(), r.via, false, i.name, v6});
  }
  return out;
}

}  // namespace

std::vector<RouteEntry> implied_routes(const Guest& g, IpFamily f) {
  if (f == IpFamily::V6) return implied_routes6(g);
  std::vector<RouteEntry> out;
  for (const auto& i : g.interfaces) {
    if (is_static(i) && i.ip.ipv4->address()->prefix() < 32)
      out.push_back({i.ip.ipv4->address()->network_cidr().str(), std::nullopt, false, i.name});
    if (is_default_route_interface(i)) {
      if (i.ip.ipv4->dhcp())
        out.push_back({"default", std::nullopt, true, i.name});
      else if (i.ip.ipv4->gateway)
        out.push_back({"default", i.ip.ipv4->gateway, false, i.name});
    }
    if (i.ip.routes)
      for (const auto& r : *i.ip.routes)  // the IPv4 table (ip -4 route) only
        if (auto via = r.via.v4(); via && r.to.v4())
          out.push_back({r.to.str(), *via, false, i.name});
  }
  return out;
}

RouteComparison compare_routes(const Guest& g, const std::vector<RouteEntry>& all_live,
                               IpFamily f) {
  std::set<std::string> managed;
  for (const auto& i : g.interfaces)
    if (manages_routes_of(i, f)) managed.insert(i.name);
  RouteComparison c;
  const auto want = implied_routes(g, f);
  std::vector<RouteEntry> live;
  for (const auto& r : all_live)
    if (r.family == f) live.push_back(r);
  std::vector<bool> used(live.size(), false);
  for (const auto& w : want) {
    bool found = false;
    for (std::size_t k = 0; k < live.size(); ++k) {
      if (!used[k] && route_matches(w, live[k])) {
        used[k] = found = true;
        RouteEntry m = live[k];
        c.matched.push_back(m);
        break;
      }
    }
    if (!found) c.missing.push_back(w);
  }
  for (std::size_t k = 0; k < live.size(); ++k) {
    if (used[k]) continue;
    const auto& r = live[k];
    if (r.dst == "default" || managed.count(r.dev)) {
      // The same route twice (e.g. two metrics) is one fact here: extra only when new.
      const bool dup = std::any_of(c.matched.begin(), c.matched.end(),
                                   [&](const RouteEntry& m) { return m == r; });
      if (!dup) c.extra.push_back(r);
    }
  }
  return c;
}

CheckOutcome check_host_macvtap(const std::vector<HostLink>& links, const std::string& nic,
                                const MacAddress& mac, MacvtapMode mode) {
  CheckOutcome o;
  o.expected = "a macvtap device on " + nic + " with MAC " + mac.str() + ", mode " +
               to_string(mode);
  const HostLink* tap = nullptr;
  const HostLink* elsewhere = nullptr;
  std::vector<std::string> on_nic;
  for (const auto& l : links) {
    if (l.kind != "macvtap") continue;
    if (l.lower == nic) on_nic.push_back(l.name + " " + mac_or_none(l.mac));
    if (l.mac != mac) continue;
    (l.lower == nic ? tap : elsewhere) = &l;
  }
  if (!tap) {
    if (elsewhere)
      o.found = "MAC " + mac.str() + " is on " + elsewhere->name + "@" + elsewhere->lower +
                ", not on " + nic;
    else if (on_nic.empty())
      o.found = "no macvtap device on " + nic;
    else {
      o.found = "no macvtap device on " + nic + " has MAC " + mac.str() + " (on " + nic + ":";
      for (const auto& s : on_nic) o.found += " " + s;
      o.found += ")";
    }
    return o;
  }
  const std::string dev = tap->name + "@" + nic;
  // The kernel says "passthru" where libvirt and the spec say "passthrough".
  const std::string live_mode = tap->mode == "passthru" ? "passthrough" : tap->mode;
  if (live_mode != to_string(mode)) {
    o.found = dev + " is in mode " + (tap->mode.empty() ? "(unknown)" : tap->mode);
    return o;
  }
  auto lower = std::find_if(links.begin(), links.end(),
                            [&](const HostLink& l) { return l.name == nic; });
  const std::string nic_mac = lower == links.end() ? "(not listed)" : mac_or_none(lower->mac);
  if (mode != MacvtapMode::Passthrough && lower != links.end() && lower->mac == mac) {
    o.expected = dev + "'s MAC different from " + nic + "'s own MAC";
    o.found = "both are " + mac.str();
    return o;
  }
  o.ok = true;
  o.detail = dev + " " + mac.str() + " (mode " + live_mode + "; " + nic + " has " + nic_mac + ")";
  return o;
}

CheckOutcome check_guest_mac(const std::vector<GuestNic>& nics, const MacAddress& mac,
                             const std::string& name) {
  CheckOutcome o;
  o.expected = "guest interface " + name + " with MAC " + mac.str();
  auto it = std::find_if(nics.begin(), nics.end(),
                         [&](const GuestNic& n) { return n.mac && *n.mac == mac; });
  if (it == nics.end()) {
    o.found = "no guest interface has MAC " + mac.str() + " (guest:";
    for (const auto& n : nics) o.found += " " + n.name + " " + mac_or_none(n.mac);
    o.found += ")";
    return o;
  }
  if (it->name != name) {
    o.found = "MAC " + mac.str() + " is on guest " + it->name +
              " (interface names moved: pin HWADDR in the ifcfg files)";
    return o;
  }
  o.ok = true;
  o.detail = "guest " + name + " " + mac.str();
  return o;
}

std::vector<std::pair<std::string, IpAddress>> reachability_targets(const Guest& g) {
  std::vector<std::pair<std::string, IpAddress>> out;
  std::set<IpAddress> seen;
  for (const auto& i : g.interfaces) {
    if (is_static(i) && i.ip.ipv4->gateway && seen.insert(*i.ip.ipv4->gateway).second)
      out.emplace_back(i.name, *i.ip.ipv4->gateway);
    // A link-local gateway is the same address on every link: once per interface.
    if (is_static6(i) && i.ip.ipv6->gateway &&
        (i.ip.ipv6->gateway->is_link_local() || seen.insert(*i.ip.ipv6->gateway).second))
      out.emplace_back(i.name, *i.ip.ipv6->gateway);
  }
  return out;
}

std::vector<std::string> ping_command(const std::string& iface, const IpAddress& gw) {
  if (gw.is_v4()) return {"ping", "-c", "1", "-W", "2", gw.str()};
  return {"ping", "-6", "-c", "1", "-W", "2",
          gw.is_link_local() ? gw.str() + "%" + iface : gw.str()};
}

}  // namespace mvt::apply
