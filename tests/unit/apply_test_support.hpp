#pragma once
// Helpers for the apply tests: hand-made plans over dir: temp roots and libvirt's test:///
// driver (to test the executor alone), running the binary with an environment, snapshots
// of directory trees.
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "apply_run.hpp"
#include "plan/plan.hpp"
#include "test_support.hpp"
#include "util/hash.hpp"

namespace mvt::test {

inline plan::Step write_step(std::string id, std::string host, std::string guest, std::string path,
                             std::string content, std::optional<std::string> before_bytes,
                             plan::FileScope scope = plan::FileScope::Guest) {
  plan::Step s;
  s.id = std::move(id);
  s.host = std::move(host);
  s.target =
      (scope == plan::FileScope::Guest ? "guest/" + guest : "host/" + s.host) + "/file/" + path;
  s.action = before_bytes ? plan::Action::Update : plan::Action::Create;
  s.op.kind = plan::OpKind::WriteFile;
  s.op.guest = std::move(guest);
  s.op.scope = scope;
  s.op.path = std::move(path);
  s.op.content = std::move(content);
  if (before_bytes) s.op.before_sha256 = sha256_hex(*before_bytes);
  return s;
}

inline plan::Step remove_step(std::string id, std::string host, std::string guest, std::string path,
                              const std::string& before_bytes) {
  plan::Step s;
  s.id = std::move(id);
  s.host = std::move(host);
  s.target = "guest/" + guest + "/file/" + path;
  s.action = plan::Action::Delete;
  s.op.kind = plan::OpKind::RemoveFile;
  s.op.guest = std::move(guest);
  s.op.path = std::move(path);
  s.op.before_sha256 = sha256_hex(before_bytes);
  return s;
}

inline plan::Step activate_step(std::string id, std::string host, std::string guest,
                                plan::ActivationMethod m) {
  plan::Step s;
  s.id = std::move(id);
  s.host = std::move(host);
  s.target = "guest/" + guest;
  s.action = plan::Action::Activate;
  s.op.kind = plan::OpKind::Activate;
  s.op.guest = std::move(guest);
  s.op.method = m;
  return s;
}

inline plan::Step verify_step(std::string id, std::string host) {
  plan::Step s;
  s.id = std::move(id);
  s.host = host;
  s.target = "host/" + host;
  s.action = plan::Action::Verify;
  s.op.kind = plan::OpKind::Verify;
  return s;
}

inline ProcResult run_tool_env(const std::vector<std::string>& args,
                               const std::map<std::string, std::string>& env = {},
                               const std::string& input = {},
                               std::chrono::seconds timeout = std::chrono::seconds(120)) {
  std::vector<std::string> argv{binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_argv_env(argv, env, input, timeout);
}

// A copy of a directory tree's regular files: relative path -> bytes and mode.
struct TreeEntry {
  std::string bytes;
  unsigned mode = 0;
  bool operator==(const TreeEntry&) const = default;
};
using Tree = std::map<std::string, TreeEntry>;

inline Tree snapshot_tree(const std::filesystem::path& root) {
  Tree t;
  for (auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    struct stat st {};
    ::lstat(e.path().c_str(), &st);
    t[std::filesystem::relative(e.path(), root).string()] = {read_file(e.path()),
                                                             st.st_mode & 07777u};
  }
  return t;
}

}  // namespace mvt::test
