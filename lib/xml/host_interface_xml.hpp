#pragma once
// Host interface XML codec: what libvirt's interface API (`virsh iface-dumpxml`, the test
// driver's node file) says about one host NIC. libxml2 only.
//
// Error policy as in domain_xml.hpp: malformed XML, a root other than <interface>, a missing
// name or an invalid MAC throws XmlError naming the input ("interface XML of em2: ...").
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/net_types.hpp"
#include "xml/domain_xml.hpp"

namespace mvt::xml {

struct HostInterfaceXml {
  std::string name;                 // name='em2'
  std::string type;                 // ethernet | bridge | bond | vlan | ... (unknown kept)
  std::optional<MacAddress> mac;    // <mac address=...>
  std::string start_mode;           // <start mode=...>: onboot | none | hotplug | ""
  std::string link_state;           // <link state=...>, "" when absent
  bool ipv4_dhcp = false;           // <protocol family='ipv4'><dhcp/>
  std::vector<Cidr> ipv4_addresses; // <protocol family='ipv4'><ip address prefix>
  std::optional<Ipv4> ipv4_gateway; // <protocol family='ipv4'><route gateway>
  std::optional<int> vlan_tag;      // type vlan: <vlan tag=...>
  std::vector<std::string> members; // bridge/bond/vlan: names of the interfaces under it
};

HostInterfaceXml parse_host_interface(std::string_view xml, std::string_view what);

}  // namespace mvt::xml
