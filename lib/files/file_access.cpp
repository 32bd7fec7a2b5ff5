#include "files/file_access.hpp"

#include "util/errors.hpp"

namespace mvt {

CommandResult FileAccess::run(const std::vector<std::string>& /*argv*/,
                              std::chrono::milliseconds /*timeout*/) {
  throw AccessError(describe() + " cannot run commands");
}

}  // namespace mvt
