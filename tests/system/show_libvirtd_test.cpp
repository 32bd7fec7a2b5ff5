// Real libvirtd: `macvtapctl show` reads a defined domain's direct interface exactly.
// Skips loudly unless running as root with a libvirtd answering at qemu:///system
// (tests/system/lab.sh up starts one; CI does too). Needs neither em1/em2 nor the lab guest:
// the domain is only defined, never started, named mvt-test-show-<pid>, and undefined at the
// end (also when a check fails).
#include <doctest/doctest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <string>

#include "files/process.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "system_support.hpp"
#include "util/errors.hpp"
#include "xml/domain_xml.hpp"

namespace {

using namespace std::chrono_literals;
const char* kUri = "qemu:///system";

std::string libvirtd_unavailable() {
  mvt::test::lab::hold_lab_daemon_shared();  // never while a test kills the daemon
  if (geteuid() != 0) return "not root";
  try {
    auto r = mvt::run_process({"virsh", "-c", kUri, "list", "--all", "--name"}, 20s);
    if (r.exit_code != 0) return "`virsh -c qemu:///system list` fails: " + r.err;
  } catch (const mvt::Error& e) {
    return std::string("virsh cannot run: ") + e.what();
  }
  return {};
}

struct Undefine {
  std::string name;
  ~Undefine() { mvt::test::lab::remove_domain(name); }
};

}  // namespace

TEST_CASE("show reads a defined domain's direct interface from a real libvirtd" * doctest::test_suite("show")) {
  if (const std::string why = libvirtd_unavailable(); !why.empty()) {
    MESSAGE("SKIPPED (system test): " << why);
    return;
  }
  mvt::test::lab::cleanup_stale_test_domains();
  const std::string name = mvt::test::lab::test_domain_name("show");
  const std::string xml = R"(<domain type='qemu'>
  <name>)" + name + R"(</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <interface type='direct'>
      <mac address='52:54:00:7e:57:01'/>
      <source dev='em2' mode='bridge'/>
      <model type='rtl8139'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/>
    </interface>
  </devices>
</domain>)";
  auto hv = mvt::LibvirtHypervisor::connect(kUri, false);
  Undefine guard{name};
  hv->define_xml(xml);
  CHECK(hv->supports_hotplug());

  // The library view: the persistent config, field by field.
  auto inactive = hv->domain_xml(name, true);
  REQUIRE(inactive);
  auto ifs = mvt::xml::parse_interfaces(*inactive, "domain XML of " + name);
  REQUIRE(ifs.size() == 1);
  CHECK(ifs[0].type == "direct");
  CHECK(ifs[0].mac->str() == "52:54:00:7e:57:01");
  CHECK(ifs[0].source_dev == "em2");
  CHECK(ifs[0].source_mode == "bridge");
  CHECK(ifs[0].model == "rtl8139");
  CHECK(ifs[0].pci_address == "0000:00:09.0");

  // The command: the domain as a spec, over a read-only connection.
  auto r = mvt::run_process({MVT_BINARY, "show", "--connect", kUri, "--host", "kvmtest"}, 60s);
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  YAML::Node spec = YAML::Load(r.out);
  CHECK(spec["version"].as<int>() == 1);
  CHECK(spec["hosts"]["kvmtest"]["uri"].as<std::string>() == kUri);
  YAML::Node g = spec["hosts"]["kvmtest"]["guests"][name];
  REQUIRE(g.IsMap());
  REQUIRE(g["interfaces"].size() == 1);
  YAML::Node i = g["interfaces"][0];
  CHECK(i["direct"]["dev"].as<std::string>() == "em2");
  CHECK(i["direct"]["mode"].as<std::string>() == "bridge");
  CHECK(i["mac"].as<std::string>() == "52:54:00:7e:57:01");
  CHECK(i["model"].as<std::string>() == "rtl8139");
  // The NIC it uses is declared, so the output can validate.
  CHECK(spec["hosts"]["kvmtest"]["nics"]["em2"].IsMap());
}
