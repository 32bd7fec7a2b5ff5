// Live host NIC checks (issue 13, point 6): plan, drift and apply compare the spec with the
// NICs the host really has. Through the binary on libvirt's test driver, whose node file's
// <interface> elements are what virConnectListAllInterfaces lists (the real interface API);
// in process for what the test driver cannot show (a running guest's macvtap device, a NIC
// in passthrough, a NIC that is down, NICs read from a file source's sys/class/net).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "apply_test_support.hpp"
#include "diff/diff.hpp"
#include "diff/nic_checks.hpp"
#include "diff_fixtures.hpp"
#include "files/dir_source.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "observe/nic_info.hpp"
#include "stub_hypervisor.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using namespace mvt::test;

namespace {

// The live NICs of the node files below: em1, em2 and the host's own eth0.
const std::string kNics = R"(
  <interface type='ethernet' name='em1'>
    <start mode='onboot'/>
    <mac address='18:66:DA:9F:96:D6'/>
  </interface>
  <interface type='ethernet' name='em2'>
    <start mode='none'/>
    <mac address='18:66:da:9f:96:d7'/>
  </interface>
  <interface type='ethernet' name='eth0'>
    <start mode='onboot'/>
    <mac address='02:fc:00:00:00:01'/>
  </interface>)";

// A node with guest web1 (no interfaces yet) and `interfaces`.
std::string node_xml(const std::string& interfaces) {
  return R"(<node>
  <domain type='test'>
    <name>web1</name>
    <uuid>8e1f3a2c-8d4e-4f6a-9b7c-0d1e2f3a4b51</uuid>
    <memory unit='KiB'>524288</memory>
    <os><type>hvm</type></os>
    <devices>
    </devices>
  </domain>)" + interfaces + R"(
</node>
)";
}

// One host kvm1 (test:node.xml) with em1 and em2 and guest web1 with ens9 on `dev`.
struct Spec {
  std::string em2_mac = "18:66:da:9f:96:d7";
  std::string dev = "em2";
  std::string guest_mac = "52:54:00:5d:9c:33";
  std::string extra_nic;  // another line under nics
  std::string text() const {
    return "version: 1\n"
           "hosts:\n"
           "  kvm1:\n"
           "    uri: test:node.xml\n"
           "    nics:\n"
           "      em1: {config: host}\n"
           "      em2: {config: unconfigured, mac: \"" + em2_mac + "\"}\n" +
           extra_nic +
           "    guests:\n"
           "      web1:\n"
           "        interfaces:\n"
           "          - name: ens9\n"
           "            direct: {dev: " + dev + ", mode: private}\n"
           "            mac: \"" + guest_mac + "\"\n";
  }
};

// "spec.yaml:LINE:COL" of the first occurrence of `needle` on the line holding `line_with`.
std::string where(const fs::path& file, const std::string& text, const std::string& line_with,
                  const std::string& needle) {
  const auto at = text.find(line_with);
  REQUIRE(at != std::string::npos);
  const auto line_start = text.rfind('\n', at) + 1;
  const auto col = text.find(needle, at) - line_start + 1;
  const auto line = std::count(text.begin(), text.begin() + static_cast<long>(at), '\n') + 1;
  return file.string() + ":" + std::to_string(line) + ":" + std::to_string(col);
}

struct Case {
  TempDir dir;
  fs::path spec_path() const { return dir.path() / "spec.yaml"; }
  std::string spec;
  Case(const Spec& s, const std::string& interfaces = kNics) {
    write_file(dir.path() / "node.xml", node_xml(interfaces));
    spec = s.text();
    write_file(spec_path(), spec);
  }
  RunResult run(const std::string& cmd, std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"--color", "never", cmd, "-f", spec_path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(args);
  }
};

}  // namespace

