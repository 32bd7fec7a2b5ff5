// Issue 13 point 7 (disruption in batches, `--batch N`) on libvirt's test:/// driver: one
// host kvm1 with five running guests web1..web5 on the shared NIC em2 (the lab's BEFORE state
// per guest: only eth0). The spec gives each a macvtap ens9 on em2 and `activate: reboot`:
// five guests restarted (a cold restart: the test driver cannot hot-plug), so `--batch 2` cuts them into 3 batches (web1+web2, web3+web4, web5).
//
// A fake where the real driver cannot do it (FailingRestart): the test driver cannot be made
// to refuse one request of one guest; the wrapper throws on the FIRST shutdown of a named
// guest (as a daemon refusing the request would: the guest keeps running), and records the
// starts (the test driver cannot hot-plug: each guest's activation is a cold restart, a
// shutdown then a start); every call is the real driver's.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include "netconf/ifcfg/ifcfg_format.hpp"
#include "apply/executor.hpp"
#include "apply/journal.hpp"
#include "apply/live_session.hpp"
#include "apply_test_support.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "plan/batches.hpp"
#include "plan/plan_file.hpp"
#include "plan/plan_json.hpp"
#include "plan/plan_match.hpp"
#include "spec/loader.hpp"
#include "test_support.hpp"
#include "util/errors.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using mvt::test::read_file;
using mvt::test::run_tool_env;
using mvt::test::snapshot_tree;
using mvt::test::TempDir;
using mvt::test::Tree;
using mvt::test::write_file;

