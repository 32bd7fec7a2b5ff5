// Placeholder registration until the drift subcommand lands; it refuses to run.
#include <iostream>

#include "commands.hpp"

namespace mvt::cli {

void add_drift(CLI::App& app, GlobalOptions&, int* rc) {
  auto* sub = app.add_subcommand("drift", "(not available yet)");
  sub->allow_extras();
  sub->callback([rc] {
    std::cerr << "macvtapctl: 'drift' is not available in this build\n";
    *rc = 1;
  });
}

}  // namespace mvt::cli
