#include "spec/spec_node.hpp"

#include <cstdlib>
#include <regex>
#include <string_view>

namespace mvt::spec {

const SpecNode* SpecNode::find(const std::string& key) const {
  if (kind != Kind::Map) return nullptr;
  for (const auto& e : entries)
    if (e.key == key) return &e.value;
  return nullptr;
}

bool parse_portable_bool(const std::string& t, bool* out) {
  if (t == "true" || t == "True" || t == "TRUE") return *out = true, true;
  if (t == "false" || t == "False" || t == "FALSE") return *out = false, true;
  return false;
}

bool parse_yaml_bool(const std::string& t, bool* out) {
  if (parse_portable_bool(t, out)) return true;
  static const char* const yes[] = {"yes", "Yes", "YES", "on", "On", "ON", "y", "Y"};
  static const char* const no[] = {"no", "No", "NO", "off", "Off", "OFF", "n", "N"};
  for (const char* s : yes)
    if (t == s) return *out = true, true;
  for (const char* s : no)
    if (t == s) return *out = false, true;
  return false;
}

namespace {

// The int, float and timestamp resolvers of the readers, by hand (a std::regex recursed once
// per character and overflowed the stack on a long scalar of digits: fuzz_spec finding).
// Each function is the union of PyYAML (YAML 1.1), the `yaml` package in 1.1 mode and the
// YAML 1.2 core schema; the regexes are in tests/unit/spec_loader_test.cpp, the oracle.
bool all_of(std::string_view s, bool (*ok)(char)) {
  if (s.empty()) return false;
  for (const char c : s)
    if (!ok(c)) return false;
  return true;
}
bool bin_(char c) { return c == '0' || c == '1' || c == '_'; }
bool dec_(char c) { return (c >= '0' && c <= '9') || c == '_'; }
bool dec(char c) { return c >= '0' && c <= '9'; }
bool oct(char c) { return c >= '0' && c <= '7'; }
bool hex_(char c) {
  return dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '_';
}
bool has_sign(std::string_view s) { return !s.empty() && (s.front() == '-' || s.front() == '+'); }
std::string_view unsigned_part(std::string_view s) {
  if (has_sign(s)) s.remove_prefix(1);
  return s;
}
// [0-9][0-9_]*
bool digits_(std::string_view s) { return !s.empty() && dec(s.front()) && (s.size() == 1 || all_of(s.substr(1), dec_)); }

// Sexagesimal (YAML 1.1): [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+ ; with `dot`, the float form
// [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* . 52:54:00:12:34:56 is one.
bool is_sexagesimal(std::string_view text, bool dot) {
  std::string_view s = unsigned_part(text);
  if (dot) {
    const auto d = s.find('.');
    if (d == std::string_view::npos) return false;
    const std::string_view frac = s.substr(d + 1);
    if (!frac.empty() && !all_of(frac, dec_)) return false;
    s = s.substr(0, d);
  }
  const auto c = s.find(':');
  if (c == std::string_view::npos || !digits_(s.substr(0, c))) return false;
  s.remove_prefix(c);
  while (!s.empty()) {  // (:[0-5]?[0-9])+
    s.remove_prefix(1);  // ':'
    const auto next = s.find(':');
    const std::string_view g = s.substr(0, next);
    const bool ok = (g.size() == 1 && dec(g[0])) ||
                    (g.size() == 2 && g[0] >= '0' && g[0] <= '5' && dec(g[1]));
    if (!ok) return false;
    s = next == std::string_view::npos ? std::string_view{} : s.substr(next);
  }
  return true;
}

// [-+]?0b[0-1_]+ | [-+]?0x[0-9a-fA-F_]+ | [-+]?[0-9][0-9_]* | 0o[0-7]+ | sexagesimal
// (PyYAML's octal and decimal forms and YAML 1.2's [-+]?[0-9]+ are within [-+]?[0-9][0-9_]*).
bool is_int(std::string_view text) {
  const std::string_view s = unsigned_part(text);
  if (s.size() > 2 && s.substr(0, 2) == "0b") return all_of(s.substr(2), bin_);
  if (s.size() > 2 && s.substr(0, 2) == "0x") return all_of(s.substr(2), hex_);
  if (s.size() > 2 && s.substr(0, 2) == "0o" && s.size() == text.size())
    return all_of(s.substr(2), oct);
  if (digits_(s)) return true;
  return s.find(':') != std::string_view::npos && is_sexagesimal(text, false);
}

// ([eE][-+][0-9]+)? at the end of a float; `sign_optional` for YAML 1.2's [eE][-+]?[0-9]+.
bool exponent_ok(std::string_view e, bool sign_optional) {
  if (e.empty()) return true;
  if (e.size() < 2 || (e[0] != 'e' && e[0] != 'E')) return false;
  e.remove_prefix(1);
  if (e.front() == '-' || e.front() == '+') e.remove_prefix(1);
  else if (!sign_optional) return false;
  return all_of(e, dec);
}

// PyYAML: [-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? | \.[0-9_]+([eE][-+][0-9]+)?
//         | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN) | sexagesimal float
// YAML 1.2: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? (not an int).
bool is_float(std::string_view text) {
  if (text == ".nan" || text == ".NaN" || text == ".NAN") return true;
  const std::string_view s = unsigned_part(text);
  if (s == ".inf" || s == ".Inf" || s == ".INF") return true;
  const auto e = s.find_first_of("eE");
  const std::string_view mant = s.substr(0, e);
  const std::string_view exp = e == std::string_view::npos ? std::string_view{} : s.substr(e);
  const auto dot = mant.find('.');
  const std::string_view whole = mant.substr(0, dot);
  const std::string_view frac =
      dot == std::string_view::npos ? std::string_view{} : mant.substr(dot + 1);
  // YAML 1.2 core (no '_'): [0-9]+ with an exponent, [0-9]+\.[0-9]*, \.[0-9]+
  const bool core_mant = dot == std::string_view::npos
                             ? !whole.empty() && all_of(whole, dec) && !exp.empty()
                             : (whole.empty() ? all_of(frac, dec)
                                              : all_of(whole, dec) && (frac.empty() || all_of(frac, dec)));
  if (core_mant && exponent_ok(exp, true)) return true;
  // PyYAML 1.1
  if (dot != std::string_view::npos && exponent_ok(exp, false)) {
    const bool frac_ok = frac.empty() || all_of(frac, dec_);
    if (whole.empty() ? s.size() == text.size() && !frac.empty() && frac_ok
                      : digits_(whole) && frac_ok)
      return true;
  }
  return s.find(':') != std::string_view::npos && is_sexagesimal(text, true);
}

// YAML 1.1 timestamps (PyYAML's and the `yaml` package's, joined):
// [0-9]{4}-[0-9]{1,2}-[0-9]{1,2} ( ([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]*)?
// ([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))? )?
bool is_timestamp(const std::string& text) {
  if (text.size() < 8 || text.size() > 128 || !all_of(std::string_view(text).substr(0, 4), dec) ||
      text[4] != '-')
    return false;
  static const std::regex re(
      "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\\.[0-9]*)?"
      "([ \\t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?");
  return std::regex_match(text, re);
}

}  // namespace

bool is_portable_one(const std::string& text) {
  std::string_view s = text;
  if (s.size() > 2 && s.substr(0, 2) == "0x") {  // hex: no sign, no '_' in YAML 1.2
    s.remove_prefix(2);
    while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
    return s == "1";
  }
  const bool sign = !s.empty() && s.front() == '+';
  if (sign) s.remove_prefix(1);
  if (all_of(s, dec)) {  // 01 is 1 in octal (YAML 1.1) and in decimal (1.2)
    while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
    return s == "1";
  }
  // A float every reader parses: [0-9]+\.[0-9]*([eE][-+][0-9]+)? or \.[0-9]+(...)?
  const auto e = s.find_first_of("eE");
  const std::string_view mant = s.substr(0, e);
  const auto dot = mant.find('.');
  // (PyYAML's \.[0-9_]+ takes no sign)
  if (dot == std::string_view::npos || (dot == 0 && (sign || mant.size() == 1))) return false;
  if ((dot > 0 && !all_of(mant.substr(0, dot), dec)) ||
      (dot + 1 < mant.size() && !all_of(mant.substr(dot + 1), dec)))
    return false;
  if (e != std::string_view::npos && !exponent_ok(s.substr(e), false)) return false;
  return std::strtod(text.c_str(), nullptr) == 1.0;
}

ScalarKind SpecNode::scalar_kind() const {
  if (kind == Kind::Null) return ScalarKind::Null;
  if (kind != Kind::Scalar) return ScalarKind::String;
  if (quoted) return ScalarKind::String;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return ScalarKind::Null;
  bool b = false;
  if (parse_yaml_bool(text, &b)) return ScalarKind::Bool;
  // Every int, float and timestamp spelling starts with a sign, a digit or '.': anything
  // else is a string without running the resolvers (loading a 10,000-guest spec).
  if (std::string_view("+-.0123456789").find(text.front()) == std::string_view::npos)
    return ScalarKind::String;
  if (is_int(text)) return ScalarKind::Int;
  if (is_float(text)) return ScalarKind::Float;
  if (is_timestamp(text)) return ScalarKind::Timestamp;
  return ScalarKind::String;
}

std::string SpecNode::describe() const {
  switch (kind) {
    case Kind::Null: return "null";
    case Kind::Map: return "a mapping";
    case Kind::Seq: return "a list";
    case Kind::Scalar: break;
  }
  switch (scalar_kind()) {
    case ScalarKind::Null: return "null";
    case ScalarKind::Bool: return "a boolean";
    case ScalarKind::Int: return "an integer";
    case ScalarKind::Float: return "a number";
    case ScalarKind::Timestamp: return "a date";
    case ScalarKind::String: return "a string";
  }
  return "a string";
}

void merge_into(SpecNode& into, const SpecNode& from) {
  if (!into.is_map() || !from.is_map()) {
    into = from;
    return;
  }
  for (const auto& e : from.entries) {
    bool found = false;
    for (auto& mine : into.entries) {
      if (mine.key != e.key) continue;
      found = true;
      merge_into(mine.value, e.value);
      if (!e.value.is_map() || !mine.value.is_map()) {
        mine.key_pos = e.key_pos;
        mine.key_quoted = e.key_quoted;
      }
      break;
    }
    if (!found) into.entries.push_back(e);
  }
}

}  // namespace mvt::spec
