#include "apply/confirm.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "apply/host_lock.hpp"
#include "apply/journal.hpp"
#include "apply/state_dir.hpp"

namespace mvt::apply {

std::vector<Confirmed> confirm_trying(const std::filesystem::path& state_dir,
                                      const std::vector<std::string>& hosts) {
  std::vector<Confirmed> out;
  for (const auto& host : journal_hosts(state_dir)) {
    if (!hosts.empty() && std::find(hosts.begin(), hosts.end(), host) == hosts.end()) continue;
    auto jn = read_host_journal(state_dir, host);
    if (!jn || jn->status != "trying") continue;
    write_state_file(state_dir, host_file_stem(host) + ".confirm", jn->apply_id + "\n");
    out.push_back({host, jn->apply_id});
  }
  return out;
}

bool is_confirmed(const std::filesystem::path& state_dir, const std::string& host,
                  const std::string& apply_id) {
  UniqueFd fd = open_state_file(state_dir / (host_file_stem(host) + ".confirm"), O_RDONLY);
  if (!fd) return false;
  char buf[256];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n <= 0) return false;
  std::string id(buf, static_cast<std::size_t>(n));
  if (auto nl = id.find('\n'); nl != std::string::npos) id.resize(nl);
  return id == apply_id;
}

void clear_confirm(const std::filesystem::path& state_dir, const std::string& host) {
  std::error_code ec;
  std::filesystem::remove(state_dir / (host_file_stem(host) + ".confirm"), ec);
}

HostConfirm confirm_host(const std::filesystem::path& state_dir, const std::string& host,
                         const JournalBackendsOpener& open, const Timeouts& t, long long now) {
  HostConfirm c;
  c.host = host;
  auto jn = read_host_journal(state_dir, host);
  if (!jn || !(c.open = open_try_of(*jn))) return c;
  std::unique_ptr<HostLock> lock;
  try {
    lock = std::make_unique<HostLock>(state_dir, host);
  } catch (const LockHeldError& e) {
    // The waiting apply lives (or another command holds the host: it finishes first).
    c.waiter_pid = e.pid();
    if (c.open->expired(now)) {
      c.outcome = TryConfirm::ExpiredWaiting;
      return c;
    }
    write_state_file(state_dir, host_file_stem(host) + ".confirm", jn->apply_id + "\n");
    c.outcome = TryConfirm::Signalled;
    return c;
  }
  // Under the lock: the journal as it is now (the waiting process may have finished).
  jn = read_host_journal(state_dir, host);
  if (!jn || !(c.open = open_try_of(*jn))) {
    c.outcome = TryConfirm::NoTry;
    return c;
  }
  if (c.open->expired(now)) {
    c.settled = settle_expired_try(state_dir, host, open, t, now, c.open->apply_id);
    c.outcome = TryConfirm::Expired;
    return c;
  }
  JournalWriter(jn->path).status("applied");
  clear_confirm(state_dir, host);
  if (auto note = stop_timer_of(*jn)) c.notes.push_back(*note);
  c.outcome = TryConfirm::Kept;
  return c;
}

}  // namespace mvt::apply
