#include "spec/value_reader.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "spec/names.hpp"

namespace mvt::spec {

namespace fs = std::filesystem;

std::string resolve_path(const std::string& file, const std::string& rel) {
  fs::path p(rel);
  if (p.is_absolute()) return p.lexically_normal().string();
  // The spec file's directory, once per file and thread (a fleet's spec names thousands of
  // roots: one getcwd each was 4 % of a plan).
  thread_local std::string last_file;
  thread_local fs::path last_base;
  if (last_base.empty() || last_file != file) {
    last_base = fs::absolute(fs::path(file)).parent_path();
    last_file = file;
  }
  return (last_base / p).lexically_normal().string();
}

SourcePos ValueReader::key_pos(const SpecNode& map, const std::string& key) {
  for (const auto& e : map.entries)
    if (e.key == key) return e.key_pos;
  return map.pos;
}

bool ValueReader::expect_map(const SpecNode& n, const std::string& what) {
  if (n.is_map()) return true;
  d_.error(n.pos, "spec.type", what + " must be a mapping, got " + n.describe());
  return false;
}

void ValueReader::check_keys(const SpecNode& n, const Keys& allowed, const std::string& where) {
  // Keys valid somewhere else in a spec: a misplaced key gets told where it belongs.
  static const std::map<std::string, std::string> home = {
      {"version", "at the top level"}, {"hosts", "at the top level"},
      {"uri", "in a host"},            {"files", "in a host"},
      {"nics", "in a host"},           {"guests", "in a host"},
      {"config", "in a NIC"},          {"guest_files", "in a guest"},
      {"activate", "in a guest"},      {"interfaces", "in a guest"},
      {"config_format", "in a host or a guest"},
      {"name", "in an interface"},     {"network", "in an interface"},
      {"direct", "in an interface"},   {"model", "in an interface"},
      {"ipv4", "in an interface"},     {"defroute", "in an interface"},
      {"ipv6", "in an interface"},     {"ipv6_defroute", "in an interface"},
      {"method", "in 'ipv6'"},         {"addresses", "in 'ipv6'"},
      {"metric", "in a route"},
      {"peerdns", "in an interface"},  {"dns", "in an interface"},
      {"routes", "in an interface"},   {"dev", "in 'direct'"},
      {"mode", "in 'direct'"},         {"address", "in 'ipv4'"},
      {"trust_guest_rx_filters", "in 'direct'"}, {"mtu", "in 'direct'"},
      {"gateway", "in 'ipv4' or 'ipv6'"},        {"to", "in a route"},
      {"via", "in a route"},          {"verify", "in a guest or an interface"},
      {"reach", "in 'verify'"}};
  for (const auto& e : n.entries) {
    if (std::find(allowed.begin(), allowed.end(), e.key) != allowed.end()) continue;
    std::string hint = did_you_mean(e.key, allowed);
    if (auto h = home.find(e.key); hint.empty() && h != home.end())
      hint = " (" + quote(e.key) + " belongs " + h->second + ")";
    d_.error(e.key_pos, "spec.unknown-key", "unknown key " + quote(e.key) + " " + where + hint);
  }
}

bool ValueReader::key_is_string(const SpecNode::Entry& e, const std::string& what) {
  const SpecNode k = e.key_node();
  if (k.scalar_kind() == ScalarKind::String) return true;
  d_.error(e.key_pos, "spec.name", what + " name " + quote(e.key) + " is " + k.describe() +
                                       ", not a string, to some YAML readers: quote it (\"" +
                                       e.key + "\":)");
  return false;
}

bool ValueReader::name_ok(const SpecNode::Entry& e, const std::string& what) {
  if (!key_is_string(e, what)) return false;
  if (auto why = object_name_problem(e.key)) {
    d_.error(e.key_pos, "spec.name", what + " name " + quote(e.key) + " " + *why);
    return false;
  }
  return true;
}

std::optional<std::string> ValueReader::str(const SpecNode& n, const std::string& field) {
  if (n.is_scalar() && n.scalar_kind() == ScalarKind::String) return n.text;
  // An unquoted 0644, 1e3 or 2024-01-01 is a number or a date to some YAML reader.
  const bool quotable = n.is_scalar() && n.scalar_kind() != ScalarKind::Null;
  d_.error(n.pos, "spec.type", quote(field) + " must be a string, got " + n.describe() +
                                   (n.is_scalar() && !n.text.empty() ? " (" + n.text + ")" : "") +
                                   (quotable ? ": quote it if it is meant as text (\"" + n.text + "\")" : ""));
  return std::nullopt;
}

std::optional<bool> ValueReader::boolean(const SpecNode& n, const std::string& field) {
  bool b = false;
  if (n.is_scalar() && !n.quoted && parse_portable_bool(n.text, &b)) return b;
  if (yaml11_only_bool(n, field)) return std::nullopt;
  d_.error(n.pos, "spec.type", quote(field) + " must be true or false, got " + n.describe() +
                                   (n.is_scalar() ? " " + quote(n.text) : ""));
  return std::nullopt;
}

bool ValueReader::yaml11_only_bool(const SpecNode& n, const std::string& field) {
  bool b = false;
  if (!n.is_scalar() || n.quoted || !parse_yaml_bool(n.text, &b)) return false;
  d_.error(n.pos, "spec.type",
           quote(field) + " must be true or false, got " + quote(n.text) +
               ", a boolean only to YAML 1.1 readers (YAML 1.2 readers and schema-driven "
               "editors read the string " + quote(n.text) + "): write true/false (here: " +
               (b ? "true" : "false") + ")");
  return true;
}

std::optional<unsigned> ValueReader::decimal(const SpecNode& n, const std::string& field) {
  if (n.is_scalar() && n.scalar_kind() == ScalarKind::Int) {
    const std::string& t = n.text;
    const bool digits = t.find_first_not_of("0123456789") == std::string::npos;
    if (digits && (t.size() == 1 || t.front() != '0') && t.size() <= 10) {
      const unsigned long long v = std::stoull(t);
      if (v <= 4294967295ULL) return static_cast<unsigned>(v);
    }
    d_.error(n.pos, "spec.value", quote(field) + " must be a plain decimal number, got " +
                                      quote(t));
    return std::nullopt;
  }
  d_.error(n.pos, "spec.type", quote(field) + " must be a number, got " + n.describe() +
                                   (n.is_scalar() ? " " + quote(n.text) : ""));
  return std::nullopt;
}

std::optional<MacAddress> ValueReader::mac(const SpecNode& n, const std::string& field) {
  // 52:54:00:12:34:56 unquoted is a sexagesimal (base 60) integer to YAML 1.1 readers.
  if (n.is_scalar() && n.scalar_kind() != ScalarKind::String && MacAddress::parse(n.text)) {
    d_.error(n.pos, "spec.mac", "MAC address " + n.text + " in " + quote(field) +
                                    " is " + n.describe() + " to YAML 1.1 readers (base 60, "
                                    "all its octets are digits): quote the MAC (\"" + n.text + "\")");
    return std::nullopt;
  }
  auto s = str(n, field);
  if (!s) return std::nullopt;
  if (auto m = MacAddress::parse(*s)) return m;
  d_.error(n.pos, "spec.mac", "malformed MAC address " + quote(*s) +
                                  " (expected six hex octets, like 52:54:00:12:34:56)");
  return std::nullopt;
}

std::optional<Ipv4> ValueReader::ip(const SpecNode& n, const std::string& field) {
  auto s = str(n, field);
  if (!s) return std::nullopt;
  if (auto a = Ipv4::parse(*s)) return a;
  if (Ipv4::octal_looking(*s)) {
    d_.error(n.pos, "spec.ipv4", "IPv4 address " + quote(*s) + " in " + quote(field) +
                                     " has a leading zero, which inet_aton and bash tools read "
                                     "as octal (010 is 8); write each octet without one");
    return std::nullopt;
  }
  d_.error(n.pos, "spec.ipv4", "malformed IPv4 address " + quote(*s) + " in " + quote(field) +
                                   " (expected a dotted quad, like 192.0.2.1)");
  return std::nullopt;
}

std::optional<Cidr> ValueReader::cidr(const SpecNode& n, const std::string& field) {
  auto s = str(n, field);
  if (!s) return std::nullopt;
  if (auto c = Cidr::parse(*s)) return c;
  if (Cidr::octal_looking(*s)) {
    d_.error(n.pos, "spec.cidr", "address/prefix " + quote(*s) + " in " + quote(field) +
                                     " has a leading zero, which inet_aton and bash tools read "
                                     "as octal (010 is 8); write each number without one");
    return std::nullopt;
  }
  d_.error(n.pos, "spec.cidr", "malformed address/prefix " + quote(*s) + " in " +
                                   quote(field) + " (expected CIDR, like 192.0.2.10/24)");
  return std::nullopt;
}

std::optional<IpAddress> ValueReader::ip_any(const SpecNode& n, const std::string& field) {
  if (n.is_scalar() && n.scalar_kind() == ScalarKind::String && n.text.find(':') != std::string::npos)
    return ipv6_address(n, field);
  if (auto a = ip(n, field)) return IpAddress(*a);
  return std::nullopt;
}

std::optional<IpPrefix> ValueReader::prefix_any(const SpecNode& n, const std::string& field) {
  if (n.is_scalar() && n.scalar_kind() == ScalarKind::String && n.text.find(':') != std::string::npos)
    return ipv6_prefix(n, field);
  if (auto c = cidr(n, field)) return IpPrefix(*c);
  return std::nullopt;
}

std::optional<IpAddress> ValueReader::ipv6_address(const SpecNode& n, const std::string& field) {
  auto s = str(n, field);
  if (!s) return std::nullopt;
  auto a = IpAddress::parse(*s);
  if (a && a->is_v6()) return a;
  d_.error(n.pos, "spec.ipv6",
           (a ? "IPv4 address " + quote(*s) + " in " + quote(field) + ", which takes an IPv6 address"
              : "malformed IPv6 address " + quote(*s) + " in " + quote(field)) +
               " (expected an IPv6 address without prefix length, like 2001:db8::1)");
  return std::nullopt;
}

std::optional<IpPrefix> ValueReader::ipv6_prefix(const SpecNode& n, const std::string& field) {
  auto s = str(n, field);
  if (!s) return std::nullopt;
  auto p = IpPrefix::parse(*s);
  if (p && p->family() == IpFamily::V6) return p;
  std::string why = "malformed IPv6 address/prefix " + quote(*s);
  if (p) why = "IPv4 address/prefix " + quote(*s);
  else if (s->find('/') == std::string::npos && IpAddress::parse(*s)) why = "IPv6 address " + quote(*s) + " without a prefix length";
  d_.error(n.pos, "spec.cidr", why + " in " + quote(field) +
                                   " (expected an IPv6 address with prefix length, like 2001:db8::10/64)");
  return std::nullopt;
}

std::optional<FileSourceSpec> ValueReader::file_source(const SpecNode& n, const std::string& field,
                                          const std::vector<FileSourceKind>& kinds,
                                          const std::string& allowed) {
  auto s = str(n, field);
  if (!s) return std::nullopt;
  auto f = FileSourceSpec::parse(*s);
  if (f && std::find(kinds.begin(), kinds.end(), f->kind) != kinds.end()) {
    if (f->kind == FileSourceKind::Dir) f->path = resolve_path(n.pos.file, f->path);
    return f;
  }
  d_.error(n.pos, "spec.file-source",
           quote(field) + " must be " + allowed + ", got " + quote(*s));
  return std::nullopt;
}

std::optional<std::string> ValueReader::uri(const SpecNode& n) {
  auto s = str(n, "uri");
  if (!s) return std::nullopt;
  const auto colon = s->find(':');
  bool ok = colon != std::string::npos && colon > 0 && std::isalpha(static_cast<unsigned char>((*s)[0]));
  for (std::size_t i = 0; ok && i < colon; ++i) {
    const char c = (*s)[i];
    ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  }
  for (unsigned char c : *s) ok = ok && c > 0x20 && c != 0x7f;
  if (!ok || colon + 1 >= s->size()) {
    d_.error(n.pos, "spec.uri", "'uri' must be a libvirt URI (like qemu:///system), got " +
                                    quote(*s));
    return std::nullopt;
  }
  // test:RELPATH (no "//"): a libvirt test-driver node file next to the spec.
  if (s->rfind("test:", 0) == 0 && s->compare(5, 2, "//") != 0)
    return "test://" + resolve_path(n.pos.file, s->substr(5));
  return s;
}

}  // namespace mvt::spec
