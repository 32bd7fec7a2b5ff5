// `macvtapctl drift -f PATH... [--format text|json|markdown] [--max-bytes N] [--prometheus FILE]`: the plan's
// comparison, reported as drift (nightly, from a systemd timer). Read-only: writes nothing
// but the metrics FILE (atomically, for node_exporter's textfile collector), runs no command
// in a guest. Exit 0 in sync, 2 drift found, 1 error - also when any host could not be
// observed (the others are still reported, and their metrics written).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
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
  std::size_t max_bytes = render::kMarkdownMaxBytes;  // --max-bytes N (markdown)
};

// The previous run's metrics FILE (the one the operator named, nothing else), read for its
// last-success time only: no symlink followed, a regular file only, never blocking (a FIFO),
// at most kMaxPreviousMetricsBytes. Absent or unusable: nullopt (a note on err when garbled).
std::optional<long long> read_previous_last_success(const std::string& path,
                                                   const std::string& selection,
                                                   std::ostream& err) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;  // first run (ENOENT), or not ours to read
  std::string text;
  struct stat st {};
  bool usable = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                static_cast<std::size_t>(st.st_size) <= render::kMaxPreviousMetricsBytes;
  if (usable) {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        usable = false;
        break;
      }
      if (n == 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      if (text.size() > render::kMaxPreviousMetricsBytes) {
        usable = false;
        break;
      }
    }
  }
  ::close(fd);
  auto v = usable ? render::previous_last_success(text, selection) : std::nullopt;
  if (!v && (!usable || text.find("macvtapctl_drift_last_success_timestamp_seconds") !=
                            std::string::npos))
    err << "macvtapctl: warning: " << terminal_safe(path)
        << ": no usable last-success time in the previous metrics (not a regular file, too "
           "large, or garbled); it is not carried over\n";
  return v;
}

int run_drift(const DriftOptions& o, const GlobalOptions& g) {
  const auto started = std::chrono::steady_clock::now();
  PlanRun run = compute_plan(o.paths, g, std::cerr);
  const bool failed = !run.ok || run.hosts_failed();
  int rc = 1;
  std::optional<render::PlanView> view;
  if (run.ok) {
    view = render::make_view(run.plan, render::Mode::Drift);
    view->spec_warnings = run.spec_warnings;
    if (o.format == "json")
      std::cout << render::render_json(*view);
    else if (o.format == "markdown")
      std::cout << render::render_markdown(*view, {o.max_bytes});
    else
      std::cout << render::render_text(*view, {stdout_colour(g), g.verbose > 0});
    std::cout.flush();
    rc = failed ? 1 : run.plan.has_changes() ? 2 : 0;
  }
  render::DriftMetrics m;
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
    std::vector<std::string> selected = g.hosts;
    std::sort(selected.begin(), selected.end());
    selected.erase(std::unique(selected.begin(), selected.end()), selected.end());
    for (const auto& h : selected) m.selection += (m.selection.empty() ? "" : ",") + h;
    m.success = !failed;
    m.timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    // Only observed hosts and their guests get resource series (0 when in sync).
    m.host_observed = run.host_observed;
    if (run.ok) {
      for (const auto& [h, ok] : run.host_observed)
        if (ok) m.host_resources[h] = 0;
      for (const auto& gs : run.changes.guests)
        if (run.host_observed.count(gs.host) && run.host_observed.at(gs.host))
          m.guest_resources[{gs.host, gs.guest}] = 0;
      render::add_view(m, *view);
    }
    m.last_success =
        m.success ? std::optional<long long>(m.timestamp) : read_previous_last_success(o.prometheus, m.selection, std::cerr);
    m.duration_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
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
                  "write metrics for node_exporter's textfile collector (atomically); the "
                  "last-success time is carried over from the previous FILE");
  add_max_bytes_option(sub, opts->max_bytes);
  sub->callback([opts, rc, &g] { *rc = run_drift(*opts, g); });
}

}  // namespace mvt::cli
