#include <doctest/doctest.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include <filesystem>
#include <memory>

#include "test_support.hpp"
#include "xml/domain_xml.hpp"
#include "xml/domain_xml_edit.hpp"

using namespace mvt;
namespace fs = std::filesystem;

namespace {

const char* kProcedureDomain = R"(<domain type='kvm'>
  <name>web1</name>
  <uuid>0b6d1e4c-7f3e-4b7a-9c55-1f0e2f6b8a01</uuid>
  <devices>
    <interface type='network'>
      <mac address='52:54:00:b4:87:0f'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <interface type='direct'>
      <mac address='52:54:00:5d:9c:33'/>
      <source dev='em2' mode='private'/>
      <target dev='macvtap1'/>
      <model type='rtl8139'/>
      <alias name='net2'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/>
    </interface>
    <interface type='vhostuser'>
      <mac address='52:54:00:ee:00:01'/>
      <source type='unix' path='/tmp/vhost.sock' mode='server'/>
      <vlan><tag id='42'/></vlan>
    </interface>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
  </devices>
</domain>
)";

// An independent reading of the same file: libxml2 XPath string() of one expression.
std::string xpath_string(const std::string& text, const std::string& expr) {
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      xmlReadMemory(text.data(), static_cast<int>(text.size()), "x.xml", nullptr, XML_PARSE_NONET),
      xmlFreeDoc);
  REQUIRE(doc);
  std::unique_ptr<xmlXPathContext, decltype(&xmlXPathFreeContext)> ctx(
      xmlXPathNewContext(doc.get()), xmlXPathFreeContext);
  std::unique_ptr<xmlXPathObject, decltype(&xmlXPathFreeObject)> o(
      xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(expr.c_str()), ctx.get()),
      xmlXPathFreeObject);
  REQUIRE(o);
  xmlChar* s = xmlXPathCastToString(o.get());
  std::string out = reinterpret_cast<const char*>(s);
  xmlFree(s);
  return out;
}

}  // namespace

TEST_CASE("domain XML: every interface field of the procedure's dumpxml" * doctest::test_suite("domain_xml")) {
  auto d = xml::parse_domain(kProcedureDomain, "domain XML of web1");
  CHECK(d.name == "web1");
  CHECK(d.uuid == "0b6d1e4c-7f3e-4b7a-9c55-1f0e2f6b8a01");
  CHECK(d.has_agent_channel);
  REQUIRE(d.interfaces.size() == 3);
  const auto& net = d.interfaces[0];
  CHECK(net.type == "network");
  CHECK(net.mac->str() == "52:54:00:b4:87:0f");
  CHECK(net.source_network == "default");
  CHECK(net.model == "virtio");
  CHECK(net.source_dev.empty());
  CHECK(net.index == 0);
  const auto& dir = d.interfaces[1];
  CHECK(dir.type == "direct");
  CHECK(dir.mac->str() == "52:54:00:5d:9c:33");
  CHECK(dir.source_dev == "em2");
  CHECK(dir.source_mode == "private");
  CHECK(dir.model == "rtl8139");
  CHECK(dir.target_dev == "macvtap1");
  CHECK(dir.alias == "net2");
  CHECK(dir.pci_address == "0000:00:09.0");
  CHECK(dir.opaque.empty());
  CHECK(dir.index == 1);
  CHECK(dir.xml.find("<interface type=\"direct\">") == 0);
  CHECK(dir.xml.find("slot=\"0x09\"") != std::string::npos);
  const auto& unknown = d.interfaces[2];
  CHECK(unknown.type == "vhostuser");
  CHECK(unknown.source_dev.empty());  // only direct interfaces have a source dev
  REQUIRE(unknown.opaque.size() == 1);
  CHECK(unknown.opaque[0] == "<vlan><tag id=\"42\"/></vlan>");
}

