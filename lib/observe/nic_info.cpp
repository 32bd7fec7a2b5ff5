#include "observe/nic_info.hpp"

#include <fstream>
#include <sstream>

#include "util/errors.hpp"

namespace mvt {
namespace {

std::string first_line(const std::string& s) {
  std::string out = s.substr(0, s.find('\n'));
  while (!out.empty() && (out.back() == '\r' || out.back() == ' ')) out.pop_back();
  return out;
}

bool plain_name(const std::string& n) {
  return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos &&
         n.find('\0') == std::string::npos;
}

HostNicState make_state(const std::string& name, const std::optional<std::string>& addr,
                        const std::optional<std::string>& oper) {
  HostNicState s;
  s.name = name;
  s.source = NicInfoSource::Files;
  if (addr) s.mac = MacAddress::parse(first_line(*addr));
  const std::string st = oper ? first_line(*oper) : "";
  s.state = (st == "up" || st == "down") ? st : "unknown";
  return s;
}

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::map<std::string, HostNicState> nics_from_sysfs(const std::set<std::string>& names,
                                                    const std::string& sys_class_net) {
  std::map<std::string, HostNicState> out;
  for (const auto& name : names) {
    if (!plain_name(name)) continue;
    auto addr = slurp(sys_class_net + "/" + name + "/address");
    auto oper = slurp(sys_class_net + "/" + name + "/operstate");
    if (!addr && !oper) continue;
    out.emplace(name, make_state(name, addr, oper));
  }
  return out;
}

std::map<std::string, HostNicState> nics_from_files(FileAccess& fa,
                                                    const std::set<std::string>& names) {
  std::map<std::string, HostNicState> out;
  for (const auto& name : names) {
    if (!plain_name(name)) continue;
    const std::string dir = "sys/class/net/" + name + "/";
    std::optional<FileInfo> addr, oper;
    try {
      addr = fa.read(dir + "address");
      oper = fa.read(dir + "operstate");
    } catch (const AccessError&) {
      // Real sysfs reaches sys/class/net/<nic> through a symlink, which a confined source
      // refuses: the NIC is then unknown by files.
      continue;
    }
    if (!addr && !oper) continue;
    out.emplace(name, make_state(name, addr ? std::optional(addr->bytes) : std::nullopt,
                                 oper ? std::optional(oper->bytes) : std::nullopt));
  }
  return out;
}

std::map<std::string, HostNicState> observe_nics(Hypervisor& hv, FileAccess* fa, bool local,
                                                 const std::set<std::string>& names) {
  if (auto nics = hv.host_interfaces()) {
    std::map<std::string, HostNicState> out;
    for (auto& n : *nics) out.emplace(n.name, std::move(n));
    return out;
  }
  if (local) return nics_from_sysfs(names);
  if (fa) return nics_from_files(*fa, names);
  return {};
}

}  // namespace mvt
