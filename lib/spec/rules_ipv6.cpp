#include "spec/rules_ipv6.hpp"

#include <initializer_list>
#include <string>

namespace mvt::spec {
namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

std::string label(const Guest& g, const GuestInterface& i) {
  return "interface " + q(i.name) + " of guest " + q(g.name);
}

std::string where(const SourcePos& p) {
  if (!p.known()) return "";
  return " at " + p.file.str() + ":" + std::to_string(p.line);
}

// The position of the first of `fields` the interface has one for, else the interface's.
SourcePos at(const GuestInterface& i, std::initializer_list<std::string> fields) {
  for (const auto& f : fields)
    if (auto it = i.pos.find(f); it != i.pos.end()) return it->second;
  return pos_of(i.pos, "");
}

// "multicast" | "unspecified" | "loopback" when `a` is no unicast host address; else "".
std::string not_unicast(const IpAddress& a) {
  if (a.is_multicast()) return "multicast";
  if (a.is_unspecified()) return "unspecified";
  if (a.is_loopback()) return "loopback";
  return "";
}

bool gives_default_route(const GuestInterface& i) {
  const auto& c = i.ip;
  if (c.ipv6_defroute) return *c.ipv6_defroute && !(c.ipv6 && c.ipv6->method == Ipv6Method::Disabled);
  return c.ipv6 && c.ipv6->method != Ipv6Method::Disabled && c.ipv6->gateway.has_value();
}

// Whether `a` is on-link for a static IPv6 setup: link-local or in one of its prefixes.
bool on_link(const Ipv6Config& c, const IpAddress& a) {
  if (a.is_link_local()) return true;
  for (const auto& p : c.addresses)
    if (p.contains(a)) return true;
  return false;
}

std::string prefixes(const Ipv6Config& c) {
  std::string s;
  for (const auto& p : c.addresses) s += (s.empty() ? "" : ", ") + p.network_prefix().str();
  return s;
}

void check_interface(const Guest& g, const GuestInterface& i, Diagnostics& d) {
  const InterfaceConfig& ip = i.ip;
  if (ip.ipv6) {
    const Ipv6Config& c = *ip.ipv6;
    if (c.method == Ipv6Method::Static && c.addresses.empty())
      d.error(at(i, {"ipv6.addresses", "ipv6"}), "iface.ipv6-static-needs-address",
              label(g, i) + " has a static 'ipv6' without addresses (list them in 'addresses', "
              "or use ipv6: auto, dhcp or disabled)");
    for (std::size_t k = 0; k < c.addresses.size(); ++k) {
      const IpPrefix& p = c.addresses[k];
      const SourcePos ap = at(i, {"ipv6.addresses." + std::to_string(k), "ipv6.addresses", "ipv6"});
      if (p.prefix() < 1)
        d.error(ap, "iface.ipv6-prefix-length",
                "IPv6 address " + p.str() + " of " + label(g, i) +
                    " has prefix length 0; it must be 1..128 (like /64)");
      if (auto w = not_unicast(p.address()); !w.empty())
        d.error(ap, "iface.ipv6-unicast",
                "IPv6 address " + p.address().str() + " of " + label(g, i) + " is the " + w +
                    " address, never an interface's");
    }
    if (c.gateway) {
      const SourcePos gp = at(i, {"ipv6.gateway", "ipv6"});
      if (auto w = not_unicast(*c.gateway); !w.empty()) {
        d.error(gp, "iface.ipv6-unicast", "IPv6 gateway " + c.gateway->str() + " of " +
                                              label(g, i) + " is the " + w +
                                              " address, never a router's");
      } else if (c.method == Ipv6Method::Static && !c.addresses.empty()) {
        bool own = false;
        for (const auto& p : c.addresses) own = own || p.address() == *c.gateway;
        if (own)
          d.error(gp, "iface.ipv6-gateway-on-link",
                  "IPv6 gateway " + c.gateway->str() + " of " + label(g, i) +
                      " is the interface's own address");
        else if (!on_link(c, *c.gateway))
          d.error(gp, "iface.ipv6-gateway-on-link",
                  "IPv6 gateway " + c.gateway->str() + " of " + label(g, i) +
                      " is neither inside its prefixes (" + prefixes(c) +
                      ") nor link-local (fe80::/10): the router is not on the link");
      }
    }
  }
  if (ip.ipv6_defroute && (!ip.ipv6 || ip.ipv6->method == Ipv6Method::Disabled))
    d.error(at(i, {"ipv6_defroute"}), "iface.ipv6-defroute-needs-ipv6",
            label(g, i) + " sets 'ipv6_defroute' but " +
                (ip.ipv6 ? "its 'ipv6' is disabled" : "has no 'ipv6'") +
                ": the setting takes effect only with IPv6 on (give 'ipv6')");
  else if (ip.ipv6_defroute == true && ip.ipv6->method == Ipv6Method::Static && !ip.ipv6->gateway)
    d.warning(at(i, {"ipv6_defroute"}), "iface.ipv6-defroute-needs-gateway",
              label(g, i) + " has 'ipv6_defroute: true' but a static 'ipv6' without 'gateway': "
              "no IPv6 default route will be installed");
  if (ip.ipv4) {
    const Ipv4Config& c = *ip.ipv4;
    for (const auto& a : c.addresses)
      if (auto w = not_unicast(IpAddress(a.address())); !w.empty())
        d.error(at(i, {"ipv4.address", "ipv4"}), "iface.ipv4-unicast",
                "IPv4 address " + a.address().str() + " of " + label(g, i) + " is " +
                    (w == "unspecified" ? "0.0.0.0" : "a " + w + " address") +
                    ", never an interface's");
    if (c.gateway)
      if (auto w = not_unicast(IpAddress(*c.gateway)); !w.empty())
        d.error(at(i, {"ipv4.gateway", "ipv4"}), "iface.ipv4-unicast",
                "IPv4 gateway " + c.gateway->str() + " of " + label(g, i) + " is " +
                    (w == "unspecified" ? "0.0.0.0" : "a " + w + " address") +
                    ", never a router's");
  }
  if (!ip.routes) return;
  const bool static6 = ip.ipv6 && ip.ipv6->method == Ipv6Method::Static && !ip.ipv6->addresses.empty();
  for (std::size_t k = 0; k < ip.routes->size(); ++k) {
    const Route& r = (*ip.routes)[k];
    const std::string base = "routes." + std::to_string(k);
    const SourcePos vp = at(i, {base + ".via", base, "routes"});
    if (r.via.family() != r.to.family()) {
      d.error(vp, "route.via-family",
              "route to " + r.to.str() + " of " + label(g, i) + " goes via " + r.via.str() +
                  ", an " + (r.via.is_v4() ? "IPv4" : "IPv6") + " address; an " +
                  (r.to.family() == IpFamily::V4 ? "IPv4" : "IPv6") +
                  " route needs a next hop of its own family");
      continue;
    }
    if (!r.via.is_v6()) {
      if (auto w = not_unicast(r.via); !w.empty())
        d.error(vp, "iface.ipv4-unicast",
                "route via " + r.via.str() + " of " + label(g, i) + " is " +
                    (w == "unspecified" ? "0.0.0.0" : "a " + w + " address") +
                    ", never a router's");
      continue;
    }
    if (auto w = not_unicast(r.via); !w.empty())
      d.error(vp, "iface.ipv6-unicast", "route via " + r.via.str() + " of " + label(g, i) +
                                            " is the " + w + " address, never a router's");
    else if (static6 && !on_link(*ip.ipv6, r.via))
      d.error(vp, "route.via-in-subnet",
              "route via " + r.via.str() + " of " + label(g, i) +
                  " is neither inside the interface's IPv6 prefixes (" + prefixes(*ip.ipv6) +
                  ") nor link-local: the next hop is unreachable");
  }
}

void check_one_defroute(const Guest& g, Diagnostics& d) {
  const GuestInterface* first = nullptr;
  for (const auto& i : g.interfaces) {
    if (!gives_default_route(i)) continue;
    if (!first) {
      first = &i;
      continue;
    }
    d.error(at(i, {"ipv6_defroute", "ipv6.gateway", "ipv6"}), "guest.one-ipv6-defroute",
            "guest " + q(g.name) + " has a second interface with an IPv6 default route, " +
                q(i.name) + " (first: " + q(first->name) +
                where(at(*first, {"ipv6_defroute", "ipv6.gateway", "ipv6"})) +
                "); exactly one interface may carry it (set 'ipv6_defroute: false' on the "
                "others)");
  }
}

}  // namespace

void check_ipv6_rules(const Topology& t, Diagnostics& d) {
  for (const auto& [hn, h] : t.hosts)
    for (const auto& [gn, g] : h.guests) {
      check_one_defroute(g, d);
      for (const auto& i : g.interfaces) check_interface(g, i, d);
    }
}

}  // namespace mvt::spec
