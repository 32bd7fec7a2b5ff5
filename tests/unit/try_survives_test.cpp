// A `--try` that survives its own death (issue 13, point 5; lib/apply/try_deadline.hpp,
// try_timer.hpp, confirm.hpp): `apply --try` through the real binary on the embedded lab (a
// temp copy of specs/lab: libvirt's test:/// node file and dir: roots), its waiting process
// killed with SIGKILL. Then the next apply, rollback or confirm rolls the expired try back
// first and says so (the files byte for byte as before), the timer's own rollback
// (`rollback --expired-try`, run by a fake systemd-run: no systemd manager can run in this
// container, see tests/unit/fake_systemd/) reverts it with no other command, confirm keeps
// an unexpired one and stops its timer, drift and plan report an open try without changing
// anything, and a forged or garbled try record is refused like any journal damage.
//
// libvirt's test:/// driver forgets domain changes with its process: these tests judge the
// files; tests/system/try_killed_test.cpp judges the domain on the real lab guest.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "apply/journal.hpp"
#include "apply/state_dir.hpp"
#include "apply/try_deadline.hpp"
#include "apply/try_timer.hpp"
#include "apply_test_support.hpp"
#include "render/prometheus.hpp"
#include "test_support.hpp"
#include "util/errors.hpp"
#include "util/hash.hpp"

extern char** environ;

namespace fs = std::filesystem;
using namespace mvt;
using mvt::test::read_file;
using mvt::test::run_tool_env;
using mvt::test::snapshot_tree;
using mvt::test::TempDir;
using mvt::test::Tree;
using mvt::test::write_file;

namespace {

bool has(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

struct TryLab {
  TempDir t;
  fs::path lab, state, fake;  // fake: where the fake systemd tools keep their records
  std::map<std::string, std::string> env;
  explicit TryLab(bool with_fake_systemd = false) {
    lab = t.path() / "lab";
    state = t.path() / "state";
    fake = t.path() / "fake-systemd";
    fs::create_directories(fake);
    fs::copy(test::source_dir() / "specs" / "lab", lab, fs::copy_options::recursive);
    if (with_fake_systemd) {
      const char* path = std::getenv("PATH");
      env["PATH"] = (test::source_dir() / "tests/unit/fake_systemd").string() + ":" +
                    (path ? path : "/usr/bin:/bin");
      env["MVT_TEST_SYSTEMD_PRESENT"] = "1";
      env["MVT_FAKE_SYSTEMD_DIR"] = fake.string();
    } else {
      env["MVT_TEST_SYSTEMD_PRESENT"] = "0";  // never a real timer, wherever the tests run
    }
  }
  std::vector<std::string> args(std::vector<std::string> a, bool spec = true) const {
    std::vector<std::string> out{"--state-dir", state.string()};
    out.insert(out.end(), a.begin(), a.end());
    if (spec)
      for (const auto& s : {(test::source_dir() / "specs" / "seed.yaml").string(),
                            (lab / "seed-lab.yaml").string()}) {
        out.push_back("-f");
        out.push_back(s);
      }
    return out;
  }
  test::ProcResult tool(std::vector<std::string> a, bool spec = true) const {
    return run_tool_env(args(std::move(a), spec), env);
  }
  Tree files() const {
    Tree out;
    for (auto& [k, v] : snapshot_tree(lab / "host")) out["host/" + k] = v;
    for (auto& [k, v] : snapshot_tree(lab / "guest-web1")) out["guest-web1/" + k] = v;
    return out;
  }
  std::optional<apply::Journal> journal() const { return apply::read_host_journal(state, "kvm1"); }
  std::string calls() const { return fs::exists(fake / "calls") ? read_file(fake / "calls") : ""; }
};

// Starts `macvtapctl apply --yes --try=SECONDS` in the background, waits (bounded) until its
// journal says "trying", and kills it with SIGKILL. Returns the journal as the dead process
// left it.
apply::Journal try_and_kill(const TryLab& lab, int seconds) {
  std::vector<std::string> argv{test::binary().string()};
  for (auto& a : lab.args({"apply", "--yes", "--try=" + std::to_string(seconds)})) argv.push_back(a);
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    if (!lab.env.count(kv.substr(0, kv.find('=')))) envs.push_back(kv);
  }
  for (const auto& [k, v] : lab.env) envs.push_back(k + "=" + v);
  std::vector<char*> av, ev;
  for (auto& a : argv) av.push_back(a.data());
  av.push_back(nullptr);
  for (auto& e : envs) ev.push_back(e.data());
  ev.push_back(nullptr);
  const std::string log = (lab.t.path() / "killed-apply.log").string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, av[0], &fa, nullptr, av.data(), ev.data()) == 0);
  posix_spawn_file_actions_destroy(&fa);
  std::optional<apply::Journal> jn;
  for (int i = 0; i < 1200; ++i) {  // bounded: 60 s
    try {
      jn = lab.journal();
    } catch (const std::exception&) {
      jn.reset();  // being replaced right now
    }
    // Killed while it waits: the journal says trying and the wait has begun (its line is
    // printed right after the try record is written, so the two can be seen apart).
    if (jn && jn->status == "trying" &&
        has(read_file(log), "Waiting " + std::to_string(seconds) + " s"))
      break;
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) FAIL("apply --try ended by itself:\n" << read_file(log));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  INFO(read_file(log));
  REQUIRE(WIFSIGNALED(st));
  REQUIRE(jn);
  REQUIRE(jn->status == "trying");
  REQUIRE(jn->try_record);
  CHECK(jn->try_record->pid == pid);
  CHECK(jn->try_record->apply_id == jn->apply_id);
  CHECK(has(read_file(log), "Waiting " + std::to_string(seconds) + " s"));
  return *jn;
}

