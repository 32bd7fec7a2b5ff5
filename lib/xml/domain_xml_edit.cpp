#include "xml/domain_xml_edit.hpp"

#include "xml/xml_handles.hpp"

namespace mvt::xml {
namespace {

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

xmlNode* add_child(xmlNode* parent, const char* name) {
  return xmlNewChild(parent, nullptr, X(name), nullptr);
}
void set_attr(xmlNode* n, const char* name, const std::string& v) {
  xmlSetProp(n, X(name), X(v.c_str()));
}

// Builds <interface type=TYPE> with mac, source (attributes given) and optional model.
std::string build(const char* type, const MacAddress& mac,
                  const std::vector<std::pair<const char*, std::string>>& source,
                  const std::optional<std::string>& model) {
  install_quiet_error_handler();
  DocPtr doc(xmlNewDoc(X("1.0")));
  xmlNode* root = xmlNewDocNode(doc.get(), nullptr, X("interface"), nullptr);
  xmlDocSetRootElement(doc.get(), root);
  set_attr(root, "type", type);
  set_attr(add_child(root, "mac"), "address", mac.str());
  xmlNode* src = add_child(root, "source");
  for (const auto& [k, v] : source) set_attr(src, k, v);
  if (model && !model->empty()) set_attr(add_child(root, "model"), "type", *model);
  BufferPtr buf(xmlBufferCreate());
  xmlNodeDump(buf.get(), doc.get(), root, 0, 1);
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                     static_cast<std::size_t>(xmlBufferLength(buf.get())));
}

DocPtr parse_or_throw(std::string_view xml, const char* what) {
  std::string err;
  DocPtr doc = parse_document(xml, &err);
  if (!doc) throw XmlError(std::string("malformed ") + what + ": " + err);
  return doc;
}

DocPtr parse_domain_doc(std::string_view xml) {
  DocPtr doc = parse_or_throw(xml, "domain XML");
  if (!xmlStrEqual(xmlDocGetRootElement(doc.get())->name, X("domain")))
    throw XmlError("malformed domain XML: root element is not <domain>");
  return doc;
}

// A copy of the standalone <interface> element, owned by `into`.
xmlNode* import_interface(xmlDoc* into, std::string_view interface_xml) {
  DocPtr src = parse_or_throw(interface_xml, "interface XML");
  xmlNode* root = xmlDocGetRootElement(src.get());
  if (!xmlStrEqual(root->name, X("interface")))
    throw XmlError("malformed interface XML: root element is not <interface>");
  xmlNode* copy = xmlDocCopyNode(root, into, 1);
  if (!copy) throw std::bad_alloc();
  return copy;
}

xmlNode* find_interface(xmlDoc* doc, const MacAddress& mac) {
  XPathObjectPtr o = xpath(doc, "/domain/devices/interface[mac]");
  if (!o->nodesetval) return nullptr;
  for (int k = 0; k < o->nodesetval->nodeNr; ++k) {
    xmlNode* n = o->nodesetval->nodeTab[k];
    auto m = MacAddress::parse(attr(child(n, "mac"), "address"));
    if (m && *m == mac) return n;
  }
  return nullptr;
}

// The whitespace text node just before n, if any.
xmlNode* indent_before(xmlNode* n) {
  xmlNode* p = n ? n->prev : nullptr;
  return (p && p->type == XML_TEXT_NODE && xmlIsBlankNode(p)) ? p : nullptr;
}

}  // namespace

std::string direct_interface_xml(const MacAddress& mac, const std::string& dev, MacvtapMode mode,
                                 const std::optional<std::string>& model) {
  return build("direct", mac, {{"dev", dev}, {"mode", to_string(mode)}}, model);
}

std::string network_interface_xml(const std::string& network, const MacAddress& mac,
                                  const std::optional<std::string>& model) {
  return build("network", mac, {{"network", network}}, model);
}

std::string interface_xml(const GuestInterface& i, const MacAddress& mac) {
  return i.kind == InterfaceKind::Direct ? direct_interface_xml(mac, i.source_dev, i.mode, i.model)
                                         : network_interface_xml(i.network, mac, i.model);
}

namespace {

void replace_in(xmlDoc* doc, xmlNode* old, std::string_view interface_xml, bool keep_address) {
  xmlNode* fresh = import_interface(doc, interface_xml);
  if (keep_address && !child(fresh, "address")) {
    if (xmlNode* addr = child(old, "address")) xmlAddChild(fresh, xmlDocCopyNode(addr, doc, 1));
  }
  xmlReplaceNode(old, fresh);
  xmlFreeNode(old);
}

void add_to(xmlDoc* doc, std::string_view interface_xml) {
  XPathObjectPtr devs = xpath(doc, "/domain/devices");
  if (!devs->nodesetval || devs->nodesetval->nodeNr == 0)
    throw XmlError("domain XML has no <devices> element");
  xmlNode* devices = devs->nodesetval->nodeTab[0];
  xmlNode* fresh = import_interface(doc, interface_xml);
  XPathObjectPtr ifs = xpath(doc, "/domain/devices/interface");
  if (ifs->nodesetval && ifs->nodesetval->nodeNr > 0) {
    xmlNode* last = ifs->nodesetval->nodeTab[ifs->nodesetval->nodeNr - 1];
    xmlNode* at = xmlAddNextSibling(last, fresh);
    if (xmlNode* ws = indent_before(last)) xmlAddPrevSibling(at, xmlNewDocText(doc, ws->content));
  } else {
    // Keep the closing tag's indentation: insert before the trailing whitespace.
    xmlNode* tail = devices->last;
    if (tail && tail->type == XML_TEXT_NODE && xmlIsBlankNode(tail)) {
      xmlNode* at = xmlAddPrevSibling(tail, fresh);
      xmlAddPrevSibling(at, xmlNewDocText(doc, X("\n    ")));
    } else {
      xmlAddChild(devices, fresh);
    }
  }
}

}  // namespace

std::optional<std::string> replace_interface(std::string_view domain_xml, const MacAddress& mac,
                                             std::string_view interface_xml, bool keep_address) {
  DocPtr doc = parse_domain_doc(domain_xml);
  xmlNode* old = find_interface(doc.get(), mac);
  if (!old) return std::nullopt;
  replace_in(doc.get(), old, interface_xml, keep_address);
  return serialize_document(doc.get());
}

std::string add_interface(std::string_view domain_xml, std::string_view interface_xml) {
  DocPtr doc = parse_domain_doc(domain_xml);
  add_to(doc.get(), interface_xml);
  return serialize_document(doc.get());
}

PutResult put_interface(std::string_view domain_xml, const MacAddress& mac,
                        std::string_view interface_xml, bool keep_address) {
  DocPtr doc = parse_domain_doc(domain_xml);
  PutResult r;
  if (xmlNode* old = find_interface(doc.get(), mac)) {
    replace_in(doc.get(), old, interface_xml, keep_address);
    r.replaced = true;
  } else {
    add_to(doc.get(), interface_xml);
  }
  r.xml = serialize_document(doc.get());
  return r;
}

std::optional<std::string> remove_interface(std::string_view domain_xml, const MacAddress& mac) {
  DocPtr doc = parse_domain_doc(domain_xml);
  xmlNode* old = find_interface(doc.get(), mac);
  if (!old) return std::nullopt;
  if (xmlNode* ws = indent_before(old)) {
    xmlUnlinkNode(ws);
    xmlFreeNode(ws);
  }
  xmlUnlinkNode(old);
  xmlFreeNode(old);
  return serialize_document(doc.get());
}

}  // namespace mvt::xml
