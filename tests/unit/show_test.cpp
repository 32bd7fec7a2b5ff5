#include <doctest/doctest.h>

#include <filesystem>
#include <future>

#include "stub_hypervisor.hpp"
#include "diff/diff.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "observe/observe.hpp"
#include "observe/show_yaml.hpp"
#include "observe/to_topology.hpp"
#include "spec/loader.hpp"
#include "test_support.hpp"
#include "xml/domain_xml.hpp"

using namespace mvt;
namespace fs = std::filesystem;

namespace {

const char* kNs = "etc/sysconfig/network-scripts/";

fs::path fixture(const char* name) { return test::source_dir() / "tests/fixtures/libvirt" / name; }

// The procedure's AFTER state: guest files of web1 in a temp root.
void write_after_guest(const fs::path& root) {
  test::write_file(root / kNs / "ifcfg-eth0",
                   "DEVICE=eth0\nBOOTPROTO=dhcp\nDEFROUTE=no # default route via ens9\n"
                   "PEERDNS=no\nONBOOT=yes\n");
  test::write_file(root / kNs / "ifcfg-ens9",
                   "NAME=ens9\nDEVICE=ens9\nTYPE=Ethernet\nONBOOT=yes\nBOOTPROTO=none\n"
                   "IPADDR=104.50.201.84\nNETMASK=255.255.255.248\nPREFIX=29\n"
                   "GATEWAY=104.50.201.86\nDEFROUTE=yes\nPEERROUTES=no\nPEERDNS=no\n"
                   "DNS1=8.8.8.8\nHWADDR=52:54:00:5D:9C:33\n");
  test::write_file(root / kNs / "route-ens9", "10.20.0.0/16 via 104.50.201.86\n");
  // ens8 is found by HWADDR although its file is named after something else.
  test::write_file(root / kNs / "ifcfg-internal",
                   "DEVICE=ens8\nBOOTPROTO=none\nIPADDR=192.168.1.15\nPREFIX=24\n"
                   "GATEWAY=192.168.1.1\nDEFROUTE=no\nPEERDNS=no\nDNS1=8.8.8.8\n"
                   "HWADDR=52:54:00:5d:9c:34\n");
}

void write_after_host(const fs::path& root) {
  test::write_file(root / kNs / "ifcfg-em1",
                   "DEVICE=em1\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=192.168.1.13\nPREFIX=24\n");
  test::write_file(root / kNs / "ifcfg-em2",
                   "NAME=em2\nDEVICE=em2\nTYPE=Ethernet\nONBOOT=no # for guests\nBOOTPROTO=no\n");
  test::write_file(root / kNs / "ifcfg-lo", "DEVICE=lo\nIPADDR=127.0.0.1\n");
}

Topology want(const std::string& uri, const fs::path& host_root, const fs::path& guest_root) {
  Topology t;
  Host& h = t.hosts["kvm1"];
  h.name = "kvm1";
  h.uri = uri;
  h.files = {FileSourceKind::Dir, host_root.string()};
  h.guests["web1"].name = "web1";
  h.guests["web1"].guest_files = {FileSourceKind::Dir, guest_root.string()};
  return t;
}

test::RunResult run_cli(const std::vector<std::string>& args) { return test::run_tool(args); }

}  // namespace

