#pragma once
// Hashes for identities and fingerprints: SHA-1 (UUID v5 only, RFC 4122) and SHA-256
// (MAC derivation, spec digests, plan fingerprints). Not for secrets.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace mvt {

std::array<std::uint8_t, 20> sha1(std::string_view data);
std::array<std::uint8_t, 32> sha256(std::string_view data);
std::string sha256_hex(std::string_view data);

// SHA-256 of data given in pieces: update(a); update(b) hashes as update(a + b), without
// the copy.
class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  std::array<std::uint8_t, 32> digest();  // once; the hasher is spent afterwards
  std::string hex();                      // digest() in lower-case hex

 private:
  std::uint32_t h_[8];
  std::uint8_t buf_[64];
  std::size_t buffered_ = 0;
  std::uint64_t total_ = 0;
};

// RFC 4122 name-based UUID, version 5, lower-case text form. `ns` is a UUID in text form.
std::string uuid_v5(std::string_view ns, std::string_view name);

// The namespace of every UUID macvtapctl generates (ifcfg UUID=).
inline constexpr std::string_view kUuidNamespace = "6f2b8c1e-3d4a-5b6c-9e7f-0a1b2c3d4e5f";

}  // namespace mvt
