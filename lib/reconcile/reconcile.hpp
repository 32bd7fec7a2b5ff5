#pragma once
// The one pipeline of the tool: guard -> observe -> diff -> plan. Every command that looks at
// live state goes through it, so a check (the trust guard, the per-host failure isolation,
// the fatal-error rule) is written once and never forgotten (STYLE.md: Terraform's local
// backend):
//  - `plan` and `drift`: run() over the loaded spec, up to the plan;
//  - `show`: run() up to the observation (cmd renders it as a spec, observe/to_topology);
//  - `apply`: select() before its connections open, then apply::LiveSession runs
//    reconcile() over those connections for its first plan and every verification re-plan.
//
// Failure isolation (issue 13): each host is observed as its own task of the thread pool
// (observe/parallel_observe.hpp); a host that cannot be connected, whose observation throws
// or times out, or whose diff has errors of its own (an undefined guest, unsafe files) is
// recorded in Result::hosts (observed=false, URI, why) and left out; the other hosts are
// planned as usual. A diff error that belongs to no failed host would be a bug, and is fatal.
//
// Read-only unless Options::observe says otherwise: the default observer opens read-only
// connections and file sources and runs no command in a guest. The library never prints:
// whatever the operator must see is in Result::diagnostics (in the order found).
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "diff/change_set.hpp"
#include "diff/diff.hpp"
#include "model/observed.hpp"
#include "model/topology.hpp"
#include "observe/parallel_observe.hpp"
#include "plan/plan.hpp"
#include "spec/guard.hpp"
#include "util/diagnostics.hpp"

namespace mvt::reconcile {

// Which hosts of the spec, reached how, and what may be connected to: the command line's
// --host, --connect and --allow-* (with MVT_ALLOW_*).
struct Selection {
  std::vector<std::string> hosts;  // keep only these hosts (each must be in the spec)
  std::string connect;             // the URI of a one-host spec (after `hosts`)
  Guard guard;                     // checked on what is left
};

// The guard stage: narrows `desired` by sel.hosts and sel.connect, then checks the trust
// guard. False when any refuses; the reasons are appended to `diags` ("macvtapctl: error:
// --host kvm9: no such host in the spec (hosts: ...)", the guard's positioned errors).
bool select(Topology& desired, const Selection& sel, Diagnostics& diags);

// How far to go.
enum class Until { Observe, Diff, Plan };

struct Options {
  Until until = Until::Plan;
  // Hosts observed at once, and guests' dir:/local files read at once within a host.
  int parallel = kDefaultParallel;
  std::chrono::milliseconds host_timeout{0};  // a host observed longer is failed; 0: no limit
  // Per host, on the calling thread (ParallelOptions::progress); may be empty.
  std::function<void(const HostProgress&)> progress;
  // Observes one host, given its observation_view() (ParallelOptions::observe). Empty: a
  // read-only connection and read-only file sources per host (plan, drift, show).
  std::function<HostObservation(const Host&)> observe;
  // false: only the SHA-256 of each domain XML is kept (plan and drift: the fingerprints).
  bool keep_domain_xml = false;
  diff::DiffOptions diff;
  std::string spec_digest;  // recorded in the plan
};

struct Result {
  // false: a fatal error (refused by the guard, a diff error of no failed host); the reason
  // is in `diagnostics` and there is nothing to render. A host that failed is NOT fatal.
  bool ok = false;
  Diagnostics diagnostics;  // guard, then the diff's (sorted), in that order
  Observation observation;  // Until::Observe only (later stages free it once diffed)
  diff::ChangeSet changes;  // Until::Diff and Until::Plan
  plan::Plan plan;          // Until::Plan, when ok
  // Every host considered: observed, or the URI and why not.
  std::map<std::string, plan::HostStatus> hosts;
  // Names of the hosts not observed, sorted.
  std::vector<std::string> failed_hosts() const;
};

// The whole pipeline: select(), then reconcile(). `desired` is consumed: it and the
// observation are freed once diffed, before the plan is built (at 10,000 guests ~100 MB).
Result run(Topology desired, const Selection& sel, const Options& options);

// observe -> diff -> plan over an already selected topology (apply::LiveSession, whose
// connections were opened for it).
Result reconcile(const Topology& desired, const Options& options);

}  // namespace mvt::reconcile
