#pragma once
// The benchmark's generator: topologies of H hosts x G guests x N direct interfaces and the
// live state that matches them, so that `macvtapctl plan` finds nothing (or little) to do.
//
// Everything is a pure function of (H, G, N) and the guest index, so two runs generate
// byte-identical files and domain XML (which is what lets the libvirtd fixture reuse domains
// that are already defined identically).
//
//   guest i (0-based, global)    name  mvtbench-NNNNN (i, five digits), host i % H
//   interface k of guest i       ens{3+k}, direct on em2 (k even) / em1 (k odd), mode private,
//                                MAC 52:54:01 + 24-bit (i*N + k), model virtio,
//                                10.k.(i/250).(i%250+2)/16, gateway 10.k.255.254 on k == 0
//                                (defroute: true, dns 192.0.2.53), no gateway elsewhere
//   host files                   ifcfg-em1 / ifcfg-em2 for `config: unconfigured` NICs
//   guest files                  one ifcfg-ens{3+k} per interface, from the project's own
//                                ifcfg writer (so the plan's comparison finds them equal)
//
// The addresses never carry packets: guests are defined, never started.
#include <filesystem>
#include <string>
#include <vector>

#include "model/topology.hpp"

namespace mvt::bench {

struct Shape {
  int hosts = 1;
  int guests = 1000;
  int interfaces = 3;
};

std::string guest_name(int i);             // "mvtbench-00042"
std::string host_name(int h);              // "bench-h00"
MacAddress guest_mac(int i, int k, const Shape& s);
std::string domain_uuid(int i);            // stable UUID of guest i's domain

// The guest's interfaces as the spec declares them (`extra` adds one more direct
// interface, ens{3+N}, without IP configuration: the config-only addition of the apply
// benchmark).
std::vector<GuestInterface> guest_interfaces(int i, const Shape& s, bool extra = false);

// A qemu domain (type='qemu', no disks, one <interface type='direct'> per interface) with a
// <description> stamp naming the generator version and shape, so reuse can be checked.
std::string qemu_domain_xml(int i, const Shape& s);
std::string stamp(int i, const Shape& s);  // what the <description> holds

// A libvirt test-driver node file holding host h's guests (same interfaces, type='test').
std::string test_node_xml(int h, const Shape& s);

// Writes, under `dir`:
//   spec.yaml         every host (uri_of(h)), NICs em1/em2 unconfigured, every guest
//   spec-add.yaml     the same, and guests with index < add_guests get one extra interface
//   host/             host files (ifcfg-em1, ifcfg-em2), shared by every host
//   guests/NAME/      each guest's ifcfg files
// Returns the number of files written. Skips the guest roots when `dir/.generated` already
// names this shape (they are large; the spec files are always rewritten).
struct GeneratedFiles {
  std::filesystem::path spec;
  std::filesystem::path spec_add;
  std::size_t files_written = 0;
};
GeneratedFiles write_fixture(const std::filesystem::path& dir, const Shape& s,
                             const std::vector<std::string>& uri_of_host, int add_guests);

}  // namespace mvt::bench
