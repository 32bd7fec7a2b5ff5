#pragma once
// RAII for libxml2 resources (STYLE.md habit 5), declared once for every XML codec, and the
// quiet error handler: libxml2 must never print. Parse errors are captured by the caller
// through xml_error_text().
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include <memory>
#include <string>
#include <string_view>

namespace mvt::xml {

struct DocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct XPathContextDeleter {
  void operator()(xmlXPathContext* c) const { xmlXPathFreeContext(c); }
};
struct XPathObjectDeleter {
  void operator()(xmlXPathObject* o) const { xmlXPathFreeObject(o); }
};
struct XmlCharDeleter {
  void operator()(xmlChar* s) const { xmlFree(s); }
};
struct NodeDeleter {  // for nodes not (yet) linked into a document
  void operator()(xmlNode* n) const { xmlFreeNode(n); }
};
struct BufferDeleter {
  void operator()(xmlBuffer* b) const { xmlBufferFree(b); }
};
struct ParserCtxtDeleter {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};

using DocPtr = std::unique_ptr<xmlDoc, DocDeleter>;
using XPathContextPtr = std::unique_ptr<xmlXPathContext, XPathContextDeleter>;
using XPathObjectPtr = std::unique_ptr<xmlXPathObject, XPathObjectDeleter>;
using XmlCharPtr = std::unique_ptr<xmlChar, XmlCharDeleter>;
using NodePtr = std::unique_ptr<xmlNode, NodeDeleter>;
using BufferPtr = std::unique_ptr<xmlBuffer, BufferDeleter>;
using ParserCtxtPtr = std::unique_ptr<xmlParserCtxt, ParserCtxtDeleter>;

// Initialises libxml2 (idempotent). Call on one thread before parsing on several at once.
void init_parser();

// Installs no-op generic and structured error handlers on the calling thread (libxml2's
// handlers are per thread). Cheap; every codec entry point calls it.
void install_quiet_error_handler();

// Parses `text` without network access and without entity expansion. On failure returns
// null and sets *error to "line N: <libxml2 message>".
DocPtr parse_document(std::string_view text, std::string* error);

// The attribute's value, "" when absent.
std::string attr(const xmlNode* n, const char* name);
// The first element child named `name`, or null.
xmlNode* child(const xmlNode* n, const char* name);
// Serializes one element (with its sub-tree) exactly as it stands in the document.
std::string serialize(xmlDoc* doc, xmlNode* n);
// Serializes a whole document (XML declaration omitted, original whitespace kept).
std::string serialize_document(xmlDoc* doc);
// Evaluates an XPath expression relative to `node` (or the root when null). Never null:
// an invalid expression throws std::logic_error (expressions are the program's own).
XPathObjectPtr xpath(xmlDoc* doc, const char* expr, xmlNode* node = nullptr);

}  // namespace mvt::xml
