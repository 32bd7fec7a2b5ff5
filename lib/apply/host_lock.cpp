#include "apply/host_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "apply/state_dir.hpp"

namespace mvt::apply {
namespace {

std::string read_record(int fd) {
  std::string s;
  char buf[256];
  ssize_t n;
  off_t off = 0;
  while ((n = ::pread(fd, buf, sizeof buf, off)) > 0) {
    s.append(buf, static_cast<std::size_t>(n));
    off += n;
    if (s.size() > 4096) break;
  }
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string field(const std::string& record, const std::string& key) {
  const std::string k = key + "=";
  auto p = record.find(k);
  if (p == std::string::npos) return {};
  p += k.size();
  auto e = record.find(' ', p);
  return record.substr(p, e == std::string::npos ? std::string::npos : e - p);
}

}  // namespace

HostLock::HostLock(const std::filesystem::path& state_dir, const std::string& host) : host_(host) {
  ensure_state_dir(state_dir);
  const auto path = state_dir / (host_file_stem(host) + ".lock");
  fd_ = open_state_file(path, O_RDWR | O_CREAT);
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK)
      throw SystemError("cannot lock " + path.string() + ": " + std::strerror(err), err);
    // The holder writes its record right after locking: give it a moment.
    std::string rec;
    for (int i = 0; i < 20 && (rec = read_record(fd_.get())).empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const std::string pid = field(rec, "pid");
    const std::string start = field(rec, "start");
    throw LockHeldError("host " + host + " is locked by another apply: pid " +
                            (pid.empty() ? "?" : pid) + " started " +
                            (start.empty() ? "?" : start) + " (lock file " + path.string() + ")",
                        pid.empty() ? -1 : std::atol(pid.c_str()), start);
  }
  const std::string old = read_record(fd_.get());
  if (!old.empty()) took_over_ = old;
  const std::string rec = "pid=" + std::to_string(::getpid()) + " start=" + utc_now() + "\n";
  if (::ftruncate(fd_.get(), 0) != 0 ||
      ::pwrite(fd_.get(), rec.data(), rec.size(), 0) != static_cast<ssize_t>(rec.size()) ||
      ::fsync(fd_.get()) != 0)
    throw SystemError("cannot write lock file " + path.string() + ": " + std::strerror(errno),
                      errno);
  remove_state_temp_files(state_dir, host);  // left by a crashed apply/rollback of this host
}

HostLock::~HostLock() {
  if (fd_) {
    (void)::ftruncate(fd_.get(), 0);
    ::flock(fd_.get(), LOCK_UN);
  }
}

}  // namespace mvt::apply
