#pragma once
// The executor: runs a plan's steps in order, journaled, through HostBackends only; verifies
// by re-planning; on a failed step rolls the finished ones back in reverse order.
//
//   ApplySession s(backends, options);   // nothing happens yet
//   ApplyResult r = s.apply(plan);       // takes every host's lock (held until s dies)
//   if (r.ok && trying) { if (!s.wait_for_confirm(120s)) s.rollback(); else s.commit(); }
//   else if (r.ok) s.commit();
//
// Per step: capture the before-image (a WriteFile/RemoveFile whose file is not what the plan
// was made against fails here: "the world moved"), journal it (fsync), run the operation,
// journal its completion (fsync). A Verify step (one per host) re-plans through options.replan
// until the plan is empty (attempts x interval), then checks the host's running guests through
// options.verify_guests (verify.hpp: MAC equality, routing table, reachability); a failed
// check fails the step like any other (rolled back; with --try before any waiting) — for the
// guests this apply changed (a step of theirs in the plan, or any host-file step on their
// host: a host NIC file can cut every guest on it). A failed check of a guest the apply did
// not touch becomes a Warning: rolling this apply back would not repair it, and one drifted
// guest must not block every apply on its host. When the
// plan has changes but no Verify step, the same verification runs after the last step for
// every host of the plan.
//
// Test-only fault point (documented in tests/unit/apply_crash_test.cpp): when the environment
// variable MVT_FAULT_AFTER_STEP=k is set, the process calls _exit(99) right after the
// completion of the k-th executed step (1-based, in plan order) has been journaled. It exists
// so that tests can prove crash safety; nothing else in the library exits.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
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

struct ApplyOptions {
  std::filesystem::path state_dir = "/var/lib/macvtapctl";
  bool rollback_on_failure = true;  // --no-rollback clears it
  int verify_attempts = 5;
  std::chrono::milliseconds verify_interval{1000};
  Timeouts timeouts;
  // Re-observes and re-plans (with the same connections). Unset: verification is skipped
  // and ApplyResult::notes says so.
  std::function<plan::Plan()> replan;
  // The guest checks of one host (verify_guests over the spec's host). Unset: not run, and
  // ApplyResult::notes says so.
  std::function<VerifyReport(const std::string& host)> verify_guests;
  // Progress lines for people ("s03 update guest/web1/file/ifcfg-ens9 ... done").
  std::function<void(const std::string&)> progress;
  std::string apply_id;  // default: UTC time + pid
  // Polled before each step and while waiting for confirm: true (e.g. SIGINT seen) stops
  // the apply before its next step (a failure, rolled back) or ends the wait unconfirmed.
  std::function<bool()> interrupted;
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
};

class ApplySession {
 public:
  ApplySession(Backends backends, ApplyOptions options);
  ~ApplySession();
  ApplySession(const ApplySession&) = delete;
  ApplySession& operator=(const ApplySession&) = delete;

  // Runs the plan. Throws LockHeldError when another process holds a host's lock (before
  // anything ran). Failures of steps are reported in the result, not thrown.
  ApplyResult apply(const plan::Plan& p);
  // Marks every journal of this apply "applied" (what `rollback` undoes later).
  void commit();
  // --try: records the deadline (now + seconds, try_deadline.hpp) in every journal of this
  // apply, starts the timers (options.try_timer) and marks the journals "trying". Returns
  // notes for people (no timer, a timer that could not start).
  std::vector<std::string> start_try(std::chrono::seconds seconds);
  // --try: start_try() (unless called) and waits for `macvtapctl confirm` (confirm.hpp) of
  // every host until the recorded deadline; false when it passed (or interrupted).
  bool wait_for_confirm(std::chrono::milliseconds timeout);
  // Notes of commit() (a try timer that could not be stopped).
  const std::vector<std::string>& try_notes() const { return try_notes_; }
  // Undoes this apply on every host it touched.
  RollbackReport rollback();
  const std::string& apply_id() const { return options_.apply_id; }

 private:
  // Re-plan, then the guest checks of `hosts`; throws Error describing what failed.
  void verify(ApplyResult& r, const plan::Plan& p, const std::vector<std::string>& hosts);
  Backends backends_;
  ApplyOptions options_;
  std::vector<std::unique_ptr<HostLock>> locks_;
  std::map<std::string, std::unique_ptr<JournalWriter>> journals_;
  std::optional<long long> try_deadline_;          // epoch seconds, once start_try() ran
  std::map<std::string, std::string> try_timers_;  // host -> timer unit started
  std::vector<std::string> try_notes_;
};

// "desired X, live Y" lines for every change a (re-)plan still has.
std::vector<std::string> describe_remaining(const plan::Plan& p);

}  // namespace mvt::apply
