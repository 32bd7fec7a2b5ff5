// The executor over hand-made plans: dir: temp roots for files, libvirt's test:/// driver
// for domains (one connection for apply, checks and rollback: the test driver forgets
// defines when the connection closes).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "apply/confirm.hpp"
#include "apply/executor.hpp"
#include "apply/journal.hpp"
#include "apply_test_support.hpp"
#include "files/dir_source.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "test_support.hpp"
#include "util/errors.hpp"
#include "xml/domain_xml.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using mvt::test::read_file;
using mvt::test::TempDir;
using mvt::test::write_file;

namespace {
const std::string kNs = "etc/sysconfig/network-scripts";
const std::string kEth0 = "TYPE=Ethernet\nBOOTPROTO=dhcp\n# keep me\nDEFROUTE=yes\nDEVICE=eth0\n";
const std::string kRoute = "10.0.0.0/8 via 192.0.2.1\n";

struct Lab {
  TempDir tmp;
  fs::path root, state;
  std::unique_ptr<DirSource> guest;
  Lab() {
    root = tmp.path() / "web1";
    state = tmp.path() / "state";
    fs::create_directories(root / kNs);
    write_file(root / kNs / "ifcfg-eth0", kEth0);
    ::chmod((root / kNs / "ifcfg-eth0").c_str(), 0600);
    if (::geteuid() == 0) (void)::chown((root / kNs / "ifcfg-eth0").c_str(), 1234, 5678);
    write_file(root / kNs / "route-old", kRoute);
    guest = std::make_unique<DirSource>(root);
  }
  apply::Backends backends(Hypervisor* hv = nullptr) {
    apply::HostBackends hb;
    hb.hypervisor = hv;
    hb.guest_files["web1"] = guest.get();
    hb.sources.uri = hv ? hv->uri() : "test:///default";
    hb.sources.guest_files["web1"] = "dir:" + root.string();
    return {{"kvm1", hb}};
  }
  apply::ApplyOptions options(std::function<plan::Plan()> replan = [] { return plan::Plan{}; }) {
    apply::ApplyOptions o;
    o.state_dir = state;
    o.replan = std::move(replan);
    o.verify_attempts = 2;
    o.verify_interval = std::chrono::milliseconds(10);
    return o;
  }
  std::string eth0() const { return read_file(root / kNs / "ifcfg-eth0"); }
};

plan::Plan file_plan() {
  plan::Plan p;
  p.spec_digest = "digest";
  p.steps.push_back(test::write_step(
      "s01", "kvm1", "web1", kNs + "/ifcfg-eth0",
      "TYPE=Ethernet\nBOOTPROTO=dhcp\n# keep me\nDEFROUTE=no\nDEVICE=eth0\nPEERDNS=no\n", kEth0));
  p.steps.push_back(test::write_step("s02", "kvm1", "web1", kNs + "/ifcfg-ens9",
                                     "DEVICE=ens9\nIPADDR=104.50.201.84\n", std::nullopt));
  p.steps.push_back(test::remove_step("s03", "kvm1", "web1", kNs + "/route-old", kRoute));
  p.steps.push_back(
      test::activate_step("s04", "kvm1", "web1", plan::ActivationMethod::RestartNetwork));
  p.steps.push_back(test::verify_step("s05", "kvm1"));
  return p;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

void check_before_state(Lab& lab) {
  CHECK(lab.eth0() == kEth0);
  CHECK(mode_of(lab.root / kNs / "ifcfg-eth0") == 0600);
  if (::geteuid() == 0) {
    auto f = lab.guest->read(kNs + "/ifcfg-eth0");
    CHECK(f->uid == 1234);
    CHECK(f->gid == 5678);
  }
  CHECK_FALSE(fs::exists(lab.root / kNs / "ifcfg-ens9"));
  CHECK(read_file(lab.root / kNs / "route-old") == kRoute);
}
}  // namespace

TEST_CASE("apply: file steps run in order, are journaled, and rollback restores byte for byte" *
          doctest::test_suite("apply")) {
  Lab lab;
  plan::Plan p = file_plan();
  {
    apply::ApplySession s(lab.backends(), lab.options());
    auto r = s.apply(p);
    INFO(r.error);
    REQUIRE(r.ok);
    CHECK(r.steps_done == 5);
    CHECK(r.pending.size() == 1);  // restart-network cannot run on a dir: root
    CHECK(r.pending[0].find("restart-network pending") != std::string::npos);
    s.commit();
  }
  CHECK(lab.eth0().find("DEFROUTE=no\n") != std::string::npos);
  CHECK(lab.eth0().find("# keep me\n") != std::string::npos);
  CHECK(mode_of(lab.root / kNs / "ifcfg-eth0") == 0600);
  CHECK(read_file(lab.root / kNs / "ifcfg-ens9") == "DEVICE=ens9\nIPADDR=104.50.201.84\n");
  CHECK(mode_of(lab.root / kNs / "ifcfg-ens9") == 0644);
  CHECK_FALSE(fs::exists(lab.root / kNs / "route-old"));
  // State dir 0700, journal 0600, status applied, before-images inside.
  CHECK(mode_of(lab.state) == 0700);
  CHECK(mode_of(lab.state / "kvm1.journal") == 0600);
  auto jn = apply::read_host_journal(lab.state, "kvm1");
  REQUIRE(jn);
  CHECK(jn->status == "applied");
  REQUIRE(jn->steps.size() == 5);
  CHECK(jn->steps[0].before.file->bytes == kEth0);
  CHECK_FALSE(jn->steps[1].before.file.has_value());
  CHECK(jn->steps[2].before.file->bytes == kRoute);
  for (auto& st : jn->steps) CHECK(st.done);

  // `macvtapctl rollback` later, with backends reopened from the journal's sources.
  auto owned = apply::open_backends(
      {{"kvm1", jn->sources}}, [](const std::string&) { return std::unique_ptr<Hypervisor>{}; });
  auto rep = apply::rollback_host(lab.state, "kvm1", owned.view.at("kvm1"), {});
  INFO(rep.errors.size());
  CHECK(rep.ok());
  CHECK(rep.undone.size() == 5);
  CHECK(rep.undone.front().rfind("s05", 0) == 0);
  check_before_state(lab);
  CHECK(apply::read_host_journal(lab.state, "kvm1")->status == "rolled-back");
  // A second rollback has nothing to do.
  CHECK(apply::rollback_host(lab.state, "kvm1", owned.view.at("kvm1"), {}).nothing_to_do);
}

TEST_CASE("apply: a failed step rolls back the finished ones and names the step and OS message" *
          doctest::test_suite("apply")) {
  Lab lab;
  plan::Plan p = file_plan();
  // s03 now writes into a directory that does not exist.
  p.steps[2] =
      test::write_step("s03", "kvm1", "web1", "etc/missing-dir/ifcfg-x", "X=1\n", std::nullopt);
  apply::ApplySession s(lab.backends(), lab.options());
  auto r = s.apply(p);
  CHECK_FALSE(r.ok);
  CHECK(r.failed_step == "s03 guest/web1/file/etc/missing-dir/ifcfg-x");
  CHECK(r.error.find("does not exist") != std::string::npos);
  REQUIRE(r.rollback);
  CHECK(r.rollback->ok());
  REQUIRE(r.rollback->undone.size() == 3);  // s03 (started), s02, s01
  CHECK(r.rollback->undone[0].rfind("s03", 0) == 0);
  CHECK(r.rollback->undone[2].rfind("s01", 0) == 0);
  check_before_state(lab);
}

TEST_CASE("apply: the world moved since the plan -> refused before touching the file" *
          doctest::test_suite("apply")) {
  Lab lab;
  plan::Plan p = file_plan();
  write_file(lab.root / kNs / "route-old", "192.0.2.0/24 via 192.0.2.1\n");  // someone edited it
  apply::ApplySession s(lab.backends(), lab.options());
  auto r = s.apply(p);
  CHECK_FALSE(r.ok);
  CHECK(r.failed_step.rfind("s03", 0) == 0);
  CHECK(r.error.find("changed since the plan was made") != std::string::npos);
  CHECK(read_file(lab.root / kNs / "route-old") == "192.0.2.0/24 via 192.0.2.1\n");
  CHECK(lab.eth0() == kEth0);  // s01 rolled back
  CHECK_FALSE(fs::exists(lab.root / kNs / "ifcfg-ens9"));
}

TEST_CASE("apply: --no-rollback leaves the finished steps, rollback later undoes them" *
          doctest::test_suite("apply")) {
  Lab lab;
  plan::Plan p = file_plan();
  p.steps[2] =
      test::write_step("s03", "kvm1", "web1", "etc/missing-dir/ifcfg-x", "X=1\n", std::nullopt);
  auto o = lab.options();
  o.rollback_on_failure = false;
  {
    apply::ApplySession s(lab.backends(), o);
    auto r = s.apply(p);
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.rollback);
  }
  CHECK(lab.eth0() != kEth0);
  auto jn = apply::read_host_journal(lab.state, "kvm1");
  REQUIRE(jn);
  CHECK_FALSE(jn->finished());
  CHECK(jn->steps[2].error.has_value());
  auto b = lab.backends();
  auto rep = apply::rollback_host(lab.state, "kvm1", b.at("kvm1"), {});
  CHECK(rep.ok());
  check_before_state(lab);
}