TEST_CASE("nic checks: a valid spec plans as before, no NIC message" * doctest::test_suite("nic")) {
  Case c(Spec{});
  const auto r = c.run("plan", {"--detailed-exitcode"});
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("live-nic") == std::string::npos);
  CHECK(r.out.find("guest/web1/interface/ens9") != std::string::npos);
  CHECK(r.out.find("live NIC checks skipped") == std::string::npos);
  CHECK(r.out.find("is down") == std::string::npos);
}

TEST_CASE("nic checks: a direct.dev the host does not have is an error at its position" *
          doctest::test_suite("nic")) {
  Spec s;
  s.dev = "em9";
  s.extra_nic = "      em9: {config: unconfigured}\n";
  Case c(s);
  const auto out = c.dir.path() / "saved.plan";
  const auto r = c.run("plan", {"-o", out.string()});
  CHECK(r.exit_code == 1);
  // The host fails alone (issue 13): it is named, none of its steps is planned, and a saved
  // plan records it as not observed, with no step of it.
  CHECK(r.out.find("host kvm1: NOT OBSERVED") != std::string::npos);
  CHECK(r.out.find("guest/web1/interface/ens9") == std::string::npos);
  REQUIRE(fs::exists(out));
  CHECK(read_file(out).find("\"unobserved\"") != std::string::npos);
  CHECK(read_file(out).find("guest/web1/interface/ens9") == std::string::npos);
  const std::string pos = where(c.spec_path(), c.spec, "direct: {dev: em9", "em9");
  INFO(r.err);
  CHECK(r.err.find(pos + ": error: host kvm1: guest web1: interface ens9: direct.dev em9 is not "
                         "a NIC of the host (its NICs, read through libvirt's interface API: "
                         "em1, em2, eth0)") != std::string::npos);
  // One error for the NIC (the guest's line), not a second one for its declaration.
  CHECK(r.err.find("declared under nics") == std::string::npos);

  // drift plans the same way.
  const auto d = c.run("drift");
  CHECK(d.exit_code == 1);
  CHECK(d.err.find(pos + ": error: host kvm1: guest web1: interface ens9: direct.dev em9") !=
        std::string::npos);
}

TEST_CASE("nic checks: a declared NIC nothing uses must exist too" * doctest::test_suite("nic")) {
  Spec s;
  s.extra_nic = "      bond0.100: {config: host}\n";  // a VLAN on a bond: a NIC like any other
  Case c(s);
  const auto r = c.run("plan");
  CHECK(r.exit_code == 1);
  INFO(r.err);
  const std::string pos = where(c.spec_path(), c.spec, "bond0.100:", "bond0.100");
  CHECK(r.err.find(pos + ": error: host kvm1: NIC bond0.100 (declared under nics) is not a NIC "
                         "of the host (its NICs, read through libvirt's interface API: em1, "
                         "em2, eth0)") != std::string::npos);
}

TEST_CASE("nic checks: a spec NIC MAC other than the live one names both" *
          doctest::test_suite("nic")) {
  Spec s;
  s.em2_mac = "18:66:DA:9F:96:99";  // upper case in the spec: compared as a value
  Case c(s);
  const auto r = c.run("plan");
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("host kvm1: NOT OBSERVED") != std::string::npos);
  CHECK(r.out.find("guest/web1/interface/ens9") == std::string::npos);
  INFO(r.err);
  const std::string pos = where(c.spec_path(), c.spec, "em2: {config", "\"18:66");
  CHECK(r.err.find(pos + ": error: host kvm1: NIC em2: the spec gives MAC 18:66:da:9f:96:99, "
                         "the NIC's live MAC is 18:66:da:9f:96:d7 (read through libvirt's "
                         "interface API); its ifcfg would get a wrong HWADDR") !=
        std::string::npos);

  // The same MAC spelled differently is the same MAC.
  Spec same;
  same.em2_mac = "18-66-DA-9F-96-D7";
  Case ok(same);
  const auto r2 = ok.run("plan");
  INFO(r2.err);
  CHECK(r2.exit_code == 0);
  CHECK(r2.err.find("live-nic") == std::string::npos);
  CHECK(r2.err.find("error") == std::string::npos);
}