namespace {

using mvt::test::replace_all;

constexpr int kGuests = 5;

// kvm1 (base/node.xml, base/host/) with guests webN (base/guest-webN/), N = 1..5.
struct Shared {
  TempDir t;
  fs::path base, state;
  Shared() {
    base = t.path() / "kvm1";
    state = t.path() / "state";
    const fs::path lab = test::source_dir() / "specs" / "lab";
    fs::create_directories(base);
    fs::copy(lab / "host", base / "host", fs::copy_options::recursive);
    std::string node = read_file(lab / "node.xml");
    const auto b = node.find("  <domain"), e = node.find("</domain>") + std::string("</domain>\n").size();
    const std::string dom = node.substr(b, e - b);
    std::string doms;
    for (int n = 1; n <= kGuests; ++n) {
      const std::string d = std::to_string(n);
      fs::copy(lab / "guest-web1", base / ("guest-web" + d), fs::copy_options::recursive);
      std::string x = replace_all(dom, "<name>web1</name>", "<name>web" + d + "</name>");
      x = replace_all(x, "5b1f3a2c-8d4e-4f6a-9b7c-0d1e2f3a4b5c", "5b1f3a2c-8d4e-4f6a-9b7c-0d1e2f3a4b5" + d);
      x = replace_all(x, "52:54:00:b4:87:0f", "52:54:00:b4:87:0" + d);
      doms += x;
    }
    node.replace(b, e - b, doms);
    write_file(base / "node.xml", node);
    std::string y =
        "version: 1\nhosts:\n  kvm1:\n    uri: test:kvm1/node.xml\n    files: dir:kvm1/host\n"
        "    nics:\n      em1: {config: host, mac: \"18:66:da:9f:96:d6\"}\n"
        "      em2: {config: unconfigured, mac: \"18:66:da:9f:96:d7\"}\n    guests:\n";
    for (int n = 1; n <= kGuests; ++n) {
      const std::string d = std::to_string(n);
      y += "      web" + d + ":\n        guest_files: dir:kvm1/guest-web" + d +
           "\n        activate: reboot\n        interfaces:\n"
           "          - name: eth0\n            network: default\n            ipv4: dhcp\n"
           "            defroute: false\n            peerdns: false\n"
           "          - name: ens9\n            direct: {dev: em2, mode: private}\n"
           "            mac: \"52:54:00:5d:9c:3" + d + "\"\n            ipv4: {address: 192.0.2.1" + d +
           "/24, gateway: 192.0.2.1}\n            defroute: true\n            peerdns: false\n";
    }
    write_file(t.path() / "fleet.yaml", y);
  }
  fs::path spec() const { return t.path() / "fleet.yaml"; }
  Topology topology() const {
    auto r = spec::load({spec().string()});
    for (const auto& d : r.diagnostics.items()) INFO(d.message);
    REQUIRE_FALSE(r.diagnostics.has_errors());
    return r.topology;
  }
  std::vector<std::string> args(std::vector<std::string> a) const {
    std::vector<std::string> out{"--state-dir", state.string(), "--color", "never"};
    out.insert(out.end(), a.begin(), a.end());
    out.push_back("-f");
    out.push_back(spec().string());
    return out;
  }
  Tree guest_files(int n) const { return snapshot_tree(base / ("guest-web" + std::to_string(n))); }
  Tree host_files() const { return snapshot_tree(base / "host"); }
  bool has_ens9(int n) const {
    return fs::exists(base / ("guest-web" + std::to_string(n)) / ifcfg::kDir / "ifcfg-ens9");
  }
};

// FAKE (see the top): the first shutdown of `guest` throws; everything else is the real driver.
class FailingRestart : public Hypervisor {
 public:
  FailingRestart(std::unique_ptr<Hypervisor> real, std::string guest)
      : real_(std::move(real)), guest_(std::move(guest)) {}
  std::string uri() const override { return real_->uri(); }
  std::vector<DomainSummary> list_domains() override { return real_->list_domains(); }
  std::optional<std::string> domain_xml(const std::string& n, bool inactive) override {
    return real_->domain_xml(n, inactive);
  }
  void define_xml(const std::string& xml) override { real_->define_xml(xml); }
  void attach_device(const std::string& d, const std::string& x, bool l, bool c) override {
    real_->attach_device(d, x, l, c);
  }
  void detach_device(const std::string& d, const std::string& x, bool l, bool c) override {
    real_->detach_device(d, x, l, c);
  }
  void update_device(const std::string& d, const std::string& x, bool l, bool c) override {
    real_->update_device(d, x, l, c);
  }
  void start(const std::string& d) override {
    restarts.push_back(d);
    real_->start(d);
  }
  void shutdown(const std::string& d) override {
    if (d == guest_ && !failed_) {
      failed_ = true;
      throw LibvirtError("injected: the daemon refused to shut down " + d, 1);
    }
    real_->shutdown(d);
  }
  void destroy(const std::string& d) override { real_->destroy(d); }
  void reboot(const std::string& d) override { real_->reboot(d); }
  std::string agent_command(const std::string& d, const std::string& j, std::chrono::seconds t) override {
    return real_->agent_command(d, j, t);
  }
  std::optional<std::vector<HostNicState>> host_interfaces() override { return real_->host_interfaces(); }
  bool supports_hotplug() const override { return real_->supports_hotplug(); }
  static inline std::vector<std::string> restarts;  // every start (of a cold restart), in order

 private:
  std::unique_ptr<Hypervisor> real_;
  std::string guest_;
  bool failed_ = false;
};

apply::LiveSession session(const Shared& s, const std::string& failing_guest = {}) {
  apply::LiveSessionOptions lo;
  lo.hypervisor = [failing_guest](const std::string& uri) -> std::unique_ptr<Hypervisor> {
    auto real = LibvirtHypervisor::connect(uri, false);
    return std::make_unique<FailingRestart>(std::move(real), failing_guest);
  };
  return apply::LiveSession(s.topology(), "digest", std::move(lo));
}

apply::ApplyOptions options(const Shared& s, apply::LiveSession& live, std::vector<std::string>& progress) {
  apply::ApplyOptions o;
  o.state_dir = s.state;
  o.verify_attempts = 1;
  o.verify_interval = std::chrono::milliseconds(0);
  o.replan_host = [&live](const std::string& h) { return live.replan(h); };
  o.progress = [&progress](const std::string& l) { progress.push_back(l); };
  return o;
}

std::size_t index_of(const std::vector<std::string>& v, const std::string& prefix) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i].rfind(prefix, 0) == 0) return i;
  FAIL("no line starting with " << prefix);
  return v.size();
}

