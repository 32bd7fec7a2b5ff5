#include "system_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <libxml/tree.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "files/process.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "util/errors.hpp"

namespace mvt::test::lab {

namespace {

using namespace std::chrono_literals;

std::filesystem::path source_dir() { return MVT_SOURCE_DIR; }

bool virsh_answers() {
  try {
    return run_process({"virsh", "-c", kUri, "list", "--name"}, 15s).exit_code == 0;
  } catch (const Error&) {
    return false;
  }
}

bool link_exists(const std::string& name) {
  return std::filesystem::exists("/sys/class/net/" + name);
}

std::string compute_unavailable_reason() {
  if (geteuid() != 0)
    return "not root: the lab (tests/system/lab.sh) starts libvirtd and creates NICs";
  if (!virsh_answers() || !link_exists("em1") || !link_exists("em2")) {
    // Bring the lab up ourselves (idempotent), so plain `ctest` works on a fresh machine.
    const auto lab = source_dir() / "tests/system/lab.sh";
    ProcessResult r;
    try {
      r = run_process({lab.string(), "up"}, 600s);
    } catch (const Error& e) {
      return std::string("cannot run tests/system/lab.sh up: ") + e.what();
    }
    if (r.exit_code != 0)
      return "tests/system/lab.sh up failed (exit " + std::to_string(r.exit_code) + "): " + r.err;
  }
  if (!virsh_answers()) return std::string("libvirtd does not answer at ") + kUri;
  for (const char* nic : {"em1", "em2"})
    if (!link_exists(nic)) return std::string("host NIC ") + nic + " missing (lab.sh up?)";
  return "";
}

bool pid_alive(long pid) { return pid > 0 && (kill(pid_t(pid), 0) == 0 || errno == EPERM); }

xmlNodePtr child(xmlNodePtr parent, const char* name, const std::string& text = {}) {
  return xmlNewTextChild(parent, nullptr, BAD_CAST name,
                         text.empty() ? nullptr : BAD_CAST text.c_str());
}
void attr(xmlNodePtr n, const char* name, const std::string& value) {
  xmlNewProp(n, BAD_CAST name, BAD_CAST value.c_str());
}

}  // namespace

namespace {

std::filesystem::path lab_state_dir() {
  const char* e = std::getenv("MVT_LAB_STATE");
  return (e && *e) ? std::filesystem::path(e) : std::filesystem::path("/run/mvt-lab");
}

int open_lock(const char* name) {
  std::error_code ec;
  std::filesystem::create_directories(lab_state_dir(), ec);
  return ::open((lab_state_dir() / name).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
}

// flock(fd, op | LOCK_NB) retried every 20 ms until `timeout`.
bool flock_bounded(int fd, int op, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (::flock(fd, op | LOCK_NB) == 0) return true;
    if (errno != EWOULDBLOCK && errno != EINTR) return false;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

int g_daemon_lock = -1;  // held shared for the process lifetime (never closed)

}  // namespace

void hold_lab_daemon_shared() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Not root or no state dir: nothing to share (the lab is unavailable anyway).
    const int intent = open_lock("daemon-intent.lock");
    if (intent >= 0) {
      // A killer is waiting or at work: let it go first (bounded).
      if (flock_bounded(intent, LOCK_SH, 600s)) ::flock(intent, LOCK_UN);
      ::close(intent);
    }
    g_daemon_lock = open_lock("daemon.lock");
    if (g_daemon_lock >= 0) flock_bounded(g_daemon_lock, LOCK_SH, 600s);
  });
}

ExclusiveLabDaemon::ExclusiveLabDaemon(std::chrono::milliseconds timeout) {
  hold_lab_daemon_shared();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  intent_fd_ = open_lock("daemon-intent.lock");
  if (intent_fd_ < 0 || g_daemon_lock < 0) return;
  if (!flock_bounded(intent_fd_, LOCK_EX, timeout)) return;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  // Converting shared -> exclusive: only the other processes' shared locks are waited for.
  held_ = flock_bounded(g_daemon_lock, LOCK_EX, std::max(left, std::chrono::milliseconds(0)));
  // A failed conversion may have dropped the shared lock (flock converts by unlocking first).
  if (!held_) flock_bounded(g_daemon_lock, LOCK_SH, 60s);
}

