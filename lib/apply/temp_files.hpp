#pragma once
// The temp files a crash can leave beside the files an apply writes: FileAccess::write_atomic
// writes ".NAME.mvt-XXXXXX" (6 to 8 letters and digits: dir_source, agent_source,
// ssh_source) and renames it over NAME. The next apply or rollback of the host removes them,
// only in the directories it writes for that host, only names of that exact shape, never
// through a symlink (FileAccess::list lists regular files only; remove never follows one).
#include <string>
#include <tuple>
#include <vector>

#include "apply/backends.hpp"
#include "apply/journal.hpp"
#include "plan/plan.hpp"

namespace mvt::apply {

// Whether `name` is one of the tool's temp names (".X.mvt-" + 6..8 [A-Za-z0-9]).
bool is_tool_temp_name(const std::string& name);

// One directory of one source.
struct TempDirRef {
  FileAccess* source = nullptr;
  std::string guest;  // empty: the host's files
  std::string rel_dir;
  bool operator<(const TempDirRef& o) const {
    return std::tie(source, rel_dir) < std::tie(o.source, o.rel_dir);
  }
};

// The directories of the file steps of `host` in a plan / in journals.
std::vector<TempDirRef> temp_dirs_of(const plan::Plan& p, const std::string& host, HostBackends& b);
std::vector<TempDirRef> temp_dirs_of(const std::vector<Journal>& chain, HostBackends& b);

// Removes the tool's temp files in those directories; best effort: one line per removed
// file ("removed temp file ... left by an earlier crash") or failure goes to `notes`.
void remove_temp_files(const std::vector<TempDirRef>& dirs, std::vector<std::string>& notes);

}  // namespace mvt::apply
