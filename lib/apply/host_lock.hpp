#pragma once
// HostLock: one apply (or rollback) per host at a time, across processes.
//
// STATE_DIR/HOST.lock is flock()ed (LOCK_EX | LOCK_NB) for the life of the object and holds
// the holder's record "pid=N start=UTC". The kernel drops a flock when its process dies, so a
// stale lock of a dead process is simply taken over (the old record is reported through
// took_over_from()); there is no pid guessing and no window where two processes both hold it.
#include <filesystem>
#include <optional>
#include <string>

#include "files/unique_fd.hpp"
#include "util/errors.hpp"

namespace mvt::apply {

// Another live process holds the lock. what(): "host kvm1 is locked by another apply:
// pid 1234 started 2026-11-24T00:40:00Z (lock file /var/lib/macvtapctl/kvm1.lock)".
class LockHeldError : public Error {
 public:
  LockHeldError(std::string message, long pid, std::string started)
      : Error(std::move(message)), pid_(pid), started_(std::move(started)) {}
  long pid() const { return pid_; }
  const std::string& started() const { return started_; }

 private:
  long pid_;
  std::string started_;
};

class HostLock {
 public:
  // Creates the state dir if needed (0700), checks it and the lock file (state_dir.hpp:
  // AccessError when unsafe), takes the lock and removes the host's temp files a crash left
  // in the state dir; throws LockHeldError when a live process holds it, SystemError on I/O
  // failure.
  HostLock(const std::filesystem::path& state_dir, const std::string& host);
  ~HostLock();  // releases the lock (the file stays; its record is cleared)
  HostLock(const HostLock&) = delete;
  HostLock& operator=(const HostLock&) = delete;

  const std::string& host() const { return host_; }
  // The record left by a process that died holding the lock, if any ("pid=12 start=...").
  const std::optional<std::string>& took_over_from() const { return took_over_; }

 private:
  std::string host_;
  UniqueFd fd_;
  std::optional<std::string> took_over_;
};

}  // namespace mvt::apply