TEST_CASE("domain XML: malformed input names the domain" * doctest::test_suite("domain_xml")) {
  try {
    xml::parse_domain("<domain><name>web1</name><devices>", "domain XML of web1");
    FAIL("no exception");
  } catch (const xml::XmlError& e) {
    const std::string m = e.what();
    CHECK(m.find("malformed domain XML of web1: line") == 0);
  }
  CHECK_THROWS_AS(xml::parse_domain("", "domain XML of x"), xml::XmlError);
  CHECK_THROWS_WITH_AS(xml::parse_domain("<network/>", "domain XML of x"),
                       "malformed domain XML of x: root element is <network>, not <domain>",
                       xml::XmlError);
  CHECK_THROWS_WITH_AS(
      xml::parse_domain("<domain><devices><interface type='direct'><mac address='zz'/>"
                        "</interface></devices></domain>",
                        "domain XML of x"),
      "malformed domain XML of x: interface 0 has an invalid MAC address 'zz'", xml::XmlError);
  CHECK_FALSE(xml::has_agent_channel("<domain><devices/></domain>"));
}

TEST_CASE("domain XML: building interface elements" * doctest::test_suite("domain_xml")) {
  const auto mac = *MacAddress::parse("52:54:00:5d:9c:33");
  auto x = xml::direct_interface_xml(mac, "em2", MacvtapMode::Private, std::string("rtl8139"));
  auto i = xml::parse_interface_element(x, "built");
  CHECK(i.type == "direct");
  CHECK(i.mac == mac);
  CHECK(i.source_dev == "em2");
  CHECK(i.source_mode == "private");
  CHECK(i.model == "rtl8139");
  // Values are escaped by libxml2, never concatenated.
  auto odd = xml::network_interface_xml("a'b\"<c>&", mac, std::nullopt);
  auto n = xml::parse_interface_element(odd, "built");
  CHECK(n.type == "network");
  CHECK(n.source_network == "a'b\"<c>&");
  CHECK(n.model.empty());
}

TEST_CASE("domain XML: add, replace and remove an interface by MAC" * doctest::test_suite("domain_xml")) {
  const auto old_mac = *MacAddress::parse("52:54:00:5d:9c:33");
  const auto new_mac = *MacAddress::parse("52:54:00:11:22:33");
  auto added = xml::add_interface(
      kProcedureDomain, xml::direct_interface_xml(new_mac, "em1", MacvtapMode::Vepa, std::nullopt));
  auto d = xml::parse_domain(added, "added");
  REQUIRE(d.interfaces.size() == 4);
  CHECK(d.interfaces[3].mac == new_mac);
  CHECK(d.interfaces[3].source_dev == "em1");
  CHECK(d.has_agent_channel);  // the rest of the domain is kept

  auto replaced = xml::replace_interface(
      added, old_mac, xml::direct_interface_xml(old_mac, "em1", MacvtapMode::Bridge, std::string("virtio")));
  REQUIRE(replaced);
  auto r = xml::parse_domain(*replaced, "replaced");
  REQUIRE(r.interfaces.size() == 4);
  CHECK(r.interfaces[1].source_dev == "em1");
  CHECK(r.interfaces[1].source_mode == "bridge");
  CHECK(r.interfaces[1].pci_address == "0000:00:09.0");  // PCI slot kept
  CHECK(r.interfaces[1].target_dev.empty());
  CHECK(r.interfaces[0].xml == d.interfaces[0].xml);  // others untouched

  auto removed = xml::remove_interface(*replaced, old_mac);
  REQUIRE(removed);
  auto m = xml::parse_domain(*removed, "removed");
  REQUIRE(m.interfaces.size() == 3);
  CHECK_FALSE(xml::find_by_mac(m.interfaces, old_mac));
  CHECK(xml::find_by_mac(m.interfaces, new_mac));

  CHECK_FALSE(xml::remove_interface(kProcedureDomain, new_mac));
  CHECK_FALSE(xml::replace_interface(kProcedureDomain, new_mac, "<interface type='user'/>"));
  CHECK_THROWS_AS(xml::add_interface("<domain><name>x</name></domain>", "<interface type='user'/>"),
                  xml::XmlError);
  // Adding to a domain without interfaces.
  auto first = xml::add_interface("<domain>\n  <devices>\n  </devices>\n</domain>",
                                  xml::network_interface_xml("default", new_mac, std::nullopt));
  CHECK(xml::parse_interfaces(first, "first").size() == 1);

  // put_interface: the same bytes as replace_interface when the MAC is there, as
  // add_interface when it is not, from one parse.
  const auto new_if = xml::direct_interface_xml(old_mac, "em1", MacvtapMode::Bridge, std::string("virtio"));
  const auto put_r = xml::put_interface(added, old_mac, new_if);
  CHECK(put_r.replaced);
  CHECK(put_r.xml == *xml::replace_interface(added, old_mac, new_if));
  const auto add_if = xml::direct_interface_xml(new_mac, "em1", MacvtapMode::Vepa, std::nullopt);
  const auto put_a = xml::put_interface(kProcedureDomain, new_mac, add_if);
  CHECK_FALSE(put_a.replaced);
  CHECK(put_a.xml == added);
}

