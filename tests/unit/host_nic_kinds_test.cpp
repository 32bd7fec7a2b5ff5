// Issue 15, point 5 (ifcfg): a host NIC left to guests may be a plain NIC, a VLAN, a bond or
// a team. Its kind is read from its ifcfg as NetworkManager's ifcfg-rh reader reads it (the
// real-world corpus, read in place, and the hand-written files of tests/data/host-nic-kinds);
// `config: unconfigured` makes every kind "up, no address" without touching its type,
// parent, bonding, team or port keys; the spec's kind/parent/id against the files.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <set>

#include "files/dir_source.hpp"
#include "netconf/format.hpp"
#include "netconf/ifcfg/ifcfg_file.hpp"
#include "netconf/ifcfg/ifcfg_format.hpp"
#include "observe/nic_info.hpp"
#include "spec/loader.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using namespace mvt::test;

namespace {

const netconf::Format& fmt() { return netconf::default_format(); }

FileState state(const fs::path& p, const std::string& name) {
  FileState f;
  f.path = std::string(ifcfg::kDir) + "/" + name;
  f.bytes = read_file(p);
  f.origin = p.string();
  return f;
}

// Every file of tests/data/host-nic-kinds (ifcfg-*), as a host's network-scripts.
NetworkScripts fixtures() {
  NetworkScripts out;
  for (const auto& e : fs::directory_iterator(source_dir() / "tests/data/host-nic-kinds")) {
    const std::string n = e.path().filename().string();
    if (n.rfind("ifcfg-", 0) == 0) out[n] = state(e.path(), n);
  }
  return out;
}

netconf::HostNicWant want(const std::string& nic) {
  netconf::HostNicWant w;
  w.host = "kvm1";
  w.nic = nic;
  return w;
}

struct Edit {
  std::vector<netconf::FileEdit> edits;
  Diagnostics diags;
};

Edit edit(const netconf::HostNicWant& w, const NetworkScripts& files) {
  Edit e;
  e.edits = fmt().host_nic_edits(w, nullptr, files, "host kvm1", e.diags);
  return e;
}

std::optional<std::string> key(const std::string& text, const std::string& k) {
  return ifcfg::File::parse(text).get(k);
}

bool has_rule(const Diagnostics& d, const std::string& rule) {
  for (const auto& x : d.items())
    if (x.rule == rule) return true;
  return false;
}

std::string messages(const Diagnostics& d) {
  std::string s;
  for (const auto& x : d.items()) s += x.rule + ": " + x.message + "\n";
  return s;
}

// The edit leaves every key of `before` the tool does not manage for an unconfigured NIC as
// it was (values compared decoded, so quoting cannot hide a change).
void check_kind_keys_kept(const std::string& before, const std::string& after) {
  static const std::set<std::string> managed = {
      "NAME", "DEVICE", "ONBOOT", "BOOTPROTO", "DEFROUTE", "PEERDNS", "PEERROUTES",
      "IPV4_FAILURE_FATAL", "IPV6INIT", "IPV6_AUTOCONF", "IPV6_DEFROUTE", "IPV6_PEERDNS",
      "IPV6_PEERROUTES", "IPV6_FAILURE_FATAL", "UUID", "IPADDR", "PREFIX", "NETMASK", "GATEWAY",
      "IPADDR0", "PREFIX0", "NETMASK0", "GATEWAY0"};
  const auto b = ifcfg::File::parse(before);
  const auto a = ifcfg::File::parse(after);
  for (const auto& k : b.keys()) {
    if (managed.count(k) || k.rfind("DNS", 0) == 0) continue;
    INFO("key ", k);
    CHECK(a.has(k));
    CHECK(a.get(k) == b.get(k));
  }
  CHECK_FALSE(a.has("HWADDR") != b.has("HWADDR"));
  if (!b.has("TYPE")) CHECK_FALSE(a.has("TYPE"));
}

}  // namespace

