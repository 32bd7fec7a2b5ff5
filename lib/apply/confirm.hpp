#pragma once
// `macvtapctl confirm` talks to an `apply --try` waiting in another process through the
// state dir: it writes HOST.confirm holding the apply id of every journal whose status is
// "trying"; the waiting apply polls for it.
#include <filesystem>
#include <string>
#include <vector>

namespace mvt::apply {

struct Confirmed {
  std::string host;
  std::string apply_id;
};

// Confirms every trying apply in the state dir (only those of `hosts` when not empty);
// empty when none is waiting.
std::vector<Confirmed> confirm_trying(const std::filesystem::path& state_dir,
                                      const std::vector<std::string>& hosts = {});

// Whether HOST.confirm holds apply_id.
bool is_confirmed(const std::filesystem::path& state_dir, const std::string& host,
                  const std::string& apply_id);

// Removes HOST.confirm (after the waiting apply saw it).
void clear_confirm(const std::filesystem::path& state_dir, const std::string& host);

}  // namespace mvt::apply
