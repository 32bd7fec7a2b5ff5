#include "apply/verify.hpp"

#include <set>
#include <thread>

#include "apply/agent_wait.hpp"
#include "apply/domain_ops.hpp"
#include "apply/verify_checks.hpp"
#include "files/agent_source.hpp"
#include "files/process.hpp"
#include "util/errors.hpp"

namespace mvt::apply {
namespace {

using namespace std::chrono_literals;

// "qemu:///system" -> local; "qemu+ssh://root@kvm1/system" -> remote; "test:///..." -> test.
enum class UriKind { Local, Remote, Test };

UriKind uri_kind(const std::string& uri) {
  const auto colon = uri.find(':');
  const std::string scheme = uri.substr(0, colon);
  if (scheme == "test" || scheme.rfind("test+", 0) == 0) return UriKind::Test;
  if (colon == std::string::npos || uri.compare(colon, 3, "://") != 0) return UriKind::Local;
  const auto auth_end = uri.find('/', colon + 3);
  const std::string authority = uri.substr(colon + 3, auth_end - (colon + 3));
  return authority.empty() ? UriKind::Local : UriKind::Remote;
}

const std::vector<std::string> kIpLink{"ip", "-j", "-d", "link", "show"};
const std::vector<std::string> kIpRoute{"ip", "-j", "-4", "route", "show", "table", "main"};
const std::vector<std::string> kIpRoute6{"ip", "-j", "-6", "route", "show", "table", "main"};

// What of one guest's live state waits for an activation the spec left out (verify.hpp).
struct Deferred {
  std::string network_why;         // non-empty: routes, reach and guest names are pending
  std::string device_why;          // why a device in `devices` is pending
  std::set<std::string> devices;   // MACs whose device change waits for a cold restart
  std::set<std::string> hotplugged;  // MACs hot-plugged by this apply (named live)
  bool all_devices = false;        // no applied plan: every device of the guest
  bool device(const std::string& mac) const { return all_devices || devices.count(mac) > 0; }
  bool any() const { return !network_why.empty() || all_devices || !devices.empty(); }
};

const char* const kNetworkWhy =
    "activate: none: the guest reads its new network configuration at its next network restart "
    "or boot";
const char* const kDeviceWhy =
    "activate: none: the running device keeps its old settings until the guest's next cold "
    "restart (shut down, start)";

std::string mac_key(const std::string& text) {
  const auto m = MacAddress::parse(text);
  return m ? m->str() : text;
}

Deferred deferred_of(const std::string& host, const Guest& g, const plan::Plan* applied) {
  Deferred d;
  if (g.activate != Activate::None) return d;  // the plan activates what it changes
  if (!applied) {
    d.network_why = kNetworkWhy;
    d.device_why = kDeviceWhy;
    d.all_devices = true;
    return d;
  }
  bool changed = false;
  std::set<std::string> defined;
  for (const auto& s : applied->steps) {
    if (s.host != host || s.op.guest != g.name) continue;
    switch (s.op.kind) {
      case plan::OpKind::Activate:
        return Deferred{};  // activated after all
      case plan::OpKind::WriteFile:
      case plan::OpKind::RemoveFile:
        changed = changed || s.op.scope == plan::FileScope::Guest;
        break;
      case plan::OpKind::LiveAttach:
        d.hotplugged.insert(mac_key(s.op.mac));
        changed = true;
        break;
      case plan::OpKind::LiveDetach:
        changed = true;
        break;
      case plan::OpKind::DefineInterface:
        defined.insert(mac_key(s.op.mac));
        changed = true;
        break;
      case plan::OpKind::Verify:
        break;
    }
  }
  if (!changed) return d;
  d.network_why = kNetworkWhy;
  d.device_why = kDeviceWhy;
  for (const auto& m : defined)
    if (!d.hotplugged.count(m)) d.devices.insert(m);
  return d;
}

struct GuestCtx {
  const std::string& host;
  const Guest& g;
  const Deferred& deferred;
  VerifyLine line(const std::string& iface, const std::string& check) const {
    VerifyLine l;
    l.host = host;
    l.guest = g.name;
    l.interface = iface;
    l.check = check;
    return l;
  }
  VerifyLine skipped(const std::string& iface, const std::string& check,
                     std::string why) const {
    VerifyLine l = line(iface, check);
    l.status = CheckStatus::Skipped;
    l.detail = std::move(why);
    return l;
  }
  VerifyLine failed(const std::string& iface, const std::string& check, std::string expected,
                    std::string found) const {
    VerifyLine l = line(iface, check);
    l.status = CheckStatus::Failed;
    l.expected = std::move(expected);
    l.found = std::move(found);
    return l;
  }
  // A difference that is not a failure: Pending or Warning, with why.
  VerifyLine held(CheckStatus st, const std::string& iface, const std::string& check,
                  std::string expected, std::string found, std::string why) const {
    VerifyLine l = failed(iface, check, std::move(expected), std::move(found));
    l.status = st;
    l.why = std::move(why);
    return l;
  }
};

// A failed outcome is Pending with `pending_why` when that is set.
VerifyLine from_outcome(const GuestCtx& c, const std::string& iface, const std::string& check,
                        CheckOutcome o, const std::string& pending_why = {}) {
  if (!o.ok && !pending_why.empty())
    return c.held(CheckStatus::Pending, iface, check, std::move(o.expected), std::move(o.found),
                  pending_why);
  if (!o.ok) return c.failed(iface, check, std::move(o.expected), std::move(o.found));
  VerifyLine l = c.line(iface, check);
  l.detail = std::move(o.detail);
  return l;
}

// "verify.reach is false for ens9 (spec)" / "... for guest web1 (spec)".
std::string reach_source(const Guest& g, const GuestInterface& i) {
  return i.verify.reach ? "for " + i.name + " (spec)" : "for guest " + g.name + " (spec)";
}

std::string join_routes(const std::vector<RouteEntry>& rs) {
  std::string s;
  for (const auto& r : rs) s += (s.empty() ? "" : "; ") + r.str();
  return s.empty() ? "(none)" : s;
}

bool is_refusal(const std::exception& e) {
  auto* a = dynamic_cast<const AgentCallError*>(&e);
  return a && a->failure() == AgentCallError::Failure::Refused;
}

// One pass over one running, agent-reachable guest.
std::vector<VerifyLine> check_guest_once(const GuestCtx& c, AgentSource& agent,
                                         const HostLinksReader& read_links,
                                         const VerifyOptions& o) {
  std::vector<VerifyLine> out;
  // (1) MAC equality.
  std::optional<std::vector<HostLink>> links;
  std::string links_why;
  bool has_direct = false;
  for (const auto& i : c.g.interfaces) has_direct = has_direct || i.kind == InterfaceKind::Direct;
  if (has_direct) {
    try {
      if (auto text = read_links(links_why)) links = parse_ip_links(*text);
    } catch (const std::exception& e) {
      links_why = std::string("cannot read the host's links: ") + e.what();
    }
  }
  std::optional<std::vector<GuestNic>> nics;
  try {
    nics = agent.network_interfaces();
  } catch (const std::exception& e) {
    if (is_refusal(e))
      out.push_back(c.skipped("", "mac", e.what()));
    else
      out.push_back(c.failed("", "mac", "the guest's interfaces (guest-network-get-interfaces)",
                             e.what()));
  }
  const Deferred& dfr = c.deferred;
  for (const auto& i : c.g.interfaces) {
    const MacAddress mac = effective_mac(c.host, c.g.name, i);
    const std::string key = mac.str();
    std::optional<CheckOutcome> host_side;
    if (i.kind == InterfaceKind::Direct && links)
      host_side = check_host_macvtap(*links, i.source_dev, mac, i.mode);
    if (host_side && !host_side->ok) {
      out.push_back(from_outcome(c, i.name, "mac", std::move(*host_side),
                                 dfr.device(key) ? dfr.device_why : std::string()));
      continue;
    }
    if (!nics) continue;
    CheckOutcome guest_side = check_guest_mac(*nics, mac, i.name);
    if (!guest_side.ok) {
      std::string why;
      if (dfr.device(key))
        why = dfr.device_why;
      else if (!dfr.network_why.empty() && !dfr.hotplugged.count(key))
        why = dfr.network_why;
      out.push_back(from_outcome(c, i.name, "mac", std::move(guest_side), why));
      continue;
    }
    VerifyLine l = c.line(i.name, "mac");
    if (host_side)
      l.detail = "host " + host_side->detail + " = " + guest_side.detail;
    else if (i.kind == InterfaceKind::Direct)
      l.detail = guest_side.detail + " (host side not checked: " + links_why + ")";
    else
      l.detail = guest_side.detail + " (network interface: no macvtap device)";
    out.push_back(std::move(l));
  }
  // (2) Routing table: IPv4, then IPv6 for a guest whose spec has IPv6 ("routes6").
  auto check_table = [&](IpFamily f) {
    const bool v6 = f == IpFamily::V6;
    const char* check = v6 ? "routes6" : "routes";
    const auto& argv = v6 ? kIpRoute6 : kIpRoute;
    const std::string want = join_routes(implied_routes(c.g, f));
    try {
      const auto r = agent.run(argv, o.command_timeout);
      if (r.exit_code != 0) {
        out.push_back(c.failed("", check, want,
                               std::string("`ip -j ") + (v6 ? "-6" : "-4") +
                                   " route show table main` in the guest exited " +
                                   std::to_string(r.exit_code) + ": " + r.err));
        return;
      }
      const auto cmp = compare_routes(c.g, parse_ip_routes(r.out), f);
      if (cmp.ok()) {
        VerifyLine l = c.line("", check);
        l.detail = std::to_string(cmp.matched.size()) + " route" +
                   (cmp.matched.size() == 1 ? "" : "s") +
                   " match the spec: " + join_routes(cmp.matched);
        out.push_back(std::move(l));
        return;
      }
      std::string found;
      if (!cmp.missing.empty()) found += "missing: " + join_routes(cmp.missing);
      if (!cmp.extra.empty())
        found += std::string(found.empty() ? "" : "; ") + "unexpected: " + join_routes(cmp.extra);
      if (dfr.any())
        out.push_back(c.held(CheckStatus::Pending, "", check, want, found,
                             dfr.network_why.empty() ? dfr.device_why : dfr.network_why));
      else
        out.push_back(c.failed("", check, want, found));
    } catch (const std::exception& e) {
      if (is_refusal(e))
        out.push_back(c.skipped("", check, e.what()));
      else
        out.push_back(c.failed("", check, want, e.what()));
    }
  };
  check_table(IpFamily::V4);
  if (uses_ipv6(c.g)) check_table(IpFamily::V6);
  // (3) Reachability, from inside the guest.
  for (const auto& [iface, gw] : reachability_targets(c.g)) {
    const GuestInterface* spec_if = nullptr;
    for (const auto& i : c.g.interfaces)
      if (i.name == iface) spec_if = &i;
    const ReachPolicy policy = spec_if ? reach_policy(c.g, *spec_if) : ReachPolicy::Check;
    if (policy == ReachPolicy::Skip) {
      out.push_back(c.skipped(iface, "reach", "verify.reach is false " +
                                                  reach_source(c.g, *spec_if) +
                                                  ": gateway " + gw.str() + " is not pinged"));
      continue;
    }
    const std::string what =
        std::string(gw.is_v6() ? "ping -6 " : "ping ") + gw.str() + " from inside the guest";
    try {
      const auto r = agent.run(ping_command(iface, gw), o.command_timeout);
      if (r.exit_code == 0) {
        VerifyLine l = c.line(iface, "reach");
        l.detail = "gateway " + gw.str() + " answered a ping sent from inside the guest (the " +
                   "host cannot reach its own macvtap guests, so the guest pings)";
        out.push_back(std::move(l));
      } else {
        std::string expected = "gateway " + gw.str() + " answers a ping";
        std::string found = what + ": no answer (ping exited " + std::to_string(r.exit_code) + ")";
        if (dfr.any())
          out.push_back(c.held(CheckStatus::Pending, iface, "reach", std::move(expected),
                               std::move(found),
                               dfr.network_why.empty() ? dfr.device_why : dfr.network_why));
        else if (policy == ReachPolicy::Warn)
          out.push_back(c.held(CheckStatus::Warning, iface, "reach", std::move(expected),
                               std::move(found), "verify.reach: warn"));
        else
          out.push_back(c.failed(iface, "reach", std::move(expected), std::move(found)));
      }
    } catch (const std::exception& e) {
      if (is_refusal(e))
        out.push_back(c.skipped(iface, "reach", e.what()));
      else
        out.push_back(c.skipped(iface, "reach", "cannot run ping in the guest: " +
                                                    std::string(e.what())));
    }
  }
  return out;
}

bool any_failed(const std::vector<VerifyLine>& ls) {
  for (const auto& l : ls)
    if (l.status == CheckStatus::Failed) return true;
  return false;
}

}  // namespace

std::string VerifyLine::str() const {
  std::string s = "verify guest " + guest + (interface.empty() ? "" : " " + interface) + ": ";
  if (check != "guest") s += check + " ";
  switch (status) {
    case CheckStatus::Ok:
      return s + "ok: " + detail;
    case CheckStatus::Skipped:
      return s + "skipped: " + detail;
    case CheckStatus::Failed:
      return s + "FAILED: expected " + expected + "; found " + found;
    case CheckStatus::Warning:
      return s + "WARNING (" + (why.empty() ? std::string("not changed by this apply") : why) +
             "): expected " + expected + "; found " + found;
    case CheckStatus::Pending:
      return s + "pending activation (" + why + "): expected " + expected + "; found " + found;
  }
  return s;
}

bool VerifyReport::ok() const {
  return !any_failed(lines);
}

std::vector<std::string> VerifyReport::failures() const {
  std::vector<std::string> out;
  for (const auto& l : lines)
    if (l.status == CheckStatus::Failed) out.push_back(l.str());
  return out;
}

std::size_t VerifyReport::pending() const {
  std::size_t n = 0;
  for (const auto& l : lines) n += l.status == CheckStatus::Pending ? 1 : 0;
  return n;
}

HostLinksReader host_links_reader(const std::string& uri, FileAccess* host_files) {
  switch (uri_kind(uri)) {
    case UriKind::Test:
      return [](std::string& why) -> std::optional<std::string> {
        why = "libvirt's test driver has no host devices";
        return std::nullopt;
      };
    case UriKind::Remote:
      return [uri, host_files](std::string& why) -> std::optional<std::string> {
        if (!host_files || !host_files->can_run()) {
          why = "the host " + uri + " is remote and its file source cannot run `ip`";
          return std::nullopt;
        }
        const auto r = host_files->run(kIpLink, 20s);
        if (r.exit_code != 0) {
          why = "`ip -j -d link show` on " + host_files->describe() + " exited " +
                std::to_string(r.exit_code) + ": " + r.err;
          return std::nullopt;
        }
        return r.out;
      };
    case UriKind::Local:
      break;
  }
  return [](std::string& why) -> std::optional<std::string> {
    const auto r = run_process(kIpLink, 20s);
    if (r.exit_code != 0) {
      why = "`ip -j -d link show` exited " + std::to_string(r.exit_code) +
            (r.timed_out ? " (timed out)" : "") + ": " + r.err;
      return std::nullopt;
    }
    return r.out;
  };
}

VerifyReport verify_guests(const Host& spec, HostBackends& b, const VerifyOptions& o) {
  VerifyReport rep;
  const HostLinksReader read_links =
      o.host_links ? o.host_links : host_links_reader(b.sources.uri, b.host_files);
  for (const auto& [name, g] : spec.guests) {
    if (g.interfaces.empty()) continue;
    const Deferred deferred = deferred_of(spec.name, g, o.applied);
    const GuestCtx c{spec.name, g, deferred};
    if (g.guest_files.kind != FileSourceKind::Agent) {
      rep.lines.push_back(c.skipped("", "guest",
                                    "guest_files is " + g.guest_files.str() +
                                        ", not agent: its live interfaces and routes are read "
                                        "only through the guest agent"));
      continue;
    }
    if (!b.hypervisor) {
      rep.lines.push_back(c.skipped("", "guest", "host " + spec.name + " has no libvirt connection"));
      continue;
    }
    try {
      if (!is_running(*b.hypervisor, name)) {
        rep.lines.push_back(c.skipped("", "guest", "not running: checked when it runs"));
        continue;
      }
    } catch (const std::exception& e) {
      rep.lines.push_back(c.failed("", "guest", "guest " + name + " running", e.what()));
      continue;
    }
    auto it = b.guest_files.find(name);
    auto* agent = it == b.guest_files.end() ? nullptr : dynamic_cast<AgentSource*>(it->second);
    if (!agent) {
      rep.lines.push_back(c.skipped("", "guest", "no guest agent source was opened for it"));
      continue;
    }
    const AgentWait w = wait_for_agent(b, spec.name, name, o.agent_wait, "verification");
    if (w.status == AgentWaitStatus::NoChannel) {
      rep.lines.push_back(c.skipped("", "guest", w.detail));
      continue;
    }
    if (w.status == AgentWaitStatus::NotRunning) {
      rep.lines.push_back(c.skipped("", "guest", "not running: checked when it runs"));
      continue;
    }
    if (w.status == AgentWaitStatus::TimedOut) {
      rep.lines.push_back(c.failed("", "guest", "the guest agent answering", w.detail));
      continue;
    }
    std::vector<VerifyLine> lines;
    const int attempts = std::max(1, o.attempts);
    for (int k = 1; k <= attempts; ++k) {
      lines = check_guest_once(c, *agent, read_links, o);
      if (!any_failed(lines) || k == attempts) break;
      std::this_thread::sleep_for(o.interval);
    }
    rep.lines.insert(rep.lines.end(), lines.begin(), lines.end());
  }
  return rep;
}

}  // namespace mvt::apply
