#pragma once
// The live topology as a spec file (`macvtapctl show`): YAML emitted with yaml-cpp, in a
// deterministic order (hosts, NICs and guests by name; interfaces in device order; fields in
// the spec's order), which `macvtapctl validate` accepts. Defaults are omitted (files none,
// guest_files none, activate none, NIC config host is written explicitly for clarity).
// A comment header says, per host, where the NIC facts came from (libvirt interface API or
// the host's files), which guests' files were not read and why, and which running guests'
// live interfaces differ from their persistent config.
#include <string>

#include "model/observed.hpp"
#include "model/topology.hpp"

namespace mvt {

std::string show_yaml(const Topology& live, const Observation& obs);

// Whether a running guest's live interfaces differ from its persistent ones (by MAC, type,
// source and model; volatile fields ignored).
bool live_differs(const DomainState& d);

}  // namespace mvt
