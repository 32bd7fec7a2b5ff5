#include "util/diagnostic_groups.hpp"

#include <map>
#include <set>
#include <string_view>

namespace mvt {
namespace {

// The name quoted after `label` ("guest '") at or after `from`, and where it ends.
std::string_view quoted_after(std::string_view m, std::string_view label, std::size_t at) {
  const std::size_t b = at + label.size();
  const std::size_t e = m.find('\'', b);
  return e == std::string_view::npos ? std::string_view() : m.substr(b, e - b);
}

}  // namespace

std::string finding_of(const std::string& message) {
  std::string out;
  const std::string_view m = message;
  for (std::size_t i = 0; i < m.size();) {
    bool replaced = false;
    for (std::string_view label : {std::string_view("guest '"), std::string_view("interface '")}) {
      if (m.compare(i, label.size(), label) != 0) continue;
      const std::size_t close = m.find('\'', i + label.size());
      if (close == std::string_view::npos) break;
      out.append(label);
      out += "*'";
      i = close + 1;
      replaced = true;
      break;
    }
    if (!replaced) out += m[i++];
  }
  return out;
}

std::vector<DiagnosticGroup> group_diagnostics(const std::vector<Diagnostic>& items) {
  std::vector<DiagnosticGroup> out;
  std::vector<std::set<std::string>> guests;  // per group
  std::map<std::pair<std::string, std::string>, std::size_t> index;  // (rule, finding) -> group
  for (const auto& d : items) {
    std::string guest;
    if (const std::size_t at = d.message.find("guest '"); at != std::string::npos)
      guest = std::string(quoted_after(d.message, "guest '", at));
    if (d.severity == Severity::Warning) {
      auto [it, fresh] = index.emplace(std::make_pair(d.rule, finding_of(d.message)), out.size());
      if (!fresh) {
        DiagnosticGroup& g = out[it->second];
        ++g.count;
        if (!guest.empty()) guests[it->second].insert(guest);
        g.guests = guests[it->second].size();
        continue;
      }
    }
    DiagnosticGroup g;
    g.first = d;
    g.guests = guest.empty() ? 0 : 1;
    out.push_back(std::move(g));
    guests.emplace_back();
    if (!guest.empty()) guests.back().insert(guest);
  }
  return out;
}

std::string format_group(const DiagnosticGroup& g) {
  if (g.count == 1) return format_diagnostic(g.first);
  Diagnostic d = g.first;
  d.message += " (rule " + d.rule + ", " + std::to_string(g.count) + " times";
  if (g.guests > 0) d.message += " in " + std::to_string(g.guests) + (g.guests == 1 ? " guest" : " guests");
  d.message += ", the first here; -v lists all)";
  d.rule.clear();  // named in the message
  return format_diagnostic(d);
}

std::string format_diagnostics(const std::vector<Diagnostic>& items, bool verbose) {
  std::string out;
  if (verbose) {
    for (const auto& d : items) out += format_diagnostic(d) + "\n";
    return out;
  }
  for (const auto& g : group_diagnostics(items)) out += format_group(g) + "\n";
  return out;
}

}  // namespace mvt
