// Issue 15, points 4 and 5 in the keyfile format: a hypervisor's NetworkManager profiles of
// every kind, made by the real NetworkManager 1.42 (tests/data/host-nic-kinds/keyfile, see its
// COMMANDS.txt: tests/data/keyfile/generate.sh --host), made `config: unconfigured`: up with
// no address (autoconnect, both methods disabled) and nothing of their kind touched; and
// NetworkManager itself loads every profile the tool wrote (generate.sh --check, isolated).
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "netconf/format.hpp"
#include "netconf/ifcfg/ifcfg_format.hpp"
#include "netconf/keyfile/keyfile_format.hpp"
#include "netconf_keyfile_support.hpp"

using namespace mvt;
using mvt::test::contains;
namespace fs = std::filesystem;

namespace {

const netconf::Format& kf() { return keyfile::format(); }

NetworkScripts host_profiles() {
  NetworkScripts files;
  for (const auto& e : fs::directory_iterator(test::source_dir() / "tests/data/host-nic-kinds/keyfile"))
    if (e.path().extension() == ".nmconnection") {
      const std::string n = e.path().filename().string();
      files[n] = test::keyfile_state(n, test::read_file(e.path()));
    }
  REQUIRE(files.size() == 7);
  return files;
}

netconf::HostNicWant want(const std::string& nic, std::optional<NicKind> kind = std::nullopt,
                          const std::string& parent = "", std::optional<int> id = std::nullopt) {
  netconf::HostNicWant w;
  w.host = "kvm1";
  w.nic = nic;
  w.kind = kind;
  w.parent = parent;
  w.vlan_id = id;
  return w;
}

std::vector<netconf::FileEdit> edits(const netconf::HostNicWant& w, const NetworkScripts& files,
                                     Diagnostics& d) {
  return kf().host_nic_edits(w, nullptr, files, "host kvm1", d);
}

std::string rules(const Diagnostics& d) {
  std::string s;
  for (const auto& i : d.items()) s += i.rule + " ";
  return s;
}

}  // namespace

TEST_CASE("host NIC kinds, keyfile: NetworkManager's profiles read as their kinds" *
          doctest::test_suite("netconf")) {
  Diagnostics d;
  const auto devs = kf().read(host_profiles(), "host kvm1", d);
  CHECK_FALSE(d.has_errors());
  std::map<std::string, const netconf::DeviceConfig*> by;
  for (const auto& x : devs) by[x.device] = &x;
  REQUIRE(by.size() == 7);
  CHECK(by["bond0"]->kind == NicKind::Bond);
  CHECK(by["bond0"]->unconfigured);  // both methods disabled, autoconnect by default
  CHECK(by["bond0.100"]->kind == NicKind::Vlan);
  CHECK(by["bond0.100"]->parent == "bond0");
  CHECK(by["bond0.100"]->vlan_id == 100);
  CHECK_FALSE(by["bond0.100"]->unconfigured);
  CHECK(by["em2.200"]->kind == NicKind::Vlan);
  CHECK(by["em2.200"]->parent == "em2");
  CHECK(by["em2.200"]->vlan_id == 200);
  CHECK(by["team0"]->kind == NicKind::Team);
  CHECK(by["em3"]->kind == NicKind::Ethernet);
  CHECK(by["em3"]->port_of == "bond0");
  CHECK(pos_of(by["em3"]->pos, "port").line == 6);
  CHECK(by["em2"]->kind == NicKind::Ethernet);
  CHECK(by["em2"]->mac == MacAddress::parse("18:66:da:9f:96:d7"));
}

TEST_CASE("host NIC kinds, keyfile: unconfigured is up with no address, and the kind's keys "
          "stay" * doctest::test_suite("netconf")) {
  const auto files = host_profiles();
  SUBCASE("the VLAN on the bond (the issue's bond0.100): address gone, methods disabled") {
    Diagnostics d;
    const auto e = edits(want("bond0.100"), files, d);
    CHECK_FALSE(d.has_errors());
    REQUIRE(e.size() == 1);
    CHECK(e[0].name == "bond0.100.nmconnection");
    CHECK(e[0].action == netconf::FileAction::Update);
    CHECK(e[0].nic_kind == NicKind::Vlan);
    CHECK(e[0].mode == 0600);
    CHECK(e[0].enforce_mode);
    CHECK(contains(e[0].after, "type=vlan\n"));
    CHECK(contains(e[0].after, "[vlan]\nflags=1\nid=100\nparent=bond0\n"));
    CHECK(contains(e[0].after, "[ipv4]\nmethod=disabled\n"));
    CHECK(contains(e[0].after, "[ipv6]\naddr-gen-mode=default\nmethod=disabled\n"));
    CHECK_FALSE(contains(e[0].after, "198.51.100.2"));
    CHECK_FALSE(contains(e[0].after, "autoconnect"));  // true by default: not written
  }
  SUBCASE("the bond, already disabled: no edit; its options stay") {
    Diagnostics d;
    CHECK(edits(want("bond0", NicKind::Bond), files, d).empty());
    CHECK_FALSE(d.has_errors());
  }
  SUBCASE("the team, not brought up at boot: autoconnect on, its runner kept") {
    Diagnostics d;
    const auto e = edits(want("team0"), files, d);
    REQUIRE(e.size() == 1);
    CHECK(contains(e[0].after, "autoconnect=true\n"));
    CHECK(contains(e[0].after, "config={\"runner\": {\"name\": \"activebackup\"}}\n"));
    CHECK(contains(e[0].after, "[ipv4]\nmethod=disabled\n"));
  }
  SUBCASE("a plain NIC with DHCP: disabled, its MAC pin kept") {
    Diagnostics d;
    auto w = want("em2");
    w.mac = MacAddress::parse("18:66:da:9f:96:d7");
    const auto e = edits(w, files, d);
    REQUIRE(e.size() == 1);
    CHECK(contains(e[0].after, "mac-address=18:66:DA:9F:96:D7\n"));
    CHECK(contains(e[0].after, "[ipv4]\nmethod=disabled\n"));
  }
  SUBCASE("a port of the bond cannot carry guests: an error naming the bond") {
    Diagnostics d;
    CHECK(edits(want("em3"), files, d).empty());
    CHECK(rules(d) == "host-nic.port ");
    CHECK(contains(d.items()[0].message, "is a port of bond0"));
  }
  SUBCASE("a spec that contradicts the profile: an error, no edit") {
    Diagnostics d;
    CHECK(edits(want("em2.200", NicKind::Vlan, "em2", 300), files, d).empty());
    CHECK(rules(d) == "host-nic.vlan-id-differs ");
    Diagnostics b;
    CHECK(edits(want("team0", NicKind::Bond), files, b).empty());
    CHECK(rules(b) == "host-nic.kind-differs ");
  }
  SUBCASE("two profiles for one NIC: an error naming both") {
    auto two = files;
    two["other.nmconnection"] = test::keyfile_state(
        "other.nmconnection", "[connection]\nid=other\ntype=vlan\ninterface-name=bond0.100\n"
                              "[vlan]\nparent=bond0\nid=100\n");
    Diagnostics d;
    CHECK(edits(want("bond0.100"), two, d).empty());
    CHECK(rules(d) == "keyfile.several-profiles ");
    CHECK(contains(d.items()[0].message, "bond0.100.nmconnection, other.nmconnection"));
  }
}

