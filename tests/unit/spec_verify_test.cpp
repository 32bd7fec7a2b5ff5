// The spec key `verify: {reach: true | warn | false}` (issue 13.4), per guest and per
// interface: loaded into the model (the interface's wins, default true), bad values named
// with file:line:col (more cases, through the real binary and the JSON schema, in
// tests/data/spec-bad/86..88 and spec-good/verify-reach.yaml), and round-tripped by `show`'s
// YAML writer.
#include <doctest/doctest.h>

#include <filesystem>

#include "model/observed.hpp"
#include "observe/show_yaml.hpp"
#include "spec/loader.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;

namespace {

std::string dump(const Diagnostics& d) {
  std::string s;
  for (const auto& x : d.items()) s += format_diagnostic(x) + "\n";
  return s;
}

const GuestInterface& iface(const Guest& g, const std::string& name) {
  for (const auto& i : g.interfaces)
    if (i.name == name) return i;
  FAIL("no interface " << name);
  return g.interfaces.front();
}

}  // namespace

TEST_CASE("spec: verify.reach per guest and interface, the interface's wins" *
          doctest::test_suite("spec")) {
  const fs::path file = test::source_dir() / "tests/data/spec-good/verify-reach.yaml";
  const auto r = spec::load({file.string()});
  INFO(dump(r.diagnostics));
  REQUIRE_FALSE(r.diagnostics.has_errors());
  const Guest& g = r.topology.hosts.at("kvm1").guests.at("web1");
  CHECK(g.verify.reach == ReachPolicy::Warn);
  CHECK(iface(g, "ens9").verify.reach == ReachPolicy::Skip);
  CHECK(iface(g, "ens8").verify.reach == ReachPolicy::Check);
  CHECK_FALSE(iface(g, "ens7").verify.reach);
  CHECK(reach_policy(g, iface(g, "ens9")) == ReachPolicy::Skip);
  CHECK(reach_policy(g, iface(g, "ens8")) == ReachPolicy::Check);
  CHECK(reach_policy(g, iface(g, "ens7")) == ReachPolicy::Warn);  // the guest's
  // Positions for later messages: the value's line and column.
  CHECK(g.pos.at("verify.reach").line == 16);
  CHECK(iface(g, "ens9").pos.at("verify.reach").line == 23);
  CHECK(iface(g, "ens9").pos.at("verify.reach").column == 29);

  // Unset everywhere: true (checked).
  Guest plain;
  GuestInterface i;
  CHECK(reach_policy(plain, i) == ReachPolicy::Check);
}

TEST_CASE("spec: a bad verify.reach is an error at its file:line:col, with a suggestion" *
          doctest::test_suite("spec")) {
  test::TempDir t;
  const fs::path f = t.path() / "spec.yaml";
  test::write_file(f, "version: 1\n"
                      "hosts:\n"
                      "  kvm1:\n"
                      "    uri: qemu:///system\n"
                      "    guests:\n"
                      "      web1:\n"
                      "        verify:\n"
                      "          reach: warnn\n"
                      "        interfaces:\n"
                      "          - {name: eth0, network: default, verify: {reach: 1}}\n");
  const auto r = spec::load({f.string()});
  const std::string out = dump(r.diagnostics);
  INFO(out);
  CHECK(r.diagnostics.has_errors());
  CHECK(out.find(f.string() + ":8:18: error: 'verify.reach' must be true, warn or false, got a "
                              "string 'warnn' (did you mean 'warn'?)") != std::string::npos);
  CHECK(out.find(f.string() + ":10:60: error: 'verify.reach' must be true, warn or false, got an "
                              "integer '1'") != std::string::npos);
  // `verify` where it does not belong: told where it does.
  test::write_file(f, "version: 1\nhosts:\n  kvm1:\n    uri: qemu:///system\n"
                      "    verify: {reach: false}\n");
  const auto h = spec::load({f.string()});
  INFO(dump(h.diagnostics));
  CHECK(dump(h.diagnostics).find(f.string() + ":5:5: error: unknown key 'verify' in host 'kvm1' "
                                 "('verify' belongs in a guest or an interface)") !=
        std::string::npos);
}

TEST_CASE("spec: show's YAML writer keeps verify.reach, and it loads back the same" *
          doctest::test_suite("spec")) {
  const auto r = spec::load(
      {(test::source_dir() / "tests/data/spec-good/verify-reach.yaml").string()});
  REQUIRE_FALSE(r.diagnostics.has_errors());
  const std::string yaml = show_yaml(r.topology, Observation{});
  INFO(yaml);
  CHECK(yaml.find("verify: {reach: warn}") != std::string::npos);
  CHECK(yaml.find("verify: {reach: false}") != std::string::npos);
  CHECK(yaml.find("verify: {reach: true}") != std::string::npos);
  test::TempDir t;
  const fs::path f = t.path() / "shown.yaml";
  test::write_file(f, yaml);
  const auto back = spec::load({f.string()});
  INFO(dump(back.diagnostics));
  REQUIRE_FALSE(back.diagnostics.has_errors());
  const Guest& g = back.topology.hosts.at("kvm1").guests.at("web1");
  CHECK(g.verify.reach == ReachPolicy::Warn);
  CHECK(iface(g, "ens9").verify.reach == ReachPolicy::Skip);
  CHECK(iface(g, "ens8").verify.reach == ReachPolicy::Check);
  CHECK_FALSE(iface(g, "ens7").verify.reach);
}
