// Saved-plan staleness and the verification's "desired X, live Y" lines (pure helpers).
#include <doctest/doctest.h>

#include "apply/executor.hpp"
#include "apply/live_session.hpp"

using namespace mvt;

TEST_CASE("stale_facts names every fact that moved, vanished or appeared" *
          doctest::test_suite("apply")) {
  plan::Plan saved;
  saved.fingerprint = {{"kvm1/domain/web1/inactive", "aa"},
                       {"kvm1/guest/web1/file/ifcfg-eth0", "bb"},
                       {"kvm1/host/file/ifcfg-em2", "cc"}};
  CHECK(apply::stale_facts(saved, saved.fingerprint).empty());
  auto fresh = saved.fingerprint;
  fresh["kvm1/guest/web1/file/ifcfg-eth0"] = "bX";
  fresh.erase("kvm1/host/file/ifcfg-em2");
  fresh["kvm1/domain/web1/live"] = "dd";
  auto moved = apply::stale_facts(saved, fresh);
  REQUIRE(moved.size() == 3);
  CHECK(moved[0] == "kvm1/guest/web1/file/ifcfg-eth0 changed");
  CHECK(moved[1] == "kvm1/host/file/ifcfg-em2 is no longer observed");
  CHECK(moved[2] == "kvm1/domain/web1/live appeared");
}

TEST_CASE("describe_remaining: desired/live per field, absent spelled out" *
          doctest::test_suite("apply")) {
  plan::Plan p;
  plan::Step a;
  a.target = "guest/web1/file/ifcfg-ens9";
  a.op.kind = plan::OpKind::WriteFile;
  a.changes = {{"IPADDR", std::string("104.50.201.83"), std::string("104.50.201.84")},
               {"DNS1", std::nullopt, std::string("8.8.8.8")}};
  plan::Step b;
  b.target = "guest/web1/activation";
  b.action = plan::Action::Activate;
  b.op.kind = plan::OpKind::Activate;
  b.reason = "files changed";
  plan::Step v;
  v.op.kind = plan::OpKind::Verify;
  p.steps = {a, b, v};
  auto lines = apply::describe_remaining(p);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] ==
        "guest/web1/file/ifcfg-ens9: IPADDR: desired 104.50.201.84, live 104.50.201.83");
  CHECK(lines[1] == "guest/web1/file/ifcfg-ens9: DNS1: desired 8.8.8.8, live (absent)");
  CHECK(lines[2] == "guest/web1/activation: activate still needed (files changed)");
}