TEST_CASE("to_topology: the procedure's AFTER state, ifcfg facts matched by HWADDR" * doctest::test_suite("show")) {
  test::TempDir tmp;
  write_after_guest(tmp.path() / "web1");
  write_after_host(tmp.path() / "host");
  Observation obs = observe(want("test://" + fixture("procedure-after-node.xml").string(),
                                 tmp.path() / "host", tmp.path() / "web1"));
  Diagnostics diags;
  Topology t = to_topology(obs, diags);
  for (const auto& d : diags.items()) MESSAGE(format_diagnostic(d));
  CHECK_FALSE(diags.has_errors());
  const Host& h = t.hosts.at("kvm1");
  REQUIRE(h.nics.size() == 2);  // em1, em2 (lo is not a NIC for guests)
  CHECK(h.nics.at("em1").config == NicConfig::Host);
  CHECK(h.nics.at("em2").config == NicConfig::Unconfigured);
  CHECK(h.nics.at("em2").mac->str() == "18:66:da:9f:96:d7");
  CHECK(h.nics.at("em2").pos.at("config").line == 4);

  const Guest& g = h.guests.at("web1");
  REQUIRE(g.interfaces.size() == 3);
  const auto& eth0 = g.interfaces[0];
  CHECK(eth0.name == "eth0");
  CHECK(eth0.kind == InterfaceKind::Network);
  CHECK(eth0.network == "default");
  REQUIRE(eth0.ip.ipv4);
  CHECK(eth0.ip.ipv4->dhcp());
  CHECK(eth0.ip.defroute == false);
  CHECK(eth0.ip.peerdns == false);
  CHECK(eth0.pos.at("defroute").line == 3);
  CHECK(eth0.pos.at("mac").file == "domain XML of web1");

  const auto& ens9 = g.interfaces[1];
  CHECK(ens9.name == "ens9");
  CHECK(ens9.kind == InterfaceKind::Direct);
  CHECK(ens9.source_dev == "em2");
  CHECK(ens9.mode == MacvtapMode::Private);
  CHECK(ens9.model == std::optional<std::string>("rtl8139"));
  REQUIRE(ens9.ip.ipv4);
  CHECK(ens9.ip.ipv4->address()->str() == "104.50.201.84/29");
  CHECK(ens9.ip.ipv4->gateway->str() == "104.50.201.86");
  CHECK(ens9.ip.defroute == true);
  REQUIRE(ens9.ip.dns);
  CHECK(ens9.ip.dns->at(0).str() == "8.8.8.8");
  REQUIRE(ens9.ip.routes);
  REQUIRE(ens9.ip.routes->size() == 1);
  CHECK(ens9.ip.routes->at(0).to.str() == "10.20.0.0/16");
  CHECK(ens9.pos.at("ipv4.address").file.str().find("ifcfg-ens9") != std::string::npos);
  CHECK(ens9.pos.at("ipv4.address").line == 6);

  const auto& ens8 = g.interfaces[2];
  CHECK(ens8.name == "ens8");  // from ifcfg-internal's DEVICE, matched by HWADDR
  CHECK_FALSE(ens8.model);
  CHECK(ens8.ip.ipv4->address()->str() == "192.168.1.15/24");
  CHECK_FALSE(ens8.ip.routes);  // no route-ens8 file: not managed

  // db1: no guest files given -> interfaces without IP facts.
  const Guest& db1 = h.guests.at("db1");
  REQUIRE(db1.interfaces.size() == 1);
  CHECK(db1.interfaces[0].mode == MacvtapMode::Vepa);
  CHECK_FALSE(db1.interfaces[0].ip.ipv4);
}

TEST_CASE("show: output validates and loads back to the same topology" * doctest::test_suite("show")) {
  test::TempDir tmp;
  write_after_guest(tmp.path() / "web1");
  write_after_host(tmp.path() / "host");
  Observation obs = observe(want("test://" + fixture("procedure-after-node.xml").string(),
                                 tmp.path() / "host", tmp.path() / "web1"));
  Diagnostics diags;
  Topology live = to_topology(obs, diags);
  const std::string yaml = show_yaml(live, obs);
  CHECK(show_yaml(live, obs) == yaml);  // deterministic
  CHECK(yaml.find("from libvirt's interface API") != std::string::npos);
  test::write_file(tmp.path() / "show.yaml", yaml);
  auto r = spec::load({(tmp.path() / "show.yaml").string()});
  for (const auto& d : r.diagnostics.items()) MESSAGE(format_diagnostic(d));
  REQUIRE_FALSE(r.diagnostics.has_errors());
  const Host& a = live.hosts.at("kvm1");
  const Host& b = r.topology.hosts.at("kvm1");
  CHECK(a.uri == b.uri);
  CHECK(a.files == b.files);
  REQUIRE(a.nics.size() == b.nics.size());
  for (const auto& [n, nic] : a.nics) {
    CHECK(nic.mac == b.nics.at(n).mac);
    CHECK(nic.config == b.nics.at(n).config);
  }
  REQUIRE(a.guests.size() == b.guests.size());
  for (const auto& [gname, g] : a.guests) {
    const Guest& h = b.guests.at(gname);
    CHECK(g.guest_files == h.guest_files);
    REQUIRE(g.interfaces.size() == h.interfaces.size());
    for (std::size_t k = 0; k < g.interfaces.size(); ++k) {
      const auto &x = g.interfaces[k], &y = h.interfaces[k];
      CAPTURE(x.name);
      CHECK(x.name == y.name);
      CHECK(x.kind == y.kind);
      CHECK(x.network == y.network);
      CHECK(x.source_dev == y.source_dev);
      CHECK(x.mode == y.mode);
      CHECK(x.mac == y.mac);
      CHECK(x.model == y.model);
      CHECK(x.ip.ipv4 == y.ip.ipv4);
      CHECK(x.ip.defroute == y.ip.defroute);
      CHECK(x.ip.peerdns == y.ip.peerdns);
      CHECK(x.ip.dns == y.ip.dns);
      CHECK(x.ip.routes == y.ip.routes);
    }
  }
}

