// The semantic diff with hand-built values: matching by MAC, meaning over text, volatile
// fields ignored, unlisted interfaces, live vs persistent, files, errors.
#include <doctest/doctest.h>

#include <algorithm>

#include "diff/diff.hpp"
#include "netconf/ifcfg/ifcfg_format.hpp"
#include "netconf/ifcfg/interface_facts.hpp"
#include "diff_fixtures.hpp"
#include "netconf/ifcfg/ifcfg_file.hpp"
#include "plan/planner.hpp"

using namespace mvt;
using namespace mvt::test;

namespace {

const diff::InterfaceDiff* iface(const diff::ChangeSet& cs, const std::string& name) {
  for (const auto& i : cs.interfaces)
    if (i.name == name) return &i;
  return nullptr;
}

const diff::FileDiff* file_diff(const diff::ChangeSet& cs, const std::string& name) {
  for (const auto& f : cs.files)
    if (f.name == name) return &f;
  return nullptr;
}

std::optional<std::string> field_after(const std::vector<plan::FieldChange>& f,
                                       const std::string& k) {
  for (const auto& c : f)
    if (c.field == k) return c.after;
  return std::nullopt;
}

bool has_field(const std::vector<plan::FieldChange>& f, const std::string& k) {
  return std::any_of(f.begin(), f.end(), [&](const auto& c) { return c.field == k; });
}

// The AFTER state of the procedure: everything the spec says is already there.
Observation seed_after(const Topology& t) {
  Observation o = seed_before(true);
  auto& h = o.hosts["kvm1"];
  auto& d = h.domains["web1"];
  const auto& g = t.hosts.at("kvm1").guests.at("web1");
  add_interface(d, observed_direct("52:54:00:5d:9c:33", "em2", "private", "rtl8139", 1));
  const auto ens8_mac = effective_mac("kvm1", "web1", g.interfaces[2]);
  add_interface(d, observed_direct(ens8_mac.str().c_str(), "em1", "private", std::nullopt, 2));
  // Files as the tool would write them.
  const auto em2 = host_nic_file("kvm1", t.hosts.at("kvm1").nics.at("em2"),
                                       &h.files["ifcfg-em2"]);
  h.files["ifcfg-em2"].bytes = em2->after;
  auto& gf = h.guests["web1"].files;
  const auto eth0 = guest_ifcfg_file("kvm1", "web1", g.interfaces[0],
                                           mac("52:54:00:b4:87:0f"), &gf["ifcfg-eth0"]);
  gf["ifcfg-eth0"].bytes = eth0->after;
  gf["ifcfg-ens9"] = file("ifcfg-ens9", guest_ifcfg_file("kvm1", "web1", g.interfaces[1],
                                                               mac("52:54:00:5d:9c:33"), nullptr)
                                            ->after);
  gf["ifcfg-ens8"] = file(
      "ifcfg-ens8", guest_ifcfg_file("kvm1", "web1", g.interfaces[2], ens8_mac, nullptr)->after);
  return o;
}

}  // namespace

