// DirSource: confinement (symlinks, "..", absolute paths), atomic replace keeping mode and
// owner, no torn files, temp files cleaned on failure.
#include "files/dir_source.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "test_support.hpp"
#include "util/errors.hpp"

namespace fs = std::filesystem;
using mvt::test::read_file;
using mvt::test::TempDir;
using mvt::test::write_file;

namespace {
const std::string kDir = "etc/sysconfig/network-scripts";

// A guest root with etc/sysconfig/network-scripts and one ifcfg file.
fs::path make_root(const TempDir& t) {
  fs::path root = t.path() / "root";
  fs::create_directories(root / kDir);
  write_file(root / kDir / "ifcfg-eth0", "DEVICE=eth0\nONBOOT=yes\n");
  return root;
}

std::vector<std::string> names_in(const fs::path& d) {
  std::vector<std::string> n;
  for (auto& e : fs::directory_iterator(d)) n.push_back(e.path().filename().string());
  std::sort(n.begin(), n.end());
  return n;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}
}  // namespace

TEST_CASE("dir source reads bytes, mode and owner, absence is nullopt" *
          doctest::test_suite("files")) {
  TempDir t;
  auto root = make_root(t);
  ::chmod((root / kDir / "ifcfg-eth0").c_str(), 0640);
  mvt::DirSource src(root);
  CHECK(src.describe() == "dir:" + root.string());
  auto f = src.read(kDir + "/ifcfg-eth0");
  REQUIRE(f);
  CHECK(f->bytes == "DEVICE=eth0\nONBOOT=yes\n");
  CHECK(f->mode == 0640);
  CHECK(f->uid == ::geteuid());
  CHECK_FALSE(src.read(kDir + "/ifcfg-ens9"));
  CHECK_FALSE(src.read("etc/nonexistent/ifcfg-x"));
  CHECK(src.read("./etc//sysconfig/network-scripts/./ifcfg-eth0"));
}

TEST_CASE("dir source refuses absolute paths and '..' everywhere" * doctest::test_suite("files")) {
  TempDir t;
  auto root = make_root(t);
  write_file(t.path() / "outside", "secret\n");
  mvt::DirSource src(root);
  for (std::string bad : std::vector<std::string>{
           "/etc/shadow", "../outside", kDir + "/../../../../outside", "a/../b", ".", ""}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(src.read(bad), mvt::AccessError);
    CHECK_THROWS_AS(src.write_atomic(bad, "x"), mvt::AccessError);
    CHECK_THROWS_AS(src.remove(bad), mvt::AccessError);
    CHECK_THROWS_AS(src.list(bad), mvt::AccessError);
  }
  CHECK(read_file(t.path() / "outside") == "secret\n");
}

TEST_CASE("planted ifcfg-ens9 -> outside file: read, write and remove refused, target untouched" *
          doctest::test_suite("files")) {
  TempDir t;
  auto root = make_root(t);
  fs::path target = t.path() / "shadow";
  write_file(target, "root:$6$secret:19000:0:99999:7:::\n");
  ::chmod(target.c_str(), 0600);
  fs::create_symlink(target, root / kDir / "ifcfg-ens9");
  mvt::DirSource src(root);
  const std::string rel = kDir + "/ifcfg-ens9";
  try {
    src.read(rel);
    FAIL("read through a symlink was not refused");
  } catch (const mvt::AccessError& e) {
    std::string m = e.what();
    CHECK(m.find("ifcfg-ens9") != std::string::npos);
    CHECK(m.find("symbolic link") != std::string::npos);
    CHECK(m.find(target.string()) != std::string::npos);
  }
  CHECK_THROWS_AS(src.write_atomic(rel, "IPADDR=1.2.3.4\n"), mvt::AccessError);
  CHECK_THROWS_AS(src.write_atomic(rel, "IPADDR=1.2.3.4\n", 0644), mvt::AccessError);
  CHECK_THROWS_AS(src.remove(rel), mvt::AccessError);
  CHECK_THROWS_AS(src.chown(rel, 0, 0), mvt::AccessError);
  CHECK(read_file(target) == "root:$6$secret:19000:0:99999:7:::\n");
  CHECK(mode_of(target) == 0600);
  CHECK(fs::is_symlink(root / kDir / "ifcfg-ens9"));
  // No temp file left behind either.
  CHECK(names_in(root / kDir) == std::vector<std::string>{"ifcfg-ens9", "ifcfg-eth0"});
  // list() skips the link.
  CHECK(src.list(kDir) == std::vector<std::string>{"ifcfg-eth0"});
}

