#pragma once
// Hand-built desired/observed values for diff, plan and render tests: the procedure's host
// kvm1 (em1 host, em2 unconfigured) and guest web1, observed in any state a test needs.
#include <string>
#include <utility>

#include "netconf/ifcfg/ifcfg_format.hpp"
#include "diff/diff.hpp"
#include "model/observed.hpp"
#include "model/topology.hpp"
#include "xml/domain_xml.hpp"
#include "xml/domain_xml_edit.hpp"

namespace mvt::test {

inline MacAddress mac(const char* s) { return *MacAddress::parse(s); }

inline GuestInterface direct_if(const std::string& name, const std::string& dev, MacvtapMode mode,
                                std::optional<std::string> m = std::nullopt,
                                std::optional<std::string> model = std::nullopt) {
  GuestInterface i;
  i.name = name;
  i.kind = InterfaceKind::Direct;
  i.source_dev = dev;
  i.mode = mode;
  if (m) i.mac = MacAddress::parse(*m);
  i.model = std::move(model);
  return i;
}

inline GuestInterface network_if(const std::string& name, const std::string& network) {
  GuestInterface i;
  i.name = name;
  i.kind = InterfaceKind::Network;
  i.network = network;
  return i;
}

inline Ipv4Config static_ip(const char* cidr, const char* gw = nullptr) {
  return Ipv4Config::make_static(*Cidr::parse(cidr), gw ? Ipv4::parse(gw) : std::nullopt);
}

inline Ipv4Config dhcp() {
  return Ipv4Config::make_dhcp();
}

// An observed element as libvirt would report it (volatile fields optional).
inline DomainInterface observed_direct(const char* m, const std::string& dev, const std::string& mode,
                                       std::optional<std::string> model = std::nullopt,
                                       int index = 0) {
  auto mm = *parse_macvtap_mode(mode);
  auto d = xml::parse_interface_element(
      xml::direct_interface_xml(mac(m), dev, mm, model), "test interface");
  d.index = index;
  return d;
}

inline DomainInterface observed_network(const char* m, const std::string& net, int index = 0) {
  auto d = xml::parse_interface_element(
      xml::network_interface_xml(net, mac(m), std::string("virtio")), "test interface");
  d.index = index;
  return d;
}

// The procedure's desired topology (as specs/seed.yaml): kvm1, web1 with eth0, ens9, ens8.
inline Topology seed_topology() {
  Topology t;
  Host h;
  h.name = "kvm1";
  h.uri = "qemu:///system";
  h.files = FileSourceSpec{FileSourceKind::Local, ""};
  h.nics["em1"].name = "em1";
  h.nics["em1"].mac = mac("18:66:da:9f:96:d6");
  h.nics["em2"].name = "em2";
  h.nics["em2"].mac = mac("18:66:da:9f:96:d7");
  h.nics["em2"].config = NicConfig::Unconfigured;
  Guest g;
  g.name = "web1";
  g.guest_files = FileSourceSpec{FileSourceKind::Agent, ""};
  g.activate = Activate::Reboot;
  auto eth0 = network_if("eth0", "default");
  eth0.ip.ipv4 = dhcp();
  eth0.ip.defroute = false;
  eth0.ip.peerdns = false;
  auto ens9 = direct_if("ens9", "em2", MacvtapMode::Private, "52:54:00:5d:9c:33", "rtl8139");
  ens9.ip.ipv4 = static_ip("104.50.201.84/29", "104.50.201.86");
  ens9.ip.defroute = true;
  ens9.ip.peerdns = false;
  ens9.ip.dns = std::vector<IpAddress>{*Ipv4::parse("8.8.8.8")};
  auto ens8 = direct_if("ens8", "em1", MacvtapMode::Private);
  ens8.ip.ipv4 = static_ip("192.168.1.15/24", "192.168.1.1");
  ens8.ip.defroute = false;
  ens8.ip.peerdns = false;
  ens8.ip.dns = std::vector<IpAddress>{*Ipv4::parse("8.8.8.8")};
  g.interfaces = {eth0, ens9, ens8};
  h.guests["web1"] = g;
  t.hosts["kvm1"] = h;
  return t;
}

inline FileState file(const std::string& name, const std::string& bytes) {
  FileState f;
  f.path = std::string(ifcfg::kDir) + "/" + name;
  f.bytes = bytes;
  f.origin = "test:" + name;
  return f;
}

inline const char* kEm2Before =
    "TYPE=Ethernet\nBOOTPROTO=dhcp\nDEFROUTE=yes\nNAME=em2\n"
    "UUID=85e14c6b-f9d3-49a0-b566-f122d47001c6\nDEVICE=em2\nONBOOT=yes\n";
inline const char* kEth0Before =
    "TYPE=Ethernet\nBOOTPROTO=dhcp\nDEFROUTE=yes\nPEERDNS=yes\nNAME=eth0\nDEVICE=eth0\n"
    "ONBOOT=yes\n";

// The procedure's BEFORE state: web1 (running or not) with only eth0; em2 with DHCP; the
// host's NICs em1 and em2 (read through libvirt's interface API).
inline Observation seed_before(bool running = true) {
  Observation o;
  HostObservation h;
  h.host = "kvm1";
  h.uri = "qemu:///system";
  h.reachable = true;
  h.files_read = true;
  h.files["ifcfg-em2"] = file("ifcfg-em2", kEm2Before);
  // The host's NICs as the procedure's `ip link` shows them, listed by libvirt.
  for (const auto& [n, m] : {std::pair{"em1", "18:66:da:9f:96:d6"}, {"em2", "18:66:da:9f:96:d7"}})
    {
      HostNicState& s = h.nics[n];
      s.name = n;
      s.mac = MacAddress::parse(m);
      s.state = "up";
      s.source = NicInfoSource::Libvirt;
    }
  h.nics_source = NicInfoSource::Libvirt;
  h.nics_complete = true;
  DomainState d;
  d.name = "web1";
  d.running = running;
  d.state = running ? "running" : "shut off";
  d.inactive_xml = "<domain><name>web1</name></domain>";
  d.config = {observed_network("52:54:00:b4:87:0f", "default", 0)};
  if (running) {
    d.live_xml = "<domain id='1'><name>web1</name></domain>";
    d.live = d.config;
  }
  h.domains["web1"] = d;
  GuestObservation g;
  g.guest = "web1";
  g.files_read = true;
  g.files["ifcfg-eth0"] = file("ifcfg-eth0", kEth0Before);
  h.guests["web1"] = g;
  o.hosts["kvm1"] = h;
  return o;
}

// Whether a guest interface's element is in a domain state's config (and live) list.
inline void add_interface(DomainState& d, const DomainInterface& i, bool live = true) {
  d.config.push_back(i);
  if (live && d.live) d.live->push_back(i);
}

// One file's edit as the format computes it (what the diff would write), for tests that
// build "already right" files: the host NIC's ifcfg, a guest interface's main config file.
inline std::optional<netconf::FileEdit> host_nic_file(const std::string& host, const HostNic& nic,
                                                      const FileState* have) {
  NetworkScripts files;
  const std::string name = ifcfg::format().file_names(nic.name).front();
  if (have && have->bytes) files[name] = *have;
  Diagnostics d;
  netconf::HostNicWant want;
  want.host = host;
  want.nic = nic.name;
  want.mac = nic.mac;
  auto e = ifcfg::format().host_nic_edits(want, nullptr, files, "host " + host, d);
  if (e.empty()) return std::nullopt;
  return e.front();
}

inline std::optional<netconf::FileEdit> guest_ifcfg_file(const std::string& host, const std::string& guest,
                                                         const GuestInterface& w, const MacAddress& m,
                                                         const FileState* have) {
  NetworkScripts files;
  const std::string name = ifcfg::format().file_names(w.name).front();
  if (have && have->bytes) files[name] = *have;
  Diagnostics d;
  const auto devs = ifcfg::format().read(files, "", d);
  InterfaceConfig settings = w.ip;
  settings.routes.reset();
  const netconf::GuestWant want{host, guest, w.name, m, false, &settings};
  for (auto& e : ifcfg::format().guest_edits(want, netconf::by_device(devs, w.name), files, "", d))
    if (e.role == netconf::FileRole::GuestConfig) return e;
  return std::nullopt;
}

}  // namespace mvt::test
