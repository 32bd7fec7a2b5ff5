// `macvtapctl apply -f PATH... [PLANFILE] [--yes] [--try[=SECONDS]] [--no-rollback]
//  [--format text|json] [--progress auto|always|never]`: one path per -f, PLANFILE before or
// after them;
// re-reads the live state over read-write connections, shows the plan, asks for
// confirmation on a terminal (refuses to run unattended without --yes), then executes it
// journaled (lib/apply/executor.hpp), verifies by re-planning, and rolls back on failure.
//  - Several hosts (issue 13): applied independently, ONE AT A TIME IN ORDER OF HOST NAME
//    (one host's output at a time stays readable; a bad spec breaks at most one host before
//    it shows; `--parallel` still governs the observation before the apply). Each host has
//    its own lock, journal, steps and verification (its re-plan observes that host only; its
//    guest checks cover the guests this apply touched there, all of them when a host file
//    changed). A host that fails is rolled back alone; hosts applied before it stay applied,
//    the hosts after it still run. A host that could not be reached or observed is never
//    touched: a block names host, URI and libvirt's message. A "Summary:" names each
//    host's outcome, one line each.
//  - PLANFILE (saved by `plan -o`): a commitment, not a program. Refused when corrupted
//    (integrity digest, plan_file.hpp), made for another spec (digest), stale (a fact it was
//    planned against moved: "stale plan: FACT changed"; checked first), or when its steps
//    differ from the plan recomputed from the spec and the live state ("plan file does not
//    match what the spec produces: step N (...): FIELD differs", plan_match.hpp). Then the
//    recomputed plan is executed, never the file's steps.
//  - --try[=SECONDS] (default 120): after every host was applied, wait for `macvtapctl
//    confirm` (all waiting hosts) or `macvtapctl --host H confirm` (only H) from another
//    shell; at the deadline (or on Ctrl-C) each unconfirmed host is rolled back alone, the
//    confirmed ones are kept.
//    The deadline is in the journal, and a systemd timer reverts it where systemd runs,
//    should this process die (lib/apply/try_deadline.hpp, try_timer.hpp); apply itself first
//    rolls back an expired try of its hosts, and refuses to apply over an unexpired one whose
//    waiting process is gone.
//  - --batch N (plan/batches.hpp, executor.hpp): per host, at most N guests restarted at a
//    time; each batch is verified before the next; a failed batch is rolled back alone, the
//    batches before it stay applied (journal marked applied: `rollback` undoes them), the
//    ones after are not started; the host fails ("stopped at batch K of M"). A plan file
//    carries its batch size and is run with it; a different --batch is refused.
//    With --try, a host stopped at batch K > 1 keeps its verified batches (committed, not
//    waited for): it failed, and `macvtapctl --host H rollback` undoes them.
//  - --no-rollback: a failed step or verification leaves the finished steps in place
//    (`macvtapctl rollback` undoes them later).
//  - Verification (lib/apply/verify.hpp), printed as "Verification:" lines whether it passed
//    or not: per interface MAC equality (host macvtap = guest interface), the guest's routing
//    table against the spec, reachability of the gateways pinged from inside the guest (a
//    macvtap host cannot reach its own guests). A failed check is a failed apply: exit 1,
//    rolled back like a failed step (with --try before any waiting), unless --no-rollback.
//    Only the guests this apply touched on the host are checked (every guest of the host
//    when a host file changed). A check that waits for an activation the spec left out (`activate: none`) is a
//    "pending activation" line and does not fail the apply; `verify: {reach: warn}` makes a
//    silent gateway a WARNING, `reach: false` skips the ping (verify.hpp).
//  - Output: each step's progress on stderr when it is a terminal (--progress, apply_output.hpp);
//    --format json prints the result as one document (schemas/apply-result.schema.json) on
//    stdout, the text report on stderr. "verified" is said only when every check ran
//    (apply::tally_verification): skipped or pending checks are named as such.
// Exit 0: every selected host applied (or had nothing to do: "No changes."); 1: refused, or
// any host failed, was not observed, or (--try) was not confirmed.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "apply/executor.hpp"
#include "apply/live_session.hpp"
#include "apply_output.hpp"
#include "commands.hpp"
#include "plan_common.hpp"
#include "plan/batches.hpp"
#include "plan/plan_file.hpp"
#include "plan/plan_match.hpp"
#include "render/plan_view.hpp"
#include "render/text.hpp"
#include "spec/guard.hpp"
#include "spec/loader.hpp"
#include "try_cli.hpp"
#include "util/errors.hpp"