ExclusiveLabDaemon::~ExclusiveLabDaemon() {
  if (held_) ::flock(g_daemon_lock, LOCK_SH);
  if (intent_fd_ >= 0) ::close(intent_fd_);  // releases the intent lock
}

std::string unavailable_reason() {
  hold_lab_daemon_shared();
  static std::once_flag once;
  static std::string why;
  std::call_once(once, [] { why = compute_unavailable_reason(); });
  return why;
}

std::optional<GuestImage> guest_image(std::string* why) {
  static std::once_flag once;
  static std::optional<GuestImage> image;
  static std::string error;
  std::call_once(once, [] {
    const auto build = source_dir() / "tests/system/guest/build.sh";
    ProcessResult r;
    try {
      r = run_process({build.string()}, 900s);
    } catch (const Error& e) {
      error = std::string("cannot run the guest build: ") + e.what();
      return;
    }
    if (r.exit_code != 0) {
      error = "tests/system/guest/build.sh failed (exit " + std::to_string(r.exit_code) +
              (r.timed_out ? ", timed out" : "") + "): " + r.err;
      return;
    }
    GuestImage g;
    std::istringstream lines(r.out);
    std::string key, path;
    while (lines >> key >> path) {
      if (key == "kernel") g.kernel = path;
      if (key == "initrd") g.initrd = path;
      if (key == "vmlinux") g.vmlinux = path;
    }
    if (g.kernel.empty() || g.initrd.empty()) {
      error = "guest build printed no kernel/initrd: " + r.out;
      return;
    }
    MESSAGE("lab guest image: " << r.err);
    image = g;
  });
  if (!image && why) *why = error;
  return image;
}

std::string test_domain_name(const std::string& what) {
  return "mvt-test-" + what + "-" + std::to_string(getpid());
}

std::string lab_domain_xml(const std::string& name, const LabDomainOptions& o,
                           const GuestImage& image) {
  xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
  xmlNodePtr dom = xmlNewNode(nullptr, BAD_CAST "domain");
  xmlDocSetRootElement(doc, dom);
  attr(dom, "type", "qemu");  // TCG: /dev/kvm here cannot boot stock kernels (LAB.md)
  child(dom, "name", name);
  attr(child(dom, "memory", std::to_string(o.memory_mib)), "unit", "MiB");
  child(dom, "vcpu", "1");
  xmlNodePtr os = child(dom, "os");
  xmlNodePtr type = child(os, "type", "hvm");
  attr(type, "arch", "x86_64");
  child(os, "kernel", (o.pvh && !image.vmlinux.empty() ? image.vmlinux : image.kernel).string());
  child(os, "initrd", image.initrd.string());
  std::string cmdline = "console=ttyS0 quiet panic=-1";
  if (!o.start_agent) cmdline += " mvt.noagent";
  if (!o.extra_cmdline.empty()) cmdline += " " + o.extra_cmdline;
  child(os, "cmdline", cmdline);
  // Without <acpi/> libvirt passes -no-acpi: no PCI hot-plug, no power-off in the guest.
  xmlNodePtr features = child(dom, "features");
  child(features, "acpi");
  child(features, "apic");
  child(dom, "on_poweroff", "destroy");
  child(dom, "on_reboot", "restart");
  child(dom, "on_crash", "destroy");
  xmlNodePtr devices = child(dom, "devices");
  for (const auto& n : o.nics) {
    xmlNodePtr i = child(devices, "interface");
    attr(i, "type", n.type);
    if (n.trust_guest_rx_filters) attr(i, "trustGuestRxFilters", "yes");
    if (n.mac) attr(child(i, "mac"), "address", *n.mac);
    xmlNodePtr src = child(i, "source");
    if (n.type == "direct") {
      attr(src, "dev", n.dev);
      attr(src, "mode", n.mode);
    } else {
      attr(src, "network", n.network);
    }
    attr(child(i, "model"), "type", n.model);
    if (n.pci_slot) {
      xmlNodePtr a = child(i, "address");
      attr(a, "type", "pci");
      attr(a, "domain", "0x0000");
      attr(a, "bus", "0x00");
      attr(a, "slot", "0x" + ([&] {
             char b[8];
             std::snprintf(b, sizeof b, "%02x", *n.pci_slot);
             return std::string(b);
           })());
      attr(a, "function", "0x0");
    }
  }
  attr(child(devices, "serial"), "type", "pty");
  attr(child(devices, "console"), "type", "pty");
  if (o.persist_disk) {
    xmlNodePtr d = child(devices, "disk");
    attr(d, "type", "file");
    attr(d, "device", "disk");
    xmlNodePtr drv = child(d, "driver");
    attr(drv, "name", "qemu");
    attr(drv, "type", "raw");
    attr(child(d, "source"), "file", lab_disk_path(name, image).string());
    xmlNodePtr t = child(d, "target");
    attr(t, "dev", "vda");
    attr(t, "bus", "virtio");
  }
  if (!o.root_disk.empty()) {  // the NM guest's copy-on-write root (nm_guest_support.hpp)
    xmlNodePtr d = child(devices, "disk");
    attr(d, "type", "file");
    attr(d, "device", "disk");
    xmlNodePtr drv = child(d, "driver");
    attr(drv, "name", "qemu");
    attr(drv, "type", "qcow2");
    attr(child(d, "source"), "file", o.root_disk.string());
    xmlNodePtr t = child(d, "target");
    attr(t, "dev", "vda");
    attr(t, "bus", "virtio");
  }
  if (o.agent_channel) {
    xmlNodePtr ch = child(devices, "channel");
    attr(ch, "type", "unix");
    xmlNodePtr t = child(ch, "target");
    attr(t, "type", "virtio");
    attr(t, "name", "org.qemu.guest_agent.0");
  }
  attr(child(devices, "memballoon"), "model", "none");
  xmlChar* buf = nullptr;
  int size = 0;
  xmlDocDumpFormatMemory(doc, &buf, &size, 1);
  std::string xml(reinterpret_cast<const char*>(buf), std::size_t(size));
  xmlFree(buf);
  xmlFreeDoc(doc);
  return xml;
}

