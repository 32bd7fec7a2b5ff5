// Issue 15, point 2: choosing the format of a device (netconf::choose, machine_format,
// merged, in_dir): `config_format: auto | ifcfg | keyfile` of a guest or host against the
// files of its root, which hold every format's files side by side.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include "files/dir_source.hpp"
#include "netconf/format.hpp"
#include "netconf/ifcfg/ifcfg_format.hpp"
#include "netconf/keyfile/keyfile_format.hpp"
#include "netconf_keyfile_support.hpp"
#include "observe/observe.hpp"
#include "util/errors.hpp"

using namespace mvt;
using mvt::test::contains;

namespace {

const MacAddress kMac9 = *MacAddress::parse("52:54:00:5d:9c:33");
const MacAddress kMac8 = *MacAddress::parse("52:54:00:5d:9c:34");

void add_ifcfg(NetworkScripts& files, const std::string& dev, const std::string& extra = "") {
  FileState f;
  f.path = std::string(ifcfg::kDir) + "/ifcfg-" + dev;
  f.bytes = "DEVICE=" + dev + "\nTYPE=Ethernet\nBOOTPROTO=dhcp\n" + extra;
  f.origin = "/g/" + f.path;
  files["ifcfg-" + dev] = f;
}

void add_keyfile(NetworkScripts& files, const std::string& name, const std::string& dev,
                 const std::string& mac = "") {
  std::string text = "[connection]\nid=" + dev + "\nuuid=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e0" +
                     std::to_string(files.size() % 10) + "\ntype=ethernet\n";
  if (!dev.empty()) text += "interface-name=" + dev + "\n";
  if (!mac.empty()) text += "\n[ethernet]\nmac-address=" + mac + "\n";
  text += "\n[ipv4]\nmethod=auto\n";
  files[name] = test::keyfile_state(name, text);
}

std::string_view chosen(std::string_view fmt, const NetworkScripts& files, const MacAddress& mac,
                        const std::string& dev) {
  Diagnostics d;
  const auto all = netconf::read_all(files, "", d);
  return netconf::choose(fmt, all, mac, dev).format->name();
}

}  // namespace

TEST_CASE("netconf choose: auto picks the keyfile NetworkManager uses, else ifcfg, else the "
          "machine's format" * doctest::test_suite("netconf")) {
  SUBCASE("a keyfile profile for the device (by MAC, or by name without a MAC pin): keyfile") {
    NetworkScripts f;
    add_ifcfg(f, "eth0");
    add_keyfile(f, "Wired connection 1.nmconnection", "", "52:54:00:5D:9C:33");
    CHECK(chosen("auto", f, kMac9, "ens9") == "keyfile");
    add_keyfile(f, "ens8.nmconnection", "ens8");
    CHECK(chosen("auto", f, kMac8, "ens8") == "keyfile");
  }
  SUBCASE("a keyfile pinned to another MAC does not describe the device") {
    NetworkScripts f;
    add_ifcfg(f, "eth0");
    add_keyfile(f, "ens9.nmconnection", "ens9", "52:54:00:AA:BB:CC");
    CHECK(chosen("auto", f, kMac9, "ens9") == "ifcfg");
  }
  SUBCASE("only an ifcfg file for the device: ifcfg, even beside other devices' keyfiles") {
    NetworkScripts f;
    add_ifcfg(f, "ens9");
    add_keyfile(f, "eth0.nmconnection", "eth0");
    CHECK(chosen("auto", f, kMac9, "ens9") == "ifcfg");
  }
  SUBCASE("no file for the device: ifcfg where the machine has ifcfg files (RHEL 7/8), keyfile "
          "where it has only keyfiles (RHEL 9/10, Fedora), ifcfg where it has neither") {
    NetworkScripts f;
    add_ifcfg(f, "lo");
    CHECK(chosen("auto", f, kMac9, "ens9") == "ifcfg");
    add_keyfile(f, "eth0.nmconnection", "eth0");
    CHECK(chosen("auto", f, kMac9, "ens9") == "ifcfg");  // both: ifcfg-lo says network-scripts
    NetworkScripts g;
    add_keyfile(g, "eth0.nmconnection", "eth0");
    CHECK(chosen("auto", g, kMac9, "ens9") == "keyfile");
    CHECK(chosen("auto", {}, kMac9, "ens9") == "ifcfg");  // an empty root: no evidence
    Diagnostics d;
    CHECK(netconf::machine_format("auto", netconf::read_all(f, "", d)).name() == "ifcfg");
    CHECK(netconf::machine_format("auto", netconf::read_all(g, "", d)).name() == "keyfile");
    CHECK(netconf::machine_format("ifcfg", netconf::read_all(g, "", d)).name() == "ifcfg");
  }
  SUBCASE("a named format is used as said") {
    NetworkScripts f;
    add_ifcfg(f, "ens9");
    CHECK(chosen("keyfile", f, kMac9, "ens9") == "keyfile");
    NetworkScripts g;
    add_keyfile(g, "ens9.nmconnection", "ens9");
    CHECK(chosen("ifcfg", g, kMac9, "ens9") == "ifcfg");
  }
}

