// Issue 17, point 1: the benchmark's realistic shape (tests/bench/bench_topology.hpp) is what
// it says - planned through the binary over libvirt's test driver, its ~15 % of pending
// guests give exactly the changes the generator put there (a file update for i % 10 == 0, a
// define-interface for i % 20 == 5), its `config: host` NIC gives a warning per guest
// interface on it, its keyfile guests plan nothing, and the clean shape plans nothing at all.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "../bench/bench_topology.hpp"
#include "test_support.hpp"

using namespace mvt;
using namespace mvt::test;
namespace fs = std::filesystem;

namespace {

constexpr int kGuests = 40;

RunResult plan_of(const bench::Shape& shape, const TempDir& dir) {
  const fs::path node = dir.path() / "node.xml";
  write_file(node, bench::test_node_xml(0, shape));
  const auto files = bench::write_fixture(dir.path(), shape, {"test://" + node.string()}, 0);
  return run_tool({"plan", "-f", files.spec.string(), "--format", "json", "--detailed-exitcode"});
}

}  // namespace

TEST_CASE("bench: the realistic shape plans the changes and warnings it was built with, the "
          "clean one nothing" * doctest::test_suite("bench")) {
  {
    TempDir dir;
    const auto r = plan_of(bench::Shape{1, kGuests, 3, false}, dir);
    INFO(r.err);
    CHECK(r.exit_code == 0);
  }
  TempDir dir;
  const bench::Shape shape{1, kGuests, 3, true};
  const auto r = plan_of(shape, dir);
  INFO(r.err);
  REQUIRE(r.exit_code == 2);
  const auto j = nlohmann::json::parse(r.out);
  std::map<std::string, int> kinds;  // "guest op-kind"
  for (const auto& s : j.at("steps")) {
    const auto& op = s.at("operation");
    if (op.at("kind") == "verify") continue;
    kinds[op.value("guest", std::string()) + " " + op.at("kind").get<std::string>()]++;
  }
  std::map<std::string, int> want;
  int pending = 0;
  for (int i = 0; i < kGuests; ++i) {
    CHECK(bench::pending_change(i, shape) == (i % 10 == 0 || i % 20 == 5));
    if (bench::pending_change(i, shape)) ++pending;
    if (i % 10 == 0) want[bench::guest_name(i) + " write-file"] = 1;
    if (i % 20 == 5) want[bench::guest_name(i) + " define-interface"] = 1;
  }
  CHECK(pending == 6);  // 15 % of 40
  CHECK(kinds == want);
  // A warning for each guest interface on em1 (`config: host`): interface 1 of every guest,
  // interface 2 of the even ones.
  int shared = 0;
  for (int i = 0; i < kGuests; ++i) shared += 1 + (i % 2 == 0 ? 1 : 0);
  CHECK(contains(r.err, "(rule nic.host-shared-no-host-reach, " + std::to_string(shared) +
                            " times in " + std::to_string(kGuests) + " guests, the first here"));
  // The keyfile guests (i % 4 == 3) are read as keyfiles: their files are profiles.
  CHECK(fs::exists(dir.path() / "guests" / bench::guest_name(3) /
                   "etc/NetworkManager/system-connections/ens3.nmconnection"));
  CHECK_FALSE(fs::exists(dir.path() / "guests" / bench::guest_name(3) /
                         "etc/sysconfig/network-scripts/ifcfg-ens3"));
}
