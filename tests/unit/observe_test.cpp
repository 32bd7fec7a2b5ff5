#include <doctest/doctest.h>

#include <filesystem>

#include "files/dir_source.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "observe/nic_info.hpp"
#include "observe/observe.hpp"
#include "observe/show_yaml.hpp"
#include "test_support.hpp"
#include "util/errors.hpp"
#include "util/hash.hpp"
#include "xml/domain_xml.hpp"

using namespace mvt;
namespace fs = std::filesystem;

namespace {

fs::path lab() { return test::source_dir() / "specs/lab"; }
std::string uri_of(const fs::path& node) { return "test://" + node.string(); }

Topology lab_topology() {
  Topology t;
  Host h;
  h.name = "kvm1";
  h.uri = uri_of(lab() / "node.xml");
  h.files = {FileSourceKind::Dir, (lab() / "host").string()};
  Guest g;
  g.name = "web1";
  g.guest_files = {FileSourceKind::Dir, (lab() / "guest-web1").string()};
  h.guests["web1"] = g;
  t.hosts["kvm1"] = h;
  return t;
}

// Digest of every file under a tree (names and bytes): "observe changed nothing".
std::string tree_digest(const fs::path& root) {
  std::string all;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) all += f.string() + "\n" + test::read_file(f) + "\n";
  return sha256_hex(all);
}

// Wraps a real test-driver connection but reports no interface API: the test driver always
// has one, and qemu:///system without an interface driver cannot be had in a unit test.
class NoInterfaceApi : public Hypervisor {
 public:
  explicit NoInterfaceApi(std::unique_ptr<Hypervisor> real) : real_(std::move(real)) {}
  std::string uri() const override { return real_->uri(); }
  std::vector<DomainSummary> list_domains() override { return real_->list_domains(); }
  std::optional<std::string> domain_xml(const std::string& n, bool i) override {
    return real_->domain_xml(n, i);
  }
  void define_xml(const std::string& x) override { real_->define_xml(x); }
  void attach_device(const std::string& d, const std::string& x, bool l, bool c) override {
    real_->attach_device(d, x, l, c);
  }
  void detach_device(const std::string& d, const std::string& x, bool l, bool c) override {
    real_->detach_device(d, x, l, c);
  }
  void update_device(const std::string& d, const std::string& x, bool l, bool c) override {
    real_->update_device(d, x, l, c);
  }
  void start(const std::string& d) override { real_->start(d); }
  void shutdown(const std::string& d) override { real_->shutdown(d); }
  void destroy(const std::string& d) override { real_->destroy(d); }
  void reboot(const std::string& d) override { real_->reboot(d); }
  std::string agent_command(const std::string& d, const std::string& j,
                            std::chrono::seconds t) override {
    return real_->agent_command(d, j, t);
  }
  std::optional<std::vector<HostNicState>> host_interfaces() override { return std::nullopt; }
  bool supports_hotplug() const override { return false; }

 private:
  std::unique_ptr<Hypervisor> real_;
};

}  // namespace

