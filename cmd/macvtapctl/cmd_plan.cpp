// Placeholder registration until the plan subcommand lands; it refuses to run.
#include <iostream>

#include "commands.hpp"

namespace mvt::cli {

void add_plan(CLI::App& app, GlobalOptions&, int* rc) {
  auto* sub = app.add_subcommand("plan", "(not available yet)");
  sub->allow_extras();
  sub->callback([rc] {
    std::cerr << "macvtapctl: 'plan' is not available in this build\n";
    *rc = 1;
  });
}

}  // namespace mvt::cli
