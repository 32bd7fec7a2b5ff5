#pragma once
// The plan as JSON (nlohmann): one encoding shared by `plan --format json`, `drift --format
// json` and saved plan files, described by schemas/plan.schema.json (draft 2020-12).
// Objects keep a fixed key order (nlohmann::ordered_json) so output is byte-stable.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "plan/plan.hpp"
#include "util/diagnostics.hpp"

namespace mvt::plan {

using Json = nlohmann::ordered_json;

Json step_to_json(const Step& s);
// Keys: format_version, spec_digest, fingerprint, steps, warnings, hosts (every host's
// status: observed, or unobserved with its URI and the error).
Json plan_to_json(const Plan& p);

std::optional<Action> parse_action(const std::string& s);
std::optional<OpKind> parse_op_kind(const std::string& s);
std::optional<ActivationMethod> parse_activation_method(const std::string& s);
std::string to_string(FileScope s);  // "host" | "guest"

// Reads what plan_to_json wrote. Bad or missing members -> diagnostics (file = origin),
// nullopt. Does not check format_version (plan_file does).
std::optional<Plan> plan_from_json(const Json& j, const std::string& origin, Diagnostics& diags);

}  // namespace mvt::plan
