// Waiting for a guest agent after a restart (lib/apply/agent_wait.hpp) and its use by
// activate_guest, the executor's verification and rollback.
//
// A fake Hypervisor stands in for libvirt here: a unit test cannot boot a guest and make its
// agent answer only after N pings (the real thing - a lab guest restarted under TCG, ≈ 7 s to
// its first answer - is tested in tests/system/apply_procedure_test.cpp). The fake answers
// guest-ping with libvirt's own "not connected" error (VIR_ERR_AGENT_UNRESPONSIVE) for a set
// number of pings after each start/reboot, then normally.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "stub_hypervisor.hpp"
#include "apply/agent_wait.hpp"
#include "apply/base64.hpp"
#include "apply/executor.hpp"
#include "apply/journal.hpp"
#include "apply/rollback.hpp"
#include "apply/step_runner.hpp"
#include "apply_test_support.hpp"
#include "files/agent_source.hpp"
#include "test_support.hpp"
#include "util/errors.hpp"

using namespace mvt;
using namespace mvt::apply;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr int kNotConnected = 86;  // VIR_ERR_AGENT_UNRESPONSIVE

class BootingHv : public mvt::test::StubHypervisor {
 public:
  bool running = true;
  bool channel = true;
  int pings_before_answer = 0;  // after each start/reboot; -1: never answers
  int boot_pings_left = 0;
  int boots = 1;
  int pings = 0;
  std::vector<std::string> calls;  // "start", "shutdown", "reboot", "destroy"
  std::vector<std::string> execs;  // guest-exec paths

  bool connected() const { return running && boot_pings_left == 0; }

  std::vector<DomainSummary> list_domains() override {
    return {{"g1", "uuid", running, running ? "running" : "shut off"}};
  }
  void start(const std::string&) override {
    calls.push_back("start");
    running = true;
    boot();
  }
  void shutdown(const std::string&) override {
    calls.push_back("shutdown");
    // As libvirt: through the agent when it is connected, else the ACPI button, which this
    // guest (like the lab guest) ignores.
    if (connected()) running = false;
  }
  void destroy(const std::string&) override {
    calls.push_back("destroy");
    running = false;
  }
  void reboot(const std::string&) override {
    calls.push_back("reboot");
    boot();
  }

  std::string agent_command(const std::string&, const std::string& text,
                            std::chrono::seconds) override {
    if (!running) throw LibvirtError("Requested operation is not valid: domain is not running", 55);
    if (!channel) throw LibvirtError("argument unsupported: QEMU guest agent is not configured", 67);
    const json req = json::parse(text);
    const std::string cmd = req.at("execute");
    if (boot_pings_left != 0) {
      if (cmd == "guest-ping") ++pings;
      if (boot_pings_left > 0 && cmd == "guest-ping") --boot_pings_left;
      throw LibvirtError("Guest agent is not responding: QEMU guest agent is not connected",
                         kNotConnected);
    }
    if (cmd == "guest-ping") {
      ++pings;
      return R"({"return":{}})";
    }
    if (cmd == "guest-file-open") {
      const std::string path = req["arguments"]["path"];
      if (path != "/proc/sys/kernel/random/boot_id")  // rollback's files: absent here
        throw LibvirtError("internal error: unable to execute QEMU agent command "
                           "'guest-file-open': failed to open file '" + path +
                           "' (mode: 'r'): No such file or directory", 1);
      return R"({"return":7})";
    }
    if (cmd == "guest-exec") {
      execs.push_back(req["arguments"]["path"].get<std::string>());
      return R"({"return":{"pid":1}})";
    }
    if (cmd == "guest-exec-status") return R"({"return":{"exited":true,"exitcode":0}})";
    if (cmd == "guest-file-read") {
      const std::string id = "boot-" + std::to_string(boots) + "\n";
      return json{{"return", {{"count", id.size()}, {"buf-b64", base64_encode(id)}, {"eof", true}}}}
          .dump();
    }
    if (cmd == "guest-file-close") return R"({"return":{}})";
    throw LibvirtError("unexpected agent command " + cmd, 1);
  }

 private:
  void boot() {
    ++boots;
    boot_pings_left = pings_before_answer;
  }
};

struct Rig {
  BootingHv hv;
  AgentSource agent{hv, "g1"};
  HostBackends b;
  std::vector<std::string> progress;
  ProgressFn log = [this](const std::string& l) { progress.push_back(l); };
  Rig() {
    b.hypervisor = &hv;
    b.guest_files["g1"] = &agent;
    b.sources.uri = "qemu:///system";
  }
  std::string lines() const {
    std::string s;
    for (const auto& l : progress) s += l + "\n";
    return s;
  }
};

}  // namespace