TEST_CASE("apply: verification failure lists desired/live per field and rolls back" *
          doctest::test_suite("apply")) {
  Lab lab;
  int calls = 0;
  auto o = lab.options([&] {
    ++calls;
    plan::Plan again;
    plan::Step st = test::write_step("s01", "kvm1", "web1", kNs + "/ifcfg-ens9", "x", std::nullopt);
    st.changes.push_back({"DEFROUTE", std::string("no"), std::string("yes")});
    again.steps.push_back(st);
    return again;
  });
  apply::ApplySession s(lab.backends(), o);
  auto r = s.apply(file_plan());
  CHECK_FALSE(r.ok);
  CHECK(calls == 2);
  CHECK(r.failed_step == "s05 host/kvm1");
  REQUIRE(r.verify_diffs.size() == 1);
  CHECK(r.verify_diffs[0] ==
        "guest/web1/file/" + kNs + "/ifcfg-ens9: DEFROUTE: desired yes, live no");
  CHECK(r.error.find("desired yes, live no") != std::string::npos);
  REQUIRE(r.rollback);
  check_before_state(lab);
}

TEST_CASE("apply: an empty plan does nothing and takes no lock" * doctest::test_suite("apply")) {
  Lab lab;
  apply::ApplySession s(lab.backends(), lab.options());
  plan::Plan p;
  p.steps.push_back(test::verify_step("s01", "kvm1"));
  auto r = s.apply(p);
  CHECK(r.ok);
  CHECK(r.no_changes);
  CHECK_FALSE(fs::exists(lab.state));
}

