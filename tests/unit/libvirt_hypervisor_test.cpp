#include <doctest/doctest.h>

#include <libvirt/virterror.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>

#include "libvirt/libvirt_hypervisor.hpp"
#include "test_support.hpp"
#include "util/errors.hpp"
#include "xml/domain_xml.hpp"
#include "xml/domain_xml_edit.hpp"

using namespace mvt;

namespace {

std::string modes_uri() {
  return "test://" + (test::source_dir() / "tests/fixtures/libvirt/modes-node.xml").string();
}

const DomainSummary* find(const std::vector<DomainSummary>& v, const std::string& name) {
  auto it = std::find_if(v.begin(), v.end(), [&](const auto& d) { return d.name == name; });
  return it == v.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("libvirt: list domains, read XML, absent domain" * doctest::test_suite("libvirt")) {
  auto hv = LibvirtHypervisor::connect(modes_uri(), true);
  CHECK(hv->uri() == modes_uri());
  CHECK_FALSE(hv->supports_hotplug());
  auto doms = hv->list_domains();
  REQUIRE(doms.size() == 4);
  REQUIRE(find(doms, "vepa1"));
  CHECK(find(doms, "vepa1")->running);
  CHECK(find(doms, "vepa1")->state == "running");
  CHECK(find(doms, "vepa1")->uuid == "6f0c0d0e-0000-4000-8000-000000000001");
  REQUIRE(find(doms, "bridge1"));
  CHECK_FALSE(find(doms, "bridge1")->running);
  CHECK(find(doms, "bridge1")->state == "shut off");

  auto xml = hv->domain_xml("pass1", true);
  REQUIRE(xml);
  auto ifs = xml::parse_interfaces(*xml, "domain XML of pass1");
  REQUIRE(ifs.size() == 2);
  CHECK(ifs[0].source_dev == "em3");
  CHECK(ifs[0].source_mode == "passthrough");
  CHECK(ifs[1].type == "user");

  CHECK_FALSE(hv->domain_xml("no-such-guest", true));
  CHECK_FALSE(hv->domain_xml("no-such-guest", false));
  try {
    hv->start("no-such-guest");
    FAIL("no exception");
  } catch (const LibvirtError& e) {
    CHECK(e.code() == VIR_ERR_NO_DOMAIN);
  }
}

TEST_CASE("libvirt: host interfaces through the interface API" * doctest::test_suite("libvirt")) {
  auto hv = LibvirtHypervisor::connect(modes_uri(), true);
  auto nics = hv->host_interfaces();
  REQUIRE(nics);
  REQUIRE(nics->size() == 3);
  std::sort(nics->begin(), nics->end(), [](auto& a, auto& b) { return a.name < b.name; });
  CHECK((*nics)[0].name == "em1");
  CHECK((*nics)[0].mac->str() == "18:66:da:9f:96:d6");
  CHECK((*nics)[0].source == NicInfoSource::Libvirt);
  CHECK((*nics)[1].mac->str() == "18:66:da:9f:96:d7");
  CHECK(((*nics)[1].state == "up" || (*nics)[1].state == "down"));
}

TEST_CASE("libvirt: unreachable URI is a clear LibvirtError" * doctest::test_suite("libvirt")) {
  try {
    LibvirtHypervisor::connect("test:///nonexistent/dir/node.xml", true);
    FAIL("no exception");
  } catch (const LibvirtError& e) {
    const std::string m = e.what();
    CHECK(m.find("cannot connect to test:///nonexistent/dir/node.xml: ") == 0);
    CHECK(m.size() > std::string("cannot connect to test:///nonexistent/dir/node.xml: ").size());
    CHECK(e.code() != 0);
  }
  CHECK_THROWS_AS(LibvirtHypervisor::connect("bogus+nothing:///x", true), LibvirtError);
}

TEST_CASE("libvirt: live differs from persistent after a config-only change" * doctest::test_suite("libvirt")) {
  // The test driver cannot hot-plug, but define on a running domain changes only the
  // persistent config: exactly what someone who edits without --live leaves behind.
  auto hv = LibvirtHypervisor::connect(modes_uri(), false);
  const std::string base = R"(<domain type='test'>
  <name>live1</name>
  <memory>1048576</memory>
  <os><type>hvm</type></os>
  <devices>
    <interface type='direct'>
      <mac address='52:54:00:aa:00:01'/>
      <source dev='em2' mode='private'/>
    </interface>
  </devices>
</domain>)";
  hv->define_xml(base);
  hv->start("live1");
  auto persistent = hv->domain_xml("live1", true);
  REQUIRE(persistent);
  auto changed = xml::add_interface(
      *persistent, xml::direct_interface_xml(*MacAddress::parse("52:54:00:aa:00:02"), "em1",
                                             MacvtapMode::Vepa, std::nullopt));
  hv->define_xml(changed);
  auto cfg = xml::parse_interfaces(*hv->domain_xml("live1", true), "inactive XML of live1");
  auto live = xml::parse_interfaces(*hv->domain_xml("live1", false), "live XML of live1");
  CHECK(cfg.size() == 2);
  CHECK(live.size() == 1);
  CHECK(live[0].mac->str() == "52:54:00:aa:00:01");
  hv->destroy("live1");
  CHECK(find(hv->list_domains(), "live1")->running == false);
  CHECK_THROWS_AS(hv->define_xml("<domain>"), LibvirtError);
}

TEST_CASE("libvirt: the one-pass read of a large host keeps several calls in flight and "
          "matches the one-by-one read" * doctest::test_suite("libvirt")) {
  // 200 domains (above the threshold for more threads; test:/// runs every domain of its node
  // file: a state call and two XMLs each): the threaded visit returns exactly what the
  // base class's one-by-one visit returns, in listing order.
  test::TempDir t;
  std::string node = "<node>\n";
  for (int k = 0; k < 200; ++k) {
    char name[32];
    std::snprintf(name, sizeof name, "g%03d", k);
    node += std::string("<domain type='test'><name>") + name +
            "</name><memory>1024</memory><os><type>hvm</type></os><devices>"
            "<interface type='direct'><mac address='52:54:00:00:" +
            (k < 16 ? "0" : "") + [&] {
              char h[8];
              std::snprintf(h, sizeof h, "%x", k);
              return std::string(h);
            }() + ":01'/><source dev='em2' mode='private'/><model type='virtio'/></interface>"
                  "</devices></domain>\n";
  }
  node += "</node>\n";
  const auto file = t.path() / "node.xml";
  test::write_file(file, node);
  auto hv = LibvirtHypervisor::connect("test://" + file.string(), true);
  // Each visit collected in listing order.
  std::vector<std::optional<DomainXml>> threaded, plain;
  auto collect_into = [](std::vector<std::optional<DomainXml>>& got) {
    Hypervisor::DomainVisitor v;
    v.listed = [&got](std::size_t n) { got.resize(n); };
    v.domain = [&got](std::size_t k, DomainXml&& x) { got[k] = std::move(x); };
    return v;
  };
  hv->visit_all_domains(collect_into(threaded));
  hv->Hypervisor::visit_all_domains(collect_into(plain));  // the base class's one-by-one way
  REQUIRE(threaded.size() == 200);
  REQUIRE(plain.size() == 200);
  std::set<std::string> names;
  for (std::size_t k = 0; k < 200; ++k) {
    REQUIRE(plain[k]);
    REQUIRE(threaded[k]);
    CAPTURE(k);
    CHECK(threaded[k]->summary.name == plain[k]->summary.name);
    CHECK(threaded[k]->summary.uuid == plain[k]->summary.uuid);
    CHECK(threaded[k]->summary.running == plain[k]->summary.running);
    CHECK(threaded[k]->summary.state == plain[k]->summary.state);
    CHECK(threaded[k]->inactive_xml == plain[k]->inactive_xml);
    CHECK(threaded[k]->live_xml == plain[k]->live_xml);
    REQUIRE(threaded[k]->inactive_xml);
    CHECK(threaded[k]->inactive_xml->find("<name>" + threaded[k]->summary.name + "</name>") !=
          std::string::npos);
    names.insert(threaded[k]->summary.name);
  }
  CHECK(names.size() == 200);
}

TEST_CASE("libvirt: after a listing, a domain is read through its listed handle, fresh, and one "
          "defined after the listing is looked up by name" * doctest::test_suite("libvirt")) {
  auto hv = LibvirtHypervisor::connect(modes_uri(), false);
  Hypervisor::DomainVisitor v;
  v.listed = [](std::size_t) {};
  v.domain = [](std::size_t, DomainXml&&) {};
  hv->visit_all_domains(v);  // keeps the handles
  // bridge1 changed after the listing (same UUID): the handle reads what libvirt has now.
  auto before = hv->domain_xml("bridge1", true);
  REQUIRE(before);
  const auto ifs = xml::parse_interfaces(*before, "bridge1");
  REQUIRE_FALSE(ifs.empty());
  auto edited = *before;
  const std::string from = "<memory unit='KiB'>";
  const auto at = edited.find(from);
  REQUIRE(at != std::string::npos);
  edited.replace(at, edited.find("</memory>", at) - at, from + "262144");
  hv->define_xml(edited);
  const auto after = hv->domain_xml("bridge1", true);
  REQUIRE(after);
  CHECK(after->find("<memory unit='KiB'>262144</memory>") != std::string::npos);
  // A domain the listing did not see: found by name all the same.
  std::string fresh = *before;
  const auto n0 = fresh.find("<name>bridge1</name>");
  REQUIRE(n0 != std::string::npos);
  fresh.replace(n0, std::string("<name>bridge1</name>").size(), "<name>later1</name>");
  const auto u0 = fresh.find("<uuid>");
  REQUIRE(u0 != std::string::npos);
  fresh.erase(u0, fresh.find("</uuid>", u0) + 7 - u0);  // a new UUID
  const auto m0 = fresh.find("<mac address=");
  if (m0 != std::string::npos) fresh.erase(m0, fresh.find("/>", m0) + 2 - m0);
  hv->define_xml(fresh);
  const auto later = hv->domain_xml("later1", true);
  REQUIRE(later);
  CHECK(later->find("<name>later1</name>") != std::string::npos);
  CHECK_FALSE(hv->domain_xml("no-such-guest", true));
}
