#include "apply/domain_ops.hpp"

#include <thread>

#include "util/errors.hpp"
#include "xml/domain_xml.hpp"
#include "xml/domain_xml_edit.hpp"

namespace mvt::apply {

bool is_running(Hypervisor& hv, const std::string& guest) {
  for (const auto& d : hv.list_domains())
    if (d.name == guest) return d.running;
  return false;
}

bool live_has_mac(Hypervisor& hv, const std::string& guest, const MacAddress& mac) {
  if (!is_running(hv, guest)) return false;
  auto live = hv.domain_xml(guest, /*inactive=*/false);
  if (!live) return false;
  auto ifs = xml::parse_interfaces(*live, "live domain XML of " + guest);
  return xml::find_by_mac(ifs, mac) != nullptr;
}

MacAddress op_mac(const plan::Operation& op) {
  auto m = MacAddress::parse(op.mac);
  if (!m) throw Error("malformed MAC '" + op.mac + "' in the plan for guest " + op.guest);
  return *m;
}

std::string edited_inactive_xml(const std::string& guest, const std::string& inactive_xml,
                                const plan::Operation& op) {
  const MacAddress mac = op_mac(op);
  if (op.interface_xml.empty()) {
    auto r = xml::remove_interface(inactive_xml, mac);
    return r ? *r : inactive_xml;
  }
  auto r = xml::put_interface(inactive_xml, mac, op.interface_xml, /*keep_address=*/true);
  if (!r.replaced && !op.old_interface_xml.empty())
    throw Error("guest " + guest + " has no interface with MAC " + mac.str() +
                " any more (the domain changed since the plan was made)");
  return std::move(r.xml);
}

void wait_detached(Hypervisor& hv, const std::string& guest, const MacAddress& mac,
                   const Timeouts& t) {
  const auto deadline = std::chrono::steady_clock::now() + t.detach;
  while (live_has_mac(hv, guest, mac)) {
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error("guest " + guest + " did not release interface " + mac.str() + " within " +
                  std::to_string(t.detach.count() / 1000) + " s of the detach request");
    std::this_thread::sleep_for(t.poll);
  }
}

std::optional<std::string> cold_restart(Hypervisor& hv, const std::string& guest,
                                        const Timeouts& t) {
  if (!is_running(hv, guest)) return std::nullopt;
  std::optional<std::string> note;
  hv.shutdown(guest);
  const auto deadline = std::chrono::steady_clock::now() + t.shutdown;
  while (is_running(hv, guest) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(t.poll);
  if (is_running(hv, guest)) {
    hv.destroy(guest);
    note = "guest " + guest + " ignored the shutdown request for " +
           std::to_string(t.shutdown.count() / 1000) + " s and was destroyed";
  }
  hv.start(guest);
  return note;
}

}  // namespace mvt::apply
