#pragma once
// observe(): reads the live state of every host of a topology, read-only.
//
// Per host, in ONE pass: one libvirt connection (read-only by default), list all domains,
// the inactive XML of each and the live XML of each running one (each XML parsed once into
// DomainState), the host NICs (nic_info.hpp), the host's network-scripts files (ifcfg-*,
// route-* under etc/sysconfig/network-scripts through the host's FileAccess) and each
// guest's files (its guest_files source). Nothing is written, no command runs in a guest.
//
// Errors: an unreachable host is recorded (HostObservation::reachable = false, ::error
// "cannot connect to URI: ...") and the other hosts are still read; a file source that
// cannot be opened or read is recorded (files_read = false, files_error). A malformed domain
// XML throws xml::XmlError naming the domain: the observation could not be trusted.
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "files/file_access.hpp"
#include "libvirt/hypervisor.hpp"
#include "model/observed.hpp"
#include "model/topology.hpp"

namespace mvt {

// Opens the file source of a host (guest == "") or of one guest. May return nullptr: the
// source kind is not available here (files_read = false, with the reason recorded).
using FileAccessFactory = std::function<std::unique_ptr<FileAccess>(
    const std::string& host, const std::string& guest, const FileSourceSpec& spec)>;

// Opens the libvirt connection of a host; throws LibvirtError when it cannot.
using HypervisorFactory =
    std::function<std::unique_ptr<Hypervisor>(const std::string& uri, bool read_only)>;

struct ObserveOptions {
  // Read-only file sources and libvirt connections; a host whose guests are read through the
  // agent gets a read-write connection (libvirt refuses agent commands on read-only ones).
  bool read_only = true;
  FileAccessFactory files;         // empty -> default_file_access_factory(read_only)
  HypervisorFactory hypervisor;    // empty -> LibvirtHypervisor::connect
  std::vector<std::string> hosts;  // limit to these hosts; empty = every host
  // Guests whose file sources are read at once within a host (parallel_observe.hpp's
  // parallel_for). 1 (the default) reads them one by one on the calling thread; above 1 the
  // `files` factory and the sources it returns are used from several threads.
  int file_parallel = 1;
  // false: a domain's XML texts are dropped once parsed and hashed (DomainState keeps the
  // interfaces and the SHA-256 of each XML; inactive_xml and *live_xml become empty). For
  // plan and drift, which need the texts only for the plan's fingerprints: at 10,000 guests
  // the texts are ~30 MB of the peak.
  bool keep_domain_xml = true;
};

// The default factory: DirSource for local and dir:PATH, SshSource for ssh://; nullptr for
// agent (it needs the host's connection: without opts.files, observe_host opens
// open_agent_source(hv, guest, read_only) itself) and none.
FileAccessFactory default_file_access_factory(bool read_only);

Observation observe(const Topology& desired, const ObserveOptions& opts = {});

// One host over an already open connection (used by observe() and by the executor's
// verification). `host` supplies the name, the file sources and which guests' files to read.
HostObservation observe_host(const Host& host, Hypervisor& hv, const ObserveOptions& opts);

// Reads every file of the network-config format's directory that it reads, through `fa`.
NetworkScripts read_network_scripts(FileAccess& fa);

// For a source that cannot list (FileAccess::can_list() false: the agent source, which would
// need guest-exec): reads ifcfg-DEV and route-DEV for each device name given; a name that is
// not a plausible interface name (empty, over 15 bytes, '/', whitespace, control bytes, "."
// or "..": a guest reports its interface names itself) is skipped. Absent files are left out.
NetworkScripts read_named_scripts(FileAccess& fa, const std::set<std::string>& devices);

// The device names worth reading for guest `guest` when its source cannot list: the spec's
// interface names, eth<index> and ens<PCI slot> of each interface in the domain XML (how
// `show` matches files to interfaces), and the names the guest's agent reports
// (guest-network-get-interfaces, when `fa` is an agent source), without "lo".
std::set<std::string> guest_device_names(const Guest& guest, const DomainState* domain,
                                         FileAccess& fa);

}  // namespace mvt
