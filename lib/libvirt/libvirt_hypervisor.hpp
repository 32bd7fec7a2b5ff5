#pragma once
// LibvirtHypervisor: Hypervisor over the libvirt C API (libvirt + libvirt-qemu).
//
// - One connection per object (one per host URI); works alike with test:///ABS/node.xml,
//   qemu:///system and remote URIs (qemu+ssh://...).
// - A quiet error handler is installed process-wide and per connection: libvirt never
//   prints. Every failure becomes LibvirtError carrying virErrorNumber/virErrorDomain and a
//   message "<what failed>: <libvirt's message>", e.g.
//   "cannot connect to qemu:///system: Failed to connect socket ...".
// - A missing domain (VIR_ERR_NO_DOMAIN) is absence: domain_xml() returns nullopt; the
//   mutating calls throw LibvirtError with that code.
// - read_only connections (plan, show, drift) use virConnectOpenReadOnly; mutating calls on
//   them fail in libvirt with VIR_ERR_OPERATION_DENIED.
// - The test:/// driver cannot hot-plug (supports_hotplug() is false); define there instead.
// One thread per object, but for visit_all_domains(), which calls libvirt from several
// threads of its own over the one connection (libvirt's client is thread-safe).
#include <memory>
#include <string>

#include "libvirt/hypervisor.hpp"

namespace mvt {

class LibvirtHypervisor : public Hypervisor {
 public:
  // Opens the connection; throws LibvirtError("cannot connect to URI: ...").
  static std::unique_ptr<Hypervisor> connect(const std::string& uri, bool read_only);
  ~LibvirtHypervisor() override;

  std::string uri() const override { return uri_; }
  std::vector<DomainSummary> list_domains() override;
  std::optional<std::string> domain_xml(const std::string& name, bool inactive) override;
  void visit_all_domains(const DomainVisitor& v) override;
  void define_xml(const std::string& xml) override;
  void attach_device(const std::string& domain, const std::string& xml, bool live,
                     bool config) override;
  void detach_device(const std::string& domain, const std::string& xml, bool live,
                     bool config) override;
  void update_device(const std::string& domain, const std::string& xml, bool live,
                     bool config) override;
  void start(const std::string& domain) override;
  void shutdown(const std::string& domain) override;
  void destroy(const std::string& domain) override;
  void reboot(const std::string& domain) override;
  std::string agent_command(const std::string& domain, const std::string& json,
                            std::chrono::seconds timeout) override;
  std::optional<std::vector<HostNicState>> host_interfaces() override;
  bool supports_hotplug() const override;

  struct Impl;

 private:
  explicit LibvirtHypervisor(std::unique_ptr<Impl> impl, std::string uri);
  std::unique_ptr<Impl> impl_;
  std::string uri_;
};

// "running", "shut off", ... as virsh spells a virDomainState value.
std::string domain_state_name(int state);

}  // namespace mvt
