#include "spec/libvirt_uri.hpp"

#include <libxml/uri.h>

#include <cctype>
#include <cstring>
#include <memory>

#include "xml/xml_handles.hpp"

namespace mvt::spec {
namespace {

struct UriDeleter {
  void operator()(xmlURI* u) const { xmlFreeURI(u); }
};
using UriPtr = std::unique_ptr<xmlURI, UriDeleter>;

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

bool alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool word_of(const std::string& s, const char* extra) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!alnum(c) && !std::strchr(extra, c)) return false;
  return true;
}

// libxml2's unescaping, as libvirt applies it to parameter names and values: the result is
// read as a C string there too (a "%00" ends it in both).
std::string unescape(const char* s, std::size_t n) {
  if (n == 0) return {};
  xml::XmlCharPtr out(reinterpret_cast<xmlChar*>(xmlURIUnescapeString(s, static_cast<int>(n), nullptr)));
  return out ? std::string(reinterpret_cast<const char*>(out.get())) : std::string();
}

// Splits a raw query as libvirt's virURIParseParams does for a query with one kind of
// separator: empty sections skipped, "=value" ignored, a bare "name" has the value "".
std::vector<UriParam> split_query(const std::string& q) {
  std::vector<UriParam> out;
  const char sep = q.find('&') != std::string::npos ? '&' : ';';
  std::size_t start = 0;
  while (start <= q.size()) {
    std::size_t end = q.find(sep, start);
    if (end == std::string::npos) end = q.size();
    const std::string section = q.substr(start, end - start);
    if (!section.empty() && section.front() != '=') {
      const auto eq = section.find('=');
      UriParam p;
      p.raw_name = section.substr(0, eq);
      p.name = lower(unescape(p.raw_name.data(), p.raw_name.size()));
      if (eq != std::string::npos)
        p.value = unescape(section.data() + eq + 1, section.size() - eq - 1);
      out.push_back(std::move(p));
    }
    start = end + 1;
  }
  return out;
}

bool host_ok(const std::string& h, bool pattern) {
  if (h.front() == '[') {  // an IPv6 literal
    if (h.size() < 3 || h.back() != ']') return false;
    for (std::size_t i = 1; i + 1 < h.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(h[i]);
      if (!std::isxdigit(c) && c != ':' && c != '.') return false;
    }
    return true;
  }
  if (h.front() == '-' || h.front() == '.') return false;
  return word_of(h, pattern ? "._-*" : "._-");
}

}  // namespace

std::optional<LibvirtUri> parse_libvirt_uri(std::string_view text, std::string& why,
                                            bool pattern) {
  xml::install_quiet_error_handler();
  const std::string s(text);
  if (s.find('\0') != std::string::npos) {
    why = "contains a NUL byte";
    return std::nullopt;
  }
  UriPtr u(xmlParseURI(s.c_str()));
  if (!u) {
    why = "is not a URI (RFC 3986; spaces and other reserved characters must be "
          "percent-encoded)";
    return std::nullopt;
  }
  if (!u->scheme) {
    why = "has no scheme (like qemu:///system)";
    return std::nullopt;
  }
  if (u->opaque) {
    why = "is an opaque URI, which libvirt does not use";
    return std::nullopt;
  }
  if (u->fragment) {
    why = "has a fragment ('#...'), which libvirt URIs do not have";
    return std::nullopt;
  }
  LibvirtUri r;
  const std::string scheme = lower(u->scheme);
  const auto plus = scheme.find('+');
  r.driver = scheme.substr(0, plus);
  if (plus != std::string::npos) r.transport = scheme.substr(plus + 1);
  if (!word_of(r.driver, "-") || (plus != std::string::npos && !word_of(r.transport, "-"))) {
    why = "has a scheme that is not DRIVER or DRIVER+TRANSPORT";
    return std::nullopt;
  }
  if (u->user) {
    r.user = u->user;
    if (!word_of(*r.user, "._-") || r.user->front() == '-') {
      why = "has a user name that is not letters, digits, '.', '_', '-' (and no leading '-')";
      return std::nullopt;
    }
  }
  if (u->server && *u->server) {
    r.host = lower(u->server);
    if (!host_ok(r.host, pattern)) {
      why = "has a host that is neither a host name (letters, digits, '.', '_', '-') nor a "
            "bracketed IPv6 address";
      return std::nullopt;
    }
    if (u->port > 0) r.port = u->port;
  } else if (r.user) {
    why = "has a user but no host";
    return std::nullopt;
  }
  if (u->path) {
    r.path = u->path;
    for (unsigned char c : r.path)
      if (c < 0x20 || c == 0x7f) {
        why = "has a control character in its path";
        return std::nullopt;
      }
  }
  if (u->query_raw && *u->query_raw) {
    const std::string q = u->query_raw;
    if (q.find('&') != std::string::npos && q.find(';') != std::string::npos) {
      why = "mixes '&' and ';' in its query (libvirt would then split it on '&' only)";
      return std::nullopt;
    }
    r.params = split_query(q);
  }
  return r;
}

}  // namespace mvt::spec
