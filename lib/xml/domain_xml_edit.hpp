#pragma once
// Domain XML codec, writing side: builds <interface> elements and edits whole domain XMLs
// with libxml2 (never string concatenation). Interfaces are identified by MAC (DESIGN.md,
// Identity). Every function parses its inputs afresh and returns new text; malformed input
// throws XmlError (domain_xml.hpp). Attribute quoting is libxml2's (double quotes); libvirt
// re-formats whatever it is given, so only meaning matters.
#include <optional>
#include <string>
#include <string_view>

#include "model/topology.hpp"
#include "xml/domain_xml.hpp"

namespace mvt::xml {

// <interface type='direct'><mac address=MAC/><source dev=DEV mode=MODE/>[<model type=M/>]
// </interface>
std::string direct_interface_xml(const MacAddress& mac, const std::string& dev, MacvtapMode mode,
                                 const std::optional<std::string>& model);

// <interface type='network'><mac address=MAC/><source network=NET/>[<model type=M/>]
// </interface>
std::string network_interface_xml(const std::string& network, const MacAddress& mac,
                                   const std::optional<std::string>& model);

// The element for a topology interface (direct or network) with the given effective MAC.
std::string interface_xml(const GuestInterface& i, const MacAddress& mac);

// Replaces the interface whose MAC is `mac` with `interface_xml`. With keep_address, the old
// element's <address> (the guest's PCI slot) is carried over when the new one has none, so
// the guest sees the device where it was. nullopt when no interface has that MAC.
std::optional<std::string> replace_interface(std::string_view domain_xml, const MacAddress& mac,
                                             std::string_view interface_xml,
                                             bool keep_address = true);

// Appends `interface_xml` after the domain's last <interface> (or at the end of <devices>).
// Throws XmlError when the domain has no <devices> element.
std::string add_interface(std::string_view domain_xml, std::string_view interface_xml);

// replace_interface, or add_interface when no interface has that MAC, in one parse.
struct PutResult {
  std::string xml;
  bool replaced = false;
};
PutResult put_interface(std::string_view domain_xml, const MacAddress& mac,
                        std::string_view interface_xml, bool keep_address = true);

// Removes the interface whose MAC is `mac`; nullopt when there is none.
std::optional<std::string> remove_interface(std::string_view domain_xml, const MacAddress& mac);

}  // namespace mvt::xml
