#include "apply/state_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "files/unique_fd.hpp"
#include "util/errors.hpp"

namespace mvt::apply {

void ensure_state_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!dir.parent_path().empty() && !std::filesystem::exists(dir.parent_path(), ec))
    std::filesystem::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) == 0) {
    ::chmod(dir.c_str(), 0700);  // umask-proof
    return;
  }
  if (errno != EEXIST)
    throw SystemError("cannot create state directory " + dir.string() + ": " + std::strerror(errno),
                      errno);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0)
    throw SystemError("cannot stat state directory " + dir.string() + ": " + std::strerror(errno),
                      errno);
  if (!S_ISDIR(st.st_mode))
    throw AccessError("state directory " + dir.string() + " is not a directory");
  if (st.st_uid != ::geteuid())
    throw AccessError("state directory " + dir.string() + " is owned by uid " +
                      std::to_string(st.st_uid) + ", not by us");
  if ((st.st_mode & 077) != 0) ::chmod(dir.c_str(), 0700);
}

std::string host_file_stem(const std::string& host) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < host.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(host[i]);
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (out.empty()) out = "%";
  return out;
}

void write_state_file(const std::filesystem::path& dir, const std::string& name,
                      const std::string& bytes) {
  const auto tmp = dir / ("." + name + ".tmp-" + std::to_string(::getpid()));
  const auto dst = dir / name;
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) throw SystemError("cannot create " + tmp.string() + ": " + std::strerror(errno), errno);
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::unlink(tmp.c_str());
      throw SystemError("cannot write " + tmp.string() + ": " + std::strerror(err), err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), dst.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw SystemError("cannot write " + dst.string() + ": " + std::strerror(err), err);
  }
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd) ::fsync(dfd.get());
}

std::string utc_timestamp(long long epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string utc_now() {
  return utc_timestamp(static_cast<long long>(std::time(nullptr)));
}

}  // namespace mvt::apply
