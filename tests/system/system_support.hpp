#pragma once
// Helpers for system tests on the real lab (tests/system/lab.sh): a real libvirtd at
// qemu:///system, host NICs em1/em2 (veth pairs whose far ends em1p/em2p live in the netns
// "mvtlab": em1p 198.51.100.1/24, em2p 192.0.2.1/24) and the lab guest image
// (tests/system/guest/build.sh: Debian kernel + initramfs with qemu-ga, TCG).
//
// Skipping: every system test starts with MVT_REQUIRE_LAB() (or MVT_REQUIRE_LAB_GUEST()),
// which prints a loud "SKIPPED: <reason>" and returns when the machine cannot run it (not
// root, libvirtd not answering, em1/em2 missing, guest image not buildable).
//
// Domains: every domain a test defines is named "mvt-test-<what>-<pid>" (unique per test
// process: engineers run suites side by side) and is destroyed and undefined by LabGuest's
// destructor. Leftovers of dead test processes (the pid suffix no longer runs) are removed
// by cleanup_stale_test_domains(), called before each LabGuest is defined.
//
// Sharing: doctest_discover_tests runs each TEST_CASE in its own process, so a guest can be
// shared only inside one TEST_CASE: boot it once in a function-static (shared_lab_guest())
// and use SUBCASEs, which re-enter the test case in the same process.
//
// Bounded: every wait takes a timeout; boot-to-agent waits default to 90 s (TCG on 2 busy
// cores; ≈ 7-15 s normally).
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "files/agent_source.hpp"
#include "libvirt/hypervisor.hpp"

namespace mvt::test::lab {

inline constexpr const char* kUri = "qemu:///system";
inline constexpr const char* kNetns = "mvtlab";

// Why system tests cannot run here, or "" when they can (root, libvirtd at qemu:///system
// answering, em1 and em2 present). Cached per process.
std::string unavailable_reason();

// Sharing the lab's libvirtd with a test that kills it (fault_libvirtd_test): every system
// test process holds a shared lock on $MVT_LAB_STATE/daemon.lock (default /run/mvt-lab) for
// its lifetime, taken by unavailable_reason() (so by MVT_REQUIRE_LAB) or by
// hold_lab_daemon_shared(); a test that stops the daemon takes it exclusively first
// (ExclusiveLabDaemon), so it never pulls the daemon from under a suite running side by side
// (ctest -j runs system tests in parallel). Writer first: while one waits for the exclusive
// lock (daemon-intent.lock), new processes wait before taking their shared one. Every wait is
// bounded; the lock files are opened O_CLOEXEC (a daemon started by a test never inherits
// them).
void hold_lab_daemon_shared();

class ExclusiveLabDaemon {
 public:
  // Waits up to `timeout` for every other holder to finish; held() says whether it got it.
  explicit ExclusiveLabDaemon(std::chrono::milliseconds timeout);
  ~ExclusiveLabDaemon();  // back to shared
  ExclusiveLabDaemon(const ExclusiveLabDaemon&) = delete;
  ExclusiveLabDaemon& operator=(const ExclusiveLabDaemon&) = delete;
  bool held() const { return held_; }

