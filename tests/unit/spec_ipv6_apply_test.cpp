// Issue 14, points 4 and 6: IPv6 from a spec through plan and apply to the guest's ifcfg and
// route6 files, every IPv6 key read back as network-scripts read it (bash sources the file),
// the re-plan empty, and a hand edit of an IPv6 key is drift. On a temp copy of the embedded
// lab (specs/lab: libvirt's test driver and file roots; nothing is contacted).
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "apply/executor.hpp"
#include "apply/live_session.hpp"
#include "apply_test_support.hpp"
#include "spec/loader.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using mvt::test::read_file;
using mvt::test::run_argv_env;
using mvt::test::TempDir;
using mvt::test::write_file;

namespace {

const std::string kNs = "lab/guest-web1/etc/sysconfig/network-scripts/";

// The procedure's guest with IPv6: ens9 static (two addresses, gateway, default route, an
// IPv6 route with a metric, an IPv6 name server), ens8 DHCPv6 without the default route.
const char* kSpec = R"(version: 1
hosts:
  kvm1:
    uri: test:lab/node.xml
    files: dir:lab/host
    nics:
      em1: {config: host, mac: "18:66:da:9f:96:d6"}
      em2: {config: unconfigured, mac: "18:66:da:9f:96:d7"}
    guests:
      web1:
        guest_files: dir:lab/guest-web1
        activate: reboot
        interfaces:
          - name: eth0
            network: default
            ipv4: dhcp
            defroute: false
            peerdns: false
          - name: ens9
            direct: {dev: em2, mode: private}
            mac: "52:54:00:5d:9c:33"
            model: rtl8139
            ipv4: {address: 104.50.201.84/29, gateway: 104.50.201.86}
            defroute: true
            ipv6: {method: static, addresses: ["2001:DB8:0:9::84/64", "2001:db8:0:9::85/64"], gateway: "2001:db8:0:9::1"}
            ipv6_defroute: true
            peerdns: false
            dns: [8.8.8.8, "2001:4860:4860::8888"]
            routes: [{to: "2001:db8:100::/48", via: "2001:db8:0:9::1", metric: 100}, {to: 10.20.0.0/16, via: 104.50.201.86}]
          - name: ens8
            direct: {dev: em1, mode: private}
            mac: "52:54:00:5d:9c:34"
            ipv4: {address: 192.168.1.15/24, gateway: 192.168.1.1}
            defroute: false
            ipv6: dhcp
            ipv6_defroute: false
)";

// What bash sees when it sources the file, as network-scripts do.
std::map<std::string, std::string> bash_values(const fs::path& file,
                                               const std::vector<std::string>& keys) {
  std::string script = "set -a; . \"$1\"; ";
  for (const auto& k : keys) script += "printf '%s=%s\\n' " + k + " \"${" + k + "-<unset>}\"; ";
  auto r = run_argv_env({"/bin/bash", "-c", script, "bash", file.string()});
  REQUIRE(r.exit_code == 0);
  std::map<std::string, std::string> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

}  // namespace

