#pragma once
// FakeAgentHv: a Hypervisor with one running domain (mvt-capture-apply) whose guest agent
// answers guest-ping, guest-network-get-interfaces, guest-exec and guest-exec-status with the
// JSON captured from the lab guest (tests/fixtures/verify). A fake, not the real agent: a
// unit test cannot boot a guest (the real agent is exercised by tests/system/); it lets the
// verification tests change one reply (a route, a silent gateway, a refused guest-exec).
// VerifyRig: the captured guest's spec, its backends and fast VerifyOptions over it.
#include <nlohmann/json.hpp>
#include <set>

#include "apply/base64.hpp"
#include "apply/verify.hpp"
#include "files/agent_source.hpp"
#include "stub_hypervisor.hpp"
#include "verify_fixtures.hpp"

namespace mvt::test {

using json = nlohmann::json;

// A hypervisor with one domain whose guest agent answers from canned replies.
class FakeAgentHv : public StubHypervisor {
 public:
  bool running = true;
  bool channel = true;
  bool refuse_exec = false;
  std::string routes = verify_fixture("guest-ip-route.json");
  std::string routes6 = verify_fixture("guest-ip6-route.json");  // `ip -j -6 route ...`
  std::string nics = verify_fixture("guest-network-get-interfaces.json");
  std::set<std::string> unreachable;  // ping targets that do not answer
  std::vector<std::vector<std::string>> execs;  // argv of every guest-exec

  std::vector<DomainSummary> list_domains() override {
    return {{"mvt-capture-apply", "uuid", running, running ? "running" : "shut off"}};
  }

  std::string agent_command(const std::string&, const std::string& text,
                            std::chrono::seconds) override {
    if (!running) throw LibvirtError("Requested operation is not valid: domain is not running", 55);
    if (!channel) throw LibvirtError("argument unsupported: QEMU guest agent is not configured", 0);
    const json req = json::parse(text);
    const std::string cmd = req.at("execute");
    if (cmd == "guest-ping") return R"({"return":{}})";
    if (cmd == "guest-network-get-interfaces") return R"({"return":)" + nics + "}";
    if (cmd == "guest-exec") {
      if (refuse_exec)
        throw LibvirtError("internal error: unable to execute QEMU agent command 'guest-exec': "
                           "Command guest-exec has been disabled",
                           1);
      std::vector<std::string> argv{req["arguments"]["path"]};
      for (const auto& a : req["arguments"]["arg"]) argv.push_back(a);
      execs.push_back(argv);
      return R"({"return":{"pid":)" + std::to_string(execs.size()) + "}}";
    }
    if (cmd == "guest-exec-status") {
      const auto& argv = execs.at(req["arguments"]["pid"].get<std::size_t>() - 1);
      json st = {{"exited", true}, {"exitcode", 0}};
      if (argv[0] == "ip")
        st["out-data"] = apply::base64_encode(argv.size() > 2 && argv[2] == "-6" ? routes6 : routes);
      if (argv[0] == "ping" && unreachable.count(argv.back())) st["exitcode"] = 1;
      return json{{"return", st}}.dump();
    }
    throw LibvirtError("unexpected agent command " + cmd, 0);
  }
};

inline Host captured_host() {
  Host h;
  h.name = "kvm1";
  h.uri = "qemu:///system";
  const Guest g = test::captured_guest();
  h.guests[g.name] = g;
  return h;
}

struct VerifyRig {
  FakeAgentHv hv;
  AgentSource agent{hv, "mvt-capture-apply"};
  Host spec = captured_host();
  apply::HostBackends b;
  apply::VerifyOptions o;
  VerifyRig() {
    b.hypervisor = &hv;
    b.guest_files["mvt-capture-apply"] = &agent;
    b.sources.uri = "qemu:///system";
    o.attempts = 2;
    o.interval = std::chrono::milliseconds(1);
    o.agent_wait = std::chrono::milliseconds(10);
    o.host_links = [](std::string&) -> std::optional<std::string> {
      return verify_fixture("host-ip-link.json");
    };
  }
  std::vector<std::string> run() {
    std::vector<std::string> out;
    for (const auto& l : apply::verify_guests(spec, b, o).lines) out.push_back(l.str());
    return out;
  }
};

}  // namespace mvt::test
