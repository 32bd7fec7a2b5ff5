#pragma once
// Base64 (RFC 4648, with padding) for byte-exact file images inside the JSON journal:
// JSON strings must be UTF-8, file bytes need not be.
#include <optional>
#include <string>
#include <string_view>

namespace mvt::apply {

std::string base64_encode(std::string_view bytes);
// nullopt on malformed input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mvt::apply