namespace mvt::cli {
namespace {

struct ApplyCliOptions {
  std::vector<std::string> paths;
  std::string plan_file;
  bool yes = false;
  int try_seconds = 0;  // 0: no --try
  bool no_rollback = false;
  int batch = 0;  // --batch N; 0: not batched (or the plan file's)
  std::string format = "text";    // text | json (apply_output.hpp)
  std::string progress = "auto";  // auto | always | never
};

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_signal(int) {
  g_interrupted = 1;
}

void print(const Diagnostics& d, std::ostream& err) {
  for (const auto& x : d.items()) err << format_diagnostic(x) << "\n";
}

std::optional<std::string> read_text(const std::string& path) {
  // A plan file is untrusted: a regular file of bounded size (not a FIFO, not /dev/zero).
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec) ||
      std::filesystem::file_size(path, ec) > plan::kMaxPlanFileBytes || ec)
    return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Asks on the terminal. False when the answer is not yes.
bool confirm_on_terminal(std::ostream& out) {
  out << "\nDo you want to apply these changes? Only 'yes' is accepted.\n  Enter a value: "
            << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "yes";
}

void print_list(const char* head, const std::vector<std::string>& items, std::ostream& os) {
  for (const auto& i : items) os << head << terminal_safe(i) << "\n";
}

// The guest checks, one line each; failures go to stderr as well (with the error).
void print_verification(const std::vector<apply::VerifyLine>& lines, std::ostream& out,
                        std::ostream& err) {
  if (lines.empty()) return;
  out << "\nVerification:\n";
  for (const auto& l : lines) out << "  " << terminal_safe(l.str()) << "\n";
  out.flush();
  for (const auto& l : lines)
    if (l.status == apply::CheckStatus::Warning) err << "warning: " << terminal_safe(l.str()) << "\n";
}

void print_rollback(const apply::RollbackReport& rep, std::ostream& err) {
  if (rep.ok()) {
    err << "Rolled back: " << rep.undone.size() << " step"
              << (rep.undone.size() == 1 ? "" : "s")
              << " undone; the previous state is restored.\n";
  } else {
    err << "Rollback incomplete (" << rep.undone.size() << " steps undone):\n";
    print_list("  could not undo ", rep.errors, err);
    err << "Fix the cause and run `macvtapctl rollback`.\n";
  }
  print_list("  pending: ", rep.pending, err);
  print_list("note: ", rep.notes, err);
}

int run_apply(const ApplyCliOptions& o, const GlobalOptions& g, std::ostream& out, std::ostream& err,
              ApplyRecord& rec) {
  if (o.paths.empty()) {
    err << "macvtapctl: error: apply needs the spec: -f PATH..."
              << (o.plan_file.empty()
                      ? ""
                      : " (a saved plan is checked against the live state the spec names)")
              << "\n";
    return 1;
  }
  auto spec = spec::load(o.paths);
  print(spec.diagnostics, err);
  if (spec.diagnostics.has_errors()) return 1;
  Topology topo = std::move(spec.topology);
  if (!narrow_topology(topo, g, err)) return 1;
  {
    // First an expired, unconfirmed --try of these hosts is rolled back (try_cli.hpp).
    std::vector<std::string> hosts;
    for (const auto& [h, _] : topo.hosts) hosts.push_back(h);
    if (!settle_tries_before_apply(g, hosts, err)) return 1;
  }

  std::optional<plan::Plan> saved;
  if (!o.plan_file.empty()) {
    auto text = read_text(o.plan_file);
    if (!text) {
      err << "macvtapctl: error: cannot read plan file " << terminal_safe(o.plan_file)
                << " (a plan file is a readable regular file of at most "
                << plan::kMaxPlanFileBytes << " bytes)\n";
      return 1;
    }
    Diagnostics pd;
    saved = plan::load_plan(*text, o.plan_file, pd);
    print(pd, err);
    if (!saved || pd.has_errors()) {
      err << "macvtapctl: error: refusing plan file " << terminal_safe(o.plan_file) << "\n";
      return 1;
    }
    if (saved->spec_digest != spec.digest) {
      err << "macvtapctl: error: refusing plan file " << terminal_safe(o.plan_file)
                << ": it was made for another spec (digest " << saved->spec_digest
                << ", the spec given has " << spec.digest << "); run `macvtapctl plan` again\n";
      return 1;
    }
  }

  std::unique_ptr<apply::LiveSession> live;
  try {
    apply::LiveSessionOptions lo;
    lo.file_parallel = g.parallel;
    lo.open_timeout = std::chrono::seconds(g.host_timeout);
    live = std::make_unique<apply::LiveSession>(std::move(topo), spec.digest, std::move(lo));
  } catch (const Error& e) {
    err << "macvtapctl: error: " << terminal_safe(e.what()) << "\n";
    return 1;
  }
  diff::ChangeSet fresh_changes;
  plan::Plan fresh;
  {
    // The pipeline (reconcile.hpp) over the session's connections. A host's own errors (a
    // guest not defined there, unsafe files) make that host fail alone, like an unreachable
    // one: the others are applied. An error that belongs to no failed host is fatal.
    reconcile::Result r = live->reconcile_all();
    print(r.diagnostics, err);
    if (!r.ok) return 1;
    fresh_changes = std::move(r.changes);
    fresh = std::move(r.plan);
  }
  // Hosts that could not be reached or observed: named now, never touched, exit 1 at the end.
  const std::vector<std::string> unobserved = fresh.unobserved_hosts();
  for (const auto& h : unobserved) {
    const plan::HostStatus& st = fresh.hosts.at(h);
    err << "macvtapctl: error: host " << terminal_safe(h)
              << " could not be observed; it is not applied:\n"
              << "  uri:   " << terminal_safe(st.uri) << "\n"
              << "  error: " << terminal_safe(st.error) << "\n";
  }
  // --batch N (plan/batches.hpp). A plan file carries its batch size: apply uses it, and
  // refuses a different --batch (a plan reviewed in one order is not run in another).
  {
    int size = o.batch;
    if (saved) {
      if (o.batch > 0 && saved->batch_size != o.batch) {
        err << "macvtapctl: error: refusing plan file " << terminal_safe(o.plan_file)
                  << ": it was made "
                  << (saved->batch_size > 0 ? "with --batch " + std::to_string(saved->batch_size)
                                            : std::string("without --batch"))
                  << ", not with --batch " << o.batch << "; apply it "
                  << (saved->batch_size > 0 ? "without --batch (its batches are used)"
                                            : std::string("without --batch"))
                  << " or run `macvtapctl plan --batch " << o.batch << "` again\n";
        return 1;
      }
      size = saved->batch_size;
    }
    plan::apply_batches(fresh, size);
  }
  plan::Plan to_run = fresh;
  if (saved) {
    auto moved = apply::stale_facts(*saved, fresh_changes.fingerprint);
    if (!moved.empty()) {
      for (const auto& m : moved) err << "macvtapctl: error: stale plan: " << terminal_safe(m) << "\n";
      err << "macvtapctl: the live state moved since " << terminal_safe(o.plan_file)
                << " was made; run `macvtapctl plan` again\n";
      return 1;
    }
    // Stale is checked first: when the live state moved, the steps differ for that reason.
    // Then the file must equal what the spec produces now; the recomputed plan is what runs,
    // never a byte of the file.
    if (auto diff = plan::first_step_difference(*saved, fresh)) {
      err << "macvtapctl: error: refusing plan file " << terminal_safe(o.plan_file)
                << ": plan file does not match what the spec produces: " << *diff << "\n";
      return 1;
    }
    out << "Plan file " << terminal_safe(o.plan_file) << " matches what the spec produces ("
              << fresh.steps.size() << " steps).\n";
  }
  rec.steps_planned = static_cast<long long>(to_run.steps.size());
  if (!to_run.has_changes()) {
    for (const auto& w : to_run.warnings) err << "warning: " << terminal_safe(w) << "\n";
    if (unobserved.empty()) {
      rec.outcome = "no_changes";
      out << "No changes. The live state matches the spec.\n";
      return 0;
    }
    out << "No changes on the hosts observed; " << unobserved.size() << " host"
              << (unobserved.size() == 1 ? "" : "s") << " could not be observed.\n";
    out << "\nSummary:\n";
    rec.outcome = "failed";
    rec.fleet = apply::ApplySession({}, {}).apply_hosts(to_run);
    for (const auto& h : rec.fleet.hosts) out << "  " << terminal_safe(summary_line(h, rec)) << "\n";
    return 1;
  }

  const bool colour = render::colour_wanted(g.color, ::isatty(o.format == "json" ? 2 : 1) == 1,
                                            std::getenv("NO_COLOR"));
  out << render::render_text(render::make_view(to_run, render::Mode::Plan), {colour});
  out.flush();
  if (!o.yes) {
    if (::isatty(0) != 1) {
      err << "macvtapctl: error: refusing to apply unattended: stdin is not a terminal "
                   "(review the plan above and pass --yes)\n";
      return 1;
    }
    if (!confirm_on_terminal(out)) {
      rec.outcome = "cancelled";
      out << "Apply cancelled.\n";
      return 1;
    }
  }

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);

