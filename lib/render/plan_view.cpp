#include "render/plan_view.hpp"

#include <algorithm>
#include <optional>
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
  // Per guest: its steps, and its resources counted as above.
  for (auto& [name, h] : hosts) {
    std::map<std::string, std::size_t> at;  // guest -> index in h.groups
    if (std::any_of(h.steps.begin(), h.steps.end(),
                    [](const StepView& sv) { return sv.step->op.guest.empty(); })) {
      at.emplace("", 0);
      h.groups.push_back({});
    }
    for (std::size_t k = 0; k < h.steps.size(); ++k) {
      const plan::Step& s = *h.steps[k].step;
      auto [it, fresh] = at.emplace(s.op.guest, h.groups.size());
      if (fresh) h.groups.push_back({s.op.guest, {}, 0, 0, 0, false, {}});
      GuestGroup& g = h.groups[it->second];
      g.steps.push_back(k);
      g.disruptive = g.disruptive || s.disruptive;
      if (s.action == plan::Action::Activate) g.activation = plan::to_string(s.op.method);
    }
    for (const auto& [key, actions] : resources) {
      if (key.first != name) continue;
      auto it = at.find(resource_guest[key]);
      if (it == at.end()) continue;
      GuestGroup& g = h.groups[it->second];
      if (actions == std::set<plan::Action>{plan::Action::Create})
        ++g.add;
      else if (actions == std::set<plan::Action>{plan::Action::Delete})
        ++g.remove;
      else
        ++g.change;
    }
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

std::vector<std::string> plan_warning_lines(const std::vector<std::string>& warnings,
                                            bool verbose) {
  if (verbose) return warnings;
  // "host H: guest G" then ": ..." or " ...": the guest's name ends at the first ':' or ' '.
  struct Split {
    std::string host, guest, rest;
  };
  auto split = [](const std::string& w) -> std::optional<Split> {
    static constexpr std::string_view kHost = "host ", kGuest = ": guest ";
    if (w.rfind(kHost, 0) != 0) return std::nullopt;
    const std::size_t g = w.find(kGuest);
    if (g == std::string::npos) return std::nullopt;
    const std::size_t b = g + kGuest.size();
    const std::size_t e = w.find_first_of(": ", b);
    if (e == std::string::npos || e == b) return std::nullopt;
    return Split{w.substr(kHost.size(), g - kHost.size()), w.substr(b, e - b), w.substr(e)};
  };
  std::vector<std::string> out;
  std::vector<std::vector<std::string>> others;  // per line of out: the guests merged into it
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (const auto& w : warnings) {
    const auto sp = split(w);
    if (sp) {
      auto [it, fresh] = index.emplace(std::make_pair(sp->host, sp->rest), out.size());
      if (!fresh) {
        others[it->second].push_back(sp->guest);
        continue;
      }
    }
    out.push_back(w);
    others.emplace_back();
  }
  for (std::size_t k = 0; k < out.size(); ++k) {
    const auto& o = others[k];
    if (o.empty()) continue;
    std::string names;
    for (std::size_t i = 0; i < o.size() && i < 3; ++i) names += (i ? ", " : "") + o[i];
    if (o.size() > 3) names += ", ...";
    out[k] += " (also " + std::to_string(o.size()) + (o.size() == 1 ? " more guest: " : " more guests: ") +
              names + "; -v lists all)";
  }
  return out;
}

}  // namespace mvt::render
