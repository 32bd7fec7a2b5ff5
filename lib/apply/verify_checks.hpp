#pragma once
// The pure half of apply's post-apply verification (the procedure's Verification section):
// parse what the kernel reports (`ip -j -d link show` on the host, `ip -j -4 route show
// table main` and `ip -j -6 route show table main` in the guest), derive what the spec
// implies, and compare. No I/O here; the
// orchestration (reading the host, asking the guest agent) is verify.hpp.
//
// MAC equality (per direct interface of a running guest):
//  - host: exactly the macvtap device whose lower link is the spec's `direct.dev` and whose
//    MAC is the spec's MAC (other guests' macvtap devices share the NIC, so never "the
//    macvtap of em2"); its macvtap mode equals the spec's; its MAC differs from the NIC's
//    own MAC (except in passthrough mode, where libvirt moves the guest MAC onto the NIC);
//  - guest: the interface carrying that MAC (guest-network-get-interfaces) has the spec's
//    name (a different name is the procedure's eth0/eth1 instability).
//
// Routing table (IPv4, table main), what the spec implies:
//  - a connected route `NET/PREFIX dev IF` per static address (none for a /32);
//  - `default via GATEWAY dev IF` for the default-route interface: `defroute: true`, or
//    `defroute` unset with a static gateway (initscripts' DEFROUTE defaults to yes); for a
//    DHCP default-route interface `default dev IF` with whatever gateway DHCP gave;
//  - each static route `TO via VIA dev IF`.
// Compared: destination, gateway, device. Ignored (kernel-only or not in the spec): protocol
// (kernel/boot/static/dhcp), scope, prefsrc, metric, flags (onlink, linkdown), and
// non-unicast entries (`type` blackhole/unreachable/prohibit/local/broadcast). Looked at:
// every default route (any device: a second default is an error, as the procedure's
// `DEFROUTE=no` on eth0 demands) and every route on a device whose routes the spec manages
// (an interface with a static address or with `routes:`); routes on DHCP interfaces (their
// connected route's prefix is the DHCP server's) and on devices the spec does not name are
// left alone.
//
// Routing table (IPv6, table main), the same rules for the spec's IPv6 keys, compared only
// for a guest whose spec says something about IPv6 (uses_ipv6; a guest the spec keeps to
// IPv4 may carry whatever its network's router advertisements give it):
//  - a connected route `NET/PREFIX dev IF` per static IPv6 address (`ipv6.addresses`, the
//    secondaries too; one per prefix; none for a /128);
//  - `default via GATEWAY dev IF` for the IPv6 default-route interface: `ipv6_defroute: true`,
//    or `ipv6_defroute` unset with a static IPv6 gateway (IPV6_DEFROUTE defaults to yes); for
//    an `auto`/`dhcp` interface with `ipv6_defroute: true`, `default dev IF` with whatever
//    gateway the router advertised;
//  - each IPv6 route `TO via VIA dev IF`.
// Ignored besides the IPv4 list: link-local destinations (the kernel's `fe80::/64` on every
// IPv6 link), multicast and other non-unicast entries, `expires`, `pref`. Looked at: every
// IPv6 default route, every IPv6 route on a device with a static IPv6 address or IPv6
// routes in the spec.
#include <optional>
#include <string>
#include <vector>

#include "files/agent_source.hpp"
#include "model/net_types.hpp"
#include "model/topology.hpp"

namespace mvt::apply {

// One link of `ip -j -d link show`.
struct HostLink {
  std::string name;                // "macvtap3"
  std::string kind;                // linkinfo.info_kind: "macvtap", "veth", "" (none)
  std::string lower;               // "link": the lower device ("em2"), "" when none
  std::string mode;                // linkinfo.info_data.mode ("private"), "" when none
  std::optional<MacAddress> mac;   // "address"
};

// Parses `ip -j -d link show` output. Throws Error when it is not the expected JSON array.
std::vector<HostLink> parse_ip_links(const std::string& json_text);

// One route, as compared.
struct RouteEntry {
  std::string dst;                 // "default" or "a.b.c.d/p" (a host route gets "/32")
  std::optional<IpAddress> gateway;  // none: directly connected
  bool any_gateway = false;        // expected side only: a DHCP/RA default (gateway not known)
  std::string dev;
  IpFamily family = IpFamily::V4;  // IPv6: dst "default" is ::/0, "/128" for a host route
  std::string str() const;         // "default via 192.0.2.1 dev ens9", "192.0.2.0/24 dev ens9"
  bool operator==(const RouteEntry&) const = default;
};

// Parses `ip -j -4 route` or `ip -j -6 route` output (the family from each destination);
// non-unicast and link-local entries are dropped (see above). Throws Error when it is not the
// expected JSON array.
std::vector<RouteEntry> parse_ip_routes(const std::string& json_text);

// Whether the guest's spec says something about IPv6 (an `ipv6` key, `ipv6_defroute` or an
// IPv6 route on some interface): then its IPv6 routing table is compared.
bool uses_ipv6(const Guest& g);

// The routes of family `f` the guest's spec implies, in interface order.
std::vector<RouteEntry> implied_routes(const Guest& g, IpFamily f = IpFamily::V4);

struct RouteComparison {
  std::vector<RouteEntry> matched;  // expected and found
  std::vector<RouteEntry> missing;  // expected, not found
  std::vector<RouteEntry> extra;    // found (among the routes looked at), not expected
  bool ok() const { return missing.empty() && extra.empty(); }
};

// Compares the live routes of family `f` with implied_routes(g, f), looking only at the
// routes described in the header comment (live routes of the other family are ignored).
RouteComparison compare_routes(const Guest& g, const std::vector<RouteEntry>& live,
                               IpFamily f = IpFamily::V4);

// The outcome of one check, for people: `detail` says what was found; on failure `expected`
// and `found` say what differs.
struct CheckOutcome {
  bool ok = false;
  std::string detail;
  std::string expected;
  std::string found;
};

// Host side of MAC equality: the macvtap device of (nic, mac) among `links`; ok names it
// ("macvtap3@em2"). See the header comment for the rules.
CheckOutcome check_host_macvtap(const std::vector<HostLink>& links, const std::string& nic,
                                const MacAddress& mac, MacvtapMode mode);

// Guest side: the guest interface carrying `mac` is named `name`.
CheckOutcome check_guest_mac(const std::vector<GuestNic>& nics, const MacAddress& mac,
                             const std::string& name);

// The gateways to ping from the guest: each interface's static gateway, IPv4 then IPv6
// (`ipv6.gateway` of a static IPv6 interface), in interface order (interface name,
// gateway), each gateway once.
std::vector<std::pair<std::string, IpAddress>> reachability_targets(const Guest& g);

// The command that pings `gw` once from inside the guest, as on a RHEL guest (iputils):
// `ping -c 1 -W 2 GW`, `ping -6 -c 1 -W 2 GW` for IPv6 (a link-local gateway with its zone:
// `fe80::1%ens9`).
std::vector<std::string> ping_command(const std::string& iface, const IpAddress& gw);

}  // namespace mvt::apply
