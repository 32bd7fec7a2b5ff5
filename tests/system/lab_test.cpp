// The lab itself (tests/system/lab.sh up): libvirtd answers, em1/em2 are veth pairs whose far
// ends live in the lab's netns with their RFC 5737 addresses, and the guest image builds.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "files/process.hpp"
#include "../unit/test_support.hpp"
#include "system_support.hpp"

using namespace std::chrono_literals;
namespace lab = mvt::test::lab;

TEST_CASE("lab: host NICs are veth pairs into the lab namespace" * doctest::test_suite("lab")) {
  MVT_REQUIRE_LAB();
  for (auto [nic, peer, addr] : {std::tuple{"em1", "em1p", "198.51.100.1"},
                                 std::tuple{"em2", "em2p", "192.0.2.1"}}) {
    auto r = mvt::run_process({"ip", "-j", "-d", "link", "show", nic}, 10s);
    REQUIRE(r.exit_code == 0);
    const auto link = nlohmann::json::parse(r.out).at(0);
    CHECK(link["linkinfo"]["info_kind"] == "veth");
    CHECK(link["operstate"] == "UP");
    auto p = lab::in_netns({"ip", "-j", "addr", "show", peer});
    REQUIRE(p.exit_code == 0);
    CHECK(p.out.find(addr) != std::string::npos);
  }
  // Nothing configured on the host side: the procedure's unconfigured em2.
  auto a = mvt::run_process({"ip", "-4", "-o", "addr", "show", "em2"}, 10s);
  CHECK(a.out.empty());
  auto status = mvt::run_process(
      {(std::filesystem::path(MVT_SOURCE_DIR) / "tests/system/lab.sh").string(), "status"}, 30s);
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("qemu:///system: ok") != std::string::npos);
}

TEST_CASE("lab: the guest image builds (cached) and the domain XML is libvirt's" *
          doctest::test_suite("lab")) {
  MVT_REQUIRE_LAB();
  std::string why;
  auto image = lab::guest_image(&why);
  REQUIRE_MESSAGE(image, why);
  CHECK(std::filesystem::exists(image->kernel));
  CHECK(std::filesystem::exists(image->initrd));
  lab::LabDomainOptions o;
  o.nics.push_back(lab::LabNic{});
  const auto xml = lab::lab_domain_xml("mvt-test-xml", o, *image);
  mvt::test::TempDir d;
  const auto f = d.path() / "dom.xml";
  mvt::test::write_file(f, xml);
  // virt-xml-validate comes with libvirt-clients, which lab.sh installs.
  auto v = mvt::run_process({"virt-xml-validate", f.string(), "domain"}, 30s);
  INFO(xml << v.out << v.err);
  CHECK(v.exit_code == 0);
}
