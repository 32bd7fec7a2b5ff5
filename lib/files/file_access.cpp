#include "files/file_access.hpp"

#include "util/errors.hpp"

namespace mvt {

CommandResult FileAccess::run(const std::vector<std::string>& /*argv*/,
                              std::chrono::milliseconds /*timeout*/) {
  throw AccessError(describe() + " cannot run commands");
}

FileAccess::DirEntries FileAccess::read_dir(const std::string& rel_dir,
                                            const std::function<bool(const std::string&)>& wanted) {
  DirEntries out;
  for (auto& name : list(rel_dir)) {
    if (!wanted(name)) continue;
    auto info = read(rel_dir + "/" + name);
    out.emplace_back(std::move(name), std::move(info));
  }
  return out;
}

}  // namespace mvt
