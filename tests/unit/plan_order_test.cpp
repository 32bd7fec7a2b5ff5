// The planner: order from the one table, dependencies, hot-plug vs cold restart,
// activation, determinism.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "netconf/ifcfg/ifcfg_format.hpp"
#include "netconf/ifcfg/interface_facts.hpp"
#include "diff_fixtures.hpp"
#include "plan/plan_json.hpp"
#include "plan/planner.hpp"

using namespace mvt;
using namespace mvt::test;
using plan::Action;
using plan::OpKind;

namespace {

plan::Plan plan_for(const Topology& t, const Observation& o, bool hotplug = true) {
  diff::DiffOptions opts;
  opts.hotplug["kvm1"] = hotplug;
  const auto cs = diff::compute(t, o, opts);
  REQUIRE_FALSE(cs.diagnostics.has_errors());
  return plan::make_plan(cs, "digest");
}

int index_of(const plan::Plan& p, const std::string& target, OpKind k) {
  for (std::size_t i = 0; i < p.steps.size(); ++i)
    if (p.steps[i].target == target && p.steps[i].op.kind == k) return static_cast<int>(i);
  return -1;
}

// Plan invariants: ids s01.. in order; every dependency names an earlier step.
void check_invariants(const plan::Plan& p) {
  std::map<std::string, std::size_t> pos;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "s%02zu", i + 1);
    CHECK(p.steps[i].id == id);
    for (const auto& d : p.steps[i].depends_on) {
      REQUIRE(pos.count(d));
      CHECK(pos[d] < i);
    }
    pos[p.steps[i].id] = i;
  }
}

bool depends(const plan::Plan& p, int later, int earlier) {
  const auto& d = p.steps[later].depends_on;
  return std::find(d.begin(), d.end(), p.steps[earlier].id) != d.end();
}

}  // namespace

TEST_CASE("plan: the procedure on a hot-plugging host" * doctest::test_suite("plan")) {
  const auto p = plan_for(seed_topology(), seed_before(), true);
  check_invariants(p);
  const int em2 = index_of(p, "host/kvm1/nic/em2", OpKind::WriteFile);
  const int f9 = index_of(p, "guest/web1/file/ifcfg-ens9", OpKind::WriteFile);
  const int f8 = index_of(p, "guest/web1/file/ifcfg-ens8", OpKind::WriteFile);
  const int eth0 = index_of(p, "guest/web1/file/ifcfg-eth0", OpKind::WriteFile);
  const int d9 = index_of(p, "guest/web1/interface/ens9", OpKind::DefineInterface);
  const int a9 = index_of(p, "guest/web1/interface/ens9", OpKind::LiveAttach);
  const int a8 = index_of(p, "guest/web1/interface/ens8", OpKind::LiveAttach);
  const int act = index_of(p, "guest/web1/activation", OpKind::Activate);
  const int ver = index_of(p, "host/kvm1/verify", OpKind::Verify);
  for (int i : {em2, f9, f8, eth0, d9, a9, a8, act, ver}) REQUIRE(i >= 0);
  CHECK(em2 == 0);
  CHECK(f9 < d9);
  CHECK(f9 < a9);
  CHECK(d9 < a9);
  CHECK(a9 < act);
  CHECK(act < ver);
  CHECK(ver == static_cast<int>(p.steps.size()) - 1);
  CHECK(depends(p, a9, f9));
  CHECK(depends(p, a9, d9));
  CHECK(depends(p, a9, em2));
  CHECK_FALSE(depends(p, a9, f8));  // another interface's file
  CHECK(depends(p, act, eth0));
  CHECK(depends(p, ver, act));
  const auto& a = p.steps[act];
  CHECK(a.op.method == plan::ActivationMethod::Reboot);  // the spec's `activate: reboot`
  CHECK(a.disruptive);
  CHECK(p.steps[f9].action == Action::Create);
  CHECK(p.steps[f9].op.content.find("HWADDR=52:54:00:5d:9c:33") != std::string::npos);
  CHECK_FALSE(p.steps[f9].op.before_sha256);
  CHECK(p.steps[eth0].op.before_sha256);
  CHECK(p.steps[d9].op.mac == "52:54:00:5d:9c:33");
  CHECK(p.steps[d9].op.old_interface_xml.empty());
  CHECK(p.steps[d9].op.interface_xml.find("rtl8139") != std::string::npos);
  CHECK(p.fingerprint.count("kvm1/domain/web1/inactive"));
  CHECK(p.spec_digest == "digest");
  CHECK(p.has_changes());
}

