#include "xml/host_interface_xml.hpp"

#include "xml/xml_handles.hpp"

namespace mvt::xml {
namespace {

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

std::vector<xmlNode*> nodes(xmlDoc* doc, const char* expr) {
  std::vector<xmlNode*> out;
  XPathObjectPtr o = xpath(doc, expr);
  if (o->nodesetval)
    for (int k = 0; k < o->nodesetval->nodeNr; ++k) out.push_back(o->nodesetval->nodeTab[k]);
  return out;
}

}  // namespace

HostInterfaceXml parse_host_interface(std::string_view xml, std::string_view what) {
  const std::string where = "malformed " + std::string(what) + ": ";
  std::string err;
  DocPtr doc = parse_document(xml, &err);
  if (!doc) throw XmlError(where + err);
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!xmlStrEqual(root->name, X("interface")))
    throw XmlError(where + "root element is <" + reinterpret_cast<const char*>(root->name) +
                   ">, not <interface>");
  HostInterfaceXml h;
  h.name = attr(root, "name");
  if (h.name.empty()) throw XmlError(where + "<interface> has no name");
  h.type = attr(root, "type");
  if (xmlNode* m = child(root, "mac")) {
    const std::string text = attr(m, "address");
    h.mac = MacAddress::parse(text);
    if (!h.mac) throw XmlError(where + "invalid MAC address '" + text + "'");
  }
  h.start_mode = attr(child(root, "start"), "mode");
  h.link_state = attr(child(root, "link"), "state");
  h.ipv4_dhcp = !nodes(doc.get(), "/interface/protocol[@family='ipv4']/dhcp").empty();
  for (xmlNode* ip : nodes(doc.get(), "/interface/protocol[@family='ipv4']/ip")) {
    auto a = Ipv4::parse(attr(ip, "address"));
    const std::string p = attr(ip, "prefix");
    if (!a) throw XmlError(where + "invalid IPv4 address '" + attr(ip, "address") + "'");
    int prefix = 32;
    if (!p.empty()) {
      try {
        prefix = std::stoi(p);
      } catch (...) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > 32) throw XmlError(where + "invalid prefix '" + p + "'");
    }
    h.ipv4_addresses.emplace_back(*a, prefix);
  }
  for (xmlNode* r : nodes(doc.get(), "/interface/protocol[@family='ipv4']/route[@gateway]"))
    h.ipv4_gateway = Ipv4::parse(attr(r, "gateway"));
  if (xmlNode* v = child(root, "vlan")) {
    try {
      h.vlan_tag = std::stoi(attr(v, "tag"));
    } catch (...) {
      throw XmlError(where + "invalid vlan tag '" + attr(v, "tag") + "'");
    }
  }
  for (xmlNode* m : nodes(doc.get(), "/interface/bridge/interface | /interface/bond/interface | "
                                     "/interface/vlan/interface"))
    h.members.push_back(attr(m, "name"));
  return h;
}

}  // namespace mvt::xml