TEST_CASE("a symlinked intermediate directory is refused" * doctest::test_suite("files")) {
  TempDir t;
  fs::path root = t.path() / "root";
  fs::path elsewhere = t.path() / "elsewhere";
  fs::create_directories(root / "etc");
  fs::create_directories(elsewhere / "network-scripts");
  write_file(elsewhere / "network-scripts" / "ifcfg-eth0", "DEVICE=eth0\n");
  fs::create_directory_symlink(elsewhere, root / "etc" / "sysconfig");
  mvt::DirSource src(root);
  try {
    src.read(kDir + "/ifcfg-eth0");
    FAIL("read through a symlinked directory was not refused");
  } catch (const mvt::AccessError& e) {
    CHECK(std::string(e.what()).find("etc/sysconfig") != std::string::npos);
  }
  CHECK_THROWS_AS(src.list(kDir), mvt::AccessError);
  CHECK_THROWS_AS(src.write_atomic(kDir + "/ifcfg-eth0", "X=1\n"), mvt::AccessError);
  CHECK_THROWS_AS(src.write_atomic(kDir + "/ifcfg-new", "X=1\n"), mvt::AccessError);
  CHECK_THROWS_AS(src.remove(kDir + "/ifcfg-eth0"), mvt::AccessError);
  CHECK(read_file(elsewhere / "network-scripts" / "ifcfg-eth0") == "DEVICE=eth0\n");
  CHECK(names_in(elsewhere / "network-scripts") == std::vector<std::string>{"ifcfg-eth0"});
}

TEST_CASE("write_atomic keeps an existing file's mode and owner, new files are 0644" *
          doctest::test_suite("files")) {
  TempDir t;
  auto root = make_root(t);
  mvt::DirSource src(root);
  const fs::path existing = root / kDir / "ifcfg-eth0";
  ::chmod(existing.c_str(), 0600);
  const bool root_user = ::geteuid() == 0;
  if (root_user) REQUIRE(::chown(existing.c_str(), 1234, 5678) == 0);
  src.write_atomic(kDir + "/ifcfg-eth0", "DEVICE=eth0\nDEFROUTE=no\n");
  CHECK(read_file(existing) == "DEVICE=eth0\nDEFROUTE=no\n");
  auto f = src.read(kDir + "/ifcfg-eth0");
  REQUIRE(f);
  CHECK(f->mode == 0600);
  if (root_user) {
    CHECK(f->uid == 1234);
    CHECK(f->gid == 5678);
  } else {
    MESSAGE("not root: owner preservation across users not checked");
  }

  src.write_atomic(kDir + "/ifcfg-ens9", "DEVICE=ens9\n");
  auto n = src.read(kDir + "/ifcfg-ens9");
  REQUIRE(n);
  CHECK(n->bytes == "DEVICE=ens9\n");
  CHECK(n->mode == 0644);
  if (root_user) {
    CHECK(n->uid == 0);
    CHECK(n->gid == 0);
  }
  src.write_atomic(kDir + "/route-ens9", "10.0.0.0/8 via 192.0.2.1\n", 0640u);
  CHECK(mode_of(root / kDir / "route-ens9") == 0640);
  // An explicit mode also applies to an existing file.
  src.write_atomic(kDir + "/ifcfg-eth0", "DEVICE=eth0\n", 0644u);
  CHECK(mode_of(existing) == 0644);
  if (root_user && ::chown(existing.c_str(), 1234, 5678) == 0) {
    src.chown(kDir + "/ifcfg-eth0", 0, 0);
    CHECK(src.read(kDir + "/ifcfg-eth0")->uid == 0);
  }
  // No temp files left.
  CHECK(names_in(root / kDir) ==
        std::vector<std::string>{"ifcfg-ens9", "ifcfg-eth0", "route-ens9"});
}

TEST_CASE("list returns regular files only, sorted, remove is idempotent" *
          doctest::test_suite("files")) {
  TempDir t;
  auto root = make_root(t);
  write_file(root / kDir / "route-eth0", "x\n");
  write_file(root / kDir / "ifcfg-a", "x\n");
  fs::create_directory(root / kDir / "subdir");
  fs::create_symlink("ifcfg-a", root / kDir / "ifcfg-link");
  REQUIRE(::mkfifo((root / kDir / "ifcfg-fifo").c_str(), 0644) == 0);
  mvt::DirSource src(root);
  CHECK(src.list(kDir) == std::vector<std::string>{"ifcfg-a", "ifcfg-eth0", "route-eth0"});
  CHECK(src.list("etc/missing").empty());
  CHECK_THROWS_AS(src.read(kDir + "/ifcfg-fifo"), mvt::AccessError);  // and does not hang
  CHECK_THROWS_AS(src.read(kDir + "/subdir"), mvt::AccessError);
  src.remove(kDir + "/ifcfg-a");
  CHECK_FALSE(fs::exists(root / kDir / "ifcfg-a"));
  CHECK_NOTHROW(src.remove(kDir + "/ifcfg-a"));
  CHECK_NOTHROW(src.remove("etc/missing/ifcfg-a"));
  CHECK_THROWS_AS(src.remove(kDir + "/subdir"), mvt::AccessError);
}

