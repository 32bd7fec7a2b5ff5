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
  return want.dst == got.dst && want.dev == got.dev &&
         (want.any_gateway || want.gateway == got.gateway);
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
    s += " via (DHCP's gateway)";
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
    if (e.dst == "0.0.0.0/0") e.dst = "default";
    if (e.dst != "default" && e.dst.find('/') == std::string::npos) e.dst += "/32";
    if (auto gw = str_field(r, "gateway"); !gw.empty()) e.gateway = Ipv4::parse(gw);
    e.dev = str_field(r, "dev");
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<RouteEntry> implied_routes(const Guest& g) {
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

RouteComparison compare_routes(const Guest& g, const std::vector<RouteEntry>& live) {
  std::set<std::string> managed;
  for (const auto& i : g.interfaces)
    if (is_static(i) || (i.ip.routes && !i.ip.routes->empty())) managed.insert(i.name);
  RouteComparison c;
  const auto want = implied_routes(g);
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

std::vector<std::pair<std::string, Ipv4>> reachability_targets(const Guest& g) {
  std::vector<std::pair<std::string, Ipv4>> out;
  std::set<Ipv4> seen;
  for (const auto& i : g.interfaces)
    if (is_static(i) && i.ip.ipv4->gateway && seen.insert(*i.ip.ipv4->gateway).second)
      out.emplace_back(i.name, *i.ip.ipv4->gateway);
  return out;
}

}  // namespace mvt::apply
