#include "apply/backends.hpp"

#include "files/agent_source.hpp"
#include "files/dir_source.hpp"
#include "files/ssh_source.hpp"
#include "util/errors.hpp"

namespace mvt::apply {

std::unique_ptr<FileAccess> default_file_source(const FileSourceSpec& spec, Hypervisor* hv,
                                                const std::string& guest) {
  switch (spec.kind) {
    case FileSourceKind::None:
      return nullptr;
    case FileSourceKind::Local:
    case FileSourceKind::Dir:
      return open_dir_source(spec);
    case FileSourceKind::Agent:
      if (guest.empty()) throw AccessError("file source 'agent' is for guests only");
      if (!hv) throw AccessError("guest " + guest + ": agent source without a libvirt connection");
      return std::make_unique<AgentSource>(*hv, guest);
    case FileSourceKind::Ssh:
      return open_ssh_source(spec);
    default:
      throw AccessError("file source '" + spec.str() + "' is not supported by this build");
  }
}

OwnedBackends open_backends(const std::map<std::string, HostSources>& sources,
                            const HypervisorFactory& hypervisor, const FileSourceFactory& files) {
  OwnedBackends out;
  for (const auto& [host, src] : sources) {
    HostBackends hb;
    hb.sources = src;
    out.hypervisors.push_back(hypervisor(src.uri));
    hb.hypervisor = out.hypervisors.back().get();
    auto open = [&](const std::string& text, const std::string& guest) -> FileAccess* {
      auto spec = FileSourceSpec::parse(text);
      if (!spec) throw AccessError("host " + host + ": unreadable file source '" + text + "'");
      auto fa = files(*spec, hb.hypervisor, guest);
      if (!fa) return nullptr;
      out.files.push_back(std::move(fa));
      return out.files.back().get();
    };
    hb.host_files = open(src.host_files, "");
    for (const auto& [guest, text] : src.guest_files)
      if (FileAccess* fa = open(text, guest)) hb.guest_files[guest] = fa;
    out.view[host] = std::move(hb);
  }
  return out;
}

std::map<std::string, HostSources> sources_of(const Topology& t) {
  std::map<std::string, HostSources> out;
  for (const auto& [name, h] : t.hosts) {
    HostSources s;
    s.uri = h.uri;
    s.host_files = h.files.str();
    for (const auto& [g, guest] : h.guests) s.guest_files[g] = guest.guest_files.str();
    out[name] = std::move(s);
  }
  return out;
}

}  // namespace mvt::apply
