#pragma once
// Markdown for pull-request comments: a title, the summary line, a table of steps (one row
// each: id, symbol, target, host, what, disruptive, why), then each step's field changes
// folded in <details> as a ```diff block, then warnings.
// Size: GitHub refuses comments over 65,536 characters. When the whole text would pass
// `limit`, step details are dropped from the last one backwards (then table rows) and a
// note says how many were left out and how to see everything.
#include <cstddef>
#include <string>

#include "render/plan_view.hpp"

namespace mvt::render {

inline constexpr std::size_t kMarkdownLimit = 65536;

struct MarkdownOptions {
  std::size_t limit = kMarkdownLimit;  // bytes (>= characters: a safe bound)
};

std::string render_markdown(const PlanView& v, const MarkdownOptions& o = {});

}  // namespace mvt::render