void wait_past(const apply::Journal& jn) {
  REQUIRE(jn.try_record);
  while (apply::epoch_now() < jn.try_record->deadline_epoch)  // bounded by --try's seconds
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

std::string expired_line(const apply::Journal& jn) {
  return "host kvm1: the --try of apply " + jn.apply_id + " expired at " + jn.try_record->deadline +
         " unconfirmed: rolled back (" + std::to_string(jn.steps.size()) + " steps)";
}

// Every file of the state dir, byte for byte (what a read-only command must not change).
Tree state_files(const TryLab& lab) {
  return snapshot_tree(lab.state);
}

}  // namespace

TEST_CASE("try: killed --try, the next apply rolls the expired try back first and says so" *
          doctest::test_suite("apply")) {
  TryLab lab;
  const Tree before = lab.files();
  const apply::Journal jn = try_and_kill(lab, 3);
  const Tree tried = lab.files();
  REQUIRE(tried != before);  // the try's change is in place, nobody will confirm it
  wait_past(jn);

  // The timer's rollback acts on that very try only.
  auto other = lab.tool({"--host", "kvm1", "rollback", "--expired-try", "20000101T000000Z-1"}, false);
  INFO(other.out, other.err);
  CHECK(other.exit_code == 0);
  CHECK(has(other.out, "nothing to do (no longer open)"));
  CHECK(lab.files() == tried);

  // The next apply (unattended without --yes: refused after its plan) first rolls back.
  auto r = lab.tool({"apply"});
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(has(r.err, expired_line(jn)));
  CHECK(has(r.err, "refusing to apply unattended"));
  CHECK(lab.files() == before);
  auto after = lab.journal();
  REQUIRE(after);
  CHECK(after->apply_id == jn.apply_id);
  CHECK(after->status == "rolled-back");
  // Said once: the next command finds nothing to settle.
  auto again = lab.tool({"apply"});
  CHECK_FALSE(has(again.err, "expired at"));
  CHECK(lab.files() == before);
}

TEST_CASE("try: killed --try, the next rollback rolls the expired try back and says so" *
          doctest::test_suite("apply")) {
  TryLab lab;
  const Tree before = lab.files();
  const apply::Journal jn = try_and_kill(lab, 3);
  REQUIRE(lab.files() != before);
  wait_past(jn);
  auto r = lab.tool({"rollback"}, false);
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(has(r.err, expired_line(jn)));
  CHECK(lab.files() == before);
  CHECK(lab.journal()->status == "rolled-back");
  auto again = lab.tool({"rollback"}, false);
  CHECK(again.exit_code == 0);
  CHECK(has(again.out, "host kvm1: nothing to roll back"));
  CHECK(lab.files() == before);
}

