#include "model/observed.hpp"

namespace mvt {

std::string to_string(NicInfoSource s) {
  switch (s) {
    case NicInfoSource::Libvirt: return "libvirt";
    case NicInfoSource::Files: return "files";
    case NicInfoSource::None: return "none";
  }
  return "none";
}

}  // namespace mvt
