#pragma once
// Libvirt connection URIs (and `ssh://` file sources), parsed into their parts, never matched
// as strings (SECURITY.md). libxml2's RFC 3986 parser splits the text, as libvirt's own
// virURIParse does; the query is split into parameters as libvirt reads them (name=value
// pairs separated by '&' or ';', each side percent-decoded). Libvirt compares parameter names
// case-insensitively, so `name` is kept lower case here (`raw_name` is the spelling).
//
// Refused as not parseable, because libvirt or ssh could read them otherwise than we do:
// no scheme; a fragment ('#'); a query mixing '&' and ';' (libvirt splits such a query on '&'
// only); a user that is empty or not [A-Za-z0-9._-] (no leading '-'); a host that is not a
// host name ([A-Za-z0-9._-], no leading '-' or '.') or a bracketed IPv6 literal.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mvt::spec {

struct UriParam {
  std::string name;      // percent-decoded, lower case
  std::string raw_name;  // as written in the query
  std::string value;     // percent-decoded ("" for a bare "name")
};

struct LibvirtUri {
  std::string driver;               // lower case: "qemu", "test", "ssh"
  std::string transport;            // lower case: "ssh" for qemu+ssh; "" when none
  std::optional<std::string> user;  // percent-decoded
  std::string host;                 // percent-decoded; "" when none
  int port = 0;                     // 0 when none
  std::string path;                 // percent-decoded; "" when none
  std::vector<UriParam> params;     // in query order
};

// `text` parsed; nullopt with the reason in `why` ("has a fragment ('#...')"). With
// `pattern`, '*' may appear in the host (an --allow-uri pattern's host glob).
std::optional<LibvirtUri> parse_libvirt_uri(std::string_view text, std::string& why,
                                            bool pattern = false);

}  // namespace mvt::spec
