#pragma once
// Hypervisor: the one interface to libvirt. The real implementation (libvirt_hypervisor.hpp)
// uses the libvirt C API with RAII handles; errors become LibvirtError carrying libvirt's
// code and message. A missing domain is absence (nullopt), not an error.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/observed.hpp"

namespace mvt {

struct DomainSummary {
  std::string name;
  std::string uuid;
  bool running = false;
  std::string state;  // "running", "shut off", "paused", ...
};

// One domain as read_all_domains() returns it.
struct DomainXml {
  DomainSummary summary;
  std::optional<std::string> inactive_xml;  // nullopt: undefined meanwhile
  std::optional<std::string> live_xml;      // running domains only
};

class Hypervisor {
 public:
  virtual ~Hypervisor() = default;
  virtual std::string uri() const = 0;
  // Every domain, defined or transient, in one call.
  virtual std::vector<DomainSummary> list_domains() = 0;
  // Inactive (persistent) or live XML; nullopt when the domain does not exist.
  virtual std::optional<std::string> domain_xml(const std::string& name, bool inactive) = 0;
  // Every domain with its inactive XML and, when running, its live XML: observe's one pass.
  // `v.listed(n)` is called once with the number of domains listed, then `v.domain(k, x)`
  // once per domain that still exists, k its index in the listing (0..n-1). This default goes
  // through list_domains() and domain_xml() on the calling thread. LibvirtHypervisor
  // overrides it to use the listing's own handles (no lookup by name, no state call for
  // shut-off domains: about one round trip per domain) and to keep several calls in flight
  // on its one connection: `v.domain` is then called from several threads at once, each k
  // once. A failure is rethrown after every call in flight has returned (the one of the
  // lowest index when several failed).
  struct DomainVisitor {
    std::function<void(std::size_t count)> listed;
    std::function<void(std::size_t index, DomainXml&& x)> domain;
  };
  virtual void visit_all_domains(const DomainVisitor& v) {
    auto all = list_domains();
    v.listed(all.size());
    for (std::size_t k = 0; k < all.size(); ++k) {
      DomainXml d;
      d.inactive_xml = domain_xml(all[k].name, true);
      if (d.inactive_xml && all[k].running) d.live_xml = domain_xml(all[k].name, false);
      d.summary = std::move(all[k]);
      v.domain(k, std::move(d));
    }
  }
  virtual void define_xml(const std::string& xml) = 0;
  // Device operations with VIR_DOMAIN_AFFECT_LIVE and/or _CONFIG.
  virtual void attach_device(const std::string& domain, const std::string& xml, bool live,
                             bool config) = 0;
  virtual void detach_device(const std::string& domain, const std::string& xml, bool live,
                             bool config) = 0;
  virtual void update_device(const std::string& domain, const std::string& xml, bool live,
                             bool config) = 0;
  virtual void start(const std::string& domain) = 0;
  virtual void shutdown(const std::string& domain) = 0;  // ACPI/agent request, returns at once
  virtual void destroy(const std::string& domain) = 0;
  virtual void reboot(const std::string& domain) = 0;
  // QEMU guest agent command (JSON in, JSON out), bounded by timeout.
  virtual std::string agent_command(const std::string& domain, const std::string& json,
                                    std::chrono::seconds timeout) = 0;
  // Host NICs through libvirt's interface API; nullopt when the driver has none.
  virtual std::optional<std::vector<HostNicState>> host_interfaces() = 0;
  // False for the test:/// driver (no attach/detach/update-device).
  virtual bool supports_hotplug() const = 0;
};

}  // namespace mvt
