// Fuzz target: the domain XML interface parser. Malformed XML must raise XmlError (a
// mvt::Error), nothing else; whatever parses must survive the agent-channel probe.
#include <cstdint>
#include <string>

#include "xml/domain_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto d = mvt::xml::parse_domain(text, "fuzz input");
    (void)mvt::xml::has_agent_channel(text);
    for (const auto& i : d.interfaces) (void)mvt::xml::parse_interface_element(i.xml, "fuzz interface");
  } catch (const mvt::Error&) {
  }
  return 0;
}