TEST_CASE("host NIC kinds: the kind, parent, VLAN id and port of each hand-written file" *
          doctest::test_suite("host-nic-kinds")) {
  Diagnostics d;
  const auto devs = fmt().read(fixtures(), "host kvm1", d);
  INFO(messages(d));
  CHECK_FALSE(d.has_errors());
  std::map<std::string, const netconf::DeviceConfig*> by;
  for (const auto& x : devs) by[x.device] = &x;
  REQUIRE(by.count("bond0.100"));
  CHECK(by["bond0.100"]->kind == NicKind::Vlan);
  CHECK(by["bond0.100"]->parent == "bond0");
  CHECK(by["bond0.100"]->vlan_id == 100);  // from the name PARENT.ID
  CHECK_FALSE(by["bond0.100"]->ethernet);
  CHECK_FALSE(by["bond0.100"]->unconfigured);  // it has an address
  CHECK(by["bond0"]->kind == NicKind::Bond);
  CHECK(by["team0"]->kind == NicKind::Team);
  CHECK_FALSE(by["team0"]->unconfigured);  // not brought up: a team that does not exist
  CHECK(by["em3"]->kind == NicKind::Ethernet);
  CHECK(by["em3"]->port_of == "bond0");
  REQUIRE(by.count("em2.300"));
  CHECK(by["em2.300"]->files.front() == "ifcfg-guests");
  CHECK(by["em2.300"]->kind == NicKind::Vlan);
  CHECK(by["em2.300"]->parent == "em2");
  CHECK(by["em2.300"]->vlan_id == 300);
  CHECK(by["em2.300"]->unconfigured);  // up, no address
  CHECK_FALSE(by["br0"]->kind.has_value());
}

TEST_CASE("host NIC kinds: the corpus's VLAN, bond and team files are read as "
          "NetworkManager reads them" * doctest::test_suite("host-nic-kinds")) {
  const fs::path root = corpus_dir();
  if (root.empty() || !fs::exists(root / "ifcfg-rh")) {
    MESSAGE("SKIPPED: corpus not found (set MVT_CORPUS_DIR)");
    return;
  }
  struct Want {
    std::string device;
    std::optional<NicKind> kind;
    std::string parent;
    std::optional<int> id;
    std::string port_of;
  };
  const std::map<std::string, Want> cases = {
      {"ifcfg-test-vlan-interface", {"vlan43", NicKind::Vlan, "eth9", 43, ""}},
      {"ifcfg-test-vlan-physdev", {"vlan0.3", NicKind::Vlan, "eth0", 3, ""}},
      {"ifcfg-test-vlan-only-device", {"eth0.9", NicKind::Vlan, "eth0", 9, ""}},
      {"ifcfg-test-vlan-only-vlanid", {"eth9.43", NicKind::Vlan, "eth9", 43, ""}},
      {"ifcfg-test-vlan-vlanid-use", {"eth0.9", NicKind::Vlan, "eth0", 10, ""}},
      {"ifcfg-test-vlan-trailing-spaces", {"vlan201", NicKind::Vlan, "enccw0.0.fb00", 201, ""}},
      {"ifcfg-team-port-enp31s0f1-142.cexpected", {"enp31s0f1-142", NicKind::Vlan, "enp31s0f1", 142, "team142"}},
      {"ifcfg-test-bond-main", {"bond0", NicKind::Bond, "", std::nullopt, ""}},
      {"ifcfg-test-bond-eth-type", {"bond0", NicKind::Bond, "", std::nullopt, ""}},
      {"ifcfg-Test_Write_Bond_Main.cexpected", {"bond0", NicKind::Bond, "", std::nullopt, ""}},
      {"ifcfg-test-bond-port", {"eth0", NicKind::Ethernet, "", std::nullopt, "bond99"}},
      {"ifcfg-test-bond-port-bond0", {"eth0", NicKind::Ethernet, "", std::nullopt, "bond0"}},
      {"ifcfg-test-team-controller-1", {"team0", NicKind::Team, "", std::nullopt, ""}},
      {"ifcfg-test-team-port-1", {"p4p1", NicKind::Ethernet, "", std::nullopt, "team0"}},
      {"ifcfg-test-bridge-main", {"br0", std::nullopt, "", std::nullopt, ""}},
  };
  int read = 0;
  for (const auto& [name, w] : cases) {
    const fs::path p = root / "ifcfg-rh" / name;
    if (!fs::exists(p)) {
      MESSAGE("corpus file missing: " << p.string());
      continue;
    }
    INFO("corpus file ", name);
    NetworkScripts files;
    files[name] = state(p, name);
    Diagnostics d;
    const auto devs = fmt().read(files, "", d);
    REQUIRE(devs.size() == 1);
    const auto& x = devs[0];
    CHECK(x.device == w.device);
    CHECK(x.kind == w.kind);
    CHECK(x.parent == w.parent);
    CHECK(x.vlan_id == w.id);
    CHECK(x.port_of == w.port_of);
    ++read;
  }
  CHECK(read >= 12);
  MESSAGE("read " << read << " corpus VLAN/bond/team/bridge files");
}

