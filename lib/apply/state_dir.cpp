#include "apply/state_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "files/unique_fd.hpp"
#include "util/errors.hpp"

namespace mvt::apply {

namespace {

std::string owner_name() {
  const uid_t uid = ::geteuid();
  if (const struct passwd* pw = ::getpwuid(uid); pw && pw->pw_name) return pw->pw_name;
  return std::to_string(uid);
}

std::string octal_mode(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

// Why st (of a state dir or file) is not safe to trust, or "" when it is.
std::string unsafe_reason(const struct stat& st) {
  if (st.st_uid != ::geteuid())
    return "is owned by uid " + std::to_string(st.st_uid) + ", not by uid " +
           std::to_string(::geteuid()) + " (the user running macvtapctl)";
  if ((st.st_mode & 022) != 0)
    return "is writable by group or others (mode " + octal_mode(st.st_mode) + ")";
  return {};
}

[[noreturn]] void refuse_dir(const std::filesystem::path& dir, const std::string& why) {
  throw AccessError("refusing state directory " + dir.string() + ": it " + why +
                    "; another user could plant or change its journals. Fix: chown " +
                    owner_name() + ": " + dir.string() + " && chmod 0700 " + dir.string() +
                    " (or use another --state-dir)");
}

}  // namespace

void ensure_state_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!dir.parent_path().empty() && !std::filesystem::exists(dir.parent_path(), ec))
    std::filesystem::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) == 0) {
    ::chmod(dir.c_str(), 0700);  // umask-proof; ours: we just created it
  } else if (errno != EEXIST) {
    throw SystemError("cannot create state directory " + dir.string() + ": " + std::strerror(errno),
                      errno);
  }
  check_state_dir(dir);
}

void check_state_dir(const std::filesystem::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0)
    throw SystemError("cannot stat state directory " + dir.string() + ": " + std::strerror(errno),
                      errno);
  if (S_ISLNK(st.st_mode))
    throw AccessError("refusing state directory " + dir.string() +
                      ": it is a symlink; give the real directory as --state-dir");
  if (!S_ISDIR(st.st_mode))
    throw AccessError("refusing state directory " + dir.string() + ": it is not a directory");
  if (const std::string why = unsafe_reason(st); !why.empty()) refuse_dir(dir, why);
  // Its ancestors: whoever may rename entries in one could swap the state dir for their own.
  std::error_code ec;
  auto real = std::filesystem::canonical(dir, ec);
  if (ec) throw SystemError("cannot resolve state directory " + dir.string() + ": " + ec.message(),
                            ec.value());
  for (auto p = real.parent_path();; p = p.parent_path()) {
    struct stat pst {};
    if (::stat(p.c_str(), &pst) != 0)
      throw SystemError("cannot stat " + p.string() + ": " + std::strerror(errno), errno);
    if (pst.st_uid != 0 && pst.st_uid != ::geteuid())
      throw AccessError("refusing state directory " + dir.string() + ": its parent " + p.string() +
                        " is owned by uid " + std::to_string(pst.st_uid) +
                        ", who could replace it. Fix: use a state dir whose parents belong to "
                        "root or to " + owner_name());
    if ((pst.st_mode & 022) != 0 && (pst.st_mode & S_ISVTX) == 0)
      throw AccessError("refusing state directory " + dir.string() + ": its parent " + p.string() +
                        " is writable by group or others (mode " + octal_mode(pst.st_mode) +
                        ") without the sticky bit, so another user could replace it. Fix: "
                        "chmod go-w " + p.string() + " (or use another --state-dir)");
    if (p == p.parent_path()) break;
  }
}

UniqueFd open_state_file(const std::filesystem::path& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    const int err = errno;
    if (err == ENOENT && (flags & O_CREAT) == 0) return fd;
    if (err == ELOOP)
      throw AccessError("refusing state file " + path.string() +
                        ": it is a symlink. Fix: remove it (rm " + path.string() + ")");
    throw SystemError("cannot open " + path.string() + ": " + std::strerror(err), err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    throw SystemError("cannot stat " + path.string() + ": " + std::strerror(errno), errno);
  if (!S_ISREG(st.st_mode))
    throw AccessError("refusing state file " + path.string() + ": it is not a regular file");
  if (const std::string why = unsafe_reason(st); !why.empty())
    throw AccessError("refusing state file " + path.string() + ": it " + why +
                      "; another user could have planted or changed it. Fix: remove it if you "
                      "did not write it, else chown " + owner_name() + ": " + path.string() +
                      " && chmod 0600 " + path.string());
  return fd;
}

void remove_state_temp_files(const std::filesystem::path& dir, const std::string& host) {
  const std::string stem = "." + host_file_stem(host) + ".";
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!d) return;
  DIR* ds = ::fdopendir(::dup(d.get()));
  if (!ds) return;
  std::vector<std::string> doomed;
  while (const struct dirent* e = ::readdir(ds)) {
    const std::string name = e->d_name;
    if (name.rfind(stem, 0) != 0) continue;
    const std::string rest = name.substr(stem.size());
    if (rest == "journal.new" || rest.find(".tmp-") != std::string::npos) doomed.push_back(name);
  }
  ::rewinddir(ds);
  // HOST.journal.APPLYID that is a second name of HOST.journal itself: the journal chaining
  // (journal.hpp) crashed between keeping the old journal and installing the new one.
  struct stat cur {};
  const std::string journal = host_file_stem(host) + ".journal";
  const bool have_cur = ::fstatat(d.get(), journal.c_str(), &cur, AT_SYMLINK_NOFOLLOW) == 0 &&
                        S_ISREG(cur.st_mode);
  while (const struct dirent* e = have_cur ? ::readdir(ds) : nullptr) {
    const std::string name = e->d_name;
    struct stat st {};
    if (name.rfind(journal + ".", 0) == 0 &&
        ::fstatat(d.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == cur.st_ino &&
        st.st_dev == cur.st_dev)
      doomed.push_back(name);
  }
  ::closedir(ds);
  for (const auto& name : doomed) {
    struct stat st {};
    // unlink never follows a symlink; only regular files and links are ours to remove.
    if (::fstatat(d.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
      ::unlinkat(d.get(), name.c_str(), 0);
  }
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
  open_state_file(dst, O_RDONLY);  // an existing one must be ours (it is replaced, not written)
  ::unlink(tmp.c_str());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
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