TEST_CASE("nic checks: a guest MAC equal to a live NIC MAC is an error" *
          doctest::test_suite("nic")) {
  // em1's MAC (the node file spells it in upper case); the spec does not declare it, so the
  // spec's own rule (mac.not-host-nic) cannot see it: only the live NICs can.
  Spec s;
  s.guest_mac = "18:66:da:9f:96:d6";
  Case c(s);
  const auto r = c.run("plan");
  CHECK(r.exit_code == 1);
  INFO(r.err);
  const std::string pos = where(c.spec_path(), c.spec, "mac: \"18:66:da:9f:96:d6", "\"18");
  CHECK(r.err.find(pos + ": error: host kvm1: guest web1: interface ens9: MAC "
                         "18:66:da:9f:96:d6 is the live MAC of the host's NIC em1; a macvtap "
                         "interface needs a MAC of its own, different from the host NIC's") !=
        std::string::npos);

  // Any NIC of the host, also one the spec never names (eth0).
  Spec s2;
  s2.guest_mac = "02:FC:00:00:00:01";
  Case c2(s2);
  const auto r2 = c2.run("plan");
  CHECK(r2.exit_code == 1);
  CHECK(r2.err.find("interface ens9: MAC 02:fc:00:00:00:01 is the live MAC of the host's NIC "
                    "eth0") != std::string::npos);
}

TEST_CASE("nic checks: a node without interfaces: a warning says they were skipped" *
          doctest::test_suite("nic")) {
  Spec s;
  s.dev = "em9";  // would be an error if the NICs could be read
  s.extra_nic = "      em9: {config: unconfigured}\n";
  Case c(s, "");
  for (const std::string format : {"text", "json", "markdown"}) {
    const auto r = c.run("plan", {"--format", format, "--detailed-exitcode"});
    INFO(format << ": " << r.err);
    CHECK(r.exit_code == 2);  // planned, with changes
    CHECK(r.out.find("guest/web1/interface/ens9") != std::string::npos);
    CHECK(r.out.find("host kvm1: live NIC checks skipped (direct.dev, the NICs' MACs and the "
                     "guests' MACs are not compared with the host's NICs): libvirt's interface "
                     "API lists no interfaces (the test driver's node file declares no "
                     "interfaces); no host file source to read sys/class/net from") !=
          std::string::npos);
  }
}

TEST_CASE("nic checks: apply refuses and changes nothing" * doctest::test_suite("nic")) {
  // The embedded lab (specs/lab) with em2's live MAC changed: seed.yaml's em2 MAC is wrong now.
  TempDir t;
  const fs::path lab = t.path() / "lab";
  fs::copy(source_dir() / "specs" / "lab", lab, fs::copy_options::recursive);
  std::string node = read_file(lab / "node.xml");
  const std::string from = "<mac address='18:66:da:9f:96:d7'/>";
  REQUIRE(node.find(from) != std::string::npos);
  node.replace(node.find(from), from.size(), "<mac address='18:66:da:9f:96:aa'/>");
  write_file(lab / "node.xml", node);
  const Tree before = snapshot_tree(lab);
  const auto r = run_tool_env({"--state-dir", (t.path() / "state").string(), "apply", "--yes",
                               "-f", (source_dir() / "specs/seed.yaml").string(), "-f",
                               (lab / "seed-lab.yaml").string()});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("host kvm1: NIC em2: the spec gives MAC 18:66:da:9f:96:d7, the NIC's live MAC "
                   "is 18:66:da:9f:96:aa") != std::string::npos);
  CHECK(snapshot_tree(lab) == before);
}