  apply::ApplyOptions ao;
  ao.state_dir = g.state_dir;
  ao.rollback_on_failure = !o.no_rollback;
  ao.replan_host = [&live](const std::string& host) { return live->replan(host); };
  // The live guest checks of a host cover the guests this apply touched there (every guest
  // of the host when a host file changed).
  ao.verify_guests = [&live, &to_run](const std::string& host) {
    const auto& hosts = live->topology().hosts;
    auto it = hosts.find(host);
    if (it == hosts.end()) return apply::VerifyReport{};
    Host narrowed = it->second;
    if (auto touched = apply::touched_guests(to_run, host))
      std::erase_if(narrowed.guests, [&](const auto& kv) { return !touched->count(kv.first); });
    apply::VerifyOptions vo;
    vo.applied = &to_run;  // what changed decides which checks are pending activation
    return apply::verify_guests(narrowed, live->backends().at(host), vo);
  };
  ao.interrupted = [] { return g_interrupted != 0; };
  if (o.try_seconds > 0) ao.try_timer = try_timer_config(g);
  // The step progress (apply_output.hpp): on a terminal, or forced by --progress always.
  std::set<std::string> planned_hosts;
  for (const auto& st : to_run.steps) planned_hosts.insert(st.host);
  ProgressPrinter progress(err, planned_hosts.size() > 1);
  if (progress_wanted(o.progress, ::isatty(2) == 1, o.format == "json"))
    ao.step_event = [&progress](const apply::StepEvent& e) { progress.step(e); };
  if (g.verbose) ao.progress = [&progress](const std::string& line) { progress.line(line); };
  // Each host's block as soon as it is done.
  ao.host_done = [&out, &err, &progress](const apply::HostResult& h) {
    progress.close();
    if (h.outcome == apply::HostOutcome::Unobserved || h.outcome == apply::HostOutcome::NoChanges)
      return;  // named above / in the summary
    const apply::ApplyResult& r = h.result;
    out << "\nHost " << terminal_safe(h.host) << ":\n";
    print_list("note: ", r.notes, err);
    print_verification(r.verification, out, err);
    if (!r.batch_lines.empty()) {
      out << "\nBatches:\n";
      for (const auto& l : r.batch_lines) out << "  " << terminal_safe(l) << "\n";
    }
    if (!r.ok) {
      out.flush();
      if (r.nothing_ran) {
        err << "macvtapctl: error: host " << terminal_safe(h.host)
                  << " not applied: " << terminal_safe(r.error) << "\n";
        return;
      }
      err << "macvtapctl: error: host " << terminal_safe(h.host) << ": apply failed at step "
                << terminal_safe(r.failed_step) << ": " << terminal_safe(r.error) << "\n";
      if (r.rollback && r.stopped_at_batch > 1 && r.rollback->ok()) {
        // A batch rolled back alone: the batches before it stay (not "the previous state").
        err << "Rolled back batch " << r.stopped_at_batch << " of " << r.batches << ": "
                  << r.rollback->undone.size() << " step" << (r.rollback->undone.size() == 1 ? "" : "s")
                  << " undone; batches 1-" << (r.stopped_at_batch - 1)
                  << " stay applied (`macvtapctl --host " << terminal_safe(h.host)
                  << " rollback` undoes them).\n";
        print_list("  pending: ", r.rollback->pending, err);
        print_list("note: ", r.rollback->notes, err);
      } else if (r.rollback) {
        print_rollback(*r.rollback, err);
      } else
        err << "Finished steps were left in place (--no-rollback); `macvtapctl --host "
                  << terminal_safe(h.host) << " rollback` undoes them.\n";
      return;
    }
    // "verified" only about what was checked (issue 16): skipped checks are said as such.
    const apply::VerifyTally t = apply::tally_verification(r);
    auto checks = [](int n) { return std::to_string(n) + " guest check" + (n == 1 ? "" : "s"); };
    out << "Applied " << r.steps_done << " step" << (r.steps_done == 1 ? "" : "s");
    if (t.complete())
      out << "; verified: the live state matches the spec.\n";
    else if (t.replan_skipped)
      out << "; NOT verified: the verification was skipped.\n";
    else if (t.guest_checks_skipped || t.skipped > 0)
      out << "; the re-plan matches the spec, but "
          << (t.guest_checks_skipped ? std::string("the guest checks were not run")
                                     : checks(t.skipped) + (t.skipped == 1 ? " was" : " were") +
                                           " skipped (see Verification)")
          << ": not verified live"
          << (t.pending ? "; " + checks(t.pending) + " pending activation (activate: none)" : "")
          << ".\n";
    else
      out << "; verified: the persistent state matches the spec; " << t.pending << " live check"
          << (t.pending == 1 ? "" : "s") << " pending activation (activate: none).\n";
    print_list("pending: ", r.pending, out);
    out.flush();
  };
  apply::ApplySession session(live->backends(), ao);
  rec.fleet = session.apply_hosts(to_run);
  const apply::FleetResult& fleet = rec.fleet;
  bool ok = fleet.ok();

