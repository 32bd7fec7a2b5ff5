#include "spec/names.hpp"

namespace mvt::spec {
namespace {
bool is_space_or_control(unsigned char c) {
  return c < 0x20 || c == 0x7f || c == ' ';
}

// Names become file names (ifcfg-<name>), ifcfg values, XML attributes, plan targets and
// libvirt arguments. A conservative portable set keeps every one of those inert without
// relying on quoting: letters, digits and these.
bool portable(unsigned char c, const char* extra) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  for (const char* p = extra; *p; ++p)
    if (c == static_cast<unsigned char>(*p)) return true;
  return false;
}

std::optional<std::string> charset_problem(const std::string& n, const char* extra,
                                           const char* allowed_text) {
  for (unsigned char c : n) {
    if (portable(c, extra)) continue;
    std::string shown = c >= 0x80 ? "a non-ASCII byte" : std::string("'") + static_cast<char>(c) + "'";
    return "contains " + shown + " (allowed: " + allowed_text + ")";
  }
  return std::nullopt;
}

constexpr const char* kIgnoredSuffixes[] = {"~",       ".bak",    ".old",    ".orig",
                                            ".rpmnew", ".rpmorig", ".rpmsave", ".rej",
                                            ".augnew", ".augtmp", ".swp"};

bool ends_with_nocase(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    char c = s[s.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}
}  // namespace

std::optional<std::string> object_name_problem(const std::string& n) {
  if (n.empty()) return "is empty";
  if (n.size() > 64) return "is longer than 64 characters";
  if (n.front() == '-') return "starts with '-'";
  if (n.find('/') != std::string::npos) return "contains '/'";
  if (n.find("..") != std::string::npos) return "contains '..'";
  for (unsigned char c : n)
    if (is_space_or_control(c)) return "contains whitespace or a control character";
  return charset_problem(n, "._-+", "letters, digits, '.', '_', '-', '+'");
}

std::optional<std::string> ifname_problem(const std::string& n) {
  if (n.empty()) return "is empty";
  if (n.size() > 15) return "is longer than 15 characters (Linux IFNAMSIZ)";
  if (n == ".") return "is '.'";
  if (n.front() == '-') return "starts with '-'";
  if (n.find('/') != std::string::npos) return "contains '/'";
  if (n.find(':') != std::string::npos) return "contains ':'";
  if (n.find("..") != std::string::npos) return "contains '..'";
  for (unsigned char c : n)
    if (is_space_or_control(c)) return "contains whitespace or a control character";
  if (n == "lo") return "is 'lo', the loopback device, which macvtapctl never configures";
  for (const char* s : kIgnoredSuffixes)
    if (ends_with_nocase(n, s))
      return std::string("ends in '") + s + "': network-scripts and NetworkManager skip an "
             "ifcfg file named so, so its configuration would be written but never read";
  return charset_problem(n, "._-", "letters, digits, '.', '_', '-'");
}

}  // namespace mvt::spec
