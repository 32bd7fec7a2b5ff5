// `macvtapctl drift -f PATH... [--format text|json|markdown] [--prometheus FILE]`: the plan's
// comparison, reported as drift (nightly, from a systemd timer). Read-only: writes nothing
// but the metrics FILE (atomically, for node_exporter's textfile collector), runs no command
// in a guest. Exit 0 in sync, 2 drift found, 1 error.
#include <chrono>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "plan_common.hpp"
#include "render/json.hpp"
#include "render/markdown.hpp"
#include "render/prometheus.hpp"
#include "render/text.hpp"
#include "try_cli.hpp"
#include "util/errors.hpp"

namespace mvt::cli {
namespace {

struct DriftOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string prometheus;
};

int run_drift(const DriftOptions& o, const GlobalOptions& g) {
  PlanRun run = compute_plan(o.paths, g, std::cerr);
  render::DriftMetrics m;
  m.success = run.ok;
  m.timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  m.host_observed = run.host_observed;
  for (const auto& [h, ok] : run.host_observed)
    if (ok) m.host_resources[h] = 0;
  for (const auto& gs : run.changes.guests) m.guest_resources[{gs.host, gs.guest}] = 0;
  int rc = 1;
  if (run.ok) {
    const auto view = render::make_view(run.plan, render::Mode::Drift);
    render::add_view(m, view);
    if (o.format == "json")
      std::cout << render::render_json(view);
    else if (o.format == "markdown")
      std::cout << render::render_markdown(view);
    else
      std::cout << render::render_text(view, {stdout_colour(g)});
    std::cout.flush();
    rc = run.plan.has_changes() ? 2 : 0;
  }
  {
    // Open --try per host (read-only: try_cli.hpp): in the text output, else on stderr.
    std::vector<std::string> hosts;
    for (const auto& [h, _] : run.host_observed) hosts.push_back(h);
    const bool text = run.ok && o.format == "text";
    auto scan = hosts.empty() ? apply::OpenTryScan{}
                              : report_open_tries(g, hosts, text ? std::cout : std::cerr,
                                                  text ? "" : "warning: ", std::cerr);
    for (const auto& h : hosts) m.try_open[h] = false;
    for (const auto& t : scan.tries) {
      m.try_open[t.host] = true;
      if (t.record) m.try_deadline[t.host] = t.record->deadline_epoch;
    }
  }
  if (!o.prometheus.empty()) {
    try {
      write_file_atomic(o.prometheus, render::render_prometheus(m));
    } catch (const Error& e) {
      std::cerr << "macvtapctl: error: " << terminal_safe(e.what()) << "\n";
      return 1;
    }
  }
  return rc;
}

}  // namespace

void add_drift(CLI::App& app, GlobalOptions& g, int* rc) {
  auto opts = std::make_shared<DriftOptions>();
  auto* sub = app.add_subcommand(
      "drift", "report where live state differs from the topology (read-only; exit 2 on drift)");
  add_spec_and_format_options(sub, opts->paths, opts->format);
  sub->add_option("--prometheus", opts->prometheus,
                  "write metrics for node_exporter's textfile collector (atomically)");
  sub->callback([opts, rc, &g] { *rc = run_drift(*opts, g); });
}

}  // namespace mvt::cli
