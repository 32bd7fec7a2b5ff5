#pragma once
// Describing and generating the ifcfg files macvtapctl manages (pure: values in, values out).
//
// A ManagedKeys value says which keys of one ifcfg file the tool owns and what they must be:
//  - `values`: keys that must hold a value, in the order a brand-new file lists them;
//  - `absent`: keys that must not be assigned at all;
//  - `absent_numbered`: families ("DNS") whose numbered members (DNS1, DNS2, ...) not listed
//    in `values` must not be assigned (stale DNS3 after shrinking the list to two servers);
//  - `create_only`: keys of `values` written only when the file lacks them, never rewritten
//    (NAME, TYPE and fixed policy keys of guest interfaces: an existing connection keeps its
//    name and its own policies).
// Every other key of the file is left exactly as it is (comments, order, unknown keys).
//
// apply() compares meaning, not text (DESIGN.md, Identity and comparison): ONBOOT=true
// already equals yes, BOOTPROTO=none equals static/no, HWADDR and UUID compare case-blind,
// PREFIX=24 equals NETMASK=255.255.255.0. A key whose meaning already matches is not
// rewritten, so applying the same facts twice changes nothing the second time.
//
// The key sets follow the manual macvtap procedure: the unconfigured
// host NIC (ifcfg-em2) and the guest interfaces (ifcfg-ens9 / ifcfg-ens8 / eth0).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "netconf/ifcfg/ifcfg_file.hpp"
#include "model/net_types.hpp"
#include "model/interface_config.hpp"
#include "model/topology.hpp"

namespace mvt::ifcfg {

// Ordered KEY -> decoded value pairs (values unquoted; the writer quotes them).
using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct ManagedKeys {
  KeyValues values;
  std::vector<std::string> absent;
  std::vector<std::string> absent_numbered;
  std::vector<std::string> create_only;
};

// The first line of every file the tool creates.
inline constexpr const char* kManagedHeader =
    "# Managed by macvtapctl: edits to managed keys will be overwritten";

// Desired facts of one guest interface's ifcfg file. nullopt = not managed (left alone).
struct InterfaceFacts {
  std::string device;                    // DEVICE= (and NAME= in a new file)
  std::optional<MacAddress> hwaddr;      // HWADDR= (pins the name to the MAC)
  std::optional<std::string> uuid;       // UUID=
  std::optional<bool> onboot = true;     // ONBOOT=
  std::optional<Ipv4Config> ipv4;        // BOOTPROTO, IPADDR, PREFIX, GATEWAY (+ NETMASK)
  std::optional<bool> defroute;          // DEFROUTE=
  std::optional<bool> peerdns;           // PEERDNS=
  std::optional<std::vector<IpAddress>> dns;  // DNS1..n; stale DNSk (k > n) removed
  // IPV6INIT, IPV6_AUTOCONF, DHCPV6C, IPV6ADDR, IPV6ADDR_SECONDARIES, IPV6_DEFAULTGW; when
  // nullopt a new file says IPV6INIT=no (the procedure's).
  std::optional<Ipv6Config> ipv6;
  std::optional<bool> ipv6_defroute;  // IPV6_DEFROUTE=
  std::optional<int> mtu;             // MTU=
};

// Desired facts of a host NIC left unconfigured for macvtap (`config: unconfigured`).
struct UnconfiguredNicFacts {
  std::string device;
  std::optional<MacAddress> hwaddr;
  std::optional<std::string> uuid;
  // Issue 15, point 5: the NIC's kind. A VLAN, bond or team is "up, no address"; its type
  // keys (VLAN=yes TYPE=Vlan PHYSDEV VLAN_ID, TYPE=Bond BONDING_MASTER=yes, DEVICETYPE=Team)
  // are written into a new file only (`new_file`), never into an existing one.
  NicKind kind = NicKind::Ethernet;
  std::string parent;          // Vlan: PHYSDEV
  std::optional<int> vlan_id;  // Vlan: VLAN_ID
  bool new_file = false;
};

// The guest interface's managed keys. In a new file the order is the procedure's:
// NAME DEVICE [HWADDR] TYPE ONBOOT BOOTPROTO IPADDR PREFIX GATEWAY DEFROUTE PEERROUTES PEERDNS
// DNSn IPV4_FAILURE_FATAL [MTU] IPV6INIT IPV6_AUTOCONF [DHCPV6C IPV6ADDR IPV6ADDR_SECONDARIES
// IPV6_DEFAULTGW] IPV6_DEFROUTE IPV6_PEERDNS IPV6_PEERROUTES IPV6_FAILURE_FATAL UUID. Static: BOOTPROTO=none, PREFIX (never NETMASK), PEERROUTES=no,
// IPV4_FAILURE_FATAL=yes; DHCP: BOOTPROTO=dhcp and IPADDR/PREFIX/NETMASK/GATEWAY absent.
// NAME, TYPE and the constant IPv4/IPv6 policy keys are `create_only` (the IPv6 ones only
// while the facts say nothing about IPv6).
ManagedKeys interface_keys(const InterfaceFacts& f);

// The unconfigured host NIC (procedure: ifcfg-em2): ONBOOT=no, BOOTPROTO=no, DEFROUTE=no,
// PEERDNS=no, PEERROUTES=no, IPV4_FAILURE_FATAL=no, IPv6 off; no address, gateway or DNS.
// Only NAME and TYPE are create_only: every other key is enforced on an existing file.
// A VLAN, bond or team instead gets ONBOOT=yes and BOOTPROTO=none (up, no address: a VLAN
// or bond not brought up does not exist), no HWADDR (its MAC is its parent's or a port's),
// and its type keys in a new file only (create_only); every key an existing file uses for
// its kind, parent, bonding, team or ports is left as it is.
ManagedKeys unconfigured_nic(const UnconfiguredNicFacts& f);

// The procedure's ordered key lists, as new files show them.
KeyValues unconfigured_nic_keys(std::string_view device,
                                const std::optional<MacAddress>& hwaddr = std::nullopt,
                                const std::optional<std::string>& uuid = std::nullopt);
// ifcfg-ens9 / ifcfg-ens8 shape: requires f.ipv4 to be static (throws std::invalid_argument).
KeyValues static_interface_keys(const InterfaceFacts& f);

// Brings `file` to `keys`: sets each managed value whose meaning differs (in place, keeping
// comments; new keys appended), unsets `absent` and stale numbered keys; `create_only` keys
// are only added when missing. Static addressing edits the
// 0-suffixed family (IPADDR0/PREFIX0/NETMASK0/GATEWAY0) when the file already uses it
// instead of IPADDR; PREFIX is written and a NETMASK that disagrees with it is removed (one
// that agrees is kept). Returns true when the file changed.
bool apply(File& file, const ManagedKeys& keys);

// A brand-new file: kManagedHeader, then KEY=value lines (values quoted by quote()).
std::string render_new_file(const ManagedKeys& keys);
std::string render_new_file(const KeyValues& values);

// Convenience: the facts of a spec/observed guest interface (device = i.name, hwaddr = mac,
// and i's ipv4/defroute/peerdns/dns), with the given UUID.
InterfaceFacts facts_of(const GuestInterface& i, const MacAddress& mac,
                        std::optional<std::string> uuid = std::nullopt, bool pin_hwaddr = true);

}  // namespace mvt::ifcfg