TEST_CASE("nic checks: one host's NIC errors name that host only" * doctest::test_suite("nic")) {
  TempDir dir;
  write_file(dir.path() / "node1.xml", node_xml(kNics));
  write_file(dir.path() / "node2.xml", node_xml(kNics));
  write_file(dir.path() / "spec.yaml",
             "version: 1\n"
             "hosts:\n"
             "  kvm1:\n"
             "    uri: test:node1.xml\n"
             "    nics: {em9: {config: host}}\n"
             "    guests:\n"
             "      web1:\n"
             "        interfaces: [{name: ens9, direct: {dev: em9}, mac: \"52:54:00:5d:9c:33\"}]\n"
             "  kvm2:\n"
             "    uri: test:node2.xml\n"
             "    nics: {em2: {config: host}}\n"
             "    guests:\n"
             "      web1:\n"
             "        interfaces: [{name: ens9, direct: {dev: em2}, mac: \"52:54:00:5d:9c:34\"}]\n");
  const auto r = run_tool({"plan", "-f", (dir.path() / "spec.yaml").string()});
  CHECK(r.exit_code == 1);
  INFO(r.err);
  CHECK(r.err.find("error: host kvm1: guest web1: interface ens9: direct.dev em9 is not a NIC") !=
        std::string::npos);
  CHECK(r.err.find("host kvm2") == std::string::npos);
}

// In process: what the test driver cannot show.