// Validates JSON text against schemas/plan.schema.json with python3-jsonschema.
void check_schema(const std::string& json_text) {
  TempDir d;
  write_file(d.path() / "doc.json", json_text);
  const auto r = test::run_argv_env(
      {"python3", "-c",
       "import json,sys,jsonschema\n"
       "s=json.load(open(sys.argv[1]));d=json.load(open(sys.argv[2]))\n"
       "jsonschema.Draft202012Validator(s).validate(d)\n",
       (test::source_dir() / "schemas/plan.schema.json").string(), (d.path() / "doc.json").string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
}

}  // namespace

TEST_CASE("batches: five restarted guests with --batch 2 make 3 batches, dependency order "
          "stays valid, --batch 0 changes nothing" * doctest::test_suite("apply")) {
  Shared s;
  auto live = session(s);
  const plan::Plan flat = live.plan_of(live.changes());
  plan::Plan p = flat;
  plan::apply_batches(p, 0);
  CHECK(plan::plan_to_json(p) == plan::plan_to_json(flat));  // 0: byte for byte the same

  plan::apply_batches(p, 2);
  CHECK(p.batch_size == 2);
  CHECK(p.steps.size() == flat.steps.size());
  const auto bs = plan::batches_of(p);
  REQUIRE(bs.size() == 3);
  CHECK(plan::batch_title(bs[0]) == "batch 1 of 3: web1, web2");
  CHECK(plan::batch_title(bs[1]) == "batch 2 of 3: web3, web4");
  CHECK(plan::batch_title(bs[2]) == "batch 3 of 3: web5");
  // Ids in order, every dependency earlier; batches never go back; the host NIC file first
  // (batch 1), the Verify step last (batch 0).
  std::set<std::string> seen;
  int last_batch = 1;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const auto& st = p.steps[i];
    CAPTURE(st.id);
    CHECK(st.id == (i + 1 < 10 ? "s0" : "s") + std::to_string(i + 1));
    for (const auto& d : st.depends_on) CHECK(seen.count(d) == 1);
    seen.insert(st.id);
    if (st.op.kind == plan::OpKind::Verify) {
      CHECK(st.batch == 0);
      CHECK(i + 1 == p.steps.size());
      continue;
    }
    CHECK(st.batch >= last_batch);
    last_batch = st.batch;
    const std::string g = st.op.guest;
    if (g.empty()) CHECK(st.batch == 1);
    else CHECK(st.batch == (g == "web1" || g == "web2" ? 1 : g == "web5" ? 3 : 2));
  }
  CHECK(p.steps.front().target == "host/kvm1/nic/em2");
  // Each guest's activation still depends on its own file and on the host NIC file.
  for (const auto& st : p.steps)
    if (st.op.kind == plan::OpKind::Activate)
      CHECK(std::find(st.depends_on.begin(), st.depends_on.end(), "s01") != st.depends_on.end());
  // A plan file round-trips the batches, and plan_match tells a batched file from another.
  Diagnostics d;
  auto back = plan::load_plan(plan::save_plan(p), "p.json", d);
  REQUIRE(back);
  CHECK(back->batch_size == 2);
  CHECK_FALSE(plan::first_step_difference(*back, p));
  plan::Plan three = flat;
  plan::apply_batches(three, 3);
  CHECK(plan::first_step_difference(*back, three));
  auto diff = plan::first_step_difference(*back, flat);
  REQUIRE(diff);
  CHECK(*diff == "step 1 (write-file host kvm1 /etc/sysconfig/network-scripts/ifcfg-em2): batch "
                 "is not produced by the spec");
}

