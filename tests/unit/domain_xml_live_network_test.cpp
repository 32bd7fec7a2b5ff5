// A network interface of a running guest, as libvirt's live XML shows it when the network
// forwards in bridge mode: type='bridge', the network still named in <source>.
#include <doctest/doctest.h>

#include "xml/domain_xml.hpp"

TEST_CASE("live XML: type='bridge' with source network is the network interface" *
          doctest::test_suite("xml")) {
  const auto i = mvt::xml::parse_interface_element(
      "<interface type='bridge'><mac address='52:54:00:b4:87:0f'/>"
      "<source network='int' portid='0c5a0d2e-7c3e-4a4e-9d43-0a6e0d3b1c11' bridge='mvtbr1'/>"
      "<target dev='vnet3'/><model type='virtio'/></interface>",
      "live XML");
  CHECK(i.type == "network");
  CHECK(i.source_network == "int");
  CHECK(i.source_bridge == "mvtbr1");
  const auto plain = mvt::xml::parse_interface_element(
      "<interface type='bridge'><source bridge='br0'/></interface>", "live XML");
  CHECK(plain.type == "bridge");
}