TEST_CASE("observe: the lab in one pass (domains, NICs, host and guest files)" * doctest::test_suite("observe")) {
  const std::string before = tree_digest(lab());
  Observation obs = observe(lab_topology());
  REQUIRE(obs.hosts.count("kvm1") == 1);
  const HostObservation& h = obs.hosts.at("kvm1");
  REQUIRE(h.reachable);
  REQUIRE(h.domains.count("web1") == 1);
  const DomainState& web1 = h.domains.at("web1");
  CHECK(web1.running);
  CHECK(web1.uuid == "5b1f3a2c-8d4e-4f6a-9b7c-0d1e2f3a4b5c");
  CHECK(web1.has_agent_channel);
  REQUIRE(web1.config.size() == 1);
  CHECK(web1.config[0].type == "network");
  CHECK(web1.config[0].mac->str() == "52:54:00:b4:87:0f");
  CHECK(web1.config[0].source_network == "default");
  REQUIRE(web1.live);
  CHECK(web1.live->size() == 1);
  CHECK_FALSE(live_differs(web1));

  // Host NICs through the test driver's interface API.
  REQUIRE(h.nics.count("em1") == 1);
  CHECK(h.nics.at("em1").mac->str() == "18:66:da:9f:96:d6");
  CHECK(h.nics.at("em2").mac->str() == "18:66:da:9f:96:d7");
  CHECK(h.nics.at("em2").source == NicInfoSource::Libvirt);

  // Host and guest network-scripts.
  CHECK(h.files_read);
  REQUIRE(h.files.count("ifcfg-em2") == 1);
  CHECK(h.files.at("ifcfg-em2").bytes->find("BOOTPROTO=dhcp") != std::string::npos);
  CHECK(h.files.at("ifcfg-em2").path == "etc/sysconfig/network-scripts/ifcfg-em2");
  CHECK(h.files.at("ifcfg-em2").origin ==
        (lab() / "host/etc/sysconfig/network-scripts/ifcfg-em2").lexically_normal().string());
  REQUIRE(h.guests.count("web1") == 1);
  CHECK(h.guests.at("web1").files_read);
  CHECK(h.guests.at("web1").files.count("ifcfg-eth0") == 1);

  CHECK(tree_digest(lab()) == before);  // read-only
}

TEST_CASE("observe: every mode, running and shut-off guests" * doctest::test_suite("observe")) {
  Topology t;
  t.hosts["h"].name = "h";
  t.hosts["h"].uri = uri_of(test::source_dir() / "tests/fixtures/libvirt/modes-node.xml");
  Observation obs = observe(t);
  const auto& h = obs.hosts.at("h");
  REQUIRE(h.domains.size() == 4);
  CHECK(h.domains.at("vepa1").config[0].source_mode == "vepa");
  CHECK(h.domains.at("bridge1").config[0].source_mode == "bridge");
  CHECK(h.domains.at("private1").config[0].source_mode == "private");
  CHECK(h.domains.at("pass1").config[0].source_mode == "passthrough");
  // Shut-off guests have no live XML; running ones do.
  CHECK_FALSE(h.domains.at("bridge1").running);
  CHECK_FALSE(h.domains.at("bridge1").live);
  CHECK_FALSE(h.domains.at("pass1").live);
  CHECK(h.domains.at("vepa1").live);
  CHECK(h.domains.at("private1").live);
  // Several guests on one NIC.
  int on_em2 = 0;
  for (const auto& [_, d] : h.domains)
    for (const auto& i : d.config) on_em2 += i.source_dev == "em2";
  CHECK(on_em2 == 3);
  // vlan kept opaque.
  REQUIRE(h.domains.at("bridge1").config[1].opaque.size() == 1);
  CHECK(h.domains.at("bridge1").config[1].opaque[0].find("<vlan>") == 0);
  // No file sources: recorded, not an error.
  CHECK_FALSE(h.files_read);
  CHECK(h.files_error.find("none") != std::string::npos);
}

TEST_CASE("observe: unreachable host is recorded, others still read" * doctest::test_suite("observe")) {
  Topology t = lab_topology();
  t.hosts["bad"].name = "bad";
  t.hosts["bad"].uri = "test:///nonexistent/node.xml";
  Observation obs = observe(t);
  CHECK(obs.hosts.at("kvm1").reachable);
  CHECK_FALSE(obs.hosts.at("bad").reachable);
  CHECK(obs.hosts.at("bad").error.find("cannot connect to test:///nonexistent/node.xml: ") == 0);
  ObserveOptions only;
  only.hosts = {"kvm1"};
  CHECK(observe(t, only).hosts.size() == 1);
}

