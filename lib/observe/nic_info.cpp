#include "observe/nic_info.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "spec/libvirt_uri.hpp"
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

// The kernel's device type from a sysfs uevent file: DEVTYPE=vlan | bond | team | bridge |
// wlan ... ("" when it has none: a plain NIC, a veth).
std::string devtype(const std::optional<std::string>& uevent) {
  if (!uevent) return "";
  std::size_t i = 0;
  while (i < uevent->size()) {
    std::size_t j = uevent->find('\n', i);
    if (j == std::string::npos) j = uevent->size();
    const std::string_view l(uevent->data() + i, j - i);
    if (l.rfind("DEVTYPE=", 0) == 0) return first_line(std::string(l.substr(8)));
    i = j + 1;
  }
  return "";
}

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "em1, em2, em3" (at most `max`, then ", ...").
std::string some_names(const std::set<std::string>& names, std::size_t max = 4) {
  std::string out;
  std::size_t k = 0;
  for (const auto& n : names) {
    if (k++ == max) return out + ", ...";
    out += (out.empty() ? "" : ", ") + n;
  }
  return out;
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
    HostNicState st = make_state(name, addr, oper);
    st.kind = devtype(slurp(sys_class_net + "/" + name + "/uevent"));
    // A VLAN's parent: its one lower_<dev> link (a bond's lower links are its ports).
    if (st.kind == "vlan") {
      std::error_code ec;
      for (std::filesystem::directory_iterator it(sys_class_net + "/" + name, ec), end; !ec && it != end;
           it.increment(ec)) {
        const std::string f = it->path().filename().string();
        if (f.rfind("lower_", 0) == 0) st.parent = f.substr(6);
      }
    }
    out.emplace(name, std::move(st));
  }
  return out;
}

std::optional<std::map<std::string, HostNicState>> all_nics_from_sysfs(
    const std::string& sys_class_net) {
  std::set<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(sys_class_net, ec), end;
  if (ec) return std::nullopt;
  for (; it != end; it.increment(ec)) {
    if (ec) return std::nullopt;
    names.insert(it->path().filename().string());
  }
  return nics_from_sysfs(names, sys_class_net);
}

std::map<std::string, HostNicState> nics_from_files(FileAccess& fa,
                                                    const std::set<std::string>& names) {
  std::map<std::string, HostNicState> out;
  for (const auto& name : names) {
    if (!plain_name(name)) continue;
    const std::string dir = "sys/class/net/" + name + "/";
    auto addr = fa.read(dir + "address");
    auto oper = fa.read(dir + "operstate");
    if (!addr && !oper) continue;
    HostNicState st = make_state(name, addr ? std::optional(addr->bytes) : std::nullopt,
                                 oper ? std::optional(oper->bytes) : std::nullopt);
    if (auto ue = fa.read(dir + "uevent")) st.kind = devtype(ue->bytes);
    out.emplace(name, std::move(st));
  }
  return out;
}

bool uri_is_this_machine(const std::string& uri) {
  std::string why;
  auto u = spec::parse_libvirt_uri(uri, why);
  if (!u) return false;
  return u->driver != "test" && u->host.empty() &&
         (u->transport.empty() || u->transport == "unix");
}

NicReading read_host_nics(Hypervisor& hv, FileAccess* fa, FileSourceKind files,
                          const std::set<std::string>& names) {
  NicReading r;
  std::string why;
  try {
    if (auto nics = hv.host_interfaces()) {
      if (!nics->empty()) {
        for (auto& n : *nics) r.nics.emplace(n.name, std::move(n));
        r.source = NicInfoSource::Libvirt;
        r.complete = true;
        return r;
      }
      why = "libvirt's interface API lists no interfaces";
      if (hv.uri().rfind("test:", 0) == 0 || hv.uri().rfind("test+", 0) == 0)
        why += " (the test driver's node file declares no interfaces)";
    } else {
      why = "the libvirt connection has no interface API";
    }
  } catch (const LibvirtError& e) {
    why = std::string("libvirt's interface API failed: ") + e.what();
  }

  if (files == FileSourceKind::Local) {
    if (!uri_is_this_machine(hv.uri())) {
      r.why_not = why + "; the host's files are `local` but its URI " + hv.uri() +
                  " is not this machine, so this machine's NICs are not the host's";
      return r;
    }
    if (auto all = all_nics_from_sysfs()) {
      r.nics = std::move(*all);
      r.source = NicInfoSource::Files;
      r.complete = true;
      return r;
    }
    r.why_not = why + "; /sys/class/net cannot be listed";
    return r;
  }
  if (!fa) {
    r.why_not = why + "; no host file source to read sys/class/net from";
    return r;
  }
  try {
    r.nics = nics_from_files(*fa, names);
  } catch (const Error& e) {
    r.nics.clear();
    r.why_not = why + "; " + fa->describe() + ": sys/class/net cannot be read (" + e.what() + ")";
    return r;
  }
  if (r.nics.empty()) {
    r.why_not = why + "; " + fa->describe() + " has no sys/class/net/<nic> for " +
                (names.empty() ? std::string("any NIC") : some_names(names));
    return r;
  }
  r.source = NicInfoSource::Files;
  r.complete = true;
  return r;
}

std::map<std::string, HostNicState> observe_nics(Hypervisor& hv, FileAccess* fa,
                                                 FileSourceKind files,
                                                 const std::set<std::string>& names) {
  return read_host_nics(hv, fa, files, names).nics;
}

}  // namespace mvt
