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
// The realistic shape (Shape::realistic, issue 17 point 1) changes, still as pure functions of
// the guest index i and interface k:
//   NICs                         em1 `config: host` (the host's own address: the procedure's
//                                em1 case, a warning per guest interface on it), em2
//                                unconfigured; interface 1 on em1, interface 2 on em1 for
//                                even i, every other one on em2
//   modes, models                private / vepa / bridge by (i + k) % 3; e1000 on every 5th
//                                guest, virtio elsewhere
//   guest files                  ifcfg, and NetworkManager keyfiles on every 4th guest
//                                (i % 4 == 3, as RHEL 9 guests beside RHEL 8 ones)
//   pending changes              i % 10 == 0: interface 0's address in the spec differs
//                                from its file (a file update); i % 20 == 5: interface 0's
//                                mode differs from the domain (a define-interface)
// so that about 15 % of the guests have a change and the plan prints warnings.
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
  bool realistic = false;  // see the top
};

// "clean" / "realistic"
std::string mode_name(const Shape& s);

std::string guest_name(int i);             // "mvtbench-00042"
std::string host_name(int h);              // "bench-h00"
MacAddress guest_mac(int i, int k, const Shape& s);
std::string domain_uuid(int i);            // stable UUID of guest i's domain

// The guest's interfaces as the spec declares them (`extra` adds one more direct
// interface, ens{3+N}, without IP configuration: the config-only addition of the apply
// benchmark).
std::vector<GuestInterface> guest_interfaces(int i, const Shape& s, bool extra = false);
// The interfaces as the live state holds them (domain XML and guest files): the spec's,
// but for the pending changes of the realistic shape.
std::vector<GuestInterface> live_interfaces(int i, const Shape& s);
// Whether the realistic shape gives guest i a pending change (see the top).
bool pending_change(int i, const Shape& s);

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

// Writes dir/spec-<host>.yaml: host h alone, as in spec.yaml (same URIs, same files under
// dir, written by write_fixture first): the single-host baseline of a fleet.
std::filesystem::path write_host_spec(const std::filesystem::path& dir, const Shape& s,
                                      const std::vector<std::string>& uri_of_host, int h);

}  // namespace mvt::bench