  // --try: the hosts applied wait for `confirm`; each unconfirmed one is rolled back alone.
  std::vector<std::string> applied;
  for (const auto& h : fleet.hosts)
    if (h.outcome == apply::HostOutcome::Applied) applied.push_back(h.host);
  if (o.try_seconds > 0 && !applied.empty()) {
    // The deadline into each journal, the timers (try_cli.hpp): a killed wait is reverted too.
    out.flush();
    print_list("note: ", session.start_try(std::chrono::seconds(o.try_seconds)), err);
    out << "\nWaiting " << o.try_seconds << " s for `macvtapctl confirm` of host"
              << (applied.size() == 1 ? " " : "s ");
    for (std::size_t i = 0; i < applied.size(); ++i)
      out << (i ? ", " : "") << terminal_safe(applied[i]);
    out << " (`macvtapctl --host NAME confirm` confirms one; Ctrl-C rolls back now)...\n"
              << std::flush;
    const std::set<std::string> kept =
        session.wait_for_confirm_hosts(std::chrono::seconds(o.try_seconds));
    print_list("note: ", session.try_notes(), err);
    for (const auto& h : applied) {
      if (kept.count(h)) {
        out << "Confirmed: host " << terminal_safe(h) << " keeps its changes.\n";
        rec.try_text[h] = rec.try_outcome[h] = "confirmed";
        continue;
      }
      err << (g_interrupted ? "Interrupted" : "No confirmation in time") << ": host "
                << terminal_safe(h) << ": rolling back.\n";
      apply::RollbackReport rep = session.rollback(h);
      print_rollback(rep, err);
      rec.try_text[h] = rep.ok() ? "not confirmed: rolled back (" +
                                       std::to_string(rep.undone.size()) + " steps undone)"
                                 : "not confirmed: rollback INCOMPLETE";
      rec.try_outcome[h] = rep.ok() ? "rolled_back" : "rollback_incomplete";
      ok = false;
    }
  } else {
    session.commit();
  }

