// A direct interface's libvirt options (issue 14, point 5): `direct.trust_guest_rx_filters`
// (trustGuestRxFilters) and `direct.mtu` (<mtu size>) through loader, rules, the desired
// <interface> XML, the diff, the planner's classification and `show` (libvirt's test:///
// driver for the observed side).
#include <doctest/doctest.h>

#include <filesystem>

#include "diff/interface_xml.hpp"
#include "diff_fixtures.hpp"
#include "observe/observe.hpp"
#include "observe/show_yaml.hpp"
#include "observe/to_topology.hpp"
#include "plan/live_change.hpp"
#include "plan/planner.hpp"
#include "spec/loader.hpp"
#include "spec/rules.hpp"
#include "spec/rules_libvirt.hpp"
#include "test_support.hpp"
#include "xml/domain_xml.hpp"

using namespace mvt;
using namespace mvt::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* kMac = "52:54:00:6e:00:09";

// A one-guest spec whose ens9 has `direct_tail` appended inside its `direct:` flow mapping
// and `iface_tail` (whole lines) after it.
std::string spec_text(const std::string& direct_tail, const std::string& iface_tail = {},
                      const std::string& uri = "qemu:///system") {
  return "version: 1\n"
         "hosts:\n"
         "  kvm1:\n"
         "    uri: " + uri + "\n"
         "    nics:\n"
         "      em2: {config: unconfigured}\n"
         "    guests:\n"
         "      v6web:\n"
         "        interfaces:\n"
         "          - name: ens9\n"
         "            direct: {dev: em2, mode: bridge" + direct_tail + "}\n"
         "            mac: \"" + kMac + "\"\n"
         "            model: virtio\n" + iface_tail;
}

spec::LoadResult load_text(const TempDir& t, const std::string& text) {
  write_file(t.path() / "spec.yaml", text);
  return spec::load({(t.path() / "spec.yaml").string()});
}

const Diagnostic* find_rule(const Diagnostics& d, const std::string& rule) {
  for (const auto& x : d.items())
    if (x.rule == rule) return &x;
  return nullptr;
}

GuestInterface virtio_direct() {
  return direct_if("ens9", "em2", MacvtapMode::Bridge, kMac, "virtio");
}

Topology one_guest(const GuestInterface& i) {
  Topology t;
  Host& h = t.hosts["kvm1"];
  h.name = "kvm1";
  h.uri = "qemu:///system";
  h.nics["em2"].name = "em2";
  h.nics["em2"].config = NicConfig::Unconfigured;
  Guest& g = h.guests["v6web"];
  g.name = "v6web";
  g.activate = Activate::RestartNetwork;
  g.interfaces = {i};
  return t;
}

// v6web running with one element, observed as libvirt reports it.
Observation running_with(const std::string& element_xml) {
  Observation o;
  HostObservation& h = o.hosts["kvm1"];
  h.host = "kvm1";
  h.uri = "qemu:///system";
  h.reachable = true;
  DomainState d;
  d.name = "v6web";
  d.running = true;
  d.state = "running";
  d.inactive_xml = "<domain><name>v6web</name></domain>";
  d.live_xml = "<domain id='1'><name>v6web</name></domain>";
  d.config = {xml::parse_interface_element(element_xml, "test interface")};
  d.live = d.config;
  h.domains["v6web"] = d;
  return o;
}

const char* kPlainElement =
    "<interface type='direct'><mac address='52:54:00:6e:00:09'/>"
    "<source dev='em2' mode='bridge'/><model type='virtio'/>"
    "<address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/></interface>";

plan::Plan plan_for(const Topology& t, const Observation& o, bool hotplug) {
  diff::DiffOptions opts;
  opts.hotplug["kvm1"] = hotplug;
  const auto cs = diff::compute(t, o, opts);
  REQUIRE_FALSE(cs.diagnostics.has_errors());
  return plan::make_plan(cs, "digest");
}

std::vector<plan::OpKind> kinds(const plan::Plan& p) {
  std::vector<plan::OpKind> k;
  for (const auto& s : p.steps) k.push_back(s.op.kind);
  return k;
}

}  // namespace

