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
#include "util/diagnostics.hpp"

namespace mvt::render {

enum class Mode { Plan, Drift };

struct StepView {
  const plan::Step* step = nullptr;
  std::string symbol;  // "+", "~", "-", "-/+", "!" (activate), "=" (verify)
  std::string label;   // "create file", "persistent config", "live attach", "activate: reboot"
};

// One guest's part of a host's steps (the reviewer's unit): its resources added, changed and
// removed (counted as for the summary), whether a step is disruptive, and how it is activated.
// The host's own steps (its NIC files, the verification) form the group with no guest.
struct GuestGroup {
  std::string guest;                // empty: the host's own steps
  std::vector<std::size_t> steps;   // indices into HostView::steps, in plan order
  int add = 0;
  int change = 0;
  int remove = 0;
  bool disruptive = false;
  std::string activation;           // plan::to_string(method) of its Activate step, or empty
  bool restart() const { return activation == "reboot" || activation == "cold-restart"; }
};

struct HostView {
  std::string host;
  std::vector<StepView> steps;
  std::vector<GuestGroup> groups;     // the host's group first (when it has steps), then
                                      // guests in the order of their first step
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
  std::vector<std::string> warnings;  // the plan's own (live state, activation), sorted
  // Warnings about the spec (the loader's and the diff's diagnostics of severity warning),
  // set by the caller: the plan does not keep them, the reviewer of a PR must see them.
  std::vector<Diagnostic> spec_warnings;
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

// The plan's own warnings with identical findings about many guests merged: "host H: guest
// G<rest>" said for several guests of one host with the same rest becomes the first one and
// "(also N more guests: a, b, c, ...; -v lists all)". verbose: every warning as it is.
std::vector<std::string> plan_warning_lines(const std::vector<std::string>& warnings,
                                            bool verbose);

}  // namespace mvt::render