TEST_CASE("diff: the procedure's before state lists every change" * doctest::test_suite("diff")) {
  const auto t = seed_topology();
  const auto cs = diff::compute(t, seed_before());
  REQUIRE_FALSE(cs.diagnostics.has_errors());
  // Interfaces: ens9 and ens8 new in config and live; eth0 matched by position (no MAC in spec).
  REQUIRE(cs.interfaces.size() == 2);
  const auto* ens9 = iface(cs, "ens9");
  REQUIRE(ens9);
  CHECK(ens9->mac == "52:54:00:5d:9c:33");
  CHECK_FALSE(ens9->config);
  CHECK(ens9->config_differs);
  CHECK(ens9->live_differs);
  CHECK(field_after(ens9->config_fields, "source.mode") == "private");
  CHECK(field_after(ens9->config_fields, "model") == "rtl8139");
  CHECK(ens9->new_xml.find("rtl8139") != std::string::npos);
  const auto* ens8 = iface(cs, "ens8");
  REQUIRE(ens8);
  CHECK(ens8->mac == derive_mac("kvm1", "web1", "ens8").str());
  CHECK_FALSE(iface(cs, "eth0"));
  // Files: em2 (host), eth0 update, ens9/ens8 new.
  const auto* em2 = file_diff(cs, "ifcfg-em2");
  REQUIRE(em2);
  CHECK(em2->role == diff::FileRole::HostNic);
  CHECK(em2->action == diff::FileAction::Update);
  const auto f = ifcfg::File::parse(em2->after);
  CHECK(f.get("ONBOOT") == "no");
  CHECK(f.bootproto() == "static");
  CHECK(f.get("UUID") == "85e14c6b-f9d3-49a0-b566-f122d47001c6");  // kept
  CHECK(f.get("HWADDR") == "18:66:da:9f:96:d7");
  for (const char* k : {"DEFROUTE", "PEERDNS", "PEERROUTES", "IPV4_FAILURE_FATAL", "IPV6INIT",
                        "IPV6_AUTOCONF", "IPV6_DEFROUTE", "IPV6_PEERDNS", "IPV6_PEERROUTES",
                        "IPV6_FAILURE_FATAL"})
    CHECK_MESSAGE(f.get_bool(k) == false, k);
  const auto* eth0 = file_diff(cs, "ifcfg-eth0");
  REQUIRE(eth0);
  CHECK(eth0->action == diff::FileAction::Update);
  REQUIRE(eth0->fields.size() == 2);
  CHECK(eth0->fields[0].field == "DEFROUTE");
  CHECK(eth0->fields[1].field == "PEERDNS");
  CHECK_FALSE(eth0->for_new_interface);
  const auto* ifcfg_ens9 = file_diff(cs, "ifcfg-ens9");
  REQUIRE(ifcfg_ens9);
  CHECK(ifcfg_ens9->action == diff::FileAction::Create);
  CHECK(ifcfg_ens9->for_new_interface);
  CHECK((ifcfg_ens9->after).rfind(ifcfg::kManagedHeader, 0) == 0);
  const auto n = ifcfg::File::parse(ifcfg_ens9->after);
  CHECK(n.get("HWADDR") == "52:54:00:5d:9c:33");
  CHECK(n.get("UUID") == ifcfg::guest_interface_uuid("kvm1", "web1", "ens9"));
  CHECK(n.ipv4_address() == Cidr::parse("104.50.201.84/29"));
  CHECK(n.gateway() == Ipv4::parse("104.50.201.86"));
  CHECK(n.get_bool("DEFROUTE") == true);
  CHECK(n.get_bool("PEERDNS") == false);
  CHECK(n.get("DNS1") == "8.8.8.8");
  CHECK(file_diff(cs, "ifcfg-ens8"));
  // Nothing for em1 (config: host): never touched.
  CHECK_FALSE(file_diff(cs, "ifcfg-em1"));
  // Fingerprint: domain XMLs and every file read.
  CHECK(cs.fingerprint.count("kvm1/domain/web1/inactive"));
  CHECK(cs.fingerprint.count("kvm1/domain/web1/live"));
  CHECK(cs.fingerprint.count("kvm1/host/file/ifcfg-em2"));
  CHECK(cs.fingerprint.at("kvm1/guest/web1/file/ifcfg-ens9") == "absent");
  CHECK(cs.fingerprint.at("kvm1/guest/web1/file/ifcfg-eth0").size() == 64);
}

TEST_CASE("diff: the after state is a no-op" * doctest::test_suite("diff")) {
  const auto t = seed_topology();
  const auto cs = diff::compute(t, seed_after(t));
  CHECK_FALSE(cs.diagnostics.has_errors());
  CHECK(cs.empty());
}

TEST_CASE("diff: volatile fields never differ" * doctest::test_suite("diff")) {
  const auto t = seed_topology();
  auto o = seed_after(t);
  auto& d = o.hosts["kvm1"].domains["web1"];
  for (auto& i : d.config) {
    i.target_dev = "macvtap7";
    i.alias = "net9";
    i.pci_address = "0000:00:0a.0";
  }
  d.live->at(1).target_dev = "macvtap1";
  CHECK(diff::compute(t, o).empty());
}

