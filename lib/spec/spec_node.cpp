#include "spec/spec_node.hpp"

#include <string_view>

namespace mvt::spec {

const SpecNode* SpecNode::find(const std::string& key) const {
  if (kind != Kind::Map) return nullptr;
  for (const auto& e : entries)
    if (e.key == key) return &e.value;
  return nullptr;
}

bool parse_yaml_bool(const std::string& t, bool* out) {
  static const char* const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
  static const char* const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
  for (const char* s : yes)
    if (t == s) return *out = true, true;
  for (const char* s : no)
    if (t == s) return *out = false, true;
  return false;
}

namespace {

// PyYAML's YAML 1.1 int and float resolvers (without the sexagesimal forms), by hand: a
// std::regex recursed once per character and overflowed the stack on a long scalar of
// digits (fuzz_spec finding).
bool all_of(std::string_view s, bool (*ok)(char)) {
  if (s.empty()) return false;
  for (const char c : s)
    if (!ok(c)) return false;
  return true;
}
bool bin_(char c) { return c == '0' || c == '1' || c == '_'; }
bool oct_(char c) { return (c >= '0' && c <= '7') || c == '_'; }
bool dec_(char c) { return (c >= '0' && c <= '9') || c == '_'; }
bool dec(char c) { return c >= '0' && c <= '9'; }
bool hex_(char c) {
  return dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '_';
}
std::string_view unsigned_part(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  return s;
}

// [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
bool is_yaml11_int(std::string_view text) {
  const std::string_view s = unsigned_part(text);
  if (s.empty()) return false;
  if (s == "0") return true;
  if (s.size() > 2 && s.substr(0, 2) == "0b") return all_of(s.substr(2), bin_);
  if (s.size() > 2 && s.substr(0, 2) == "0x") return all_of(s.substr(2), hex_);
  if (s.front() == '0') return all_of(s.substr(1), oct_);
  return dec(s.front()) && (s.size() == 1 || all_of(s.substr(1), dec_));
}

// ([eE][-+][0-9]+)? at the end of a float.
bool exponent_ok(std::string_view e) {
  if (e.empty()) return true;
  if (e.size() < 3 || (e[0] != 'e' && e[0] != 'E') || (e[1] != '-' && e[1] != '+')) return false;
  return all_of(e.substr(2), dec);
}

// [-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? | \.[0-9_]+([eE][-+][0-9]+)?
// | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)
bool is_yaml11_float(std::string_view text) {
  if (text == ".nan" || text == ".NaN" || text == ".NAN") return true;
  const std::string_view s = unsigned_part(text);
  if (s == ".inf" || s == ".Inf" || s == ".INF") return true;
  const auto dot = s.find('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view whole = s.substr(0, dot);
  std::string_view rest = s.substr(dot + 1);
  const auto e = rest.find_first_of("eE");
  const std::string_view frac = rest.substr(0, e);
  const std::string_view exp = e == std::string_view::npos ? std::string_view{} : rest.substr(e);
  const bool frac_ok = frac.empty() || all_of(frac, dec_);
  if (whole.empty()) {  // \.[0-9_]+ : no sign allowed, at least one digit or '_'
    return s.size() == text.size() && !frac.empty() && frac_ok && exponent_ok(exp);
  }
  return dec(whole.front()) && (whole.size() == 1 || all_of(whole.substr(1), dec_)) &&
         frac_ok && exponent_ok(exp);
}

}  // namespace

ScalarKind SpecNode::scalar_kind() const {
  if (kind == Kind::Null) return ScalarKind::Null;
  if (kind != Kind::Scalar) return ScalarKind::String;
  if (quoted) return ScalarKind::String;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return ScalarKind::Null;
  bool b = false;
  if (parse_yaml_bool(text, &b)) return ScalarKind::Bool;
  // Every int and float spelling below starts with a sign, a digit or '.': anything else is
  // a string without running the regexes (they dominated loading a 10,000-guest spec).
  if (std::string_view("+-.0123456789").find(text.front()) == std::string_view::npos)
    return ScalarKind::String;
  if (is_yaml11_int(text)) return ScalarKind::Int;
  if (is_yaml11_float(text)) return ScalarKind::Float;
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
      if (!e.value.is_map() || !mine.value.is_map()) mine.key_pos = e.key_pos;
      break;
    }
    if (!found) into.entries.push_back(e);
  }
}

}  // namespace mvt::spec