namespace {

// kvm1 with em1 (host) and em2 (unconfigured, MAC given), web1 with ens9 on em2.
Topology one_host(MacvtapMode mode = MacvtapMode::Private) {
  Topology t;
  Host h;
  h.name = "kvm1";
  h.uri = "qemu:///system";
  h.nics["em1"].name = "em1";
  h.nics["em2"].name = "em2";
  h.nics["em2"].mac = mac("18:66:da:9f:96:d7");
  h.nics["em2"].config = NicConfig::Unconfigured;
  Guest g;
  g.name = "web1";
  g.interfaces.push_back(direct_if("ens9", "em2", mode, "52:54:00:5d:9c:33"));
  h.guests["web1"] = g;
  t.hosts["kvm1"] = h;
  return t;
}

HostNicState live_nic(const std::string& name, const char* m, const std::string& state = "up") {
  HostNicState n;
  n.name = name;
  if (m) n.mac = mac(m);
  n.state = state;
  n.source = NicInfoSource::Libvirt;
  return n;
}

Observation observed(const std::vector<HostNicState>& nics) {
  Observation o;
  HostObservation& h = o.hosts["kvm1"];
  h.host = "kvm1";
  h.uri = "qemu:///system";
  h.reachable = true;
  for (const auto& n : nics) h.nics[n.name] = n;
  h.nics_source = NicInfoSource::Libvirt;
  h.nics_complete = true;
  DomainState d;
  d.name = "web1";
  d.config = {};
  h.domains["web1"] = d;
  return o;
}

std::vector<std::string> nic_errors(const diff::ChangeSet& cs) {
  std::vector<std::string> out;
  for (const auto& d : cs.diagnostics.items())
    if (d.rule.rfind(diff::kLiveNicRulePrefix, 0) == 0) out.push_back(d.rule + ": " + d.message);
  return out;
}

bool has_warning(const diff::ChangeSet& cs, const std::string& text) {
  for (const auto& w : cs.warnings)
    if (w.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("nic checks: a running guest's own macvtap device is not a host NIC" *
          doctest::test_suite("nic")) {
  // libvirt's interface API (udev) lists macvtap0, which carries web1's MAC while it runs.
  auto o = observed({live_nic("em1", "18:66:da:9f:96:d6"), live_nic("em2", "18:66:da:9f:96:d7"),
                     live_nic("macvtap0", "52:54:00:5d:9c:33"), live_nic("lo", "00:00:00:00:00:00")});
  auto& d = o.hosts["kvm1"].domains["web1"];
  d.running = true;
  DomainInterface i = observed_direct("52:54:00:5d:9c:33", "em2", "private");
  i.target_dev = "macvtap0";
  d.config = {i};
  d.live = std::vector<DomainInterface>{i};
  const auto cs = diff::compute(one_host(), o);
  CHECK(nic_errors(cs).empty());

  // Without its domain it is a device like any other: the MAC collides.
  o.hosts["kvm1"].domains["web1"].live->front().target_dev = "";
  const auto cs2 = diff::compute(one_host(), o);
  const auto errs = nic_errors(cs2);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].find("live-nic.guest-mac: host kvm1: guest web1: interface ens9: MAC "
                     "52:54:00:5d:9c:33 is the live MAC of the host's NIC macvtap0") == 0);
}

TEST_CASE("nic checks: a NIC in passthrough carries its guest's MAC: not compared, said so" *
          doctest::test_suite("nic")) {
  auto o = observed({live_nic("em1", "18:66:da:9f:96:d6"), live_nic("em2", "52:54:00:5d:9c:33")});
  auto& d = o.hosts["kvm1"].domains["web1"];
  d.running = true;
  DomainInterface i = observed_direct("52:54:00:5d:9c:33", "em2", "passthrough");
  i.target_dev = "macvtap3";
  d.config = {i};
  d.live = std::vector<DomainInterface>{i};
  const auto cs = diff::compute(one_host(MacvtapMode::Passthrough), o);
  CHECK(nic_errors(cs).empty());
  CHECK(has_warning(cs, "host kvm1: NIC em2 is passed through to the running guest web1, which "
                        "gives it the guest's MAC while it runs: its MAC 18:66:da:9f:96:d7 in the "
                        "spec is not compared"));
  // Shut off, the NIC has its own MAC again: then a difference is an error.
  o.hosts["kvm1"].domains["web1"].running = false;
  o.hosts["kvm1"].domains["web1"].live.reset();
  const auto errs = nic_errors(diff::compute(one_host(MacvtapMode::Passthrough), o));
  REQUIRE(errs.size() == 2);  // the guest's MAC is em2's, and the spec's MAC differs
  CHECK(errs[0].find("live-nic.guest-mac: host kvm1: guest web1: interface ens9: MAC "
                     "52:54:00:5d:9c:33 is the live MAC of the host's NIC em2") == 0);
  CHECK(errs[1].find("live-nic.mac-differs: host kvm1: NIC em2: the spec gives MAC "
                     "18:66:da:9f:96:d7, the NIC's live MAC is 52:54:00:5d:9c:33") == 0);
}

TEST_CASE("nic checks: a NIC a guest uses that is down is a warning, an unknown MAC is said" *
          doctest::test_suite("nic")) {
  const auto cs = diff::compute(
      one_host(), observed({live_nic("em1", "18:66:da:9f:96:d6"), live_nic("em2", nullptr, "down")}));
  CHECK(nic_errors(cs).empty());
  CHECK_FALSE(cs.diagnostics.has_errors());
  CHECK(has_warning(cs, "host kvm1: NIC em2 is down (libvirt's interface API): web1/ens9 will "
                        "have no link on it while it stays down"));
  CHECK(has_warning(cs, "host kvm1: NIC em2: its live MAC could not be read (libvirt's interface "
                        "API), so the spec's MAC 18:66:da:9f:96:d7 is not compared"));
  // em1 is down too, but no guest uses it: nothing to say.
  const auto cs2 = diff::compute(
      one_host(), observed({live_nic("em1", "18:66:da:9f:96:d6", "down"),
                            live_nic("em2", "18:66:da:9f:96:d7")}));
  CHECK_FALSE(has_warning(cs2, "NIC em"));
}

TEST_CASE("nic checks: NICs not read: the warning says why, nothing else is claimed" *
          doctest::test_suite("nic")) {
  auto o = observed({});
  o.hosts["kvm1"].nics_source = NicInfoSource::None;
  o.hosts["kvm1"].nics_complete = false;
  o.hosts["kvm1"].nics_error = "the libvirt connection has no interface API; no host file source "
                               "to read sys/class/net from";
  const auto cs = diff::compute(one_host(), o);
  CHECK(nic_errors(cs).empty());
  CHECK_FALSE(has_warning(cs, "NIC em"));
  CHECK(has_warning(cs, "host kvm1: live NIC checks skipped (direct.dev, the NICs' MACs and the "
                          "guests' MACs are not compared with the host's NICs): the libvirt "
                          "connection has no interface API; no host file source to read "
                          "sys/class/net from"));
}

namespace {

// A connection without the interface API (as qemu:///system without an interface driver): a
// fake, because libvirt's test driver always has that API.
class NoInterfaceApi : public StubHypervisor {
 public:
  explicit NoInterfaceApi(std::string uri) : uri_(std::move(uri)) {}
  std::string uri() const override { return uri_; }

