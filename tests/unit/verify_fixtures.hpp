#pragma once
// The guest whose agent replies and host facts were captured into tests/fixtures/verify
// (the procedure's two macvtap interfaces, lab addresses), shared by the verification tests.
#include <string>

#include "diff_fixtures.hpp"
#include "test_support.hpp"

namespace mvt::test {

inline std::string verify_fixture(const std::string& name) {
  return read_file(source_dir() / "tests/fixtures/verify" / name);
}

inline GuestInterface captured_direct(const char* name, const char* nic, const char* m,
                                      const char* addr, const char* gw, bool defroute) {
  GuestInterface i = direct_if(name, nic, MacvtapMode::Private, std::string(m));
  i.ip.ipv4 = static_ip(addr, gw);
  i.ip.defroute = defroute;
  return i;
}

inline Guest captured_guest() {
  Guest g;
  g.name = "mvt-capture-apply";
  g.guest_files.kind = FileSourceKind::Agent;
  // As the lab seed spec: the apply restarts its network, so every check is live (with the
  // model's default, activate: none, the checks a changed guest waits for are pending).
  g.activate = Activate::RestartNetwork;
  g.interfaces.push_back(
      captured_direct("ens9", "em2", "52:54:00:c0:ff:09", "192.0.2.84/24", "192.0.2.1", true));
  auto ens8 = captured_direct("ens8", "em1", "52:54:00:c0:ff:08", "198.51.100.15/24",
                              "198.51.100.1", false);
  ens8.ip.routes = std::vector<Route>{{*Cidr::parse("203.0.113.128/25"), *Ipv4::parse("198.51.100.1")}};
  g.interfaces.push_back(ens8);
  return g;
}

}  // namespace mvt::test