TEST_CASE("host NIC kinds: every corpus VLAN, bond and team made unconfigured keeps its kind "
          "keys and is up with no address" * doctest::test_suite("host-nic-kinds")) {
  const fs::path root = corpus_dir();
  if (root.empty() || !fs::exists(root / "ifcfg-rh")) {
    MESSAGE("SKIPPED: corpus not found (set MVT_CORPUS_DIR)");
    return;
  }
  int edited = 0;
  for (const auto& e : fs::directory_iterator(root / "ifcfg-rh")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("ifcfg-", 0) != 0) continue;
    NetworkScripts files;
    files[name] = state(e.path(), name);
    Diagnostics rd;
    const auto devs = fmt().read(files, "", rd);
    if (devs.size() != 1 || rd.has_errors() || !devs[0].kind || *devs[0].kind == NicKind::Ethernet ||
        !devs[0].port_of.empty() || !devs[0].unsafe_keys.empty())
      continue;
    INFO("corpus file ", name);
    const std::string before = *files[name].bytes;
    auto r = edit(want(devs[0].device), files);
    INFO(messages(r.diags));
    if (has_rule(r.diags, "file.not-assignments")) continue;  // not plain assignments: left alone
    CHECK_FALSE(r.diags.has_errors());
    REQUIRE(r.edits.size() == 1);
    const std::string& after = r.edits[0].after;
    check_kind_keys_kept(before, after);
    CHECK(ifcfg::File::parse(after).get_bool("ONBOOT") == true);
    CHECK_FALSE(ifcfg::File::parse(after).has("IPADDR"));
    CHECK(ifcfg::File::parse(after).bootproto() != std::optional<std::string>("dhcp"));
    // Applying twice changes nothing the second time.
    files[name].bytes = after;
    CHECK(edit(want(devs[0].device), files).edits.empty());
    ++edited;
  }
  CHECK(edited >= 10);
  MESSAGE("made " << edited << " corpus VLAN/bond/team files unconfigured");
}

TEST_CASE("host NIC kinds: bond0.100 (VLAN=yes PHYSDEV=bond0) stays a VLAN that comes up" *
          doctest::test_suite("host-nic-kinds")) {
  // The introduction: planned as ONBOOT: yes -> no plus TYPE=Ethernet, the VLAN
  // would not exist after the next reboot.
  const auto files = fixtures();
  for (bool declared : {false, true}) {
    INFO("kind declared in the spec: ", declared);
    auto w = want("bond0.100");
    if (declared) {
      w.kind = NicKind::Vlan;
      w.parent = "bond0";
      w.vlan_id = 100;
    }
    auto r = edit(w, files);
    INFO(messages(r.diags));
    CHECK_FALSE(r.diags.has_errors());
    REQUIRE(r.edits.size() == 1);
    const auto& e = r.edits[0];
    CHECK(e.name == "ifcfg-bond0.100");
    CHECK(e.action == netconf::FileAction::Update);
    for (const auto& f : e.fields) {
      INFO("field ", f.field);
      CHECK(f.field != "ONBOOT");
      CHECK(f.field != "TYPE");
      CHECK(f.field != "VLAN");
      CHECK(f.field != "PHYSDEV");
      CHECK(f.field != "HWADDR");
    }
    CHECK(key(e.after, "ONBOOT") == "yes");
    CHECK(key(e.after, "VLAN") == "yes");
    CHECK(key(e.after, "PHYSDEV") == "bond0");
    CHECK_FALSE(key(e.after, "TYPE"));
    CHECK_FALSE(key(e.after, "VLAN_ID"));
    CHECK_FALSE(key(e.after, "IPADDR"));
    CHECK_FALSE(key(e.after, "PREFIX"));
    CHECK(key(e.after, "BOOTPROTO") == "none");
    CHECK(key(e.after, "IPV6INIT") == "no");
    CHECK(key(e.after, "NM_CONTROLLED") == "yes");
    CHECK(e.after.rfind("# VLAN 100 on bond0: the guests' segment\n", 0) == 0);
  }
}

