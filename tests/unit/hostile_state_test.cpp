// Hostile catalogue, issue 12 point 5: the state dir, lock, journal and confirm files are
// trusted only when safe (lib/apply/state_dir.hpp, journal.hpp), through the real binary on
// the embedded lab (a temp copy of specs/lab over libvirt's test:/// driver, dir: roots).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "apply/executor.hpp"
#include "apply_test_support.hpp"
#include "files/dir_source.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;

namespace {
struct Lab {
  test::TempDir t;
  fs::path lab = t.path() / "lab", state = t.path() / "state";
  Lab() { fs::copy(test::source_dir() / "specs" / "lab", lab, fs::copy_options::recursive); }
  test::ProcResult apply() const {
    return test::run_tool_env({"--state-dir", state.string(), "--color", "never", "apply", "--yes",
                               "-f", (test::source_dir() / "specs" / "seed.yaml").string(), "-f",
                               (lab / "seed-lab.yaml").string()});
  }
  test::ProcResult rollback() const {
    return test::run_tool_env({"--state-dir", state.string(), "rollback"});
  }
  test::Tree files() const { return test::snapshot_tree(lab); }
};
unsigned mode_of(const fs::path& p) {
  struct stat st {};
  ::lstat(p.c_str(), &st);
  return st.st_mode & 07777u;
}
}  // namespace

TEST_CASE("hostile: a group/other-writable state dir (0777, 1777) is refused, never chmod-ed" *
          doctest::test_suite("hostile")) {
  for (unsigned m : {0777u, 01777u, 0770u}) {
    CAPTURE(m);
    Lab l;
    fs::create_directories(l.state);
    ::chmod(l.state.c_str(), m);
    const auto before = l.files();
    const auto r = l.apply();
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("refusing state directory " + l.state.string()) != std::string::npos);
    CHECK(r.err.find("chmod 0700 " + l.state.string()) != std::string::npos);
    CHECK(mode_of(l.state) == m);      // not chmod-ed
    CHECK(fs::is_empty(l.state));      // no lock, no journal
    CHECK(l.files() == before);        // nothing written
    const auto rb = l.rollback();
    CHECK(rb.exit_code == 1);
    CHECK(rb.err.find("refusing state directory") != std::string::npos);
  }
}

TEST_CASE("hostile: a state dir, journal or lock owned by another user is refused" *
          doctest::test_suite("hostile")) {
  if (::geteuid() != 0) {
    MESSAGE("skipped: needs root to give files to another uid");
    return;
  }
  SUBCASE("state dir") {
    Lab l;
    fs::create_directories(l.state);
    ::chmod(l.state.c_str(), 0700);
    REQUIRE(::chown(l.state.c_str(), 65534, 65534) == 0);
    const auto before = l.files();
    const auto r = l.apply();
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("is owned by uid 65534") != std::string::npos);
    CHECK(l.files() == before);
  }
  SUBCASE("planted journal: rollback refuses and writes nothing") {
    Lab l;
    REQUIRE(l.apply().exit_code == 0);  // a real journal naming the lab's files
    const auto applied = l.files();
    const fs::path jn = l.state / "kvm1.journal";
    REQUIRE(::chown(jn.c_str(), 65534, 65534) == 0);
    const auto r = l.rollback();
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("refusing state file " + jn.string() + ": it is owned by uid 65534") !=
          std::string::npos);
    CHECK(l.files() == applied);
  }
  SUBCASE("lock file of another user") {
    Lab l;
    fs::create_directories(l.state);
    ::chmod(l.state.c_str(), 0700);
    test::write_file(l.state / "kvm1.lock", "");
    REQUIRE(::chown((l.state / "kvm1.lock").c_str(), 65534, 65534) == 0);
    const auto before = l.files();
    const auto r = l.apply();
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("refusing state file " + (l.state / "kvm1.lock").string()) != std::string::npos);
    CHECK(l.files() == before);
  }
}

TEST_CASE("hostile: a group-writable or symlinked journal is refused" * doctest::test_suite("hostile")) {
  Lab l;
  REQUIRE(l.apply().exit_code == 0);
  const auto applied = l.files();
  const fs::path jn = l.state / "kvm1.journal";
  ::chmod(jn.c_str(), 0620);
  auto r = l.rollback();
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("writable by group or others (mode 0620)") != std::string::npos);
  CHECK(l.files() == applied);
  ::chmod(jn.c_str(), 0600);
  fs::rename(jn, l.t.path() / "elsewhere");
  fs::create_symlink(l.t.path() / "elsewhere", jn);
  r = l.rollback();
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("it is a symlink") != std::string::npos);
  CHECK(l.files() == applied);
}