TEST_CASE("show: an ifcfg with $(...) is an error at file:line" * doctest::test_suite("show")) {
  test::TempDir tmp;
  write_after_guest(tmp.path() / "web1");
  test::write_file(tmp.path() / "web1" / kNs / "ifcfg-eth0",
                   "DEVICE=eth0\nBOOTPROTO=dhcp\nDEFROUTE=$(reboot)\n");
  Observation obs = observe(want("test://" + fixture("procedure-after-node.xml").string(),
                                 tmp.path() / "nohost", tmp.path() / "web1"));
  Diagnostics diags;
  to_topology(obs, diags);
  REQUIRE(diags.has_errors());
  const auto& d = diags.items().front();
  CHECK(d.rule == "ifcfg.unsafe");
  CHECK(d.pos.file.str().find("ifcfg-eth0") != std::string::npos);
  CHECK(d.pos.line == 3);
  CHECK(d.message.find("DEFROUTE") == 0);
}

// libvirt never hands out malformed XML, so the fault is injected by wrapping the real
// test-driver connection and corrupting one answer.
class CorruptXml : public mvt::test::StubHypervisor {
 public:
  explicit CorruptXml(std::unique_ptr<Hypervisor> r) : r_(std::move(r)) {}
  std::string uri() const override { return r_->uri(); }
  std::vector<DomainSummary> list_domains() override { return r_->list_domains(); }
  std::optional<std::string> domain_xml(const std::string& n, bool inactive) override {
    auto x = r_->domain_xml(n, inactive);
    if (x && n == "db1") x->resize(x->size() / 2);
    return x;
  }
  std::string agent_command(const std::string&, const std::string&, std::chrono::seconds) override {
    return {};
  }
  std::optional<std::vector<HostNicState>> host_interfaces() override {
    return r_->host_interfaces();
  }
  bool supports_hotplug() const override { return false; }

 private:
  std::unique_ptr<Hypervisor> r_;
};

TEST_CASE("observe: malformed domain XML from libvirt is an error naming the domain" * doctest::test_suite("show")) {
  Topology t;
  t.hosts["kvm1"].name = "kvm1";
  t.hosts["kvm1"].uri = "test://" + fixture("procedure-after-node.xml").string();
  ObserveOptions o;
  o.hypervisor = [](const std::string& uri, bool ro) -> std::unique_ptr<Hypervisor> {
    return std::make_unique<CorruptXml>(LibvirtHypervisor::connect(uri, ro));
  };
  CHECK_THROWS_WITH_AS(observe(t, o), doctest::Contains("malformed domain XML of db1: line"),
                       xml::XmlError);
}

