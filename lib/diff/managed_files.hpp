#pragma once
// The files the diff manages, compared by meaning and edited in place (DESIGN.md, Identity
// and comparison):
//  - a `config: unconfigured` host NIC's ifcfg: the procedure's set (NAME, DEVICE,
//    TYPE=Ethernet, ONBOOT=no, BOOTPROTO=none, DEFROUTE/PEERDNS/PEERROUTES=no,
//    IPV4_FAILURE_FATAL=no, the IPV6 keys off, a UUID, HWADDR when the spec gives the MAC)
//    and no IPv4 address;
//  - a guest interface's ifcfg-<dev>: the keys its spec declares (ipv4, defroute, peerdns,
//    dns); a new file gets the procedure's full set, HWADDR, a stable UUID v5 and a header;
//  - a guest interface's route-<dev> when it declares routes.
// The key sets and the meaning-based edit are ifcfg/interface_facts.hpp's; for an existing
// guest file only the keys the spec declares are managed (its create_only policy keys are
// left out, so an existing eth0 only gets DEFROUTE/PEERDNS, not a new IPv6 block).
// Meaning, not text: booleans (yes/true/1), BOOTPROTO none/no/static, PREFIX vs NETMASK,
// quoting. A key whose meaning is already right is never rewritten; an existing UUID is kept;
// comments, order and unknown keys stay (ifcfg::File edits lines in place).
// Each function returns nullopt when the file already says what the spec wants.
#include <optional>
#include <string>

#include "diff/change_set.hpp"
#include "ifcfg/interface_facts.hpp"
#include "model/observed.hpp"
#include "model/topology.hpp"
#include "util/diagnostics.hpp"

namespace mvt::diff {

// First line of every file macvtapctl creates (ifcfg/interface_facts.hpp).
inline constexpr const char* kManagedHeader = ifcfg::kManagedHeader;

// UUID v5 names: "host/nic" for a host NIC, "host/guest/device" for a guest interface.
std::string host_nic_uuid(const std::string& host, const std::string& nic);
std::string guest_interface_uuid(const std::string& host, const std::string& guest,
                                 const std::string& device);

std::optional<FileDiff> host_nic_file(const std::string& host, const HostNic& nic,
                                      const FileState* have);
std::optional<FileDiff> guest_ifcfg_file(const std::string& host, const std::string& guest,
                                         const GuestInterface& want, const MacAddress& mac,
                                         const FileState* have);
std::optional<FileDiff> guest_route_file(const std::string& host, const std::string& guest,
                                         const GuestInterface& want, const FileState* have);

// Issue 12: a file the diff would manage must be one bash reads as plain assignments, since
// network-scripts source it. `who` names it for messages ("host kvm1: guest web1: ifcfg-eth1"),
// `have` is the observed file, `d` what the diff made of it. Every statement that makes
// sourcing do more than assign values (ifcfg::Problem::refuse: `readonly`, `declare`,
// `export`, `unset`, `set`, `return`, `.`, a function, any other command, operators,
// unterminated quotes, ${X:=v}) is an error at its line: returns false, and the file must not
// be managed. A command substitution that stays in the file (a key the spec does not manage)
// is a warning at its line. A route file is checked only when ifup-routes sources it (a line
// starting with ADDRESSn=); its ip-route lines are read, not sourced.
bool check_sourced_file(const std::string& who, const FileState* have,
                        const std::optional<FileDiff>& d, bool route, Diagnostics& diags);

// Whether a guest interface declares anything its ifcfg file carries.
bool manages_ifcfg(const GuestInterface& i);

// Whether bytes start with kManagedHeader (files macvtapctl created, safe to remove).
bool is_managed_file(const std::string& bytes);

}  // namespace mvt::diff