 private:
  int intent_fd_ = -1;
  bool held_ = false;
};

// The lab guest image, built or taken from the cache by tests/system/guest/build.sh (the
// first call may take ≈ 10 s plus a download). nullopt with *why set when it cannot be built.
struct GuestImage {
  std::filesystem::path kernel;   // bzImage
  std::filesystem::path initrd;
  std::filesystem::path vmlinux;  // the PVH entry (≈ 5 s faster under TCG); may be empty
};
std::optional<GuestImage> guest_image(std::string* why = nullptr);

// One <interface> of a lab domain.
struct LabNic {
  std::string type = "direct";        // "direct" | "network"
  std::string dev = "em2";            // direct: host NIC
  std::string mode = "private";       // direct: vepa | bridge | private | passthrough
  std::string network;                // network: libvirt network name
  std::string model = "virtio";
  std::optional<std::string> mac;     // "52:54:00:..." or libvirt picks one
  std::optional<int> pci_slot;        // guest name becomes ens<slot> (the image's udev stand-in)
  // libvirt's trustGuestRxFilters='yes': the guest's multicast list reaches the macvtap device
  // (without it IPv6 neighbour solicitations to the guest's solicited-node group are dropped).
  bool trust_guest_rx_filters = false;
};

struct LabDomainOptions {
  std::string what = "guest";         // name becomes mvt-test-<what>-<pid>
  std::vector<LabNic> nics;           // default: none
  bool agent_channel = true;
  bool start_agent = true;            // false: the guest boots without qemu-ga (kernel arg)
  unsigned memory_mib = 512;
  std::string extra_cmdline;          // appended to the kernel command line
  // Boot the vmlinux through its PVH entry (≈ 5 s faster under TCG); false: the bzImage.
  // Both get <features><acpi/></features> (PCI hot-plug and power-off need ACPI).
  bool pvh = true;
  // A small raw disk (vda) where the lab guest keeps /etc/sysconfig/network-scripts across a
  // shutdown (a stand-in for a real guest's root disk: the initramfs forgets everything at a
  // restart). The guest's /sbin/shutdown saves the directory to it as a tar archive, its
  // /init restores it at boot. lab_disk_path(name); LabGuest creates and removes the file.
  bool persist_disk = false;
  // A qcow2 root disk (vda, virtio): the NetworkManager lab guest's copy-on-write disk
  // (NmLabGuest makes and removes it). Empty: none. Not together with persist_disk.
  std::filesystem::path root_disk;
};

// Where the persist_disk of domain `name` lives (next to the image cache, which libvirt's
// QEMU can already reach).
std::filesystem::path lab_disk_path(const std::string& name, const GuestImage& image);

// "mvt-test-<what>-<pid>".
std::string test_domain_name(const std::string& what);
// A MAC unique to this test process: 52:54:00:PP:PP:NN (PP = pid bits, NN = index). Two
// macvtap devices on one host NIC cannot share a MAC, and engineers run suites side by side.
std::string test_mac(int index);

// The domain XML of a lab guest (type='qemu', direct kernel boot of `image`, ACPI, 1 vCPU,
// serial pty, agent channel when asked, the NICs). Built with libxml2.
std::string lab_domain_xml(const std::string& name, const LabDomainOptions& options,
                           const GuestImage& image);

// Connection to the lab's libvirtd (read-write). Throws LibvirtError.
std::unique_ptr<Hypervisor> connect();

// Destroys and undefines `name` if it exists (bounded; errors ignored).
void remove_domain(const std::string& name);
// Removes mvt-test-*-<pid> domains whose pid no longer runs.
void cleanup_stale_test_domains();

// A lab domain for the length of a test: defined (and started) by the constructor,
// destroyed and undefined by the destructor.
class LabGuest {
 public:
  // Throws on libvirt errors. start=false leaves it defined and shut off.
  LabGuest(Hypervisor& hv, const LabDomainOptions& options, const GuestImage& image,
           bool start = true);
  ~LabGuest();
  LabGuest(const LabGuest&) = delete;
  LabGuest& operator=(const LabGuest&) = delete;

  const std::string& name() const { return name_; }
  Hypervisor& hypervisor() { return hv_; }
  // Polls guest-ping until it answers; records the time from start() to the first answer.
  bool wait_for_agent(std::chrono::milliseconds timeout = std::chrono::seconds(90));
  // Start-to-first-ping time, once wait_for_agent() succeeded.
  std::optional<std::chrono::milliseconds> boot_to_ping() const { return boot_to_ping_; }
  // An AgentSource on this guest.
  AgentSource agent(AgentSource::Options options = {}) { return AgentSource(hv_, name_, options); }
  // Macvtap device names libvirt gave the guest's direct interfaces (live XML target dev),
  // in interface order.
  std::vector<std::string> macvtap_devices();
  void start();

