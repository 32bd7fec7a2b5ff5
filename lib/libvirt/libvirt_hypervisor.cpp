#include "libvirt/libvirt_hypervisor.hpp"

#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "util/errors.hpp"
#include "xml/host_interface_xml.hpp"
#include "xml/xml_handles.hpp"

namespace mvt {
namespace {

// RAII for libvirt handles (STYLE.md habit 5).
struct ConnectDeleter {
  void operator()(virConnectPtr c) const { virConnectClose(c); }
};
struct DomainDeleter {
  void operator()(virDomainPtr d) const { virDomainFree(d); }
};
struct InterfaceDeleter {
  void operator()(virInterfacePtr i) const { virInterfaceFree(i); }
};
struct CharDeleter {
  void operator()(char* s) const { std::free(s); }
};
using ConnectPtr = std::unique_ptr<virConnect, ConnectDeleter>;
using DomainPtr = std::unique_ptr<virDomain, DomainDeleter>;
using InterfacePtr = std::unique_ptr<virInterface, InterfaceDeleter>;
using CharPtr = std::unique_ptr<char, CharDeleter>;

void quiet_handler(void*, virErrorPtr) {}

void install_global_quiet_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    virInitialize();
    virSetErrorFunc(nullptr, quiet_handler);
  });
}

// The last libvirt error of this thread as a LibvirtError, message prefixed with `what`.
LibvirtError last_error(const std::string& what) {
  const virError* e = virGetLastError();
  if (!e) return LibvirtError(what + ": unknown libvirt error", VIR_ERR_INTERNAL_ERROR);
  std::string msg = e->message ? e->message : "unknown libvirt error";
  return LibvirtError(what + ": " + msg, e->code, e->domain);
}

int last_code() {
  const virError* e = virGetLastError();
  return e ? e->code : VIR_ERR_OK;
}

unsigned affect_flags(bool live, bool config) {
  unsigned f = 0;
  if (live) f |= VIR_DOMAIN_AFFECT_LIVE;
  if (config) f |= VIR_DOMAIN_AFFECT_CONFIG;
  return f;
}

// Every domain of the connection, each handle owned at once so that nothing leaks if a
// later call throws.
std::vector<DomainPtr> list_all(virConnectPtr conn, const std::string& uri) {
  virDomainPtr* doms = nullptr;
  virResetLastError();
  const int n = virConnectListAllDomains(conn, &doms, 0);
  if (n < 0) throw last_error("cannot list domains on " + uri);
  std::vector<DomainPtr> owned;
  owned.reserve(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) owned.emplace_back(doms[k]);
  std::free(doms);
  return owned;
}

}  // namespace

struct LibvirtHypervisor::Impl {
  ConnectPtr conn;
  bool test_driver = false;
  // The handles of the last listing (visit_all_domains), by name: a step that reads a
  // domain observed moments before skips its lookup, one round trip of two (issue 17). A
  // handle names the domain by UUID too, so one undefined and defined again meanwhile is
  // not found through it and is looked up by name (domain_xml).
  std::mutex handles_mutex;
  std::unordered_map<std::string, DomainPtr> handles;

  // A new reference to the listed handle of `name`, else null.
  DomainPtr listed(const std::string& name) {
    std::lock_guard<std::mutex> lock(handles_mutex);
    auto it = handles.find(name);
    if (it == handles.end() || virDomainRef(it->second.get()) != 0) return nullptr;
    return DomainPtr(it->second.get());
  }
  void forget(const std::string& name) {
    std::lock_guard<std::mutex> lock(handles_mutex);
    handles.erase(name);
  }

  // The domain, or null when it does not exist (other failures throw).
  DomainPtr lookup(const std::string& name) {
    virResetLastError();
    DomainPtr d(virDomainLookupByName(conn.get(), name.c_str()));
    if (!d) {
      if (last_code() == VIR_ERR_NO_DOMAIN) return nullptr;
      throw last_error("cannot look up domain " + name);
    }
    return d;
  }
  DomainPtr require(const std::string& name, const std::string& what) {
    DomainPtr d = lookup(name);
    if (!d)
      throw LibvirtError("cannot " + what + " " + name + ": domain not found", VIR_ERR_NO_DOMAIN,
                         VIR_FROM_DOMAIN);
    return d;
  }
};

