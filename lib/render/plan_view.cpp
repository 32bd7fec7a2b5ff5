#include "render/plan_view.hpp"

#include <set>
#include <string_view>

namespace mvt::render {

std::string symbol_for(plan::Action a) {
  switch (a) {
    case plan::Action::Create: return "+";
    case plan::Action::Update: return "~";
    case plan::Action::Replace: return "-/+";
    case plan::Action::Delete: return "-";
    case plan::Action::Activate: return "!";
    case plan::Action::Verify: return "=";
  }
  return "~";
}

std::string label_for(const plan::Step& s) {
  using plan::OpKind;
  switch (s.op.kind) {
    case OpKind::WriteFile:
      return s.action == plan::Action::Create ? "create file" : "update file";
    case OpKind::RemoveFile: return "remove file";
    case OpKind::DefineInterface:
      switch (s.action) {
        case plan::Action::Create: return "add to persistent config";
        case plan::Action::Delete: return "remove from persistent config";
        default: return "replace in persistent config";
      }
    case OpKind::LiveAttach: return "live attach";
    case OpKind::LiveDetach: return "live detach";
    case OpKind::Activate: return "activate: " + plan::to_string(s.op.method);
    case OpKind::Verify: return "verify";
  }
  return plan::to_string(s.action);
}

PlanView make_view(const plan::Plan& p, Mode mode) {
  PlanView v;
  v.mode = mode;
  v.plan = &p;
  v.warnings = p.warnings;
  std::map<std::string, HostView> hosts;
  // (host, target) -> the set of actions its steps take; guest of the resource.
  std::map<std::pair<std::string, std::string>, std::set<plan::Action>> resources;
  std::map<std::pair<std::string, std::string>, std::string> resource_guest;
  for (const auto& s : p.steps) {
    HostView& h = hosts[s.host];
    h.host = s.host;
    h.steps.push_back({&s, symbol_for(s.action), label_for(s)});
    ++v.summary.steps;
    if (s.action == plan::Action::Activate) {
      if (s.op.method == plan::ActivationMethod::Reboot ||
          s.op.method == plan::ActivationMethod::ColdRestart)
        ++v.summary.reboot_guests;
      // A cold restart carries the live differences no step of their own carries ("live
      // interface X"): they count as the interface's add / change / remove, merged with
      // the persistent step of the same interface when there is one.
      static constexpr std::string_view kLive = "live interface ";
      for (const auto& c : s.changes) {
        if (c.field.rfind(kLive, 0) != 0) continue;
        const std::string target =
            "guest/" + s.op.guest + "/interface/" + c.field.substr(kLive.size());
        const plan::Action a = !c.before ? plan::Action::Create
                               : !c.after ? plan::Action::Delete
                                              : plan::Action::Update;
        resources[{s.host, target}].insert(a);
        resource_guest[{s.host, target}] = s.op.guest;
      }
      continue;
    }
    if (s.action == plan::Action::Verify) continue;
    resources[{s.host, s.target}].insert(s.action);
    resource_guest[{s.host, s.target}] = s.op.guest;
  }
  for (const auto& [key, actions] : resources) {
    const bool only_create = actions == std::set<plan::Action>{plan::Action::Create};
    const bool only_delete = actions == std::set<plan::Action>{plan::Action::Delete};
    if (only_create)
      ++v.summary.add;
    else if (only_delete)
      ++v.summary.remove;
    else
      ++v.summary.change;
    HostView& h = hosts[key.first];
    ++h.resources;
    const std::string& g = resource_guest[key];
    if (!g.empty()) ++h.guests[g];
  }
  for (auto& [name, h] : hosts) v.hosts.push_back(std::move(h));
  v.hosts_considered = static_cast<int>(p.hosts.size());
  for (const auto& [name, st] : p.hosts)
    if (!st.observed) v.failed.push_back({name, st.uri, st.error});
  return v;
}

std::string summary_line(const PlanView& v) {
  const Summary& s = v.summary;
  const bool drift = v.mode == Mode::Drift;
  std::string failed;
  if (!v.failed.empty()) {
    const std::size_t n = v.failed.size();
    failed = std::to_string(n) + (n == 1 ? " host" : " hosts") + " NOT OBSERVED: ";
    for (std::size_t i = 0; i < n && i < 5; ++i) failed += (i ? ", " : "") + v.failed[i].host;
    if (n > 5) failed += " and " + std::to_string(n - 5) + " more";
    failed += ".";
  }
  if (s.steps == 0) {
    if (failed.empty())
      return drift ? "No drift. Live state matches the topology."
                   : "No changes. Live state matches the topology.";
    const int observed = v.hosts_considered - static_cast<int>(v.failed.size());
    if (observed <= 0) return "Nothing was compared; " + failed;
    return std::string(drift ? "No drift" : "No changes") + " on the " +
           std::to_string(observed) + (observed == 1 ? " observed host; " : " observed hosts; ") +
           failed;
  }
  std::string line = drift ? "Drift: " : "Plan: ";
  line += std::to_string(s.add) + " to add, " + std::to_string(s.change) + " to change, " +
          std::to_string(s.remove) + " to remove; " + std::to_string(s.reboot_guests) +
          (s.reboot_guests == 1 ? " guest needs a reboot." : " guests need a reboot.");
  if (!failed.empty()) line += " " + failed;
  return line;
}

}  // namespace mvt::render