TEST_CASE("read-only source and factory" * doctest::test_suite("files")) {
  TempDir t;
  auto root = make_root(t);
  auto ro =
      mvt::open_dir_source(mvt::FileSourceSpec{mvt::FileSourceKind::Dir, root.string()}, true);
  CHECK(ro->read(kDir + "/ifcfg-eth0"));
  CHECK_THROWS_AS(ro->write_atomic(kDir + "/ifcfg-eth0", "X\n"), mvt::AccessError);
  CHECK_THROWS_AS(ro->remove(kDir + "/ifcfg-eth0"), mvt::AccessError);
  CHECK(read_file(root / kDir / "ifcfg-eth0") == "DEVICE=eth0\nONBOOT=yes\n");
  auto local = mvt::open_dir_source(mvt::FileSourceSpec{mvt::FileSourceKind::Local, ""});
  CHECK(local->describe() == "local");
  CHECK(local->read("etc/hostname").has_value() == fs::is_regular_file("/etc/hostname"));
  CHECK_FALSE(local->can_run());
  CHECK_THROWS_AS(mvt::open_dir_source(mvt::FileSourceSpec{mvt::FileSourceKind::Agent, ""}),
                  mvt::AccessError);
  mvt::DirSource missing(t.path() / "no-such-root");
  CHECK_THROWS_AS(missing.read(kDir + "/ifcfg-eth0"), mvt::AccessError);
}

TEST_CASE("no torn file: a concurrent reader sees the old or the new bytes only" *
          doctest::test_suite("files")) {
  TempDir t;
  auto root = make_root(t);
  const std::string a(200000, 'a'), b(300000, 'b');
  mvt::DirSource src(root);
  const std::string rel = kDir + "/ifcfg-big";
  src.write_atomic(rel, a);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    try {
      mvt::DirSource w(root);
      for (int i = 0; i < 60; ++i) w.write_atomic(rel, i % 2 ? a : b);
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int reads = 0, bad = 0;
  for (int i = 0; i < 2000; ++i) {
    auto f = src.read(rel);
    REQUIRE(f);
    ++reads;
    if (f->bytes != a && f->bytes != b) ++bad;
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) {
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
      child = -1;
      break;
    }
  }
  if (child > 0) {
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(bad == 0);
  CHECK(reads > 0);
  CHECK(names_in(root / kDir) == std::vector<std::string>{"ifcfg-big", "ifcfg-eth0"});
}

TEST_CASE("a failed write leaves the old file and no temp file" * doctest::test_suite("files")) {
  TempDir t;
  auto root = make_root(t);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // A file-size limit makes write() fail with EFBIG half-way through the temp file.
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &lim);
    try {
      mvt::DirSource w(root);
      w.write_atomic(kDir + "/ifcfg-eth0", std::string(100000, 'x'));
    } catch (const mvt::SystemError& e) {
      ::_exit(std::string(e.what()).find("ifcfg-eth0") != std::string::npos ? 0 : 4);
    } catch (...) {
      ::_exit(5);
    }
    ::_exit(6);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(read_file(root / kDir / "ifcfg-eth0") == "DEVICE=eth0\nONBOOT=yes\n");
  CHECK(names_in(root / kDir) == std::vector<std::string>{"ifcfg-eth0"});
}

TEST_CASE("read_dir: one walk, the same files and bytes as list() and read(), symlinks skipped" *
          doctest::test_suite("files")) {
  TempDir t;
  auto root = make_root(t);
  write_file(root / kDir / "route-eth0", "ADDRESS0=192.0.2.0\n");
  write_file(root / kDir / "ifcfg-a", "DEVICE=a\n");
  write_file(root / kDir / "keep-out", "not wanted\n");
  fs::permissions(root / kDir / "ifcfg-a", fs::perms(0600));
  fs::create_directory(root / kDir / "ifcfg-dir");
  fs::create_symlink("/etc/hostname", root / kDir / "ifcfg-link");
  REQUIRE(::mkfifo((root / kDir / "ifcfg-fifo").c_str(), 0644) == 0);
  mvt::DirSource src(root);
  auto wanted = [](const std::string& n) { return n.rfind("keep-", 0) != 0; };
  const auto got = src.read_dir(kDir, wanted);
  // The base class's way (list, then read each) gives the same answer.
  const auto want = src.FileAccess::read_dir(kDir, wanted);
  std::vector<std::string> names;
  for (const auto& [n, info] : got) names.push_back(n);
  CHECK(names == std::vector<std::string>{"ifcfg-a", "ifcfg-eth0", "route-eth0"});
  REQUIRE(got.size() == want.size());
  for (std::size_t k = 0; k < got.size(); ++k) {
    CAPTURE(got[k].first);
    CHECK(got[k].first == want[k].first);
    REQUIRE(got[k].second);
    REQUIRE(want[k].second);
    CHECK(got[k].second->bytes == want[k].second->bytes);
    CHECK(got[k].second->mode == want[k].second->mode);
    CHECK(got[k].second->uid == want[k].second->uid);
  }
  CHECK(got[0].second->bytes == "DEVICE=a\n");
  CHECK(got[0].second->mode == 0600);
  CHECK(src.read_dir("etc/missing", wanted).empty());
  // A symlinked directory on the way is refused, as for read().
  fs::create_directories(t.path() / "elsewhere" / "network-scripts");
  fs::remove_all(root / "etc/sysconfig");
  fs::create_symlink(t.path() / "elsewhere", root / "etc/sysconfig");
  CHECK_THROWS_AS(src.read_dir(kDir, wanted), mvt::AccessError);
}
