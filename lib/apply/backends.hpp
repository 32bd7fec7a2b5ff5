#pragma once
// The side effects an apply goes through, per host: one Hypervisor and the FileAccess
// sources of the host and of its guests. The executor and rollback touch the world only
// through these (so tests run them against dir: temp roots and libvirt's test:/// driver).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apply/journal.hpp"
#include "files/file_access.hpp"
#include "libvirt/hypervisor.hpp"
#include "model/topology.hpp"

namespace mvt::apply {

// Non-owning view used by the executor.
struct HostBackends {
  Hypervisor* hypervisor = nullptr;
  FileAccess* host_files = nullptr;                // nullptr: files: none
  std::map<std::string, FileAccess*> guest_files;  // guest -> source; missing: none
  HostSources sources;                             // how to reopen them (journaled)
};
using Backends = std::map<std::string, HostBackends>;  // by host name

// Opens a libvirt connection for a URI (read-write). May return nullptr (no connection: the
// host's domain steps then fail with a clear error, its file steps still run).
using HypervisorFactory = std::function<std::unique_ptr<Hypervisor>(const std::string& uri)>;
// Opens a file source; `guest` is empty for the host's own files; `hv` (may be null) is the
// host's connection, for agent sources. Returning nullptr means
// "none". The default (default_file_source) handles local, dir:, agent (AgentSource through
// the host's hypervisor: out-of-band, so it keeps working when the guest's network breaks),
// ssh:// (SshSource) and none.
using FileSourceFactory = std::function<std::unique_ptr<FileAccess>(
    const FileSourceSpec& spec, Hypervisor* hv, const std::string& guest)>;

std::unique_ptr<FileAccess> default_file_source(const FileSourceSpec& spec, Hypervisor* hv,
                                                const std::string& guest);

// Owns what open_backends() opened; `view` points into it.
struct OwnedBackends {
  Backends view;
  std::vector<std::unique_ptr<Hypervisor>> hypervisors;
  std::vector<std::unique_ptr<FileAccess>> files;
};

// Opens every host's hypervisor and file sources described by `sources` (from a topology or
// a journal). Throws what the factories throw (LibvirtError, AccessError).
OwnedBackends open_backends(const std::map<std::string, HostSources>& sources,
                            const HypervisorFactory& hypervisor,
                            const FileSourceFactory& files = default_file_source);

// The sources a topology declares (host files, guest files, URI), per host.
std::map<std::string, HostSources> sources_of(const Topology& t);

}  // namespace mvt::apply