 private:
  Hypervisor& hv_;
  std::string name_;
  std::filesystem::path disk_;  // persist_disk, removed with the domain
  std::chrono::steady_clock::time_point started_{};
  std::optional<std::chrono::milliseconds> boot_to_ping_;
};

// One booted guest per test process with an agent channel and a direct NIC on em2 (private,
// PCI slot 9 -> ens9, MAC test_mac(9)), booted on first use and removed at exit. Do not
// shut it down or hot-plug into it (others share it): define your own LabGuest for that.
// nullptr with *why set when the lab or the guest is unavailable, or it did not boot.
LabGuest* shared_lab_guest(std::string* why);

// Runs argv inside the lab netns ("ip netns exec mvtlab ..."), bounded.
struct NetnsResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
NetnsResult in_netns(const std::vector<std::string>& argv,
                     std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Pings `addr` from the lab netns (ping's own arguments in `ping_args`), after making the
// namespace forget any neighbour entry for it: lab guest addresses come from the test's pid
// and every lab guest has a new MAC, so an entry left by an earlier guest at the same address
// is stale, and the kernel probes the old MAC first (~9 s of lost pings, seen in CI).
NetnsResult netns_ping(const std::string& addr, const std::vector<std::string>& ping_args,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20));


// ---- The procedure on the lab (apply_*, e2e_*, fault_* tests) ----

// A libvirt network "mvt-test-int-<pid>" (the procedure's internal network) in forward mode
// bridge over a bridge the constructor creates ("mvtbr<pid>", no address, nothing attached
// but the guests): needs neither dnsmasq nor iptables. Defined and started by the
// constructor, destroyed and undefined (and the bridge deleted) by the destructor.
class LabNetwork {
 public:
  LabNetwork();  // throws std::runtime_error with virsh's message
  ~LabNetwork();
  LabNetwork(const LabNetwork&) = delete;
  LabNetwork& operator=(const LabNetwork&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_, bridge_;
};

// Runs the built macvtapctl (MVT_BINARY) with args, bounded; env overrides on top.
struct ToolResult {
  int exit_code = -1;  // -1 on timeout
  std::string out, err;
  std::chrono::milliseconds elapsed{0};
};
ToolResult run_macvtapctl(const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout = std::chrono::seconds(300),
                          const std::map<std::string, std::string>& env = {});

// One host link as the kernel reports it (ip -j -d link show NAME): name, MAC, the lower
// device ("em2" for macvtap3@em2), the macvtap/macvlan mode. nullopt when absent.
struct HostLink {
  std::string name, mac, lower, kind, mode;
};
std::optional<HostLink> host_link(const std::string& name);
// Every host link whose MAC is `mac` (ip -j -d link show: the kernel's view), e.g. to see a
// guest's macvtap device gone whatever its name was. Throws std::runtime_error when `ip`
// fails.
std::vector<HostLink> host_links_with_mac(const std::string& mac);

// Runs argv inside the guest through its agent (bounded); the result, never throws for a
// non-zero exit.
struct GuestRun {
  int exit_code = -1;
  std::string out, err;
};
GuestRun guest_run(LabGuest& guest, const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The inactive (persistent) domain XML of `name` with volatile parts removed for comparison
// (uuid aside, the <target dev>, <alias>, libvirt's own <seclabel> and the 'id' attribute).
std::string stable_inactive_xml(Hypervisor& hv, const std::string& name);

// Whether `name` runs; its live domain id (a new QEMU process gets a new one: how a cold
// restart shows), -1 when not running; whether its live XML has an interface with `mac`.
bool is_running(Hypervisor& hv, const std::string& name);
int live_domain_id(Hypervisor& hv, const std::string& name);
bool live_has_interface(Hypervisor& hv, const std::string& name, const std::string& mac);

// PCI slots the inactive XML of `name` uses on bus 0 (for predicting the slots libvirt gives
// new devices: the lowest free ones, in device order).
std::vector<int> used_pci_slots(Hypervisor& hv, const std::string& name);

}  // namespace mvt::test::lab

// Loud skips: print why, then return from the test case.
#define MVT_REQUIRE_LAB()                                                   \
  do {                                                                      \
    const std::string mvt_lab_why_ = ::mvt::test::lab::unavailable_reason(); \
    if (!mvt_lab_why_.empty()) {                                            \
      MESSAGE("SKIPPED (system test): " << mvt_lab_why_);                   \
      return;                                                               \
    }                                                                       \
  } while (0)

// The lab, the built tool and the lab guest image (declared as `var`), or a loud skip.
#define MVT_REQUIRE_LAB_TOOL_AND_IMAGE(var)                                   \
  MVT_REQUIRE_LAB();                                                          \
  if (const auto mvt_tool_why_ = ::mvt::test::lab::tool_unavailable_reason(); \
      !mvt_tool_why_.empty()) {                                               \
    MESSAGE("SKIPPED (system test): " << mvt_tool_why_);                      \
    return;                                                                   \
  }                                                                           \
  std::string var##_why_;                                                     \
  auto var = ::mvt::test::lab::guest_image(&var##_why_);                      \
  if (!var) {                                                                 \
    MESSAGE("SKIPPED (system test): " << var##_why_);                         \
    return;                                                                   \
  }

#define MVT_REQUIRE_LAB_GUEST(var)                                          \
  MVT_REQUIRE_LAB();                                                        \
  std::string var##_why_;                                                   \
  ::mvt::test::lab::LabGuest* var = ::mvt::test::lab::shared_lab_guest(&var##_why_); \
  if (!var) {                                                               \
    MESSAGE("SKIPPED (system test): " << var##_why_);                       \
    return;                                                                 \
  }
