// Placeholder registration until the show subcommand lands; it refuses to run.
#include <iostream>

#include "commands.hpp"

namespace mvt::cli {

void add_show(CLI::App& app, GlobalOptions&, int* rc) {
  auto* sub = app.add_subcommand("show", "(not available yet)");
  sub->allow_extras();
  sub->callback([rc] {
    std::cerr << "macvtapctl: 'show' is not available in this build\n";
    *rc = 1;
  });
}

}  // namespace mvt::cli
