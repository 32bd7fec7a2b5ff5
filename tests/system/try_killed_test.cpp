// Issue 13, point 5, on the real lab: `apply --try` of the procedure through the guest agent
// on a booted lab guest, its waiting process killed with SIGKILL (a lost SSH session), so
// nobody waits to roll it back. drift reports the open try; once its deadline passed, the
// next macvtapctl command on the host (here `confirm`, too late) rolls it back first and
// says so: the guest's files (read through its agent), the inactive domain XML, the live
// interfaces and the host's files are as before the try. One booted guest; the systemd
// timer path is covered by tests/unit/try_survives_test.cpp (no systemd manager runs in the
// test container).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "apply/journal.hpp"
#include "apply/try_deadline.hpp"
#include "e2e_lab.hpp"
#include "../unit/test_support.hpp"

extern char** environ;

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace lab = mvt::test::lab;

namespace {

const std::string kNs = "etc/sysconfig/network-scripts";
const std::string kBeforeEns3 =
    "TYPE=Ethernet\nBOOTPROTO=none\nIPADDR=203.0.113.10\nPREFIX=25\nDEFROUTE=yes\n"
    "NAME=ens3\nDEVICE=ens3\nONBOOT=yes\n";

using mvt::test::contains;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::map<std::string, std::string> tree(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) out[fs::relative(e.path(), root).string()] = slurp(e.path());
  return out;
}

// macvtapctl ARGS in the background (stdout+stderr to `log`, never a systemd timer).
pid_t spawn_tool(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> argv{MVT_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> envs{"MVT_TEST_SYSTEMD_PRESENT=0"};
  for (char** e = environ; *e; ++e)
    if (std::string(*e).rfind("MVT_TEST_SYSTEMD_PRESENT=", 0) != 0) envs.emplace_back(*e);
  std::vector<char*> av, ev;
  for (auto& a : argv) av.push_back(a.data());
  av.push_back(nullptr);
  for (auto& e : envs) ev.push_back(e.data());
  ev.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, av[0], &fa, nullptr, av.data(), ev.data());
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

}  // namespace

TEST_CASE("try killed: apply --try through the agent, kill -9 of the waiting process, the "
          "next command reverts guest files and domain" * doctest::test_suite("system") *
          doctest::timeout(600)) {
  MVT_REQUIRE_LAB_TOOL_AND_IMAGE(image);
  lab::LabNetwork net;
  auto hv = lab::connect();
  lab::LabGuest guest(*hv, lab::before_domain("trykill", net.name()), *image);
  REQUIRE_MESSAGE(guest.wait_for_agent(120s), "the lab guest's agent did not answer in 120 s");
  auto a = guest.agent();
  a.write_atomic(kNs + "/ifcfg-ens3", kBeforeEns3);
  {
    const auto r = lab::guest_run(guest, {"/etc/init.d/network", "restart"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  }
  lab::LabWorkspace w;
  lab::LabSpecParams p;
  p.guest = guest.name();
  p.network = net.name();
  std::tie(p.slot9, p.slot8) = lab::free_slots(*hv, guest.name());
  const std::string ens9 = "ens" + std::to_string(p.slot9);
  const auto spec = w.write_spec(p);

  // BEFORE: the domain, the guest's files, the host's files.
  const std::string xml_before = lab::stable_inactive_xml(*hv, guest.name());
  const auto ens3_before = a.read(kNs + "/ifcfg-ens3");
  REQUIRE(ens3_before);
  REQUIRE_FALSE(a.read(kNs + "/ifcfg-" + ens9));
  const auto host_before = tree(w.dir / "host");
  REQUIRE_FALSE(lab::live_has_interface(*hv, guest.name(), lab::mac9()));

  // apply --try, killed with SIGKILL while it waits for a confirmation.
  const int try_seconds = 5;
  const fs::path log = w.dir / "try.log";
  const pid_t pid = spawn_tool({"--state-dir", w.state().string(), "--color", "never", "apply",
                                "-f", spec.string(), "--yes", "--try=" + std::to_string(try_seconds)},
                               log);
  REQUIRE(pid > 0);
  std::optional<mvt::apply::Journal> jn;
  const auto until = std::chrono::steady_clock::now() + 300s;
  while (std::chrono::steady_clock::now() < until) {
    try {
      jn = mvt::apply::read_host_journal(w.state(), "kvm1");
    } catch (const std::exception&) {
      jn.reset();
    }
    if (jn && jn->status == "trying") break;
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) break;
    std::this_thread::sleep_for(100ms);
  }
  ::kill(pid, SIGKILL);
  int st = 0;
  ::waitpid(pid, &st, 0);
  MESSAGE("apply --try (killed):\n" << slurp(log));
  REQUIRE(WIFSIGNALED(st));
  REQUIRE(jn);
  REQUIRE(jn->status == "trying");
  REQUIRE(jn->try_record);
  CHECK(jn->try_record->pid == pid);
  // The tried change is in place and nobody waits for it.
  CHECK(lab::live_has_interface(*hv, guest.name(), lab::mac9()));
  CHECK(lab::stable_inactive_xml(*hv, guest.name()) != xml_before);
  CHECK(a.read(kNs + "/ifcfg-" + ens9));

  const auto drift = lab::tool(w, {"drift", "-f", spec.string()});
  INFO("drift:\n" << drift.out << drift.err);
  CHECK(contains(drift.out, "host kvm1: an unconfirmed --try of apply " + jn->apply_id +
                                " is open, deadline " + jn->try_record->deadline));

  while (mvt::apply::epoch_now() < jn->try_record->deadline_epoch) std::this_thread::sleep_for(200ms);
  const auto c = lab::tool(w, {"confirm"}, 300s);
  MESSAGE("confirm after the deadline (" << c.elapsed.count() << " ms):\n" << c.out << c.err);
  CHECK(c.exit_code == 1);
  CHECK(contains(c.err, "host kvm1: the --try of apply " + jn->apply_id + " expired at " +
                            jn->try_record->deadline + " unconfirmed: rolled back (" +
                            std::to_string(jn->steps.size()) + " steps)"));
  CHECK(contains(c.err, "too late to confirm it; it was rolled back instead"));

  // As before the try: domain (inactive and live), guest files through the agent, host files.
  CHECK(lab::stable_inactive_xml(*hv, guest.name()) == xml_before);
  CHECK_FALSE(lab::live_has_interface(*hv, guest.name(), lab::mac9()));
  CHECK_FALSE(lab::live_has_interface(*hv, guest.name(), lab::mac8()));
  const auto ens3_after = a.read(kNs + "/ifcfg-ens3");
  REQUIRE(ens3_after);
  CHECK(ens3_after->bytes == ens3_before->bytes);
  CHECK_FALSE(a.read(kNs + "/ifcfg-" + ens9));
  CHECK(tree(w.dir / "host") == host_before);
  CHECK(mvt::apply::read_host_journal(w.state(), "kvm1")->status == "rolled-back");
  const auto replan = lab::tool(w, {"plan", "-f", spec.string(), "--detailed-exitcode"});
  INFO("re-plan:\n" << replan.out << replan.err);
  CHECK(replan.exit_code == 2);  // the procedure is pending again
  CHECK_FALSE(contains(replan.err, "--try of apply"));
}