 private:
  std::string uri_;
};

}  // namespace

TEST_CASE("nic checks: how the NICs are read when libvirt cannot list them" *
          doctest::test_suite("nic")) {
  // libvirt's list wins when it has one.
  auto hv = LibvirtHypervisor::connect(
      "test://" + (source_dir() / "tests/fixtures/libvirt/modes-node.xml").string(), true);
  auto r = read_host_nics(*hv, nullptr, FileSourceKind::None, {"em9"});
  CHECK(r.source == NicInfoSource::Libvirt);
  CHECK(r.complete);
  CHECK(r.nics.size() == 3);
  CHECK_FALSE(r.nics.count("em9"));

  // A file source with sys/class/net for some of the names asked: a mirror of the host's.
  TempDir root;
  fs::create_directories(root.path() / "sys/class/net/em2");
  write_file(root.path() / "sys/class/net/em2/address", "18:66:DA:9F:96:D7\n");
  write_file(root.path() / "sys/class/net/em2/operstate", "down\n");
  DirSource fa(root.path(), {}, true);
  NoInterfaceApi none("test:///nowhere.xml");
  r = read_host_nics(none, &fa, FileSourceKind::Dir, {"em2", "em9"});
  CHECK(r.source == NicInfoSource::Files);
  CHECK(r.complete);
  REQUIRE(r.nics.size() == 1);
  CHECK(r.nics.at("em2").mac->str() == "18:66:da:9f:96:d7");
  CHECK(r.nics.at("em2").state == "down");

  // None of the names there: not a mirror, nothing claimed.
  r = read_host_nics(none, &fa, FileSourceKind::Dir, {"em9"});
  CHECK(r.source == NicInfoSource::None);
  CHECK_FALSE(r.complete);
  CHECK(r.why_not == "the libvirt connection has no interface API; dir:" + root.path().string() +
                         " has no sys/class/net/<nic> for em9");

  // `local` files of a host whose URI is not this machine: this machine's NICs are not its.
  NoInterfaceApi remote("qemu+ssh://root@kvm1.example/system");
  r = read_host_nics(remote, &fa, FileSourceKind::Local, {"em2"});
  CHECK(r.source == NicInfoSource::None);
  CHECK(r.nics.empty());
  CHECK(r.why_not.find("the host's files are `local` but its URI "
                       "qemu+ssh://root@kvm1.example/system is not this machine") !=
        std::string::npos);
  NoInterfaceApi test_driver("test:///default");
  CHECK(read_host_nics(test_driver, &fa, FileSourceKind::Local, {"em2"}).source ==
        NicInfoSource::None);

  CHECK(uri_is_this_machine("qemu:///system"));
  CHECK(uri_is_this_machine("qemu+unix:///system"));
  CHECK_FALSE(uri_is_this_machine("qemu+ssh://root@kvm1.example/system"));
  CHECK_FALSE(uri_is_this_machine("qemu+tcp://127.0.0.1/system"));
  CHECK_FALSE(uri_is_this_machine("test:///default"));
}
