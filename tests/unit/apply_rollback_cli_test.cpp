// `macvtapctl rollback` and `confirm` through the real binary, on journals left by an
// in-process apply over dir: roots.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "apply/executor.hpp"
#include "apply/host_lock.hpp"
#include "apply_test_support.hpp"
#include "files/dir_source.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using mvt::test::read_file;
using mvt::test::run_tool_env;
using mvt::test::TempDir;
using mvt::test::write_file;

namespace {
const std::string kNs = "etc/sysconfig/network-scripts";
}

TEST_CASE(
    "cli: rollback undoes the last apply from the journal, confirm with nothing waiting fails" *
    doctest::test_suite("apply")) {
  TempDir t;
  const fs::path root = t.path() / "web1", state = t.path() / "state";
  fs::create_directories(root / kNs);
  const std::string eth0 = "DEVICE=eth0\nDEFROUTE=yes\n";
  write_file(root / kNs / "ifcfg-eth0", eth0);
  DirSource src(root);
  apply::HostBackends hb;
  hb.guest_files["web1"] = &src;
  hb.sources.uri = "test:///default";
  hb.sources.guest_files["web1"] = "dir:" + root.string();
  plan::Plan p;
  p.steps.push_back(test::write_step("s01", "kvm1", "web1", kNs + "/ifcfg-eth0",
                                     "DEVICE=eth0\nDEFROUTE=no\n", eth0));
  p.steps.push_back(
      test::write_step("s02", "kvm1", "web1", kNs + "/ifcfg-ens9", "DEVICE=ens9\n", std::nullopt));
  apply::ApplyOptions o;
  o.state_dir = state;
  o.replan = [] { return plan::Plan{}; };
  {
    apply::ApplySession s({{"kvm1", hb}}, o);
    REQUIRE(s.apply(p).ok);
    s.commit();
  }
  REQUIRE(read_file(root / kNs / "ifcfg-eth0") != eth0);

  auto c = run_tool_env({"--state-dir", state.string(), "confirm"});
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("nothing to confirm") != std::string::npos);

  {
    apply::HostLock held(state, "kvm1");
    auto locked = run_tool_env({"--state-dir", state.string(), "rollback"});
    CHECK(locked.exit_code == 1);
    CHECK(locked.err.find("pid " + std::to_string(::getpid())) != std::string::npos);
    CHECK(read_file(root / kNs / "ifcfg-eth0") != eth0);
  }

  auto r = run_tool_env({"--state-dir", state.string(), "rollback"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("host kvm1: rolled back apply") != std::string::npos);
  CHECK(r.out.find("2 steps undone") != std::string::npos);
  CHECK(read_file(root / kNs / "ifcfg-eth0") == eth0);
  CHECK_FALSE(fs::exists(root / kNs / "ifcfg-ens9"));

  auto again = run_tool_env({"--state-dir", state.string(), "rollback"});
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("nothing to roll back") != std::string::npos);

  auto none = run_tool_env({"--state-dir", (t.path() / "nostate").string(), "rollback"});
  CHECK(none.exit_code == 0);
  CHECK(none.out.find("Nothing to roll back") != std::string::npos);
}
