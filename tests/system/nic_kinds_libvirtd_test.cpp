// Issue 15, point 5, on the real lab: a VLAN em2.<ID> on the lab's em2, created by the test
// (ip link, removed at the end), carries a lab guest's direct interface on the real libvirtd.
// The kernel reports it as a VLAN on em2 (`ip -j -d link`: linkinfo info_kind vlan, link em2;
// libvirt's interface API, udev backend: <interface type='vlan'>); `plan` with the VLAN as
// `config: unconfigured` keeps its VLAN keys and ONBOOT=yes; a spec kind that contradicts the
// kernel and the file is an error naming both. The guest is started without its agent (its
// macvtap device on the VLAN is what is looked at) and removed at the end. Skips loudly on a
// kernel that cannot make VLANs (the unit tests cover the rest on libvirt's test driver).
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "e2e_lab.hpp"
#include "files/process.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "system_support.hpp"

namespace fs = std::filesystem;
namespace lab = mvt::test::lab;
using namespace std::chrono_literals;

namespace {

// A VLAN on em2 for the length of a test; its id comes from the test's pid (suites run side
// by side). Removed by the destructor.
class LabVlan {
 public:
  LabVlan() : id_(3000 + static_cast<int>(::getpid() % 900)), name_("em2." + std::to_string(id_)) {
    mvt::run_process({"ip", "link", "del", name_}, 10s);  // a leftover of a killed run
    const auto r = mvt::run_process({"ip", "link", "add", "link", "em2", "name", name_, "type",
                                     "vlan", "id", std::to_string(id_)},
                                    10s);
    ok_ = r.exit_code == 0;
    why_ = r.err;
    while (!why_.empty() && (why_.back() == '\n' || why_.back() == ' ')) why_.pop_back();
    if (ok_) ok_ = mvt::run_process({"ip", "link", "set", name_, "up"}, 10s).exit_code == 0;
  }
  ~LabVlan() { mvt::run_process({"ip", "link", "del", name_}, 10s); }
  LabVlan(const LabVlan&) = delete;
  LabVlan& operator=(const LabVlan&) = delete;
  bool ok() const { return ok_; }
  const std::string& why() const { return why_; }
  int id() const { return id_; }
  const std::string& name() const { return name_; }

