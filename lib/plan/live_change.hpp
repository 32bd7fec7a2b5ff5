#pragma once
// How a running guest takes a change of one compared <interface> field (FieldChange::field of
// an InterfaceDiff's live_fields): the planner's classification, field by field.
//
//   Update       virDomainUpdateDeviceFlags(LIVE) in place: the device stays
//   Replace      hot-plug: LiveDetach + LiveAttach of the new element (where the host can;
//                otherwise the guest's cold restart carries it)
//   ColdRestart  the guest is shut down and started with its new definition
//
// Measured on the lab's real libvirtd (libvirt 9.0.0, QEMU 7.2, a running guest with a
// virtio macvtap device on em2; tests/system/libvirt_options_libvirtd_test.cpp keeps it):
//  - trustGuestRxFilters: `update-device --live` with the attribute changed reports success
//    and changes nothing: the live XML still lacks it, and a multicast address and a MAC the
//    guest then sets on its NIC never reach the host's macvtap device (`ip maddr`, `ip link`
//    on the host), so a live update would be a silent no-op. `update-device --config` does
//    change the persistent definition. Detach (≈ 3.5 s with the guest's ACPI hot-unplug) +
//    attach of the element with trustGuestRxFilters='yes' works: the live XML carries it,
//    and the guest's new multicast address (33:33:00:00:01:42) and MAC show on the macvtap
//    device within 3 s (without the flag they never do). -> Replace.
//  - mtu: refused for a direct interface at every step - define, `update-device --live`,
//    `update-device --config` and `attach-device --live` all fail with "unsupported
//    configuration: setting MTU on interface type direct is not supported yet" (libvirt's
//    qemuDomainNetSupportsMTU has no direct type). The spec rule direct.mtu-unsupported stops
//    it before planning; for a driver that accepts it, virtio-net's host_mtu is read when
//    the guest's driver probes the device -> Replace.
//  - model: another PCI device to the guest -> ColdRestart (planner.hpp kModelChangeReason).
//  - type, source.dev, source.mode, source.network, mac: a new macvtap device -> Replace.
// No compared field of a macvtap device is an Update on libvirt 9.0.
#include <string_view>

namespace mvt::plan {

enum class LiveChange { Update, Replace, ColdRestart };

constexpr LiveChange live_change_of(std::string_view field) {
  if (field == "model") return LiveChange::ColdRestart;
  return LiveChange::Replace;  // trustGuestRxFilters, mtu, type, source.*, mac: see above
}

// Why a trustGuestRxFilters change is a replace and not a live update (the step's reason).
inline constexpr std::string_view kTrustReplaceReason =
    "libvirt 9.0 accepts a live update of trustGuestRxFilters but does not apply it, so the "
    "device is replaced";

}  // namespace mvt::plan