TEST_CASE("diff: files compared by meaning, not text" * doctest::test_suite("diff")) {
  const auto t = seed_topology();
  auto o = seed_after(t);
  auto& gf = o.hosts["kvm1"].guests["web1"].files;
  // Same meaning, other spelling: quotes, true/yes, BOOTPROTO static, NETMASK not PREFIX.
  gf["ifcfg-ens9"].bytes =
      "DEVICE=ens9\nONBOOT=\"yes\"\nBOOTPROTO=static\nIPADDR='104.50.201.84'\n"
      "NETMASK=255.255.255.248\nGATEWAY=104.50.201.86\nDEFROUTE=true\nPEERDNS=no\nDNS1=8.8.8.8\n"
      "HWADDR=52:54:00:5D:9C:33\n";
  gf["ifcfg-eth0"].bytes = "DEVICE=eth0\nBOOTPROTO=dhcp\nDEFROUTE=false\nPEERDNS=0\n";
  o.hosts["kvm1"].files["ifcfg-em2"].bytes =
      "NAME=em2\nDEVICE=em2\nTYPE=Ethernet\nONBOOT=no # hardware for guests\nBOOTPROTO=no\n"
      "DEFROUTE=no\nPEERDNS=no\nPEERROUTES=no\nIPV4_FAILURE_FATAL=no\nIPV6INIT=no\n"
      "IPV6_AUTOCONF=no\nIPV6_DEFROUTE=no\nIPV6_PEERDNS=no\nIPV6_PEERROUTES=no\n"
      "IPV6_FAILURE_FATAL=no\nUUID=85e14c6b-f9d3-49a0-b566-f122d47001c6\nHWADDR=18:66:DA:9F:96:D7\n";
  const auto cs = diff::compute(t, o);
  CHECK(cs.files.empty());
}

TEST_CASE("diff: a meaning change edits only its key, keeping comments" *
          doctest::test_suite("diff")) {
  const auto t = seed_topology();
  auto o = seed_after(t);
  auto& gf = o.hosts["kvm1"].guests["web1"].files;
  gf["ifcfg-eth0"].bytes = "# keep me\nDEVICE=eth0\nBOOTPROTO=dhcp\nDEFROUTE=yes # wrong\nPEERDNS=no\nFOO=bar\n";
  const auto cs = diff::compute(t, o);
  REQUIRE(cs.files.size() == 1);
  const auto& f = cs.files[0];
  CHECK(f.name == "ifcfg-eth0");
  REQUIRE(f.fields.size() == 1);
  CHECK(f.fields[0].field == "DEFROUTE");
  CHECK(f.fields[0].before == "yes");
  CHECK(f.fields[0].after == "no");
  CHECK(f.after.find("# keep me\n") == 0);
  CHECK(f.after.find("FOO=bar") != std::string::npos);
  CHECK(f.after.find("HWADDR") == std::string::npos);  // not added to an existing file
}

TEST_CASE("diff: mode, source and model changes replace the interface" *
          doctest::test_suite("diff")) {
  auto t = seed_topology();
  auto o = seed_after(t);
  auto& d = o.hosts["kvm1"].domains["web1"];
  SUBCASE("mode") {
    d.config[1] = observed_direct("52:54:00:5d:9c:33", "em2", "vepa", "rtl8139", 1);
    const auto cs = diff::compute(t, o);
    REQUIRE(cs.interfaces.size() == 1);
    CHECK(cs.interfaces[0].config_differs);
    CHECK_FALSE(cs.interfaces[0].live_differs);
    REQUIRE(cs.interfaces[0].config_fields.size() == 1);
    CHECK(cs.interfaces[0].config_fields[0].field == "source.mode");
    CHECK(cs.interfaces[0].config_fields[0].before == "vepa");
  }
  SUBCASE("model") {
    (*d.live)[1] = observed_direct("52:54:00:5d:9c:33", "em2", "private", "virtio", 1);
    const auto cs = diff::compute(t, o);
    REQUIRE(cs.interfaces.size() == 1);
    CHECK_FALSE(cs.interfaces[0].config_differs);
    CHECK(cs.interfaces[0].live_differs);
    CHECK(has_field(cs.interfaces[0].live_fields, "model"));
  }
  SUBCASE("model not managed when the spec has none") {
    t.hosts["kvm1"].guests["web1"].interfaces[1].model.reset();
    d.config[1] = observed_direct("52:54:00:5d:9c:33", "em2", "private", "e1000", 1);
    CHECK(diff::compute(t, o).interfaces.empty());
  }
  SUBCASE("source dev") {
    d.config[2] = observed_direct(d.config[2].mac->str().c_str(), "em2", "private", std::nullopt, 2);
    const auto cs = diff::compute(t, o);
    REQUIRE(cs.interfaces.size() == 1);
    CHECK(cs.interfaces[0].name == "ens8");
    CHECK(has_field(cs.interfaces[0].config_fields, "source.dev"));
    // The replacement keeps the old element's PCI address (the guest's device name).
    CHECK(cs.interfaces[0].new_xml.find("source") != std::string::npos);
  }
  SUBCASE("type") {
    d.config[1] = observed_network("52:54:00:5d:9c:33", "default", 1);
    const auto cs = diff::compute(t, o);
    REQUIRE(cs.interfaces.size() == 1);
    CHECK(field_after(cs.interfaces[0].config_fields, "type") == "direct");
  }
}