TEST_CASE("plan: no hot-plug -> cold restart, no live steps" * doctest::test_suite("plan")) {
  const auto p = plan_for(seed_topology(), seed_before(), false);
  check_invariants(p);
  CHECK(index_of(p, "guest/web1/interface/ens9", OpKind::LiveAttach) < 0);
  const int act = index_of(p, "guest/web1/activation", OpKind::Activate);
  REQUIRE(act >= 0);
  CHECK(p.steps[act].op.method == plan::ActivationMethod::ColdRestart);
}

TEST_CASE("plan: a shut-off guest gets config steps only" * doctest::test_suite("plan")) {
  const auto p = plan_for(seed_topology(), seed_before(false), true);
  check_invariants(p);
  CHECK(index_of(p, "guest/web1/interface/ens9", OpKind::DefineInterface) >= 0);
  CHECK(index_of(p, "guest/web1/interface/ens9", OpKind::LiveAttach) < 0);
  CHECK(index_of(p, "guest/web1/activation", OpKind::Activate) < 0);
  CHECK(index_of(p, "host/kvm1/verify", OpKind::Verify) >= 0);
}

TEST_CASE("plan: activate none -> no activation, a warning" * doctest::test_suite("plan")) {
  auto t = seed_topology();
  t.hosts["kvm1"].guests["web1"].activate = Activate::None;
  const auto p = plan_for(t, seed_before(), true);
  CHECK(index_of(p, "guest/web1/activation", OpKind::Activate) < 0);
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].find("activate: none") != std::string::npos);
}

TEST_CASE("plan: restart-network" * doctest::test_suite("plan")) {
  auto t = seed_topology();
  t.hosts["kvm1"].guests["web1"].activate = Activate::RestartNetwork;
  const auto p = plan_for(t, seed_before(), true);
  const int act = index_of(p, "guest/web1/activation", OpKind::Activate);
  REQUIRE(act >= 0);
  CHECK(p.steps[act].op.method == plan::ActivationMethod::RestartNetwork);
}

TEST_CASE("plan: a live replace detaches before attaching" * doctest::test_suite("plan")) {
  auto t = seed_topology();
  auto o = seed_before();
  auto& d = o.hosts["kvm1"].domains["web1"];
  add_interface(d, observed_direct("52:54:00:5d:9c:33", "em2", "vepa", "rtl8139", 1));
  const auto p = plan_for(t, o, true);
  check_invariants(p);
  const int def = index_of(p, "guest/web1/interface/ens9", OpKind::DefineInterface);
  const int det = index_of(p, "guest/web1/interface/ens9", OpKind::LiveDetach);
  const int att = index_of(p, "guest/web1/interface/ens9", OpKind::LiveAttach);
  REQUIRE(def >= 0);
  REQUIRE(det >= 0);
  REQUIRE(att >= 0);
  CHECK(def < det);
  CHECK(det < att);
  CHECK(depends(p, att, det));
  CHECK(p.steps[def].action == Action::Replace);
  CHECK(p.steps[det].disruptive);
  CHECK_FALSE(p.steps[det].op.old_interface_xml.empty());
  CHECK_FALSE(p.steps[def].op.old_interface_xml.empty());
  // ifcfg-ens9 is for an existing device: not written ahead of the hot-plug.
  const int f9 = index_of(p, "guest/web1/file/ifcfg-ens9", OpKind::WriteFile);
  REQUIRE(f9 >= 0);
}

TEST_CASE("plan: a removed interface's file goes after its detach" * doctest::test_suite("plan")) {
  auto t = seed_topology();
  auto o = seed_before();
  auto& d = o.hosts["kvm1"].domains["web1"];
  add_interface(d, observed_direct("52:54:00:aa:bb:cc", "em2", "bridge", std::nullopt, 3));
  o.hosts["kvm1"].guests["web1"].files["ifcfg-ens10"] =
      file("ifcfg-ens10", std::string(ifcfg::kManagedHeader) + "\nDEVICE=ens10\nHWADDR=52:54:00:aa:bb:cc\n");
  const auto p = plan_for(t, o, true);
  check_invariants(p);
  const int det = index_of(p, "guest/web1/interface/52:54:00:aa:bb:cc", OpKind::LiveDetach);
  const int def = index_of(p, "guest/web1/interface/52:54:00:aa:bb:cc", OpKind::DefineInterface);
  const int rm = index_of(p, "guest/web1/file/ifcfg-ens10", OpKind::RemoveFile);
  REQUIRE(det >= 0);
  REQUIRE(def >= 0);
  REQUIRE(rm >= 0);
  CHECK(p.steps[def].action == Action::Delete);
  CHECK(p.steps[def].op.interface_xml.empty());
  CHECK(det < rm);
  CHECK(depends(p, rm, det));
  CHECK(depends(p, rm, def));
}