TEST_CASE("hostile: a damaged journal record refuses apply and rollback naming the record, a "
          "torn last record is tolerated" * doctest::test_suite("hostile")) {
  Lab l;
  const auto before = l.files();
  REQUIRE(l.apply().exit_code == 0);
  const auto applied = l.files();
  const fs::path jn = l.state / "kvm1.journal";
  const std::string good = test::read_file(jn);
  // Record 3 (a step record): flip one byte of its body.
  std::size_t p = 0;
  for (int i = 0; i < 2; ++i) p = good.find('\n', p) + 1;
  std::string bad = good;
  bad[p + 100] = bad[p + 100] == 'A' ? 'B' : 'A';
  test::write_file(jn, bad);
  ::chmod(jn.c_str(), 0600);
  for (bool apply : {false, true}) {
    const auto r = apply ? l.apply() : l.rollback();
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("journal " + jn.string() + " is damaged at record 3") != std::string::npos);
    CHECK(l.files() == applied);
    CHECK(test::read_file(jn) == bad);
  }
  // Old format (no checksums): refused with the way out.
  test::write_file(jn, "{\"record\":\"begin\",\"format\":1,\"host\":\"kvm1\"}\n");
  auto r = l.rollback();
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("written by an older macvtapctl (format 1") != std::string::npos);
  // Torn (unterminated) last record: ignored, the rollback works and trims it.
  test::write_file(jn, good + "{\"c\":\"12");
  r = l.rollback();
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(l.files() == before);
}

TEST_CASE("hostile: temp files a crash left are removed by the next apply, symlinks and other "
          "names are left alone" * doctest::test_suite("hostile")) {
  Lab l;
  const fs::path ns = l.lab / "guest-web1" / "etc/sysconfig/network-scripts";
  const fs::path outside = l.t.path() / "outside";
  test::write_file(outside, "secret\n");
  test::write_file(ns / ".ifcfg-ens9.mvt-ab12cd34", "torn");
  fs::create_symlink(outside, ns / ".ifcfg-x.mvt-zz12cd34");
  test::write_file(ns / "keep.mvt-ab12cd34", "not ours");
  fs::create_directories(l.state);
  ::chmod(l.state.c_str(), 0700);
  test::write_file(l.state / ".kvm1.journal.new", "half");
  const auto r = l.apply();
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(fs::exists(ns / ".ifcfg-ens9.mvt-ab12cd34"));
  CHECK_FALSE(fs::exists(l.state / ".kvm1.journal.new"));
  CHECK(fs::is_symlink(ns / ".ifcfg-x.mvt-zz12cd34"));
  CHECK(test::read_file(outside) == "secret\n");
  CHECK(fs::exists(ns / "keep.mvt-ab12cd34"));
}

// A full disk during an apply: a 512 KiB tmpfs (real ENOSPC, chosen over RLIMIT_FSIZE, which
// fails writes by offset and so cannot show that the reserved journal space is used) holds
// the state dir and the dir: root. The second step's journal record (the 200 KiB
// before-image of the file it replaces) does not fit: the step never runs, and the automatic
// rollback still restores the first step from the journal space reserved for it.
TEST_CASE("hostile: a full disk during apply still lets the automatic rollback restore the old "
          "state" * doctest::test_suite("hostile")) {
  test::TempDir t;
  const fs::path mnt = t.path() / "mnt";
  fs::create_directories(mnt);
  if (::geteuid() != 0 ||
      test::run_argv_env({"mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", mnt.string()})
              .exit_code != 0) {
    MESSAGE("SKIPPED: needs root and mount(8) for a small tmpfs");
    return;
  }
  struct Umount {
    fs::path p;
    ~Umount() { test::run_argv_env({"umount", p.string()}); }
  } um{mnt};
  const std::string ns = "etc/sysconfig/network-scripts";
  const fs::path root = mnt / "web1", state = mnt / "state";
  const std::string small = "DEVICE=eth0\nDEFROUTE=yes\n", big(200 * 1024, 'x');
  test::write_file(root / ns / "ifcfg-eth0", small);
  test::write_file(root / ns / "ifcfg-big", big);
  test::write_file(mnt / "filler", std::string(100 * 1024, 'f'));
  const auto before = test::snapshot_tree(root);
  DirSource src(root);
  apply::HostBackends hb;
  hb.guest_files["web1"] = &src;
  hb.sources.uri = "test:///default";
  hb.sources.guest_files["web1"] = "dir:" + root.string();
  plan::Plan p;
  p.spec_digest = "d";
  p.steps.push_back(test::write_step("s01", "kvm1", "web1", ns + "/ifcfg-eth0",
                                     "DEVICE=eth0\nDEFROUTE=no\n", small));
  p.steps.push_back(test::write_step("s02", "kvm1", "web1", ns + "/ifcfg-big", "X=1\n", big));
  apply::ApplyOptions o;
  o.state_dir = state;
  o.replan = [] { return plan::Plan{}; };
  apply::ApplySession s({{"kvm1", hb}}, o);
  const auto r = s.apply(p);
  INFO(r.error);
  CHECK_FALSE(r.ok);
  CHECK(r.failed_step.find("s02") == 0);
  CHECK(r.error.find("No space left on device") != std::string::npos);
  REQUIRE(r.rollback);
  for (const auto& e : r.rollback->errors) INFO(e);
  CHECK(r.rollback->ok());
  CHECK(test::snapshot_tree(root) == before);
  auto jn = apply::read_host_journal(state, "kvm1");
  REQUIRE(jn);
  CHECK(jn->status == "rolled-back");
}