std::string domain_state_name(int state) {
  switch (state) {
    case VIR_DOMAIN_RUNNING: return "running";
    case VIR_DOMAIN_BLOCKED: return "idle";
    case VIR_DOMAIN_PAUSED: return "paused";
    case VIR_DOMAIN_SHUTDOWN: return "in shutdown";
    case VIR_DOMAIN_SHUTOFF: return "shut off";
    case VIR_DOMAIN_CRASHED: return "crashed";
    case VIR_DOMAIN_PMSUSPENDED: return "pmsuspended";
    default: return "no state";
  }
}

LibvirtHypervisor::LibvirtHypervisor(std::unique_ptr<Impl> impl, std::string uri)
    : impl_(std::move(impl)), uri_(std::move(uri)) {}

LibvirtHypervisor::~LibvirtHypervisor() = default;

std::unique_ptr<Hypervisor> LibvirtHypervisor::connect(const std::string& uri, bool read_only) {
  install_global_quiet_handler();
  // libvirt's test driver parses its node file with libxml2 on this thread: keep it quiet.
  xml::install_quiet_error_handler();
  virResetLastError();
  ConnectPtr conn(read_only ? virConnectOpenReadOnly(uri.c_str()) : virConnectOpen(uri.c_str()));
  if (!conn) throw last_error("cannot connect to " + uri);
  virConnSetErrorFunc(conn.get(), nullptr, quiet_handler);
  auto impl = std::make_unique<Impl>();
  impl->conn = std::move(conn);
  impl->test_driver = uri.rfind("test:", 0) == 0 || uri.rfind("test+", 0) == 0;
  return std::unique_ptr<Hypervisor>(new LibvirtHypervisor(std::move(impl), uri));
}

