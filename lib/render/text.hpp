#pragma once
// Human rendering of a plan (Terraform-like): steps grouped by host, each with its symbol
// (+ create, ~ update, - delete, -/+ replace, ! activate, = verify), target, what it does,
// field-level before -> after, dependencies and why; then warnings and the summary line.
// Colour (ANSI) only when asked; the caller decides (colour_wanted()).
#include <string>

#include "render/plan_view.hpp"

namespace mvt::render {

struct TextOptions {
  bool color = false;
  bool verbose = false;  // -v: every warning, not merged (plan_warning_lines)
};

std::string render_text(const PlanView& v, const TextOptions& o = {});

// --color auto|always|never: always -> true, never -> false, auto -> a terminal and no
// NO_COLOR (any non-empty value). Pure: the caller passes isatty() and the variable.
bool colour_wanted(const std::string& option, bool is_terminal, const char* no_color_env);

// A value as the renderers show it: JSON-style double-quoted, or "(absent)" for nullopt.
std::string show_value(const std::optional<std::string>& v);

}  // namespace mvt::render
