#pragma once
// What `apply` shows besides the plan: the step progress on a terminal and the result as
// JSON (`apply --format json`, described by schemas/apply-result.schema.json).
#include <iosfwd>
#include <map>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "apply/executor.hpp"

namespace mvt::cli {

// `--progress auto|always|never`: auto shows the step progress when stderr is a terminal and
// the output is not JSON (a program reading JSON has no use for it).
bool progress_wanted(const std::string& mode, bool stderr_is_terminal, bool json_output);

// The step progress, on stderr: one line per step, "[3/8] s03 guest/web1/file/ifcfg-ens9 ... "
// when it starts, completed with "0.4 s" (or "FAILED after 0.4 s") when it ends; the host's
// name leads each line when the apply covers several hosts. Other progress lines (an agent
// waited for, a batch starting: `line()`) end an open step line first.
class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& os, bool several_hosts) : os_(os), several_hosts_(several_hosts) {}
  void step(const apply::StepEvent& e);
  void line(const std::string& text);
  // Ends an open step line (before a host's block is printed).
  void close();

 private:
  std::ostream& os_;
  bool several_hosts_;
  bool open_ = false;
  std::string open_label_;
};

// A stream buffer that writes through to `sink` and keeps every line, so that the errors and
// warnings said on stderr can be repeated in the JSON result.
class TeeLines : public std::streambuf {
 public:
  explicit TeeLines(std::ostream& sink) : sink_(sink) {}
  // The lines that say "error: " / "warning: " (diagnostics, refusals, failed hosts).
  std::vector<std::string> lines_with(const std::string& marker) const;

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  std::ostream& sink_;
  std::string text_;
};

// What one apply run did, for the JSON result.
struct ApplyRecord {
  // applied | no_changes | failed | refused (nothing ran: bad input, stale plan file, lock,
  // not confirmed) | cancelled (the operator answered no)
  std::string outcome = "refused";
  std::string plan_file;
  long long steps_planned = -1;  // -1: no plan was made
  apply::FleetResult fleet;
  std::map<std::string, std::string> try_outcome;  // host -> confirmed | rolled_back | rollback_incomplete
  std::map<std::string, std::string> try_text;     // host -> what the summary line appends
};

// The summary line of a host: apply::outcome_line plus what a --try did to it. Not
// terminal-safe.
std::string summary_line(const apply::HostResult& h, const ApplyRecord& rec);

// The JSON result document (pretty-printed, final newline; invalid UTF-8 replaced).
std::string apply_result_json(const ApplyRecord& rec, int exit_code,
                              const std::vector<std::string>& errors,
                              const std::vector<std::string>& warnings);

}  // namespace mvt::cli
