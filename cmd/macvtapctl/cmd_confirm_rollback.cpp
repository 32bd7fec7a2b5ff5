// Placeholder registration until the apply subcommand lands; it refuses to run.
#include <iostream>

#include "commands.hpp"

namespace mvt::cli {

void add_confirm_rollback(CLI::App& app, GlobalOptions&, int* rc) {
  auto* sub = app.add_subcommand("confirm", "(not available yet)");
  sub->allow_extras();
  sub->callback([rc] {
    std::cerr << "macvtapctl: 'confirm' is not available in this build\n";
    *rc = 1;
  });
}

}  // namespace mvt::cli
