// AgentSource on a real booted lab guest (qemu-ga over virtio-serial, real libvirtd), and
// the lab's network-scripts stand-in applying ifcfg/route files inside it.
// One TEST_CASE shares one booted guest through SUBCASEs (each TEST_CASE is a process).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include <unistd.h>

#include "files/agent_source.hpp"
#include "files/process.hpp"
#include "system_support.hpp"
#include "util/errors.hpp"

using namespace std::chrono_literals;
using mvt::AgentCallError;
using Failure = mvt::AgentCallError::Failure;
namespace lab = mvt::test::lab;

namespace {

const std::string kDir = "root/mvt-agent-test";

// This process's guest address on em2's 192.0.2.0/24 (suites may run side by side).
std::string guest_ip() { return "192.0.2." + std::to_string(100 + getpid() % 150); }

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::string guest_sh(mvt::AgentSource& a, const std::string& script) {
  auto r = a.run({"/bin/sh", "-c", script}, 20s);
  INFO("guest script: " << script << "\nerr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// The host's macvtap devices on `nic`, from the kernel (ip -j -d link), as name -> (mac, mode).
struct HostMacvtap {
  std::string name, mac, mode;
};
std::vector<HostMacvtap> host_macvtaps() {
  auto r = mvt::run_process({"ip", "-j", "-d", "link", "show", "type", "macvtap"}, 10s);
  std::vector<HostMacvtap> out;
  if (r.exit_code != 0) return out;
  for (const auto& l : nlohmann::json::parse(r.out)) {
    HostMacvtap m;
    m.name = l.value("ifname", "");
    m.mac = l.value("address", "");
    if (l.contains("linkinfo") && l["linkinfo"].contains("info_data"))
      m.mode = l["linkinfo"]["info_data"].value("mode", "");
    out.push_back(m);
  }
  return out;
}

}  // namespace

TEST_CASE("agent source and the network-scripts stand-in on a booted lab guest" *
          doctest::test_suite("agent")) {
  MVT_REQUIRE_LAB_GUEST(guest);
  auto a = guest->agent();
  guest_sh(a, "mkdir -p /" + kDir);

  SUBCASE("boot time and the guest's NIC matches the host's macvtap device") {
    REQUIRE(guest->boot_to_ping());
    MESSAGE("boot to first guest-ping: " << guest->boot_to_ping()->count() << " ms");
    CHECK(*guest->boot_to_ping() < 90s);
    // ACPI is on (<features><acpi/>): PCI hot-plug and power-off work in lab guests.
    CHECK(guest_sh(a, "[ -d /sys/firmware/acpi ] && echo acpi || echo none") == "acpi\n");
    const auto nics = a.network_interfaces();
    auto ens9 = std::find_if(nics.begin(), nics.end(), [](auto& n) { return n.name == "ens9"; });
    REQUIRE(ens9 != nics.end());
    REQUIRE(ens9->mac);
    CHECK(ens9->mac->str() == lab::test_mac(9));
    const auto taps = guest->macvtap_devices();
    REQUIRE(taps.size() == 1);
    const auto host = host_macvtaps();
    auto tap = std::find_if(host.begin(), host.end(), [&](auto& h) { return h.name == taps[0]; });
    REQUIRE(tap != host.end());
    CHECK(tap->mac == lab::test_mac(9));
    CHECK(tap->mode == "private");
  }

  SUBCASE("write, read, list, remove round trip") {
    const std::string f = kDir + "/ifcfg-ens9";
    const std::string text = "DEVICE=ens9\nIPADDR=192.0.2.84\n# 'quotes' \"and\" $dollar\n";
    a.write_atomic(f, text);
    auto back = a.read(f);
    REQUIRE(back);
    CHECK(back->bytes == text);
    CHECK(back->mode == 0644);
    CHECK(back->uid == 0);
    a.write_atomic(kDir + "/route-ens9", "ADDRESS0=203.0.113.0\n", 0600);
    auto names = a.list(kDir);
    CHECK(names == std::vector<std::string>{"ifcfg-ens9", "route-ens9"});
    CHECK(a.read(kDir + "/route-ens9")->mode == 0600);
    // No temp file left behind.
    CHECK(guest_sh(a, "ls -A /" + kDir + " | grep -c mvt- || true") == "0\n");
    a.remove(kDir + "/route-ens9");
    a.remove(kDir + "/route-ens9");  // absent: no error
    CHECK_FALSE(a.read(kDir + "/route-ens9"));
    CHECK(a.list(kDir) == std::vector<std::string>{"ifcfg-ens9"});
    CHECK(a.list(kDir + "/no-such-dir").empty());
    // A read-only agent source (show, plan) reads but refuses every change.
    auto ro = mvt::open_agent_source(guest->hypervisor(), guest->name(), /*read_only=*/true);
    CHECK(ro->read(kDir + "/ifcfg-ens9"));
    // Listing takes guest-exec: the read-only source refuses it before anything is sent.
    CHECK_FALSE(ro->can_list());
    CHECK_THROWS_AS(ro->list(kDir), mvt::AccessError);
    CHECK_THROWS_AS(ro->write_atomic(kDir + "/x", "y"), mvt::AccessError);
    CHECK_THROWS_AS(ro->remove(kDir + "/ifcfg-ens9"), mvt::AccessError);
    CHECK_FALSE(ro->can_run());
  }

  SUBCASE("write keeps an existing file's mode and owner; chown") {
    const std::string f = kDir + "/kept";
    a.write_atomic(f, "one\n", 0640);
    a.chown(f, 12, 34);
    a.write_atomic(f, "two\n");
    auto back = a.read(f);
    REQUIRE(back);
    CHECK(back->bytes == "two\n");
    CHECK(back->mode == 0640);
    CHECK(back->uid == 12);
    CHECK(back->gid == 34);
  }

  SUBCASE("large and binary files go through in chunks") {
    std::string big;
    for (int i = 0; i < 300000; ++i) big += char(i * 7 % 256);
    a.write_atomic(kDir + "/big", big);
    auto back = a.read(kDir + "/big");
    REQUIRE(back);
    CHECK(back->bytes.size() == big.size());
    CHECK(back->bytes == big);
    CHECK(guest_sh(a, "wc -c < /" + kDir + "/big") == "300000\n");
  }

  SUBCASE("paths are confined") {
    CHECK_THROWS_AS(a.read("/etc/passwd"), mvt::AccessError);
    CHECK_THROWS_AS(a.read("etc/../../x"), mvt::AccessError);
    CHECK_THROWS_AS(a.write_atomic("../x", "y"), mvt::AccessError);
  }

  SUBCASE("run captures output and exit code, and is bounded") {
    auto r = a.run({"/bin/sh", "-c", "echo out; echo err >&2; exit 7"}, 20s);
    CHECK(r.exit_code == 7);
    CHECK(r.out == "out\n");
    CHECK(r.err == "err\n");
    auto args = a.run({"printf", "%s|", "a b", "$x", "'q'"}, 20s);
    CHECK(args.out == "a b|$x|'q'|");
    const auto t0 = std::chrono::steady_clock::now();
    try {
      a.run({"sleep", "30"}, 1500ms);
      FAIL("sleep 30 was not stopped");
    } catch (const AgentCallError& e) {
      CHECK(contains(e.what(), "did not finish within 1500 ms"));
    }
    CHECK(std::chrono::steady_clock::now() - t0 < 15s);
  }

  SUBCASE("restart-network stand-in applies ifcfg and route files; the namespace pings the guest") {
    // The procedure's ens9, with lab (RFC 5737) addresses: em2's far end is 192.0.2.1.
    a.write_atomic("etc/sysconfig/network-scripts/ifcfg-ens9",
                   "NAME=ens9\nDEVICE=ens9\nTYPE=Ethernet\nONBOOT=yes\nBOOTPROTO=none\n"
                   "IPADDR=" + guest_ip() + "\nNETMASK=255.255.255.0\nPREFIX=24\nGATEWAY=192.0.2.1\n"
                   "DEFROUTE=yes # the macvtap interface provides the default route\n"
                   "PEERROUTES=no\nPEERDNS=yes\nDNS1=192.0.2.53\nIPV6INIT=no\n");
    a.write_atomic("etc/sysconfig/network-scripts/route-ens9",
                   "ADDRESS0=203.0.113.0\nNETMASK0=255.255.255.0\nGATEWAY0=192.0.2.1\n");
    auto r = a.run({"/etc/init.d/network", "restart"}, 60s);
    INFO("out: " << r.out << "\nerr: " << r.err);
    CHECK(r.exit_code == 0);
    const std::string routes = guest_sh(a, "ip -4 route show");
    INFO("routes:\n" << routes);
    CHECK(contains(routes, "default via 192.0.2.1 dev ens9"));
    CHECK(contains(routes, "192.0.2.0/24 dev ens9"));
    CHECK(contains(routes, "203.0.113.0/24 via 192.0.2.1 dev ens9"));
    CHECK(contains(guest_sh(a, "cat /etc/resolv.conf"), "nameserver 192.0.2.53"));
    auto nics = a.network_interfaces();
    auto ens9 = std::find_if(nics.begin(), nics.end(), [](auto& n) { return n.name == "ens9"; });
    REQUIRE(ens9 != nics.end());
    REQUIRE(ens9->ipv4.size() == 1);
    CHECK(ens9->ipv4[0].str() == guest_ip() + "/24");
    // Across macvtap (private) and the veth: from the lab namespace to the guest, bounded.
    auto ping = lab::netns_ping(guest_ip(), {"-c", "2", "-W", "2", "-w", "15"}, 25s);
    INFO("ping: " << ping.out << ping.err);
    CHECK(ping.exit_code == 0);

    // DEFROUTE=no removes the default route on restart; the route file goes with its file.
    a.write_atomic("etc/sysconfig/network-scripts/ifcfg-ens9",
                   "DEVICE=ens9\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=" + guest_ip() + "\nPREFIX=24\n"
                   "GATEWAY=192.0.2.1\nDEFROUTE=no\nPEERDNS=no\n");
    // The older route file format: `ip route` arguments, one route a line ("dev" added).
    a.write_atomic("etc/sysconfig/network-scripts/route-ens9",
                   "# comment\n198.51.100.0/24 via 192.0.2.1\n\n203.0.113.128/25 via 192.0.2.1 "
                   "dev ens9 metric 7\n");
    r = a.run({"service", "network", "restart"}, 60s);
    CHECK(r.exit_code == 0);
    const std::string old_format = guest_sh(a, "ip -4 route show");
    INFO("routes (older format):\n" << old_format);
    CHECK(contains(old_format, "198.51.100.0/24 via 192.0.2.1 dev ens9"));
    CHECK(contains(old_format, "203.0.113.128/25 via 192.0.2.1 dev ens9 metric 7"));
    a.remove("etc/sysconfig/network-scripts/route-ens9");
    r = a.run({"service", "network", "restart"}, 60s);
    CHECK(r.exit_code == 0);
    const std::string after = guest_sh(a, "ip -4 route show");
    INFO("routes after:\n" << after);
    CHECK_FALSE(contains(after, "default"));
    CHECK_FALSE(contains(after, "203.0.113.0"));
    CHECK(contains(after, "192.0.2.0/24 dev ens9"));

    // An ifcfg file for a device that does not exist makes the restart fail, loudly.
    a.write_atomic("etc/sysconfig/network-scripts/ifcfg-ens3", "DEVICE=ens3\nONBOOT=yes\n");
    r = a.run({"/etc/init.d/network", "restart"}, 60s);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "ens3"));
    a.remove("etc/sysconfig/network-scripts/ifcfg-ens3");
  }

