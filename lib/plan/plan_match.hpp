#pragma once
// A saved plan is a commitment, not a program: `apply PLANFILE` recomputes the plan and runs
// only when the saved steps equal the recomputed ones, then executes the recomputed steps.
// Equality is over each step's JSON encoding (plan_json.hpp), field by field, so every
// member an executed step uses (ids, hosts, targets, kinds, guests, paths, contents, modes,
// interface XML, methods, dependencies) and what the reviewer read (changes, reason) counts.
#include <optional>
#include <string>

#include "plan/plan.hpp"

namespace mvt::plan {

// Nullopt when saved.steps equal fresh.steps. Otherwise the first difference, e.g.
// "step 3 (write-file guest web1 /etc/sysconfig/network-scripts/ifcfg-ens9): content differs";
// a step only the file has: "...: not produced by the spec"; one it lacks: "...: missing from
// the plan file". Control characters of file values are escaped (\xNN).
std::optional<std::string> first_step_difference(const Plan& saved, const Plan& fresh);

}  // namespace mvt::plan