TEST_CASE("try: confirm after the deadline refuses and rolls the expired try back" *
          doctest::test_suite("apply")) {
  TryLab lab;
  const Tree before = lab.files();
  const apply::Journal jn = try_and_kill(lab, 3);
  REQUIRE(lab.files() != before);
  wait_past(jn);
  auto r = lab.tool({"confirm"}, false);
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(has(r.err, expired_line(jn)));
  CHECK(has(r.err, "host kvm1: the --try of apply " + jn.apply_id + " expired at " +
                       jn.try_record->deadline + ": too late to confirm it; it was rolled back"));
  CHECK_FALSE(has(r.out, "Confirmed"));
  CHECK(lab.files() == before);
  CHECK(lab.journal()->status == "rolled-back");
  CHECK_FALSE(fs::exists(lab.state / "kvm1.confirm"));
}

TEST_CASE("try: an unexpired try of a dead process - drift and plan report it and change "
          "nothing, apply refuses, confirm keeps it and stops its timer" *
          doctest::test_suite("apply")) {
  TryLab lab(/*with_fake_systemd=*/true);
  const Tree before = lab.files();
  const apply::Journal jn = try_and_kill(lab, 120);
  const Tree tried = lab.files();
  REQUIRE(tried != before);
  const std::string unit = "macvtapctl-try-kvm1-" + jn.apply_id;
  CHECK(jn.try_record->timer_unit == unit);
  const Tree state = state_files(lab);
  const std::string open_line = "host kvm1: an unconfirmed --try of apply " + jn.apply_id +
                                " is open, deadline " + jn.try_record->deadline;

  const fs::path prom = lab.t.path() / "drift.prom";
  auto d = lab.tool({"drift", "--prometheus", prom.string()});
  INFO(d.out, d.err);
  CHECK(d.exit_code != 1);
  CHECK(has(d.out, open_line + " (`macvtapctl confirm` keeps it)"));
  const std::string metrics = read_file(prom);
  CHECK(has(metrics, "macvtapctl_drift_try_open{host=\"kvm1\"} 1\n"));
  CHECK(has(metrics, "macvtapctl_drift_try_deadline_timestamp_seconds{host=\"kvm1\"} " +
                         std::to_string(jn.try_record->deadline_epoch) + "\n"));
  auto dj = lab.tool({"drift", "--format", "json"});
  CHECK(has(dj.err, "warning: " + open_line));
  auto p = lab.tool({"plan"});
  INFO(p.out, p.err);
  CHECK(p.exit_code == 0);
  CHECK(has(p.err, "warning: " + open_line));
  CHECK(state_files(lab) == state);  // read-only: not a byte of the state dir changed
  CHECK(lab.files() == tried);

  // apply does not pile a new change on an unconfirmed one whose waiter is gone.
  auto a = lab.tool({"apply", "--yes"});
  INFO(a.out, a.err);
  CHECK(a.exit_code == 1);
  CHECK(has(a.err, open_line));
  CHECK(has(a.err, "its waiting process is gone. Refusing to apply over an unconfirmed change"));
  CHECK(lab.files() == tried);
  CHECK(lab.journal()->status == "trying");

  auto c = lab.tool({"confirm"}, false);
  INFO(c.out, c.err);
  CHECK(c.exit_code == 0);
  CHECK(has(c.out, "Confirmed apply " + jn.apply_id + " on host kvm1 (its waiting process is "
                   "gone: the journal is marked applied, its timer stopped)"));
  CHECK(lab.journal()->status == "applied");
  CHECK(lab.files() == tried);
  CHECK(has(lab.calls(), "systemctl\tstop\t" + unit + ".timer\n"));
  CHECK(fs::exists(lab.fake / (unit + ".stopped")));  // the fake timer was still pending
  CHECK_FALSE(fs::exists(lab.fake / (unit + ".rc")));  // and its rollback never ran
  auto d2 = lab.tool({"drift", "--prometheus", prom.string()});
  CHECK_FALSE(has(d2.out, "--try of apply"));
  CHECK(has(read_file(prom), "macvtapctl_drift_try_open{host=\"kvm1\"} 0\n"));
}