TEST_CASE("host NIC kinds: a bond and a team come up without an address, their bonding and "
          "team keys and their ports untouched" * doctest::test_suite("host-nic-kinds")) {
  const auto files = fixtures();
  auto b = edit(want("bond0"), files);
  INFO(messages(b.diags));
  REQUIRE(b.edits.size() == 1);
  CHECK(b.edits[0].name == "ifcfg-bond0");
  check_kind_keys_kept(*files.at("ifcfg-bond0").bytes, b.edits[0].after);
  CHECK(key(b.edits[0].after, "BOOTPROTO") == "none");
  CHECK(key(b.edits[0].after, "ONBOOT") == "yes");
  CHECK(key(b.edits[0].after, "TYPE") == "Bond");
  CHECK(key(b.edits[0].after, "BONDING_OPTS") == "mode=802.3ad miimon=100 lacp_rate=fast");

  auto t = edit(want("team0"), files);
  REQUIRE(t.edits.size() == 1);
  check_kind_keys_kept(*files.at("ifcfg-team0").bytes, t.edits[0].after);
  CHECK(key(t.edits[0].after, "ONBOOT") == "yes");  // was no: a team not brought up carries no guest
  CHECK(key(t.edits[0].after, "DEVICETYPE") == "Team");
  CHECK_FALSE(key(t.edits[0].after, "TYPE"));

  // A VLAN whose file has another name is edited where it is.
  auto g = edit(want("em2.300"), files);
  INFO(messages(g.diags));
  CHECK_FALSE(g.diags.has_errors());
  REQUIRE(g.edits.size() == 1);
  CHECK(g.edits[0].name == "ifcfg-guests");
  CHECK(key(g.edits[0].after, "NAME") == "guests");
  CHECK(key(g.edits[0].after, "DEVICE") == "em2.300");
  check_kind_keys_kept(*files.at("ifcfg-guests").bytes, g.edits[0].after);
}

TEST_CASE("host NIC kinds: a spec kind, parent or id that contradicts the files is an error "
          "naming both" * doctest::test_suite("host-nic-kinds")) {
  const auto files = fixtures();
  Positions pos;
  pos["kind"] = SourcePos{FileName("spec.yaml"), 7, 30};
  pos["parent"] = SourcePos{FileName("spec.yaml"), 7, 44};
  pos["id"] = SourcePos{FileName("spec.yaml"), 7, 57};
  const std::string file = (source_dir() / "tests/data/host-nic-kinds/ifcfg-bond0.100").string();

  auto w = want("bond0.100");
  w.pos = &pos;
  w.kind = NicKind::Bond;
  auto r = edit(w, files);
  CHECK(r.edits.empty());
  REQUIRE(r.diags.items().size() == 1);
  const auto& k = r.diags.items()[0];
  CHECK(k.rule == "host-nic.kind-differs");
  CHECK(k.pos.line == 7);
  CHECK(k.pos.column == 30);
  CHECK(k.message == "host kvm1: NIC bond0.100: the spec says kind: bond, its file " + file +
                         ":3 configures a VLAN (vlan); macvtapctl never changes a NIC's kind: fix "
                         "the spec or the file");

  w.kind = NicKind::Vlan;
  w.parent = "em1";
  w.vlan_id = 200;
  r = edit(w, files);
  CHECK(r.edits.empty());
  CHECK(has_rule(r.diags, "host-nic.parent-differs"));
  CHECK(has_rule(r.diags, "host-nic.vlan-id-differs"));
  CHECK(messages(r.diags).find("the spec says parent: em1, its file " + file + ":4 says bond0") !=
        std::string::npos);
  // The id comes from the name (no VLAN_ID): the DEVICE line is named.
  CHECK(messages(r.diags).find("the spec says id: 200, its file " + file + ":2 says 100") !=
        std::string::npos);

  // A bond's port, and a bridge, are no macvtap lower devices.
  r = edit(want("em3"), files);
  CHECK(r.edits.empty());
  CHECK(has_rule(r.diags, "host-nic.port"));
  CHECK(messages(r.diags).find("NIC em3 is a port of bond0") != std::string::npos);
  r = edit(want("br0"), files);
  CHECK(r.edits.empty());
  CHECK(has_rule(r.diags, "host-nic.kind-unsupported"));
}

