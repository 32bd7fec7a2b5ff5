#include "xml/domain_xml.hpp"

#include <cstdio>
#include <cstdlib>
#include <set>

#include "xml/xml_handles.hpp"

namespace mvt::xml {
namespace {

// "0x0000" / "0" / "9" -> value; -1 when not a number.
long parse_num(const std::string& s) {
  if (s.empty()) return -1;
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 0);
  return (end && *end == '\0' && v >= 0) ? v : -1;
}

std::string pci_address(const xmlNode* addr) {
  if (!addr || attr(addr, "type") != "pci") return {};
  const long domain = parse_num(attr(addr, "domain").empty() ? "0" : attr(addr, "domain"));
  const long bus = parse_num(attr(addr, "bus"));
  const long slot = parse_num(attr(addr, "slot"));
  const long function = parse_num(attr(addr, "function").empty() ? "0" : attr(addr, "function"));
  if (domain < 0 || bus < 0 || slot < 0 || function < 0) return {};
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04lx:%02lx:%02lx.%lx", domain, bus, slot, function);
  return buf;
}

DomainInterface read_interface(xmlDoc* doc, xmlNode* n, int index, std::string_view what) {
  static const std::set<std::string> kKnown = {"mac",   "source",  "model", "target",
                                               "alias", "address", "mtu"};
  DomainInterface i;
  i.index = index;
  i.type = attr(n, "type");
  if (xmlNode* mac = child(n, "mac")) {
    const std::string text = attr(mac, "address");
    i.mac = MacAddress::parse(text);
    if (!i.mac)
      throw XmlError("malformed " + std::string(what) + ": interface " + std::to_string(index) +
                     " has an invalid MAC address '" + text + "'");
  }
  if (xmlNode* src = child(n, "source")) {
    if (i.type == "direct") {
      i.source_dev = attr(src, "dev");
      i.source_mode = attr(src, "mode");
    }
    i.source_network = attr(src, "network");
    i.source_bridge = attr(src, "bridge");
    // A running guest's <interface type='network'> on a network with <forward
    // mode='bridge'> (or a plain bridge network) shows in the live XML as type='bridge' with
    // the network still named in <source network=...>: it is the same network interface.
    if (i.type == "bridge" && !i.source_network.empty()) i.type = "network";
  }
  i.model = attr(child(n, "model"), "type");
  i.trust_guest_rx_filters = attr(n, "trustGuestRxFilters") == "yes";
  if (xmlNode* mtu = child(n, "mtu")) {
    const std::string text = attr(mtu, "size");
    const long v = parse_num(text);
    if (v < 1 || v > 65535 || text.find_first_not_of("0123456789") != std::string::npos)
      throw XmlError("malformed " + std::string(what) + ": interface " + std::to_string(index) +
                     " has an invalid <mtu size='" + text + "'>");
    i.mtu = static_cast<unsigned>(v);
  }
  i.target_dev = attr(child(n, "target"), "dev");
  i.alias = attr(child(n, "alias"), "name");
  i.pci_address = pci_address(child(n, "address"));
  for (xmlNode* c = n->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    const std::string name = reinterpret_cast<const char*>(c->name);
    if (!kKnown.count(name) || (name == "address" && i.pci_address.empty()))
      i.opaque.push_back(serialize(doc, c));
  }
  i.xml = serialize(doc, n);
  return i;
}

// An element in no namespace named `name` (what an unprefixed XPath step matches).
bool is_elem(const xmlNode* n, const char* name) {
  return n->type == XML_ELEMENT_NODE && n->ns == nullptr &&
         xmlStrEqual(n->name, reinterpret_cast<const xmlChar*>(name));
}

// XPath string() of an element: the concatenated text of its descendants.
std::string text_content(const xmlNode* n) {
  XmlCharPtr s(xmlNodeGetContent(n));
  return s ? std::string(reinterpret_cast<const char*>(s.get())) : std::string();
}

DocPtr parse_or_throw(std::string_view xml, std::string_view what) {
  std::string err;
  DocPtr doc = parse_document(xml, &err);
  if (!doc) throw XmlError("malformed " + std::string(what) + ": " + err);
  return doc;
}

// /domain/devices/channel/target[@type='virtio' and @name='org.qemu.guest_agent.0'],
// for one <devices> element.
bool agent_channel_in(const xmlNode* devices) {
  for (const xmlNode* ch = devices->children; ch; ch = ch->next) {
    if (!is_elem(ch, "channel")) continue;
    for (const xmlNode* t = ch->children; t; t = t->next)
      if (is_elem(t, "target") && attr(t, "type") == "virtio" &&
          attr(t, "name") == "org.qemu.guest_agent.0")
        return true;
  }
  return false;
}

// The same queries as the XPath expressions /domain/name, /domain/uuid,
// /domain/devices/interface and the agent channel, by one walk over the root's children
// (an XPath evaluation per field cost more than parsing the document).
bool agent_channel(xmlDoc* doc) {
  const xmlNode* root = xmlDocGetRootElement(doc);
  if (!root || !is_elem(root, "domain")) return false;
  for (const xmlNode* c = root->children; c; c = c->next)
    if (is_elem(c, "devices") && agent_channel_in(c)) return true;
  return false;
}

}  // namespace

ParsedDomain parse_domain(std::string_view xml, std::string_view what) {
  DocPtr doc = parse_or_throw(xml, what);
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!xmlStrEqual(root->name, reinterpret_cast<const xmlChar*>("domain")))
    throw XmlError("malformed " + std::string(what) + ": root element is <" +
                   reinterpret_cast<const char*>(root->name) + ">, not <domain>");
  ParsedDomain d;
  if (root->ns != nullptr) return d;  // XPath /domain/... matches no namespaced root
  bool have_name = false, have_uuid = false;
  int k = 0;
  for (xmlNode* c = root->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || c->ns != nullptr) continue;
    if (!have_name && is_elem(c, "name")) {
      d.name = text_content(c);
      have_name = true;
    } else if (!have_uuid && is_elem(c, "uuid")) {
      d.uuid = text_content(c);
      have_uuid = true;
    } else if (is_elem(c, "devices")) {
      std::size_t n = d.interfaces.size();
      for (const xmlNode* i = c->children; i; i = i->next) n += is_elem(i, "interface") ? 1 : 0;
      d.interfaces.reserve(n);
      for (xmlNode* i = c->children; i; i = i->next)
        if (is_elem(i, "interface")) d.interfaces.push_back(read_interface(doc.get(), i, k++, what));
      d.has_agent_channel = d.has_agent_channel || agent_channel_in(c);
    }
  }
  return d;
}

std::vector<DomainInterface> parse_interfaces(std::string_view xml, std::string_view what) {
  return parse_domain(xml, what).interfaces;
}

DomainInterface parse_interface_element(std::string_view xml, std::string_view what) {
  DocPtr doc = parse_or_throw(xml, what);
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!xmlStrEqual(root->name, reinterpret_cast<const xmlChar*>("interface")))
    throw XmlError("malformed " + std::string(what) + ": root element is not <interface>");
  return read_interface(doc.get(), root, 0, what);
}

bool has_agent_channel(std::string_view xml) {
  DocPtr doc = parse_or_throw(xml, "domain XML");
  return agent_channel(doc.get());
}

const DomainInterface* find_by_mac(const std::vector<DomainInterface>& ifs, const MacAddress& mac) {
  for (const auto& i : ifs)
    if (i.mac && *i.mac == mac) return &i;
  return nullptr;
}

}  // namespace mvt::xml