TEST_CASE("domain XML corpus: every file parses, direct dev/mode match XPath" * doctest::test_suite("domain_xml")) {
  const fs::path corpus = test::corpus_dir();
  if (corpus.empty()) {
    MESSAGE("SKIPPED: corpus not found (set MVT_CORPUS_DIR)");
    return;
  }
  int files = 0, directs = 0;
  for (const char* sub : {"libvirt-domains/direct", "libvirt-domains/other"}) {
    for (const auto& e : fs::directory_iterator(corpus / sub)) {
      if (e.path().extension() != ".xml") continue;
      ++files;
      const std::string text = test::read_file(e.path());
      CAPTURE(e.path().string());
      xml::ParsedDomain d;
      REQUIRE_NOTHROW(d = xml::parse_domain(text, "domain XML " + e.path().filename().string()));
      const int count = std::stoi(xpath_string(text, "count(/domain/devices/interface)"));
      REQUIRE(static_cast<int>(d.interfaces.size()) == count);
      for (const auto& i : d.interfaces) {
        const std::string at = "/domain/devices/interface[" + std::to_string(i.index + 1) + "]";
        CHECK(i.type == xpath_string(text, "string(" + at + "/@type)"));
        CHECK(i.xml.find("<interface") == 0);
        if (i.type != "direct") continue;
        ++directs;
        CHECK(i.source_dev == xpath_string(text, "string(" + at + "/source/@dev)"));
        CHECK(i.source_mode == xpath_string(text, "string(" + at + "/source/@mode)"));
        CHECK(!i.source_dev.empty());
      }
    }
  }
  CHECK(files >= 30);
  CHECK(directs >= 6);
  MESSAGE("parsed " << files << " corpus domain XMLs, " << directs << " direct interfaces");
}

#include "xml/host_interface_xml.hpp"

TEST_CASE("host interface XML: corpus files parse or are rejected clearly" * doctest::test_suite("domain_xml")) {
  const fs::path corpus = test::corpus_dir();
  if (corpus.empty()) {
    MESSAGE("SKIPPED: corpus not found (set MVT_CORPUS_DIR)");
    return;
  }
  int parsed = 0, rejected = 0;
  for (const auto& e : fs::directory_iterator(corpus / "libvirt-interfaces")) {
    const std::string text = test::read_file(e.path());
    CAPTURE(e.path().string());
    try {
      auto h = xml::parse_host_interface(text, "interface XML " + e.path().filename().string());
      ++parsed;
      CHECK(h.name == xpath_string(text, "string(/interface/@name)"));
      CHECK(h.type == xpath_string(text, "string(/interface/@type)"));
      CHECK(static_cast<int>(h.ipv4_addresses.size()) ==
            std::stoi(xpath_string(text, "count(/interface/protocol[@family='ipv4']/ip)")));
      if (h.type == "vlan") CHECK(h.vlan_tag);
    } catch (const xml::XmlError& err) {
      ++rejected;
      CHECK(std::string(err.what()).find("malformed interface XML " + e.path().filename().string()) == 0);
    }
  }
  CHECK(parsed + rejected >= 19);
  MESSAGE(parsed << " host interface XMLs parsed, " << rejected << " rejected");
  auto bond = xml::parse_host_interface(test::read_file(corpus / "libvirt-interfaces/bond.xml"), "bond");
  CHECK(bond.members.size() == 2);
  auto st = xml::parse_host_interface(
      test::read_file(corpus / "libvirt-interfaces/ethernet-static.xml"), "static");
  CHECK(st.ipv4_addresses.at(0).str() == "192.168.0.5/24");
  CHECK(st.ipv4_gateway->str() == "192.168.0.1");
  CHECK_THROWS_WITH_AS(xml::parse_host_interface("<interface type='ethernet'/>", "interface XML x"),
                       "malformed interface XML x: <interface> has no name", xml::XmlError);
  CHECK_THROWS_AS(xml::parse_host_interface("<interface", "x"), xml::XmlError);
}