TEST_CASE("batches cli: plan --batch 2 shows the batches in text, JSON (schema-valid) and "
          "markdown, without --batch nothing of it" * doctest::test_suite("apply")) {
  Shared s;
  const auto t = run_tool_env(s.args({"plan", "--batch", "2"}));
  INFO(t.out, t.err);
  REQUIRE(t.exit_code == 0);
  const auto h1 = t.out.find(" -- batch 1 of 3: web1, web2 --\n  s01 ");
  const auto h2 = t.out.find(" -- batch 2 of 3: web3, web4 --\n");
  const auto h3 = t.out.find(" -- batch 3 of 3: web5 --\n");
  const auto h4 = t.out.find(" -- after the last batch --\n");
  REQUIRE(h1 != std::string::npos);
  REQUIRE(h2 != std::string::npos);
  REQUIRE(h3 != std::string::npos);
  REQUIRE(h4 != std::string::npos);
  CHECK(h1 < h2);
  CHECK(h2 < h3);
  CHECK(h3 < h4);
  // web3's steps sit between the headers of batch 2 and 3.
  const auto w3 = t.out.find("guest/web3/activation");
  CHECK((w3 > h2 && w3 < h3));

  const auto j = run_tool_env(s.args({"plan", "--batch", "2", "--format", "json"}));
  REQUIRE(j.exit_code == 0);
  check_schema(j.out);
  const auto doc = plan::Json::parse(j.out);
  CHECK(doc["batches"]["size"] == 2);
  REQUIRE(doc["batches"]["hosts"]["kvm1"].size() == 3);
  CHECK(doc["batches"]["hosts"]["kvm1"][1]["guests"] == plan::Json::array({"web3", "web4"}));
  CHECK(doc["batches"]["hosts"]["kvm1"][2]["of"] == 3);
  for (const auto& st : doc["steps"]) {
    if (st["operation"]["kind"] == "verify") CHECK_FALSE(st.contains("batch"));
    else CHECK(st["batch"].get<int>() >= 1);
  }

  const auto m = run_tool_env(s.args({"plan", "--batch", "2", "--format", "markdown"}));
  REQUIRE(m.exit_code == 0);
  CHECK(m.out.find("| Step | Batch | | Target |") != std::string::npos);
  CHECK(m.out.find("- kvm1: batch 2 of 3: web3, web4 (s") != std::string::npos);
  CHECK(m.out.find(" | 3 | `!` | `guest/web5/activation` |") != std::string::npos);

  // Without --batch (and with --batch 0): none of it.
  const auto plain = run_tool_env(s.args({"plan"}));
  const auto zero = run_tool_env(s.args({"plan", "--batch", "0"}));
  CHECK(plain.exit_code == 0);
  CHECK(plain.out == zero.out);
  CHECK(plain.out.find("batch") == std::string::npos);
  const auto pj = run_tool_env(s.args({"plan", "--format", "json"}));
  CHECK(pj.out.find("batch") == std::string::npos);
  const auto pm = run_tool_env(s.args({"plan", "--format", "markdown"}));
  CHECK(pm.out.find("Batch") == std::string::npos);
  // A negative size is bad input.
  const auto neg = run_tool_env(s.args({"plan", "--batch", "-1"}));
  CHECK(neg.exit_code != 0);
  CHECK(neg.out.empty());
}

