#include "plan/plan_file.hpp"

#include "plan/plan_json.hpp"
#include "util/hash.hpp"

namespace mvt::plan {
namespace {

struct TooDeep {};

}  // namespace

// sha256 of the canonical JSON (sorted keys, compact) of j without "integrity".
std::string integrity_of(const Json& j) {
  nlohmann::json canonical = nlohmann::json::parse(j.dump());
  canonical.erase("integrity");
  return sha256_hex(canonical.dump());
}

std::string save_plan(const Plan& p) {
  Json j;
  j["kind"] = kPlanFileKind;
  const Json body = plan_to_json(p);  // named: items() of a temporary would dangle
  for (const auto& [k, v] : body.items()) j[k] = v;
  j["format_version"] = kPlanFormatVersion;
  j["integrity"] = integrity_of(j);
  return j.dump(2) + "\n";
}

std::optional<Plan> load_plan(std::string_view text, const std::string& origin,
                              Diagnostics& diags) {
  const SourcePos pos{origin, 0, 0};
  if (text.size() > kMaxPlanFileBytes) {
    diags.error(pos, "planfile.too-large",
                "plan file is " + std::to_string(text.size()) + " bytes; a plan file is at most " +
                    std::to_string(kMaxPlanFileBytes) + " bytes");
    return std::nullopt;
  }
  Json j;
  try {
    // Bounded nesting: dump() (integrity) and the readers recurse.
    j = Json::parse(text, [](int depth, nlohmann::json::parse_event_t, Json&) {
      if (depth > kMaxPlanDepth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    diags.error(pos, "planfile.too-deep",
                "not a plan file: JSON nested deeper than " + std::to_string(kMaxPlanDepth) +
                    " levels");
    return std::nullopt;
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range 406 for a number beyond double (`1e999`): both are
    // a file that is not a plan this tool wrote (found by fuzz_plan_file).
    diags.error(pos, "planfile.not-json", std::string("not a JSON plan file: ") + e.what());
    return std::nullopt;
  }
  if (!j.is_object() || !j.contains("kind") || j["kind"] != kPlanFileKind) {
    diags.error(pos, "planfile.not-plan",
                "not a macvtapctl plan file (no \"kind\": \"" + std::string(kPlanFileKind) +
                    "\")");
    return std::nullopt;
  }
  auto fv = j.find("format_version");
  if (fv == j.end() || !fv->is_number_integer()) {
    diags.error(pos, "planfile.format-version", "plan file has no integer format_version");
    return std::nullopt;
  }
  if (fv->get<long long>() != kPlanFormatVersion) {
    diags.error(pos, "planfile.format-version",
                "plan file has format_version " + std::to_string(fv->get<long long>()) +
                    "; this macvtapctl reads format_version " +
                    std::to_string(kPlanFormatVersion) + ": make the plan again with it");
    return std::nullopt;
  }
  auto integ = j.find("integrity");
  if (integ == j.end() || !integ->is_string()) {
    diags.error(pos, "planfile.integrity", "plan file has no integrity digest");
    return std::nullopt;
  }
  if (integ->get<std::string>() != integrity_of(j)) {
    diags.error(pos, "planfile.integrity",
                "plan file is corrupted or was edited after it was written (integrity digest "
                "mismatch); make a new plan instead of editing one");
    return std::nullopt;
  }
  try {
    return plan_from_json(j, origin, diags);
  } catch (const nlohmann::json::exception& e) {
    // Defence in depth: plan_from_json checks every type it reads; a value it still cannot
    // take is a refused file, not a crash.
    diags.error(pos, "planfile.invalid", std::string("plan file is not valid: ") + e.what());
    return std::nullopt;
  }
}

}  // namespace mvt::plan