TEST_CASE("diff: a replaced element keeps its PCI address, drops volatile children" *
          doctest::test_suite("diff")) {
  auto t = seed_topology();
  auto o = seed_after(t);
  auto& d = o.hosts["kvm1"].domains["web1"];
  d.config[1] = xml::parse_interface_element(
      "<interface type='direct'><mac address='52:54:00:5d:9c:33'/><source dev='em2' mode='vepa'/>"
      "<target dev='macvtap1'/><model type='rtl8139'/><alias name='net2'/>"
      "<address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/></interface>",
      "t");
  const auto cs = diff::compute(t, o);
  REQUIRE(cs.interfaces.size() == 1);
  const auto n = xml::parse_interface_element(cs.interfaces[0].new_xml, "new");
  CHECK(n.source_mode == "private");
  CHECK(n.pci_address == "0000:00:09.0");
  CHECK(n.target_dev.empty());
  CHECK(n.alias.empty());
  CHECK(n.model == "rtl8139");
}

TEST_CASE("diff: unlisted direct interfaces are removed, others left alone" *
          doctest::test_suite("diff")) {
  const auto t = seed_topology();
  auto o = seed_after(t);
  auto& d = o.hosts["kvm1"].domains["web1"];
  add_interface(d, observed_direct("52:54:00:aa:bb:cc", "em2", "bridge", std::nullopt, 3));
  add_interface(d, observed_network("52:54:00:aa:bb:dd", "other", 4));
  auto& gf = o.hosts["kvm1"].guests["web1"].files;
  gf["ifcfg-ens10"] = file("ifcfg-ens10", std::string(ifcfg::kManagedHeader) +
                                              "\nDEVICE=ens10\nHWADDR=52:54:00:aa:bb:cc\n");
  // Not ours (no header; two files pinning one MAC would be an error: netconf tests).
  gf["ifcfg-ens11"] = file("ifcfg-ens11", "DEVICE=ens11\n");
  const auto cs = diff::compute(t, o);
  REQUIRE(cs.interfaces.size() == 1);
  const auto& r = cs.interfaces[0];
  CHECK_FALSE(r.listed);
  CHECK(r.mac == "52:54:00:aa:bb:cc");
  CHECK(r.config_differs);
  CHECK(r.live_differs);
  REQUIRE(cs.files.size() == 1);
  CHECK(cs.files[0].name == "ifcfg-ens10");
  CHECK(cs.files[0].action == diff::FileAction::Remove);
}

TEST_CASE("diff: live differs from persistent" * doctest::test_suite("diff")) {
  const auto t = seed_topology();
  auto o = seed_after(t);
  auto& d = o.hosts["kvm1"].domains["web1"];
  d.live->erase(d.live->begin() + 1);  // ens9 defined but not plugged in
  const auto cs = diff::compute(t, o);
  REQUIRE(cs.interfaces.size() == 1);
  CHECK(cs.interfaces[0].name == "ens9");
  CHECK_FALSE(cs.interfaces[0].config_differs);
  CHECK(cs.interfaces[0].live_differs);
  CHECK_FALSE(cs.interfaces[0].live);
}

TEST_CASE("diff: shut-off guests compare the persistent definition only" *
          doctest::test_suite("diff")) {
  const auto t = seed_topology();
  const auto cs = diff::compute(t, seed_before(false));
  REQUIRE(cs.interfaces.size() == 2);
  for (const auto& i : cs.interfaces) CHECK_FALSE(i.live_differs);
  CHECK_FALSE(cs.fingerprint.count("kvm1/domain/web1/live"));
  REQUIRE(cs.guests.size() == 1);
  CHECK_FALSE(cs.guests[0].running);
}