TEST_CASE("plan: no changes -> no steps" * doctest::test_suite("plan")) {
  diff::ChangeSet cs;
  const auto p = plan::make_plan(cs, "d");
  CHECK(p.steps.empty());
  CHECK_FALSE(p.has_changes());
}

TEST_CASE("plan: deterministic whatever the input order" * doctest::test_suite("plan")) {
  diff::DiffOptions opts;
  auto cs = diff::compute(seed_topology(), seed_before(), opts);
  const auto a = plan::plan_to_json(plan::make_plan(cs, "d")).dump();
  std::reverse(cs.files.begin(), cs.files.end());
  std::reverse(cs.interfaces.begin(), cs.interfaces.end());
  const auto b = plan::plan_to_json(plan::make_plan(cs, "d")).dump();
  CHECK(a == b);
  const auto c = plan::plan_to_json(
                     plan::make_plan(diff::compute(seed_topology(), seed_before(), opts), "d"))
                     .dump();
  CHECK(a == c);
}

TEST_CASE("plan: the order table is consistent" * doctest::test_suite("plan")) {
  int last = 0;
  for (const auto& row : plan::kOrder) {
    CHECK(row.rank > last);
    last = row.rank;
    CHECK_FALSE(row.why.empty());
    for (int i = 0; i < row.ndeps; ++i)
      CHECK_MESSAGE(plan::order_row(row.deps[i].kind).rank < row.rank, row.name);
  }
}

TEST_CASE("plan: several hosts, each verified" * doctest::test_suite("plan")) {
  auto t = seed_topology();
  auto o = seed_before();
  auto h2 = t.hosts["kvm1"];
  h2.name = "kvm2";
  t.hosts["kvm2"] = h2;
  auto ho2 = o.hosts["kvm1"];
  ho2.host = "kvm2";
  o.hosts["kvm2"] = ho2;
  const auto cs = diff::compute(t, o);
  REQUIRE_FALSE(cs.diagnostics.has_errors());
  const auto p = plan::make_plan(cs, "d");
  check_invariants(p);
  const int v1 = index_of(p, "host/kvm1/verify", OpKind::Verify);
  const int v2 = index_of(p, "host/kvm2/verify", OpKind::Verify);
  REQUIRE(v1 >= 0);
  REQUIRE(v2 >= 0);
  CHECK(v1 < v2);
  for (const auto& d : p.steps[v2].depends_on)
    for (const auto& s : p.steps)
      if (s.id == d) CHECK(s.host == "kvm2");
}

// A model change on a running guest (issue 9): the persistent definition is replaced and the
// guest cold-restarted, never a live detach + attach, even on a host that hot-plugs.
namespace {
// The procedure with every interface in place (files aside), ens9 live as `model`.
Observation seed_with_ens9_model(const char* model, bool running = true) {
  auto o = seed_before(running);
  auto& d = o.hosts["kvm1"].domains["web1"];
  add_interface(d, observed_direct("52:54:00:5d:9c:33", "em2", "private", std::string(model), 1));
  return o;
}
bool has_live_steps(const plan::Plan& p) {
  for (const auto& s : p.steps)
    if (s.op.kind == OpKind::LiveAttach || s.op.kind == OpKind::LiveDetach) return true;
  return false;
}
}  // namespace

TEST_CASE("plan: a model change on a running guest -> persistent replace and a cold restart" *
          doctest::test_suite("plan")) {
  // The spec wants ens9 as rtl8139; it runs as virtio. ens8 is new.
  const auto p = plan_for(seed_topology(), seed_with_ens9_model("virtio"), true);
  check_invariants(p);
  const int def = index_of(p, "guest/web1/interface/ens9", OpKind::DefineInterface);
  const int def8 = index_of(p, "guest/web1/interface/ens8", OpKind::DefineInterface);
  const int act = index_of(p, "guest/web1/activation", OpKind::Activate);
  REQUIRE(def >= 0);
  REQUIRE(def8 >= 0);
  REQUIRE(act >= 0);
  CHECK(p.steps[def].action == Action::Replace);
  CHECK(p.steps[def].op.interface_xml.find("rtl8139") != std::string::npos);
  CHECK(p.steps[def].op.old_interface_xml.find("virtio") != std::string::npos);
  CHECK(p.steps[def].reason.find("cold restart") != std::string::npos);
  // No hot-plug at all into a guest that is restarted anyway (ens8 is new: it arrives with
  // the restart, not by hot-plug).
  CHECK_FALSE(has_live_steps(p));
  const auto& a = p.steps[act];
  CHECK(a.op.method == plan::ActivationMethod::ColdRestart);  // raised from `activate: reboot`
  CHECK(a.disruptive);
  CHECK(a.reason.find("NIC model changes on ens9 (virtio -> rtl8139)") != std::string::npos);
  CHECK(a.reason.find(plan::kModelChangeReason) != std::string::npos);
  CHECK(depends(p, act, def));
  CHECK(depends(p, act, def8));
  // The live differences the restart carries are listed, for people.
  bool lists_ens9 = false;
  for (const auto& c : a.changes)
    if (c.field == "live interface ens9" && c.before && c.after &&
        c.before->find("model=virtio") != std::string::npos &&
        c.after->find("model=rtl8139") != std::string::npos)
      lists_ens9 = true;
  CHECK(lists_ens9);
}