TEST_CASE("host NIC kinds, keyfile: new profiles keep what the spec says the NIC is" *
          doctest::test_suite("netconf")) {
  Diagnostics d;
  auto eth = want("em1");
  eth.mac = MacAddress::parse("18:66:da:9f:96:d6");
  const auto e = edits(eth, {}, d);
  REQUIRE(e.size() == 1);
  CHECK(e[0].action == netconf::FileAction::Create);
  CHECK(e[0].name == "em1.nmconnection");
  CHECK(contains(e[0].after, "uuid=" + ifcfg::host_nic_uuid("kvm1", "em1") + "\n"));
  CHECK(contains(e[0].after, "type=ethernet\ninterface-name=em1\nautoconnect=true\n"));
  CHECK(contains(e[0].after, "[ethernet]\nmac-address=18:66:DA:9F:96:D6\n"));
  const auto v = edits(want("vlan300", NicKind::Vlan, "em1", 300), {}, d);
  REQUIRE(v.size() == 1);
  CHECK(contains(v[0].after, "type=vlan\n"));
  CHECK(contains(v[0].after, "[vlan]\nparent=em1\nid=300\n"));
  const auto b = edits(want("bond1", NicKind::Bond), {}, d);
  REQUIRE(b.size() == 1);
  CHECK(contains(b[0].after, "[bond]\nmode=balance-rr\n"));
  CHECK_FALSE(d.has_errors());
  Diagnostics t;
  CHECK(edits(want("team1", NicKind::Team), {}, t).empty());
  CHECK(rules(t) == "keyfile.new-team ");
  Diagnostics n;
  CHECK(edits(want("em2.300"), {}, n).empty());  // reads as a VLAN: needs kind
  CHECK(rules(n) == "host-nic.kind-needed ");
}

TEST_CASE("host NIC kinds, keyfile: NetworkManager 1.42 loads every profile the tool writes, "
          "up with no address" * doctest::test_suite("netconf")) {
  const auto files = host_profiles();
  test::TempDir tmp;
  Diagnostics d;
  auto put = [&](const std::vector<netconf::FileEdit>& e) {
    REQUIRE(e.size() == 1);
    test::write_file(tmp.path() / e[0].name, e[0].after);
  };
  put(edits(want("bond0.100"), files, d));
  put(edits(want("team0"), files, d));
  auto em2 = want("em2");
  em2.mac = MacAddress::parse("18:66:da:9f:96:d7");
  put(edits(em2, files, d));
  put(edits(want("vlan300", NicKind::Vlan, "em1", 300), {}, d));
  put(edits(want("bond1", NicKind::Bond), {}, d));
  REQUIRE_FALSE(d.has_errors());
  const auto checked = test::nm_check(tmp.path(), "");
  if (!checked) return;  // NetworkManager cannot run here (said loudly)
  const auto& nm = *checked;
  REQUIRE(nm.size() == 5);  // a profile NetworkManager refused would be missing
  for (const auto& [file, props] : nm) {
    CAPTURE(file);
    CHECK(props.at("connection.autoconnect") == "yes");
    CHECK(props.at("ipv4.method") == "disabled");
    CHECK(props.at("ipv6.method") == "disabled");
    CHECK(props.at("ipv4.addresses") == "");
  }
  CHECK(nm.at("bond0.100.nmconnection").at("vlan.parent") == "bond0");
  CHECK(nm.at("bond0.100.nmconnection").at("vlan.id") == "100");
  CHECK(nm.at("vlan300.nmconnection").at("vlan.parent") == "em1");
  CHECK(nm.at("vlan300.nmconnection").at("vlan.id") == "300");
  CHECK(nm.at("vlan300.nmconnection").at("connection.uuid") == ifcfg::host_nic_uuid("kvm1", "vlan300"));
  CHECK(contains(nm.at("bond1.nmconnection").at("bond.options"), "mode=balance-rr"));
  CHECK(contains(nm.at("team0.nmconnection").at("team.config"), "activebackup"));
  CHECK(nm.at("em2.nmconnection").at("802-3-ethernet.mac-address") == "18:66:DA:9F:96:D7");
}
