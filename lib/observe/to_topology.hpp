#pragma once
// to_topology(): live state (Observation) as the shared Topology types, for diff and `show`.
//
// Per host: uri, host file source, NICs, and every domain as a guest.
//  - Guest interfaces come from the persistent (inactive) domain XML, in device order; only
//    `direct` and `network` interfaces (other types are not the tool's to manage). A direct
//    interface without a mode gets libvirt's default, vepa. MAC and model as libvirt says;
//    pos of each field: {file: "domain XML of <guest>"}.
//  - Guest device names: the DEVICE of the guest ifcfg file whose HWADDR equals the MAC;
//    else "eth<index>" when that ifcfg exists and pins no other MAC (HWADDR absent or equal); else "ens<slot>" (the
//    predictable name of the PCI slot) when that ifcfg exists; else eth<index> (a guess: the
//    guest's real name is unknown without its files). A name already taken gets "net<index>".
//  - Where the guest's files were read and a matching ifcfg exists: ipv4 (dhcp, or static
//    address/prefix with GATEWAY), defroute, peerdns, dns (DNS1..n, omitted when none) and
//    routes (from route-<dev>, when that file exists); pos -> file origin and line.
//  - NICs: every NIC a direct interface uses, every NIC with an ifcfg in the host files
//    (except lo and non-Ethernet TYPEs), with the observed MAC. config: unconfigured when
//    its ifcfg has ONBOOT false, BOOTPROTO not dhcp and no address, or when no ifcfg can be
//    seen and a guest uses it in passthrough mode; host otherwise.
// Problems: an ifcfg or route file with an unsafe value ($(...), `...`, $VAR) is an error
// at file:line ("ifcfg.unsafe" / "route.unsafe"); other parse problems are warnings.
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

// Whether an ifcfg file's text makes its NIC `unconfigured` (see above).
bool ifcfg_says_unconfigured(const std::string& ifcfg_text);

}  // namespace mvt
