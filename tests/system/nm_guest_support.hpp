#pragma once
// The NetworkManager lab guest (tests/system/guest-nm/build.sh, README.md there).
// Debian 12 with systemd, udev, NetworkManager (keyfile plugin only, no-auto-default=*) and
// qemu-ga (guest-file-* and guest-exec allowed), booted under TCG with direct kernel boot of
// the first guest's kernel and a tiny initramfs that mounts its root disk.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "system_support.hpp"

namespace mvt::test::lab {

// The image, built or taken from the cache by tests/system/guest-nm/build.sh (a fresh
// machine builds it once: minutes; cached: ≈ 1 s). nullopt with *why set when it cannot be
// built (the build's own error).
struct NmGuestImage {
  GuestImage boot;               // the first guest's kernel/vmlinux, the NM initramfs
  std::filesystem::path rootfs;  // raw ext4: the read-only base of every test's disk
};
std::optional<NmGuestImage> nm_guest_image(std::string* why = nullptr);

// Where the copy-on-write root disk of domain `name` lives (the cache's disks/, which
// libvirt's QEMU can reach).
std::filesystem::path nm_disk_path(const std::string& name, const NmGuestImage& image);

// The em1/em2 direct interfaces of the NM guest, as the first lab guest has them: em1 on PCI
// slot 8 (ens8, MAC test_mac(8)) and em2 on PCI slot 9 (ens9, MAC test_mac(9)), private mode,
// trustGuestRxFilters='yes' (IPv6 neighbour discovery over macvtap needs the guest's
// multicast list on the macvtap device).
std::vector<LabNic> nm_guest_nics();

// A NetworkManager lab guest for the length of a test: a qcow2 disk backed by the cached
// rootfs (qemu-img create -b: the cache stays clean; writes survive a shutdown and start of
// the domain, as on a real disk), the domain defined (<domain type='qemu'>, ACPI) and started
// by the constructor; domain and disk removed by the destructor. Disks of dead test
// processes are removed first. options.root_disk is set here; options.nics defaults to
// nm_guest_nics() when empty; "systemd.show_status=false" is added to the kernel command line.
class NmLabGuest {
 public:
  NmLabGuest(Hypervisor& hv, LabDomainOptions options, const NmGuestImage& image,
             bool start = true);
  ~NmLabGuest();
  NmLabGuest(const NmLabGuest&) = delete;
  NmLabGuest& operator=(const NmLabGuest&) = delete;

  LabGuest& guest() { return *guest_; }
  const std::string& name() const { return guest_->name(); }
  const std::filesystem::path& disk() const { return disk_; }
  // guest-ping answered (bounded; systemd under TCG on busy cores: ≈ 20-60 s).
  bool wait_for_agent(std::chrono::milliseconds timeout = std::chrono::seconds(240)) {
    return guest_->wait_for_agent(timeout);
  }
  // NetworkManager answers `nmcli -t -f RUNNING general` with "running" (bounded): it may
  // start after the agent.
  bool wait_for_network_manager(std::chrono::milliseconds timeout = std::chrono::seconds(120));
  // Shuts the guest down through its agent (guest-shutdown) and waits until the domain is
  // shut off (bounded); false on timeout.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(180));

 private:
  std::filesystem::path disk_;
  std::unique_ptr<LabGuest> guest_;
};

}  // namespace mvt::test::lab
