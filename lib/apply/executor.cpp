#include "apply/executor.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include "apply/confirm.hpp"
#include "apply/state_dir.hpp"
#include "apply/step_runner.hpp"
#include "apply/temp_files.hpp"
#include "apply/try_deadline.hpp"
#include "plan/batches.hpp"
#include "util/errors.hpp"
#include "util/hash.hpp"

namespace mvt::apply {
namespace {

// The fault point (see executor.hpp): -1 when not set.
int fault_after_step() {
  const char* e = std::getenv("MVT_FAULT_AFTER_STEP");
  if (!e || !*e) return -1;
  char* end = nullptr;
  long v = std::strtol(e, &end, 10);
  return (end && *end == '\0' && v > 0) ? static_cast<int>(v) : -1;
}

std::string label(const plan::Step& s) {
  return s.id + " " + s.target;
}

std::string default_apply_id() {
  std::string t = utc_now();
  std::string id;
  for (char c : t)
    if (c != '-' && c != ':') id += c;
  return id + "-" + std::to_string(::getpid());
}

std::string or_absent(const std::optional<std::string>& v) {
  return v ? *v : "(absent)";
}

}  // namespace

std::vector<std::string> describe_remaining(const plan::Plan& p) {
  std::vector<std::string> out;
  for (const auto& s : p.steps) {
    if (s.op.kind == plan::OpKind::Verify) continue;
    if (s.changes.empty()) {
      out.push_back(s.target + ": " + plan::to_string(s.action) + " still needed" +
                    (s.reason.empty() ? "" : " (" + s.reason + ")"));
      continue;
    }
    for (const auto& c : s.changes)
      out.push_back(s.target + ": " + c.field + ": desired " + or_absent(c.after) + ", live " +
                    or_absent(c.before));
  }
  return out;
}

VerifyTally tally_verification(const ApplyResult& r) {
  VerifyTally t;
  t.replan_skipped = r.replan_skipped;
  t.guest_checks_skipped = r.guest_checks_skipped;
  for (const auto& l : r.verification) switch (l.status) {
      case CheckStatus::Ok: ++t.ok; break;
      case CheckStatus::Skipped: ++t.skipped; break;
      case CheckStatus::Pending: ++t.pending; break;
      case CheckStatus::Warning: ++t.warnings; break;
      case CheckStatus::Failed: ++t.failed; break;
    }
  return t;
}

std::string verification_phrase(const VerifyTally& t) {
  if (t.complete()) return "verified";
  if (t.replan_skipped) return "NOT verified (verification skipped)";
  std::string s = "re-plan clean; guest checks: ";
  if (t.guest_checks_skipped) return s + "not run (not verified live)";
  std::string parts;
  auto add = [&](int n, const char* what) {
    if (n > 0) parts += (parts.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  add(t.ok, "ok");
  add(t.warnings, t.warnings == 1 ? "warning" : "warnings");
  add(t.failed, "failed");
  add(t.skipped, "skipped");
  add(t.pending, "pending activation");
  return s + parts + " (not verified live)";
}

bool FleetResult::ok() const {
  for (const auto& h : hosts)
    if (h.outcome != HostOutcome::Applied && h.outcome != HostOutcome::NoChanges) return false;
  return true;
}

std::string outcome_line(const HostResult& h) {
  const ApplyResult& r = h.result;
  auto steps = [](std::size_t n) { return std::to_string(n) + " step" + (n == 1 ? "" : "s"); };
  switch (h.outcome) {
    case HostOutcome::NoChanges:
      return h.host + ": no changes";
    case HostOutcome::Applied: {
      const VerifyTally t = tally_verification(r);
      std::string line = h.host + ": applied " + steps(static_cast<std::size_t>(r.steps_done));
      if (r.batches > 0)
        line += " in " + std::to_string(r.batches) + (r.batches == 1 ? " batch" : " batches");
      // "verified" only about checks that ran (issue 16): else what ran and what did not.
      if (t.complete()) return line + (r.batches > 0 ? ", each verified" : ", verified") +
                               (t.warnings ? "; " + std::to_string(t.warnings) + " check warning" +
                                                 (t.warnings == 1 ? "" : "s")
                                           : "");
      return line + ", " + verification_phrase(t);
    }
    case HostOutcome::Unobserved:
      return h.host + ": not applied: not observed (" + h.uri + "): " + h.error;
    case HostOutcome::Failed:
      break;
  }
  std::string line = h.host + ": FAILED";
  if (r.nothing_ran) return line + ", nothing ran: " + r.error;
  if (!r.failed_step.empty()) line += " at step " + r.failed_step;
  // The first line of the error: the full text is in the host's block.
  std::string first = r.error.substr(0, r.error.find('\n'));
  line += ": " + first;
  if (r.stopped_at_batch > 0) {
    // "stopped at batch 2 of 3: batch 1 applied and verified, batch 2 rolled back (4 steps
    // undone), batch 3 not started"
    const int k = r.stopped_at_batch, m = r.batches;
    auto range = [](int a, int b) {
      return a == b ? "batch " + std::to_string(a)
                    : "batches " + std::to_string(a) + "-" + std::to_string(b);
    };
    line += "; stopped at batch " + std::to_string(k) + " of " + std::to_string(m) + ": ";
    if (k > 1) line += range(1, k - 1) + " applied and verified, ";
    line += "batch " + std::to_string(k);
    if (r.rollback) {
      line += r.rollback->ok() ? " rolled back (" + steps(r.rollback->undone.size()) + " undone)"
                               : " rollback INCOMPLETE (" +
                                     std::to_string(r.rollback->errors.size()) +
                                     " could not be undone)";
    } else {
      line += " left in place (--no-rollback)";
    }
    if (k < m) line += ", " + range(k + 1, m) + " not started";
    return line;
  }
  if (r.rollback) {
    if (r.rollback->ok())
      line += "; rolled back (" + steps(r.rollback->undone.size()) + " undone)";
    else
      line += "; rollback INCOMPLETE (" + std::to_string(r.rollback->errors.size()) +
              " could not be undone)";
  } else if (r.steps_done > 0) {
    line += "; " + steps(static_cast<std::size_t>(r.steps_done)) +
            " left in place (--no-rollback)";
  }
  return line;
}

std::optional<std::set<std::string>> touched_guests(const plan::Plan& p,
                                                    const std::string& host) {
  std::set<std::string> touched;
  for (const auto& s : p.steps) {
    if (s.host != host) continue;
    const bool file =
        s.op.kind == plan::OpKind::WriteFile || s.op.kind == plan::OpKind::RemoveFile;
    if (file && s.op.scope == plan::FileScope::Host) return std::nullopt;
    if (!s.op.guest.empty()) touched.insert(s.op.guest);
  }
  return touched;
}

ApplySession::ApplySession(Backends backends, ApplyOptions options)
    : backends_(std::move(backends)), options_(std::move(options)) {
  if (options_.apply_id.empty()) options_.apply_id = default_apply_id();
}

ApplySession::~ApplySession() = default;

void ApplySession::verify(ApplyResult& r, const plan::Plan& p, const std::string& host,
                          std::optional<int> batch) {
  // A batch (see Batches in executor.hpp): the guests of the batches not started yet are
  // left out of the re-plan and the checks; the checks shown are the batch's own guests'.
  std::set<std::string> later, shown;
  if (batch)
    for (const auto& s : p.steps) {
      if (s.host != host || s.op.guest.empty()) continue;
      if (s.batch > *batch) later.insert(s.op.guest);
      if (s.batch == *batch) shown.insert(s.op.guest);
    }
  if (!options_.replan_host && !options_.replan) {
    r.notes.push_back("verification skipped: no re-plan available");
    r.replan_skipped = true;
  } else {
    const int attempts = std::max(1, options_.verify_attempts);
    bool empty = false;
    for (int i = 1; i <= attempts && !empty; ++i) {
      // Only this host counts: the other hosts' pending changes are theirs to apply.
      plan::Plan again = options_.replan_host ? options_.replan_host(host) : options_.replan();
      std::erase_if(again.steps, [&](const plan::Step& s) {
        return s.host != host || (!s.op.guest.empty() && later.count(s.op.guest));
      });
      if (!again.has_changes()) {
        r.verify_diffs.clear();
        empty = true;
        break;
      }
      r.verify_diffs = describe_remaining(again);
      if (i < attempts) std::this_thread::sleep_for(options_.verify_interval);
    }
    if (!empty) {
      std::string msg = "verification failed: the live state differs from the spec after " +
                        std::to_string(attempts) + " attempts:";
      for (const auto& d : r.verify_diffs) msg += "\n  " + d;
      throw Error(msg);
    }
  }
  if (!options_.verify_guests) {
    r.notes.push_back("guest checks skipped: no guest verification available");
    r.guest_checks_skipped = true;
    return;
  }
  std::vector<std::string> failed;
  VerifyReport rep = options_.verify_guests(host);
  if (batch)
    std::erase_if(rep.lines, [&](const VerifyLine& l) { return !shown.count(l.guest); });
  const auto touched = touched_guests(p, host);  // nullopt: a host file changed, all count
  for (auto& l : rep.lines)
    if (l.status == CheckStatus::Failed && touched && !touched->count(l.guest))
      l.status = CheckStatus::Warning;
  for (auto& f : rep.failures()) failed.push_back(std::move(f));
  r.verification.insert(r.verification.end(), rep.lines.begin(), rep.lines.end());
  if (!failed.empty()) {
    std::string msg = "verification failed:";
    for (const auto& f : failed) msg += "\n  " + f;
    throw Error(msg);
  }
}

ApplyResult ApplySession::apply_host(const plan::Plan& p, const std::string& h) {
  ApplyResult r;
  bool changes = false;
  for (const auto& s : p.steps)
    if (s.host == h && s.op.kind != plan::OpKind::Verify) changes = true;
  if (!changes) {
    r.ok = true;
    r.no_changes = true;
    return r;
  }
  if (!backends_.count(h)) {
    r.error = "no backends for host " + h;
    r.nothing_ran = true;
    return r;
  }
  // The host's lock and journal - before anything runs.
  locks_[h] = std::make_unique<HostLock>(options_.state_dir, h);
  if (const auto& old = locks_[h]->took_over_from())
    r.notes.push_back("host " + h + ": took over a stale lock (" + *old + ", no longer running)");
  // The journal this apply may continue is read (and so checked: owner, mode, checksums)
  // before it is written: a damaged one refuses the host with nothing changed.
  (void)rollback_chain(options_.state_dir, h);
  journals_[h] = std::make_unique<JournalWriter>(options_.state_dir, h, options_.apply_id,
                                                 p.spec_digest, backends_.at(h).sources);
  if (const auto& prev = journals_[h]->previous())
    r.notes.push_back("host " + h + ": continuing interrupted apply journal " + *prev +
                      " (rollback undoes both)");

  remove_temp_files(temp_dirs_of(p, h, backends_.at(h)), r.notes);

  const int fault = fault_after_step();
  bool verified = false;
  int seq = 0;  // 1-based execution order within this host's journal
  HostBackends& b = backends_.at(h);
  JournalWriter& jw = *journals_.at(h);
  // Batches (executor.hpp): the batch running, where each began (journal seq), the titles.
  std::map<int, plan::BatchInfo> batch_info;
  for (auto& bi : plan::batches_of(p))
    if (bi.host == h) batch_info[bi.number] = std::move(bi);
  r.batches = static_cast<int>(batch_info.size());
  int batch = 0;
  std::map<int, int> batch_first_seq;
  const int host_total =
      static_cast<int>(std::count_if(p.steps.begin(), p.steps.end(),
                                     [&](const plan::Step& s) { return s.host == h; }));
  auto batch_name = [&](int k) {
    const auto& bi = batch_info[k];
    std::string g;
    for (const auto& x : bi.guests) g += (g.empty() ? "" : ", ") + x;
    return "batch " + std::to_string(k) + " of " + std::to_string(r.batches) +
           (g.empty() ? "" : " (" + g + ")");
  };
  for (const auto& step : p.steps) {
    if (step.host != h) continue;
    ++seq;
    if (r.batches > 0 && step.batch != batch) {
      // The batch before is complete: verify it before the next one starts. (The Verify
      // step, batch 0, verifies the last batch itself.)
      if (batch > 0 && step.batch > 0) {
        if (options_.progress) options_.progress(batch_name(batch) + ": verifying");
        try {
          verify(r, p, h, batch);
        } catch (const std::exception& e) {
          r.failed_step = "verify of batch " + std::to_string(batch);
          r.error = e.what();
          break;
        }
        r.batch_lines.push_back(batch_name(batch) + ": applied and verified");
      }
      if (step.batch > 0) {
        batch = step.batch;
        batch_first_seq[batch] = seq;
        if (options_.progress) options_.progress(batch_name(batch) + ": starting");
      }
    }
    if (options_.interrupted && options_.interrupted()) {
      r.failed_step = label(step);
      r.error = "interrupted before this step";
      break;
    }
    const auto step_start = std::chrono::steady_clock::now();
    auto step_event = [&](bool done, bool ok) {
      if (!options_.step_event) return;
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - step_start;
      options_.step_event(StepEvent{h, label(step), seq, host_total, done, ok, done ? took.count() : 0});
    };
    step_event(false, false);
    JournalStep js;
    const bool started_journal = [&] {
      try {
        js.seq = seq;
        js.id = step.id;
        js.host = step.host;
        js.target = step.target;
        js.op = step.op;
        js.op.content.clear();
        if (step.op.kind == plan::OpKind::WriteFile)
          js.content_sha256 = sha256_hex(step.op.content);
        js.before = capture_before(step, b);
        jw.step_started(js);
        return true;
      } catch (const std::exception& e) {
        r.failed_step = label(step);
        r.error = e.what();
        return false;
      }
    }();
    if (!started_journal) {
      step_event(true, false);
      break;
    }
    if (options_.progress) options_.progress(label(step) + ": " + plan::to_string(step.op.kind));
    try {
      if (step.op.kind == plan::OpKind::Verify) {
        if (r.batches > 0)
          verify(r, p, h, batch);  // the full re-plan; the checks of the last batch
        else
          verify(r, p, h);
        verified = true;
        if (r.batches > 0) r.batch_lines.push_back(batch_name(batch) + ": applied and verified");
      } else {
        run_operation(step, b, options_.timeouts, r.pending, options_.progress, &js.before);
      }
    } catch (const std::exception& e) {
      r.failed_step = label(step);
      r.error = e.what();
      try {
        jw.step_failed(seq, e.what());
      } catch (const std::exception&) {
      }
      step_event(true, false);
      break;
    }
    try {
      jw.step_done(seq);
    } catch (const std::exception& e) {  // the step ran; its "started" record makes it undoable
      r.failed_step = label(step);
      r.error = std::string("the step ran but its completion could not be journaled: ") + e.what();
      step_event(true, false);
      break;
    }
    step_event(true, true);
    ++r.steps_done;
    if (++executed_ == fault) ::_exit(99);
  }
  if (r.failed_step.empty() && !verified) {
    try {
      if (r.batches > 0) {
        verify(r, p, h, batch);
        r.batch_lines.push_back(batch_name(batch) + ": applied and verified");
      } else {
        verify(r, p, h);
      }
    } catch (const std::exception& e) {
      r.failed_step = "verify";
      r.error = e.what();
    }
  }
  r.ok = r.failed_step.empty() && r.error.empty();
  if (!r.ok && r.batches > 0) {
    r.stopped_at_batch = std::max(batch, 1);
    const int k = r.stopped_at_batch;
    r.batch_lines.push_back(batch_name(k) + ": FAILED" +
                            (options_.rollback_on_failure ? ", rolled back" : ", left in place (--no-rollback)"));
    for (int n = k + 1; n <= r.batches; ++n)
      r.batch_lines.push_back(batch_name(n) + ": not started");
  }
  if (!r.ok) {
    if (options_.rollback_on_failure && r.stopped_at_batch > 1) {
      // Only the failed batch is undone; the journal (marked applied by the rollback) keeps
      // the verified batches for a later `macvtapctl rollback`.
      auto it = journals_.find(h);
      it->second.reset();
      journals_.erase(it);
      try {
        r.rollback = rollback_host(options_.state_dir, h, b, options_.timeouts, options_.progress,
                                   batch_first_seq[r.stopped_at_batch]);
      } catch (const std::exception& e) {
        r.rollback = RollbackReport{};
        r.rollback->errors.push_back("host " + h + ": " + e.what());
      }
    } else if (options_.rollback_on_failure) {
      r.rollback = rollback(h);
    } else {
      // --no-rollback: the journal stays open on disk for `macvtapctl rollback`; this
      // session neither commits nor rolls it back.
      journals_.erase(h);
    }
  }
  return r;
}

FleetResult ApplySession::apply_hosts(const plan::Plan& p) {
  std::set<std::string> hosts;
  for (const auto& [h, _] : p.hosts) hosts.insert(h);
  for (const auto& s : p.steps) hosts.insert(s.host);
  FleetResult out;
  bool stop = false;  // interrupted: the hosts after are not started
  for (const auto& h : hosts) {
    HostResult hr;
    hr.host = h;
    auto st = p.hosts.find(h);
    if (st != p.hosts.end() && !st->second.observed) {
      hr.outcome = HostOutcome::Unobserved;
      hr.uri = st->second.uri;
      hr.error = st->second.error;
    } else if (stop) {
      hr.outcome = HostOutcome::Failed;
      hr.result.error = "not started: interrupted";
      hr.result.nothing_ran = true;
    } else {
      try {
        hr.result = apply_host(p, h);
      } catch (const std::exception& e) {  // a held lock, a journal that cannot be trusted
        hr.result = ApplyResult{};
        hr.result.error = e.what();
        hr.result.nothing_ran = true;
        journals_.erase(h);
        locks_.erase(h);
      }
      hr.outcome = hr.result.ok ? (hr.result.no_changes ? HostOutcome::NoChanges
                                                        : HostOutcome::Applied)
                                : HostOutcome::Failed;
      if (options_.interrupted && options_.interrupted()) stop = true;
    }
    if (options_.host_done) options_.host_done(hr);
    out.hosts.push_back(std::move(hr));
  }
  return out;
}

ApplyResult ApplySession::apply(const plan::Plan& p) {
  ApplyResult r;
  if (!p.has_changes()) {
    r.ok = true;
    r.no_changes = true;
    return r;
  }
  std::set<std::string> hosts;
  for (const auto& s : p.steps) hosts.insert(s.host);
  r.ok = true;
  for (const auto& h : hosts) {
    ApplyResult one = apply_host(p, h);  // lock and journal errors propagate
    if (!one.ok && r.ok) {
      r.ok = false;
      r.failed_step = one.failed_step;
      r.error = one.error;
      r.verify_diffs = one.verify_diffs;
      r.nothing_ran = one.nothing_ran;
    }
    r.steps_done += one.steps_done;
    r.verification.insert(r.verification.end(), one.verification.begin(), one.verification.end());
    r.pending.insert(r.pending.end(), one.pending.begin(), one.pending.end());
    r.notes.insert(r.notes.end(), one.notes.begin(), one.notes.end());
    if (one.rollback) {
      if (!r.rollback) r.rollback = RollbackReport{};
      r.rollback->append(*one.rollback);
    }
  }
  return r;
}

void ApplySession::commit() {
  for (auto& [h, jw] : journals_) {
    jw->status("applied");
    stop_try_timer(h, try_notes_);
  }
  journals_.clear();  // committed: neither rolled back nor committed again by this session
}

void ApplySession::stop_try_timer(const std::string& h, std::vector<std::string>& notes) {
  auto t = try_timers_.find(h);
  if (t == try_timers_.end()) return;
  if (auto err = cancel_try_timer(t->second))
    notes.push_back("host " + h + ": could not stop the timer " + t->second + ".timer: " + *err);
  try_timers_.erase(t);
}

std::vector<std::string> ApplySession::start_try(std::chrono::seconds seconds) {
  std::vector<std::string> notes;
  // The deadline: a whole second of the wall clock, at least `seconds` from now.
  const auto now = std::chrono::system_clock::now();
  const long long deadline =
      std::chrono::ceil<std::chrono::seconds>((now + seconds).time_since_epoch()).count();
  try_deadline_ = deadline;
  std::string hosts;
  for (auto& [h, jw] : journals_) {
    clear_confirm(options_.state_dir, h);
    TryRecord tr{options_.apply_id, utc_timestamp(deadline), deadline,
                 static_cast<long>(::getpid()), ""};
    if (options_.try_timer.enabled) {
      // Started before the record: a crash in between leaves a timer whose rollback finds no
      // open try of this id and does nothing.
      const auto argv = try_timer_argv(options_.try_timer, options_.state_dir, h, options_.apply_id,
                                       std::max(1LL, deadline - epoch_now()) + kTimerMarginSeconds);
      if (auto err = start_try_timer(argv)) {
        notes.push_back("host " + h + ": the systemd timer that reverts this try could not be "
                        "started (" + *err + "): should this process die, the next macvtapctl "
                        "apply, rollback or confirm on " + h + " reverts it after " +
                        tr.deadline);
      } else {
        tr.timer_unit = try_timer_unit(h, options_.apply_id);
        try_timers_[h] = tr.timer_unit;
      }
    }
    jw->try_deadline(tr);
    jw->status("trying");
    if (!options_.try_timer.enabled) hosts += (hosts.empty() ? "" : ", ") + h;
  }
  if (!hosts.empty())
    notes.push_back("no systemd timer (systemd is not running here): should this process die, "
                    "the next macvtapctl apply, rollback or confirm on " + hosts +
                    " reverts the try after its deadline " + utc_timestamp(deadline));
  return notes;
}

std::set<std::string> ApplySession::wait_for_confirm_hosts(std::chrono::milliseconds timeout) {
  std::set<std::string> confirmed;
  if (!try_deadline_)
    (void)start_try(std::chrono::ceil<std::chrono::seconds>(std::max(timeout, std::chrono::milliseconds(1))));
  // Until the recorded deadline (what `confirm` and later commands judge by), bounded by
  // the monotonic clock too (a wall clock set back must not stretch the wait).
  const auto bound = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(2);
  for (;;) {
    // A host confirmed is kept at once: a later failure of the wait cannot undo it.
    for (auto it = journals_.begin(); it != journals_.end();) {
      if (is_confirmed(options_.state_dir, it->first, options_.apply_id)) {
        clear_confirm(options_.state_dir, it->first);
        it->second->status("applied");
        stop_try_timer(it->first, try_notes_);
        confirmed.insert(it->first);
        it = journals_.erase(it);
      } else {
        ++it;
      }
    }
    if (journals_.empty()) return confirmed;
    if (std::chrono::system_clock::now() >=
            std::chrono::system_clock::time_point(std::chrono::seconds(*try_deadline_)) ||
        std::chrono::steady_clock::now() >= bound)
      return confirmed;
    if (options_.interrupted && options_.interrupted()) return confirmed;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

bool ApplySession::wait_for_confirm(std::chrono::milliseconds timeout) {
  wait_for_confirm_hosts(timeout);
  return journals_.empty();
}

RollbackReport ApplySession::rollback(const std::string& h) {
  RollbackReport rep;
  auto it = journals_.find(h);
  if (it == journals_.end()) {
    rep.nothing_to_do = true;
    return rep;
  }
  it->second.reset();  // the rollback appends through its own writer
  journals_.erase(it);
  try {
    rep = rollback_host(options_.state_dir, h, backends_.at(h), options_.timeouts, options_.progress);
  } catch (const std::exception& e) {
    rep.errors.push_back("host " + h + ": " + e.what());
  }
  if (rep.ok()) stop_try_timer(h, rep.notes);  // a --try rolled back: its timer has no work
  return rep;
}

RollbackReport ApplySession::rollback() {
  RollbackReport all;
  std::vector<std::string> hosts;
  for (const auto& [h, _] : journals_) hosts.push_back(h);
  // Hosts in reverse order of name, each alone; within a host, steps newest first.
  for (auto it = hosts.rbegin(); it != hosts.rend(); ++it) {
    all.append(rollback(*it));
  }
  return all;
}

}  // namespace mvt::apply