std::unique_ptr<Hypervisor> connect() { return LibvirtHypervisor::connect(kUri, false); }

void remove_domain(const std::string& name) {
  try {
    run_process({"virsh", "-q", "-c", kUri, "destroy", name}, 30s);
    run_process({"virsh", "-q", "-c", kUri, "undefine", name}, 30s);
  } catch (const Error&) {
  }
}

void cleanup_stale_test_domains() {
  ProcessResult r;
  try {
    r = run_process({"virsh", "-q", "-c", kUri, "list", "--all", "--name"}, 15s);
  } catch (const Error&) {
    return;
  }
  static const std::regex re("^mvt-test-.*-([0-9]+)$");
  std::istringstream lines(r.out);
  std::string name;
  while (std::getline(lines, name)) {
    std::smatch m;
    if (std::regex_match(name, m, re) && !pid_alive(std::stol(m[1].str()))) remove_domain(name);
  }
}

std::string test_mac(int index) {
  const unsigned pid = unsigned(getpid());
  char b[32];
  std::snprintf(b, sizeof b, "52:54:00:%02x:%02x:%02x", (pid >> 8) & 0xff, pid & 0xff,
                unsigned(index) & 0xff);
  return b;
}

LabGuest::LabGuest(Hypervisor& hv, const LabDomainOptions& options, const GuestImage& image,
                   bool start_now)
    : hv_(hv), name_(test_domain_name(options.what)) {
  cleanup_stale_test_domains();
  remove_domain(name_);
  if (options.persist_disk) {
    disk_ = lab_disk_path(name_, image);
    std::filesystem::create_directories(disk_.parent_path());
    std::filesystem::remove(disk_);
    std::ofstream f(disk_, std::ios::binary);
    f.seekp(4 * 1024 * 1024 - 1);
    f.put('\0');  // 4 MiB of zeros: an empty tar archive
    if (!f) throw std::runtime_error("cannot create the lab disk " + disk_.string());
  }
  hv_.define_xml(lab_domain_xml(name_, options, image));
  if (start_now) {
    try {
      start();
    } catch (...) {
      remove_domain(name_);
      throw;
    }
  }
}

LabGuest::~LabGuest() {
  remove_domain(name_);
  if (!disk_.empty()) {
    std::error_code ec;
    std::filesystem::remove(disk_, ec);
  }
}

std::filesystem::path lab_disk_path(const std::string& name, const GuestImage& image) {
  return image.initrd.parent_path().parent_path() / "disks" / (name + ".img");
}

