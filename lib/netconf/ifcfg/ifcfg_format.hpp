#pragma once
// The ifcfg format (network-scripts: RHEL/CentOS/Fedora, NetworkManager's ifcfg-rh plugin)
// behind netconf::Format. Files live in etc/sysconfig/network-scripts: ifcfg-<name> (the
// device's settings), route-<dev> (IPv4 routes, both initscripts formats) and route6-<dev>
// (IPv6 routes, ip lines).
//
// Reading (one set of rules for `show` and `diff`):
//  - device: DEVICE=, else the file name's suffix; MAC pin: HWADDR=;
//  - ipv4: BOOTPROTO dhcp/bootp -> dhcp, with IPADDR[n] as extra static addresses (as
//    NetworkManager reads them); else static with IPADDR/IPADDR0 (+ IPADDR1..) and PREFIX or
//    NETMASK, GATEWAY/GATEWAY0; no address and BOOTPROTO none -> not said;
//  - ipv6: IPV6INIT=no -> disabled; yes -> DHCPV6C=yes: dhcp, else IPV6_AUTOCONF (default yes,
//    as NetworkManager) auto or static; IPV6ADDR + IPV6ADDR_SECONDARIES, IPV6_DEFAULTGW
//    (a %dev suffix dropped); IPV6_DEFROUTE; MTU (IPV6_MTU when MTU is absent);
//  - defroute (DEFROUTE), peerdns (PEERDNS), dns (DNS1..n, either family);
//  - routes: route-<dev> and route6-<dev> (when either exists);
//  - every other key: InterfaceConfig::unmanaged (kept by every edit, shown as comments);
//  - the device's kind (issue 15, point 5), as NetworkManager's ifcfg-rh reader decides it:
//    VLAN=yes or TYPE=Vlan a VLAN (parent PHYSDEV, id VLAN_ID, else both from a DEVICE named
//    PARENT.ID, the id from vlanID; no DEVICE: named PARENT.ID), TYPE=Bond or
//    BONDING_MASTER=yes a bond, DEVICETYPE=Team or TYPE=Team a team, TYPE=Ethernet or none a
//    plain NIC, lo and other TYPEs none of these; MASTER / TEAM_MASTER / BRIDGE: a port.
// An expansion in a key the model reads is an error ("ifcfg.unsafe"); in any other key a
// warning ("ifcfg.unsafe-unmanaged"): the rest of the file is imported.
//
// A host NIC left to guests (host_nic_edits): its file is ifcfg-<nic>, else the file whose
// device it is; a plain NIC gets the procedure's keys (ONBOOT=no), a VLAN, bond or team
// ONBOOT=yes BOOTPROTO=none and no HWADDR, its type keys only in a new file.
//
// Editing: only the fields whose values differ are rewritten (ifcfg::File edits lines in
// place; comments, order and unknown keys stay). A new file gets the procedure's full key set
// with a header, HWADDR and a stable UUID v5.
#include <string>

#include "netconf/format.hpp"

namespace mvt::ifcfg {

const netconf::Format& format();

// Where network-scripts keep ifcfg/route files, relative to a root.
inline constexpr const char* kDir = "etc/sysconfig/network-scripts";

// UUID v5 names: "host/nic" for a host NIC, "host/guest/device" for a guest interface.
std::string host_nic_uuid(const std::string& host, const std::string& nic);
std::string guest_interface_uuid(const std::string& host, const std::string& guest,
                                 const std::string& device);

// Whether an ifcfg file's text makes its NIC `unconfigured`: ONBOOT false, BOOTPROTO not
// dhcp and no IPv4 address.
bool says_unconfigured(const std::string& ifcfg_text);

}  // namespace mvt::ifcfg