TEST_CASE("spec ipv6: apply writes every IPv6 ifcfg key and route6, bash reads them, re-plan "
          "empty, a hand edit is drift" * doctest::test_suite("apply")) {
  TempDir t;
  fs::copy(test::source_dir() / "specs" / "lab", t.path() / "lab", fs::copy_options::recursive);
  write_file(t.path() / "spec.yaml", kSpec);
  auto spec = spec::load({(t.path() / "spec.yaml").string()});
  for (const auto& x : spec.diagnostics.items()) MESSAGE(format_diagnostic(x));
  REQUIRE_FALSE(spec.diagnostics.has_errors());
  apply::LiveSession live(spec.topology, spec.digest);
  Diagnostics d;
  const plan::Plan p = live.plan(d);
  REQUIRE_FALSE(d.has_errors());
  REQUIRE(p.has_changes());
  apply::ApplyOptions o;
  o.state_dir = t.path() / "state";
  o.replan = [&] { return live.replan(); };
  o.verify_interval = std::chrono::milliseconds(50);
  {
    apply::ApplySession s(live.backends(), o);
    auto r = s.apply(p);
    INFO(r.failed_step, ": ", r.error);
    REQUIRE(r.ok);
    s.commit();
  }

  const auto ens9 = bash_values(t.path() / (kNs + "ifcfg-ens9"),
                                {"IPV6INIT", "IPV6_AUTOCONF", "DHCPV6C", "IPV6ADDR",
                                 "IPV6ADDR_SECONDARIES", "IPV6_DEFAULTGW", "IPV6_DEFROUTE",
                                 "DNS1", "DNS2", "DNS3", "IPADDR", "DEFROUTE"});
  CHECK(ens9.at("IPV6INIT") == "yes");
  CHECK(ens9.at("IPV6_AUTOCONF") == "no");
  CHECK(ens9.at("DHCPV6C") == "<unset>");
  CHECK(ens9.at("IPV6ADDR") == "2001:db8:0:9::84/64");  // canonical spelling
  CHECK(ens9.at("IPV6ADDR_SECONDARIES") == "2001:db8:0:9::85/64");
  CHECK(ens9.at("IPV6_DEFAULTGW") == "2001:db8:0:9::1");
  CHECK(ens9.at("IPV6_DEFROUTE") == "yes");
  CHECK(ens9.at("DNS1") == "8.8.8.8");
  CHECK(ens9.at("DNS2") == "2001:4860:4860::8888");
  CHECK(ens9.at("DNS3") == "<unset>");
  CHECK(ens9.at("IPADDR") == "104.50.201.84");
  CHECK(ens9.at("DEFROUTE") == "yes");
  const auto ens8 = bash_values(t.path() / (kNs + "ifcfg-ens8"),
                                {"IPV6INIT", "IPV6_AUTOCONF", "DHCPV6C", "IPV6ADDR",
                                 "IPV6_DEFAULTGW", "IPV6_DEFROUTE"});
  CHECK(ens8.at("IPV6INIT") == "yes");
  CHECK(ens8.at("IPV6_AUTOCONF") == "no");
  CHECK(ens8.at("DHCPV6C") == "yes");
  CHECK(ens8.at("IPV6ADDR") == "<unset>");
  CHECK(ens8.at("IPV6_DEFAULTGW") == "<unset>");
  CHECK(ens8.at("IPV6_DEFROUTE") == "no");
  // Routes of each family in their own file (ip route syntax, as ifup-routes reads them).
  const std::string r6 = read_file(t.path() / (kNs + "route6-ens9"));
  CHECK(r6.find("2001:db8:100::/48 via 2001:db8:0:9::1 metric 100") != std::string::npos);
  CHECK(r6.find("10.20.") == std::string::npos);
  const std::string r4 = read_file(t.path() / (kNs + "route-ens9"));
  CHECK(r4.find("10.20.0.0/16 via 104.50.201.86") != std::string::npos);
  CHECK(r4.find("2001:") == std::string::npos);
  CHECK_FALSE(fs::exists(t.path() / (kNs + "route6-ens8")));

  // The files read back give the spec's values: nothing left to do.
  const plan::Plan again = live.replan();
  CHECK_FALSE(again.has_changes());

  // A hand-edited IPv6 address is drift, planned back (field by field).
  const fs::path f9 = t.path() / (kNs + "ifcfg-ens9");
  std::string text = read_file(f9);
  const auto at = text.find("IPV6ADDR=2001:db8:0:9::84/64");
  REQUIRE(at != std::string::npos);
  text.replace(at, std::string("IPV6ADDR=2001:db8:0:9::84/64").size(), "IPV6ADDR=2001:db8:0:9::99/64");
  write_file(f9, text);
  const plan::Plan drift = live.replan();
  REQUIRE(drift.has_changes());
  bool seen = false;
  for (const auto& s : drift.steps)
    for (const auto& c : s.changes)
      if (c.field == "IPV6ADDR") {
        seen = true;
        CHECK(c.before == std::optional<std::string>("2001:db8:0:9::99/64"));
        CHECK(c.after == std::optional<std::string>("2001:db8:0:9::84/64"));
      }
  CHECK(seen);
}
