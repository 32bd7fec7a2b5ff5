#include "reconcile/reconcile.hpp"

#include <algorithm>
#include <exception>

#include "plan/planner.hpp"
#include "util/errors.hpp"

namespace mvt::reconcile {
namespace {

// An error of the run itself (no file position): printed as "macvtapctl: error: MESSAGE".
void tool_error(Diagnostics& d, std::string message) {
  d.add(Diagnostic{Severity::Error, "", std::move(message), SourcePos{"macvtapctl"}, ""});
}

// observe -> diff -> plan; `owned`, when given, is the caller's copy of `desired`, freed
// (with the observation) once diffed.
Result pipeline(const Topology& desired, Topology* owned, const Options& o, Result r) {
  ObserveOptions oo;
  oo.read_only = true;
  oo.file_parallel = o.parallel;
  oo.keep_domain_xml = o.keep_domain_xml;
  ParallelOptions po;
  po.parallel = o.parallel;
  po.host_timeout = o.host_timeout;
  po.progress = o.progress;
  po.observe = o.observe;
  try {
    r.observation = observe_parallel(desired, oo, po);
  } catch (const std::exception& e) {  // a host's own failure never lands here: it is recorded
    tool_error(r.diagnostics, e.what());
    return r;
  }
  if (o.until == Until::Observe) {
    for (const auto& [name, h] : r.observation.hosts)
      r.hosts[name] = plan::HostStatus{h.reachable, h.uri, h.reachable ? "" : h.error};
    r.ok = true;
    return r;
  }
  r.changes = diff::compute(desired, r.observation, o.diff);
  // The changes hold all that is needed from here on: the observation and the topology go
  // before the plan is built, so that their memory is reused.
  r.observation = Observation{};
  if (owned) *owned = Topology{};
  r.diagnostics.append(r.changes.diagnostics);
  r.hosts = r.changes.hosts;
  // Every error of the diff belongs to a host that failed (diff::compute); an error without
  // one would be a bug, and is fatal rather than silently planned past.
  if (r.changes.diagnostics.has_errors() && r.failed_hosts().empty()) return r;
  if (o.until == Until::Plan) r.plan = plan::make_plan(r.changes, o.spec_digest);
  r.ok = true;
  return r;
}

}  // namespace

std::vector<std::string> Result::failed_hosts() const {
  std::vector<std::string> out;
  for (const auto& [name, st] : hosts)
    if (!st.observed) out.push_back(name);
  return out;
}

bool select(Topology& desired, const Selection& sel, Diagnostics& diags) {
  if (!sel.hosts.empty()) {
    bool bad = false;
    for (const auto& h : sel.hosts)
      if (!desired.hosts.count(h)) {
        std::string known;
        for (const auto& [n, _] : desired.hosts) known += (known.empty() ? "" : ", ") + n;
        tool_error(diags, "--host " + h + ": no such host in the spec (hosts: " + known + ")");
        bad = true;
      }
    if (bad) return false;
    std::erase_if(desired.hosts, [&](const auto& kv) {
      return std::find(sel.hosts.begin(), sel.hosts.end(), kv.first) == sel.hosts.end();
    });
  }
  if (!sel.connect.empty()) {
    if (desired.hosts.size() != 1) {
      tool_error(diags, "--connect needs exactly one host (the spec has " +
                            std::to_string(desired.hosts.size()) + "; use --host NAME)");
      return false;
    }
    desired.hosts.begin()->second.uri = sel.connect;
    desired.hosts.begin()->second.pos["uri"] = SourcePos{"--connect"};
  }
  Diagnostics gd;
  check_guard(desired, sel.guard, gd);
  diags.append(gd);
  return !gd.has_errors();
}

Result run(Topology desired, const Selection& sel, const Options& options) {
  Result r;
  if (!select(desired, sel, r.diagnostics)) return r;
  return pipeline(desired, &desired, options, std::move(r));
}

Result reconcile(const Topology& desired, const Options& options) {
  return pipeline(desired, nullptr, options, Result{});
}

}  // namespace mvt::reconcile
