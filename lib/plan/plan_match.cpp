#include "plan/plan_match.hpp"

#include <algorithm>
#include <cstdio>

#include "plan/plan_json.hpp"

namespace mvt::plan {
namespace {

// A plan file is untrusted: its strings reach the terminal only escaped and bounded.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (out.size() > 200) return out + "...";
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string describe(const Step& s) {
  const Operation& op = s.op;
  std::string d = to_string(op.kind);
  switch (op.kind) {
    case OpKind::WriteFile:
    case OpKind::RemoveFile:
      d += op.scope == FileScope::Guest ? " guest " + op.guest : " host " + s.host;
      d += " " + (op.path.starts_with("/") ? op.path : "/" + op.path);
      break;
    case OpKind::DefineInterface:
    case OpKind::LiveAttach:
    case OpKind::LiveDetach:
      d += " guest " + op.guest + " " + op.mac;
      break;
    case OpKind::Activate:
      d += " guest " + op.guest;
      break;
    case OpKind::Verify:
      d += " host " + s.host;
      break;
  }
  return printable(d);
}

std::string label(std::size_t i, const Step& s) {
  return "step " + std::to_string(i + 1) + " (" + describe(s) + ")";
}

// Short values are quoted in the message; contents and XML are only named.
std::string differs(const std::string& field, const Json& fresh) {
  std::string m = field + " differs";
  if (field == "content" || field == "interface_xml" || field == "old_interface_xml" ||
      field == "changes" || field == "reason")
    return m;
  return m + " (the spec produces " + printable(fresh.is_string() ? fresh.get<std::string>()
                                                                   : fresh.dump()) +
         ")";
}

// The first member of saved that differs from fresh, or a member only one of them has.
std::optional<std::string> first_field(const Json& saved, const Json& fresh) {
  for (const auto& [k, v] : fresh.items()) {
    auto it = saved.find(k);
    if (it == saved.end()) return printable(k) + " missing";
    if (k == "operation" && v.is_object() && it->is_object()) {
      if (auto f = first_field(*it, v)) return f;
    } else if (*it != v) {
      return differs(k, v);
    }
  }
  for (const auto& [k, v] : saved.items())
    if (!fresh.contains(k)) return printable(k) + " is not produced by the spec";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> first_step_difference(const Plan& saved, const Plan& fresh) {
  const std::size_t n = std::min(saved.steps.size(), fresh.steps.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Json a = step_to_json(saved.steps[i]);
    const Json b = step_to_json(fresh.steps[i]);
    if (a == b) continue;
    if (auto f = first_field(a, b)) return label(i, saved.steps[i]) + ": " + *f;
  }
  if (saved.steps.size() > n)
    return label(n, saved.steps[n]) + ": not produced by the spec (" +
           std::to_string(saved.steps.size()) + " steps in the plan file, " +
           std::to_string(fresh.steps.size()) + " from the spec)";
  if (fresh.steps.size() > n)
    return label(n, fresh.steps[n]) + ": missing from the plan file (" +
           std::to_string(saved.steps.size()) + " steps in the plan file, " +
           std::to_string(fresh.steps.size()) + " from the spec)";
  return std::nullopt;
}

}  // namespace mvt::plan
