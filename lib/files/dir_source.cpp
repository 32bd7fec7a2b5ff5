#include "files/dir_source.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "util/errors.hpp"
#include "util/path_parts.hpp"

namespace mvt {
namespace {

// A directory path opened in one call with no symbolic link in any component
// (RESOLVE_NO_SYMLINKS) and, relative to a root, never above it (RESOLVE_BENEATH): what the
// component-by-component walks below check, in one system call instead of one per component
// (at 1,000 guests, 8,000 fewer calls per plan). -1 with errno on failure: the caller then
// walks, which says exactly why (a symlink, not a directory, ...).
int open_dir_resolved(int dirfd, const std::string& path, bool beneath) {
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | (beneath ? RESOLVE_BENEATH : 0);
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
}

std::string errno_text(int err) {
  return std::strerror(err);
}

// Temp-file names never collide with ifcfg-/route- names and are recognisable for cleanup.
std::string temp_name(const std::string& name) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (int i = 0; i < 8; ++i) suffix += alphabet[rng() % 36];
  return "." + name + ".mvt-" + suffix;
}

void write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("write: " + errno_text(errno), errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("read: " + errno_text(errno), errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

std::vector<std::string> split_relative_path(const std::string& rel) {
  if (rel.empty()) throw AccessError("empty path");
  if (rel.find('\0') != std::string::npos) throw AccessError("path contains a NUL byte");
  if (rel.front() == '/')
    throw AccessError("refusing absolute path '" + rel +
                      "': paths are relative to the source root");
  std::vector<std::string> parts = path_components(rel);
  for (const auto& part : parts)
    if (part == "..")
      throw AccessError("refusing path '" + rel + "': '..' leads out of the source root");
  if (parts.empty()) throw AccessError("refusing path '" + rel + "': it names the root itself");
  return parts;
}

DirSource::DirSource(std::filesystem::path root, std::string name, bool read_only)
    : root_(std::move(root)), name_(std::move(name)), read_only_(read_only) {
  if (name_.empty()) name_ = "dir:" + root_.string();
}

std::string DirSource::describe() const {
  return name_;
}

std::string DirSource::where(const std::string& rel) const {
  return name_ + ": " + (root_ / rel).string();
}

// The root, walked one component at a time from "/" (or the working directory) with
// O_NOFOLLOW: a symbolic link anywhere on the root's path is refused, so the directory read
// is the one the guard approved (it compared the resolved path) - a component swapped for a
// link between the check and the use is caught here. ".." is walked as the kernel would (no
// link was crossed before it).
UniqueFd DirSource::open_root_no_follow() const {
  const std::string root = root_.string();
  auto fail = [&](const std::string& why) -> AccessError {
    return AccessError(name_ + ": cannot open root directory " + root + ": " + why);
  };
  if (root.empty()) throw fail("empty path");
  if (const int fd = open_dir_resolved(AT_FDCWD, root, false); fd >= 0) return UniqueFd(fd);
  UniqueFd cur(::open(root.front() == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cur) throw fail(errno_text(errno));
  std::string shown = root.front() == '/' ? "/" : "";
  for (std::size_t start = 0; start <= root.size();) {
    std::size_t end = root.find('/', start);
    if (end == std::string::npos) end = root.size();
    const std::string part = root.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    shown += (shown.empty() || shown == "/" ? "" : "/") + part;
    int fd = ::openat(cur.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      struct stat st {};
      if (::fstatat(cur.get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        throw fail("'" + shown + "' is a symbolic link (a file source root is never reached "
                   "through a symlink; name the real directory)");
      throw fail(errno_text(err));
    }
    cur.reset(fd);
  }
  return cur;
}

int DirSource::root_fd() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!root_fd_) {
    root_fd_ = open_root_no_follow();
  }
  return root_fd_.get();
}

void DirSource::refuse_link(int dirfd, const std::string& name, const std::string& rel,
                            const std::string& shown) const {
  char target[4096];
  ssize_t n = ::readlinkat(dirfd, name.c_str(), target, sizeof target - 1);
  std::string to = n >= 0 ? std::string(target, static_cast<std::size_t>(n)) : "?";
  throw AccessError(where(rel) + ": refusing symbolic link " + shown + " -> " + to +
                    " (symlinks inside a file source are never followed)");
}

std::optional<UniqueFd> DirSource::open_dirs(const std::string& rel,
                                             const std::vector<std::string>& parts,
                                             std::size_t count) {
  if (count > 0) {
    std::string path = parts[0];
    for (std::size_t i = 1; i < count; ++i) path += "/" + parts[i];
    const int fd = open_dir_resolved(root_fd(), path, true);
    if (fd >= 0) return UniqueFd(fd);
    if (errno == ENOENT) return std::nullopt;  // a missing component (a symlink gives ELOOP)
  }
  UniqueFd cur(::fcntl(root_fd(), F_DUPFD_CLOEXEC, 0));
  if (!cur) throw SystemError("dup: " + errno_text(errno), errno);
  std::string shown;
  for (std::size_t i = 0; i < count; ++i) {
    shown += (i ? "/" : "") + parts[i];
    int fd = ::openat(cur.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == ENOENT) return std::nullopt;
      struct stat st {};
      if (::fstatat(cur.get(), parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISLNK(st.st_mode))
        refuse_link(cur.get(), parts[i], rel, shown);
      if (err == ENOTDIR) throw AccessError(where(rel) + ": " + shown + " is not a directory");
      throw SystemError(where(rel) + ": cannot open directory " + shown + ": " + errno_text(err),
                        err);
    }
    cur.reset(fd);
  }
  return cur;
}

std::optional<FileInfo> DirSource::read(const std::string& rel) {
  const auto parts = split_relative_path(rel);
  auto dir = open_dirs(rel, parts, parts.size() - 1);
  if (!dir) return std::nullopt;
  return read_at(dir->get(), parts.back(), rel);
}

std::optional<FileInfo> DirSource::read_at(int dir, const std::string& name,
                                           const std::string& rel) {
  // O_NONBLOCK: opening a FIFO must not hang; it is refused below as not a regular file.
  UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    if (err == ENOENT) return std::nullopt;
    if (err == ELOOP) refuse_link(dir, name, rel, rel);
    throw SystemError(where(rel) + ": cannot open: " + errno_text(err), err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    throw SystemError(where(rel) + ": fstat: " + errno_text(errno), errno);
  if (!S_ISREG(st.st_mode)) throw AccessError(where(rel) + ": not a regular file");
  FileInfo info;
  try {
    info.bytes = read_all(fd.get());
  } catch (const SystemError& e) {
    throw SystemError(where(rel) + ": " + e.what(), e.err());
  }
  info.mode = st.st_mode & 07777;
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  return info;
}

std::vector<std::string> DirSource::regular_files(int dir, const std::string& rel_dir) {
  int dfd = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
  if (dfd < 0) throw SystemError("dup: " + errno_text(errno), errno);
  std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(dfd), &::closedir);
  if (!d) {
    const int err = errno;
    ::close(dfd);
    throw SystemError(where(rel_dir) + ": opendir: " + errno_text(err), err);
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d.get())) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    // d_type says what lstat would (no symlink is followed); a file system that does not
    // fill it in gets the lstat.
    bool regular = e->d_type == DT_REG;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      regular = ::fstatat(dir, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
    }
    if (regular) names.push_back(std::move(n));
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> DirSource::list(const std::string& rel_dir) {
  const auto parts = split_relative_path(rel_dir);
  auto dir = open_dirs(rel_dir, parts, parts.size());
  if (!dir) return {};
  return regular_files(dir->get(), rel_dir);
}

FileAccess::DirEntries DirSource::read_dir(const std::string& rel_dir,
                                           const std::function<bool(const std::string&)>& wanted) {
  const auto parts = split_relative_path(rel_dir);
  auto dir = open_dirs(rel_dir, parts, parts.size());
  DirEntries out;
  if (!dir) return out;
  for (auto& name : regular_files(dir->get(), rel_dir)) {
    if (!wanted(name)) continue;
    auto info = read_at(dir->get(), name, rel_dir + "/" + name);
    out.emplace_back(std::move(name), std::move(info));
  }
  return out;
}

void DirSource::check_writable(const std::string& what, const std::string& rel) const {
  if (read_only_)
    throw AccessError(where(rel) + ": refusing to " + what + ": the source is read-only");
}

void DirSource::write_atomic(const std::string& rel, const std::string& bytes,
                             std::optional<unsigned> mode) {
  check_writable("write", rel);
  const auto parts = split_relative_path(rel);
  auto dir = open_dirs(rel, parts, parts.size() - 1);
  if (!dir) throw SystemError(where(rel) + ": its directory does not exist", ENOENT);
  const std::string& name = parts.back();

  // The existing file (if any) fixes mode and owner; it must be a plain regular file.
  unsigned want_mode = mode.value_or(0644);
  uid_t want_uid = ::geteuid() == 0 ? 0 : ::geteuid();
  gid_t want_gid = ::geteuid() == 0 ? 0 : ::getegid();
  struct stat st {};
  if (::fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) refuse_link(dir->get(), name, rel, rel);
    if (!S_ISREG(st.st_mode))
      throw AccessError(where(rel) + ": refusing to replace: not a regular file");
    if (!mode) want_mode = st.st_mode & 07777;
    want_uid = st.st_uid;
    want_gid = st.st_gid;
  } else if (errno != ENOENT) {
    throw SystemError(where(rel) + ": stat: " + errno_text(errno), errno);
  }

  std::string tmp;
  UniqueFd fd;
  for (int attempt = 0; attempt < 100 && !fd; ++attempt) {
    tmp = temp_name(name);
    fd.reset(::openat(dir->get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      0600));
    if (!fd && errno != EEXIST)
      throw SystemError(where(rel) + ": cannot create temp file: " + errno_text(errno), errno);
  }
  if (!fd) throw SystemError(where(rel) + ": cannot create a unique temp file", EEXIST);

  try {
    write_all(fd.get(), bytes);
    struct stat tst {};
    if (::fstat(fd.get(), &tst) != 0) throw SystemError("fstat: " + errno_text(errno), errno);
    if ((tst.st_uid != want_uid || tst.st_gid != want_gid) &&
        ::fchown(fd.get(), want_uid, want_gid) != 0)
      throw SystemError("cannot keep owner " + std::to_string(want_uid) + ":" +
                            std::to_string(want_gid) + ": " + errno_text(errno),
                        errno);
    // After fchown: chown clears set-id bits.
    if (::fchmod(fd.get(), want_mode) != 0)
      throw SystemError("fchmod: " + errno_text(errno), errno);
    if (::fsync(fd.get()) != 0) throw SystemError("fsync: " + errno_text(errno), errno);
    if (::close(fd.release()) != 0) throw SystemError("close: " + errno_text(errno), errno);
    if (::renameat(dir->get(), tmp.c_str(), dir->get(), name.c_str()) != 0)
      throw SystemError("rename: " + errno_text(errno), errno);
  } catch (const SystemError& e) {
    ::unlinkat(dir->get(), tmp.c_str(), 0);
    throw SystemError(where(rel) + ": " + e.what(), e.err());
  } catch (...) {
    ::unlinkat(dir->get(), tmp.c_str(), 0);
    throw;
  }
  if (::fsync(dir->get()) != 0)
    throw SystemError(where(rel) + ": fsync of its directory: " + errno_text(errno), errno);
}

void DirSource::remove(const std::string& rel) {
  check_writable("remove", rel);
  const auto parts = split_relative_path(rel);
  auto dir = open_dirs(rel, parts, parts.size() - 1);
  if (!dir) return;
  const std::string& name = parts.back();
  struct stat st {};
  if (::fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    throw SystemError(where(rel) + ": stat: " + errno_text(errno), errno);
  }
  if (S_ISLNK(st.st_mode)) refuse_link(dir->get(), name, rel, rel);
  if (!S_ISREG(st.st_mode))
    throw AccessError(where(rel) + ": refusing to remove: not a regular file");
  if (::unlinkat(dir->get(), name.c_str(), 0) != 0 && errno != ENOENT)
    throw SystemError(where(rel) + ": unlink: " + errno_text(errno), errno);
  if (::fsync(dir->get()) != 0)
    throw SystemError(where(rel) + ": fsync of its directory: " + errno_text(errno), errno);
}

void DirSource::chown(const std::string& rel, unsigned uid, unsigned gid) {
  check_writable("chown", rel);
  const auto parts = split_relative_path(rel);
  auto dir = open_dirs(rel, parts, parts.size() - 1);
  if (!dir) throw SystemError(where(rel) + ": does not exist", ENOENT);
  const std::string& name = parts.back();
  UniqueFd fd(::openat(dir->get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    if (err == ELOOP) refuse_link(dir->get(), name, rel, rel);
    throw SystemError(where(rel) + ": cannot open: " + errno_text(err), err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    throw SystemError(where(rel) + ": fstat: " + errno_text(errno), errno);
  if (!S_ISREG(st.st_mode)) throw AccessError(where(rel) + ": not a regular file");
  if (st.st_uid == uid && st.st_gid == gid) return;
  const unsigned keep_mode = st.st_mode & 07777;
  if (::fchown(fd.get(), uid, gid) != 0)
    throw SystemError(where(rel) + ": chown: " + errno_text(errno), errno);
  if (::fchmod(fd.get(), keep_mode) != 0)
    throw SystemError(where(rel) + ": chmod: " + errno_text(errno), errno);
}

std::unique_ptr<FileAccess> open_dir_source(const FileSourceSpec& spec, bool read_only) {
  switch (spec.kind) {
    case FileSourceKind::Local:
      return std::make_unique<DirSource>("/", "local", read_only);
    case FileSourceKind::Dir:
      if (spec.path.empty()) throw AccessError("dir: source without a path");
      return std::make_unique<DirSource>(spec.path, "", read_only);
    default:
      throw AccessError("'" + spec.str() + "' is not a dir: or local file source");
  }
}

}  // namespace mvt
