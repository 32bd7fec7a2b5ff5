#include "apply_output.hpp"

#include <cstdio>
#include <ostream>

#include <nlohmann/json.hpp>

#include "util/diagnostics.hpp"

namespace mvt::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

const char* outcome_name(apply::HostOutcome o) {
  switch (o) {
    case apply::HostOutcome::NoChanges: return "no_changes";
    case apply::HostOutcome::Applied: return "applied";
    case apply::HostOutcome::Failed: return "failed";
    case apply::HostOutcome::Unobserved: return "unobserved";
  }
  return "failed";
}

const char* status_name(apply::CheckStatus s) {
  switch (s) {
    case apply::CheckStatus::Ok: return "ok";
    case apply::CheckStatus::Failed: return "failed";
    case apply::CheckStatus::Skipped: return "skipped";
    case apply::CheckStatus::Warning: return "warning";
    case apply::CheckStatus::Pending: return "pending";
  }
  return "failed";
}

Json strings(const std::vector<std::string>& v) {
  Json a = Json::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

Json verification_json(const apply::ApplyResult& r) {
  const apply::VerifyTally t = apply::tally_verification(r);
  Json v;
  v["verified"] = t.complete();
  v["replan"] = t.replan_skipped ? "skipped" : r.verify_diffs.empty() ? "clean" : "differs";
  v["guest_checks"] = t.guest_checks_skipped ? "skipped" : "run";
  v["counts"] = Json{{"ok", t.ok},           {"warning", t.warnings}, {"failed", t.failed},
                     {"skipped", t.skipped}, {"pending", t.pending}};
  Json checks = Json::array();
  for (const auto& l : r.verification) {
    Json c;
    c["guest"] = l.guest;
    if (!l.interface.empty()) c["interface"] = l.interface;
    c["check"] = l.check;
    c["status"] = status_name(l.status);
    c["text"] = l.str();
    checks.push_back(std::move(c));
  }
  v["checks"] = std::move(checks);
  return v;
}

Json host_json(const apply::HostResult& h, const ApplyRecord& rec) {
  const apply::ApplyResult& r = h.result;
  Json j;
  j["host"] = h.host;
  j["outcome"] = outcome_name(h.outcome);
  j["summary"] = summary_line(h, rec);
  if (h.outcome == apply::HostOutcome::Unobserved) {
    j["uri"] = h.uri;
    j["error"] = h.error;
    return j;
  }
  if (h.outcome == apply::HostOutcome::NoChanges) return j;
  j["steps_done"] = r.steps_done;
  // What the verification found, when it ran (a host that failed before it has none).
  if (h.outcome == apply::HostOutcome::Applied || !r.verify_diffs.empty() || !r.verification.empty())
    j["verification"] = verification_json(r);
  if (!r.failed_step.empty()) j["failed_step"] = r.failed_step;
  if (!r.error.empty()) j["error"] = r.error;
  if (r.rollback)
    j["rollback"] = Json{{"ok", r.rollback->ok()},
                         {"undone", r.rollback->undone.size()},
                         {"errors", strings(r.rollback->errors)},
                         {"pending", strings(r.rollback->pending)}};
  if (r.batches > 0) {
    Json b{{"count", r.batches}};
    if (r.stopped_at_batch > 0) b["stopped_at"] = r.stopped_at_batch;
    b["lines"] = strings(r.batch_lines);
    j["batches"] = std::move(b);
  }
  if (auto t = rec.try_outcome.find(h.host); t != rec.try_outcome.end()) j["try"] = t->second;
  j["pending"] = strings(r.pending);
  j["notes"] = strings(r.notes);
  return j;
}

}  // namespace

bool progress_wanted(const std::string& mode, bool stderr_is_terminal, bool json_output) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  return stderr_is_terminal && !json_output;
}

void ProgressPrinter::step(const apply::StepEvent& e) {
  if (!e.done) {
    close();
    os_ << "[" << e.index << "/" << e.total << "] "
        << (several_hosts_ ? terminal_safe(e.host) + ": " : std::string()) << terminal_safe(e.label)
        << " ... " << std::flush;
    open_ = true;
    open_label_ = e.label;
    return;
  }
  if (!open_)  // a line came in between: name the step again
    os_ << "[" << e.index << "/" << e.total << "] "
        << (several_hosts_ ? terminal_safe(e.host) + ": " : std::string()) << terminal_safe(e.label)
        << " ... ";
  os_ << (e.ok ? "" : "FAILED after ") << seconds_text(e.seconds) << "\n" << std::flush;
  open_ = false;
}

void ProgressPrinter::line(const std::string& text) {
  // -v's own "s03 TARGET: kind" line of the step shown: the step line says it already.
  if (open_ && text.rfind(open_label_ + ": ", 0) == 0) return;
  close();
  os_ << "  " << terminal_safe(text) << "\n" << std::flush;
}

void ProgressPrinter::close() {
  if (!open_) return;
  os_ << "\n" << std::flush;
  open_ = false;
}

TeeLines::int_type TeeLines::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  const char ch = traits_type::to_char_type(c);
  text_.push_back(ch);
  sink_.put(ch);
  return c;
}

std::streamsize TeeLines::xsputn(const char* s, std::streamsize n) {
  text_.append(s, static_cast<std::size_t>(n));
  sink_.write(s, n);
  return n;
}

int TeeLines::sync() {
  sink_.flush();
  return 0;
}

std::vector<std::string> TeeLines::lines_with(const std::string& marker) const {
  std::vector<std::string> out;
  std::istringstream in(text_);
  for (std::string l; std::getline(in, l);)
    if (l.find(marker) != std::string::npos) out.push_back(l);
  return out;
}

std::string summary_line(const apply::HostResult& h, const ApplyRecord& rec) {
  std::string line = apply::outcome_line(h);
  if (auto t = rec.try_text.find(h.host); t != rec.try_text.end()) line += ", " + t->second;
  return line;
}

std::string apply_result_json(const ApplyRecord& rec, int exit_code,
                              const std::vector<std::string>& errors,
                              const std::vector<std::string>& warnings) {
  Json j;
  j["format_version"] = 1;
  j["kind"] = "apply-result";
  j["outcome"] = rec.outcome;
  j["exit_code"] = exit_code;
  if (!rec.plan_file.empty()) j["plan_file"] = rec.plan_file;
  if (rec.steps_planned >= 0) j["steps_planned"] = rec.steps_planned;
  Json hosts = Json::array();
  for (const auto& h : rec.fleet.hosts) hosts.push_back(host_json(h, rec));
  j["hosts"] = std::move(hosts);
  j["errors"] = strings(errors);
  j["warnings"] = strings(warnings);
  // Messages carry guest and host data: bytes that are not UTF-8 are replaced, not fatal.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace mvt::cli
