// `macvtapctl plan -f PATH... [--format text|json|markdown] [-o PLANFILE]
//  [--detailed-exitcode] [--batch N] [--max-bytes N]`: what apply would do, in order, and why. Read-only: writes nothing
// but PLANFILE, runs no command in a guest. Exit 0 (1 on error); with --detailed-exitcode
// 0 no changes, 1 error, 2 changes. A host that cannot be observed is reported in every
// format while the other hosts are planned, and the exit code is 1 (detailed or not).
// --batch N: the plan in batches of at most N restarted guests per host (plan/batches.hpp),
// shown as batch headers (text), a Batch column (markdown), `batch`/`batches` (JSON) and
// saved in PLANFILE.
#include <iostream>
#include <memory>

#include "cli_habits.hpp"
#include "commands.hpp"
#include "plan/batches.hpp"
#include "plan/plan_file.hpp"
#include "plan_common.hpp"
#include "render/json.hpp"
#include "render/markdown.hpp"
#include "render/text.hpp"
#include "try_cli.hpp"
#include "util/errors.hpp"

namespace mvt::cli {
namespace {

struct PlanOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string out;
  bool detailed = false;
  int batch = 0;  // --batch N (plan/batches.hpp); 0 = not batched
  std::size_t max_bytes = render::kMarkdownMaxBytes;  // --max-bytes N (markdown)
};

int run_plan(const PlanOptions& o, const GlobalOptions& g) {
  PlanRun run = compute_plan(o.paths, g, std::cerr);
  {
    // An open --try (read-only: try_cli.hpp) is a warning: the plan is against its state.
    std::vector<std::string> hosts;
    for (const auto& [h, _] : run.host_observed) hosts.push_back(h);
    if (!hosts.empty()) report_open_tries(g, hosts, std::cerr, "warning: ", std::cerr);
  }
  if (!run.ok) return 1;
  plan::apply_batches(run.plan, o.batch);
  auto view = render::make_view(run.plan, render::Mode::Plan);
  view.spec_warnings = run.spec_warnings;
  if (o.format == "json")
    std::cout << render::render_json(view);
  else if (o.format == "markdown")
    std::cout << render::render_markdown(view, {o.max_bytes});
  else
    std::cout << render::render_text(view, {stdout_colour(g), g.verbose > 0});
  std::cout.flush();
  if (!o.out.empty()) {
    // With a host not observed the plan is still saved (its hosts' statuses recorded): it
    // covers the observed hosts only. apply re-observes and re-plans anyway and refuses the
    // file when the fresh plan differs (e.g. that host has become reachable and has steps).
    try {
      write_file_atomic(o.out, plan::save_plan(run.plan));
    } catch (const Error& e) {
      std::cerr << "macvtapctl: error: " << terminal_safe(e.what()) << "\n";
      return 1;
    }
    // apply re-reads the spec (to re-observe and refuse a stale plan), so the hint names it.
    std::string spec_args;
    for (const auto& f : o.paths) spec_args += " -f " + f;
    std::cerr << "Saved the plan to " << o.out << "; apply it with `macvtapctl apply " << o.out << spec_args
              << "`.\n";
    if (run.hosts_failed())
      std::cerr << "macvtapctl: note: the saved plan covers the observed hosts only; the hosts "
                   "not observed are recorded in it as such\n";
  }
  // A host that was not observed is an error, whatever else there is (--detailed-exitcode
  // included): 2 would read as "changes, all planned".
  if (run.hosts_failed()) return 1;
  if (o.detailed && run.plan.has_changes()) return 2;
  return 0;
}

}  // namespace

void add_plan(CLI::App& app, GlobalOptions& g, int* rc) {
  auto opts = std::make_shared<PlanOptions>();
  auto* sub = app.add_subcommand(
      "plan", "show the ordered changes that would bring live state to the topology (read-only)");
  add_spec_and_format_options(sub, opts->paths, opts->format);
  sub->add_option("-o,--out", opts->out,
                  "also save the plan (with a fingerprint of the live state) for `apply`; a bare "
                  "format name (json, text, markdown, md) is refused: use --format, or ./NAME")
      ->check(plan_file_not_a_format());
  sub->add_flag("--detailed-exitcode", opts->detailed,
                "exit 0 when there is nothing to do, 2 when there are changes, 1 on error");
  sub->add_option("--batch", opts->batch,
                  "restart at most N guests at a time per host: the disruptive guests are cut into "
                  "batches, each verified before the next starts (0: no batches)")
      ->check(CLI::NonNegativeNumber);
  add_max_bytes_option(sub, opts->max_bytes);
  sub->callback([opts, rc, &g] { *rc = run_plan(*opts, g); });
}

}  // namespace mvt::cli