  SUBCASE("a command blocked by the agent's deny list is reported with the config line") {
    // Restart qemu-ga with guest-file-open blocked (-b, as RHEL's BLACKLIST_RPC does), from a
    // detached child so the guest-exec that asks for it can still answer. The old agent
    // must be gone before the new one starts (it holds the pid file), and the test must not
    // talk to the old one thinking it is the new: the child waits for the old process to
    // exit, and the test waits until the pid file names another process (read through
    // guest-exec, which neither agent blocks). Every wait is bounded.
    const std::string restart =
        "(sleep 1; old=$(cat /run/qemu-ga.pid); kill $old; i=0; "
        "while kill -0 $old 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; "
        "qemu-ga -m virtio-serial -p /dev/virtio-ports/org.qemu.guest_agent.0 "
        "-l /var/log/qemu-ga.log -f /run/qemu-ga.pid -t /run -d $1) "
        ">/dev/null 2>&1 </dev/null &";
    // The pid file is read with file RPCs when guest-exec is blocked, through guest-exec
    // when guest-file-open is.
    auto agent_pid = [&]() -> std::string {
      try {
        mvt::AgentSource::Options o;
        o.read_only = true;
        auto ro = guest->agent(o);
        if (auto f = ro.read("run/qemu-ga.pid")) return f->bytes;
      } catch (const mvt::Error&) {
      }
      try {
        auto r = a.run({"cat", "/run/qemu-ga.pid"}, 5s);
        return r.exit_code == 0 ? r.out : "";
      } catch (const AgentCallError&) {
        return "";  // between the two agents
      }
    };
    auto restart_agent = [&](const std::string& block) {
      const std::string before = agent_pid();
      REQUIRE_FALSE(before.empty());
      // The exec's own status call races the restart (1 s in the child first): an answer
      // lost with the old agent is fine, the pid file says whether the restart happened.
      try {
        a.run({"/bin/sh", "-c", "set -- '" + block + "'; " + restart}, 20s);
      } catch (const AgentCallError& e) {
        MESSAGE("the restart's own status was lost with the old agent: " << std::string(e.what()));
      }
      const auto deadline = std::chrono::steady_clock::now() + 60s;
      std::string now;
      while (std::chrono::steady_clock::now() < deadline) {
        now = agent_pid();
        if (!now.empty() && now != before) break;
        std::this_thread::sleep_for(200ms);
      }
      INFO("agent pid before " << before << ", now " << now);
      REQUIRE((!now.empty() && now != before));
      REQUIRE(a.wait_until_ready(30s));
    };
    restart_agent("-b guest-file-open");
    try {
      a.read("etc/hostname");
      FAIL("guest-file-open was not refused");
    } catch (const AgentCallError& e) {
      MESSAGE("refusal message: " << std::string(e.what()));
      CHECK(e.failure() == Failure::Refused);
      CHECK(contains(e.what(), "guest-file-open"));
      CHECK(contains(e.what(), "BLACKLIST_RPC"));
      CHECK(contains(e.what(), "block-rpcs"));
    }
    // show through the agent (read-only) on the agent that refuses file reads: the error
    // names the guest, the refused command and the qemu-ga setting that allows it.
    const std::string gf = guest->name() + "=agent";
    {
      auto r = lab::run_macvtapctl({"show", "--connect", lab::kUri, "--guest-files", gf}, 120s);
      INFO("show out:\n" << r.out << "\nerr:\n" << r.err);
      CHECK(r.exit_code == 0);
      CHECK(contains(r.out, "guest agent of " + guest->name() + " refuses guest-file-open"));
      CHECK(contains(r.out, "--allow-rpcs="));
      CHECK(contains(r.out, "FILTER_RPC_ARGS"));
    }
    // Restore the unrestricted agent.
    restart_agent("");
    CHECK(a.read("etc/hostname"));

    // Issue 12 point 3: show never executes anything in the guest. The agent now refuses
    // guest-exec (and writes): any exec would fail the read. Last in this subcase, and this
    // subcase is the test case's last: the agent is not restored (guest-exec is needed for
    // that) and the guest goes with the process.
    guest_sh(a, "mkdir -p /etc/sysconfig/network-scripts && printf 'DEVICE=ens9\\nBOOTPROTO=none\\n"
                "IPADDR=192.0.2.77\\nPREFIX=24\\nHWADDR=" + lab::test_mac(9) +
                "\\n' >/etc/sysconfig/network-scripts/ifcfg-ens9");
    restart_agent("-b guest-exec,guest-exec-status,guest-file-write,guest-file-flush");
    CHECK_THROWS_AS(a.run({"true"}, 5s), AgentCallError);  // the block is in force
    auto r = lab::run_macvtapctl({"show", "--connect", lab::kUri, "--guest-files", gf}, 120s);
    INFO("show out:\n" << r.out << "\nerr:\n" << r.err);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(contains(r.out, "not read"));
    CHECK(contains(r.out, "192.0.2.77/24"));  // the guest's ifcfg-ens9, read without exec
    CHECK(contains(r.out, "were not looked for"));  // what it could not list
    MESSAGE("show with guest-exec blocked in the guest:\n" << r.out);
  }
}

