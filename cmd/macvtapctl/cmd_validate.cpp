// Placeholder registration until the validate subcommand lands; it refuses to run.
#include <iostream>

#include "commands.hpp"

namespace mvt::cli {

void add_validate(CLI::App& app, GlobalOptions&, int* rc) {
  auto* sub = app.add_subcommand("validate", "(not available yet)");
  sub->allow_extras();
  sub->callback([rc] {
    std::cerr << "macvtapctl: 'validate' is not available in this build\n";
    *rc = 1;
  });
}

}  // namespace mvt::cli
