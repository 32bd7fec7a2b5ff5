#pragma once
// node_exporter textfile-collector metrics for `drift --prometheus FILE` (text exposition
// format 0.0.4). Series:
//   macvtapctl_drift_success                      1 when the run completed, else 0
//   macvtapctl_drift_last_run_timestamp_seconds   Unix time of the run
//   macvtapctl_drift_host_observed{host}          1 when the host could be observed
//   macvtapctl_drift_host_resources{host}         resources that differ on the host
//   macvtapctl_drift_guest_resources{host,guest}  resources that differ in the guest
//   macvtapctl_drift_try_open{host}               1 when an unconfirmed `apply --try` is open
//                                                 on the host (its journal says "trying")
//   macvtapctl_drift_try_deadline_timestamp_seconds{host}  its deadline (open tries only)
// Every managed guest and host appears (0 when in sync), sorted, so alerts can tell "no
// drift" from "not checked".
#include <map>
#include <string>
#include <utility>

#include "render/plan_view.hpp"

namespace mvt::render {

struct DriftMetrics {
  bool success = false;
  long long timestamp = 0;  // seconds since the epoch
  std::map<std::string, bool> host_observed;
  std::map<std::string, int> host_resources;
  std::map<std::pair<std::string, std::string>, int> guest_resources;
  std::map<std::string, bool> try_open;             // every host of the run
  std::map<std::string, long long> try_deadline;    // open tries with a recorded deadline
};

// Fills the drift counts from a view; hosts/guests already present keep their entries
// (the caller lists every managed one first, with 0).
void add_view(DriftMetrics& m, const PlanView& v);

std::string render_prometheus(const DriftMetrics& m);

}  // namespace mvt::render
