#pragma once
// The one view model every renderer (text, JSON, markdown, Prometheus) draws from, so they
// can never disagree: steps grouped by host with their symbol and label, the summary
// counts, and drift counts per host and guest.
//
// Counting: a "resource" is a (host, target) pair; its steps other than activation and
// verification decide whether it is added (only creates), removed (only deletes) or
// changed (anything else, e.g. a replace, or a live detach + attach). A guest "needs a
// reboot" when its activation is a reboot or a cold restart.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "plan/plan.hpp"

namespace mvt::render {

enum class Mode { Plan, Drift };

struct StepView {
  const plan::Step* step = nullptr;
  std::string symbol;  // "+", "~", "-", "-/+", "!" (activate), "=" (verify)
  std::string label;   // "create file", "persistent config", "live attach", "activate: reboot"
};

struct HostView {
  std::string host;
  std::vector<StepView> steps;
  int resources = 0;                  // resources that differ on this host
  std::map<std::string, int> guests;  // resources per guest (guest-scoped steps)
};

struct Summary {
  int add = 0;
  int change = 0;
  int remove = 0;
  int reboot_guests = 0;
  int steps = 0;
  int resources() const { return add + change + remove; }
};

// A host of the plan that could not be observed (plan::HostStatus::observed false): it has
// no steps, and every renderer names it, its URI and the reason (issue 13).
struct FailedHost {
  std::string host;
  std::string uri;
  std::string error;
};

struct PlanView {
  Mode mode = Mode::Plan;
  const plan::Plan* plan = nullptr;
  std::vector<HostView> hosts;  // sorted by name; hosts without steps omitted
  Summary summary;
  std::vector<std::string> warnings;
  std::vector<FailedHost> failed;  // sorted by name
  int hosts_considered = 0;        // plan.hosts.size()
};

PlanView make_view(const plan::Plan& p, Mode mode);

std::string symbol_for(plan::Action a);
std::string label_for(const plan::Step& s);
// "Plan: 5 to add, 2 to change, 0 to remove; 1 guest needs a reboot." (prefix "Drift:" in
// drift mode), or the no-change sentence. With hosts not observed, the sentence says so and
// names them ("... 1 host NOT OBSERVED: kvm3."), and never claims that live state matches.
std::string summary_line(const PlanView& v);

}  // namespace mvt::render
