#pragma once
// Rules on the libvirt options of a direct (macvtap) interface: `direct.trust_guest_rx_filters`
// and `direct.mtu` (issue 14, point 5). Part of check_rules (rules.hpp); pure.
//
// Errors:
//   direct.mtu-range        `direct.mtu` is 68..65535 (the kernel's minmtu/maxmtu of a macvtap
//                           device, and virtio-net's 16-bit host_mtu)
//   direct.mtu-unsupported  libvirt's QEMU driver refuses <mtu> on a direct interface, at
//                           define, update and attach alike (measured on libvirt 9.0: "setting
//                           MTU on interface type direct is not supported yet"; still so in
//                           libvirt's current sources): the spec is refused before anything runs
// Warnings:
//   iface.ipv6-needs-trust-rx-filters
//                           an interface with IPv6 (static or auto) on a direct interface of
//                           model virtio without `trust_guest_rx_filters: true`: the macvtap
//                           device then drops the multicast the guest's IPv6 neighbour
//                           discovery and SLAAC need (the trap of virt-manager issue 676)
//   direct.trust-rx-filters-security
//                           `trust_guest_rx_filters: true`: the guest can then change its MAC
//                           and multicast filters on the host's macvtap device
#include "model/topology.hpp"
#include "util/diagnostics.hpp"

namespace mvt::spec {

// "Does this interface have IPv6, static or auto?" The topology's answer is
// interface_uses_ipv6 (model/topology.hpp); tests pass their own.
using UsesIpv6 = bool (*)(const GuestInterface&);

// Appends the findings of the rules above for every direct interface of `t`.
void check_libvirt_options(const Topology& t, Diagnostics& d,
                           UsesIpv6 uses_ipv6 = interface_uses_ipv6);

}  // namespace mvt::spec
