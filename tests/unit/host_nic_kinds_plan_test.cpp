// Issue 15, point 5, through the binary: the introduction's `direct.dev: bond0.100` with
// `config: unconfigured` is planned keeping the VLAN (VLAN=yes PHYSDEV=bond0, ONBOOT=yes, no
// TYPE=Ethernet); the live host's kinds (libvirt's interface API of the test driver, whose
// node file's <interface type='vlan|bond'> elements virConnectListAllInterfaces lists) are
// checked against the spec's.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt::test;

namespace {

// em1, the bond bond0 of em3 and em4, and the VLAN bond0.100 on it.
const std::string kNode = R"(<node>
  <domain type='test'>
    <name>web1</name>
    <uuid>8e1f3a2c-8d4e-4f6a-9b7c-0d1e2f3a4b52</uuid>
    <memory unit='KiB'>524288</memory>
    <os><type>hvm</type></os>
    <devices>
    </devices>
  </domain>
  <interface type='ethernet' name='em1'>
    <start mode='onboot'/>
    <mac address='18:66:da:9f:96:d6'/>
  </interface>
  <interface type='bond' name='bond0'>
    <start mode='onboot'/>
    <mac address='18:66:da:9f:96:e3'/>
    <bond mode='802.3ad'>
      <interface type='ethernet' name='em3'><mac address='18:66:da:9f:96:e3'/></interface>
      <interface type='ethernet' name='em4'><mac address='18:66:da:9f:96:e4'/></interface>
    </bond>
  </interface>
  <interface type='vlan' name='bond0.100'>
    <start mode='onboot'/>
    <vlan tag='100'><interface name='bond0'/></vlan>
  </interface>
</node>
)";

struct Case {
  TempDir dir;
  std::string spec;
  // keyfile: the host's NetworkManager profiles (tests/data/host-nic-kinds/keyfile, made by
  // NetworkManager) instead of its ifcfg files.
  explicit Case(const std::string& nic_line, const std::string& dev = "bond0.100",
                bool keyfile = false) {
    write_file(dir.path() / "node.xml", kNode);
    const fs::path scripts = dir.path() / "root/etc/sysconfig/network-scripts";
    fs::create_directories(scripts);
    if (keyfile) {
      const fs::path kf = dir.path() / "root/etc/NetworkManager/system-connections";
      fs::create_directories(kf);
      for (const char* f : {"bond0.100.nmconnection", "bond0.nmconnection",
                            "bond0-port-em3.nmconnection", "bond0-port-em4.nmconnection"}) {
        fs::copy_file(source_dir() / "tests/data/host-nic-kinds/keyfile" / f, kf / f);
        fs::permissions(kf / f, fs::perms(0600));
      }
    } else {
      for (const char* f : {"ifcfg-bond0.100", "ifcfg-bond0", "ifcfg-em3", "ifcfg-em4"})
        fs::copy_file(source_dir() / "tests/data/host-nic-kinds" / f, scripts / f);
    }
    spec = "version: 1\n"
           "hosts:\n"
           "  kvm1:\n"
           "    uri: test:node.xml\n"
           "    files: dir:root\n"
           "    nics:\n" +
           nic_line +
           "    guests:\n"
           "      web1:\n"
           "        interfaces:\n"
           "          - name: ens9\n"
           "            direct: {dev: " + dev + ", mode: bridge}\n"
           "            mac: \"52:54:00:5d:9c:33\"\n";
    write_file(dir.path() / "spec.yaml", spec);
  }
  RunResult run(const std::string& cmd, std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"--color", "never", cmd, "-f", (dir.path() / "spec.yaml").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(args);
  }
};

}  // namespace

