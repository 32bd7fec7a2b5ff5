#pragma once
// The semantic diff: desired topology vs observed live state -> ChangeSet (pure).
//
// Rules (DESIGN.md, Identity and comparison; the procedure):
//  - a spec interface is matched to a live <interface> by MAC (effective_mac derives one when
//    the spec has none); a `network` interface without a MAC in the spec is matched by
//    position among the domain's network interfaces (same network first);
//  - interfaces are compared by type, source (dev+mode, or network), model (when the spec
//    names one) and a direct interface's trustGuestRxFilters and mtu (when the spec sets
//    them; an absent trustGuestRxFilters is libvirt's `no`); libvirt's volatile fields
//    (target dev, alias, PCI address) never differ;
//  - a guest's `direct` interfaces are exactly the listed ones: an unlisted direct interface
//    is removed (with the config files macvtapctl created for it); other unlisted
//    interfaces are left alone;
//  - persistent (inactive XML) and live definitions are compared separately; live only when
//    the guest runs;
//  - files: the network-config format reads them into InterfaceConfig values, compared with
//    the spec's, and computes the edits (netconf/format.hpp; ifcfg: netconf/ifcfg/). A
//    source that is `none` is not compared (a warning says
//    so); a source that could not be read is an error; a source that could not list its
//    directory (the agent source: GuestObservation::listed false) gets kUnlistedNote as a
//    warning, since files of devices nothing names (e.g. of a removed interface the guest no
//    longer shows) are not seen;
//  - an undefined guest, or a host that could not be observed, is an error naming it.
#include <map>
#include <string>

#include "diff/change_set.hpp"
#include "model/observed.hpp"
#include "model/topology.hpp"

namespace mvt::diff {

// The warning for a guest whose file source could not list its directory.
inline constexpr const char* kUnlistedNote =
    "files of devices not named by the spec, the domain XML or the guest's live interfaces "
    "were not looked for, nor NetworkManager profiles not named after their device (the agent "
    "source does not list directories: that would take guest-exec)";

struct DiffOptions {
  // Per-host hot-plug support (Hypervisor::supports_hotplug); a host not listed falls back
  // to uri_supports_hotplug(uri).
  std::map<std::string, bool> hotplug;
  // Threads comparing a host's guests (each guest is independent; the result is the same
  // for any value). 0: the machine's hardware threads, at most 8.
  int parallel = 0;
};

// False for libvirt's test driver (test:///...), which cannot attach or detach devices.
bool uri_supports_hotplug(const std::string& uri);

// Compares every host of `desired` with its entry in `observed` (a host missing there is an
// error). Never throws for bad state: problems become diagnostics.
ChangeSet compute(const Topology& desired, const Observation& observed,
                  const DiffOptions& options = {});

// Field-level differences between an observed element and the wanted interface
// ("type", "source.dev", "source.mode", "source.network", "model", and for a direct
// interface "trustGuestRxFilters" (yes | no) and "mtu" when the spec manages them); empty
// when they mean the same.
std::vector<FieldChange> compare_interface(const DomainInterface& have,
                                                 const GuestInterface& want);

}  // namespace mvt::diff
