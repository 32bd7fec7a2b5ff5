#pragma once
// Domain XML codec, reading side: what a libvirt domain XML (as `virsh dumpxml` prints it,
// inactive or live) says about the guest's network interfaces. libxml2, by walking the tree
// (no XPath: one query per field cost more than parsing the document).
//
// Error policy: a domain XML comes from libvirt, so malformed XML is an environment failure:
// parse_domain() throws XmlError whose message names the domain ("malformed domain XML of
// web1: line 3: ..."). Unknown interface types and unknown child elements are kept
// (DomainInterface::type, ::opaque), never dropped. libxml2 never prints (quiet handler).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/observed.hpp"
#include "util/errors.hpp"

namespace mvt::xml {

// Malformed or unexpected XML (not a <domain>, not an <interface>, unparsable MAC...).
class XmlError : public Error {
 public:
  using Error::Error;
};

struct ParsedDomain {
  std::string name;                        // <name>
  std::string uuid;                        // <uuid>, "" when absent
  std::vector<DomainInterface> interfaces; // every /domain/devices/interface, document order
  bool has_agent_channel = false;          // see has_agent_channel()
};

// Parses a whole domain XML once. `what` names it in errors ("domain XML of web1").
// Per interface: type, MAC (a malformed MAC is an XmlError), source dev/mode/network/bridge,
// model type, target dev, alias, PCI address as "dddd:bb:ss.f", every other child element
// serialized into `opaque` (vlan, virtualport, driver, link, ...), the whole element in
// `xml`, and its index among the domain's interfaces. A direct interface without a mode
// keeps source_mode "" (libvirt's default is vepa; to_topology applies it).
ParsedDomain parse_domain(std::string_view xml, std::string_view what);

// Convenience: parse_domain(xml, what).interfaces.
std::vector<DomainInterface> parse_interfaces(std::string_view xml, std::string_view what);

// Parses one standalone <interface> element (as built by interface_builder.hpp).
DomainInterface parse_interface_element(std::string_view xml, std::string_view what);

// True when the domain has a QEMU guest agent channel:
// <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>.
// Throws XmlError on malformed XML.
bool has_agent_channel(std::string_view xml);

// The interface with that MAC, if any.
const DomainInterface* find_by_mac(const std::vector<DomainInterface>& ifs, const MacAddress& mac);

}  // namespace mvt::xml
