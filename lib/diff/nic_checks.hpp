#pragma once
// Live host NIC checks (issue 13): the spec's NICs and guest interfaces against the NICs the
// host really has (HostObservation::nics, read by observe/nic_info.hpp). Pure: reads the
// observation only; plan, drift and apply (which plan the same way) all run it.
//
// Errors (bad input: the spec does not describe this host), each at the spec position named:
//  - live-nic.missing: a guest interface's direct.dev (at direct.dev), or a declared NIC no
//    guest uses (at the NIC), is not among the host's NICs;
//  - live-nic.mac-differs: a NIC's `mac:` in the spec is not its live MAC (at mac; both
//    named) - the host's ifcfg would get a wrong HWADDR;
//  - live-nic.guest-mac: a guest interface's MAC (given or derived) is the live MAC of one
//    of the host's NICs (at mac) - the procedure's Verification forbids it.
//  - live-nic.parent-missing: a `kind: vlan` NIC's parent is not among the host's NICs (at
//    parent); a missing VLAN's live-nic.missing says whether its parent exists;
//  - live-nic.kind-differs: the spec's `kind` is not the kernel's (sysfs uevent DEVTYPE:
//    vlan, bond, team; compared when the host reports one, or the spec says ethernet);
//  - live-nic.parent-differs: a live VLAN's parent (sysfs lower_<dev>) is not the spec's.
// Not counted as NICs of the host: the macvtap devices of running guests (each domain's live
// <target dev>; they carry their guest's MAC) and all-zero MACs (lo). A NIC given to a
// running guest in passthrough mode carries that guest's MAC while it runs (libvirt sets
// it): its MAC is not compared (a warning says so).
//
// Warnings: the checks were skipped (the NICs could not be read: why), a NIC a guest uses is
// down, a NIC's live MAC is unknown. MACs compare as values (case and separators do not
// matter) and are printed in canonical spelling. VLAN, bond and team devices are NICs like
// any other: they are checked by name (the down warning names their kind).
//
// Every diagnostic's rule begins with kLiveNicRulePrefix and its message with "host NAME: ",
// and every warning with "host NAME: ": one call concerns one host only.
#include <string>
#include <vector>

#include "model/observed.hpp"
#include "model/topology.hpp"
#include "util/diagnostics.hpp"

namespace mvt::diff {

inline constexpr const char* kLiveNicRulePrefix = "live-nic.";

// Checks one reachable host; adds to `diags` and `warnings`. No-op for a host the spec
// gives no NIC (nothing to check).
void check_live_nics(const Host& spec, const HostObservation& observed, Diagnostics& diags,
                     std::vector<std::string>& warnings);

}  // namespace mvt::diff
