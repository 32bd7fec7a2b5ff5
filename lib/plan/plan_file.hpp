#pragma once
// Saved plans (`plan -o PLANFILE`, `apply PLANFILE`): the plan JSON (plan_json.hpp) plus
//  - "kind": "macvtapctl-plan",
//  - "integrity": sha256 over the canonical form of everything else (the JSON re-serialized
//    with sorted keys and no whitespace), so reformatting is harmless but any edited value
//    is refused. Not a signature: it catches hand edits and corruption, not an attacker;
//    `apply PLANFILE` trusts no step of the file (plan_match.hpp).
// Pure: callers read and write the bytes (atomically).
#include <optional>
#include <string>
#include <string_view>

#include "plan/plan.hpp"
#include "plan/plan_json.hpp"
#include "util/diagnostics.hpp"

namespace mvt::plan {

inline constexpr int kPlanFormatVersion = 1;
inline constexpr const char* kPlanFileKind = "macvtapctl-plan";

// The file's bytes: pretty JSON (2-space indent) and a final newline.
std::string save_plan(const Plan& p);

// A plan file is untrusted input: bounded before it is parsed (bytes) and while (nesting;
// a real plan nests 5 deep). Beyond either: refused, never a crash or an exhausted machine.
inline constexpr std::size_t kMaxPlanFileBytes = std::size_t{256} << 20;
inline constexpr int kMaxPlanDepth = 32;

// The integrity digest of a plan file's JSON (sha256 of its canonical form without
// "integrity"). Anyone can recompute it: it detects corruption, it proves nothing.
std::string integrity_of(const Json& j);

// Parses a saved plan. Refuses (diagnostics, nullopt): not JSON, not a plan file, another
// format_version (says which one it reads), an integrity mismatch ("corrupted"), invalid
// members or types, more than kMaxPlanFileBytes, deeper than kMaxPlanDepth.
// origin: the file name, for messages.
std::optional<Plan> load_plan(std::string_view text, const std::string& origin,
                              Diagnostics& diags);

}  // namespace mvt::plan
