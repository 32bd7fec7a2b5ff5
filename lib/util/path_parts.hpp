#pragma once
// Splits a path at '/' into its components, dropping empty ones and "." ("a//./b/" -> a, b);
// ".." is kept, for the caller to refuse or to walk. Shared by the no-follow walks (spec
// loader, trust guard, dir: sources).
#include <string>
#include <vector>

namespace mvt {

inline std::vector<std::string> path_components(const std::string& path) {
  std::vector<std::string> parts;
  for (std::size_t start = 0; start <= path.size();) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    start = end + 1;
  }
  return parts;
}

}  // namespace mvt
