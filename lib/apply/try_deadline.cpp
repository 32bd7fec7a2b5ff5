#include "apply/try_deadline.hpp"

#include <ctime>

#include "apply/state_dir.hpp"
#include "apply/try_timer.hpp"
#include "util/errors.hpp"

namespace mvt::apply {

std::optional<OpenTry> open_try_of(const Journal& jn) {
  if (jn.status != "trying") return std::nullopt;
  return OpenTry{jn.host, jn.apply_id, jn.try_record};
}

long long epoch_now() {
  return static_cast<long long>(std::time(nullptr));
}

std::string SettleResult::message() const {
  if (!open || !rolled_back) return {};
  const std::size_t n = report.undone.size();
  std::string m = "host " + open->host + ": the --try of apply " + open->apply_id + " expired at " +
                  open->deadline() + " unconfirmed: ";
  if (report.ok())
    return m + "rolled back (" + std::to_string(n) + " step" + (n == 1 ? "" : "s") + ")";
  m += "rollback INCOMPLETE (" + std::to_string(n) + " undone, " +
       std::to_string(report.errors.size()) + " could not be undone):";
  for (const auto& e : report.errors) m += "\n  " + e;
  return m + "\nFix the cause and run `macvtapctl rollback --host " + open->host + "`";
}

std::optional<std::string> stop_timer_of(const Journal& jn) {
  if (!jn.try_record || jn.try_record->timer_unit.empty()) return std::nullopt;
  if (auto err = cancel_try_timer(jn.try_record->timer_unit))
    return "could not stop the timer " + jn.try_record->timer_unit + ".timer: " + *err;
  return std::nullopt;
}

SettleResult settle_expired_try(const std::filesystem::path& state_dir, const std::string& host,
                                const JournalBackendsOpener& open, const Timeouts& t,
                                long long now, const std::optional<std::string>& only_apply_id) {
  SettleResult r;
  auto jn = read_host_journal(state_dir, host);
  if (!jn) return r;
  r.open = open_try_of(*jn);
  if (!r.open || !r.open->expired(now)) return r;
  if (only_apply_id && r.open->apply_id != *only_apply_id) return r;
  std::vector<std::string> errors;
  OwnedBackends owned = open(host, jn->sources, errors);
  for (auto& e : errors) r.notes.push_back(std::move(e));
  auto it = owned.view.find(host);
  if (it == owned.view.end()) throw Error("no backends for host " + host);
  r.report = rollback_host(state_dir, host, it->second, t);
  r.rolled_back = true;
  if (r.report.ok())
    if (auto note = stop_timer_of(*jn)) r.notes.push_back(*note);
  return r;
}

OpenTryScan scan_open_tries(const std::filesystem::path& state_dir,
                            const std::vector<std::string>& hosts) {
  OpenTryScan s;
  std::error_code ec;
  if (!std::filesystem::exists(state_dir, ec) && !std::filesystem::is_symlink(state_dir, ec))
    return s;
  try {
    check_state_dir(state_dir);
  } catch (const std::exception& e) {
    s.notes.push_back(std::string("open --try not checked: ") + e.what());
    return s;
  }
  std::vector<std::string> which = hosts;
  if (which.empty()) {
    try {
      which = journal_hosts(state_dir);
    } catch (const std::exception& e) {
      s.notes.push_back(std::string("open --try not checked: ") + e.what());
      return s;
    }
  }
  for (const auto& h : which) {
    try {
      if (auto jn = read_host_journal(state_dir, h))
        if (auto o = open_try_of(*jn)) s.tries.push_back(std::move(*o));
    } catch (const std::exception& e) {
      s.notes.push_back("host " + h + ": open --try not checked: " + e.what());
    }
  }
  return s;
}

}  // namespace mvt::apply
