#pragma once
// What `plan` and `drift` share: load the spec, then the one pipeline of lib/reconcile
// (--host/--connect and the trust guard, observe read-only, diff, plan), and print its
// diagnostics on `err`; nothing is written and no command runs in a guest.
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "commands.hpp"
#include "diff/change_set.hpp"
#include "model/topology.hpp"
#include "plan/plan.hpp"
#include "reconcile/reconcile.hpp"
#include "spec/guard.hpp"

namespace mvt::cli {

// `-f,--file` (required, repeatable) and `--format text|json|markdown`: shared by plan and drift.
void add_spec_and_format_options(CLI::App* sub, std::vector<std::string>& paths,
                                 std::string& format);

// `--max-bytes N` (plan and drift): the size limit of `--format markdown`
// (render/markdown.hpp); at least 1024.
void add_max_bytes_option(CLI::App* sub, std::size_t& max_bytes);

// A host that cannot be observed (unreachable, or errors of its own: an undefined guest,
// unreadable or unsafe files) is not fatal: the run is `ok`, the plan covers the other hosts,
// and plan.hosts says which host failed and why (a line on `err` too). The caller renders
// the plan with the failures and exits 1 (hosts_failed()).
struct PlanRun {
  bool ok = false;                  // false: a fatal error was reported (exit 1, nothing to render)
  plan::Plan plan;                  // meaningful when ok
  diff::ChangeSet changes;          // guests and warnings, even when !ok
  std::map<std::string, bool> host_observed;  // every host considered
  // The warnings of the spec and the diff (printed on `err` too): markdown and JSON carry
  // them (PlanView::spec_warnings).
  std::vector<Diagnostic> spec_warnings;
  bool hosts_failed() const { return !plan.unobserved_hosts().empty(); }
};

// --host, --connect and the trust guard (--allow-uri/--allow-root/..., MVT_ALLOW_*) as the
// pipeline's selection.
reconcile::Selection selection_for(const GlobalOptions& g);

// reconcile::select() with selection_for(g): false, with the reason on `err`, when any
// refuses (apply selects before it opens its connections).
bool narrow_topology(Topology& topo, const GlobalOptions& g, std::ostream& err);

// The trust guard of the command line and the environment (--allow-*, MVT_ALLOW_*).
Guard guard_for(const GlobalOptions& g);

PlanRun compute_plan(const std::vector<std::string>& paths, const GlobalOptions& g,
                     std::ostream& err);

// Writes bytes to path atomically (temp file in the same directory, fsync, rename).
// Throws SystemError.
void write_file_atomic(const std::string& path, const std::string& bytes, unsigned mode = 0644);

// Whether to colour text output: --color, NO_COLOR, and whether stdout is a terminal.
bool stdout_colour(const GlobalOptions& g);

}  // namespace mvt::cli