TEST_CASE("agent source errors: shut off guest, no agent channel, agent not answering" *
          doctest::test_suite("agent")) {
  MVT_REQUIRE_LAB();
  std::string why;
  auto image = lab::guest_image(&why);
  if (!image) {
    MESSAGE("SKIPPED (system test): " << why);
    return;
  }
  auto hv = lab::connect();

  auto expect = [](lab::LabGuest& g, Failure f, const std::string& text) {
    auto a = g.agent();
    try {
      a.ping(std::chrono::seconds(2));
      FAIL("the agent call succeeded");
    } catch (const AgentCallError& e) {
      MESSAGE(g.name() << ": " << std::string(e.what()));
      CHECK(e.failure() == f);
      CHECK(contains(e.what(), text));
      CHECK(contains(e.what(), g.name()));
    }
  };

  {
    lab::LabDomainOptions o;
    o.what = "shutoff";
    lab::LabGuest g(*hv, o, *image, /*start=*/false);
    expect(g, Failure::NotRunning, "not running");
  }
  {
    lab::LabDomainOptions o;
    o.what = "nochannel";
    o.agent_channel = false;
    lab::LabGuest g(*hv, o, *image);
    expect(g, Failure::NoChannel, "org.qemu.guest_agent.0");
  }
  {
    lab::LabDomainOptions o;
    o.what = "noagent";
    o.start_agent = false;
    lab::LabGuest g(*hv, o, *image);
    const auto t0 = std::chrono::steady_clock::now();
    expect(g, Failure::NotAnswering, "not answering");
    CHECK(std::chrono::steady_clock::now() - t0 < 20s);
  }
}
