#include <doctest/doctest.h>

#include "test_support.hpp"

// Regression: the harness once reported ~40 % of fast-exiting children as timed out.
TEST_CASE("test harness: fast children are never misreported" * doctest::test_suite("harness")) {
  for (int i = 0; i < 50; ++i) {
    auto r = mvt::test::run({"/bin/sh", "-c", "echo hi; echo err >&2; exit 3"});
    REQUIRE(r.exit_code == 3);
    CHECK(r.out == "hi\n");
    CHECK(r.err == "err\n");
  }
  auto r = mvt::test::run({"/bin/cat"}, "piped input");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "piped input");
}
