#pragma once
// Timing helpers: wall clock of a callable, a child process measured from spawn to exit
// (process start included) with its peak RSS from wait4's rusage, and medians.
#include <functional>
#include <string>
#include <vector>

namespace mvt::bench {

double seconds_of(const std::function<void()>& f);  // steady clock

struct ChildResult {
  double wall_s = 0;
  long max_rss_kb = 0;  // rusage.ru_maxrss of the child
  int exit_code = -1;   // 128 + signal when killed
  double cpu_s = 0;     // user + system time of the child (its threads included)
};
// Spawns argv (argv[0] searched in PATH when it has no '/'), stdin from /dev/null, stdout and
// stderr to the given files ("" = /dev/null). Throws std::runtime_error when it cannot spawn.
ChildResult run_child(const std::vector<std::string>& argv, const std::string& stdout_path = "",
                      const std::string& stderr_path = "");

double median(std::vector<double> v);
long median(std::vector<long> v);

}  // namespace mvt::bench
