#pragma once
// Host NICs: name, MAC, state and kind, through libvirt's interface API where the driver offers
// it (NicInfoSource::Libvirt), else from sysfs-style files: the machine's own /sys/class/net
// when the host is this machine (files: local and a local URI), else sys/class/net/<nic>/
// address and operstate under the host's file source (NicInfoSource::Files). Read-only: no
// command runs anywhere. A NIC found neither way is absent from the result; whether that
// absence means "does not exist" is NicReading::complete.
#include <map>
#include <optional>
#include <set>
#include <string>

#include "files/file_access.hpp"
#include "libvirt/hypervisor.hpp"
#include "model/observed.hpp"

namespace mvt {

// From sysfs-style files under fa's root; only the names given (NIC names with '/' or ".."
// are skipped). operstate "up"/"down" is kept, anything else becomes "unknown"; the kind is
// uevent's DEVTYPE (vlan, bond, team, ...; none: ""); sysfs gives a VLAN's parent as its
// lower_<dev> link (the machine's sysfs only: a file source cannot list). Throws
// AccessError when the source refuses a path (real sysfs reaches sys/class/net/<nic>
// through a symlink, which a confined FileAccess rightly refuses).
std::map<std::string, HostNicState> nics_from_files(FileAccess& fa,
                                                    const std::set<std::string>& names);

// The local machine's sysfs (default /sys/class/net), read directly: real sysfs reaches
// <nic> through symlinks, which a confined FileAccess rightly refuses. Only the names given.
std::map<std::string, HostNicState> nics_from_sysfs(const std::set<std::string>& names,
                                                    const std::string& sys_class_net =
                                                        "/sys/class/net");

// Every NIC of the local machine's sysfs (each entry of sys_class_net); nullopt when the
// directory cannot be listed.
std::optional<std::map<std::string, HostNicState>> all_nics_from_sysfs(
    const std::string& sys_class_net = "/sys/class/net");

// Whether a libvirt URI names a daemon on this machine (no host part, no transport but
// unix, not the test driver): only then are this machine's NICs the host's NICs.
bool uri_is_this_machine(const std::string& uri);

struct NicReading {
  std::map<std::string, HostNicState> nics;
  NicInfoSource source = NicInfoSource::None;
  // A name asked about and absent from `nics` does not exist on the host: true for
  // libvirt's list and the machine's sysfs (every NIC), and for a file source's
  // sys/class/net when it holds at least one of the names asked (a mirror of the host's).
  bool complete = false;
  std::string why_not;  // source None: why the NICs could not be read
};

// In order: libvirt's interface API (when it lists at least one interface: the test
// driver lists none without <interface> elements in its node file); for a host whose files
// are `local` and whose URI is this machine's (uri_is_this_machine(hv.uri())), this
// machine's sysfs; for any other file source `fa` (nullptr: none), its sys/class/net for the
// names given. `local` files with a remote or test URI are not read: this machine's NICs
// are not that host's. Never throws for an unreadable source: why_not says what was tried.
NicReading read_host_nics(Hypervisor& hv, FileAccess* fa, FileSourceKind files,
                          const std::set<std::string>& names);

// read_host_nics(...).nics.
std::map<std::string, HostNicState> observe_nics(Hypervisor& hv, FileAccess* fa,
                                                 FileSourceKind files,
                                                 const std::set<std::string>& names);

}  // namespace mvt