TEST_CASE("host NIC kinds: new files keep what the spec says the NIC is" *
          doctest::test_suite("host-nic-kinds")) {
  const NetworkScripts none;
  auto w = want("em2.100");
  w.kind = NicKind::Vlan;
  w.parent = "em2";
  w.vlan_id = 100;
  w.mac = MacAddress::parse("18:66:da:9f:96:d7");
  auto r = edit(w, none);
  INFO(messages(r.diags));
  REQUIRE(r.edits.size() == 1);
  const std::string& v = r.edits[0].after;
  CHECK(r.edits[0].action == netconf::FileAction::Create);
  CHECK(r.edits[0].name == "ifcfg-em2.100");
  CHECK(v.rfind("# Managed by macvtapctl", 0) == 0);
  CHECK(v.find("NAME=em2.100\nDEVICE=em2.100\nVLAN=yes\nTYPE=Vlan\nPHYSDEV=em2\nVLAN_ID=100\n"
               "ONBOOT=yes\nBOOTPROTO=none\n") != std::string::npos);
  CHECK_FALSE(key(v, "HWADDR"));  // a VLAN's MAC is its parent's
  CHECK(key(v, "UUID") == ifcfg::host_nic_uuid("kvm1", "em2.100"));

  w = want("bond1");
  w.kind = NicKind::Bond;
  r = edit(w, none);
  REQUIRE(r.edits.size() == 1);
  CHECK(r.edits[0].after.find("DEVICE=bond1\nTYPE=Bond\nBONDING_MASTER=yes\nONBOOT=yes\n") !=
        std::string::npos);
  w = want("team1");
  w.kind = NicKind::Team;
  r = edit(w, none);
  REQUIRE(r.edits.size() == 1);
  CHECK(r.edits[0].after.find("DEVICE=team1\nDEVICETYPE=Team\nONBOOT=yes\n") != std::string::npos);

  // Each new file reads back as the kind it was made for, and re-planning changes nothing.
  for (const auto& [nic, k] : {std::pair<std::string, NicKind>{"bond1", NicKind::Bond},
                               std::pair<std::string, NicKind>{"team1", NicKind::Team}}) {
    auto wk = want(nic);
    wk.kind = k;
    auto made = edit(wk, none);
    REQUIRE(made.edits.size() == 1);
    NetworkScripts files;
    FileState st;
    st.path = std::string(ifcfg::kDir) + "/ifcfg-" + nic;
    st.bytes = made.edits[0].after;
    st.origin = "ifcfg-" + nic;
    files["ifcfg-" + nic] = st;
    Diagnostics d;
    const auto devs = fmt().read(files, "", d);
    REQUIRE(devs.size() == 1);
    CHECK(devs[0].kind == k);
    CHECK(devs[0].unconfigured);
    CHECK(edit(wk, files).edits.empty());
  }
}

