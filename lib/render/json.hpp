#pragma once
// Machine rendering: the plan JSON (plan_json.hpp) with "kind" ("plan" | "drift") and a
// "summary" (counts, and drift per host and guest) - described by schemas/plan.schema.json.
// Pretty-printed (2 spaces), final newline, byte-stable. `warnings` holds the plan's own
// warnings (strings) then the spec's (objects: rule, message, file, line, column, count of
// occurrences merged, guests among them).
#include <string>

#include "plan/plan_json.hpp"
#include "render/plan_view.hpp"

namespace mvt::render {

plan::Json view_to_json(const PlanView& v);
std::string render_json(const PlanView& v);

}  // namespace mvt::render
