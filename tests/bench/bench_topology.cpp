#include "netconf/ifcfg/ifcfg_format.hpp"
#include "bench_topology.hpp"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

#include "netconf/ifcfg/interface_facts.hpp"
#include "netconf/keyfile/keyfile_format.hpp"
#include "netconf/keyfile/keyfile_profile.hpp"
#include "util/hash.hpp"

namespace mvt::bench {
namespace fs = std::filesystem;

namespace {

constexpr const char* kGeneratorVersion = "mvtbench-gen-1";

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + p.string());
}

std::string direct_dev(int k) { return k % 2 == 0 ? "em2" : "em1"; }

std::string realistic_dev(int i, int k) {
  if (k == 1 || (k == 2 && i % 2 == 0)) return "em1";
  return "em2";
}

MacvtapMode realistic_mode(int i, int k) {
  static const MacvtapMode m[] = {MacvtapMode::Private, MacvtapMode::Vepa, MacvtapMode::Bridge};
  return m[(i + k) % 3];
}

}  // namespace

std::string mode_name(const Shape& s) { return s.realistic ? "realistic" : "clean"; }

bool pending_change(int i, const Shape& s) {
  return s.realistic && (i % 10 == 0 || i % 20 == 5);
}

std::string guest_name(int i) { return fmt::format("mvtbench-{:05d}", i); }
std::string host_name(int h) { return fmt::format("bench-h{:02d}", h); }

MacAddress guest_mac(int i, int k, const Shape& s) {
  const auto v = static_cast<std::uint32_t>(i * (s.interfaces + 1) + k);  // +1: room for extra
  return MacAddress({0x52, 0x54, 0x01, static_cast<std::uint8_t>((v >> 16) & 0xff),
                     static_cast<std::uint8_t>((v >> 8) & 0xff),
                     static_cast<std::uint8_t>(v & 0xff)});
}

std::string domain_uuid(int i) { return uuid_v5(kUuidNamespace, "mvtbench/" + guest_name(i)); }

