#include "spec/rules.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "spec/names.hpp"
#include "spec/rules_ipv6.hpp"
#include "spec/rules_libvirt.hpp"
#include "spec/suggest.hpp"

namespace mvt::spec {
namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

std::string where(const SourcePos& p) {
  if (!p.known()) return "";
  return " at " + p.file.str() + ":" + std::to_string(p.line);
}

// "network" or "broadcast" when `a` is that address of `c`'s subnet (prefixes up to /30;
// /31 and /32 have neither).
std::optional<std::string> network_or_broadcast(const Cidr& c, Ipv4 a) {
  if (c.prefix() > 30) return std::nullopt;
  if (a == c.network()) return "network";
  if (a == c.broadcast()) return "broadcast";
  return std::nullopt;
}

std::string iface_label(const Guest& g, const GuestInterface& i) {
  return "interface " + q(i.name) + " of guest " + q(g.name);
}

void check_defroute(const Guest& g, Diagnostics& d) {
  const GuestInterface* first = nullptr;
  bool any_ipv4 = false;
  for (const auto& i : g.interfaces) {
    any_ipv4 = any_ipv4 || i.ip.ipv4.has_value();
    if (i.ip.defroute != true) continue;
    if (!first) {
      first = &i;
      continue;
    }
    d.error(pos_of(i.pos, "defroute"), "guest.one-defroute",
            "guest " + q(g.name) + " has a second 'defroute: true' interface " + q(i.name) +
                " (first: " + q(first->name) + where(pos_of(first->pos, "defroute")) +
                "); exactly one interface may carry the default route");
  }
  if (!first && any_ipv4)
    d.warning(pos_of(g.pos, ""), "guest.no-defroute",
              "guest " + q(g.name) + " has no 'defroute: true' interface: it gets no default route "
              "from its managed configuration");
}

void check_addresses(const Guest& g, const GuestInterface& i, Diagnostics& d) {
  if (!i.ip.ipv4 || i.ip.ipv4->dhcp() || !i.ip.ipv4->address()) return;
  const Cidr c = *i.ip.ipv4->address();
  if (c.prefix() <= 30 && (c.address() == c.network() || c.address() == c.broadcast())) {
    const bool net = c.address() == c.network();
    d.error(pos_of(i.pos, "ipv4.address"), "iface.address-not-network-or-broadcast",
            "address " + c.address().str() + " of " + iface_label(g, i) + " is the " +
                (net ? "network" : "broadcast") + " address of " + c.network_cidr().str());
  }
  if (const auto& gw = i.ip.ipv4->gateway) {
    if (!c.contains(*gw)) {
      d.error(pos_of(i.pos, "ipv4.gateway"), "iface.gateway-in-subnet",
              "gateway " + gw->str() + " of " + iface_label(g, i) + " is outside its subnet " +
                  c.network_cidr().str());
    } else if (*gw == c.address()) {
      d.error(pos_of(i.pos, "ipv4.gateway"), "iface.gateway-in-subnet",
              "gateway " + gw->str() + " of " + iface_label(g, i) +
                  " is the interface's own address");
    } else if (auto what = network_or_broadcast(c, *gw)) {
      d.error(pos_of(i.pos, "ipv4.gateway"), "iface.gateway-not-network-or-broadcast",
              "gateway " + gw->str() + " of " + iface_label(g, i) + " is the " + *what +
                  " address of " + c.network_cidr().str() + ", never a host's");
    }
  }
}

void check_route_networks(const Guest& g, const GuestInterface& i, Diagnostics& d) {
  if (!i.ip.routes) return;
  const std::optional<Cidr> subnet = i.ip.ipv4 ? i.ip.ipv4->address() : std::nullopt;
  for (std::size_t k = 0; k < i.ip.routes->size(); ++k) {
    const Route& r = (*i.ip.routes)[k];
    const auto via = r.via.v4();
    if (subnet && via && !subnet->contains(*via))
      d.error(pos_of(i.pos, "routes." + std::to_string(k) + ".via"), "route.via-in-subnet",
              "route via " + r.via.str() + " of " + iface_label(g, i) +
                  " is not on the interface's subnet " + subnet->network_cidr().str() +
                  ": the next hop is unreachable");
    else if (auto what = subnet && via ? network_or_broadcast(*subnet, *via) : std::nullopt)
      d.error(pos_of(i.pos, "routes." + std::to_string(k) + ".via"),
              "route.via-not-network-or-broadcast",
              "route via " + r.via.str() + " of " + iface_label(g, i) + " is the " + *what +
                  " address of " + subnet->network_cidr().str() + ", never a host's");
    if (!r.to.is_network())
      d.error(pos_of(i.pos, "routes." + std::to_string(k) + ".to"), "route.to-network",
              "route destination " + r.to.str() + " of " + iface_label(g, i) +
                  " has host bits set (did you mean " + r.to.network_prefix().str() + "?)");
  }
}

void check_defroute_gateway(const Guest& g, const GuestInterface& i, Diagnostics& d) {
  if (i.ip.defroute == true && i.ip.ipv4 && !i.ip.ipv4->dhcp() && !i.ip.ipv4->gateway)
    d.warning(pos_of(i.pos, "defroute"), "iface.defroute-needs-gateway",
              iface_label(g, i) + " has 'defroute: true' but a static address without "
              "'gateway': no default route will be installed");
}

// Same IPv4 address twice within one guest, or on two direct interfaces of one host NIC
// (one L2 segment).
void check_address_unique(const Host& h, Diagnostics& d) {
  struct Owner {
    const Guest* g;
    const GuestInterface* i;
  };
  std::map<std::pair<std::string, std::uint32_t>, Owner> per_nic;
  for (const auto& [gn, g] : h.guests) {
    std::map<std::uint32_t, const GuestInterface*> in_guest;
    for (const auto& i : g.interfaces) {
      if (!i.ip.ipv4 || i.ip.ipv4->dhcp() || !i.ip.ipv4->address()) continue;
      const Ipv4 a = i.ip.ipv4->address()->address();
      const SourcePos p = pos_of(i.pos, "ipv4.address");
      if (auto [it, fresh] = in_guest.emplace(a.value(), &i); !fresh) {
        d.error(p, "iface.address-unique",
                "address " + a.str() + " of " + iface_label(g, i) + " is also on interface " +
                    q(it->second->name) + where(pos_of(it->second->pos, "ipv4.address")));
        continue;
      }
      if (i.kind != InterfaceKind::Direct || i.source_dev.empty()) continue;
      auto [it, fresh] = per_nic.emplace(std::make_pair(i.source_dev, a.value()), Owner{&g, &i});
      if (!fresh && it->second.g != &g)
        d.error(p, "iface.address-unique",
                "address " + a.str() + " of " + iface_label(g, i) + " is also used by " +
                    iface_label(*it->second.g, *it->second.i) + " on the same NIC " +
                    q(i.source_dev) + where(pos_of(it->second.i->pos, "ipv4.address")));
    }
  }
}

void check_names(const Guest& g, Diagnostics& d) {
  std::map<std::string, const GuestInterface*> seen;
  for (const auto& i : g.interfaces) {
    if (i.name.empty() && !i.pos.count("name")) continue;  // missing: reported by the loader
    if (auto why = ifname_problem(i.name)) {
      d.error(pos_of(i.pos, "name"), "iface.name-valid",
              "interface name " + q(i.name) + " of guest " + q(g.name) + " " + *why);
      continue;
    }
    auto [it, fresh] = seen.emplace(i.name, &i);
    if (!fresh)
      d.error(pos_of(i.pos, "name"), "iface.name-unique",
              "guest " + q(g.name) + " has two interfaces named " + q(i.name) + " (first" +
                  where(pos_of(it->second->pos, "name")) + ")");
  }
}

void check_direct(const Host& h, const Guest& g, const GuestInterface& i, Diagnostics& d) {
  if (i.kind != InterfaceKind::Direct || i.source_dev.empty()) return;
  auto nic = h.nics.find(i.source_dev);
  if (nic == h.nics.end()) {
    std::vector<std::string> names;
    for (const auto& [n, _] : h.nics) names.push_back(n);
    d.error(pos_of(i.pos, "direct.dev"), "direct.dev-declared",
            iface_label(g, i) + " uses NIC " + q(i.source_dev) + ", which host " + q(h.name) +
                " does not declare under 'nics'" + did_you_mean(i.source_dev, names));
    return;
  }
  if (nic->second.config == NicConfig::Host && i.mode != MacvtapMode::Passthrough)
    d.warning(pos_of(i.pos, "direct.dev"), "nic.host-shared-no-host-reach",
              iface_label(g, i) + " shares NIC " + q(i.source_dev) + " with host " + q(h.name) +
                  " (config: host): over macvtap the guest cannot reach the host itself");
}

struct DirectUse {
  const Guest* guest;
  const GuestInterface* iface;
};

void check_passthrough(const Host& h, const std::map<std::string, std::vector<DirectUse>>& uses,
                       Diagnostics& d) {
  for (const auto& [dev, list] : uses) {
    const DirectUse* pt = nullptr;
    for (const auto& u : list)
      if (u.iface->mode == MacvtapMode::Passthrough) {
        pt = &u;
        break;
      }
    if (!pt) continue;
    for (const auto& u : list) {
      if (&u == pt) continue;
      d.error(pos_of(u.iface->pos, "direct.dev"), "nic.passthrough-exclusive",
              iface_label(*u.guest, *u.iface) + " uses NIC " + q(dev) + ", which " +
                  iface_label(*pt->guest, *pt->iface) + " takes exclusively in passthrough mode");
    }
    auto nic = h.nics.find(dev);
    if (nic != h.nics.end() && nic->second.config == NicConfig::Host)
      d.error(pos_of(pt->iface->pos, "direct.mode"), "nic.passthrough-exclusive",
              "passthrough gives NIC " + q(dev) + " to " + iface_label(*pt->guest, *pt->iface) +
                  ", but host " + q(h.name) + " also uses it (config: host); use config: "
                  "unconfigured");
  }
}

void check_name_swap(const Guest& g, Diagnostics& d) {
  std::vector<std::string> unpinned;
  for (const auto& i : g.interfaces)
    if (!i.mac) unpinned.push_back(i.name);
  if (unpinned.size() < 2) return;
  std::string list;
  for (const auto& n : unpinned) list += (list.empty() ? "" : ", ") + q(n);
  d.warning(pos_of(g.pos, ""), "guest.name-swap-risk",
            "guest " + q(g.name) + " has " + std::to_string(unpinned.size()) +
                " interfaces without a pinned 'mac:' (" + list +
                "): their names may swap between boots (eth0/eth1); pin each with 'mac:'");
}

bool mac_ok(const MacAddress& m, const SourcePos& p, const std::string& what, Diagnostics& d) {
  if (m.is_zero() || m.is_multicast()) {
    d.error(p, "mac.unicast",
            "MAC " + m.str() + " of " + what + " is " +
                (m.is_zero() ? "all-zero" : "a multicast address (lowest bit of the first octet set)"));
    return false;
  }
  return true;
}

struct MacOwner {
  std::string what;
  SourcePos pos;
};

}  // namespace

