#pragma once
// The desired <interface> element of a guest interface, built with libxml2.
//
// Until lib/xml's domain builders cover it, the diff builds its own elements here:
//  - a new element: <interface type='direct|network'>, <mac address>, <source dev mode> or
//    <source network>, <model type> when the spec names one; for a direct interface the
//    trustGuestRxFilters attribute and <mtu size> when the spec manages them (`false` drops
//    the attribute: libvirt's default);
//  - from an observed element (replace): a copy of it with type, <mac>, <source>,
//    <model> and the managed options set, and libvirt's volatile children (<target>,
//    <alias>) dropped; the PCI <address> and every other child (<vlan>, <virtualport>, ...)
//    kept, so the guest sees the device in the same slot and keeps its name (ens9 is named
//    after the slot).
// Output: the element alone, no XML declaration, no trailing newline.
#include <string>

#include "model/net_types.hpp"
#include "model/topology.hpp"

namespace mvt::diff {

// base_xml: the observed element to edit, or "" for a fresh element. Throws std::invalid_argument
// when base_xml is not a well-formed <interface> element.
std::string build_interface_xml(const GuestInterface& want, const MacAddress& mac,
                                const std::string& base_xml = {});

}  // namespace mvt::diff