std::vector<DomainSummary> LibvirtHypervisor::list_domains() {
  const std::vector<DomainPtr> owned = list_all(impl_->conn.get(), uri_);

  std::vector<DomainSummary> out;
  for (auto& d : owned) {
    DomainSummary s;
    const char* name = virDomainGetName(d.get());
    s.name = name ? name : "";
    char uuid[VIR_UUID_STRING_BUFLEN] = {};
    if (virDomainGetUUIDString(d.get(), uuid) == 0) s.uuid = uuid;
    int state = 0, reason = 0;
    if (virDomainGetState(d.get(), &state, &reason, 0) < 0) {
      if (last_code() == VIR_ERR_NO_DOMAIN) continue;  // vanished meanwhile
      throw last_error("cannot read the state of domain " + s.name);
    }
    s.state = domain_state_name(state);
    const int active = virDomainIsActive(d.get());
    if (active < 0) {
      if (last_code() == VIR_ERR_NO_DOMAIN) continue;
      throw last_error("cannot read the state of domain " + s.name);
    }
    s.running = active == 1;
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<std::string> LibvirtHypervisor::domain_xml(const std::string& name, bool inactive) {
  // Through the listed handle first; one that finds no domain (gone, or defined again under
  // another UUID) is forgotten and the name looked up.
  DomainPtr d = impl_->listed(name);
  const bool listed = d != nullptr;
  if (!d) d = impl_->lookup(name);
  if (!d) return std::nullopt;
  virResetLastError();
  CharPtr xml(virDomainGetXMLDesc(d.get(), inactive ? VIR_DOMAIN_XML_INACTIVE : 0));
  if (xml) return std::string(xml.get());
  if (last_code() != VIR_ERR_NO_DOMAIN) throw last_error("cannot read the XML of domain " + name);
  if (!listed) return std::nullopt;
  impl_->forget(name);
  return domain_xml(name, inactive);
}

void LibvirtHypervisor::visit_all_domains(const DomainVisitor& v) {
  const std::vector<DomainPtr> owned = list_all(impl_->conn.get(), uri_);
  v.listed(owned.size());
  {
    std::unordered_map<std::string, DomainPtr> handles;
    handles.reserve(owned.size());
    for (const auto& d : owned) {
      const char* name = virDomainGetName(d.get());
      if (name && virDomainRef(d.get()) == 0) handles.emplace(name, DomainPtr(d.get()));
    }
    std::lock_guard<std::mutex> lock(impl_->handles_mutex);
    impl_->handles = std::move(handles);
  }

  // Per domain: name, UUID and ID come with the listing (no round trip); a shut-off domain
  // (ID -1) costs one call (its inactive XML), a running one three (state, both XMLs).
  auto xml_of = [&](virDomainPtr d, const std::string& name,
                    unsigned flags) -> std::optional<std::string> {
    virResetLastError();
    CharPtr xml(virDomainGetXMLDesc(d, flags));
    if (!xml) {
      if (last_code() == VIR_ERR_NO_DOMAIN) return std::nullopt;
      throw last_error("cannot read the XML of domain " + name);
    }
    return std::string(xml.get());
  };
  auto one = [&](std::size_t k) {
    virDomainPtr d = owned[k].get();
    DomainXml x;
    DomainSummary& s = x.summary;
    const char* name = virDomainGetName(d);
    s.name = name ? name : "";
    char uuid[VIR_UUID_STRING_BUFLEN] = {};
    if (virDomainGetUUIDString(d, uuid) == 0) s.uuid = uuid;
    s.running = virDomainGetID(d) != static_cast<unsigned int>(-1);
    if (s.running) {
      int state = 0, reason = 0;
      virResetLastError();
      if (virDomainGetState(d, &state, &reason, 0) < 0) {
        if (last_code() == VIR_ERR_NO_DOMAIN) return;  // vanished meanwhile
        throw last_error("cannot read the state of domain " + s.name);
      }
      s.state = domain_state_name(state);
      s.running = state != VIR_DOMAIN_SHUTOFF;
    } else {
      s.state = domain_state_name(VIR_DOMAIN_SHUTOFF);
    }
    x.inactive_xml = xml_of(d, s.name, VIR_DOMAIN_XML_INACTIVE);
    if (x.inactive_xml && s.running) x.live_xml = xml_of(d, s.name, 0);
    v.domain(k, std::move(x));
  };

  // Several calls in flight on the one connection: each call is a round trip to the daemon
  // (over ssh for a remote host), and libvirtd answers concurrent calls of one client on
  // several workers (up to its max_client_requests, 5 by default; more simply queue there).
  // Small hosts too: over a remote link each call costs a round trip (at 10 ms RTT, 50
  // running domains one call at a time took 1.9 s, six at a time 0.4 s), and a thread costs
  // microseconds.
  constexpr std::size_t kInFlight = 6;
  const std::size_t threads = std::min(kInFlight, owned.size());
  if (threads <= 1) {
    for (std::size_t k = 0; k < owned.size(); ++k) one(k);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::vector<std::exception_ptr> failed(owned.size());
  auto worker = [&] {
    while (!stop.load(std::memory_order_relaxed)) {
      const std::size_t k = next.fetch_add(1);
      if (k >= owned.size()) return;
      try {
        one(k);
      } catch (...) {
        failed[k] = std::current_exception();
        stop = true;
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    pool.reserve(threads - 1);
    try {
      for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    } catch (const std::system_error&) {
      // No more threads to be had: the ones started (and this one) do the work.
    }
    worker();
  }
  for (auto& e : failed)
    if (e) std::rethrow_exception(e);
}

void LibvirtHypervisor::define_xml(const std::string& xml) {
  virResetLastError();
  DomainPtr d(virDomainDefineXML(impl_->conn.get(), xml.c_str()));
  if (!d) throw last_error("cannot define domain on " + uri_);
}

namespace {
using DeviceCall = int (*)(virDomainPtr, const char*, unsigned int);
}  // namespace

// attach/detach/update share one shape: look the domain up, call, turn failure into
// LibvirtError ("cannot <verb> <domain>").
static void device_op(LibvirtHypervisor::Impl& impl, DeviceCall call, const std::string& domain,
                      const std::string& xml, bool live, bool config, const char* verb) {
  DomainPtr d = impl.require(domain, verb);
  virResetLastError();
  if (call(d.get(), xml.c_str(), affect_flags(live, config)) < 0)
    throw last_error(std::string("cannot ") + verb + " " + domain);
}

void LibvirtHypervisor::attach_device(const std::string& domain, const std::string& xml, bool live,
                                      bool config) {
  device_op(*impl_, virDomainAttachDeviceFlags, domain, xml, live, config, "attach a device to");
}

void LibvirtHypervisor::detach_device(const std::string& domain, const std::string& xml, bool live,
                                      bool config) {
  device_op(*impl_, virDomainDetachDeviceFlags, domain, xml, live, config, "detach a device from");
}

void LibvirtHypervisor::update_device(const std::string& domain, const std::string& xml, bool live,
                                      bool config) {
  device_op(*impl_, virDomainUpdateDeviceFlags, domain, xml, live, config, "update a device of");
}

void LibvirtHypervisor::start(const std::string& domain) {
  DomainPtr d = impl_->require(domain, "start");
  virResetLastError();
  if (virDomainCreate(d.get()) < 0) throw last_error("cannot start " + domain);
}

void LibvirtHypervisor::shutdown(const std::string& domain) {
  DomainPtr d = impl_->require(domain, "shut down");
  virResetLastError();
  if (virDomainShutdown(d.get()) < 0) throw last_error("cannot shut down " + domain);
}

void LibvirtHypervisor::destroy(const std::string& domain) {
  DomainPtr d = impl_->require(domain, "destroy");
  virResetLastError();
  if (virDomainDestroy(d.get()) < 0) throw last_error("cannot destroy " + domain);
}

void LibvirtHypervisor::reboot(const std::string& domain) {
  DomainPtr d = impl_->require(domain, "reboot");
  virResetLastError();
  if (virDomainReboot(d.get(), 0) < 0) throw last_error("cannot reboot " + domain);
}

std::string LibvirtHypervisor::agent_command(const std::string& domain, const std::string& json,
                                             std::chrono::seconds timeout) {
  DomainPtr d = impl_->require(domain, "run a guest agent command in");
  virResetLastError();
  CharPtr out(virDomainQemuAgentCommand(d.get(), json.c_str(), static_cast<int>(timeout.count()),
                                        0));
  if (!out) throw last_error("guest agent command failed in " + domain);
  return std::string(out.get());
}

std::optional<std::vector<HostNicState>> LibvirtHypervisor::host_interfaces() {
  virInterfacePtr* ifs = nullptr;
  virResetLastError();
  const int n = virConnectListAllInterfaces(impl_->conn.get(), &ifs, 0);
  if (n < 0) {
    const int code = last_code();
    // No interface driver on this connection (common for qemu:///system without netcf).
    if (code == VIR_ERR_NO_SUPPORT || code == VIR_ERR_OPERATION_UNSUPPORTED ||
        code == VIR_ERR_NO_INTERFACE)
      return std::nullopt;
    throw last_error("cannot list host interfaces on " + uri_);
  }
  std::vector<InterfacePtr> owned;
  for (int k = 0; k < n; ++k) owned.emplace_back(ifs[k]);
  std::free(ifs);

  std::vector<HostNicState> out;
  for (auto& i : owned) {
    HostNicState s;
    const char* name = virInterfaceGetName(i.get());
    s.name = name ? name : "";
    if (const char* mac = virInterfaceGetMACString(i.get())) s.mac = MacAddress::parse(mac);
    const int active = virInterfaceIsActive(i.get());
    s.state = active == 1 ? "up" : active == 0 ? "down" : "unknown";
    s.source = NicInfoSource::Libvirt;
    // Its kind (issue 15, point 5): <interface type='vlan|bond|...'>, a VLAN's parent; an
    // interface whose XML cannot be read keeps kind "" (unknown).
    if (CharPtr x{virInterfaceGetXMLDesc(i.get(), 0)}) {
      try {
        const auto h = xml::parse_host_interface(x.get(), "interface XML of " + s.name);
        if (h.type != "ethernet") s.kind = h.type;
        if (h.type == "vlan" && !h.members.empty()) s.parent = h.members.front();
      } catch (const std::exception&) {
      }
    }
    if (!s.name.empty()) out.push_back(std::move(s));
  }
  return out;
}

bool LibvirtHypervisor::supports_hotplug() const { return !impl_->test_driver; }

}  // namespace mvt