void LabGuest::start() {
  started_ = std::chrono::steady_clock::now();
  hv_.start(name_);
}

bool LabGuest::wait_for_agent(std::chrono::milliseconds timeout) {
  AgentSource a(hv_, name_);
  if (!a.wait_until_ready(timeout)) return false;
  boot_to_ping_ = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started_);
  return true;
}

std::vector<std::string> LabGuest::macvtap_devices() {
  std::vector<std::string> out;
  const auto xml = hv_.domain_xml(name_, false);
  if (!xml) return out;
  static const std::regex re("<interface type=.direct.[\\s\\S]*?<target dev=.([^'\"]+).");
  for (auto it = std::sregex_iterator(xml->begin(), xml->end(), re); it != std::sregex_iterator();
       ++it)
    out.push_back((*it)[1].str());
  return out;
}

LabGuest* shared_lab_guest(std::string* why) {
  struct Shared {
    std::unique_ptr<Hypervisor> hv;
    std::unique_ptr<LabGuest> guest;
    std::string error;
  };
  static Shared shared;
  static std::once_flag once;
  std::call_once(once, [] {
    if (auto r = unavailable_reason(); !r.empty()) {
      shared.error = r;
      return;
    }
    std::string img_why;
    auto image = guest_image(&img_why);
    if (!image) {
      shared.error = img_why;
      return;
    }
    try {
      shared.hv = connect();
      LabDomainOptions o;
      o.what = "shared";
      LabNic nic;
      nic.mac = test_mac(9);
      nic.pci_slot = 9;
      o.nics.push_back(nic);
      shared.guest = std::make_unique<LabGuest>(*shared.hv, o, *image);
      if (!shared.guest->wait_for_agent(90s)) {
        shared.error = "lab guest " + shared.guest->name() + " booted but its agent did not "
                       "answer within 90 s";
        shared.guest.reset();
        return;
      }
      MESSAGE("lab guest " << shared.guest->name() << ": start to first guest-ping "
                           << shared.guest->boot_to_ping()->count() << " ms");
    } catch (const std::exception& e) {
      shared.error = std::string("cannot boot the lab guest: ") + e.what();
      shared.guest.reset();
    }
  });
  if (!shared.guest && why) *why = shared.error;
  return shared.guest.get();
}

NetnsResult in_netns(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  std::vector<std::string> full = {"ip", "netns", "exec", kNetns};
  full.insert(full.end(), argv.begin(), argv.end());
  const auto r = run_process(full, timeout);
  return {r.timed_out ? -1 : r.exit_code, r.out, r.err};
}

NetnsResult netns_ping(const std::string& addr, const std::vector<std::string>& ping_args,
                       std::chrono::milliseconds timeout) {
  in_netns({"ip", "neigh", "flush", "to", addr}, 10s);
  std::vector<std::string> argv = {"ping", "-n"};
  argv.insert(argv.end(), ping_args.begin(), ping_args.end());
  argv.push_back(addr);
  return in_netns(argv, timeout);
}


// ---- The procedure on the lab ----

LabNetwork::LabNetwork()
    : name_("mvt-test-int-" + std::to_string(getpid())), bridge_("mvtbr" + std::to_string(getpid())) {
  run_process({"virsh", "-q", "-c", kUri, "net-destroy", name_}, 30s);
  run_process({"virsh", "-q", "-c", kUri, "net-undefine", name_}, 30s);
  run_process({"ip", "link", "del", bridge_}, 10s);
  auto r = run_process({"ip", "link", "add", bridge_, "type", "bridge"}, 10s);
  if (r.exit_code != 0) throw std::runtime_error("ip link add " + bridge_ + ": " + r.err);
  run_process({"ip", "link", "set", bridge_, "up"}, 10s);
  ProcessOptions o;
  o.timeout = 60s;
  o.input = "<network><name>" + name_ + "</name><forward mode='bridge'/><bridge name='" +
            bridge_ + "'/></network>\n";
  const auto file = std::filesystem::temp_directory_path() / (name_ + ".xml");
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    if (!f) throw std::runtime_error("cannot write " + file.string());
    std::fputs(o.input.c_str(), f);
    std::fclose(f);
  }
  r = run_process({"virsh", "-q", "-c", kUri, "net-define", file.string()}, 60s);
  std::filesystem::remove(file);
  if (r.exit_code != 0) throw std::runtime_error("virsh net-define " + name_ + ": " + r.err);
  r = run_process({"virsh", "-q", "-c", kUri, "net-start", name_}, 60s);
  if (r.exit_code != 0) throw std::runtime_error("virsh net-start " + name_ + ": " + r.err);
}

