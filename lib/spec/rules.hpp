#pragma once
// Semantic rules of a topology (DESIGN.md "The spec", the procedure's rules). Each rule has a
// stable id, reported with the position of the offending value (Topology objects' `pos`).
// Pure: plain values in, diagnostics out; run by spec::load after structural decoding, and
// callable on any Topology (e.g. one built in a test or by `show`).
//
// Errors:
//   guest.one-defroute      at most one interface per guest with `defroute: true`
//   iface.gateway-in-subnet the static gateway lies inside the address's subnet and is not
//                           the interface's own address
//   iface.gateway-not-network-or-broadcast
//                           the static gateway is not the subnet's network or broadcast
//                           address (prefixes up to /30)
//   iface.address-not-network-or-broadcast
//                           a static address is neither the subnet's network nor broadcast
//                           address (prefixes up to /30; /31 and /32 have neither)
//   route.to-network        a route's `to` is a network (host bits clear)
//   route.via-in-subnet     on a static interface, a route's `via` lies in its subnet
//   route.via-not-network-or-broadcast
//                           ... and is not the subnet's network or broadcast address
//   iface.address-unique    a static address appears once per guest, and once among the
//                           direct interfaces on one host NIC (one L2 segment)
//   mac.unique              guest interface MACs (spec or derived) unique across the
//                           topology; host NIC MACs unique too
//   mac.not-host-nic        a guest MAC differs from every host NIC MAC (the procedure: the
//                           macvtap MAC must differ from the NIC's own)
//   mac.unicast             no multicast or all-zero MAC (guest interfaces and host NICs)
//   nic.passthrough-exclusive
//                           a NIC used in passthrough mode serves that one guest interface
//                           only, and is not also used by the host (`config: host`)
//   direct.dev-declared     `direct.dev` names a NIC declared under the same host
//   iface.name-valid        a guest device name is a valid Linux interface name, not "lo",
//                           not ending in a suffix network-scripts skip (names.hpp)
//   iface.name-unique       device names are unique within a guest
//   nic.name-valid          a host NIC name is a valid Linux interface name
// Warnings:
//   guest.no-defroute       a guest with managed IPv4 but no `defroute: true` interface
//   nic.host-shared-no-host-reach
//                           a direct interface on a `config: host` NIC: macvtap guests cannot
//                           reach the host itself through it
//   iface.defroute-needs-gateway
//                           `defroute: true` on a static address without a gateway
//   guest.name-swap-risk    two or more interfaces of a guest without a pinned `mac:` - the
//                           eth0/eth1 name instability the procedure describes
// The IPv6 rules (iface.ipv6-*, guest.one-ipv6-defroute, route.via-family, and
// route.via-in-subnet for IPv6 next hops): spec/rules_ipv6.hpp.
// And the rules on a direct interface's libvirt options (direct.mtu-range,
// direct.mtu-unsupported, iface.ipv6-needs-trust-rx-filters, direct.trust-rx-filters-security):
// spec/rules_libvirt.hpp.
#include "model/topology.hpp"
#include "util/diagnostics.hpp"

namespace mvt::spec {

// Appends every rule's findings for `t` to `diags` (no sorting, no source lines).
void check_rules(const Topology& t, Diagnostics& diags);

}  // namespace mvt::spec
