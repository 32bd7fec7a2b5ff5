// bash's $'...' (ANSI-C) quoting, decoded as bash 5 does (strtrans.c semantics, checked
// against bash itself by tests/unit/ifcfg_bash_diff_test.cpp).
#include <cstdint>

#include "netconf/ifcfg/shell_scan.hpp"

namespace mvt::ifcfg::detail {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

AnsiC decode_ansi_c(std::string_view text, std::size_t pos, std::string& out) {
  AnsiC r;
  auto at = [&](std::size_t i) { return i < text.size() ? text[i] : '\0'; };
  auto has = [&](std::size_t i) { return i < text.size(); };
  std::size_t i = pos + 2;
  std::string piece;
  while (true) {
    if (!has(i)) {
      r.unterminated = true;
      r.end = i;
      return r;
    }
    char ch = text[i];
    if (ch == '\'') {
      ++i;
      break;
    }
    if (ch != '\\') {
      piece += ch;
      ++i;
      continue;
    }
    std::size_t esc = i;
    char e = at(i + 1);
    i += 2;
    switch (e) {
      case 'a':
        piece += '\a';
        break;
      case 'b':
        piece += '\b';
        break;
      case 'e':
      case 'E':
        piece += '\x1b';
        break;
      case 'f':
        piece += '\f';
        break;
      case 'n':
        piece += '\n';
        break;
      case 'r':
        piece += '\r';
        break;
      case 't':
        piece += '\t';
        break;
      case 'v':
        piece += '\v';
        break;
      case '\\':
      case '\'':
      case '"':
      case '?':
        piece += e;
        break;
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        int v = e - '0';
        for (int k = 0; k < 2 && at(i) >= '0' && at(i) <= '7'; ++k) v = v * 8 + (text[i++] - '0');
        piece += static_cast<char>(v & 0xff);
        break;
      }
      case 'x':
      case 'u':
      case 'U': {
        int maxd = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        std::uint32_t v = 0;
        int d = 0;
        while (d < maxd && hex_value(at(i)) >= 0) {
          v = v * 16 + static_cast<std::uint32_t>(hex_value(text[i++]));
          ++d;
        }
        if (d == 0) {
          piece += '\\';
          piece += e;
        } else if (e == 'x') {
          piece += static_cast<char>(v & 0xff);
        } else if (v > 0x7f) {
          r.locale_escapes.push_back(esc);
        } else {
          piece += static_cast<char>(v);
        }
        break;
      }
      case 'c': {
        if (!has(i) || text[i] == '\'') {
          piece += "\\c";
          break;
        }
        char x = text[i++];
        if (x == '\\' && at(i) == '\\') ++i;
        if (x == '?') {
          piece += '\x7f';
        } else {
          if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
          piece += static_cast<char>(x & 0x1f);
        }
        break;
      }
      default:
        if (!has(i - 1)) {  // backslash at end of text: unterminated, handled next turn
          i -= 1;
          piece += '\\';
        } else {
          piece += '\\';
          piece += e;
        }
    }
  }
  // bash stores the piece as a C string: a NUL ends it.
  if (auto nul = piece.find('\0'); nul != std::string::npos) piece.resize(nul);
  out += piece;
  r.end = i;
  return r;
}

}  // namespace mvt::ifcfg::detail
