#pragma once
// DirSource: FileAccess over a root directory of the local file system.
//   dir:PATH  - a root directory (a mounted guest image, a `--root` style host root, fixtures)
//   local     - the machine's own root, "/"
//
// Confinement (issue 8, item 3). Every path is relative to the root and is walked one
// component at a time from a descriptor of the root with openat(O_NOFOLLOW | O_DIRECTORY);
// the final file is opened with O_NOFOLLOW. Hence:
//  - an absolute path, an empty path or a ".." component is refused (AccessError);
//  - a symbolic link anywhere on the path (an intermediate directory or the file itself)
//    is refused with an AccessError naming the path and the link's target; nothing is read
//    through it and nothing is written through it (the link and its target stay untouched);
//  - only regular files are read, replaced or removed (a FIFO, device or directory is refused).
// The root itself is walked the same way from "/" (or the working directory): a root path
// with a symbolic link in it is refused at first use with an AccessError naming the link
// (issue 12 point 2: the guard approves the resolved path; the read cannot be diverted).
//
// Reads open files O_RDONLY and change nothing (not even a directory). A read-only source
// (`read_only`) refuses every write, remove and chown with AccessError.
//
// write_atomic: a temp file ".NAME.mvt-XXXXXX" created O_EXCL 0600 in the target's directory,
// written, fchown'd/fchmod'd (an existing file keeps its mode, uid and gid; a new file gets
// `mode` or 0644 and owner root:root - or the caller's own uid/gid when not running as root,
// since only root can give files away), fsync'd, renamed over the target, then the directory
// is fsync'd. On any failure the temp file is removed and the target is untouched: a reader
// sees the old bytes or the new bytes, never a mix. The directory must exist.
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "files/file_access.hpp"
#include "files/unique_fd.hpp"
#include "model/topology.hpp"

namespace mvt {

class DirSource : public FileAccess {
 public:
  // `root` must name a directory (checked on first use: AccessError when it is missing).
  // `name` overrides describe() ("local" for the local source); default "dir:ROOT".
  explicit DirSource(std::filesystem::path root, std::string name = {}, bool read_only = false);

  std::string describe() const override;
  std::optional<FileInfo> read(const std::string& rel) override;
  std::vector<std::string> list(const std::string& rel_dir) override;
  // One walk to rel_dir, then each file opened relative to it (O_NOFOLLOW, as read()).
  DirEntries read_dir(const std::string& rel_dir,
                      const std::function<bool(const std::string&)>& wanted) override;
  void write_atomic(const std::string& rel, const std::string& bytes,
                    std::optional<unsigned> mode = std::nullopt) override;
  void remove(const std::string& rel) override;
  void chown(const std::string& rel, unsigned uid, unsigned gid) override;

  const std::filesystem::path& root() const { return root_; }
  bool read_only() const { return read_only_; }

 private:
  struct Walk;  // the opened parent directory of a path and the last component's name
  int root_fd();
  UniqueFd open_root_no_follow() const;
  // Opens every directory of `parts` below the root. nullopt when one does not exist.
  std::optional<UniqueFd> open_dirs(const std::string& rel, const std::vector<std::string>& parts,
                                    std::size_t count);
  [[noreturn]] void refuse_link(int dirfd, const std::string& name, const std::string& rel,
                                const std::string& shown) const;
  // The regular files (lstat) in the opened directory `dir`, sorted.
  std::vector<std::string> regular_files(int dir, const std::string& rel_dir);
  // Reads `name` in the opened directory `dir` (rel: its path for messages); nullopt: absent.
  std::optional<FileInfo> read_at(int dir, const std::string& name, const std::string& rel);
  void check_writable(const std::string& what, const std::string& rel) const;
  std::string where(const std::string& rel) const;

  std::filesystem::path root_;
  std::string name_;
  bool read_only_;
  UniqueFd root_fd_;
  std::mutex mu_;
};

// The file source for `local` (root "/", described "local") and `dir:PATH`. Throws
// AccessError for any other kind (agent and ssh sources live elsewhere).
std::unique_ptr<FileAccess> open_dir_source(const FileSourceSpec& spec, bool read_only = false);

// Splits a relative path into components, dropping "" and "."; throws AccessError for an
// absolute or empty path, a ".." component or a NUL byte.
std::vector<std::string> split_relative_path(const std::string& rel);

}  // namespace mvt
