#pragma once
// Process runner for the ifcfg tests (argv only, never a shell string).
//
// Why not mvt::test::run(): in this tree it reports about 40 % of fast-exiting children as
// "timed out" (exit_code -1): after io_context::run_for() returns, child::running() can still
// be true for a child whose pipes are closed but whose exit was consumed by the SIGCHLD
// handler. Reported to the lead; this runner waits on the child itself.
#include <string>
#include <vector>

#include "test_support.hpp"

namespace mvt::ifcfg_test {

// Runs argv with stdin from /dev/null; captures stdout and stderr. Bounded: the child is
// killed when its stdout stays open 30 s (exit_code -1, err "timed out").
test::RunResult run_argv(const std::vector<std::string>& argv);

}  // namespace mvt::ifcfg_test
