#include "spec/rules_libvirt.hpp"

#include <string>

namespace mvt::spec {
namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

std::string label(const Guest& g, const GuestInterface& i) {
  return "interface " + q(i.name) + " of guest " + q(g.name);
}

constexpr unsigned kMinMtu = 68;     // the kernel's minmtu of a macvtap device (ETH_MIN_MTU)
constexpr unsigned kMaxMtu = 65535;  // its maxmtu; virtio-net's host_mtu is 16 bits

void check_mtu(const Guest& g, const GuestInterface& i, Diagnostics& d) {
  if (!i.mtu) return;
  const SourcePos p = pos_of(i.pos, "direct.mtu");
  if (*i.mtu < kMinMtu || *i.mtu > kMaxMtu) {
    d.error(p, "direct.mtu-range",
            "'direct.mtu' " + std::to_string(*i.mtu) + " of " + label(g, i) + " is outside " +
                std::to_string(kMinMtu) + ".." + std::to_string(kMaxMtu) +
                " (a macvtap device's minimum and maximum MTU)");
    return;
  }
  d.error(p, "direct.mtu-unsupported",
          "'direct.mtu' of " + label(g, i) + ": libvirt's QEMU driver refuses <mtu> on a direct "
          "interface (\"setting MTU on interface type direct is not supported yet\", at define, "
          "update and hot-plug alike); the macvtap device takes the MTU of its host NIC " +
              q(i.source_dev) + ": set the MTU there and in the guest's network configuration");
}

void check_trust(const Guest& g, const GuestInterface& i, UsesIpv6 uses_ipv6, Diagnostics& d) {
  if (i.trust_guest_rx_filters == true) {
    d.warning(pos_of(i.pos, "direct.trust_guest_rx_filters"), "direct.trust-rx-filters-security",
              label(g, i) + " has 'trust_guest_rx_filters: true': the guest can then change the "
              "MAC address and the multicast filters of its macvtap device on NIC " +
                  q(i.source_dev) + " (a guest that is not trusted can take over another "
                  "station's MAC on that segment)");
    return;
  }
  if (i.model != "virtio" || !uses_ipv6(i)) return;
  d.warning(pos_of(i.pos, i.pos.count("direct.trust_guest_rx_filters")
                              ? "direct.trust_guest_rx_filters"
                              : "direct"),
            "iface.ipv6-needs-trust-rx-filters",
            label(g, i) + " has IPv6 on a virtio macvtap device without "
            "'trust_guest_rx_filters: true': the device then drops the multicast the guest "
            "joins, and IPv6 neighbour discovery and SLAAC fail (set it in 'direct:')");
}

}  // namespace

void check_libvirt_options(const Topology& t, Diagnostics& d, UsesIpv6 uses_ipv6) {
  for (const auto& [hn, h] : t.hosts)
    for (const auto& [gn, g] : h.guests)
      for (const auto& i : g.interfaces) {
        if (i.kind != InterfaceKind::Direct) continue;
        check_mtu(g, i, d);
        check_trust(g, i, uses_ipv6, d);
      }
}

}  // namespace mvt::spec