TEST_CASE("libvirt options: the loader reads them inside 'direct' with their positions" *
          doctest::test_suite("spec")) {
  TempDir t;
  auto r = load_text(t, spec_text(", trust_guest_rx_filters: true"));
  for (const auto& d : r.diagnostics.items()) MESSAGE(format_diagnostic(d));
  REQUIRE_FALSE(r.diagnostics.has_errors());
  const auto& i = r.topology.hosts.at("kvm1").guests.at("v6web").interfaces.at(0);
  CHECK(i.trust_guest_rx_filters == true);
  CHECK_FALSE(i.mtu);
  CHECK(i.pos.at("direct.trust_guest_rx_filters").line == 11);
  CHECK(i.pos.at("direct.trust_guest_rx_filters").column == 70);

  r = load_text(t, spec_text(", trust_guest_rx_filters: false"));
  REQUIRE_FALSE(r.diagnostics.has_errors());
  CHECK(r.topology.hosts.at("kvm1").guests.at("v6web").interfaces.at(0).trust_guest_rx_filters ==
        false);

  // Not given: not managed.
  r = load_text(t, spec_text(""));
  REQUIRE_FALSE(r.diagnostics.has_errors());
  CHECK_FALSE(
      r.topology.hosts.at("kvm1").guests.at("v6web").interfaces.at(0).trust_guest_rx_filters);

  // mtu is read (and then refused by a rule: see below).
  r = load_text(t, spec_text(", mtu: 9000"));
  CHECK(r.topology.hosts.at("kvm1").guests.at("v6web").interfaces.at(0).mtu == 9000u);
  const Diagnostic* d = find_rule(r.diagnostics, "direct.mtu-unsupported");
  REQUIRE(d);
  CHECK(d->pos.line == 11);
  CHECK(d->pos.column == 51);
}

TEST_CASE("libvirt options: malformed values are errors at file:line:col with a hint" *
          doctest::test_suite("spec")) {
  struct Case {
    std::string direct_tail, iface_tail, rule;
    int line, column;
    std::string fragment;
  };
  const Case cases[] = {
      {", trust_guest_rx_filters: \"yes\"", "", "spec.type", 11, 70,
       "'direct.trust_guest_rx_filters' must be true or false, got a string"},
      {", trust_guest_rx_filters: 1", "", "spec.type", 11, 70, "must be true or false"},
      {", mtu: \"1500\"", "", "spec.type", 11, 51, "'direct.mtu' must be a number, got a string"},
      {", mtu: 0x5dc", "", "spec.value", 11, 51, "'direct.mtu' must be a plain decimal number"},
      {", mtu: 01500", "", "spec.value", 11, 51, "plain decimal number, got '01500'"},
      {", mtu: 99999999999", "", "spec.value", 11, 51, "plain decimal number"},
      {", mtu: -1", "", "spec.value", 11, 51, "plain decimal number"},
      {", trust_guest_rx_filter: true", "", "spec.unknown-key", 11, 46,
       "(did you mean 'trust_guest_rx_filters'?)"},
      {"", "            trust_guest_rx_filters: true\n", "spec.unknown-key", 14, 13,
       "'trust_guest_rx_filters' belongs in 'direct'"},
      {"", "            mtu: 1500\n", "spec.unknown-key", 14, 13, "'mtu' belongs in 'direct'"},
      {", mtu: 67", "", "direct.mtu-range", 11, 51, "outside 68..65535"},
      {", mtu: 65536", "", "direct.mtu-range", 11, 51, "outside 68..65535"},
  };
  TempDir t;
  for (const auto& c : cases) {
    CAPTURE(c.direct_tail);
    CAPTURE(c.iface_tail);
    const auto r = load_text(t, spec_text(c.direct_tail, c.iface_tail));
    REQUIRE(r.diagnostics.has_errors());
    const Diagnostic* d = find_rule(r.diagnostics, c.rule);
    REQUIRE(d);
    CHECK(d->severity == Severity::Error);
    CHECK(d->pos.line == c.line);
    CHECK(d->pos.column == c.column);
    CHECK_MESSAGE(contains(d->message, c.fragment), d->message);
  }
}

