// quote()/decode() and File's semantic getters.
#include <algorithm>
#include <cctype>
#include <string>

#include "netconf/ifcfg/ifcfg_file.hpp"
#include "netconf/ifcfg/shell_scan.hpp"

namespace mvt::ifcfg {
namespace {

bool bare_safe(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ',' || c == ':' || c == '/' || c == '@' || c == '%' || c == '+' ||
         c == '=' || c == '-';
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::optional<std::string> quote(std::string_view value) {
  if (value.find('\0') != std::string_view::npos) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), bare_safe)) return std::string(value);
  std::string out = "'";
  for (char c : value) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

std::optional<std::string> decode(std::string_view raw, bool* unsafe) {
  std::string out;
  bool is_unsafe = false;
  bool unterminated = false;
  std::vector<detail::RawProblem> problems;
  std::size_t end = detail::scan_value(raw, 0, out, is_unsafe, unterminated, problems, {});
  if (unsafe) *unsafe = is_unsafe;
  if (is_unsafe) return std::nullopt;
  // Only blanks and a comment may follow the word.
  std::size_t i = end;
  while (i < raw.size() && (raw[i] == ' ' || raw[i] == '\t')) ++i;
  if (i < raw.size() && !(raw[i] == '#' && i > end)) return std::nullopt;
  return out;
}

std::optional<bool> File::get_bool(std::string_view key) const {
  auto v = get(key);
  if (!v) return std::nullopt;
  // initscripts' is_true/is_false plus NetworkManager's svParseBoolean spellings.
  std::string s = lower(*v);
  if (s == "yes" || s == "true" || s == "y" || s == "t" || s == "1" || s == "on") return true;
  if (s == "no" || s == "false" || s == "n" || s == "f" || s == "0" || s == "off") return false;
  return std::nullopt;
}

std::optional<std::string> File::bootproto() const {
  auto v = get("BOOTPROTO");
  if (!v) return std::nullopt;
  std::string s = lower(*v);
  if (s.empty() || s == "none" || s == "static" || s == "no") return "static";
  if (s == "dhcp" || s == "bootp") return "dhcp";
  return s;
}

namespace {

// Classful default prefix, as NetworkManager assumes for IPADDR without PREFIX/NETMASK.
int default_prefix(Ipv4 a) {
  auto first = a.value() >> 24;
  if (first < 128) return 8;
  if (first < 192) return 16;
  return 24;
}

}  // namespace

std::optional<Cidr> File::ipv4_address() const {
  for (const char* suffix : {"", "0"}) {
    std::string sfx = suffix;
    auto addr_text = get("IPADDR" + sfx);
    if (!addr_text) {
      if (has("IPADDR" + sfx)) return std::nullopt;  // unsafe: no guessing
      continue;
    }
    auto addr = Ipv4::parse(*addr_text);
    if (!addr) return std::nullopt;
    if (auto p = get("PREFIX" + sfx)) {
      if (p->empty() || p->size() > 2 || !std::all_of(p->begin(), p->end(), ::isdigit))
        return std::nullopt;
      int prefix = std::stoi(*p);
      if (prefix > 32) return std::nullopt;
      return Cidr(*addr, prefix);
    }
    if (has("PREFIX" + sfx)) return std::nullopt;
    if (auto m = get("NETMASK" + sfx)) {
      auto prefix = Cidr::prefix_from_netmask(*m);
      if (!prefix) return std::nullopt;
      return Cidr(*addr, *prefix);
    }
    if (has("NETMASK" + sfx)) return std::nullopt;
    return Cidr(*addr, default_prefix(*addr));
  }
  return std::nullopt;
}

std::optional<Ipv4> File::gateway() const {
  for (const char* key : {"GATEWAY", "GATEWAY0"}) {
    if (auto g = get(key)) return Ipv4::parse(*g);
    if (has(key)) return std::nullopt;
  }
  return std::nullopt;
}

std::vector<IpAddress> File::dns() const {
  std::vector<IpAddress> out;
  for (int i = 1;; ++i) {
    auto v = get("DNS" + std::to_string(i));
    if (!v) break;
    if (auto a = IpAddress::parse(*v)) out.push_back(*a);
  }
  return out;
}

}  // namespace mvt::ifcfg
