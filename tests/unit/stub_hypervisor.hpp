#pragma once
// StubHypervisor: a Hypervisor on which every operation does nothing (no domains, no XML, no
// agent, no host interfaces). The base of the unit tests' fakes, each of which overrides only
// what it observes or breaks. A fake, not libvirt: the fakes exist where a test needs the
// hypervisor to misbehave in a way the test:/// driver cannot (corrupt XML, an agent that
// answers late, a guest that boots); every other test uses the real driver.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "libvirt/hypervisor.hpp"
#include "util/errors.hpp"

namespace mvt::test {

class StubHypervisor : public Hypervisor {
 public:
  std::string uri() const override { return "qemu:///system"; }
  std::vector<DomainSummary> list_domains() override { return {}; }
  std::optional<std::string> domain_xml(const std::string&, bool) override { return std::nullopt; }
  void define_xml(const std::string&) override {}
  void attach_device(const std::string&, const std::string&, bool, bool) override {}
  void detach_device(const std::string&, const std::string&, bool, bool) override {}
  void update_device(const std::string&, const std::string&, bool, bool) override {}
  void start(const std::string&) override {}
  void shutdown(const std::string&) override {}
  void destroy(const std::string&) override {}
  void reboot(const std::string&) override {}
  std::string agent_command(const std::string&, const std::string&,
                            std::chrono::seconds) override {
    throw LibvirtError("argument unsupported: QEMU guest agent is not configured", 0);
  }
  std::optional<std::vector<HostNicState>> host_interfaces() override { return std::nullopt; }
  bool supports_hotplug() const override { return true; }
};

}  // namespace mvt::test
