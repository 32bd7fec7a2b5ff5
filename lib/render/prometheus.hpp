#pragma once
// node_exporter textfile-collector metrics for `drift --prometheus FILE` (text exposition
// format 0.0.4; `promtool check metrics` clean). Series, each with HELP and TYPE (gauges):
//   macvtapctl_drift_success                         1 when this run checked every host (all
//                                                    observed and compared, no error), else 0;
//                                                    drift found is still a success
//   macvtapctl_drift_last_run_timestamp_seconds      Unix time of this run
//   macvtapctl_drift_last_success_timestamp_seconds  Unix time of the last successful run: this
//                                                    one, or carried over from the previous
//                                                    FILE when this one failed (absent when no
//                                                    run has succeeded yet)
//   macvtapctl_drift_run_duration_seconds            how long this run took
//   macvtapctl_drift_host_observed{host}             1 when the host was observed and compared,
//                                                    0 when not (unreachable, unreadable files, an
//                                                    undefined guest); every host of the spec
//   macvtapctl_drift_host_resources{host}            resources that differ on the host
//   macvtapctl_drift_guest_resources{host,guest}     resources that differ in the guest
// Resource series exist for observed hosts only (0 when in sync), never for a host that was
// not seen: "no drift" and "not checked" cannot be confused, and one unreachable host
// changes its own series only. Sorted, byte-stable.
//   macvtapctl_drift_try_open{host}               1 when an unconfirmed `apply --try` is open
//                                                 on the host (its journal says "trying")
//   macvtapctl_drift_try_deadline_timestamp_seconds{host}  its deadline (open tries only)
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "render/plan_view.hpp"

namespace mvt::render {

struct DriftMetrics {
  bool success = false;
  long long timestamp = 0;                    // seconds since the epoch
  std::optional<long long> last_success;      // seconds since the epoch
  double duration_seconds = 0;
  std::map<std::string, bool> host_observed;  // every host
  std::map<std::string, int> host_resources;  // observed hosts only
  std::map<std::pair<std::string, std::string>, int> guest_resources;  // their guests only
  std::map<std::string, bool> try_open;             // every host of the run
  std::map<std::string, long long> try_deadline;    // open tries with a recorded deadline
  // The hosts this run was limited to (`--host`), joined by ","; empty: the whole spec. When
  // set, the run-level series (success, timestamps, duration) carry {selection="..."}, so that
  // one run per host, each into its own file of the textfile collector, gives distinct series.
  std::string selection;
};

// Fills the drift counts from a view; hosts/guests already present keep their entries
// (the caller lists every managed one of an observed host first, with 0).
void add_view(DriftMetrics& m, const PlanView& v);

std::string render_prometheus(const DriftMetrics& m);

// The last-success time in a metrics file this renderer wrote (the previous run's FILE),
// read strictly: the one line "macvtapctl_drift_last_success_timestamp_seconds N" with N
// 1 to 12 decimal digits. Anything else - another format, garbage, a value out of range,
// the name twice with different values, more than kMaxPreviousMetricsBytes - gives nullopt:
// the file is the operator's, but its content is not trusted.
inline constexpr std::size_t kMaxPreviousMetricsBytes = std::size_t{4} << 20;
std::optional<long long> previous_last_success(std::string_view text,
                                               const std::string& selection = {});

}  // namespace mvt::render
