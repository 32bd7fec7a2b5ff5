// apply against a real libvirtd (qemu:///system): the domain side of issue 5's done-when
// that libvirt's test:/// driver cannot show because it forgets its state with the process.
// A shut-off guest "mvt-test-apply-<pid>" is defined for each test case (and undefined at
// the end); its files live in dir: temp roots. Checked through the real binary:
//  - apply changes the persistent XML and files, a second apply says "No changes",
//    `rollback` restores the inactive XML (text) and the files byte for byte;
//  - crash after every step (MVT_FAULT_AFTER_STEP): no torn file, `rollback` restores files
//    and domain, a crash followed by `apply` converges and `rollback` undoes both.
// Skips loudly when not root or when qemu:///system does not answer.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "../unit/apply_run.hpp"
#include "apply/journal.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "xml/domain_xml.hpp"
#include "system_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using mvt::test::run_argv_env;

namespace {
const std::string kUri = "qemu:///system";
const std::string kNs = "etc/sysconfig/network-scripts";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
void spit(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string unavailable() {
  mvt::test::lab::hold_lab_daemon_shared();  // never while a test kills the daemon
  if (::geteuid() != 0) return "not root";
  try {
    LibvirtHypervisor::connect(kUri, false)->list_domains();
  } catch (const Error& e) {
    return std::string("libvirtd does not answer: ") + e.what();
  }
  return {};
}

// A temp dir with host/ and guest/ roots, a spec, and a defined shut-off guest.
struct Fixture {
  fs::path dir, state;
  std::string guest;
  std::unique_ptr<Hypervisor> hv;
  Fixture() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("mvt-apply-sys-" + std::to_string(rd()));
    fs::create_directories(dir);
    state = dir / "state";
    guest = "mvt-test-apply-" + std::to_string(::getpid());
    hv = LibvirtHypervisor::connect(kUri, false);
    run_argv_env({"virsh", "-c", kUri, "undefine", guest});  // leftover of a crashed run
    hv->define_xml(
        "<domain type='qemu'><name>" + guest +
        "</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os>"
        "<devices><interface type='network'><mac address='52:54:00:b4:87:0f'/>"
        "<source network='default'/><model type='virtio'/></interface></devices></domain>");
    spit(dir / "host" / kNs / "ifcfg-em2",
         "TYPE=Ethernet\nBOOTPROTO=dhcp\nDEFROUTE=yes\nNAME=em2\nDEVICE=em2\nONBOOT=yes\n");
    spit(dir / "guest" / kNs / "ifcfg-eth0",
         "# "
         "eth0\nTYPE=Ethernet\nBOOTPROTO=dhcp\nDEFROUTE=yes\nPEERDNS=yes\nDEVICE=eth0\nONBOOT="
         "yes\n");
    spit(dir / "spec.yaml",
         "version: 1\nhosts:\n  kvm1:\n    uri: " + kUri +
             "\n    files: dir:host\n    nics:\n      em2: {config: unconfigured}\n"
             "    guests:\n      " +
             guest +
             ":\n        guest_files: dir:guest\n        activate: none\n"
             "        interfaces:\n"
             "          - name: eth0\n            network: default\n"
             "            mac: \"52:54:00:b4:87:0f\"\n            ipv4: dhcp\n"
             "            defroute: false\n            peerdns: false\n"
             "          - name: ens9\n            direct: {dev: em2, mode: private}\n"
             "            mac: \"52:54:00:5d:9c:33\"\n"
             "            ipv4: {address: 192.0.2.84/24, gateway: 192.0.2.1}\n"
             "            defroute: true\n            dns: [192.0.2.1]\n");
  }
  ~Fixture() {
    run_argv_env({"virsh", "-c", kUri, "undefine", guest});
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  test::ProcResult tool(std::vector<std::string> args,
                        const std::map<std::string, std::string>& env = {}) const {
    std::vector<std::string> argv{MVT_BINARY, "--state-dir", state.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_argv_env(argv, env);
  }
  test::ProcResult apply(const std::map<std::string, std::string>& env = {}) const {
    return tool({"apply", "--yes", "-f", (dir / "spec.yaml").string()}, env);
  }
  std::map<std::string, std::string> files() const {
    std::map<std::string, std::string> out;
    for (auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file() && e.path().string().find("/state/") == std::string::npos &&
          e.path().filename() != "spec.yaml")
        out[fs::relative(e.path(), dir).string()] = slurp(e.path());
    return out;
  }
  std::string xml() const { return *hv->domain_xml(guest, true); }
  // The inactive XML without its <uuid> (each fixture's domain gets its own), for comparing
  // states across fixtures.
  std::string xml_sans_uuid() const {
    std::string x = xml();
    auto a = x.find("<uuid>");
    auto b = x.find("</uuid>");
    if (a != std::string::npos && b != std::string::npos) x.erase(a, b + 7 - a);
    return x;
  }
};

std::vector<std::string> macs(const std::string& xml) {
  std::vector<std::string> out;
  for (const auto& i : xml::parse_interfaces(xml, "test")) out.push_back(i.mac ? i.mac->str() : "");
  return out;
}
}  // namespace

TEST_CASE(
    "libvirtd: apply defines the interface, No changes next time, rollback restores XML and files" *
    doctest::test_suite("apply")) {
  if (auto why = unavailable(); !why.empty()) {
    MESSAGE("SKIPPED: " << why);
    return;
  }
  Fixture f;
  const auto files_before = f.files();
  const std::string xml_before = f.xml();
  auto r = f.apply();
  INFO(r.out, r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(macs(f.xml()) == std::vector<std::string>{"52:54:00:b4:87:0f", "52:54:00:5d:9c:33"});
  auto ifs = xml::parse_interfaces(f.xml(), f.guest);
  CHECK(ifs[1].type == "direct");
  CHECK(ifs[1].source_dev == "em2");
  CHECK(ifs[1].source_mode == "private");
  CHECK(slurp(f.dir / "guest" / kNs / "ifcfg-ens9").find("IPADDR=192.0.2.84") != std::string::npos);

  auto again = f.apply();
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("No changes") != std::string::npos);

  auto rb = f.tool({"rollback"});
  INFO(rb.out, rb.err);
  CHECK(rb.exit_code == 0);
  CHECK(f.xml() == xml_before);
  CHECK(f.files() == files_before);
}

TEST_CASE(
    "libvirtd: crash after every step - files never torn, rollback restores, apply converges" *
    doctest::test_suite("apply")) {
  if (auto why = unavailable(); !why.empty()) {
    MESSAGE("SKIPPED: " << why);
    return;
  }
  int steps = 0;
  std::map<std::string, std::string> files_after;
  std::string xml_after;
  {
    Fixture f;
    REQUIRE(f.apply().exit_code == 0);
    files_after = f.files();
    xml_after = f.xml_sans_uuid();
    steps = static_cast<int>(apply::read_host_journal(f.state, "kvm1")->steps.size());
  }
  REQUIRE(steps >= 3);
  for (int k = 1; k <= steps; ++k) {
    CAPTURE(k);
    Fixture f;
    const auto files_before = f.files();
    const std::string xml_before = f.xml();
    const std::string xml_before_sans = f.xml_sans_uuid();
    const std::map<std::string, std::string> fault{{"MVT_FAULT_AFTER_STEP", std::to_string(k)}};
    REQUIRE(f.apply(fault).exit_code == 99);
    for (const auto& [rel, bytes] : f.files()) {
      CAPTURE(rel);
      CHECK(rel.find(".mvt-") == std::string::npos);
      CHECK(((files_before.count(rel) && files_before.at(rel) == bytes) ||
             (files_after.count(rel) && files_after.at(rel) == bytes)));
    }
    const std::string mid = f.xml_sans_uuid();
    CHECK((mid == xml_before_sans || mid == xml_after));
    auto rb = f.tool({"rollback"});
    INFO(rb.out, rb.err);
    CHECK(rb.exit_code == 0);
    CHECK(f.files() == files_before);
    CHECK(f.xml() == xml_before);
    // Crash, then apply again: converges; rollback undoes both.
    REQUIRE(f.apply(fault).exit_code == 99);
    auto again = f.apply();
    INFO(again.out, again.err);
    CHECK(again.exit_code == 0);
    CHECK(f.files() == files_after);
    CHECK(f.xml_sans_uuid() == xml_after);
    CHECK(f.tool({"rollback"}).exit_code == 0);
    CHECK(f.files() == files_before);
    CHECK(f.xml() == xml_before);
  }
}
