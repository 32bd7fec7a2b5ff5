#pragma once
// Rules on a guest interface's IPv6 setup and on routes of either family (issue 14, point 4).
// Part of check_rules (rules.hpp); pure.
//
// Errors:
//   iface.ipv6-static-needs-address
//                           `ipv6` with method static (a mapping without `method`) lists at
//                           least one address
//   iface.ipv6-prefix-length
//                           an IPv6 address's prefix length is 1..128 (/0 is no subnet)
//   iface.ipv6-unicast      an IPv6 address or gateway, or a route's IPv6 `via`, is not
//                           multicast (ff00::/8), unspecified (::) or loopback (::1)
//   iface.ipv4-unicast      the same for IPv4: an address, gateway or route `via` is not
//                           multicast (224.0.0.0/4), 0.0.0.0 or loopback (127.0.0.0/8)
//   iface.ipv6-gateway-on-link
//                           a static IPv6 gateway lies inside one of the interface's IPv6
//                           prefixes or is link-local (fe80::/10), and is not one of the
//                           interface's own addresses (auto and dhcp: the router
//                           advertisement gives the prefix, not checked)
//   iface.ipv6-defroute-needs-ipv6
//                           `ipv6_defroute` only with an `ipv6` that is not disabled (a file
//                           with IPv6 off holds no IPv6 default route setting)
//   guest.one-ipv6-defroute at most one interface per guest gives the IPv6 default route:
//                           one with `ipv6_defroute: true`, or with an IPv6 gateway and
//                           `ipv6_defroute` not false (a gateway means a default route, as
//                           network-scripts and NetworkManager read IPV6_DEFAULTGW)
//   route.via-family        a route's `via` is of the family of its `to`
//   route.via-in-subnet     (IPv6 too) on an interface with a static IPv6 address, a route's
//                           IPv6 `via` lies in one of its prefixes or is link-local
// Warnings:
//   iface.ipv6-defroute-needs-gateway
//                           `ipv6_defroute: true` with a static `ipv6` without `gateway`
//                           (auto and dhcp take the default route from the router)
#include "model/topology.hpp"
#include "util/diagnostics.hpp"

namespace mvt::spec {

// Appends the findings of the rules above for every guest interface of `t`.
void check_ipv6_rules(const Topology& t, Diagnostics& d);

}  // namespace mvt::spec