TEST_CASE("diff: routes" * doctest::test_suite("diff")) {
  auto t = seed_topology();
  auto& ens9 = t.hosts["kvm1"].guests["web1"].interfaces[1];
  ens9.ip.routes = std::vector<Route>{{*Cidr::parse("10.20.0.0/16"), *Ipv4::parse("104.50.201.86")},
                                   {*Cidr::parse("10.30.0.0/16"), *Ipv4::parse("104.50.201.86")}};
  auto o = seed_after(t);
  auto cs = diff::compute(t, o);
  const auto* r = file_diff(cs, "route-ens9");
  REQUIRE(r);
  CHECK(r->action == diff::FileAction::Create);
  CHECK(r->role == diff::FileRole::GuestRoutes);
  CHECK(r->fields.size() == 2);
  // Same routes in another order and format: no change.
  o.hosts["kvm1"].guests["web1"].files["route-ens9"] =
      file("route-ens9", "10.30.0.0/16 via 104.50.201.86\n10.20.0.0/16 via 104.50.201.86\n");
  cs = diff::compute(t, o);
  CHECK_FALSE(file_diff(cs, "route-ens9"));
}

TEST_CASE("diff: an undefined guest is an error naming host and guest" *
          doctest::test_suite("diff")) {
  auto t = seed_topology();
  t.hosts["kvm1"].guests["db1"] = Guest{"db1", {}, Activate::None, {}, {}, {}};
  const auto cs = diff::compute(t, seed_before());
  REQUIRE(cs.diagnostics.has_errors());
  bool found = false;
  for (const auto& d : cs.diagnostics.items())
    if (d.rule == "guest.undefined" && d.message.find("kvm1") != std::string::npos &&
        d.message.find("db1") != std::string::npos)
      found = true;
  CHECK(found);
}

TEST_CASE("diff: an unobserved host is a status, not an error of the change set" *
          doctest::test_suite("diff")) {
  auto t = seed_topology();
  auto o = seed_before();
  o.hosts["kvm1"].reachable = false;
  o.hosts["kvm1"].error = "cannot connect";
  o.hosts["kvm1"].uri = "qemu+ssh://kvm1/system";
  // A second host, reachable, with the same guests: compared as usual.
  t.hosts["kvm2"] = t.hosts["kvm1"];
  t.hosts["kvm2"].name = "kvm2";
  o.hosts["kvm2"] = seed_before().hosts["kvm1"];
  // A third, absent from the observation.
  t.hosts["kvm3"] = t.hosts["kvm1"];
  t.hosts["kvm3"].name = "kvm3";
  const auto cs = diff::compute(t, o);
  CHECK(cs.diagnostics.empty());
  REQUIRE(cs.hosts.size() == 3);
  CHECK_FALSE(cs.hosts.at("kvm1").observed);
  CHECK(cs.hosts.at("kvm1").error == "cannot connect");
  CHECK(cs.hosts.at("kvm1").uri == "qemu+ssh://kvm1/system");
  CHECK(cs.hosts.at("kvm2").observed);
  CHECK(cs.hosts.at("kvm2").error.empty());
  CHECK_FALSE(cs.hosts.at("kvm3").observed);
  CHECK(cs.hosts.at("kvm3").error == "not observed");
  CHECK_FALSE(cs.empty());
  for (const auto& i : cs.interfaces) CHECK(i.host == "kvm2");
  for (const auto& f : cs.files) CHECK(f.host == "kvm2");
  for (const auto& g : cs.guests) CHECK(g.host == "kvm2");
  for (const auto& [k, _] : cs.fingerprint) CHECK(k.rfind("kvm2/", 0) == 0);
}

TEST_CASE("diff: a host's own errors fail that host only" * doctest::test_suite("diff")) {
  auto t = seed_topology();
  t.hosts["kvm2"] = t.hosts["kvm1"];
  t.hosts["kvm2"].name = "kvm2";
  {
    Guest db1;
    db1.name = "db1";
    db1.activate = Activate::None;
    t.hosts["kvm2"].guests["db1"] = db1;
  }
  auto o = seed_before();
  o.hosts["kvm2"] = seed_before().hosts["kvm1"];
  const auto cs = diff::compute(t, o);
  // The error is reported (file:line of the spec, host and guest named) ...
  REQUIRE(cs.diagnostics.error_count() == 1);
  CHECK(cs.diagnostics.items()[0].rule == "guest.undefined");
  // ... kvm2 fails with it as its reason, and kvm1 is compared whole.
  CHECK_FALSE(cs.hosts.at("kvm2").observed);
  CHECK(cs.hosts.at("kvm2").error ==
        "guest db1 is not defined (not among the host's libvirt domains)");
  CHECK(cs.hosts.at("kvm1").observed);
  const auto alone = diff::compute(seed_topology(), seed_before());
  CHECK(cs.interfaces.size() == alone.interfaces.size());
  CHECK(cs.files.size() == alone.files.size());
  CHECK(cs.fingerprint == alone.fingerprint);
  for (const auto& g : cs.guests) CHECK(g.host == "kvm1");
}

