#include "spec/spec_node.hpp"

#include <regex>
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
  // PyYAML's YAML 1.1 int and float resolvers (without the sexagesimal forms).
  static const std::regex int_re(
      R"([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)");
  static const std::regex float_re(
      R"([-+]?([0-9][0-9_]*)\.[0-9_]*([eE][-+][0-9]+)?|\.[0-9_]+([eE][-+][0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
  if (std::regex_match(text, int_re)) return ScalarKind::Int;
  if (std::regex_match(text, float_re)) return ScalarKind::Float;
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
