#include "apply/temp_files.hpp"

#include <set>
#include <tuple>

namespace mvt::apply {
namespace {

void add(std::set<TempDirRef>& out, const plan::Operation& op, HostBackends& b) {
  if (op.kind != plan::OpKind::WriteFile && op.kind != plan::OpKind::RemoveFile) return;
  FileAccess* fa = nullptr;
  if (op.scope == plan::FileScope::Host) {
    fa = b.host_files;
  } else if (auto it = b.guest_files.find(op.guest); it != b.guest_files.end()) {
    fa = it->second;
  }
  if (!fa) return;
  const auto slash = op.path.rfind('/');
  out.insert({fa, op.scope == plan::FileScope::Host ? "" : op.guest,
              slash == std::string::npos ? "." : op.path.substr(0, slash)});
}

}  // namespace

bool is_tool_temp_name(const std::string& name) {
  const auto p = name.rfind(".mvt-");
  if (name.size() < 2 || name[0] != '.' || p == std::string::npos || p < 2) return false;
  const std::string suffix = name.substr(p + 5);
  if (suffix.size() < 6 || suffix.size() > 8) return false;
  for (char c : suffix)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

std::vector<TempDirRef> temp_dirs_of(const plan::Plan& p, const std::string& host, HostBackends& b) {
  std::set<TempDirRef> out;
  for (const auto& s : p.steps)
    if (s.host == host) add(out, s.op, b);
  return {out.begin(), out.end()};
}

std::vector<TempDirRef> temp_dirs_of(const std::vector<Journal>& chain, HostBackends& b) {
  std::set<TempDirRef> out;
  for (const auto& jn : chain)
    for (const auto& s : jn.steps) add(out, s.op, b);
  return {out.begin(), out.end()};
}

void remove_temp_files(const std::vector<TempDirRef>& dirs, std::vector<std::string>& notes) {
  for (const auto& d : dirs) {
    try {
      for (const auto& name : d.source->list(d.rel_dir)) {
        if (!is_tool_temp_name(name)) continue;
        const std::string rel = d.rel_dir == "." ? name : d.rel_dir + "/" + name;
        d.source->remove(rel);
        notes.push_back("removed temp file " + d.source->describe() + "/" + rel +
                        " left by an interrupted apply or rollback");
      }
    } catch (const std::exception& e) {
      notes.push_back("could not look for temp files in " + d.source->describe() + "/" +
                      d.rel_dir + ": " + e.what());
    }
  }
}

}  // namespace mvt::apply