TEST_CASE("diff: unreadable or absent file sources" * doctest::test_suite("diff")) {
  auto t = seed_topology();
  SUBCASE("guest files unreadable: error") {
    auto o = seed_before();
    o.hosts["kvm1"].guests["web1"].files_read = false;
    o.hosts["kvm1"].guests["web1"].files_error = "agent not connected";
    const auto cs = diff::compute(t, o);
    CHECK(cs.diagnostics.has_errors());
  }
  SUBCASE("guest_files none: a warning, no file changes") {
    t.hosts["kvm1"].guests["web1"].guest_files = FileSourceSpec{};
    const auto cs = diff::compute(t, seed_before());
    CHECK_FALSE(cs.diagnostics.has_errors());
    CHECK(cs.warnings.size() == 1);
    CHECK_FALSE(file_diff(cs, "ifcfg-ens9"));
  }
  SUBCASE("host files none: a warning") {
    t.hosts["kvm1"].files = FileSourceSpec{};
    const auto cs = diff::compute(t, seed_before());
    CHECK_FALSE(file_diff(cs, "ifcfg-em2"));
    REQUIRE_FALSE(cs.warnings.empty());
    CHECK(cs.warnings[0].find("em2") != std::string::npos);
  }
}

TEST_CASE("diff: stable UUIDs and MACs" * doctest::test_suite("diff")) {
  CHECK(ifcfg::guest_interface_uuid("kvm1", "web1", "ens9") ==
        ifcfg::guest_interface_uuid("kvm1", "web1", "ens9"));
  CHECK(ifcfg::guest_interface_uuid("kvm1", "web1", "ens9") !=
        ifcfg::guest_interface_uuid("kvm1", "web2", "ens9"));
  CHECK(ifcfg::host_nic_uuid("kvm1", "em2") != ifcfg::host_nic_uuid("kvm2", "em2"));
  const auto a = diff::compute(seed_topology(), seed_before());
  const auto b = diff::compute(seed_topology(), seed_before());
  CHECK(file_diff(a, "ifcfg-ens8")->after == file_diff(b, "ifcfg-ens8")->after);
}

TEST_CASE("diff: hot-plug support per host" * doctest::test_suite("diff")) {
  CHECK_FALSE(diff::uri_supports_hotplug("test:///default"));
  CHECK(diff::uri_supports_hotplug("qemu:///system"));
  diff::DiffOptions opts;
  opts.hotplug["kvm1"] = false;
  const auto cs = diff::compute(seed_topology(), seed_before(), opts);
  REQUIRE(cs.guests.size() == 1);
  CHECK_FALSE(cs.guests[0].hotplug);
  CHECK(diff::compute(seed_topology(), seed_before()).guests[0].hotplug);
}

TEST_CASE("diff: renaming an interface (same MAC) moves its config and removes the old file, "
          "the plan says why" * doctest::test_suite("netconf")) {
  auto t = seed_topology();
  auto o = seed_after(t);
  t.hosts["kvm1"].guests["web1"].interfaces[1].name = "ens10";  // was ens9, same MAC
  const auto cs = diff::compute(t, o);
  REQUIRE_FALSE(cs.diagnostics.has_errors());
  const auto* fresh = file_diff(cs, "ifcfg-ens10");
  const auto* old = file_diff(cs, "ifcfg-ens9");
  REQUIRE(fresh);
  REQUIRE(old);
  CHECK(fresh->action == diff::FileAction::Create);
  CHECK(fresh->after.find("DEVICE=ens10\n") != std::string::npos);
  CHECK(fresh->after.find("HWADDR=52:54:00:5d:9c:33") != std::string::npos);
  CHECK(old->action == diff::FileAction::Remove);
  CHECK(old->removed_for_rename);
  const auto p = plan::make_plan(cs, "x");
  bool explained = false;
  for (const auto& s : p.steps)
    explained = explained || s.reason.find("is now named ens10") != std::string::npos;
  CHECK(explained);
  // A host NIC's change says when it takes effect.
  const auto before = diff::compute(seed_topology(), seed_before());
  const auto pb = plan::make_plan(before, "x");
  bool when = false;
  for (const auto& s : pb.steps)
    when = when || (s.target == "host/kvm1/nic/em2" &&
                    s.reason.find("takes effect at the host's next network restart or reboot") !=
                        std::string::npos);
  CHECK(when);
}
