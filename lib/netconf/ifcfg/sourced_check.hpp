#pragma once
// Issue 12: a file the tool would manage must be one bash reads as plain assignments, since
// network-scripts source it. `who` names it for messages ("host kvm1: guest web1: ifcfg-eth1"),
// `have` is the observed file (nullptr: absent), `after` the content the plan would write
// (nullptr: unchanged). Every statement that makes sourcing do more than assign values
// (ifcfg::Problem::refuse: `readonly`, `declare`, `export`, `unset`, `set`, `return`, `.`, a
// function, any other command, operators, unterminated quotes, ${X:=v}) is an error at its
// line ("file.not-assignments"): returns false, and the file must not be managed. A command
// substitution that stays in the file (a key the spec does not manage) is a warning at its
// line ("file.runs-command"). A route file is checked only when ifup-routes sources it (a line
// starting with ADDRESSn=); its ip-route lines are read, not sourced.
#include <string>

#include "model/observed.hpp"
#include "util/diagnostics.hpp"

namespace mvt::ifcfg {

bool sourced_check(const std::string& who, const FileState* have, bool route, Diagnostics& diags);
void command_warnings(const std::string& who, const FileState* have, const std::string* after,
                      bool route, Diagnostics& diags);

}  // namespace mvt::ifcfg