 private:
  int id_;
  std::string name_;
  bool ok_ = false;
  std::string why_;
};

struct Root {
  fs::path dir;
  Root() {
    char tmpl[] = "/tmp/mvt-nic-kinds-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~Root() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

}  // namespace

TEST_CASE("nic kinds on a real libvirtd: a guest on a VLAN of em2 keeps its VLAN up" *
          doctest::test_suite("nic")) {
  MVT_REQUIRE_LAB_TOOL_AND_IMAGE(image);
  LabVlan vlan;
  if (!vlan.ok()) {
    // A kernel without 802.1Q (no 8021q module, as in some CI sandboxes): nothing to test.
    MESSAGE("SKIPPED (system test): this kernel cannot create a VLAN on em2 (ip link add ... "
            "type vlan: " << vlan.why() << ")");
    return;
  }

  // The kernel's view (`ip -j -d link`): a VLAN whose lower device is em2.
  const auto link = lab::host_link(vlan.name());
  REQUIRE(link);
  CHECK(link->kind == "vlan");
  CHECK(link->lower == "em2");

  auto hv = lab::connect();
  // libvirt's interface API (what plan reads): the VLAN, its kind and parent.
  auto nics = hv->host_interfaces();
  REQUIRE(nics);
  const mvt::HostNicState* listed = nullptr;
  for (const auto& n : *nics)
    if (n.name == vlan.name()) listed = &n;
  REQUIRE_MESSAGE(listed, "the interface API does not list " << vlan.name());
  CHECK(listed->kind == "vlan");
  CHECK(listed->parent == "em2");

  lab::LabDomainOptions o;
  o.what = "vlan";
  lab::LabNic nic;
  nic.dev = vlan.name();
  nic.mode = "bridge";
  nic.mac = lab::test_mac(1);
  o.nics = {nic};
  o.start_agent = false;
  lab::LabGuest guest(*hv, o, *image);  // started: libvirt made its macvtap device on the VLAN
  const auto devices = guest.macvtap_devices();
  REQUIRE(devices.size() == 1);
  const auto tap = lab::host_link(devices[0]);
  REQUIRE(tap);
  CHECK(tap->lower == vlan.name());
  CHECK(tap->mac == *nic.mac);

  // The host's files: the VLAN's ifcfg as an installer left it (DHCP, no TYPE).
  Root root;
  const fs::path scripts = root.dir / "etc/sysconfig/network-scripts";
  fs::create_directories(scripts);
  std::ofstream(scripts / ("ifcfg-" + vlan.name()))
      << "DEVICE=" << vlan.name() << "\nVLAN=yes\nPHYSDEV=em2\nONBOOT=yes\nBOOTPROTO=dhcp\n";
  auto spec_with = [&](const std::string& nic_extra) {
    const fs::path p = root.dir / "spec.yaml";
    std::ofstream(p) << "version: 1\n"
                        "hosts:\n"
                        "  kvmlab:\n"
                        "    uri: qemu:///system\n"
                        "    files: dir:" << root.dir.string() << "\n"
                        "    nics:\n"
                        "      em2: {config: host}\n"
                        "      " << vlan.name() << ": {config: unconfigured" << nic_extra << "}\n"
                        "    guests:\n"
                        "      " << guest.name() << ":\n"
                        "        interfaces:\n"
                        "          - name: ens9\n"
                        "            direct: {dev: " << vlan.name() << ", mode: bridge}\n"
                        "            mac: \"" << *nic.mac << "\"\n";
    return p;
  };

  auto spec = spec_with("");
  auto r = lab::run_macvtapctl({"--color", "never", "plan", "-f", spec.string(), "--detailed-exitcode"});
  INFO("plan: " << r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("live-nic") == std::string::npos);
  CHECK(r.err.find("error") == std::string::npos);
  const auto at = r.out.find("host/kvmlab/nic/" + vlan.name() + "  (update file)");
  REQUIRE(at != std::string::npos);
  const std::string step = r.out.substr(at);
  CHECK(step.find("~ BOOTPROTO: \"dhcp\" -> \"none\"") != std::string::npos);
  CHECK(step.find("~ ONBOOT:") == std::string::npos);
  CHECK(step.find("+ TYPE ") == std::string::npos);
  CHECK(step.find("PHYSDEV") == std::string::npos);
  // The guest's interface is already as the spec says.
  CHECK(r.out.find("guest/" + guest.name() + "/interface") == std::string::npos);

  // The spec's kind against the kernel's and the file's.
  spec = spec_with(", kind: bond");
  r = lab::run_macvtapctl({"--color", "never", "plan", "-f", spec.string()});
  INFO("plan kind: bond: " << r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("NIC " + vlan.name() + ": the spec says kind: bond, the host reports a vlan "
                   "device (read through libvirt's interface API)") != std::string::npos);
}

TEST_CASE("nic kinds on a real libvirtd: the interface API's kind is compared with the spec's" *
          doctest::test_suite("nic")) {
  // A bridge (the lab kernel makes bridges; not every one makes VLANs or bonds), created by
  // the test and removed at the end: libvirt's udev backend reports <interface type='bridge'>,
  // so a spec that calls it a VLAN is refused naming both.
  MVT_REQUIRE_LAB();
  if (const auto why = lab::tool_unavailable_reason(); !why.empty()) {
    MESSAGE("SKIPPED (system test): " << why);
    return;
  }
  const std::string br = "mvtkbr" + std::to_string(::getpid() % 100000);
  mvt::run_process({"ip", "link", "del", br}, 10s);
  REQUIRE(mvt::run_process({"ip", "link", "add", br, "type", "bridge"}, 10s).exit_code == 0);
  struct Del {
    std::string n;
    ~Del() { mvt::run_process({"ip", "link", "del", n}, 10s); }
  } del{br};

  auto hv = lab::connect();
  auto nics = hv->host_interfaces();
  REQUIRE(nics);
  const mvt::HostNicState* listed = nullptr;
  for (const auto& n : *nics)
    if (n.name == br) listed = &n;
  REQUIRE_MESSAGE(listed, "the interface API does not list " << br);
  CHECK(listed->kind == "bridge");
  for (const auto& n : *nics)
    if (n.name == "em2") CHECK(n.kind == "");  // a veth: a plain NIC to the model

  Root root;
  const fs::path p = root.dir / "spec.yaml";
  std::ofstream(p) << "version: 1\n"
                      "hosts:\n"
                      "  kvmlab:\n"
                      "    uri: qemu:///system\n"
                      "    nics:\n"
                      "      em2: {config: host, kind: ethernet}\n"
                      "      " << br << ": {config: host, kind: vlan, parent: em2, id: 5}\n";
  const auto r = lab::run_macvtapctl({"--color", "never", "plan", "-f", p.string()});
  INFO("plan: " << r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("error: host kvmlab: NIC " + br + ": the spec says kind: vlan, the host "
                   "reports a bridge device (read through libvirt's interface API)") !=
        std::string::npos);
  CHECK(r.err.find("NIC em2:") == std::string::npos);  // em2 is what the spec says
}
