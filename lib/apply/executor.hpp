#pragma once
// The executor: runs a plan's steps host by host, journaled, through HostBackends only;
// verifies each host by re-planning it; on a failed step rolls that host's finished steps
// back in reverse order.
//
//   ApplySession s(backends, options);     // nothing happens yet
//   FleetResult f = s.apply_hosts(plan);   // host by host; each host's lock held until s dies
//   if (trying) { auto kept = s.wait_for_confirm_hosts(120s); s.rollback(); /* the others */ }
//   else s.commit();                        // the hosts that were applied
//
// Hosts are applied independently, ONE AT A TIME IN ORDER OF HOST NAME (issue 13): each
// under its own lock and journal, with its own steps and verification. One host at a time
// keeps the output readable and lets a bad spec break at most one host before the operator
// sees it; observation before the apply is what `--parallel` speeds up. A host that fails
// rolls back itself alone; the hosts applied before it stay applied, the hosts after it
// still run (each host is judged on its own). A host the plan marks as not observed
// (Plan::hosts, observed=false) is never touched: no lock, no journal, no step
// (HostOutcome::Unobserved). A host whose lock is held or whose journal cannot be trusted is
// Failed with nothing run.
//
// Per step: capture the before-image (a WriteFile/RemoveFile whose file is not what the plan
// was made against fails here: "the world moved"), journal it (fsync), run the operation,
// journal its completion (fsync). A Verify step (one per host) re-plans THAT HOST through
// options.replan_host (or options.replan, of which only that host's steps count) until its
// plan is empty (attempts x interval), then checks the host's running guests through
// options.verify_guests (verify.hpp: MAC equality, routing table, reachability); a failed
// check fails the step like any other (rolled back; with --try before any waiting) — for the
// guests this apply changed (touched_guests(): a step of theirs in the plan, or any
// host-file step on their host: a host NIC file can cut every guest on it). A failed check
// of a guest the apply did not touch becomes a Warning: rolling this apply back would not
// repair it, and one drifted guest must not block every apply on its host. When a host's
// steps have changes but no Verify step, the same verification runs after its last step.
//
// Batches (plan --batch N, plan/batches.hpp): a host whose steps carry batch numbers runs
// batch 1, then verifies it - the re-plan of the host must show no change left except for
// the guests of the batches not yet started, and the guest checks of the batch's guests (and,
// for batch 1, of the other guests it changed) must pass - then batch 2, and so on; the
// host's Verify step (the full verification) closes the last batch. When batch K fails (a
// step or its verification): batch K's steps alone are rolled back (rollback_host with the
// journal seq where K began: the earlier batches' records are kept), the journal is marked
// applied (batches 1..K-1 stay applied and verified; a later `macvtapctl rollback` undoes
// them), the batches after K are not started, and the host is Failed: "stopped at batch K of
// M". K = 1 rolls the whole host back as without batches. With --no-rollback nothing is
// undone, as without batches.
//
// Test-only fault point (documented in tests/unit/apply_crash_test.cpp): when the environment
// variable MVT_FAULT_AFTER_STEP=k is set, the process calls _exit(99) right after the
// completion of the k-th executed step (1-based, counted over the whole plan in the order
// the steps run: host by host, in plan order) has been journaled. It exists so that tests
// can prove crash safety; nothing else in the library exits.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "apply/backends.hpp"
#include "apply/domain_ops.hpp"
#include "apply/host_lock.hpp"
#include "apply/journal.hpp"
#include "apply/rollback.hpp"
#include "apply/try_timer.hpp"
#include "apply/verify.hpp"
#include "plan/plan.hpp"

