#pragma once
// Host NICs: name, MAC and state, through libvirt's interface API where the driver offers
// it (NicInfoSource::Libvirt), else from the host's files source: sys/class/net/<nic>/address
// and operstate under the host root (NicInfoSource::Files). A NIC found neither way is
// absent from the result.
#include <map>
#include <set>
#include <string>

#include "files/file_access.hpp"
#include "libvirt/hypervisor.hpp"
#include "model/observed.hpp"

namespace mvt {

// From sysfs-style files under fa's root; only the names given (NIC names with '/' or ".."
// are skipped). operstate "up"/"down" is kept, anything else becomes "unknown".
std::map<std::string, HostNicState> nics_from_files(FileAccess& fa,
                                                    const std::set<std::string>& names);

// The local machine's sysfs (default /sys/class/net), read directly: real sysfs reaches
// <nic> through symlinks, which a confined FileAccess rightly refuses. Used for `local`.
std::map<std::string, HostNicState> nics_from_sysfs(const std::set<std::string>& names,
                                                    const std::string& sys_class_net =
                                                        "/sys/class/net");

// libvirt first; when the driver has no interface API, files (when fa is given) for the
// names given; `local` reads the machine's sysfs directly.
std::map<std::string, HostNicState> observe_nics(Hypervisor& hv, FileAccess* fa, bool local,
                                                 const std::set<std::string>& names);

}  // namespace mvt