TEST_CASE("observe: injected factories, agent/ssh sources not available here" * doctest::test_suite("observe")) {
  Topology t = lab_topology();
  t.hosts["kvm1"].guests["web1"].guest_files = {FileSourceKind::Agent, ""};
  ObserveOptions o;
  std::vector<std::string> asked;
  bool connected_read_only = false;
  o.files = [&](const std::string& host, const std::string& guest,
                const FileSourceSpec& spec) -> std::unique_ptr<FileAccess> {
    asked.push_back(host + "/" + guest + "/" + spec.str());
    return default_file_access_factory(true)(host, guest, spec);
  };
  o.hypervisor = [&](const std::string& uri, bool ro) -> std::unique_ptr<Hypervisor> {
    connected_read_only = ro;
    return std::make_unique<NoInterfaceApi>(LibvirtHypervisor::connect(uri, ro));
  };
  Observation obs = observe(t, o);
  CHECK(connected_read_only);
  REQUIRE(asked.size() == 2);
  CHECK(asked[0] == "kvm1//dir:" + (lab() / "host").string());
  CHECK(asked[1] == "kvm1/web1/agent");
  const auto& h = obs.hosts.at("kvm1");
  CHECK_FALSE(h.guests.at("web1").files_read);
  CHECK(h.guests.at("web1").files_error.find("agent") != std::string::npos);
  // Without libvirt's interface API the NICs come from the host's sys/class/net files.
  REQUIRE(h.nics.count("em2") == 1);
  CHECK(h.nics.at("em2").source == NicInfoSource::Files);
  CHECK(h.nics.at("em2").mac->str() == "18:66:da:9f:96:d7");
  CHECK(h.nics.at("em2").state == "up");
}

TEST_CASE("observe: NIC facts from files and sysfs" * doctest::test_suite("observe")) {
  test::TempDir tmp;
  fs::create_directories(tmp.path() / "sys/class/net/eno1");
  test::write_file(tmp.path() / "sys/class/net/eno1/address", "52:54:00:12:34:56\n");
  test::write_file(tmp.path() / "sys/class/net/eno1/operstate", "dormant\n");
  DirSource fa(tmp.path(), {}, true);
  auto nics = nics_from_files(fa, {"eno1", "missing", "../etc"});
  REQUIRE(nics.size() == 1);
  CHECK(nics.at("eno1").mac->str() == "52:54:00:12:34:56");
  CHECK(nics.at("eno1").state == "unknown");
  auto direct = nics_from_sysfs({"eno1"}, (tmp.path() / "sys/class/net").string());
  CHECK(direct.at("eno1").mac->str() == "52:54:00:12:34:56");
  if (fs::exists("/sys/class/net/lo/address")) {
    auto lo = nics_from_sysfs({"lo"});
    REQUIRE(lo.count("lo") == 1);
    CHECK(lo.at("lo").mac->str() == "00:00:00:00:00:00");
  }
}

TEST_CASE("observe: malformed domain XML names the domain" * doctest::test_suite("observe")) {
  // The test driver validates XML at load, so a broken XML can only come from a
  // connection; read_network_scripts and parse_domain are what observe() uses.
  CHECK_THROWS_WITH_AS(xml::parse_domain("<domain><name>web9</name>", "domain XML of web9"),
                       doctest::Contains("malformed domain XML of web9"), xml::XmlError);
}

#include "spec/loader.hpp"

TEST_CASE("observe: the lab overlay over specs/seed.yaml points kvm1 at the lab" * doctest::test_suite("observe")) {
  auto r = spec::load({(test::source_dir() / "specs/seed.yaml").string(),
                       (lab() / "seed-lab.yaml").string()});
  for (const auto& d : r.diagnostics.items()) MESSAGE(format_diagnostic(d));
  REQUIRE_FALSE(r.diagnostics.has_errors());
  const Host& h = r.topology.hosts.at("kvm1");
  CHECK(h.uri == uri_of((lab() / "node.xml").lexically_normal()));
  CHECK(h.files.kind == FileSourceKind::Dir);
  CHECK(h.guests.at("web1").interfaces.size() == 3);  // the seed's lists survive the merge
  Observation obs = observe(r.topology);
  const auto& ho = obs.hosts.at("kvm1");
  REQUIRE(ho.reachable);
  CHECK(ho.domains.at("web1").config.size() == 1);  // BEFORE state: eth0 only
  CHECK(ho.guests.at("web1").files.at("ifcfg-eth0").bytes->find("DEFROUTE=yes") !=
        std::string::npos);
  CHECK(ho.files.at("ifcfg-em1").bytes->find("IPADDR=192.168.1.13") != std::string::npos);
}