TEST_CASE("netconf choose: a device described by an ifcfg file and a keyfile is a warning, "
          "the keyfile is managed and read" * doctest::test_suite("netconf")) {
  NetworkScripts f;
  add_ifcfg(f, "ens9", "HWADDR=52:54:00:5d:9c:33\n");
  add_keyfile(f, "ens9.nmconnection", "ens9", "52:54:00:5D:9C:33");
  Diagnostics d;
  const auto all = netconf::read_all(f, "", d);
  const auto c = netconf::choose("auto", all, kMac9, "ens9");
  CHECK(c.format->name() == "keyfile");
  REQUIRE(c.have != nullptr);
  CHECK(c.have->files.front() == "ens9.nmconnection");
  REQUIRE(c.shadowed != nullptr);
  CHECK(c.shadowed->files.front() == "ifcfg-ens9");
  Diagnostics w;
  netconf::warn_shadowed(c, "ens9", "host kvm1: guest web1", w);
  REQUIRE(w.items().size() == 1);
  CHECK(w.items()[0].rule == "netconf.two-formats");
  CHECK(w.items()[0].severity == Severity::Warning);
  CHECK(contains(w.items()[0].message, "host kvm1: guest web1: device ens9 is described by both "
                                        "ifcfg-ens9 (ifcfg) and ens9.nmconnection"));
  CHECK(contains(w.items()[0].message, "NetworkManager uses the keyfile"));

  // config_format: ifcfg - the ifcfg file is edited, and the warning says it is ignored.
  const auto i = netconf::choose("ifcfg", all, kMac9, "ens9");
  CHECK(i.format->name() == "ifcfg");
  Diagnostics wi;
  netconf::warn_shadowed(i, "ens9", "", wi);
  REQUIRE(wi.items().size() == 1);
  CHECK(contains(wi.items()[0].message, "which NetworkManager ignores while ens9.nmconnection exists"));

  // show reads the keyfile's config for it, and every other device once.
  add_ifcfg(f, "eth0");
  const auto all2 = netconf::read_all(f, "", d);
  const auto m = netconf::merged(all2);
  REQUIRE(m.size() == 2);
  CHECK(m[0].first->name() == "keyfile");
  CHECK(m[0].second->files.front() == "ens9.nmconnection");
  CHECK(m[1].first->name() == "ifcfg");
  CHECK(m[1].second->device == "eth0");
}

TEST_CASE("netconf choose: each format reads only its own directory's files" *
          doctest::test_suite("netconf")) {
  // "ifcfg-x.nmconnection" is a name both formats read: in the keyfile directory it is a
  // profile, never an ifcfg file (and the other way round).
  NetworkScripts f;
  add_keyfile(f, "ifcfg-x.nmconnection", "ens9");
  Diagnostics d;
  const auto all = netconf::read_all(f, "", d);
  REQUIRE(all.size() == 2);
  CHECK(all[0].format->name() == "ifcfg");
  CHECK(all[0].devices.empty());
  CHECK(all[1].format->name() == "keyfile");
  REQUIRE(all[1].devices.size() == 1);
  CHECK(all[1].devices[0].device == "ens9");
  CHECK(netconf::format_reading("ifcfg-ens9") == &ifcfg::format());
  CHECK(netconf::format_reading("ens9.nmconnection") == &keyfile::format());
  CHECK(netconf::format_reading("readme-ifcfg-rh.txt") == nullptr);
}

TEST_CASE("netconf: connection UUIDs for nmcli are 8-4-4-4-12 hex digits, nothing else" *
          doctest::test_suite("netconf")) {
  CHECK(netconf::is_connection_uuid("5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03"));
  CHECK(netconf::is_connection_uuid("010B8B2C-9809-48E1-B14F-0BF224A8EFB2"));
  for (const char* bad : {"", "--help", "5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e0",
                          "5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03 ", "5fb06bd0x0bb0-7ffb-45f1-d6edd65f3e03",
                          "5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e0g", "ens9"})
    CHECK_MESSAGE(!netconf::is_connection_uuid(bad), bad);
}

TEST_CASE("netconf: a root is read in every format's directory, and one name in both is an "
          "error naming both files" * doctest::test_suite("netconf")) {
  test::TempDir t;
  const auto ns = t.path() / "etc/sysconfig/network-scripts";
  const auto kf = t.path() / "etc/NetworkManager/system-connections";
  std::filesystem::create_directories(ns);
  std::filesystem::create_directories(kf);
  test::write_file(ns / "ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=dhcp\n");
  test::write_file(ns / "readme-ifcfg-rh.txt", "not a config file\n");
  test::write_file(kf / "ens9.nmconnection", "[connection]\ninterface-name=ens9\n");
  test::write_file(kf / "ens9.nmconnection.bak", "[connection]\ninterface-name=ens9\n");
  DirSource root(t.path());
  const auto files = read_network_scripts(root);
  std::set<std::string> names;
  for (const auto& [n, f] : files) names.insert(n + " " + f.path);
  CHECK(names == std::set<std::string>{"ens9.nmconnection " + (kf.lexically_relative(t.path()) / "ens9.nmconnection").string(),
                                       "ifcfg-eth0 etc/sysconfig/network-scripts/ifcfg-eth0"});
  // "ifcfg-a.nmconnection" is a name both formats read: in both directories it is refused.
  test::write_file(ns / "ifcfg-a.nmconnection", "DEVICE=a.nmconnection\n");
  test::write_file(kf / "ifcfg-a.nmconnection", "[connection]\ninterface-name=a\n");
  try {
    (void)read_network_scripts(root);
    FAIL("two files of one name were read");
  } catch (const Error& e) {
    CHECK(contains(e.what(), "system-connections/ifcfg-a.nmconnection: a file of the same name is in "));
    CHECK(contains(e.what(), "network-scripts/ifcfg-a.nmconnection"));
  }
}
