#pragma once
// Lossless ifcfg (shell-variable) files, modelled on NetworkManager's shvar.c:
//  - every line is kept verbatim; write() of an unedited file returns the input byte for byte
//    (including a missing final newline, CRLF, comments, blank and unparsable lines);
//  - a key index where the last assignment of a key wins (as when bash sources the file);
//  - values are decoded exactly as bash decodes them: unquoted words with backslash escapes,
//    '...' literal, "..." with \\ \" \$ \` and \<newline> escapes, $'...' ANSI-C quoting,
//    adjacent pieces concatenated; an unquoted '#' after whitespace starts a comment;
//  - a value containing an expansion ($VAR, $(...), `...`) or other shell syntax bash would
//    act on is *unsafe*: reported (unsafe_keys(), problems()), never evaluated, get() returns
//    nullopt for it;
//  - edits (set/unset) change only the affected line(s); new keys are appended; new values
//    are quoted so that `bash -c '. FILE'` yields exactly the value (quote()).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/net_types.hpp"

namespace mvt::ifcfg {

// A problem found while parsing (unsafe expansion, unterminated quote, not an assignment).
struct Problem {
  int line = 0;     // 1-based
  int column = 0;   // 1-based
  std::string key;  // may be empty
  std::string message;
};

class File {
 public:
  static File parse(std::string_view text);
  std::string write() const;

  // Decoded value of the last assignment of key; nullopt when absent or unsafe.
  std::optional<std::string> get(std::string_view key) const;
  bool has(std::string_view key) const;
  bool is_unsafe(std::string_view key) const;
  std::vector<std::string> unsafe_keys() const;
  std::vector<Problem> problems() const;
  // Keys in first-appearance order (each once).
  std::vector<std::string> keys() const;
  // 1-based line of the last assignment of key, 0 if absent.
  int line_of(std::string_view key) const;

  // Sets key: rewrites the last assignment in place (keeping a trailing comment on that
  // line) and removes earlier duplicates; appends "KEY=value" when absent. No-op (and not
  // marked modified) when the decoded value is already equal.
  void set(std::string_view key, std::string_view value);
  // Removes every assignment of key.
  void unset(std::string_view key);
  bool modified() const { return modified_; }

  // Semantic getters.
  std::optional<bool> get_bool(std::string_view key) const;  // yes/no/true/false/1/0, any case; y/n too
  // BOOTPROTO: "static" for none/static/no/""(absent -> nullopt), "dhcp" for dhcp/bootp.
  std::optional<std::string> bootproto() const;
  // IPADDR (or IPADDR0) with PREFIX (or PREFIX0) or NETMASK (NETMASK0); PREFIX wins.
  std::optional<Cidr> ipv4_address() const;
  // GATEWAY, else GATEWAY0 (the per-address GATEWAYn of IPADDRn are distinct facts).
  std::optional<Ipv4> gateway() const;
  // DNS1, DNS2, ... in order, stopping at the first gap.
  std::vector<Ipv4> dns() const;

  struct LineRec;  // defined in the .cpp
  File();
  ~File();
  File(const File&);
  File& operator=(const File&);
  File(File&&) noexcept;
  File& operator=(File&&) noexcept;

 private:
  std::vector<LineRec> lines_;
  bool final_newline_ = true;
  bool modified_ = false;
  std::vector<Problem> problems_;
};

// bash-safe spelling of value: bare when it is a plain word of safe characters, else
// single-quoted (with '\'' for quotes). Rejects NUL (returns nullopt): it cannot be stored.
std::optional<std::string> quote(std::string_view value);
// Parses a raw right-hand side as bash would. nullopt when unsafe or malformed.
std::optional<std::string> decode(std::string_view raw, bool* unsafe = nullptr);

}  // namespace mvt::ifcfg