TEST_CASE("show CLI: lab, unreachable URI, unsafe ifcfg, bad arguments" * doctest::test_suite("show")) {
  const fs::path lab = test::source_dir() / "specs/lab";
  auto r = run_cli({"show", "--connect", "test://" + (lab / "node.xml").string(), "--host",
                           "kvm1", "--host-files", "dir:" + (lab / "host").string(),
                           "--guest-files", "web1=dir:" + (lab / "guest-web1").string()});
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("  kvm1:\n") != std::string::npos);
  CHECK(r.out.find("network: default") != std::string::npos);
  CHECK(r.out.find("ipv4: dhcp") != std::string::npos);
  CHECK(r.out.find("em2: {mac: \"18:66:da:9f:96:d7\", config: host}") != std::string::npos);
  test::TempDir tmp;
  test::write_file(tmp.path() / "show.yaml", r.out);
  // The shown spec names the lab's node file, outside its own directory: --allow-root.
  auto v = run_cli(
      {"validate", "-f", (tmp.path() / "show.yaml").string(), "--allow-root", lab.string()});
  CHECK(v.exit_code == 0);
  CHECK(v.out.find("0 errors") != std::string::npos);

  auto bad = run_cli({"show", "--connect", "test:///nonexistent/node.xml"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.empty());
  CHECK(bad.err == "macvtapctl: error: host node: NOT OBSERVED (test:///nonexistent/node.xml): "
                   "cannot connect to test:///nonexistent/node.xml: XML error: "
                   "failed to parse xml document '/nonexistent/node.xml'\n");

  write_after_guest(tmp.path() / "web1");
  test::write_file(tmp.path() / "web1" / kNs / "ifcfg-ens9", "DEVICE=ens9\nIPADDR=`id`\n");
  auto unsafe = run_cli({"show", "--connect", "test://" + fixture("procedure-after-node.xml").string(),
                                "--guest-files", "web1=dir:" + (tmp.path() / "web1").string()});
  CHECK(unsafe.exit_code == 1);
  CHECK(unsafe.out.empty());
  CHECK(unsafe.err.find((tmp.path() / "web1" / kNs / "ifcfg-ens9").string() + ":2:") == 0);
  CHECK(unsafe.err.find("[ifcfg.unsafe]") != std::string::npos);

  CHECK(run_cli({"show"}).exit_code == 1);
  CHECK(run_cli({"show", "--connect", "test:///x", "--guest-files", "web1"}).exit_code == 1);
  // Host name from the URI.
  auto named = run_cli({"show", "--connect", "test://" + fixture("modes-node.xml").string()});
  CHECK(named.exit_code == 0);
  CHECK(named.out.find("  modes-node:\n") != std::string::npos);
}

TEST_CASE("to_topology: an expansion in a route file is an error, routes read otherwise" * doctest::test_suite("show")) {
  test::TempDir tmp;
  write_after_guest(tmp.path() / "web1");
  test::write_file(tmp.path() / "web1" / kNs / "route-ens9",
                   "# static routes\nADDRESS0=10.20.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=$(gw)\n");
  Observation obs = observe(want("test://" + fixture("procedure-after-node.xml").string(),
                                 tmp.path() / "nohost", tmp.path() / "web1"));
  Diagnostics diags;
  to_topology(obs, diags);
  REQUIRE(diags.has_errors());
  bool found = false;
  for (const auto& d : diags.items())
    found = found || (d.rule == "route.unsafe" && d.pos.file.str().find("route-ens9") != std::string::npos &&
                      d.pos.line == 4);
  CHECK(found);
}

TEST_CASE("to_topology: an ifcfg pinned to another MAC is not the interface's" * doctest::test_suite("show")) {
  test::TempDir tmp;
  write_after_guest(tmp.path() / "web1");
  // eth0's file pins a MAC web1 does not have (a stale file from a cloned image).
  test::write_file(tmp.path() / "web1" / kNs / "ifcfg-eth0",
                   "DEVICE=eth0\nBOOTPROTO=dhcp\nHWADDR=52:54:00:99:99:99\n");
  Observation obs = observe(want("test://" + fixture("procedure-after-node.xml").string(),
                                 tmp.path() / "nohost", tmp.path() / "web1"));
  Diagnostics diags;
  Topology t = to_topology(obs, diags);
  const auto& ifs = t.hosts.at("kvm1").guests.at("web1").interfaces;
  REQUIRE(ifs.size() == 3);
  CHECK(ifs[0].name == "eth0");  // the guess stays
  CHECK_FALSE(ifs[0].ip.ipv4);      // but the stale file's facts are not attributed to it
  CHECK(ifs[1].ip.ipv4);            // ens9 still matched by its HWADDR
}

