#include <doctest/doctest.h>

#include <filesystem>
#include <regex>
#include <string>

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

TEST_CASE("test harness: no test name holds a semicolon (CTest would split it and run nothing)" *
          doctest::test_suite("unit")) {
  // doctest_discover_tests passes each name through a CMake list: a ';' cuts it into two
  // CTest entries whose --test-case filters match no test, and both "pass" having run
  // nothing (22 test cases were silently skipped in CI that way).
  const std::regex test_case(R"re(TEST_CASE\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+))re");
  int names = 0;
  for (const char* dir : {"tests/unit", "tests/system"}) {
    for (const auto& e : std::filesystem::directory_iterator(mvt::test::source_dir() / dir)) {
      if (e.path().extension() != ".cpp") continue;
      const std::string text = mvt::test::read_file(e.path());
      for (std::sregex_iterator it(text.begin(), text.end(), test_case), end; it != end; ++it) {
        ++names;
        CAPTURE(e.path().filename().string());
        CAPTURE((*it)[1].str());
        CHECK((*it)[1].str().find(';') == std::string::npos);
      }
    }
  }
  CHECK(names > 200);
}
