#pragma once
// Repeated warnings said once (issue 16: a 1,000-guest plan on guests sharing a `config:
// host` NIC printed 3,000 identical warnings with carets). A warning of one rule that says
// the same thing about many guest interfaces - its message differs only in the names after
// "interface '" and "guest '" - is one finding: one line, at its first occurrence's
// position (and caret), with the number of occurrences and of guests. Errors are never
// merged: each is its own thing to fix.
#include <string>
#include <vector>

#include "util/diagnostics.hpp"

namespace mvt {

struct DiagnosticGroup {
  Diagnostic first;         // the first occurrence: position, caret, message
  std::size_t count = 1;    // occurrences merged into it
  std::size_t guests = 0;   // distinct guests they name ("guest 'NAME'")
};

// The key a warning merges under: its message with the quoted names after "interface " and
// "guest " replaced by "*". Exposed for tests.
std::string finding_of(const std::string& message);

// Warnings merged per rule and finding, errors each on their own, in the order of first
// occurrence.
std::vector<DiagnosticGroup> group_diagnostics(const std::vector<Diagnostic>& items);

// A group as one diagnostic: format_diagnostic of the first occurrence, its message followed
// by "(rule R, N times in M guests, the first here; -v lists all)" when several merged.
std::string format_group(const DiagnosticGroup& g);

// What the commands print on stderr: every diagnostic (verbose), or the groups; one per line
// (with its caret lines), each ending with a newline.
std::string format_diagnostics(const std::vector<Diagnostic>& items, bool verbose);

}  // namespace mvt