TEST_CASE("try: the systemd timer reverts a killed --try with no other command" *
          doctest::test_suite("apply")) {
  TryLab lab(/*with_fake_systemd=*/true);
  const Tree before = lab.files();
  const apply::Journal jn = try_and_kill(lab, 3);
  REQUIRE(lab.files() != before);
  const std::string unit = "macvtapctl-try-kvm1-" + jn.apply_id;
  CHECK(jn.try_record->timer_unit == unit);
  // What apply asked systemd for: argv, no shell; this very binary by absolute path.
  const std::string calls = lab.calls();
  INFO(calls);
  CHECK(has(calls, "systemd-run\t--unit=" + unit + "\t--on-active="));
  CHECK(has(calls, "\t--timer-property=AccuracySec=1s\t"));
  CHECK(has(calls, "\t" + fs::canonical(test::binary()).string() + "\trollback\t--host\tkvm1\t"
                   "--expired-try\t" + jn.apply_id + "\t--state-dir\t" +
                   fs::absolute(lab.state).string() + "\n"));
  // The timer fires after the deadline (+ margin) and its rollback reverts the try.
  const fs::path rc = lab.fake / (unit + ".rc");
  for (int i = 0; i < 600 && !fs::exists(rc); ++i)  // bounded: 60 s
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(fs::exists(rc));
  const std::string out = read_file(lab.fake / (unit + ".out"));
  INFO(out);
  CHECK(read_file(rc) == "0\n");
  CHECK(has(out, expired_line(jn)));
  CHECK(apply::epoch_now() >= jn.try_record->deadline_epoch);
  CHECK(lab.files() == before);
  CHECK(lab.journal()->status == "rolled-back");
  CHECK(has(lab.calls(), "systemctl\tstop\t" + unit + ".timer\n"));  // its own, elapsed
  // Nothing left for the next command.
  auto r = lab.tool({"rollback"}, false);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(has(r.err, "expired at"));
  CHECK(lab.files() == before);
}

TEST_CASE("try: confirm reaches a live waiting apply, which keeps the change and stops its "
          "timer" * doctest::test_suite("apply")) {
  TryLab lab(/*with_fake_systemd=*/true);
  const Tree before = lab.files();
  test::ProcResult applied;
  std::thread applier([&] { applied = lab.tool({"apply", "--yes", "--try=60"}); });
  test::ProcResult c;
  for (int i = 0; i < 600; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto jn = lab.journal();
    if (jn && jn->status == "trying") {
      c = lab.tool({"confirm"}, false);
      break;
    }
  }
  applier.join();
  INFO(applied.out, applied.err, c.out, c.err);
  CHECK(c.exit_code == 0);
  CHECK(has(c.out, "Confirmed apply "));
  CHECK(applied.exit_code == 0);
  CHECK(has(applied.out, "Confirmed: host kvm1 keeps its changes."));
  auto jn = lab.journal();
  REQUIRE(jn);
  CHECK(jn->status == "applied");
  const std::string unit = "macvtapctl-try-kvm1-" + jn->apply_id;
  CHECK(has(lab.calls(), "systemctl\tstop\t" + unit + ".timer\n"));
  CHECK(fs::exists(lab.fake / (unit + ".stopped")));
  CHECK(lab.files() != before);
}

TEST_CASE("try: without systemd apply --try says who reverts a killed try" *
          doctest::test_suite("apply")) {
  TryLab lab;
  auto r = lab.tool({"apply", "--yes", "--try=1"});
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(has(r.err, "note: no systemd timer (systemd is not running here): should this process "
                   "die, the next macvtapctl apply, rollback or confirm on kvm1 reverts the try "
                   "after its deadline "));
  CHECK(has(r.err, "No confirmation in time"));
}

namespace {

// A journal of one finished step plus `extra` records (checksummed like the writer's).
fs::path journal_with(const fs::path& state, const std::vector<std::string>& extra) {
  apply::HostSources src{"test:///default", "none", {}};
  {
    apply::JournalWriter w(state, "kvm1", "A1", "digest", src);
    apply::JournalStep s;
    s.seq = 1;
    s.id = "s01";
    s.host = "kvm1";
    s.target = "guest/web1/file/ifcfg-ens9";
    s.op.kind = plan::OpKind::WriteFile;
    s.op.guest = "web1";
    s.op.path = "etc/sysconfig/network-scripts/ifcfg-ens9";
    w.step_started(s);
    w.step_done(1);
  }
  const fs::path p = state / "kvm1.journal";
  std::ofstream out(p, std::ios::app | std::ios::binary);
  for (const auto& r : extra) out << "{\"c\":\"" << sha256_hex(r) << "\",\"r\":" << r << "}\n";
  return p;
}

}  // namespace

