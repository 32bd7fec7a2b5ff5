#include "nm_guest_support.hpp"

#include <signal.h>

#include <cerrno>
#include <mutex>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "files/process.hpp"
#include "util/errors.hpp"

namespace mvt::test::lab {

namespace {

using namespace std::chrono_literals;

// Removes the copy-on-write disks of test processes that no longer run (a killed test
// leaves its disk behind; its domain goes with cleanup_stale_test_domains()).
void cleanup_stale_disks(const std::filesystem::path& dir) {
  static const std::regex re("^mvt-test-.*-([0-9]+)\\.qcow2$");
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const auto file = e.path().filename().string();
    std::smatch m;
    if (!std::regex_match(file, m, re)) continue;
    const long pid = std::stol(m[1].str());
    if (pid > 0 && kill(pid_t(pid), 0) != 0 && errno == ESRCH) std::filesystem::remove(e.path(), ec);
  }
}

}  // namespace

std::optional<NmGuestImage> nm_guest_image(std::string* why) {
  static std::once_flag once;
  static std::optional<NmGuestImage> image;
  static std::string error;
  std::call_once(once, [] {
    const auto build = std::filesystem::path(MVT_SOURCE_DIR) / "tests/system/guest-nm/build.sh";
    ProcessResult r;
    try {
      r = run_process({build.string()}, 1800s);  // a fresh machine: mmdebstrap, minutes
    } catch (const Error& e) {
      error = std::string("cannot run the NM guest build: ") + e.what();
      return;
    }
    if (r.exit_code != 0) {
      error = "tests/system/guest-nm/build.sh failed (exit " + std::to_string(r.exit_code) +
              (r.timed_out ? ", timed out" : "") + "): " + r.err;
      return;
    }
    NmGuestImage g;
    std::istringstream lines(r.out);
    std::string key, path;
    while (lines >> key >> path) {
      if (key == "kernel") g.boot.kernel = path;
      if (key == "vmlinux") g.boot.vmlinux = path;
      if (key == "initrd") g.boot.initrd = path;
      if (key == "rootfs") g.rootfs = path;
    }
    if (g.boot.kernel.empty() || g.boot.initrd.empty() || g.rootfs.empty()) {
      error = "the NM guest build printed no kernel/initrd/rootfs: " + r.out;
      return;
    }
    MESSAGE("NM lab guest image: " << r.err);
    image = g;
  });
  if (!image && why) *why = error;
  return image;
}

std::filesystem::path nm_disk_path(const std::string& name, const NmGuestImage& image) {
  return image.rootfs.parent_path().parent_path() / "disks" / (name + ".qcow2");
}

std::vector<LabNic> nm_guest_nics() {
  std::vector<LabNic> nics;
  for (const auto& [dev, slot] : {std::pair<const char*, int>{"em1", 8}, {"em2", 9}}) {
    LabNic n;
    n.dev = dev;
    n.mac = test_mac(slot);
    n.pci_slot = slot;
    n.trust_guest_rx_filters = true;  // IPv6 neighbour discovery reaches the guest
    nics.push_back(n);
  }
  return nics;
}

NmLabGuest::NmLabGuest(Hypervisor& hv, LabDomainOptions options, const NmGuestImage& image,
                       bool start) {
  if (options.nics.empty()) options.nics = nm_guest_nics();
  // systemd's status lines on the emulated serial port cost seconds under TCG.
  options.extra_cmdline += std::string(options.extra_cmdline.empty() ? "" : " ") +
                           "systemd.show_status=false";
  disk_ = nm_disk_path(test_domain_name(options.what), image);
  std::filesystem::create_directories(disk_.parent_path());
  cleanup_stale_disks(disk_.parent_path());
  std::filesystem::remove(disk_);
  // Copy-on-write over the cached image: the test's writes land in its own qcow2 file.
  const auto r = run_process({"qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                              image.rootfs.string(), disk_.string()},
                             60s);
  if (r.exit_code != 0)
    throw std::runtime_error("qemu-img create " + disk_.string() + " failed: " + r.err);
  options.root_disk = disk_;
  options.persist_disk = false;
  try {
    guest_ = std::make_unique<LabGuest>(hv, options, image.boot, start);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(disk_, ec);
    throw;
  }
}

NmLabGuest::~NmLabGuest() {
  guest_.reset();  // the domain first: QEMU holds the disk open
  std::error_code ec;
  std::filesystem::remove(disk_, ec);
}

bool NmLabGuest::wait_for_network_manager(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto agent = guest_->agent();
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      const auto r = agent.run({"nmcli", "-t", "-f", "RUNNING", "general"}, 20s);
      if (r.exit_code == 0 && r.out.find("running") != std::string::npos) return true;
    } catch (const Error&) {
      // the agent or nmcli not ready yet: try again until the deadline
    }
    std::this_thread::sleep_for(500ms);
  }
  return false;
}

bool NmLabGuest::shutdown(std::chrono::milliseconds timeout) {
  auto& hv = guest_->hypervisor();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    // guest-shutdown returns no answer when it works: the agent is gone by then.
    guest_->agent().call("guest-shutdown", R"({"mode": "powerdown"})", 5s);
  } catch (const Error&) {
  }
  while (std::chrono::steady_clock::now() < deadline) {
    if (!is_running(hv, name())) return true;
    std::this_thread::sleep_for(250ms);
  }
  return false;
}

}  // namespace mvt::test::lab
