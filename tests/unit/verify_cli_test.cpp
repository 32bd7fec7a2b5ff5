// `macvtapctl apply` prints its verification (lib/apply/verify.hpp) on the embedded lab
// (a temp copy of specs/lab over libvirt's test:/// driver): web1's files are dir:, so its
// guest checks are skipped with the reason, printed, and the apply still succeeds. The
// passing and failing checks on a real guest are in tests/system/e2e_procedure_test.cpp.
#include <doctest/doctest.h>

#include <filesystem>

#include "apply_test_support.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;

TEST_CASE("apply prints the verification, a guest whose files are not agent-sourced is skipped "
          "with the reason" * doctest::test_suite("verify")) {
  test::TempDir t;
  const fs::path lab = t.path() / "lab";
  fs::copy(test::source_dir() / "specs" / "lab", lab, fs::copy_options::recursive);
  const auto r = test::run_tool_env({"--state-dir", (t.path() / "state").string(), "--color",
                                     "never", "apply", "--yes", "-f",
                                     (test::source_dir() / "specs" / "seed.yaml").string(), "-f",
                                     (lab / "seed-lab.yaml").string()});
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\nVerification:\n  verify guest web1: skipped: guest_files is dir:" +
                   (lab / "guest-web1").string() +
                   ", not agent: its live interfaces and routes are read only through the guest "
                   "agent\n") != std::string::npos);
  CHECK(r.out.find("FAILED") == std::string::npos);
}
