#include "util/hash.hpp"

#include <algorithm>
#include <cstring>

namespace mvt {
namespace {

std::uint32_t rol(std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
std::uint32_t ror(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// Merkle–Damgård: calls block(p) for each 64-byte block of the padded message (big-endian
// bit length), reading whole blocks in place and copying only the last one or two.
template <typename Block>
void for_each_block(std::string_view data, Block&& block) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
  const std::size_t whole = data.size() / 64 * 64;
  for (std::size_t off = 0; off < whole; off += 64) block(p + off);
  std::uint8_t tail[128] = {};
  const std::size_t rest = data.size() - whole;
  if (rest) std::memcpy(tail, p + whole, rest);
  tail[rest] = 0x80;
  const std::size_t len = rest < 56 ? 64 : 128;
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  for (int i = 0; i < 8; ++i) tail[len - 1 - static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(bits >> (i * 8));
  block(tail);
  if (len == 128) block(tail + 64);
}

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace

std::array<std::uint8_t, 20> sha1(std::string_view data) {
  std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  for_each_block(data, [&](const std::uint8_t* m) {
    std::uint32_t w[80];
    for (int i = 0; i < 16; ++i) w[i] = be32(m + static_cast<std::size_t>(i) * 4);
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      std::uint32_t f, k;
      if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
      else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
      else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
      else { f = b ^ c ^ d; k = 0xCA62C1D6; }
      const std::uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d; d = c; c = rol(b, 30); b = a; a = t;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
  });
  std::array<std::uint8_t, 20> out{};
  for (int i = 0; i < 20; ++i) out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
  return out;
}

namespace {

// One 64-byte block into the SHA-256 state.
void sha256_block(std::uint32_t h[8], const std::uint8_t* m) {
  static constexpr std::uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  std::uint32_t w[64];
  for (int i = 0; i < 16; ++i) w[i] = be32(m + static_cast<std::size_t>(i) * 4);
  for (int i = 16; i < 64; ++i) {
    const std::uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const std::uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; ++i) {
    const std::uint32_t S1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
    const std::uint32_t ch = (e & f) ^ (~e & g);
    const std::uint32_t t1 = hh + S1 + ch + k[i] + w[i];
    const std::uint32_t S0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
    const std::uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
    const std::uint32_t t2 = S0 + mj;
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

}  // namespace

Sha256::Sha256()
    : h_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
         0x5be0cd19},
      buf_{} {}

void Sha256::update(std::string_view data) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
  std::size_t n = data.size();
  total_ += n;
  if (buffered_) {
    const std::size_t take = std::min<std::size_t>(64 - buffered_, n);
    std::memcpy(buf_ + buffered_, p, take);
    buffered_ += take;
    p += take;
    n -= take;
    if (buffered_ < 64) return;
    sha256_block(h_, buf_);
    buffered_ = 0;
  }
  for (; n >= 64; p += 64, n -= 64) sha256_block(h_, p);  // whole blocks in place
  if (n) std::memcpy(buf_, p, n);
  buffered_ = n;
}

std::array<std::uint8_t, 32> Sha256::digest() {
  const std::uint64_t bits = total_ * 8;
  std::uint8_t tail[128] = {};
  std::memcpy(tail, buf_, buffered_);
  tail[buffered_] = 0x80;
  const std::size_t len = buffered_ < 56 ? 64 : 128;
  for (int i = 0; i < 8; ++i)
    tail[len - 1 - static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(bits >> (i * 8));
  sha256_block(h_, tail);
  if (len == 128) sha256_block(h_, tail + 64);
  std::array<std::uint8_t, 32> out{};
  for (int i = 0; i < 32; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(h_[i / 4] >> (24 - 8 * (i % 4)));
  return out;
}

std::string Sha256::hex() {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  for (auto b : digest()) {
    s += hex[b >> 4];
    s += hex[b & 15];
  }
  return s;
}

std::array<std::uint8_t, 32> sha256(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.digest();
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}

std::string uuid_v5(std::string_view ns, std::string_view name) {
  std::string raw;
  for (std::size_t i = 0; i + 1 < ns.size(); ++i) {
    if (ns[i] == '-') continue;
    auto hv = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    raw += static_cast<char>(hv(ns[i]) * 16 + hv(ns[i + 1]));
    ++i;
  }
  raw.append(name);
  auto d = sha1(raw);
  d[6] = static_cast<std::uint8_t>((d[6] & 0x0f) | 0x50);
  d[8] = static_cast<std::uint8_t>((d[8] & 0x3f) | 0x80);
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += hex[d[static_cast<std::size_t>(i)] >> 4];
    s += hex[d[static_cast<std::size_t>(i)] & 15];
  }
  return s;
}

}  // namespace mvt