TEST_CASE("batches: apply --batch 2 runs and verifies each batch before the next, and the "
          "host ends converged" * doctest::test_suite("apply")) {
  Shared s;
  auto live = session(s);
  plan::Plan p = live.plan_of(live.changes());
  plan::apply_batches(p, 2);
  std::vector<std::string> progress;
  auto o = options(s, live, progress);
  std::vector<std::string> restarts_at_verify;  // the restarts done when each re-plan ran
  int replans = 0;
  o.replan_host = [&](const std::string& h) {
    ++replans;
    restarts_at_verify.push_back(std::to_string(FailingRestart::restarts.size()));
    return live.replan(h);
  };
  FailingRestart::restarts.clear();
  apply::ApplySession sess(live.backends(), o);
  const auto r = sess.apply_hosts(p);
  sess.commit();
  REQUIRE(r.hosts.size() == 1);
  const auto& hr = r.hosts[0];
  INFO(hr.result.error);
  CHECK(hr.outcome == apply::HostOutcome::Applied);
  // No guest checks in this session: not "each verified" (issue 16).
  CHECK(apply::outcome_line(hr) ==
        "kvm1: applied 22 steps in 3 batches, re-plan clean; guest checks: not run (not verified "
        "live)");
  CHECK(hr.result.batch_lines ==
        std::vector<std::string>{"batch 1 of 3 (web1, web2): applied and verified",
                                 "batch 2 of 3 (web3, web4): applied and verified",
                                 "batch 3 of 3 (web5): applied and verified"});
  // One re-plan per batch, each after exactly that batch's restarts.
  CHECK(replans == 3);
  CHECK(restarts_at_verify == std::vector<std::string>{"2", "4", "5"});
  CHECK(FailingRestart::restarts ==
        std::vector<std::string>{"web1", "web2", "web3", "web4", "web5"});
  // Progress: batch 2 starts only after batch 1 was verified.
  const auto v1 = index_of(progress, "batch 1 of 3 (web1, web2): verifying");
  const auto s2 = index_of(progress, "batch 2 of 3 (web3, web4): starting");
  const auto v2 = index_of(progress, "batch 2 of 3 (web3, web4): verifying");
  const auto s3 = index_of(progress, "batch 3 of 3 (web5): starting");
  CHECK(v1 < s2);
  CHECK(s2 < v2);
  CHECK(v2 < s3);
  for (int n = 1; n <= kGuests; ++n) CHECK(s.has_ens9(n));
  CHECK_FALSE(live.replan().has_changes());
  auto jn = apply::read_host_journal(s.state, "kvm1");
  REQUIRE(jn);
  CHECK(jn->status == "applied");
  CHECK(jn->steps.size() == 22);
}

TEST_CASE("batches: a failure in batch 2 stops the rollout: batch 1 stays applied, batch 2 is "
          "rolled back, batch 3 is not started" * doctest::test_suite("apply")) {
  Shared s;
  const Tree host_before = s.host_files();
  std::map<int, Tree> before;
  for (int n = 1; n <= kGuests; ++n) before[n] = s.guest_files(n);
  auto live = session(s, "web3");
  plan::Plan p = live.plan_of(live.changes());
  plan::apply_batches(p, 2);
  std::vector<std::string> progress;
  auto o = options(s, live, progress);
  FailingRestart::restarts.clear();
  apply::ApplySession sess(live.backends(), o);
  const auto r = sess.apply_hosts(p);
  sess.commit();
  REQUIRE(r.hosts.size() == 1);
  const auto& hr = r.hosts[0];
  CHECK(hr.outcome == apply::HostOutcome::Failed);
  CHECK_FALSE(r.ok());
  CHECK(hr.result.stopped_at_batch == 2);
  CHECK(hr.result.batches == 3);
  REQUIRE(hr.result.rollback);
  CHECK(hr.result.rollback->ok());
  const std::string line = apply::outcome_line(hr);
  CHECK(line.find("kvm1: FAILED at step ") == 0);
  CHECK(line.find("guest/web3/activation: ") != std::string::npos);
  CHECK(line.find("injected: the daemon refused to shut down web3") != std::string::npos);
  CHECK(line.find("; stopped at batch 2 of 3: batch 1 applied and verified, batch 2 rolled back (") !=
        std::string::npos);
  CHECK(line.find("batch 2 rolled back (7 steps undone), batch 3 not started") != std::string::npos);
  CHECK(line.find("FAILED at step s16 guest/web3/activation: ") != std::string::npos);
  CHECK(hr.result.batch_lines ==
        std::vector<std::string>{"batch 1 of 3 (web1, web2): applied and verified",
                                 "batch 2 of 3 (web3, web4): FAILED, rolled back",
                                 "batch 3 of 3 (web5): not started"});
  // Batch 1 stays applied (the host NIC file with it); batch 2 is back to its bytes; web5
  // (batch 3) was never touched and never restarted.
  CHECK(s.host_files() != host_before);
  CHECK(s.has_ens9(1));
  CHECK(s.has_ens9(2));
  CHECK(s.guest_files(3) == before[3]);
  CHECK(s.guest_files(4) == before[4]);
  CHECK(s.guest_files(5) == before[5]);
  CHECK(std::count(FailingRestart::restarts.begin(), FailingRestart::restarts.end(), "web5") == 0);
  // The persistent definitions: batch 1 has ens9, batches 2 and 3 do not.
  auto xml = [&](const std::string& g) {
    return *live.backends().at("kvm1").hypervisor->domain_xml(g, true);
  };
  CHECK(xml("web1").find("52:54:00:5d:9c:31") != std::string::npos);
  CHECK(xml("web3").find("52:54:00:5d:9c:33") == std::string::npos);
  CHECK(xml("web4").find("52:54:00:5d:9c:34") == std::string::npos);
  CHECK(xml("web5").find("52:54:00:5d:9c:35") == std::string::npos);
  // What is left to do is exactly web3..web5.
  std::set<std::string> left;
  for (const auto& st : live.replan().steps)
    if (!st.op.guest.empty()) left.insert(st.op.guest);
  CHECK(left == std::set<std::string>{"web3", "web4", "web5"});
  // The journal: applied (batch 1 stands), batch 2's steps undone, batch 1's not; a later
  // rollback would undo batch 1.
  auto jn = apply::read_host_journal(s.state, "kvm1");
  REQUIRE(jn);
  CHECK(jn->status == "applied");
  for (const auto& st : jn->steps) {
    CAPTURE(st.target);
    const bool b2 = st.op.guest == "web3" || st.op.guest == "web4";
    CHECK(st.undone == b2);
    CHECK(st.op.guest != "web5");
  }
}

