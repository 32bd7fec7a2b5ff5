#pragma once
// Machine rendering: the plan JSON (plan_json.hpp) with "kind" ("plan" | "drift") and a
// "summary" (counts, and drift per host and guest) - described by schemas/plan.schema.json.
// Pretty-printed (2 spaces), final newline, byte-stable.
#include <string>

#include "plan/plan_json.hpp"
#include "render/plan_view.hpp"

namespace mvt::render {

plan::Json view_to_json(const PlanView& v);
std::string render_json(const PlanView& v);

}  // namespace mvt::render
