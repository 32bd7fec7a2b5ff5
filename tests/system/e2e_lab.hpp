#pragma once
// The procedure's topology on the lab (shared by the apply_*, e2e_* and fault_* system
// tests): the BEFORE domain (one virtio interface on the test's internal libvirt network,
// pinned to PCI slot 3 -> ens3 in the lab image), the lab seed spec
// (tests/system/specs/lab-seed.yaml.in) rendered for it, and the checks of the procedure's
// Verification section read from the kernel and the guest.
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "system_support.hpp"

namespace mvt::test::lab {

// This process's MACs (test_mac: two macvtap devices on one NIC cannot share a MAC) and
// guest addresses (192.0.2.10-49 / 198.51.100.20-99: clear of the agent tests' .100-.249).
std::string net_mac();   // the BEFORE interface on the internal network
std::string mac9();      // the em2 interface
std::string mac8();      // the em1 interface
std::string address9(int offset = 0);  // "192.0.2.<10 + pid % 40 + offset>/24"
std::string address8();                // "198.51.100.<20 + pid % 80>/24"
std::string host_part(const std::string& cidr);  // "192.0.2.12/24" -> "192.0.2.12"
// IPv6 (RFC 3849) on the em2 side: "2001:db8:0:2::<10 + pid % 40>/64"; em2p is
// 2001:db8:0:2::1, the namespace's lo 2001:db8:100::1 (tests/system/lab.sh).
std::string address9_v6();
inline const std::string kGateway9v6 = "2001:db8:0:2::1";
inline const std::string kFar6Net = "2001:db8:100::/48";
inline const std::string kFar6Host = "2001:db8:100::1";

// Options of the BEFORE domain: eth0 of the procedure on `network` (slot 3 -> ens3).
LabDomainOptions before_domain(const std::string& what, const std::string& network);

// What the spec template's placeholders become.
struct LabSpecParams {
  std::string guest, network;
  int slot9 = 0, slot8 = 0;               // ens<slot> of the em2 / em1 interfaces
  std::string guest_files = "agent";      // or "dir:guest"
  std::string activate = "restart-network";
  std::string mode9 = "private";
  std::string gateway9 = "192.0.2.1";
  std::string address9 = mvt::test::lab::address9();
  std::string address8 = mvt::test::lab::address8();
  std::string model9 = "virtio";
  // Non-empty: ens9 also gets this IPv6 address, `ipv6_defroute: true` (default via
  // kGateway9v6) and the route6 kFar6Net via kGateway9v6.
  std::string address9_v6;
  bool trust9 = false;  // ens9's direct.trust_guest_rx_filters: true
};

// The two lowest PCI slots on bus 0 the inactive XML of `guest` leaves free (what libvirt
// gives the two new interfaces, in order).
std::pair<int, int> free_slots(Hypervisor& hv, const std::string& guest);

// A temp dir holding host/ (a copy of specs/lab/host: the procedure's BEFORE host files),
// guest/ (for guest_files dir:guest) and state/; spec files rendered into it.
struct LabWorkspace {
  std::filesystem::path dir;
  LabWorkspace();   // /tmp/mvt-e2e-<pid>-<n>, removed by the destructor
  ~LabWorkspace();
  LabWorkspace(const LabWorkspace&) = delete;
  LabWorkspace& operator=(const LabWorkspace&) = delete;
  std::filesystem::path state() const { return dir / "state"; }
  // Renders the template to dir/<file> and returns its path.
  std::filesystem::path write_spec(const LabSpecParams& p, const std::string& file = "spec.yaml");
};

// Route as compared: "dst|gateway|dev" (gateway "-" when none).
std::set<std::string> guest_routes(LabGuest& guest);
// What the spec implies for LabSpecParams p (connected routes, default via ens9, statics).
std::set<std::string> expected_routes(const LabSpecParams& p);
// The same for IPv6 (`ip -j -6 route show table main`, link-local fe80::/64 left out).
std::set<std::string> guest_routes6(LabGuest& guest);
std::set<std::string> expected_routes6(const LabSpecParams& p);

// macvtapctl with the workspace's state dir.
ToolResult tool(const LabWorkspace& w, std::vector<std::string> args,
                std::chrono::milliseconds timeout = std::chrono::seconds(300),
                const std::map<std::string, std::string>& env = {});

// "" when this build's macvtapctl has a working `plan` and `apply`, else why not (they were
// placeholders before the planner and the apply command landed): tests skip loudly then.
std::string tool_unavailable_reason();

// Bounded ping from the lab netns: true when ADDR answered.
bool answers_ping(const std::string& addr);

}  // namespace mvt::test::lab