#include <libxml/relaxng.h>

namespace {

// Validates a whole document against a RelaxNG schema; "" when valid, else the first error.
std::string relaxng_errors(const std::string& schema, const std::string& text) {
  std::unique_ptr<xmlRelaxNGParserCtxt, decltype(&xmlRelaxNGFreeParserCtxt)> pctx(
      xmlRelaxNGNewParserCtxt(schema.c_str()), xmlRelaxNGFreeParserCtxt);
  std::unique_ptr<xmlRelaxNG, decltype(&xmlRelaxNGFree)> rng(xmlRelaxNGParse(pctx.get()),
                                                             xmlRelaxNGFree);
  if (!rng) return "cannot load " + schema;
  std::unique_ptr<xmlRelaxNGValidCtxt, decltype(&xmlRelaxNGFreeValidCtxt)> vctx(
      xmlRelaxNGNewValidCtxt(rng.get()), xmlRelaxNGFreeValidCtxt);
  static std::string first;
  first.clear();
  xmlRelaxNGSetValidStructuredErrors(
      vctx.get(), [](void*, xmlErrorPtr e) { if (first.empty() && e && e->message) first = e->message; },
      nullptr);
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      xmlReadMemory(text.data(), static_cast<int>(text.size()), "d.xml", nullptr, XML_PARSE_NONET),
      xmlFreeDoc);
  if (!doc) return "not XML";
  return xmlRelaxNGValidateDoc(vctx.get(), doc.get()) == 0 ? "" : (first.empty() ? "invalid" : first);
}

}  // namespace

TEST_CASE("domain XML: built and edited domains pass libvirt's domain.rng" * doctest::test_suite("domain_xml")) {
  const std::string schema = "/usr/share/libvirt/schemas/domain.rng";
  if (!fs::exists(schema)) {
    MESSAGE("SKIPPED: " << schema << " not installed");
    return;
  }
  const std::string base = R"(<domain type='kvm'>
  <name>web1</name>
  <memory unit='KiB'>1048576</memory>
  <os>
    <type>hvm</type>
  </os>
  <devices>
    <interface type='network'>
      <mac address='52:54:00:b4:87:0f'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
)";
  CHECK(relaxng_errors(schema, base) == "");
  const auto mac = *MacAddress::parse("52:54:00:5d:9c:33");
  for (auto mode : {MacvtapMode::Vepa, MacvtapMode::Bridge, MacvtapMode::Private, MacvtapMode::Passthrough}) {
    CAPTURE(to_string(mode));
    auto added = xml::add_interface(base, xml::direct_interface_xml(mac, "em2", mode, std::string("rtl8139")));
    CHECK(relaxng_errors(schema, added) == "");
    auto replaced = xml::replace_interface(
        added, mac, xml::direct_interface_xml(mac, "em1", mode, std::nullopt));
    REQUIRE(replaced);
    CHECK(relaxng_errors(schema, *replaced) == "");
  }
  auto removed = xml::remove_interface(base, *MacAddress::parse("52:54:00:b4:87:0f"));
  REQUIRE(removed);
  CHECK(relaxng_errors(schema, *removed) == "");
  // The check can fail: an unknown macvtap mode is refused by the schema.
  std::string bad = base;
  bad.replace(bad.find("<source network='default'/>"), 27, "<source dev='em2' mode='sideways'/>");
  bad.replace(bad.find("type='network'"), 14, "type='direct'");
  CHECK(relaxng_errors(schema, bad) != "");
}
