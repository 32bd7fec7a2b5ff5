#include "apply/executor.hpp"

#include <unistd.h>

#include <cstdlib>
#include <set>
#include <thread>

#include "apply/confirm.hpp"
#include "apply/state_dir.hpp"
#include "apply/step_runner.hpp"
#include "apply/temp_files.hpp"
#include "apply/try_deadline.hpp"
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

ApplySession::ApplySession(Backends backends, ApplyOptions options)
    : backends_(std::move(backends)), options_(std::move(options)) {
  if (options_.apply_id.empty()) options_.apply_id = default_apply_id();
}

ApplySession::~ApplySession() = default;

void ApplySession::verify(ApplyResult& r, const plan::Plan& p,
                          const std::vector<std::string>& hosts) {
  if (!options_.replan) {
    r.notes.push_back("verification skipped: no re-plan available");
  } else {
    const int attempts = std::max(1, options_.verify_attempts);
    bool empty = false;
    for (int i = 1; i <= attempts && !empty; ++i) {
      plan::Plan again = options_.replan();
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
    return;
  }
  std::vector<std::string> failed;
  for (const auto& h : hosts) {
    VerifyReport rep = options_.verify_guests(h);
    bool whole_host = false;  // a host file changed: every guest of the host was touched
    std::set<std::string> touched;
    for (const auto& s : p.steps) {
      if (s.host != h) continue;
      const bool file = s.op.kind == plan::OpKind::WriteFile || s.op.kind == plan::OpKind::RemoveFile;
      if (file && s.op.scope == plan::FileScope::Host)
        whole_host = true;
      else if (!s.op.guest.empty())
        touched.insert(s.op.guest);
    }
    for (auto& l : rep.lines)
      if (l.status == CheckStatus::Failed && !whole_host && !touched.count(l.guest))
        l.status = CheckStatus::Warning;
    for (auto& f : rep.failures()) failed.push_back(std::move(f));
    r.verification.insert(r.verification.end(), rep.lines.begin(), rep.lines.end());
  }
  if (!failed.empty()) {
    std::string msg = "verification failed:";
    for (const auto& f : failed) msg += "\n  " + f;
    throw Error(msg);
  }
}

ApplyResult ApplySession::apply(const plan::Plan& p) {
  ApplyResult r;
  if (!p.has_changes()) {
    r.ok = true;
    r.no_changes = true;
    return r;
  }
  // Every host of the plan: backends, lock, journal - before anything runs.
  std::set<std::string> hosts;
  for (const auto& s : p.steps) hosts.insert(s.host);
  for (const auto& h : hosts) {
    if (!backends_.count(h)) {
      r.error = "no backends for host " + h;
      return r;
    }
  }
  for (const auto& h : hosts) {
    locks_.push_back(std::make_unique<HostLock>(options_.state_dir, h));
    if (const auto& old = locks_.back()->took_over_from())
      r.notes.push_back("host " + h + ": took over a stale lock (" + *old + ", no longer running)");
  }
  // Every journal this apply may continue is read (and so checked: owner, mode, checksums)
  // before any is written: a damaged one refuses the apply with nothing changed.
  for (const auto& h : hosts) (void)rollback_chain(options_.state_dir, h);
  for (const auto& h : hosts) {
    journals_[h] = std::make_unique<JournalWriter>(options_.state_dir, h, options_.apply_id,
                                                   p.spec_digest, backends_.at(h).sources);
    if (const auto& prev = journals_[h]->previous())
      r.notes.push_back("host " + h + ": continuing interrupted apply journal " + *prev +
                        " (rollback undoes both)");
  }

  for (const auto& h : hosts) remove_temp_files(temp_dirs_of(p, h, backends_.at(h)), r.notes);

  const int fault = fault_after_step();
  bool verified = false;
  int seq = 0;
  for (const auto& step : p.steps) {
    ++seq;
    if (options_.interrupted && options_.interrupted()) {
      r.failed_step = label(step);
      r.error = "interrupted before this step";
      break;
    }
    HostBackends& b = backends_.at(step.host);
    JournalWriter& jw = *journals_.at(step.host);
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
    if (!started_journal) break;
    if (options_.progress) options_.progress(label(step) + ": " + plan::to_string(step.op.kind));
    try {
      if (step.op.kind == plan::OpKind::Verify) {
        verify(r, p, {step.host});
        verified = true;
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
      break;
    }
    try {
      jw.step_done(seq);
    } catch (const std::exception& e) {  // the step ran; its "started" record makes it undoable
      r.failed_step = label(step);
      r.error = std::string("the step ran but its completion could not be journaled: ") + e.what();
      break;
    }
    ++r.steps_done;
    if (seq == fault) ::_exit(99);
  }
  if (r.failed_step.empty() && !verified) {
    try {
      verify(r, p, std::vector<std::string>(hosts.begin(), hosts.end()));
    } catch (const std::exception& e) {
      r.failed_step = "verify";
      r.error = e.what();
    }
  }
  r.ok = r.failed_step.empty() && r.error.empty();
  if (!r.ok && options_.rollback_on_failure) r.rollback = rollback();
  return r;
}

void ApplySession::commit() {
  for (auto& [h, jw] : journals_) jw->status("applied");
  for (const auto& [h, unit] : try_timers_)
    if (auto err = cancel_try_timer(unit))
      try_notes_.push_back("host " + h + ": could not stop the timer " + unit + ".timer: " + *err);
  try_timers_.clear();
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

bool ApplySession::wait_for_confirm(std::chrono::milliseconds timeout) {
  if (!try_deadline_)
    (void)start_try(std::chrono::ceil<std::chrono::seconds>(std::max(timeout, std::chrono::milliseconds(1))));
  // Until the recorded deadline (what `confirm` and later commands judge by), bounded by
  // the monotonic clock too (a wall clock set back must not stretch the wait).
  const auto bound = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(2);
  for (;;) {
    bool all = true;
    for (auto& [h, jw] : journals_)
      all = all && is_confirmed(options_.state_dir, h, options_.apply_id);
    if (all) {
      for (auto& [h, jw] : journals_) clear_confirm(options_.state_dir, h);
      return true;
    }
    if (std::chrono::system_clock::now() >=
            std::chrono::system_clock::time_point(std::chrono::seconds(*try_deadline_)) ||
        std::chrono::steady_clock::now() >= bound)
      return false;
    if (options_.interrupted && options_.interrupted()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

RollbackReport ApplySession::rollback() {
  RollbackReport all;
  // Hosts in reverse order of name; within a host, steps newest first.
  for (auto it = journals_.rbegin(); it != journals_.rend(); ++it) {
    const std::string& h = it->first;
    it->second.reset();  // the rollback appends through its own writer
    RollbackReport rep;
    try {
      rep = rollback_host(options_.state_dir, h, backends_.at(h), options_.timeouts, options_.progress);
    } catch (const std::exception& e) {
      rep.errors.push_back("host " + h + ": " + e.what());
    }
    if (auto t = try_timers_.find(h); t != try_timers_.end() && rep.ok()) {
      if (auto err = cancel_try_timer(t->second))
        rep.notes.push_back("host " + h + ": could not stop the timer " + t->second + ".timer: " + *err);
      try_timers_.erase(t);
    }
    all.undone.insert(all.undone.end(), rep.undone.begin(), rep.undone.end());
    all.errors.insert(all.errors.end(), rep.errors.begin(), rep.errors.end());
    all.pending.insert(all.pending.end(), rep.pending.begin(), rep.pending.end());
    all.notes.insert(all.notes.end(), rep.notes.begin(), rep.notes.end());
  }
  journals_.clear();
  return all;
}

}  // namespace mvt::apply
