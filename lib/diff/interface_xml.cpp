#include "diff/interface_xml.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>
#include <string>
#include <stdexcept>

namespace mvt::diff {
namespace {

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct BufFree {
  void operator()(xmlBuffer* b) const { xmlBufferFree(b); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;
using BufPtr = std::unique_ptr<xmlBuffer, BufFree>;

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

bool named(xmlNode* n, const char* name) {
  return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, X(name)) == 0;
}

void remove_children(xmlNode* parent, const char* name) {
  for (xmlNode* c = parent->children; c;) {
    xmlNode* next = c->next;
    if (named(c, name)) {
      xmlUnlinkNode(c);
      xmlFreeNode(c);
    }
    c = next;
  }
}

// Drops whitespace-only text nodes so the re-serialized element is compact and stable.
void drop_blank_text(xmlNode* n) {
  for (xmlNode* c = n->children; c;) {
    xmlNode* next = c->next;
    if (c->type == XML_TEXT_NODE && xmlIsBlankNode(c)) {
      xmlUnlinkNode(c);
      xmlFreeNode(c);
    } else if (c->type == XML_ELEMENT_NODE) {
      drop_blank_text(c);
    }
    c = next;
  }
}

// Inserts `node` as the first child, or after the last of `after` names that exist.
void place(xmlNode* parent, xmlNode* node, std::initializer_list<const char*> after) {
  xmlNode* anchor = nullptr;
  for (xmlNode* c = parent->children; c; c = c->next)
    for (const char* a : after)
      if (named(c, a)) anchor = c;
  if (anchor) {
    xmlAddNextSibling(anchor, node);
  } else if (parent->children) {
    xmlAddPrevSibling(parent->children, node);
  } else {
    xmlAddChild(parent, node);
  }
}

}  // namespace

std::string build_interface_xml(const GuestInterface& want, const MacAddress& mac,
                                const std::string& base_xml) {
  DocPtr doc;
  xmlNode* root = nullptr;
  if (!base_xml.empty()) {
    doc.reset(xmlReadMemory(base_xml.data(), static_cast<int>(base_xml.size()), "interface.xml",
                            nullptr, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
    if (!doc) throw std::invalid_argument("observed <interface> is not well-formed XML");
    root = xmlDocGetRootElement(doc.get());
    if (!root || !named(root, "interface"))
      throw std::invalid_argument("observed element is not an <interface>");
    drop_blank_text(root);
  } else {
    doc.reset(xmlNewDoc(X("1.0")));
    root = xmlNewNode(nullptr, X("interface"));
    xmlDocSetRootElement(doc.get(), root);
  }
  const bool direct = want.kind == InterfaceKind::Direct;
  xmlSetProp(root, X("type"), X(direct ? "direct" : "network"));

  // Volatile children: libvirt assigns them; a definition must not pin them.
  remove_children(root, "target");
  remove_children(root, "alias");

  // <mac>
  remove_children(root, "mac");
  xmlNode* m = xmlNewNode(nullptr, X("mac"));
  xmlSetProp(m, X("address"), X(mac.str().c_str()));
  place(root, m, {});

  // <source>: rebuilt whole (a type change makes the old attributes meaningless).
  remove_children(root, "source");
  xmlNode* s = xmlNewNode(nullptr, X("source"));
  if (direct) {
    xmlSetProp(s, X("dev"), X(want.source_dev.c_str()));
    xmlSetProp(s, X("mode"), X(to_string(want.mode).c_str()));
  } else {
    xmlSetProp(s, X("network"), X(want.network.c_str()));
  }
  place(root, s, {"mac"});

  // <model>: only when the spec manages it; otherwise the observed one stays.
  if (want.model) {
    remove_children(root, "model");
    xmlNode* md = xmlNewNode(nullptr, X("model"));
    xmlSetProp(md, X("type"), X(want.model->c_str()));
    place(root, md, {"mac", "source"});
  }

  // libvirt options of a direct interface, each only when the spec manages it. `false` drops
  // the attribute (libvirt's default is no), so a definition libvirt echoes back compares equal.
  if (direct && want.trust_guest_rx_filters) {
    if (*want.trust_guest_rx_filters)
      xmlSetProp(root, X("trustGuestRxFilters"), X("yes"));
    else
      xmlUnsetProp(root, X("trustGuestRxFilters"));
  }
  if (direct && want.mtu) {
    remove_children(root, "mtu");
    xmlNode* mt = xmlNewNode(nullptr, X("mtu"));
    xmlSetProp(mt, X("size"), X(std::to_string(*want.mtu).c_str()));
    place(root, mt, {"mac", "source", "model"});
  }

  BufPtr buf(xmlBufferCreate());
  if (xmlNodeDump(buf.get(), doc.get(), root, 0, 0) < 0)
    throw std::runtime_error("cannot serialize <interface>");
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                     static_cast<std::size_t>(xmlBufferLength(buf.get())));
}

}  // namespace mvt::diff