TEST_CASE("libvirt options: rule iface.ipv6-needs-trust-rx-filters takes the IPv6 predicate" *
          doctest::test_suite("spec")) {
  auto with_ipv6 = [](const GuestInterface&) { return true; };
  auto count = [](const Diagnostics& d, const std::string& rule) {
    int n = 0;
    for (const auto& x : d.items()) n += x.rule == rule;
    return n;
  };
  // IPv6 + virtio + no trust (not given, or false): the warning, at `direct` / at the flag.
  for (std::optional<bool> trust : {std::optional<bool>(), std::optional<bool>(false)}) {
    auto i = virtio_direct();
    i.trust_guest_rx_filters = trust;
    i.pos["direct"] = SourcePos{"s.yaml", 11, 21};
    if (trust) i.pos["direct.trust_guest_rx_filters"] = SourcePos{"s.yaml", 11, 70};
    Diagnostics d;
    spec::check_libvirt_options(one_guest(i), d, with_ipv6);
    REQUIRE(count(d, "iface.ipv6-needs-trust-rx-filters") == 1);
    const Diagnostic& w = *find_rule(d, "iface.ipv6-needs-trust-rx-filters");
    CHECK(w.severity == Severity::Warning);
    CHECK(w.pos.column == (trust ? 70 : 21));
    CHECK(contains(w.message, "interface 'ens9' of guest 'v6web'"));
    CHECK(contains(w.message, "neighbour discovery"));
    CHECK_FALSE(d.has_errors());
  }
  // Not fired: trust true; another model; a network interface; no IPv6.
  {
    auto i = virtio_direct();
    i.trust_guest_rx_filters = true;
    Diagnostics d;
    spec::check_libvirt_options(one_guest(i), d, with_ipv6);
    CHECK(count(d, "iface.ipv6-needs-trust-rx-filters") == 0);
  }
  for (std::optional<std::string> model : {std::optional<std::string>("e1000"),
                                           std::optional<std::string>()}) {
    auto i = virtio_direct();
    i.model = model;
    Diagnostics d;
    spec::check_libvirt_options(one_guest(i), d, with_ipv6);
    CHECK(d.items().empty());
  }
  {
    auto i = network_if("eth0", "default");
    i.model = "virtio";
    Diagnostics d;
    spec::check_libvirt_options(one_guest(i), d, with_ipv6);
    CHECK(d.items().empty());
  }
  {
    Diagnostics d;
    spec::check_libvirt_options(one_guest(virtio_direct()), d, [](const GuestInterface&) {
      return false;
    });
    CHECK(d.items().empty());
  }
  // The topology's own predicate: the model has no IPv6 yet, so check_rules stays quiet.
  CHECK_FALSE(interface_uses_ipv6(virtio_direct()));
  Diagnostics d;
  spec::check_rules(one_guest(virtio_direct()), d);
  CHECK(count(d, "iface.ipv6-needs-trust-rx-filters") == 0);
}

TEST_CASE("libvirt options: trust_guest_rx_filters: true warns about the security trade-off" *
          doctest::test_suite("spec")) {
  TempDir t;
  const auto r = load_text(t, spec_text(", trust_guest_rx_filters: true"));
  const Diagnostic* w = find_rule(r.diagnostics, "direct.trust-rx-filters-security");
  REQUIRE(w);
  CHECK(w->severity == Severity::Warning);
  CHECK(w->pos.line == 11);
  CHECK(w->pos.column == 70);
  CHECK(contains(w->message, "can then change the MAC address and the multicast filters"));
  for (const char* tail : {", trust_guest_rx_filters: false", ""}) {
    const auto q = load_text(t, spec_text(tail));
    CHECK_FALSE(find_rule(q.diagnostics, "direct.trust-rx-filters-security"));
  }
}