TEST_CASE("show: IPv6 keys, IPv6 name servers and route metrics are spec values, and plan of "
          "the output is empty" * doctest::test_suite("show")) {
  test::TempDir tmp;
  write_after_guest(tmp.path() / "web1");
  write_after_host(tmp.path() / "host");
  const fs::path ns = tmp.path() / "web1" / kNs;
  test::write_file(ns / "ifcfg-ens9",
                   test::read_file(ns / "ifcfg-ens9") +
                       "DNS2=FEDC::1\nIPV6INIT=yes\nIPV6_AUTOCONF=no\n"
                       "IPV6ADDR=2001:DB8:0:9::84/64\n"
                       "IPV6ADDR_SECONDARIES=\"2001:db8:0:9::85/64 2001:db8:0:9::86/64\"\n"
                       "IPV6_DEFAULTGW=2001:db8:0:9::1\nIPV6_DEFROUTE=yes\n");
  test::write_file(ns / "route6-ens9", "2001:db8:100::/48 via 2001:db8:0:9::1 metric 100\n");
  test::write_file(ns / "route-ens9", "10.20.0.0/16 via 104.50.201.86 metric 7\n");
  test::write_file(ns / "ifcfg-internal",
                   test::read_file(ns / "ifcfg-internal") +
                       "IPV6INIT=yes\nIPV6_DEFROUTE=no\nIPV6_DEFAULTGW=fe80::1\n");
  test::write_file(ns / "ifcfg-eth0", test::read_file(ns / "ifcfg-eth0") + "IPV6INIT=yes\n");
  const Topology spec = want("test://" + fixture("procedure-after-node.xml").string(),
                             tmp.path() / "host", tmp.path() / "web1");
  const Observation obs = observe(spec);
  Diagnostics diags;
  const Topology live = to_topology(obs, diags);
  const std::string yaml = show_yaml(live, obs);
  INFO(yaml);
  CHECK(yaml.find("ipv6: {method: static, addresses: [\"2001:db8:0:9::84/64\", "
                  "\"2001:db8:0:9::85/64\", \"2001:db8:0:9::86/64\"], gateway: "
                  "\"2001:db8:0:9::1\"}") != std::string::npos);
  CHECK(yaml.find("ipv6_defroute: true") != std::string::npos);
  CHECK(yaml.find("ipv6: auto\n") != std::string::npos);  // eth0: nothing but the method
  CHECK(yaml.find("ipv6: {method: auto, gateway: \"fe80::1\"}") != std::string::npos);  // ens8
  CHECK(yaml.find("ipv6_defroute: false") != std::string::npos);
  CHECK(yaml.find("dns: [8.8.8.8, \"fedc::1\"]") != std::string::npos);
  CHECK(yaml.find("{to: \"2001:db8:100::/48\", via: \"2001:db8:0:9::1\", metric: 100}") !=
        std::string::npos);
  CHECK(yaml.find("{to: 10.20.0.0/16, via: 104.50.201.86, metric: 7}") != std::string::npos);
  CHECK(yaml.find("ipv6 default route") == std::string::npos);  // no longer a comment
  test::write_file(tmp.path() / "show.yaml", yaml);
  auto r = spec::load({(tmp.path() / "show.yaml").string()});
  for (const auto& d : r.diagnostics.items()) MESSAGE(format_diagnostic(d));
  REQUIRE_FALSE(r.diagnostics.has_errors());
  const auto& a = live.hosts.at("kvm1").guests.at("web1").interfaces;
  const auto& b = r.topology.hosts.at("kvm1").guests.at("web1").interfaces;
  REQUIRE(a.size() == b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    CAPTURE(a[k].name);
    CHECK(a[k].ip.ipv6 == b[k].ip.ipv6);
    CHECK(a[k].ip.ipv6_defroute == b[k].ip.ipv6_defroute);
    CHECK(a[k].ip.dns == b[k].ip.dns);
    CHECK(a[k].ip.routes == b[k].ip.routes);
  }
  // plan of show's output: no change to any guest file (the host's em2 file is not the
  // procedure's unconfigured one here: its changes are another matter).
  const auto cs = diff::compute(r.topology, obs, diff::DiffOptions{});
  CHECK_FALSE(cs.diagnostics.has_errors());
  for (const auto& fd : cs.files)
    for (const auto& c : fd.fields)
      if (!fd.guest.empty())
        FAIL_CHECK(fd.name << " " << c.field << ": " << c.before.value_or("(absent)") << " -> "
                           << c.after.value_or("(absent)"));
}
