// Placeholder registration until the apply subcommand lands; it refuses to run.
#include <iostream>

#include "commands.hpp"

namespace mvt::cli {

void add_apply(CLI::App& app, GlobalOptions&, int* rc) {
  auto* sub = app.add_subcommand("apply", "(not available yet)");
  sub->allow_extras();
  sub->callback([rc] {
    std::cerr << "macvtapctl: 'apply' is not available in this build\n";
    *rc = 1;
  });
}

}  // namespace mvt::cli