TEST_CASE("batches cli: apply --batch 2 prints the batches and the summary, a plan file "
          "carries its batch size and refuses another" * doctest::test_suite("apply")) {
  Shared s;
  const fs::path pf = s.t.path() / "p.plan";
  const auto saved = run_tool_env(s.args({"plan", "--batch", "2", "-o", pf.string()}));
  REQUIRE(saved.exit_code == 0);
  // A different --batch, or --batch with a plan file made without one: refused, nothing runs.
  const auto three = run_tool_env(s.args({"apply", "--yes", "--batch", "3", pf.string()}));
  CHECK(three.exit_code == 1);
  CHECK(three.err.find("it was made with --batch 2, not with --batch 3") != std::string::npos);
  CHECK_FALSE(s.has_ens9(1));
  CHECK_FALSE(apply::read_host_journal(s.state, "kvm1"));
  const fs::path flat = s.t.path() / "flat.plan";
  REQUIRE(run_tool_env(s.args({"plan", "-o", flat.string()})).exit_code == 0);
  const auto two = run_tool_env(s.args({"apply", "--yes", "--batch", "2", flat.string()}));
  CHECK(two.exit_code == 1);
  CHECK(two.err.find("it was made without --batch, not with --batch 2") != std::string::npos);
  CHECK_FALSE(s.has_ens9(1));
  CHECK_FALSE(apply::read_host_journal(s.state, "kvm1"));
  // Without --batch: the file's batches are used.
  const auto r = run_tool_env(s.args({"apply", "--yes", pf.string()}));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find(" -- batch 2 of 3: web3, web4 --\n") != std::string::npos);
  CHECK(r.out.find("\nBatches:\n  batch 1 of 3 (web1, web2): applied and verified\n"
                   "  batch 2 of 3 (web3, web4): applied and verified\n"
                   "  batch 3 of 3 (web5): applied and verified\n") != std::string::npos);
  // dir: guests: their checks are skipped, and the summary says so (issue 16).
  CHECK(r.out.find("\nSummary:\n  kvm1: applied 22 steps in 3 batches, re-plan clean; guest "
                   "checks: ") != std::string::npos);
  CHECK(r.out.find(" skipped (not verified live)\n") != std::string::npos);
  for (int n = 1; n <= kGuests; ++n) CHECK(s.has_ens9(n));
}