TEST_CASE("wait_for_agent: answers at once, after N tries, or never (bounded)" *
          doctest::test_suite("apply")) {
  SUBCASE("answering at once: no wait, no progress line") {
    Rig r;
    const auto w = wait_for_agent(r.b, "kvm1", "g1", 5s, "test", r.log);
    CHECK(w.status == AgentWaitStatus::Ready);
    CHECK(r.progress.empty());
    CHECK(r.hv.pings == 1);
  }
  SUBCASE("not connected for 3 pings, then answers: Ready, with progress") {
    Rig r;
    r.hv.boot_pings_left = 3;
    const auto w = wait_for_agent(r.b, "kvm1", "g1", 10s, "after cold-restart", r.log);
    INFO(r.lines());
    CHECK(w.status == AgentWaitStatus::Ready);
    CHECK(r.hv.pings == 4);
    REQUIRE(r.progress.size() == 2);
    CHECK(r.progress[0].find("waiting up to 120") == std::string::npos);
    CHECK(r.progress[0].find("waiting up to 10.0 s for the guest agent of g1 on kvm1") == 0);
    CHECK(r.progress[1].find("guest agent of g1 on kvm1 answered after") == 0);
  }
  SUBCASE("never answers: TimedOut after the bound, naming host and guest") {
    Rig r;
    r.hv.boot_pings_left = -1;
    const auto t0 = std::chrono::steady_clock::now();
    const auto w = wait_for_agent(r.b, "kvm1", "g1", 700ms, "after cold-restart", r.log);
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(w.status == AgentWaitStatus::TimedOut);
    CHECK(took >= 700ms);
    CHECK(took < 5s);
    CHECK(w.detail.find("guest g1 on host kvm1") == 0);
    CHECK(w.detail.find("did not answer within 0.7 s") != std::string::npos);
    CHECK(w.detail.find("not connected") != std::string::npos);
    CHECK_THROWS_WITH_AS(require_agent(r.b, "kvm1", "g1", 300ms, "after reboot"),
                         doctest::Contains("guest g1 on host kvm1"), Error);
  }
  SUBCASE("no channel, shut off, not agent-sourced: no wait") {
    Rig r;
    r.hv.channel = false;
    CHECK(wait_for_agent(r.b, "kvm1", "g1", 60s, "t").status == AgentWaitStatus::NoChannel);
    r.hv.channel = true;
    r.hv.running = false;
    CHECK(wait_for_agent(r.b, "kvm1", "g1", 60s, "t").status == AgentWaitStatus::NotRunning);
    CHECK(wait_for_agent(r.b, "kvm1", "other", 60s, "t").status == AgentWaitStatus::NotAgent);
    CHECK_NOTHROW(require_agent(r.b, "kvm1", "g1", 60s, "t"));
  }
}

TEST_CASE("activate_guest: a restart of an agent-sourced guest waits for its agent" *
          doctest::test_suite("apply")) {
  Timeouts t;
  t.poll = 10ms;
  t.shutdown = 1s;
  t.agent_boot = 10s;
  std::vector<std::string> pending;
  SUBCASE("cold-restart: waits after the start") {
    Rig r;
    r.hv.pings_before_answer = 3;
    activate_guest("kvm1", "g1", plan::ActivationMethod::ColdRestart, r.b, t, pending, r.log);
    INFO(r.lines());
    CHECK(r.hv.calls == std::vector<std::string>{"shutdown", "start"});
    CHECK(r.hv.connected());
    CHECK(r.lines().find("after cold-restart") != std::string::npos);
  }
  SUBCASE("cold-restart of a guest still booting: waits first, so the shutdown goes through "
          "the agent and nothing is destroyed") {
    Rig r;
    r.hv.boot_pings_left = 2;
    r.hv.pings_before_answer = 2;
    activate_guest("kvm1", "g1", plan::ActivationMethod::ColdRestart, r.b, t, pending, r.log);
    INFO(r.lines());
    CHECK(r.hv.calls == std::vector<std::string>{"shutdown", "start"});
    CHECK(pending.empty());
  }
  SUBCASE("cold-restart whose agent never comes back: an error naming host and guest") {
    Rig r;
    r.hv.pings_before_answer = -1;
    t.agent_boot = 600ms;
    CHECK_THROWS_WITH_AS(
        activate_guest("kvm1", "g1", plan::ActivationMethod::ColdRestart, r.b, t, pending),
        doctest::Contains("guest g1 on host kvm1: its guest agent did not answer"), Error);
  }
  SUBCASE("reboot: waits until the agent answers from a new boot") {
    Rig r;
    r.hv.pings_before_answer = 2;
    activate_guest("kvm1", "g1", plan::ActivationMethod::Reboot, r.b, t, pending, r.log);
    INFO(r.lines());
    CHECK(r.hv.calls == std::vector<std::string>{"reboot"});
    CHECK(r.hv.connected());
    CHECK(r.lines().find("back from its reboot") != std::string::npos);
  }
}