void check_rules(const Topology& t, Diagnostics& d) {
  std::map<MacAddress, MacOwner> nic_macs;
  for (const auto& [hn, h] : t.hosts)
    for (const auto& [nn, nic] : h.nics) {
      if (auto why = ifname_problem(nn))
        d.error(pos_of(nic.pos, ""), "nic.name-valid",
                "NIC name " + q(nn) + " of host " + q(hn) + " " + *why);
      if (!nic.mac) continue;
      const std::string what = "NIC " + q(nn) + " of host " + q(hn);
      const SourcePos p = pos_of(nic.pos, "mac");
      if (!mac_ok(*nic.mac, p, what, d)) continue;
      auto [it, fresh] = nic_macs.emplace(*nic.mac, MacOwner{what, p});
      if (!fresh)
        d.error(p, "mac.unique", "MAC " + nic.mac->str() + " of " + what + " is also the MAC of " +
                                     it->second.what + where(it->second.pos));
    }

  std::map<MacAddress, MacOwner> guest_macs;
  for (const auto& [hn, h] : t.hosts) {
    std::map<std::string, std::vector<DirectUse>> uses;
    for (const auto& [gn, g] : h.guests) {
      check_defroute(g, d);
      check_names(g, d);
      check_name_swap(g, d);
      for (const auto& i : g.interfaces) {
        check_addresses(g, i, d);
        check_route_networks(g, i, d);
        check_defroute_gateway(g, i, d);
        check_direct(h, g, i, d);
        if (i.kind == InterfaceKind::Direct && !i.source_dev.empty())
          uses[i.source_dev].push_back({&g, &i});
        const MacAddress m = effective_mac(hn, gn, i);
        const SourcePos p = i.mac ? pos_of(i.pos, "mac") : pos_of(i.pos, "");
        const std::string what = iface_label(g, i) + (i.mac ? "" : " (derived)");
        if (!mac_ok(m, p, what, d)) continue;
        if (auto n = nic_macs.find(m); n != nic_macs.end())
          d.error(p, "mac.not-host-nic",
                  "MAC " + m.str() + " of " + what + " is the MAC of host " + n->second.what +
                      "; a macvtap interface needs its own MAC");
        auto [it, fresh] = guest_macs.emplace(m, MacOwner{what, p});
        if (!fresh)
          d.error(p, "mac.unique", "MAC " + m.str() + " of " + what + " is also used by " +
                                       it->second.what + where(it->second.pos));
      }
    }
    check_passthrough(h, uses, d);
    check_address_unique(h, d);
  }
  check_ipv6_rules(t, d);
  check_libvirt_options(t, d);
}

}  // namespace mvt::spec
