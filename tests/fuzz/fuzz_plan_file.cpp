// Fuzz target: the saved-plan loader. Anything that is not an intact plan file must be
// refused with diagnostics; an accepted plan must survive save -> load unchanged in meaning.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "plan/plan_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  mvt::Diagnostics diags;
  auto plan = mvt::plan::load_plan(text, "fuzz.plan.json", diags);
  if (!plan) {
    if (!diags.has_errors()) std::abort();  // refused without saying why
    return 0;
  }
  const std::string saved = mvt::plan::save_plan(*plan);
  mvt::Diagnostics again;
  auto reloaded = mvt::plan::load_plan(saved, "resaved", again);
  if (!reloaded || mvt::plan::save_plan(*reloaded) != saved) std::abort();
  return 0;
}
