// Real libvirtd: `plan` checks the spec against the lab host's real NICs (em1/em2, veth pairs
// made by tests/system/lab.sh), read through libvirt's interface API (the udev backend). A
// running guest's macvtap device is listed there too, with the guest's MAC: it must not count
// as a host NIC. Needs the lab and its guest image; the guest is started (so its macvtap
// device exists) but never waited for, and removed at the end.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>

#include "libvirt/libvirt_hypervisor.hpp"
#include "e2e_lab.hpp"
#include "system_support.hpp"

namespace fs = std::filesystem;
namespace lab = mvt::test::lab;
using namespace std::chrono_literals;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct SpecFile {
  fs::path dir;
  SpecFile() {
    char tmpl[] = "/tmp/mvt-nic-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~SpecFile() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  // kvmlab at qemu:///system with em1 and em2 (em2's MAC when given) and `guest` with ens9 on
  // `dev` (MAC `mac`). Returns the spec's path.
  fs::path write(const std::string& guest, const std::string& dev, const std::string& mac,
                 const std::string& em2_mac = {}) const {
    const fs::path p = dir / "spec.yaml";
    std::ofstream(p) << "version: 1\n"
                        "hosts:\n"
                        "  kvmlab:\n"
                        "    uri: qemu:///system\n"
                        "    nics:\n"
                        "      em1: {config: host}\n"
                        "      em2: {config: host"
                     << (em2_mac.empty() ? "" : ", mac: \"" + em2_mac + "\"") << "}\n"
                     << (dev == "em9" ? "      em9: {config: host}\n" : "")
                     << "    guests:\n"
                        "      " << guest << ":\n"
                        "        interfaces:\n"
                        "          - name: ens9\n"
                        "            direct: {dev: " << dev << ", mode: bridge}\n"
                        "            mac: \"" << mac << "\"\n";
    return p;
  }
};

}  // namespace

TEST_CASE("nic checks on a real libvirtd: em9 is an error, a running guest's macvtap is no NIC" *
          doctest::test_suite("nic")) {
  MVT_REQUIRE_LAB_TOOL_AND_IMAGE(image);
  auto hv = lab::connect();
  lab::LabDomainOptions o;
  o.what = "nic";
  lab::LabNic nic;
  nic.dev = "em2";
  nic.mode = "bridge";
  nic.mac = lab::test_mac(1);
  o.nics = {nic};
  o.start_agent = false;
  lab::LabGuest guest(*hv, o, *image);  // started: libvirt made its macvtap device
  const auto devices = guest.macvtap_devices();
  REQUIRE(devices.size() == 1);
  // libvirt's interface API lists that device with the guest's MAC (what the check excludes).
  auto nics = hv->host_interfaces();
  REQUIRE(nics);
  const bool listed = std::any_of(nics->begin(), nics->end(), [&](const auto& n) {
    return n.name == devices[0] && n.mac && n.mac->str() == *nic.mac;
  });
  CHECK_MESSAGE(listed, "the interface API does not list " << devices[0]);

  SpecFile f;
  // The running guest as it is: no NIC error (its macvtap device carries its MAC).
  auto spec = f.write(guest.name(), "em2", *nic.mac);
  auto r = lab::run_macvtapctl({"plan", "-f", spec.string(), "--detailed-exitcode"});
  INFO("plan: " << r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("live-nic") == std::string::npos);
  CHECK(r.err.find("error") == std::string::npos);
  CHECK(r.out.find("live NIC checks skipped") == std::string::npos);

  // A NIC the lab host does not have.
  spec = f.write(guest.name(), "em9", *nic.mac);
  r = lab::run_macvtapctl({"plan", "-f", spec.string()});
  INFO("plan em9: " << r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("host kvmlab: NOT OBSERVED (qemu:///system)") != std::string::npos);
  CHECK(r.err.find(spec.string() + ":13:27: error: host kvmlab: guest " + guest.name() +
                   ": interface ens9: direct.dev em9 is not a NIC of the host (its NICs, read "
                   "through libvirt's interface API: ") != std::string::npos);

  // em2's real MAC (the veth's, random per lab) against a wrong one in the spec.
  const std::string em2 = read_all("/sys/class/net/em2/address");
  spec = f.write(guest.name(), "em2", *nic.mac, "02:00:00:00:00:02");
  r = lab::run_macvtapctl({"plan", "-f", spec.string()});
  INFO("plan em2 MAC: " << r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("error: host kvmlab: NIC em2: the spec gives MAC 02:00:00:00:00:02, the NIC's "
                   "live MAC is " + em2 + " (read through libvirt's interface API)") !=
        std::string::npos);

  // A guest MAC equal to em1's.
  const std::string em1 = read_all("/sys/class/net/em1/address");
  spec = f.write(guest.name(), "em2", em1);
  r = lab::run_macvtapctl({"plan", "-f", spec.string()});
  INFO("plan guest MAC: " << r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("interface ens9: MAC " + em1 + " is the live MAC of the host's NIC em1") !=
        std::string::npos);
}