LabNetwork::~LabNetwork() {
  try {
    run_process({"virsh", "-q", "-c", kUri, "net-destroy", name_}, 30s);
    run_process({"virsh", "-q", "-c", kUri, "net-undefine", name_}, 30s);
    run_process({"ip", "link", "del", bridge_}, 10s);
  } catch (const std::exception&) {
  }
}

ToolResult run_macvtapctl(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                          const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {MVT_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions o;
  o.timeout = timeout;
  o.env = env;
  const auto r = run_process(argv, o);
  return {r.timed_out ? -1 : r.exit_code, r.out, r.err, r.elapsed};
}

namespace {
HostLink to_host_link(const nlohmann::json& l) {
  HostLink h;
  h.name = l.value("ifname", "");
  h.mac = l.value("address", "");
  h.lower = l.value("link", "");
  if (l.contains("linkinfo")) {
    h.kind = l["linkinfo"].value("info_kind", "");
    if (l["linkinfo"].contains("info_data")) h.mode = l["linkinfo"]["info_data"].value("mode", "");
  }
  return h;
}
}  // namespace

std::vector<HostLink> host_links_with_mac(const std::string& mac) {
  const auto r = run_process({"ip", "-j", "-d", "link", "show"}, 10s);
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (r.exit_code != 0 || !j.is_array())
    throw std::runtime_error("ip -j -d link show failed: " + r.err);
  std::vector<HostLink> out;
  for (const auto& l : j)
    if (l.value("address", "") == mac) out.push_back(to_host_link(l));
  return out;
}

std::optional<HostLink> host_link(const std::string& name) {
  const auto r = run_process({"ip", "-j", "-d", "link", "show", "dev", name}, 10s);
  if (r.exit_code != 0) return std::nullopt;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_array() || j.empty()) return std::nullopt;
  return to_host_link(j[0]);
}

bool is_running(Hypervisor& hv, const std::string& name) {
  for (const auto& d : hv.list_domains())
    if (d.name == name) return d.running;
  return false;
}

int live_domain_id(Hypervisor& hv, const std::string& name) {
  if (!is_running(hv, name)) return -1;
  const auto xml = hv.domain_xml(name, false);
  if (!xml) return -1;
  static const std::regex re("<domain[^>]*\\sid=['\"]([0-9]+)['\"]");
  std::smatch m;
  return std::regex_search(*xml, m, re) ? std::stoi(m[1].str()) : -1;
}

bool live_has_interface(Hypervisor& hv, const std::string& name, const std::string& mac) {
  if (!is_running(hv, name)) return false;
  const auto xml = hv.domain_xml(name, false);
  return xml && xml->find("<mac address='" + mac + "'/>") != std::string::npos;
}

GuestRun guest_run(LabGuest& guest, const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout) {
  auto a = guest.agent();
  const auto r = a.run(argv, timeout);
  return {r.exit_code, r.out, r.err};
}

std::string stable_inactive_xml(Hypervisor& hv, const std::string& name) {
  auto xml = hv.domain_xml(name, true);
  if (!xml) return "";
  std::string s = *xml;
  for (const char* re : {"<target dev=['\"][^'\"]*['\"]\\s*/>", "<alias name=['\"][^'\"]*['\"]\\s*/>",
                         "<seclabel[\\s\\S]*?(/>|</seclabel>)", " id=['\"][0-9-]+['\"]"})
    s = std::regex_replace(s, std::regex(re), "");
  return s;
}

std::vector<int> used_pci_slots(Hypervisor& hv, const std::string& name) {
  std::vector<int> out;
  auto xml = hv.domain_xml(name, true);
  if (!xml) return out;
  static const std::regex re("<address type=.pci. domain=.0x0000. bus=.0x00. slot=.0x([0-9a-f]+).");
  for (auto it = std::sregex_iterator(xml->begin(), xml->end(), re); it != std::sregex_iterator(); ++it)
    out.push_back(std::stoi((*it)[1].str(), nullptr, 16));
  return out;
}

}  // namespace mvt::test::lab
