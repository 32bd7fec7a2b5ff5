#include "xml/xml_handles.hpp"

#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <libxml/xpathInternals.h>

#include <stdexcept>

namespace mvt::xml {
namespace {

void quiet_generic(void*, const char*, ...) {}
void quiet_structured(void*, xmlErrorPtr) {}

std::string trim_message(const char* m) {
  std::string s = m ? m : "unknown error";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

void init_parser() { xmlInitParser(); }

void install_quiet_error_handler() {
  xmlSetGenericErrorFunc(nullptr, quiet_generic);
  xmlSetStructuredErrorFunc(nullptr, quiet_structured);
}

DocPtr parse_document(std::string_view text, std::string* error) {
  install_quiet_error_handler();
  ParserCtxtPtr ctxt(xmlNewParserCtxt());
  if (!ctxt) {
    if (error) *error = "out of memory";
    return nullptr;
  }
  DocPtr doc(xmlCtxtReadMemory(ctxt.get(), text.data(), static_cast<int>(text.size()),
                               "domain.xml", nullptr, XML_PARSE_NONET));
  if (!doc || !xmlDocGetRootElement(doc.get())) {
    if (error) {
      const xmlError* e = xmlCtxtGetLastError(ctxt.get());
      if (e && e->message)
        *error = "line " + std::to_string(e->line) + ": " + trim_message(e->message);
      else
        *error = "empty document";
    }
    return nullptr;
  }
  return doc;
}

std::string attr(const xmlNode* n, const char* name) {
  if (!n) return {};
  XmlCharPtr v(xmlGetProp(n, reinterpret_cast<const xmlChar*>(name)));
  return v ? std::string(reinterpret_cast<const char*>(v.get())) : std::string();
}

xmlNode* child(const xmlNode* n, const char* name) {
  if (!n) return nullptr;
  for (xmlNode* c = n->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, reinterpret_cast<const xmlChar*>(name)))
      return c;
  return nullptr;
}

std::string serialize(xmlDoc* doc, xmlNode* n) {
  BufferPtr buf(xmlBufferCreate());
  if (!buf) throw std::bad_alloc();
  xmlNodeDump(buf.get(), doc, n, 0, 0);
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                     static_cast<std::size_t>(xmlBufferLength(buf.get())));
}

std::string serialize_document(xmlDoc* doc) {
  BufferPtr buf(xmlBufferCreate());
  if (!buf) throw std::bad_alloc();
  xmlSaveCtxt* save = xmlSaveToBuffer(buf.get(), nullptr, XML_SAVE_NO_DECL);
  if (!save) throw std::bad_alloc();
  xmlSaveDoc(save, doc);
  xmlSaveClose(save);
  std::string out(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                  static_cast<std::size_t>(xmlBufferLength(buf.get())));
  return out;
}

XPathObjectPtr xpath(xmlDoc* doc, const char* expr, xmlNode* node) {
  install_quiet_error_handler();
  XPathContextPtr ctx(xmlXPathNewContext(doc));
  if (!ctx) throw std::bad_alloc();
  ctx->node = node ? node : xmlDocGetRootElement(doc);
  XPathObjectPtr obj(xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(expr), ctx.get()));
  if (!obj) throw std::logic_error(std::string("invalid XPath expression: ") + expr);
  return obj;
}

}  // namespace mvt::xml