namespace mvt::apply {

struct HostResult;

// A step of one host starting (done = false) or ended (done = true: ok, seconds it took).
// index is 1-based among the host's steps in the order they run, total their number.
struct StepEvent {
  std::string host;
  std::string label;  // "s03 guest/web1/file/ifcfg-ens9"
  int index = 0;
  int total = 0;
  bool done = false;
  bool ok = false;
  double seconds = 0;
};

struct ApplyOptions {
  std::filesystem::path state_dir = "/var/lib/macvtapctl";
  bool rollback_on_failure = true;  // --no-rollback clears it
  int verify_attempts = 5;
  std::chrono::milliseconds verify_interval{1000};
  Timeouts timeouts;
  // Re-observes and re-plans ONE host (LiveSession::replan(host), same connections): the
  // verification of a host. Preferred over `replan`.
  std::function<plan::Plan(const std::string& host)> replan_host;
  // Re-observes and re-plans (with the same connections); only the verified host's steps of
  // its result count. Used when replan_host is unset. Both unset: verification is skipped
  // and ApplyResult::notes says so.
  std::function<plan::Plan()> replan;
  // The guest checks of one host (verify_guests over the spec's host). Unset: not run, and
  // ApplyResult::notes says so.
  std::function<VerifyReport(const std::string& host)> verify_guests;
  // Progress lines for people ("s03 update guest/web1/file/ifcfg-ens9 ... done").
  std::function<void(const std::string&)> progress;
  // One event when a step starts and one when it ends (a progress display: `apply` on a
  // terminal shows "[3/8] s03 guest/web1/file/ifcfg-ens9 ... 0.4 s").
  std::function<void(const StepEvent&)> step_event;
  std::string apply_id;  // default: UTC time + pid
  // Polled before each step and while waiting for confirm: true (e.g. SIGINT seen) stops
  // the apply before its next step (a failure, rolled back) or ends the wait unconfirmed.
  // The hosts after an interrupted one are not started (HostOutcome::Failed, nothing ran).
  std::function<bool()> interrupted;
  // Called when a host is done (applied, failed and rolled back, not applied), before the
  // next host starts: lets the CLI print each host's block as it happens.
  std::function<void(const HostResult&)> host_done;
  // --try: the systemd timer that reverts an unconfirmed try whose waiting process died
  // (try_timer.hpp). Disabled by default.
  TryTimerConfig try_timer;
};

struct ApplyResult {
  bool ok = false;
  bool no_changes = false;                // the plan had nothing to do; nothing was locked or run
  std::string failed_step;                // "s03 guest/web1/file/ifcfg-ens9"
  std::string error;                      // libvirt's or the OS's message
  std::vector<std::string> verify_diffs;  // "target: field: desired X, live Y"
  std::vector<VerifyLine> verification;   // guest checks of every verified host, in order
  int steps_done = 0;
  std::vector<std::string> pending;  // activations left to the operator
  std::vector<std::string> notes;
  std::optional<RollbackReport> rollback;  // set when a failure rolled back
  bool nothing_ran = false;  // failed before any step (lock held, journal refused, interrupted)
  // A batched host (plan --batch N, plan/batches.hpp): its batch count, and when it failed
  // the batch that failed (1-based; 0 = not batched / did not fail in a batch).
  int batches = 0;
  int stopped_at_batch = 0;
  std::vector<std::string> batch_lines;  // "batch 1 of 3 (web1, web2): applied and verified"
  // What of the verification did not run (notes say why): the re-plan, the guest checks.
  bool replan_skipped = false;
  bool guest_checks_skipped = false;
};

// How much of a host's verification ran and what it found: the guest check lines by status,
// and whether the re-plan or the guest checks were skipped altogether. complete(): every
// part ran and nothing was skipped or left pending - only then does an apply say "verified".
struct VerifyTally {
  int ok = 0, skipped = 0, pending = 0, warnings = 0, failed = 0;
  bool replan_skipped = false, guest_checks_skipped = false;
  bool complete() const {
    return !replan_skipped && !guest_checks_skipped && skipped == 0 && pending == 0 && failed == 0;
  }
};
VerifyTally tally_verification(const ApplyResult& r);
// For people: "verified" when complete(), else what ran and what did not, e.g.
// "re-plan clean; guest checks: 2 ok, 3 skipped, 1 pending activation (not verified live)".
std::string verification_phrase(const VerifyTally& t);

// What happened to one host of an apply.
enum class HostOutcome {
  NoChanges,   // nothing to do: not locked, not journaled
  Applied,     // every step ran and the host verified
  Failed,      // a step or the verification failed (or nothing could run): see result
  Unobserved,  // could not be reached or observed: never touched (uri, error)
};

struct HostResult {
  std::string host;
  HostOutcome outcome = HostOutcome::NoChanges;
  ApplyResult result;  // Applied / Failed (NoChanges: ok, no_changes)
  std::string uri;     // Unobserved: the URI tried
  std::string error;   // Unobserved: libvirt's or the OS's message
};

struct FleetResult {
  std::vector<HostResult> hosts;  // in order of host name (the order they were applied in)
  bool ok() const;                // every host Applied or NoChanges
};

// One line per host for the summary, e.g.
//   "kvm1: applied 5 steps, verified"   (only when every check ran: verification_phrase)
//   "kvm1: applied 5 steps, re-plan clean; guest checks: 1 skipped (not verified live)"
//   "kvm2: no changes"
//   "kvm3: FAILED at step s09 guest/web2/...: MESSAGE; rolled back (3 steps undone)"
//   "kvm4: not applied: not observed (test:///...): cannot connect to ..."
// Not terminal-safe: the caller escapes it.
std::string outcome_line(const HostResult& h);

// The guests of `host` that the plan changes (a step of theirs); nullopt when a host file
// changes (a host NIC file can cut every guest of the host: all of them count).
std::optional<std::set<std::string>> touched_guests(const plan::Plan& p, const std::string& host);

class ApplySession {
 public:
  ApplySession(Backends backends, ApplyOptions options);
  ~ApplySession();
  ApplySession(const ApplySession&) = delete;
  ApplySession& operator=(const ApplySession&) = delete;

