#pragma once
// to_topology(): live state (Observation) as the shared Topology types, for diff and `show`.
//
// Per host: uri, host file source, NICs, and every domain as a guest.
//  - Guest interfaces come from the persistent (inactive) domain XML, in device order; only
//    `direct` and `network` interfaces (other types are not the tool's to manage). A direct
//    interface without a mode gets libvirt's default, vepa. MAC and model as libvirt says;
//    pos of each field: {file: "domain XML of <guest>"}.
//  - The guest's and host's config files are read by the network-config format's reader
//    (netconf/format.hpp: the same reader the diff uses, one set of rules).
//  - Guest device names: the device whose config pins the MAC; else "eth<index>" when that
//    device's config exists and pins no other MAC; else "ens<slot>" (the predictable name of
//    the PCI slot) likewise; else eth<index> (a guess: the guest's real name is unknown
//    without its files). A name already taken gets "net<index>".
//  - Where the guest's files were read and a matching config exists: its InterfaceConfig
//    (ipv4, ipv6, defroute, peerdns, dns, routes, mtu, unmanaged keys); pos -> file and line.
//  - NICs: every NIC a direct interface uses, every Ethernet NIC with a config in the host
//    files, with the observed MAC. config: unconfigured when the format says so (ifcfg:
//    ONBOOT false, BOOTPROTO not dhcp, no address), or when no config can be seen and a guest
//    uses it in passthrough mode; host otherwise.
// Problems: the format's (an unsafe value in a key the model reads is an error at file:line,
// "ifcfg.unsafe" / "route.unsafe"; in another key and other parse problems warnings).
// Unreachable hosts are skipped with an error ("host.unreachable") - or, given `failed`,
// recorded there (host -> libvirt's message) without a diagnostic; with `failed`, a host
// whose files have errors is also left out and recorded (its diagnostics are still added),
// so that one host's trouble never hides the others (issue 13).
#include <map>
#include <string>

#include "model/observed.hpp"
#include "model/topology.hpp"
#include "util/diagnostics.hpp"

namespace mvt {

Topology to_topology(const Observation& obs, Diagnostics& diags,
                     std::map<std::string, std::string>* failed = nullptr);

}  // namespace mvt
