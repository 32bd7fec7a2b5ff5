// Host lock and journal basics: one holder, holder named, stale lock taken over; journal
// records round-trip, torn last line ignored, chaining of an unfinished journal.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <tuple>

#include "apply/base64.hpp"
#include "apply/host_lock.hpp"
#include "apply/journal.hpp"
#include "apply/state_dir.hpp"
#include "test_support.hpp"
#include "util/errors.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using mvt::test::TempDir;
using mvt::test::contains;

TEST_CASE("lock: a second holder is refused with pid and start time, released on destruction" *
          doctest::test_suite("apply")) {
  TempDir t;
  const auto state = t.path() / "state";
  {
    apply::HostLock a(state, "kvm1");
    struct stat st {};
    REQUIRE(::stat(state.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
    try {
      apply::HostLock b(state, "kvm1");
      FAIL("second lock was granted");
    } catch (const apply::LockHeldError& e) {
      CHECK(e.pid() == ::getpid());
      CHECK(e.started().size() == 20);  // 2026-11-24T00:40:00Z
      CHECK(std::string(e.what()).find("pid " + std::to_string(::getpid())) != std::string::npos);
      CHECK(std::string(e.what()).find("kvm1") != std::string::npos);
    }
    apply::HostLock other(state, "kvm2");  // other hosts are independent
    CHECK_FALSE(a.took_over_from());
  }
  apply::HostLock again(state, "kvm1");
  CHECK_FALSE(again.took_over_from());
}

TEST_CASE("lock: the lock of a dead process is taken over" * doctest::test_suite("apply")) {
  TempDir t;
  const auto state = t.path() / "state";
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    try {
      auto* l = new apply::HostLock(state, "kvm1");  // never released: the process dies
      (void)l;
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WEXITSTATUS(status) == 0);
  apply::HostLock l(state, "kvm1");
  REQUIRE(l.took_over_from());
  CHECK(l.took_over_from()->find("pid=" + std::to_string(child)) != std::string::npos);
}

TEST_CASE("state dir: host names become safe, distinct file names" * doctest::test_suite("apply")) {
  CHECK(apply::host_file_stem("kvm1") == "kvm1");
  CHECK(apply::host_file_stem("../etc") == "%2E%2E%2Fetc");
  CHECK(apply::host_file_stem("a b") != apply::host_file_stem("a_b"));
  CHECK(apply::host_file_stem("a%20b") != apply::host_file_stem("a b"));
  CHECK(apply::host_file_stem("") == "%");
}

TEST_CASE("base64 round-trips every byte" * doctest::test_suite("apply")) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n < 8; ++n) {
    auto s = all.substr(0, n) + all;
    CHECK(apply::base64_decode(apply::base64_encode(s)) == s);
  }
  CHECK(apply::base64_encode("foo") == "Zm9v");
  CHECK(apply::base64_encode("fo") == "Zm8=");
  CHECK_FALSE(apply::base64_decode("Zm9").has_value());
  CHECK_FALSE(apply::base64_decode("Z=9v").has_value());
}

TEST_CASE("journal: records round-trip, a torn last line is ignored, unfinished ones chain" *
          doctest::test_suite("apply")) {
  TempDir t;
  const auto state = t.path() / "state";
  apply::HostSources src{"test:///default", "none", {{"web1", "dir:/tmp/x"}}};
  {
    apply::JournalWriter w(state, "kvm1", "A1", "digest", src);
    CHECK_FALSE(w.previous());
    apply::JournalStep s;
    s.seq = 1;
    s.id = "s01";
    s.host = "kvm1";
    s.target = "guest/web1/file/ifcfg-ens9";
    s.op.kind = plan::OpKind::WriteFile;
    s.op.guest = "web1";
    s.op.path = "etc/sysconfig/network-scripts/ifcfg-ens9";
    s.op.mode = 0640;
    s.before.file = FileInfo{std::string("A=\xff\x00z\n", 6), 0600, 12, 34};
    w.step_started(s);
    w.step_done(1);
  }
  { std::ofstream(state / "kvm1.journal", std::ios::app) << "{\"record\":\"step\",\"seq\":2,\"i"; }
  struct stat st {};
  REQUIRE(::stat((state / "kvm1.journal").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  auto jn = apply::read_host_journal(state, "kvm1");
  REQUIRE(jn);
  CHECK(jn->apply_id == "A1");
  CHECK(jn->sources.guest_files.at("web1") == "dir:/tmp/x");
  CHECK(jn->status == "applying");
  REQUIRE(jn->steps.size() == 1);
  CHECK(jn->steps[0].done);
  CHECK(jn->steps[0].op.mode == 0640u);
  CHECK(jn->steps[0].before.file->bytes == std::string("A=\xff\x00z\n", 6));
  CHECK(jn->steps[0].before.file->uid == 12);
  CHECK(apply::journal_hosts(state) == std::vector<std::string>{"kvm1"});
  // The unfinished journal is kept and chained by the next apply.
  {
    apply::JournalWriter w2(state, "kvm1", "A2", "digest", src);
    REQUIRE(w2.previous());
    CHECK(*w2.previous() == "kvm1.journal.A1");
    w2.status("applied");
  }
  CHECK(fs::exists(state / "kvm1.journal.A1"));
  // A finished journal is simply replaced.
  apply::JournalWriter w3(state, "kvm1", "A3", "digest", src);
  CHECK_FALSE(w3.previous());
}

// Issue 15: an activation's connections and format come back from the journal (rollback
// brings the restored profiles up), and a journal cannot smuggle an nmcli argument or another
// format's commands in: the journal is refused, naming the record.
TEST_CASE("journal: an activation's format and connections round-trip, forged ones are refused" *
          doctest::test_suite("apply")) {
  const std::string u = "5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03";
  auto journal_with = [&](const TempDir& t, const std::string& format,
                          const std::vector<std::string>& restore) {
    const auto state = t.path() / "state";
    apply::HostSources src{"test:///default", "none", {{"web1", "dir:/tmp/x"}}};
    apply::JournalWriter w(state, "kvm1", "A1", "digest", src);
    apply::JournalStep s;
    s.seq = 1;
    s.id = "s01";
    s.host = "kvm1";
    s.target = "guest/web1/activation";
    s.op.kind = plan::OpKind::Activate;
    s.op.guest = "web1";
    s.op.method = plan::ActivationMethod::RestartNetwork;
    s.op.config_format = format;
    s.op.profiles = {u};
    s.op.restore_profiles = restore;
    w.step_started(s);
    w.step_done(1);
    return state / "kvm1.journal";
  };
  {
    TempDir t;
    const auto j = apply::read_journal(journal_with(t, "keyfile", {u}));
    REQUIRE(j.steps.size() == 1);
    CHECK(j.steps[0].op.config_format == "keyfile");
    CHECK(j.steps[0].op.profiles == std::vector<std::string>{u});
    CHECK(j.steps[0].op.restore_profiles == std::vector<std::string>{u});
  }
  for (const auto& [format, restore, why] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"keyfile", "--help", "not a NetworkManager connection UUID"},
           {"keyfile", u + ";reboot", "not a NetworkManager connection UUID"},
           {"sh", u, "unknown config_format \"sh\""}}) {
    CAPTURE(restore);
    TempDir t;
    const auto path = journal_with(t, format, {restore});
    try {
      (void)apply::read_journal(path);
      FAIL("a forged activation was read back");
    } catch (const Error& e) {
      CHECK(contains(e.what(), why));
      CHECK(contains(e.what(), "record"));
    }
  }
}
