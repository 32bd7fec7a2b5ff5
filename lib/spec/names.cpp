#include "spec/names.hpp"

namespace mvt::spec {
namespace {
bool is_space_or_control(unsigned char c) {
  return c < 0x20 || c == 0x7f || c == ' ';
}
}  // namespace

std::optional<std::string> object_name_problem(const std::string& n) {
  if (n.empty()) return "is empty";
  if (n.front() == '-') return "starts with '-'";
  if (n.find('/') != std::string::npos) return "contains '/'";
  if (n.find("..") != std::string::npos) return "contains '..'";
  for (unsigned char c : n)
    if (is_space_or_control(c)) return "contains whitespace or a control character";
  return std::nullopt;
}

std::optional<std::string> ifname_problem(const std::string& n) {
  if (n.empty()) return "is empty";
  if (n.size() > 15) return "is longer than 15 characters (Linux IFNAMSIZ)";
  if (n == ".") return "is '.'";
  if (n.front() == '-') return "starts with '-'";
  if (n.find('/') != std::string::npos) return "contains '/'";
  if (n.find(':') != std::string::npos) return "contains ':'";
  if (n.find("..") != std::string::npos) return "contains '..'";
  for (unsigned char c : n)
    if (is_space_or_control(c)) return "contains whitespace or a control character";
  return std::nullopt;
}

}  // namespace mvt::spec
