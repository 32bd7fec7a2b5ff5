// Real libvirtd (libvirt 9.0 on the lab): what libvirt allows for a direct interface's
// trustGuestRxFilters and <mtu> on a running guest - the facts the planner's classification
// rests on (lib/plan/live_change.hpp). The guest is started but never waited for (attach and
// update need no guest cooperation; detach would): bounded by a few libvirt calls.
#include <doctest/doctest.h>

#include <string>

#include "diff/interface_xml.hpp"
#include "e2e_lab.hpp"
#include "system_support.hpp"
#include "util/errors.hpp"
#include "xml/domain_xml.hpp"

namespace lab = mvt::test::lab;
using namespace mvt;

namespace {

const DomainInterface* live_interface(Hypervisor& hv, const std::string& name,
                                      const std::string& mac, xml::ParsedDomain& keep) {
  const auto x = hv.domain_xml(name, /*inactive=*/false);
  REQUIRE(x);
  keep = xml::parse_domain(*x, "live XML of " + name);
  for (const auto& i : keep.interfaces)
    if (i.mac && i.mac->str() == mac) return &i;
  return nullptr;
}

GuestInterface wanted(const std::string& mac) {
  GuestInterface w;
  w.name = "ens9";
  w.kind = InterfaceKind::Direct;
  w.source_dev = "em2";
  w.mode = MacvtapMode::Bridge;
  w.mac = MacAddress::parse(mac);
  w.model = "virtio";
  return w;
}

}  // namespace

TEST_CASE("libvirt 9.0: trustGuestRxFilters is no live update but hot-plugs, <mtu> on direct "
          "is refused" * doctest::test_suite("libvirt-options")) {
  MVT_REQUIRE_LAB_TOOL_AND_IMAGE(image);
  auto hv = lab::connect();
  lab::LabDomainOptions o;
  o.what = "lvopt";
  lab::LabNic nic;
  nic.dev = "em2";
  nic.mode = "bridge";
  nic.mac = lab::test_mac(1);
  o.nics = {nic};
  o.start_agent = false;
  lab::LabGuest guest(*hv, o, *image);

  xml::ParsedDomain keep;
  const DomainInterface* before = live_interface(*hv, guest.name(), *nic.mac, keep);
  REQUIRE(before);
  CHECK_FALSE(before->trust_guest_rx_filters);
  // A copy: `keep` (and with it `before`) is replaced by the next live_interface().
  const std::string before_xml = before->xml;

  // A live update with the flag set: libvirt says yes and changes nothing.
  auto trusted = wanted(*nic.mac);
  trusted.trust_guest_rx_filters = true;
  const std::string update = diff::build_interface_xml(trusted, *trusted.mac, before_xml);
  CHECK_NOTHROW(hv->update_device(guest.name(), update, /*live=*/true, /*config=*/false));
  const DomainInterface* after = live_interface(*hv, guest.name(), *nic.mac, keep);
  REQUIRE(after);
  CHECK_FALSE(after->trust_guest_rx_filters);  // if this fails, libvirt learnt the live update

  // Hot-plugged with the flag: the live device has it.
  const std::string mac2 = lab::test_mac(2);
  auto second = wanted(mac2);
  second.trust_guest_rx_filters = true;
  hv->attach_device(guest.name(), diff::build_interface_xml(second, *second.mac), true, false);
  const DomainInterface* plugged = live_interface(*hv, guest.name(), mac2, keep);
  REQUIRE(plugged);
  CHECK(plugged->trust_guest_rx_filters);

  // <mtu> on a direct interface: refused by update (live and config) and by attach.
  auto mtu = wanted(*nic.mac);
  mtu.mtu = 1400;
  const std::string with_mtu = diff::build_interface_xml(mtu, *mtu.mac, before_xml);
  for (const auto& [live, config] : {std::pair{true, false}, std::pair{false, true}}) {
    CAPTURE(live);
    std::string why;
    try {
      hv->update_device(guest.name(), with_mtu, live, config);
    } catch (const LibvirtError& e) {
      why = e.what();
    }
    CHECK_MESSAGE(why.find("setting MTU on interface type direct is not supported") !=
                      std::string::npos,
                  why);
  }
  auto third = wanted(lab::test_mac(3));
  third.mtu = 1400;
  std::string why;
  try {
    hv->attach_device(guest.name(), diff::build_interface_xml(third, *third.mac), true, false);
  } catch (const LibvirtError& e) {
    why = e.what();
  }
  CHECK_MESSAGE(why.find("setting MTU on interface type direct is not supported") !=
                    std::string::npos,
                why);
}
