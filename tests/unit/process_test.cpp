#include <doctest/doctest.h>

#include <chrono>

#include "files/process.hpp"
#include "util/errors.hpp"

using namespace std::chrono_literals;

TEST_CASE("run_process captures stdout, stderr and the exit code" * doctest::test_suite("process")) {
  auto r = mvt::run_process({"sh", "-c", "printf out; printf err >&2; exit 3"}, 10s);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 3);
  CHECK(r.out == "out");
  CHECK(r.err == "err");
}

TEST_CASE("run_process passes arguments verbatim, never through a shell" * doctest::test_suite("process")) {
  auto r = mvt::run_process({"printf", "%s|", "a b", "$HOME", "'q'", ";rm -rf x"}, 10s);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "a b|$HOME|'q'|;rm -rf x|");
}

TEST_CASE("run_process drains large stdout and stderr together without deadlock" * doctest::test_suite("process")) {
  // 4 MiB on each stream: far beyond a pipe buffer, interleaved.
  auto r = mvt::run_process(
      {"sh", "-c", "head -c 4194304 /dev/zero | tr '\\0' o & head -c 4194304 /dev/zero | tr '\\0' e >&2; wait"},
      60s);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.size() == 4194304u);
  CHECK(r.err.size() == 4194304u);
  CHECK(r.out.find_first_not_of('o') == std::string::npos);
}

TEST_CASE("run_process feeds stdin" * doctest::test_suite("process")) {
  mvt::ProcessOptions o;
  o.timeout = 10s;
  o.input = "line1\nline2\n";
  auto r = mvt::run_process({"wc", "-l"}, o);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find('2') != std::string::npos);
}

TEST_CASE("run_process kills a child that outlives its timeout" * doctest::test_suite("process")) {
  auto r = mvt::run_process({"sh", "-c", "echo started; exec sleep 30"}, 300ms);
  CHECK(r.timed_out);
  CHECK(r.exit_code == -1);
  CHECK(r.out == "started\n");
  CHECK(r.elapsed < 5s);
}

TEST_CASE("run_process reports a signal as 128+N and env overrides" * doctest::test_suite("process")) {
  auto r = mvt::run_process({"sh", "-c", "kill -TERM $$"}, 10s);
  CHECK(r.exit_code == 128 + 15);
  mvt::ProcessOptions o;
  o.env["MVT_PROCESS_TEST"] = "v1";
  auto e = mvt::run_process({"sh", "-c", "printf %s \"$MVT_PROCESS_TEST\""}, o);
  CHECK(e.out == "v1");
}

TEST_CASE("run_process: a missing program is a SystemError" * doctest::test_suite("process")) {
  CHECK_THROWS_AS(mvt::run_process({"mvt-no-such-program-xyz"}, 5s), mvt::SystemError);
  CHECK_THROWS_AS(mvt::run_process({"/nonexistent/prog"}, 5s), mvt::SystemError);
  CHECK_THROWS_AS(mvt::run_process({}, 5s), mvt::SystemError);
}