TEST_CASE("apply: --try rolls back without confirm, keeps the change with confirm" *
          doctest::test_suite("apply")) {
  Lab lab;
  {
    apply::ApplySession s(lab.backends(), lab.options());
    REQUIRE(s.apply(file_plan()).ok);
    CHECK(apply::confirm_trying(lab.state).empty());  // not trying yet
    CHECK_FALSE(s.wait_for_confirm(std::chrono::milliseconds(300)));
    CHECK(apply::read_host_journal(lab.state, "kvm1")->status == "trying");
    auto rep = s.rollback();
    CHECK(rep.ok());
  }
  check_before_state(lab);
  {
    apply::ApplySession s(lab.backends(), lab.options());
    REQUIRE(s.apply(file_plan()).ok);
    std::thread confirmer([&] {
      for (int i = 0; i < 50; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (!apply::confirm_trying(lab.state).empty()) return;
      }
    });
    const bool confirmed = s.wait_for_confirm(std::chrono::seconds(10));
    confirmer.join();
    CHECK(confirmed);
    s.commit();
  }
  CHECK(apply::read_host_journal(lab.state, "kvm1")->status == "applied");
  CHECK(lab.eth0() != kEth0);
}

TEST_CASE(
    "apply: DefineInterface edits the inactive XML through the test driver, rollback restores it" *
    doctest::test_suite("apply")) {
  TempDir t;
  const fs::path node = t.path() / "node.xml";
  write_file(node, R"(<node>
  <domain type='test'>
    <name>web1</name>
    <uuid>6f0c0d0e-0000-4000-8000-0000000000a1</uuid>
    <memory>1048576</memory>
    <os><type>hvm</type></os>
    <devices>
      <interface type='network'>
        <mac address='52:54:00:b4:87:0f'/>
        <source network='default'/>
      </interface>
      <interface type='direct'>
        <mac address='52:54:00:00:00:99'/>
        <source dev='em3' mode='vepa'/>
      </interface>
    </devices>
  </domain>
</node>
)");
  auto hv = LibvirtHypervisor::connect("test://" + node.string(), false);
  const std::string before = *hv->domain_xml("web1", true);
  Lab lab;
  plan::Plan p;
  auto step = [](std::string id, std::string mac, std::string xml, std::string old) {
    plan::Step s;
    s.id = id;
    s.host = "kvm1";
    s.target = "guest/web1/interface/" + mac;
    s.op.kind = plan::OpKind::DefineInterface;
    s.op.guest = "web1";
    s.op.mac = mac;
    s.op.interface_xml = xml;
    s.op.old_interface_xml = old;
    return s;
  };
  p.steps.push_back(step("s01", "52:54:00:5d:9c:33",
                         "<interface type='direct'><mac address='52:54:00:5d:9c:33'/><source "
                         "dev='em2' mode='private'/><model type='rtl8139'/></interface>",
                         ""));
  p.steps.push_back(step("s02", "52:54:00:00:00:99", "", "<interface type='direct'/>"));
  p.steps.push_back(step("s03", "52:54:00:b4:87:0f",
                         "<interface type='network'><mac address='52:54:00:b4:87:0f'/><source "
                         "network='default'/><model type='virtio'/></interface>",
                         "<interface type='network'/>"));
  apply::ApplySession s(lab.backends(hv.get()), lab.options());
  auto r = s.apply(p);
  INFO(r.error);
  REQUIRE(r.ok);
  auto ifs = xml::parse_interfaces(*hv->domain_xml("web1", true), "web1");
  REQUIRE(ifs.size() == 2);
  CHECK(ifs[0].model == "virtio");
  CHECK(ifs[1].mac->str() == "52:54:00:5d:9c:33");
  CHECK(ifs[1].source_dev == "em2");
  CHECK(ifs[1].source_mode == "private");
  auto rep = s.rollback();
  CHECK(rep.ok());
  CHECK(*hv->domain_xml("web1", true) == before);
}

TEST_CASE("apply: a failing define is reported with libvirt's message and rolled back" *
          doctest::test_suite("apply")) {
  Lab lab;
  auto hv = LibvirtHypervisor::connect("test:///default", false);
  plan::Plan p = file_plan();
  plan::Step bad;
  bad.id = "s03";
  bad.host = "kvm1";
  bad.target = "guest/nosuchguest/interface/52:54:00:00:00:01";
  bad.op.kind = plan::OpKind::DefineInterface;
  bad.op.guest = "nosuchguest";
  bad.op.mac = "52:54:00:00:00:01";
  bad.op.interface_xml =
      "<interface type='network'><mac address='52:54:00:00:00:01'/><source "
      "network='default'/></interface>";
  p.steps[2] = bad;
  apply::ApplySession s(lab.backends(hv.get()), lab.options());
  auto r = s.apply(p);
  CHECK_FALSE(r.ok);
  CHECK(r.failed_step.rfind("s03", 0) == 0);
  CHECK(r.error.find("nosuchguest is not defined") != std::string::npos);
  check_before_state(lab);
}