  rec.outcome = ok ? "applied" : "failed";
  out << "\nSummary:\n";
  for (const auto& h : fleet.hosts) out << "  " << terminal_safe(summary_line(h, rec)) << "\n";
  out.flush();
  return ok ? 0 : 1;
}

// The text report (stdout, stderr), or with --format json the result document alone on
// stdout: the text report then goes to stderr, and the errors and warnings said there are
// repeated in the document.
int run_apply(const ApplyCliOptions& o, const GlobalOptions& g) {
  ApplyRecord rec;
  rec.plan_file = o.plan_file;
  if (o.format != "json") return run_apply(o, g, std::cout, std::cerr, rec);
  TeeLines tee(std::cerr);
  std::ostream err(&tee);
  int rc = 1;
  if (!o.yes)
    err << "macvtapctl: error: apply --format json needs --yes (the output is for a program: "
           "nothing is asked)\n";
  else
    rc = run_apply(o, g, std::cerr, err, rec);  // the plan text is not scanned for errors
  err.flush();
  std::cout << apply_result_json(rec, rc, tee.lines_with("error: "), tee.lines_with("warning: "))
            << std::flush;
  return rc;
}

}  // namespace

void add_apply(CLI::App& app, GlobalOptions& g, int* rc) {
  auto opts = std::make_shared<ApplyCliOptions>();
  auto* sub = app.add_subcommand(
      "apply",
      "apply the topology: show the plan, confirm, execute journaled, verify. Hosts are applied "
      "one at a time in order of name, each with its own lock, journal, verification and "
      "rollback; a failed or unreachable host does not stop the others (exit 1, summary per "
      "host)");
  // One path per -f (repeat -f for more): `apply -f spec PLAN` and `apply PLAN -f spec` both
  // give PLAN to the plan file, not to the spec list.
  sub->add_option("-f,--file", opts->paths,
                  "spec file or directory (every *.yaml inside, lexical order); one per -f, "
                  "repeatable")
      ->allow_extra_args(false);
  sub->add_option("planfile", opts->plan_file,
                  "a plan saved by `plan -o` (before or after the -f options): runs only if its "
                  "steps equal what the spec produces now (refused when stale, corrupted, for "
                  "another spec or different)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            const std::filesystem::path p(v);
            std::error_code ec;
            if (p.extension() == ".yaml" || p.extension() == ".yml" ||
                std::filesystem::is_directory(p, ec))
              return v + " looks like a spec, not a plan file: give each spec with its own -f "
                         "(-f A -f B)";
            return "";
          },
          "PLANFILE"));
  sub->add_flag("-y,--yes", opts->yes, "do not ask for confirmation (needed when unattended)");
  sub->add_flag("--try{120}", opts->try_seconds,
                "--try[=SECONDS]: roll back by itself unless `macvtapctl confirm` comes within "
                "SECONDS (default 120); per host: `--host NAME confirm` keeps one host, the "
                "unconfirmed ones roll back");
  sub->add_option("--batch", opts->batch,
                  "restart at most N guests at a time per host; each batch is verified before the "
                  "next starts, a failed batch is rolled back and the host's rollout stops (the "
                  "batches before it stay applied)")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--no-rollback", opts->no_rollback,
                "leave finished steps in place when a step or the verification fails");
  sub->add_option("--format", opts->format,
                  "text, or json: the result as one JSON document on stdout "
                  "(schemas/apply-result.schema.json; the text report goes to stderr; needs --yes)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sub->add_option("--progress", opts->progress,
                  "step progress on stderr (\"[3/8] s03 TARGET ... 0.4 s\"): auto shows it when "
                  "stderr is a terminal and the format is text")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  sub->callback([opts, rc, &g] { *rc = run_apply(*opts, g); });
}

}  // namespace mvt::cli