TEST_CASE("plan: a mode change alone is still a live replace, a new device with a model is "
          "hot-plugged" * doctest::test_suite("plan")) {
  // Same model (rtl8139) live, mode vepa -> private: detach + attach, the spec's activation.
  auto o = seed_before();
  add_interface(o.hosts["kvm1"].domains["web1"],
                observed_direct("52:54:00:5d:9c:33", "em2", "vepa", std::string("rtl8139"), 1));
  const auto p = plan_for(seed_topology(), o, true);
  CHECK(index_of(p, "guest/web1/interface/ens9", OpKind::LiveDetach) >= 0);
  CHECK(index_of(p, "guest/web1/interface/ens9", OpKind::LiveAttach) >= 0);
  const int act = index_of(p, "guest/web1/activation", OpKind::Activate);
  REQUIRE(act >= 0);
  CHECK(p.steps[act].op.method == plan::ActivationMethod::Reboot);
  // The procedure itself: ens9 (rtl8139) is new in the running guest -> hot-plugged.
  const auto q = plan_for(seed_topology(), seed_before(), true);
  CHECK(index_of(q, "guest/web1/interface/ens9", OpKind::LiveAttach) >= 0);
  const int qa = index_of(q, "guest/web1/activation", OpKind::Activate);
  REQUIRE(qa >= 0);
  CHECK(q.steps[qa].op.method == plan::ActivationMethod::Reboot);
}

TEST_CASE("plan: a model change on a shut-off guest is a config step only" *
          doctest::test_suite("plan")) {
  const auto p = plan_for(seed_topology(), seed_with_ens9_model("virtio", false), true);
  check_invariants(p);
  const int def = index_of(p, "guest/web1/interface/ens9", OpKind::DefineInterface);
  REQUIRE(def >= 0);
  CHECK(p.steps[def].reason.find("cold restart") == std::string::npos);
  CHECK(index_of(p, "guest/web1/activation", OpKind::Activate) < 0);
  CHECK_FALSE(has_live_steps(p));
}

TEST_CASE("plan: a model change with `activate: none` -> no activation, a cold-restart warning" *
          doctest::test_suite("plan")) {
  auto t = seed_topology();
  t.hosts["kvm1"].guests["web1"].activate = Activate::None;
  const auto p = plan_for(t, seed_with_ens9_model("virtio"), true);
  CHECK(index_of(p, "guest/web1/activation", OpKind::Activate) < 0);
  CHECK_FALSE(has_live_steps(p));
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].find("cold restart") != std::string::npos);
}

TEST_CASE("plan: a model change on a host that cannot hot-plug keeps the host's reason" *
          doctest::test_suite("plan")) {
  const auto p = plan_for(seed_topology(), seed_with_ens9_model("virtio"), false);
  const int act = index_of(p, "guest/web1/activation", OpKind::Activate);
  REQUIRE(act >= 0);
  CHECK(p.steps[act].op.method == plan::ActivationMethod::ColdRestart);
  // The broader cause is named: nothing hot-plugs there, model change or not.
  CHECK(p.steps[act].reason.find("cannot attach/detach live") != std::string::npos);
  CHECK(p.steps[act].reason.find("NIC model changes") == std::string::npos);
}

TEST_CASE("plan: a live device without a model (the hypervisor's default) given one -> cold restart" *
          doctest::test_suite("plan")) {
  auto o = seed_before();
  add_interface(o.hosts["kvm1"].domains["web1"],
                observed_direct("52:54:00:5d:9c:33", "em2", "private", std::nullopt, 1));
  const auto p = plan_for(seed_topology(), o, true);
  check_invariants(p);
  CHECK_FALSE(has_live_steps(p));
  const int act = index_of(p, "guest/web1/activation", OpKind::Activate);
  REQUIRE(act >= 0);
  CHECK(p.steps[act].op.method == plan::ActivationMethod::ColdRestart);
  CHECK(p.steps[act].reason.find("ens9 (the hypervisor's default -> rtl8139)") !=
        std::string::npos);
}