TEST_CASE("try: the try record round-trips, a forged or garbled one is refused like other "
          "journal damage" * doctest::test_suite("apply")) {
  {
    TempDir t;
    const auto state = t.path() / "state";
    {
      journal_with(state, {});
      apply::JournalWriter w(state / "kvm1.journal");
      w.try_deadline({"A1", "2026-11-24T00:42:00Z", 0, 4242, "macvtapctl-try-kvm1-A1"});
      w.status("trying");
    }
    auto jn = apply::read_host_journal(state, "kvm1");
    REQUIRE(jn);
    REQUIRE(jn->try_record);
    CHECK(jn->try_record->deadline == "2026-11-24T00:42:00Z");
    CHECK(jn->try_record->deadline_epoch == 1795480920LL);
    CHECK(jn->try_record->pid == 4242);
    CHECK(jn->try_record->timer_unit == "macvtapctl-try-kvm1-A1");
    auto open = apply::open_try_of(*jn);
    REQUIRE(open);
    CHECK(open->expired(1795480920LL));
    CHECK_FALSE(open->expired(1795480919LL));
  }
  // An older journal (no try record) still reads: an open try without a deadline.
  {
    TempDir t;
    journal_with(t.path() / "state", {R"({"record":"status","status":"trying"})"});
    auto jn = apply::read_host_journal(t.path() / "state", "kvm1");
    REQUIRE(jn);
    CHECK_FALSE(jn->try_record);
    REQUIRE(apply::open_try_of(*jn));
    CHECK_FALSE(apply::open_try_of(*jn)->expired(1LL << 40));
  }
  const std::string ok_fields = R"("pid":77,"timer_unit":"")";
  const struct {
    std::string record, why;
  } bad[] = {
      {R"({"record":"try","apply_id":"A1","deadline":"tomorrow",)" + ok_fields + "}",
       "deadline \"tomorrow\" is not a UTC time"},
      {R"({"record":"try","apply_id":"A1","deadline":"2026-02-30T00:00:00Z",)" + ok_fields + "}",
       "deadline \"2026-02-30T00:00:00Z\" is not a UTC time"},
      {R"({"record":"try","apply_id":"A1","deadline":"2026-11-24T00:42:00+01:00",)" + ok_fields + "}",
       "deadline \"2026-11-24T00:42:00+01:00\" is not a UTC time"},
      {R"({"record":"try","apply_id":"A1","deadline":1795480920,)" + ok_fields + "}",
       "deadline 1795480920 is not a UTC time"},
      {R"({"record":"try","apply_id":"B7","deadline":"2026-11-24T00:42:00Z",)" + ok_fields + "}",
       "apply id \"B7\" is not the journal's (\"A1\")"},
      {R"({"record":"try","apply_id":"A1","deadline":"2026-11-24T00:42:00Z","pid":-1,"timer_unit":""})",
       "pid -1 is not a process id"},
      {R"({"record":"try","apply_id":"A1","deadline":"2026-11-24T00:42:00Z","pid":77})",
       "missing field \"timer_unit\""},
      {R"({"record":"try","apply_id":"A1","deadline":"2026-11-24T00:42:00Z",)" + ok_fields +
           R"(,"extra":1})",
       "unknown field \"extra\""},
      {R"({"record":"try","apply_id":"A1","deadline":"2026-11-24T00:42:00Z","pid":77,"timer_unit":"--now foo"})",
       "timer_unit \"--now foo\" is not a macvtapctl-try-* unit"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.record);
    TempDir t;
    const auto state = t.path() / "state";
    const fs::path p = journal_with(state, {b.record, R"({"record":"status","status":"trying"})"});
    try {
      (void)apply::read_journal(p);
      FAIL("accepted");
    } catch (const mvt::Error& e) {
      const std::string m = e.what();
      CHECK(has(m, "is damaged at record 5 (line 5): try record: " + b.why));
      CHECK(has(m, "refusing to use it"));
    }
  }
  // A second try record, and a checksum that does not match a (forged) deadline.
  {
    TempDir t;
    const std::string rec =
        R"({"record":"try","apply_id":"A1","deadline":"2026-11-24T00:42:00Z",)" + ok_fields + "}";
    const fs::path p = journal_with(t.path() / "state", {rec, rec});
    CHECK_THROWS_WITH_AS((void)apply::read_journal(p),
                         doctest::Contains("damaged at record 6 (line 6): a second try record"),
                         mvt::Error);
  }
  {
    TempDir t;
    const auto state = t.path() / "state";
    const std::string rec =
        R"({"record":"try","apply_id":"A1","deadline":"2026-11-24T00:42:00Z",)" + ok_fields + "}";
    const fs::path p = journal_with(state, {rec, R"({"record":"status","status":"trying"})"});
    std::string text = read_file(p);
    const auto at = text.find("2026-11-24T00:42:00Z");
    REQUIRE(at != std::string::npos);
    text.replace(at, 4, "2099");  // the deadline moved, the checksum not
    write_file(p, text);
    ::chmod(p.c_str(), 0600);
    CHECK_THROWS_WITH_AS((void)apply::read_journal(p),
                         doctest::Contains("damaged at record 5 (line 5): checksum mismatch"),
                         mvt::Error);
    // Every mutating command refuses it, nothing changed; read-only ones note it.
    const auto bytes = read_file(p);
    for (const std::vector<std::string>& cmd :
         {std::vector<std::string>{"rollback"}, {"confirm"},
          {"--host", "kvm1", "rollback", "--expired-try", "A1"}}) {
      std::vector<std::string> args{"--state-dir", state.string()};
      args.insert(args.end(), cmd.begin(), cmd.end());
      auto r = run_tool_env(args, {{"MVT_TEST_SYSTEMD_PRESENT", "0"}});
      INFO(r.out, r.err);
      CHECK(r.exit_code == 1);
      CHECK(has(r.err, "is damaged at record 5 (line 5): checksum mismatch"));
      CHECK(read_file(p) == bytes);
    }
    auto scan = apply::scan_open_tries(state, {"kvm1"});
    CHECK(scan.tries.empty());
    REQUIRE(scan.notes.size() == 1);
    CHECK(has(scan.notes[0], "host kvm1: open --try not checked: journal "));
  }
}