TEST_CASE("host NIC kinds: a NIC without a file whose kind cannot be told is an error" *
          doctest::test_suite("host-nic-kinds")) {
  const NetworkScripts none;
  // Named like a VLAN, no kind: not silently made a plain NIC.
  auto r = edit(want("em2.100"), none);
  CHECK(r.edits.empty());
  CHECK(has_rule(r.diags, "host-nic.kind-needed"));
  CHECK(messages(r.diags).find("its name reads as a VLAN (PARENT.ID)") != std::string::npos);
  // The host says it is a bond.
  auto w = want("uplink");
  w.live_kind = "bond";
  r = edit(w, none);
  CHECK(r.edits.empty());
  CHECK(messages(r.diags).find("the host reports it as a bond device") != std::string::npos);
  // A new VLAN file needs parent and id.
  w = want("em2.100");
  w.kind = NicKind::Vlan;
  r = edit(w, none);
  CHECK(r.edits.empty());
  CHECK(has_rule(r.diags, "host-nic.vlan-needs-parent-id"));
  // A plain NIC with no file: the procedure's file, as before.
  r = edit(want("em2"), none);
  REQUIRE(r.edits.size() == 1);
  CHECK(key(r.edits[0].after, "ONBOOT") == "no");
  CHECK(key(r.edits[0].after, "TYPE") == "Ethernet");
}

TEST_CASE("host NIC kinds: the spec's kind, parent and id are decoded with their positions" *
          doctest::test_suite("host-nic-kinds")) {
  const fs::path p = source_dir() / "tests/data/spec-good/nic-kinds.yaml";
  const auto r = spec::load({p.string()});
  CHECK_FALSE(r.diagnostics.has_errors());
  const auto& nics = r.topology.hosts.at("kvm1").nics;
  const HostNic& v = nics.at("em2.100");
  CHECK(v.kind == NicKind::Vlan);
  CHECK(v.parent == "em2");
  CHECK(v.vlan_id == 100);
  CHECK(pos_of(v.pos, "kind").line == 10);
  CHECK(pos_of(v.pos, "parent").line == 10);
  CHECK(pos_of(v.pos, "id").line == 10);
  CHECK_FALSE(nics.at("bond0.200").kind.has_value());  // detected from the host's file
  CHECK(nics.at("bond1").kind == NicKind::Bond);
  CHECK(nics.at("team0").kind == NicKind::Team);
  CHECK(nics.at("em1").kind == NicKind::Ethernet);
  CHECK(nics.at("em1").config == NicConfig::Host);
}

TEST_CASE("host NIC kinds: the kernel's kind and a VLAN's parent from sysfs" *
          doctest::test_suite("host-nic-kinds")) {
  // A sysfs-shaped tree as the kernel lays it out: uevent's DEVTYPE, a VLAN's lower_<dev>.
  TempDir sys;
  const fs::path net = sys.path() / "sys/class/net";
  auto nic = [&](const std::string& n, const std::string& uevent) {
    fs::create_directories(net / n);
    write_file(net / n / "address", "18:66:da:9f:96:d7\n");
    write_file(net / n / "operstate", "up\n");
    write_file(net / n / "uevent", uevent);
  };
  nic("em2", "INTERFACE=em2\nIFINDEX=3\n");
  nic("em2.100", "DEVTYPE=vlan\nINTERFACE=em2.100\nIFINDEX=7\n");
  fs::create_directory_symlink("../em2", net / "em2.100/lower_em2");
  nic("bond0", "DEVTYPE=bond\nINTERFACE=bond0\nIFINDEX=8\n");
  nic("team0", "DEVTYPE=team\nINTERFACE=team0\nIFINDEX=9\n");
  auto got = nics_from_sysfs({"em2", "em2.100", "bond0", "team0"}, net.string());
  REQUIRE(got.size() == 4);
  CHECK(got.at("em2").kind == "");
  CHECK(got.at("em2.100").kind == "vlan");
  CHECK(got.at("em2.100").parent == "em2");
  CHECK(got.at("bond0").kind == "bond");
  CHECK(got.at("team0").kind == "team");

  // The same files under a host's file source (a mirror): the kind, no parent (no listing).
  DirSource fa(sys.path(), {}, true);
  auto mirrored = nics_from_files(fa, {"em2.100", "bond0"});
  REQUIRE(mirrored.size() == 2);
  CHECK(mirrored.at("em2.100").kind == "vlan");
  CHECK(mirrored.at("bond0").kind == "bond");
}
