#pragma once
// FileAccess: the one interface for reading and writing network-scripts files on a host or
// inside a guest. Paths are relative to the source's root ("etc/sysconfig/network-scripts/
// ifcfg-em2"); an absolute path, a ".." component or a symlink leading out of the root is
// refused with AccessError. Implementations: dir:PATH and local (dir_source.hpp), agent
// (agent_source.hpp), ssh (ssh_source.hpp).
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mvt {

struct FileInfo {
  std::string bytes;
  unsigned mode = 0644;
  unsigned uid = 0;
  unsigned gid = 0;
  // false: the source cannot tell mode and owner (the read-only agent source: the agent has
  // no stat command), and the fields above are defaults, not facts.
  bool stat_known = true;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class FileAccess {
 public:
  virtual ~FileAccess() = default;
  // Human name for messages: "dir:/srv/lab/web1", "agent:web1", "ssh://root@kvm1".
  virtual std::string describe() const = 0;
  // nullopt when the file does not exist. Throws AccessError / SystemError otherwise.
  virtual std::optional<FileInfo> read(const std::string& rel) = 0;
  // Whether list()/read_dir() work here (a read-only agent source cannot list: that takes
  // guest-exec; the caller reads the files it can name instead).
  virtual bool can_list() const { return true; }
  // Names (not paths) of the regular files directly in rel_dir; empty if it does not exist.
  // Sorted.
  virtual std::vector<std::string> list(const std::string& rel_dir) = 0;
  // The regular files directly in rel_dir whose names `wanted` accepts, read, sorted by
  // name; nullopt for one that vanished between listing and reading. Same errors as read().
  // Default: list() then read() each; a directory source walks to the directory once.
  using DirEntries = std::vector<std::pair<std::string, std::optional<FileInfo>>>;
  virtual DirEntries read_dir(const std::string& rel_dir,
                              const std::function<bool(const std::string&)>& wanted);
  // Atomic replace: temp file in the same directory, fsync, rename, directory fsync. An
  // existing file keeps its mode and owner unless `mode` is given; a new file gets `mode`
  // (default 0644), owner root.
  virtual void write_atomic(const std::string& rel, const std::string& bytes,
                            std::optional<unsigned> mode = std::nullopt) = 0;
  // Removes the file; no error when it is already absent.
  virtual void remove(const std::string& rel) = 0;
  // Restores ownership (used by rollback). Default: unsupported -> no-op.
  virtual void chown(const std::string& /*rel*/, unsigned /*uid*/, unsigned /*gid*/) {}
  // Whether run() works on this source (dir: roots cannot run commands).
  virtual bool can_run() const { return false; }
  // Runs argv (never through a shell) with a bounded timeout.
  virtual CommandResult run(const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout);
};

}  // namespace mvt