std::vector<GuestInterface> guest_interfaces(int i, const Shape& s, bool extra) {
  std::vector<GuestInterface> out;
  for (int k = 0; k < s.interfaces; ++k) {
    GuestInterface g;
    g.name = fmt::format("ens{}", 3 + k);
    g.kind = InterfaceKind::Direct;
    g.source_dev = s.realistic ? realistic_dev(i, k) : direct_dev(k);
    g.mode = s.realistic ? realistic_mode(i, k) : MacvtapMode::Private;
    g.mac = guest_mac(i, k, s);
    g.model = s.realistic && i % 5 == 0 ? "e1000" : "virtio";
    Ipv4Config ip = Ipv4Config::make_static(
        *Cidr::parse(fmt::format("10.{}.{}.{}/16", k, i / 250, i % 250 + 2)));
    if (k == 0) ip.gateway = Ipv4::parse(fmt::format("10.{}.255.254", k));
    g.ip.ipv4 = ip;
    g.ip.defroute = k == 0;
    g.ip.peerdns = false;
    if (k == 0) g.ip.dns = std::vector<IpAddress>{*Ipv4::parse("192.0.2.53")};
    out.push_back(std::move(g));
  }
  if (extra) {
    GuestInterface g;
    g.name = fmt::format("ens{}", 3 + s.interfaces);
    g.kind = InterfaceKind::Direct;
    g.source_dev = "em2";
    g.mode = MacvtapMode::Private;
    g.mac = guest_mac(i, s.interfaces, s);
    g.model = "virtio";
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<GuestInterface> live_interfaces(int i, const Shape& s) {
  auto out = guest_interfaces(i, s);
  if (!s.realistic || out.empty()) return out;
  if (i % 10 == 0)  // the file still has the old address
    out[0].ip.ipv4 = Ipv4Config::make_static(
        *Cidr::parse(fmt::format("10.0.{}.{}/16", i / 250, i % 250 + 2 + 1)),
        out[0].ip.ipv4->gateway);
  if (i % 20 == 5)  // the domain still has the old mode
    out[0].mode = out[0].mode == MacvtapMode::Private ? MacvtapMode::Vepa : MacvtapMode::Private;
  return out;
}

std::string stamp(int i, const Shape& s) {
  return fmt::format("{} guest {} interfaces {}{}", kGeneratorVersion, i, s.interfaces,
                     s.realistic ? " realistic" : "");
}

namespace {

std::string interfaces_xml(int i, const Shape& s, const char* indent) {
  std::string out;
  for (const auto& g : live_interfaces(i, s)) {
    out += fmt::format(
        "{0}<interface type='direct'>\n{0}  <mac address='{1}'/>\n"
        "{0}  <source dev='{2}' mode='{3}'/>\n{0}  <model type='{4}'/>\n"
        "{0}</interface>\n",
        indent, g.mac->str(), g.source_dev, to_string(g.mode), g.model.value_or("virtio"));
  }
  return out;
}

}  // namespace

std::string qemu_domain_xml(int i, const Shape& s) {
  return fmt::format(
      "<domain type='qemu'>\n"
      "  <name>{}</name>\n"
      "  <uuid>{}</uuid>\n"
      "  <description>{}</description>\n"
      "  <memory unit='KiB'>65536</memory>\n"
      "  <vcpu>1</vcpu>\n"
      "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
      "  <devices>\n{}"
      "  </devices>\n"
      "</domain>\n",
      guest_name(i), domain_uuid(i), stamp(i, s), interfaces_xml(i, s, "    "));
}

std::string test_node_xml(int h, const Shape& s) {
  std::string out = "<node>\n";
  for (int i = h; i < s.guests; i += s.hosts) {
    out += fmt::format(
        "  <domain type='test'>\n    <name>{}</name>\n    <uuid>{}</uuid>\n"
        "    <memory unit='KiB'>65536</memory>\n    <vcpu>1</vcpu>\n"
        "    <os><type>hvm</type></os>\n    <devices>\n{}    </devices>\n  </domain>\n",
        guest_name(i), domain_uuid(i), interfaces_xml(i, s, "      "));
  }
  for (const char* nic : {"em1", "em2"})
    out += fmt::format(
        "  <interface type='ethernet' name='{}'>\n    <start mode='onboot'/>\n"
        "    <mac address='{}'/>\n  </interface>\n",
        nic, std::string(nic) == "em1" ? "02:00:00:00:0e:01" : "02:00:00:00:0e:02");
  out += "</node>\n";
  return out;
}

namespace {

std::string yaml_interface(const GuestInterface& g) {
  std::string out = fmt::format("          - name: {}\n            direct: {{dev: {}, mode: {}}}\n"
                                "            mac: \"{}\"\n            model: {}\n",
                                g.name, g.source_dev, to_string(g.mode), g.mac->str(),
                                g.model.value_or("virtio"));
  if (g.ip.ipv4) {
    out += fmt::format("            ipv4: {{address: {}", g.ip.ipv4->address()->str());
    if (g.ip.ipv4->gateway) out += fmt::format(", gateway: {}", g.ip.ipv4->gateway->str());
    out += "}\n";
  }
  if (g.ip.defroute) out += fmt::format("            defroute: {}\n", *g.ip.defroute ? "true" : "false");
  if (g.ip.peerdns) out += fmt::format("            peerdns: {}\n", *g.ip.peerdns ? "true" : "false");
  if (g.ip.dns && !g.ip.dns->empty()) out += fmt::format("            dns: [{}]\n", g.ip.dns->front().str());
  return out;
}

// Every host, or host `only` alone.
std::string spec_yaml(const Shape& s, const std::vector<std::string>& uri_of_host,
                      int add_guests, int only = -1) {
  std::string out =
      "# Generated by macvtapctl_bench (tests/bench): do not edit.\nversion: 1\nhosts:\n";
  for (int h = 0; h < s.hosts; ++h) {
    if (only >= 0 && h != only) continue;
    out += fmt::format(
        "  {}:\n    uri: \"{}\"\n    files: dir:host\n    nics:\n"
        "      em1: {{config: {}}}\n      em2: {{config: unconfigured}}\n"
        "    guests:\n",
        host_name(h), uri_of_host.at(static_cast<std::size_t>(h)),
        s.realistic ? "host" : "unconfigured");
    for (int i = h; i < s.guests; i += s.hosts) {
      out += fmt::format("      {}:\n        guest_files: dir:guests/{}\n        activate: none\n"
                         "        interfaces:\n",
                         guest_name(i), guest_name(i));
      for (const auto& g : guest_interfaces(i, s, i < add_guests)) out += yaml_interface(g);
    }
  }
  return out;
}

}  // namespace

fs::path write_host_spec(const fs::path& dir, const Shape& s,
                         const std::vector<std::string>& uri_of_host, int h) {
  const fs::path p = dir / ("spec-" + host_name(h) + ".yaml");
  write_text(p, spec_yaml(s, uri_of_host, 0, h));
  return p;
}

GeneratedFiles write_fixture(const fs::path& dir, const Shape& s,
                             const std::vector<std::string>& uri_of_host, int add_guests) {
  GeneratedFiles r;
  fs::create_directories(dir);
  r.spec = dir / "spec.yaml";
  r.spec_add = dir / "spec-add.yaml";
  write_text(r.spec, spec_yaml(s, uri_of_host, 0));
  write_text(r.spec_add, spec_yaml(s, uri_of_host, add_guests));
  r.files_written += 2;

  const std::string want = fmt::format("{} {} {} {} {}\n", kGeneratorVersion, s.hosts, s.guests,
                                       s.interfaces, mode_name(s));
  const fs::path mark = dir / ".generated";
  if (fs::exists(mark)) {
    std::ifstream in(mark);
    std::string have((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (have == want) return r;
  }
  fs::remove(mark);

  const fs::path host_scripts = dir / "host" / ifcfg::kDir;
  fs::create_directories(host_scripts);
  for (const char* nic : {"em1", "em2"}) {
    const auto keys = ifcfg::unconfigured_nic_keys(
        nic, std::nullopt, uuid_v5(kUuidNamespace, host_name(0) + "/" + nic));
    write_text(host_scripts / (std::string("ifcfg-") + nic), ifcfg::render_new_file(keys));
    ++r.files_written;
  }
  fs::remove_all(dir / "guests");
  for (int i = 0; i < s.guests; ++i) {
    const std::string host = host_name(i % s.hosts);
    if (s.realistic && i % 4 == 3) {  // a RHEL 9 guest: NetworkManager keyfiles
      const fs::path conns = dir / "guests" / guest_name(i) / keyfile::kDir;
      fs::create_directories(conns);
      for (const auto& g : live_interfaces(i, s)) {
        Diagnostics d;
        const auto e = keyfile::format().guest_edits({host, guest_name(i), g.name, *g.mac, true, &g.ip},
                                                     nullptr, {}, "", d);
        if (e.size() != 1) throw std::runtime_error("no keyfile for " + guest_name(i));
        write_text(conns / e[0].name, e[0].after);
        fs::permissions(conns / e[0].name, fs::perms(0600));
        ++r.files_written;
      }
      continue;
    }
    const fs::path scripts = dir / "guests" / guest_name(i) / ifcfg::kDir;
    fs::create_directories(scripts);
    for (const auto& g : live_interfaces(i, s)) {
      const auto uuid = uuid_v5(kUuidNamespace, host + "/" + guest_name(i) + "/" + g.name);
      const auto facts = ifcfg::facts_of(g, *g.mac, uuid);
      write_text(scripts / ("ifcfg-" + g.name),
                 ifcfg::render_new_file(ifcfg::interface_keys(facts)));
      ++r.files_written;
    }
  }
  write_text(mark, want);
  return r;
}

}  // namespace mvt::bench