TEST_CASE("host NIC kinds plan: bond0.100 stays a VLAN that comes up (the issue's introduction)" *
          doctest::test_suite("host-nic-kinds")) {
  for (const std::string line : {"      bond0.100: {config: unconfigured}\n",
                                 "      bond0.100: {config: unconfigured, kind: vlan, parent: bond0, id: 100}\n"}) {
    INFO("spec line: ", line);
    Case c(line);
    const auto r = c.run("plan", {"--detailed-exitcode"});
    INFO(r.out, r.err);
    CHECK(r.exit_code == 2);
    const auto at = r.out.find("host/kvm1/nic/bond0.100  (update file)");
    REQUIRE(at != std::string::npos);
    const std::string step = r.out.substr(at, r.out.find("\n  s0", at) - at);
    for (const char* k : {"ONBOOT", "TYPE", "HWADDR", "VLAN", "PHYSDEV", "VLAN_ID"}) {
      INFO("key ", k);
      CHECK_FALSE(contains(step, std::string("~ ") + k + ":"));
      CHECK_FALSE(contains(step, std::string("+ ") + k + " "));
      CHECK_FALSE(contains(step, std::string("- ") + k + " "));
    }
    CHECK(contains(step, "- IPADDR = \"203.0.113.5\""));
    CHECK(contains(step, "leaves the vlan to the guests, up with no address"));
    // Nothing else of the host is touched: the bond and its ports are not the spec's.
    CHECK_FALSE(contains(r.out, "nic/bond0 "));
    CHECK_FALSE(contains(r.out, "em3"));

    // The saved plan's new file keeps the VLAN keys.
    const fs::path out = c.dir.path() / "p.json";
    const auto j = c.run("plan", {"--format", "json", "-o", out.string()});
    INFO(j.err);
    const std::string json = read_file(out);
    CHECK(contains(json, "VLAN=yes\\nPHYSDEV=bond0\\nONBOOT=yes\\n"));
    CHECK_FALSE(contains(json, "TYPE=Ethernet"));
  }
}

TEST_CASE("host NIC kinds plan: the spec's kind against the file and the live host" *
          doctest::test_suite("host-nic-kinds")) {
  {
    Case c("      bond0.100: {config: unconfigured, kind: bond}\n");
    const auto r = c.run("plan");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "the spec says kind: bond, its file"));
    CHECK(contains(r.err, "ifcfg-bond0.100:3 configures a VLAN (vlan)"));
    // The kernel (libvirt's interface API) disagrees too.
    CHECK(contains(r.err, "the spec says kind: bond, the host reports a vlan device"));
  }
  {
    Case c("      bond0.100: {config: unconfigured, kind: vlan, parent: bond1, id: 100}\n");
    const auto r = c.run("plan");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "NIC bond0.100: its parent bond1 is not a NIC of the host"));
    CHECK(contains(r.err, "the spec says parent: bond1, the live VLAN's parent is bond0"));
  }
  {
    // A bond port as direct.dev.
    Case c("      em3: {config: unconfigured}\n", "em3");
    const auto r = c.run("plan");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "NIC em3 is a port of bond0"));
  }
  {
    // A VLAN the host does not have yet, on a parent it has: the message says how it comes.
    Case c("      bond0.200: {config: unconfigured, kind: vlan, parent: bond0, id: 200}\n", "bond0.200");
    const auto r = c.run("plan");
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "direct.dev bond0.200 is not a NIC of the host"));
    CHECK(contains(r.err, "it is a VLAN on bond0: the VLAN exists once its config brings it up"));
  }
}

TEST_CASE("host NIC kinds plan, keyfile: bond0.100's NetworkManager profile stays a VLAN that "
          "comes up, a port is refused" * doctest::test_suite("host-nic-kinds")) {
  for (const std::string line : {"      bond0.100: {config: unconfigured}\n",
                                 "      bond0.100: {config: unconfigured, kind: vlan, parent: bond0, id: 100}\n"}) {
    INFO("spec line: ", line);
    Case c(line, "bond0.100", true);
    const auto r = c.run("plan", {"--detailed-exitcode"});
    INFO(r.out, r.err);
    CHECK(r.exit_code == 2);
    const auto at = r.out.find("host/kvm1/nic/bond0.100  (update file)");
    REQUIRE(at != std::string::npos);
    const std::string step = r.out.substr(at, r.out.find("\n  s0", at) - at);
    CHECK(contains(step, "~ ipv4.method: \"manual\" -> \"disabled\""));
    CHECK(contains(step, "- ipv4.address1 = \"198.51.100.2/24\""));
    CHECK(contains(step, "~ ipv6.method: \"auto\" -> \"disabled\""));
    CHECK_FALSE(contains(step, "vlan."));
    CHECK_FALSE(contains(step, "connection.type"));
    CHECK_FALSE(contains(step, "connection.autoconnect"));
    CHECK(contains(step, "its NetworkManager profile leaves the vlan to the guests, up with no address"));
    CHECK_FALSE(contains(r.out, "nic/bond0 "));
    CHECK_FALSE(contains(r.out, "em3"));
    CHECK_FALSE(contains(r.out, "ifcfg-"));
  }
  // A port of the bond as direct.dev: the error names the bond and the profile's line.
  Case p("      em3: {config: unconfigured}\n", "em3", true);
  const auto r = p.run("plan");
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "NIC em3 is a port of bond0 ("));
  CHECK(contains(r.err, "bond0-port-em3.nmconnection:6)"));
}