TEST_CASE("try: unit names, UTC times and the timer's argv" * doctest::test_suite("apply")) {
  CHECK(apply::try_timer_unit("kvm1", "20261206T2050Z-12") == "macvtapctl-try-kvm1-20261206T2050Z-12");
  CHECK(apply::try_timer_unit("a.b/c", "x y") == "macvtapctl-try-a\\x2eb\\x2fc-x\\x20y");
  CHECK(apply::parse_utc_timestamp("1970-01-01T00:00:00Z") == 0LL);
  CHECK(apply::parse_utc_timestamp(apply::utc_timestamp(1795480920LL)) == 1795480920LL);
  CHECK_FALSE(apply::parse_utc_timestamp("2026-11-24T24:00:00Z"));
  CHECK_FALSE(apply::parse_utc_timestamp("2026-11-24T00:42:00Z "));
  CHECK_FALSE(apply::parse_utc_timestamp("2026-11-24 00:42:00Z"));
  apply::TryTimerConfig c;
  c.exe = "/usr/bin/macvtapctl";
  c.global_args = {"--allow-uri-param", "keyfile"};
  CHECK(apply::try_timer_argv(c, "/var/lib/macvtapctl", "kvm1", "A1", 122) ==
        std::vector<std::string>{"systemd-run", "--unit=macvtapctl-try-kvm1-A1", "--on-active=122",
                                 "--timer-property=AccuracySec=1s",
                                 "--description=macvtapctl: revert the unconfirmed --try of apply "
                                 "A1 on host kvm1",
                                 "/usr/bin/macvtapctl", "--allow-uri-param", "keyfile", "rollback",
                                 "--host", "kvm1", "--expired-try", "A1", "--state-dir",
                                 "/var/lib/macvtapctl"});
  ::setenv("MVT_TEST_SYSTEMD_PRESENT", "1", 1);
  CHECK(apply::systemd_present());
  ::setenv("MVT_TEST_SYSTEMD_PRESENT", "0", 1);
  CHECK_FALSE(apply::systemd_present());
  ::unsetenv("MVT_TEST_SYSTEMD_PRESENT");
  CHECK(apply::systemd_present() == fs::is_directory("/run/systemd/system"));
  render::DriftMetrics m;
  m.try_open = {{"kvm1", true}, {"kvm2", false}};
  m.try_deadline = {{"kvm1", 1795480920LL}};
  const std::string prom = render::render_prometheus(m);
  CHECK(has(prom, "# TYPE macvtapctl_drift_try_open gauge\nmacvtapctl_drift_try_open{host=\"kvm1\"} "
                  "1\nmacvtapctl_drift_try_open{host=\"kvm2\"} 0\n"));
  CHECK(has(prom, "macvtapctl_drift_try_deadline_timestamp_seconds{host=\"kvm1\"} 1795480920\n"));
}