TEST_CASE("apply: the verification re-plan after a cold restart runs once the agent answers" *
          doctest::test_suite("apply")) {
  test::TempDir state;
  Rig r;
  r.hv.pings_before_answer = 3;
  plan::Plan p;
  p.spec_digest = "d";
  p.steps.push_back(test::activate_step("s01", "kvm1", "g1", plan::ActivationMethod::ColdRestart));
  p.steps.push_back(test::verify_step("s02", "kvm1"));
  ApplyOptions o;
  o.state_dir = state.path();
  o.verify_attempts = 1;  // no retry: the re-plan must succeed the first time
  o.timeouts.poll = 10ms;
  o.timeouts.shutdown = 1s;
  int replans = 0;
  // As LiveSession::replan: observing an agent-sourced guest fails while its agent is not
  // connected.
  o.replan = [&] {
    ++replans;
    if (!r.hv.connected())
      throw Error("re-planning failed:\n  guest agent of g1 is not answering (still booting?)");
    return plan::Plan{};
  };
  std::vector<std::string> progress;
  o.progress = [&](const std::string& l) { progress.push_back(l); };
  Backends bs{{"kvm1", r.b}};
  ApplySession s(bs, o);
  const auto res = s.apply(p);
  INFO(res.error);
  CHECK(res.ok);
  CHECK(replans == 1);
  bool waited = false;
  for (const auto& l : progress) waited = waited || l.find("answered after") != std::string::npos;
  CHECK(waited);
}

namespace {

// A journal of one apply that created two files in guest g1 (rollback removes them again).
void journal_two_created_files(const std::filesystem::path& state) {
  HostSources src;
  src.uri = "qemu:///system";
  JournalWriter jw(state, "kvm1", "a1", "d", src);
  int seq = 0;
  for (const char* f : {"etc/sysconfig/network-scripts/ifcfg-ens9",
                        "etc/sysconfig/network-scripts/route-ens9"}) {
    const plan::Step st = test::write_step("s0" + std::to_string(seq + 1), "kvm1", "g1", f,
                                           "X=1\n", std::nullopt);
    JournalStep js;
    js.seq = ++seq;
    js.id = st.id;
    js.host = st.host;
    js.target = st.target;
    js.op = st.op;
    js.op.content.clear();
    js.content_sha256 = sha256_hex(st.op.content);
    jw.step_started(js);
    jw.step_done(seq);
  }
  jw.status("applied");
}

}  // namespace

TEST_CASE("rollback: waits for a booting agent-sourced guest's agent before restoring its files "
          "(once per guest)" * doctest::test_suite("apply")) {
  test::TempDir state;
  journal_two_created_files(state.path());
  Timeouts t;
  SUBCASE("answers after 3 pings: both files restored") {
    Rig r;
    r.hv.boot_pings_left = 3;
    const auto rep = rollback_host(state.path(), "kvm1", r.b, t, r.log);
    INFO(r.lines());
    for (const auto& e : rep.errors) INFO(e);
    CHECK(rep.ok());
    CHECK(rep.undone.size() == 2);
    // rm -f of each created file, then one listing of their directory: the rollback removes
    // the temp files (.*.mvt-*) a crash may have left there (lib/apply/temp_files.hpp).
    CHECK(r.hv.execs.size() == 3);
    CHECK(r.lines().find("before rollback restores its files") != std::string::npos);
    CHECK(r.lines().find("answered after") != std::string::npos);
  }
  SUBCASE("never answers: each file step fails with the wait's error, after one wait") {
    Rig r;
    r.hv.boot_pings_left = -1;
    t.agent_boot = 600ms;
    const auto t0 = std::chrono::steady_clock::now();
    const auto rep = rollback_host(state.path(), "kvm1", r.b, t, r.log);
    const auto took = std::chrono::steady_clock::now() - t0;
    REQUIRE(rep.errors.size() == 2);
    for (const auto& e : rep.errors)
      CHECK(e.find("guest g1 on host kvm1: its guest agent did not answer within 0.6 s") !=
            std::string::npos);
    CHECK(took < 1500ms);  // one wait, not one per step
    CHECK(r.hv.execs.empty());
  }
}