#include "xml/domain_xml_edit.hpp"

TEST_CASE("observe: live differs from persistent is visible (and said by show)" * doctest::test_suite("observe")) {
  // One connection throughout: a test-driver connection's changes live in that connection.
  auto hv = LibvirtHypervisor::connect(
      uri_of(test::source_dir() / "tests/fixtures/libvirt/modes-node.xml"), false);
  auto xml = hv->domain_xml("vepa1", true);
  REQUIRE(xml);
  // Persistent config gains an interface while the running guest keeps its old device set.
  hv->define_xml(xml::add_interface(
      *xml, xml::direct_interface_xml(*MacAddress::parse("52:54:00:00:01:03"), "em1",
                                      MacvtapMode::Private, std::nullopt)));
  Host host;
  host.name = "h";
  HostObservation h = observe_host(host, *hv, ObserveOptions{});
  const DomainState& d = h.domains.at("vepa1");
  REQUIRE(d.running);
  REQUIRE(d.live);
  CHECK(d.config.size() == 3);
  CHECK(d.live->size() == 2);
  CHECK(live_differs(d));
  CHECK_FALSE(live_differs(h.domains.at("private1")));
  Observation obs;
  obs.hosts["h"] = h;
  Topology t;
  t.hosts["h"].name = "h";
  t.hosts["h"].uri = h.uri;
  CHECK(show_yaml(t, obs).find("guest vepa1: its live interfaces differ from the persistent config") !=
        std::string::npos);
}

TEST_CASE("observe: agent guest files use a read-write connection and failures are recorded" * doctest::test_suite("observe")) {
  Topology t = lab_topology();
  t.hosts["kvm1"].guests["web1"].guest_files = {FileSourceKind::Agent, ""};
  ObserveOptions o;
  std::optional<bool> ro;
  o.hypervisor = [&](const std::string& uri, bool read_only) {
    ro = read_only;
    return LibvirtHypervisor::connect(uri, read_only);
  };
  Observation obs = observe(t, o);
  REQUIRE(ro);
  CHECK_FALSE(*ro);  // libvirt refuses agent commands on read-only connections
  const auto& g = obs.hosts.at("kvm1").guests.at("web1");
  // The test driver has no guest agent: recorded, not thrown.
  CHECK_FALSE(g.files_read);
  CHECK_FALSE(g.files_error.empty());
  MESSAGE("agent on the test driver: " << g.files_error);
  // Without agent sources the connection stays read-only.
  Topology plain = lab_topology();
  observe(plain, o);
  CHECK(*ro);
}

TEST_CASE("observe: without the XML texts, the same interfaces and the texts' SHA-256" *
          doctest::test_suite("observe")) {
  // plan and drift drop the texts (keep_domain_xml = false); the diff's fingerprints come
  // from the hashes observation keeps, so they equal the ones hashed from the texts.
  const Topology t = lab_topology();
  ObserveOptions keep, drop;
  drop.keep_domain_xml = false;
  const Observation a = observe(t, keep), b = observe(t, drop);
  const auto& da = a.hosts.at("kvm1").domains;
  const auto& db = b.hosts.at("kvm1").domains;
  REQUIRE(da.size() == db.size());
  REQUIRE_FALSE(da.empty());
  for (const auto& [name, x] : da) {
    CAPTURE(name);
    const DomainState& y = db.at(name);
    REQUIRE_FALSE(x.inactive_xml.empty());
    CHECK(y.inactive_xml.empty());
    CHECK(x.inactive_sha256 == sha256_hex(x.inactive_xml));
    CHECK(y.inactive_sha256 == x.inactive_sha256);
    CHECK(y.config.size() == x.config.size());
    CHECK(y.running == x.running);
    CHECK(y.live.has_value() == x.live.has_value());
    if (x.live_xml) {
      REQUIRE(y.live_xml);
      CHECK(y.live_xml->empty());
      CHECK(y.live_sha256 == sha256_hex(*x.live_xml));
    }
  }
}
