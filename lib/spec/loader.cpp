#include "spec/loader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "spec/decode.hpp"
#include "spec/rules.hpp"
#include "spec/yaml_reader.hpp"
#include "util/hash.hpp"
#include "util/path_parts.hpp"
#include "util/thread_pool.hpp"

namespace mvt::spec {
namespace {

namespace fs = std::filesystem;

bool is_yaml_name(const std::string& name) {
  if (name.empty() || name.front() == '.') return false;
  auto ends = [&](const std::string& suf) {
    return name.size() > suf.size() && name.compare(name.size() - suf.size(), suf.size(), suf) == 0;
  };
  return ends(".yaml") || ends(".yml");
}

// A descriptor that closes itself.
struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Why `name` in the opened directory `dir` cannot be used: a symbolic link (named with its
// target, never read) or not what is expected. Empty when it is fine.
std::string refusal(int dir, const std::string& name, const std::string& shown, bool want_dir) {
  struct stat st {};
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::strerror(errno);
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    const ssize_t n = ::readlinkat(dir, name.c_str(), target, sizeof target - 1);
    return "refusing symbolic link '" + shown + "'" +
           (n >= 0 ? " -> '" + std::string(target, static_cast<std::size_t>(n)) + "'" : "") +
           " (spec files and directories are never read through a symlink)";
  }
  if (S_ISDIR(st.st_mode)) return want_dir ? "" : "is a directory, not a regular file";
  if (!S_ISREG(st.st_mode)) return "refusing '" + shown + "': not a regular file";
  return want_dir ? "is not a directory" : "";
}

// Opens `path` walking it one component at a time from the working directory (or /) with
// O_NOFOLLOW: a symbolic link anywhere on the path is refused, whoever typed it; the last
// component must be a directory or a regular file (a FIFO, socket or device is refused
// before it is opened; O_NONBLOCK in case one is swapped in). `is_dir` says which it is.
std::optional<Fd> open_no_follow(const std::string& path, bool& is_dir, std::string& why) {
  if (path.empty()) {
    why = "empty path";
    return std::nullopt;
  }
  Fd cur(::open(path.front() == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (cur.fd < 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  const std::vector<std::string> parts = path_components(path);
  std::string shown = path.front() == '/' ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    shown += (shown.empty() || shown == "/" ? "" : "/") + parts[i];
    struct stat st {};
    if (::fstatat(cur.fd, parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      why = std::strerror(errno);
      return std::nullopt;
    }
    if (S_ISLNK(st.st_mode) || (!last && !S_ISDIR(st.st_mode)) ||
        (last && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))) {
      why = refusal(cur.fd, parts[i], shown, !last);
      return std::nullopt;
    }
    const int flags = (last ? O_RDONLY | O_NONBLOCK : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC;
    Fd next(::openat(cur.fd, parts[i].c_str(), flags));
    if (next.fd < 0) {
      why = errno == ELOOP ? refusal(cur.fd, parts[i], shown, !last) : std::strerror(errno);
      return std::nullopt;
    }
    cur = std::move(next);
  }
  struct stat st {};
  if (::fstat(cur.fd, &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
    why = "refusing '" + path + "': not a regular file";
    return std::nullopt;
  }
  if (parts.empty()) {  // "." or "/": the O_PATH start, reopened readable
    cur = Fd(::open(path.front() == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (cur.fd < 0) {
      why = std::strerror(errno);
      return std::nullopt;
    }
  }
  is_dir = S_ISDIR(st.st_mode);
  return cur;
}

bool read_bytes(const std::string& path, std::string& out, std::string& why) {
  bool is_dir = false;
  auto fd = open_no_follow(path, is_dir, why);
  if (!fd) return false;
  if (is_dir) {
    why = "is a directory";
    return false;
  }
  std::string bytes;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd->fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      why = std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  out = std::move(bytes);
  return true;
}

}  // namespace

std::vector<std::string> expand_paths(const std::vector<std::string>& paths, Diagnostics& diags) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    bool is_dir = false;
    std::string why;
    auto fd = open_no_follow(p, is_dir, why);
    if (!fd) {
      diags.error({p, 0, 0}, "file.unreadable", "cannot read '" + p + "': " + why);
      continue;
    }
    if (!is_dir) {
      files.push_back(p);
      continue;
    }
    std::vector<std::string> names;
    const int dup = ::fcntl(fd->fd, F_DUPFD_CLOEXEC, 0);
    DIR* dir = dup >= 0 ? ::fdopendir(dup) : nullptr;
    if (!dir) {
      if (dup >= 0) ::close(dup);
      diags.error({p, 0, 0}, "file.unreadable",
                  "cannot list directory '" + p + "': " + std::strerror(errno));
      continue;
    }
    bool refused = false;
    while (const dirent* e = ::readdir(dir)) {
      const std::string name = e->d_name;
      if (!is_yaml_name(name)) continue;
      const std::string shown = (fs::path(p) / name).string();
      // A symlink or a FIFO inside a spec directory came with the spec (a pull request):
      // refused loudly, never skipped silently nor followed.
      if (std::string r = refusal(fd->fd, name, shown, false); !r.empty()) {
        diags.error({shown, 0, 0}, "file.unreadable", "cannot read '" + shown + "': " + r);
        refused = true;
        continue;
      }
      names.push_back(name);
    }
    ::closedir(dir);
    if (refused) continue;
    if (names.empty()) {
      diags.error({p, 0, 0}, "file.no-yaml", "directory '" + p + "' holds no *.yaml or *.yml file");
      continue;
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) files.push_back((fs::path(p) / n).string());
  }
  return files;
}

LoadResult load(const std::vector<std::string>& paths) {
  LoadResult r;
  Diagnostics& d = r.diagnostics;
  if (paths.empty()) d.error({}, "file.unreadable", "no spec file or directory given");
  std::map<std::string, std::string> contents;  // file -> bytes, for the diagnostics' lines
  std::optional<SpecNode> merged;
  std::size_t total = 0;
  for (const auto& file : expand_paths(paths, d)) {
    std::string bytes, why;
    if (!read_bytes(file, bytes, why)) {
      d.error({file, 0, 0}, "file.unreadable", "cannot read '" + file + "': " + why);
      continue;
    }
    r.topology.files.push_back(file);
    auto root = read_yaml(file, bytes, d);
    total += bytes.size();
    contents[file] = std::move(bytes);
    if (!root) continue;
    check_file_header(*root, d);
    if (!merged) merged = std::move(*root);
    else merge_into(*merged, *root);
  }
  // The digest covers every file's name, size and bytes, in order; a large spec's is hashed
  // while its topology is decoded (both take a while), from the bytes kept for diagnostics.
  const std::vector<std::string> files = r.topology.files;
  auto digest_of = [&contents, &files] {
    Sha256 h;
    for (const auto& f : files) {
      const std::string& bytes = contents.at(f);
      h.update(fs::path(f).filename().string() + "\n" + std::to_string(bytes.size()) + "\n");
      h.update(bytes);
    }
    return h.hex();
  };
  auto decode = [&] {
    if (!merged) return;
    // Decoding consumes the tree (each guest's part is freed once decoded): the tree and the
    // topology are never both whole in memory (at 10,000 guests, 63 and 40 MB).
    r.topology = decode_topology(std::move(*merged), d);
    r.topology.files = files;
    check_rules(r.topology, d);
  };
  if (total >= 64 * 1024) {
    // The decode runs on the calling thread (whichever index it takes), so that the
    // topology is allocated in the arena of the tree it consumes and reuses that memory as
    // it is freed; on a worker's arena the two added up (`validate` of 10,000 guests: 143 MB
    // of RSS instead of 94). Only when a worker takes both indices does it decode.
    const auto caller = std::this_thread::get_id();
    std::atomic<bool> decoded{false}, digested{false};
    parallel_for(2, 2, [&](std::size_t) {
      if (std::this_thread::get_id() == caller && !decoded.exchange(true)) decode();
      else if (!digested.exchange(true)) r.digest = digest_of();
      else if (!decoded.exchange(true)) decode();
    });
  } else {
    r.digest = digest_of();
    decode();
  }
  Diagnostics out;
  std::map<std::string, LineTable> tables;  // built once per file that has a diagnostic
  for (Diagnostic x : d.items()) {
    if (x.source_line.empty())
      if (auto it = contents.find(x.pos.file); it != contents.end()) {
        auto t = tables.try_emplace(it->first, it->second).first;
        x.source_line = std::string(t->second.line(x.pos.line));
      }
    out.add(std::move(x));
  }
  out.sort();
  r.diagnostics = std::move(out);
  // The file copies are done with: give their memory back now, so that what the caller
  // allocates next (observation, often on other threads' malloc arenas, which cannot reuse
  // it) does not add to the peak.
  contents.clear();
  ::malloc_trim(0);
  return r;
}

}  // namespace mvt::spec