TEST_CASE("libvirt options: the desired <interface> XML carries them and reads back equal" *
          doctest::test_suite("diff")) {
  auto want = virtio_direct();
  want.trust_guest_rx_filters = true;
  want.mtu = 9000;
  // A fresh element and one edited from the observed element: both read back with the
  // options, compare equal to the spec, and keep the PCI address of the observed one.
  for (const std::string& base : {std::string(), std::string(kPlainElement)}) {
    CAPTURE(base);
    const std::string x = diff::build_interface_xml(want, *want.mac, base);
    CHECK(contains(x, "<interface type=\"direct\" trustGuestRxFilters=\"yes\">"));
    CHECK(contains(x, "<mtu size=\"9000\"/>"));
    const auto back = xml::parse_interface_element(x, "built");
    CHECK(back.trust_guest_rx_filters);
    CHECK(back.mtu == 9000u);
    CHECK(diff::compare_interface(back, want).empty());
    CHECK(back.opaque.empty());  // <mtu> is a known child, never an opaque one
    if (!base.empty()) CHECK(back.pci_address == "0000:00:09.0");
  }
  // `false` drops the attribute (libvirt's default); not managed keeps the observed one.
  const std::string trusted = replace_all(kPlainElement, "type='direct'",
                                          "type='direct' trustGuestRxFilters='yes'");
  auto off = virtio_direct();
  off.trust_guest_rx_filters = false;
  std::string x = diff::build_interface_xml(off, *off.mac, trusted);
  CHECK_FALSE(contains(x, "trustGuestRxFilters"));
  CHECK(diff::compare_interface(xml::parse_interface_element(x, "built"), off).empty());
  x = diff::build_interface_xml(virtio_direct(), *off.mac, trusted);
  CHECK(contains(x, "trustGuestRxFilters=\"yes\""));
}

TEST_CASE("libvirt options: the diff names each field, before and after" *
          doctest::test_suite("diff")) {
  const auto plain = xml::parse_interface_element(kPlainElement, "observed");
  auto want = virtio_direct();
  CHECK(diff::compare_interface(plain, want).empty());  // not managed: no difference
  want.trust_guest_rx_filters = false;
  CHECK(diff::compare_interface(plain, want).empty());  // absent is libvirt's no
  want.trust_guest_rx_filters = true;
  want.mtu = 1400;
  const auto f = diff::compare_interface(plain, want);
  REQUIRE(f.size() == 2);
  CHECK(f[0].field == "trustGuestRxFilters");
  CHECK(f[0].before == std::optional<std::string>("no"));
  CHECK(f[0].after == std::optional<std::string>("yes"));
  CHECK(f[1].field == "mtu");
  CHECK_FALSE(f[1].before);
  CHECK(f[1].after == std::optional<std::string>("1400"));
  // A malformed <mtu> in an observed definition is refused, naming the value.
  std::string why;
  try {
    xml::parse_interface_element(
        replace_all(kPlainElement, "</interface>", "<mtu size='big'/></interface>"), "observed");
  } catch (const std::exception& e) {
    why = e.what();
  }
  CHECK_MESSAGE(contains(why, "invalid <mtu size='big'>"), why);
}

TEST_CASE("libvirt options: a trust change on a running guest is a hot-plug replace" *
          doctest::test_suite("plan")) {
  // The classification measured on libvirt 9.0 (plan/live_change.hpp).
  static_assert(plan::live_change_of("trustGuestRxFilters") == plan::LiveChange::Replace);
  static_assert(plan::live_change_of("mtu") == plan::LiveChange::Replace);
  static_assert(plan::live_change_of("model") == plan::LiveChange::ColdRestart);
  auto want = virtio_direct();
  want.trust_guest_rx_filters = true;
  const auto p = plan_for(one_guest(want), running_with(kPlainElement), /*hotplug=*/true);
  using K = plan::OpKind;
  REQUIRE(kinds(p) == std::vector<K>{K::DefineInterface, K::LiveDetach, K::LiveAttach,
                                     K::Activate, K::Verify});
  CHECK(p.steps[0].action == plan::Action::Replace);
  CHECK(contains(p.steps[0].op.interface_xml, "trustGuestRxFilters=\"yes\""));
  CHECK(contains(p.steps[1].reason, "does not apply it, so the device is replaced"));
  CHECK(contains(p.steps[2].op.interface_xml, "trustGuestRxFilters=\"yes\""));
  REQUIRE(p.steps[1].changes.size() == 1);
  CHECK(p.steps[1].changes[0].field == "trustGuestRxFilters");
  CHECK(p.steps[3].op.method == plan::ActivationMethod::RestartNetwork);

  // Without hot-plug (test:///), the cold restart carries it.
  const auto q = plan_for(one_guest(want), running_with(kPlainElement), /*hotplug=*/false);
  REQUIRE(kinds(q) == std::vector<K>{K::DefineInterface, K::Activate, K::Verify});
  CHECK(q.steps[1].op.method == plan::ActivationMethod::ColdRestart);

  // With a model change too, the model's cold restart carries the trust change.
  want.model = "e1000";
  const auto m = plan_for(one_guest(want), running_with(kPlainElement), /*hotplug=*/true);
  REQUIRE(kinds(m) == std::vector<K>{K::DefineInterface, K::Activate, K::Verify});
  CHECK(m.steps[1].op.method == plan::ActivationMethod::ColdRestart);

  // Already trusted: nothing to do.
  want = virtio_direct();
  want.trust_guest_rx_filters = true;
  const std::string trusted =
      replace_all(kPlainElement, "type='direct'", "type='direct' trustGuestRxFilters='yes'");
  const auto none = plan_for(one_guest(want), running_with(trusted), true);
  CHECK(none.steps.empty());
}