  // Applies every host of the plan (and reports each host Plan::hosts lists), one host at a
  // time in order of name (see the top). Never throws for one host's trouble.
  FleetResult apply_hosts(const plan::Plan& p);
  // One host's steps of the plan: lock, journal, steps, verification; rolled back alone on
  // failure (unless --no-rollback). Throws LockHeldError when another process holds its lock
  // and Error when its journal cannot be trusted (nothing ran).
  ApplyResult apply_host(const plan::Plan& p, const std::string& host);
  // Every host of the plan through apply_host, merged into one result (ok when every host
  // is); the first lock or journal error is thrown. For callers that apply one host.
  ApplyResult apply(const plan::Plan& p);
  // Marks the journal of every host applied and not yet committed "applied" (what
  // `rollback` undoes later).
  void commit();
  // --try: records the deadline (now + seconds, try_deadline.hpp) in the journal of every
  // host applied and not yet committed, starts the timers (options.try_timer) and marks the
  // journals "trying". Returns notes for people (no timer, a timer that could not start).
  std::vector<std::string> start_try(std::chrono::seconds seconds);
  // --try: start_try() (unless called) and waits for `macvtapctl confirm` (confirm.hpp) of
  // each host until the recorded deadline; a host confirmed is committed at once (and its
  // timer stopped). Returns when every host is confirmed, at the deadline or when
  // interrupted; the hosts confirmed.
  std::set<std::string> wait_for_confirm_hosts(std::chrono::milliseconds timeout);
  // The same; true when every host was confirmed.
  bool wait_for_confirm(std::chrono::milliseconds timeout);
  // Notes of commit() and of the wait (a try timer that could not be stopped).
  const std::vector<std::string>& try_notes() const { return try_notes_; }
  // Undoes this apply on every host applied and not committed, each alone (hosts in
  // reverse order of name); a host rolled back has its try timer stopped.
  RollbackReport rollback();
  // Undoes this apply on one host (nothing_to_do when it has no open journal here).
  RollbackReport rollback(const std::string& host);
  const std::string& apply_id() const { return options_.apply_id; }

 private:
  // Re-plan of `host`, then its guest checks; throws Error describing what failed.
  // `batch`: when set, the verification of batch *batch (see Batches above).
  void verify(ApplyResult& r, const plan::Plan& p, const std::string& host,
              std::optional<int> batch = std::nullopt);
  Backends backends_;
  ApplyOptions options_;
  int executed_ = 0;  // steps run so far over all hosts (the fault point counts these)
  std::map<std::string, std::unique_ptr<HostLock>> locks_;
  // Journals of the hosts applied (or failed with --no-rollback: kept out of here, see
  // apply_host) and neither committed nor rolled back yet.
  std::map<std::string, std::unique_ptr<JournalWriter>> journals_;
  std::optional<long long> try_deadline_;          // epoch seconds, once start_try() ran
  std::map<std::string, std::string> try_timers_;  // host -> timer unit started
  std::vector<std::string> try_notes_;
  void stop_try_timer(const std::string& host, std::vector<std::string>& notes);
};

// "desired X, live Y" lines for every change a (re-)plan still has.
std::vector<std::string> describe_remaining(const plan::Plan& p);

}  // namespace mvt::apply