TEST_CASE("libvirt options: show imports them from libvirt (test:///) and plan is then empty" *
          doctest::test_suite("show")) {
  TempDir t;
  const std::string uri =
      "test://" + (source_dir() / "tests/fixtures/libvirt/libvirt-options-node.xml").string();
  Topology want;
  Host& h = want.hosts["kvm1"];
  h.name = "kvm1";
  h.uri = uri;
  h.guests["v6web"].name = "v6web";
  const Observation obs = observe(want);
  Diagnostics diags;
  const Topology live = to_topology(obs, diags);
  CHECK_FALSE(diags.has_errors());
  const auto& ifs = live.hosts.at("kvm1").guests.at("v6web").interfaces;
  REQUIRE(ifs.size() == 2);
  CHECK(ifs[0].trust_guest_rx_filters == true);
  CHECK_FALSE(ifs[0].mtu);
  CHECK_FALSE(ifs[1].trust_guest_rx_filters);  // absent: libvirt's default, not shown
  CHECK(ifs[1].mtu == 9000u);
  const std::string yaml = show_yaml(live, obs);
  CHECK(contains(yaml, "trust_guest_rx_filters: true"));
  CHECK(contains(yaml, "mtu: 9000"));

  // Loaded back: the flag round-trips; the MTU is what libvirt's QEMU driver refuses.
  write_file(t.path() / "show.yaml", yaml);
  auto r = spec::load({(t.path() / "show.yaml").string()});
  const Diagnostic* e = find_rule(r.diagnostics, "direct.mtu-unsupported");
  REQUIRE(e);
  CHECK(e->pos.file.str() == (t.path() / "show.yaml").string());
  int errors = 0;
  for (const auto& d : r.diagnostics.items()) errors += d.severity == Severity::Error;
  CHECK(errors == 1);
  auto& loaded = r.topology.hosts.at("kvm1").guests.at("v6web").interfaces;
  CHECK(loaded.at(0).trust_guest_rx_filters == true);
  CHECK(loaded.at(1).mtu == 9000u);

  // The imported topology planned against the same libvirt: nothing to do.
  diff::DiffOptions opts;
  const auto cs = diff::compute(live, obs, opts);
  CHECK_FALSE(cs.diagnostics.has_errors());
  CHECK(cs.interfaces.empty());
  // Turning the flag off is a persistent replace naming the field (shut-off or not).
  Topology off = live;
  off.hosts.at("kvm1").guests.at("v6web").interfaces[0].trust_guest_rx_filters = false;
  const auto cs2 = diff::compute(off, obs, opts);
  REQUIRE(cs2.interfaces.size() == 1);
  REQUIRE(cs2.interfaces[0].config_fields.size() == 1);
  CHECK(cs2.interfaces[0].config_fields[0].field == "trustGuestRxFilters");
  CHECK(cs2.interfaces[0].config_fields[0].before == std::optional<std::string>("yes"));
  CHECK_FALSE(contains(cs2.interfaces[0].new_xml, "trustGuestRxFilters"));
}
