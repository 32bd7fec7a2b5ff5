#include "render/prometheus.hpp"

#include <cstdio>

namespace mvt::render {
namespace {

std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void header(std::string& s, const char* name, const char* help) {
  s += std::string("# HELP ") + name + " " + help + "\n";
  s += std::string("# TYPE ") + name + " gauge\n";
}

constexpr std::string_view kLastSuccess = "macvtapctl_drift_last_success_timestamp_seconds";

// The label set of the run-level series: "" for a run over the whole spec.
std::string run_labels(const std::string& selection) {
  return selection.empty() ? std::string() : "{selection=\"" + label(selection) + "\"}";
}

}  // namespace

void add_view(DriftMetrics& m, const PlanView& v) {
  for (const auto& h : v.hosts) {
    m.host_resources[h.host] = h.resources;
    for (const auto& [g, n] : h.guests) m.guest_resources[{h.host, g}] = n;
  }
}

std::string render_prometheus(const DriftMetrics& m) {
  std::string s;
  const std::string run = run_labels(m.selection);
  header(s, "macvtapctl_drift_success",
         "Whether the last drift check covered every host (1: all observed and compared, "
         "drift or not) or not (0: a host not observed, or an error).");
  s += "macvtapctl_drift_success" + run + " " + std::string(m.success ? "1" : "0") + "\n";
  header(s, "macvtapctl_drift_last_run_timestamp_seconds", "Unix time of the last drift check.");
  s += "macvtapctl_drift_last_run_timestamp_seconds" + run + " " + std::to_string(m.timestamp) + "\n";
  if (m.last_success) {
    header(s, "macvtapctl_drift_last_success_timestamp_seconds",
           "Unix time of the last drift check that covered every host (kept across failed "
           "checks).");
    s += std::string(kLastSuccess) + run + " " + std::to_string(*m.last_success) + "\n";
  }
  header(s, "macvtapctl_drift_run_duration_seconds", "How long the last drift check took.");
  char dur[64];
  std::snprintf(dur, sizeof dur, "%.3f", m.duration_seconds < 0 ? 0.0 : m.duration_seconds);
  s += "macvtapctl_drift_run_duration_seconds" + run + " " + dur + "\n";
  header(s, "macvtapctl_drift_host_observed",
         "Whether the host was observed and compared (0: unreachable or failed; its resource "
         "series are then absent).");
  for (const auto& [h, ok] : m.host_observed)
    s += "macvtapctl_drift_host_observed{host=\"" + label(h) + "\"} " + (ok ? "1" : "0") + "\n";
  header(s, "macvtapctl_drift_host_resources",
         "Resources of an observed host (NIC files, guest interfaces and files) that differ from the topology.");
  for (const auto& [h, n] : m.host_resources)
    s += "macvtapctl_drift_host_resources{host=\"" + label(h) + "\"} " + std::to_string(n) + "\n";
  header(s, "macvtapctl_drift_guest_resources",
         "Resources of a guest of an observed host (interfaces, ifcfg and route files) that differ from the topology.");
  for (const auto& [k, n] : m.guest_resources)
    s += "macvtapctl_drift_guest_resources{host=\"" + label(k.first) + "\",guest=\"" +
         label(k.second) + "\"} " + std::to_string(n) + "\n";
  if (!m.try_open.empty()) {
    header(s, "macvtapctl_drift_try_open",
           "Whether an unconfirmed apply --try is open on the host (1) or not (0).");
    for (const auto& [h, open] : m.try_open)
      s += "macvtapctl_drift_try_open{host=\"" + label(h) + "\"} " + (open ? "1" : "0") + "\n";
  }
  if (!m.try_deadline.empty()) {
    header(s, "macvtapctl_drift_try_deadline_timestamp_seconds",
           "Unix time when the open apply --try on the host expires (it is then rolled back).");
    for (const auto& [h, t] : m.try_deadline)
      s += "macvtapctl_drift_try_deadline_timestamp_seconds{host=\"" + label(h) + "\"} " +
           std::to_string(t) + "\n";
  }
  return s;
}

std::optional<long long> previous_last_success(std::string_view text,
                                               const std::string& selection) {
  if (text.size() > kMaxPreviousMetricsBytes) return std::nullopt;
  const std::string want = std::string(kLastSuccess) + run_labels(selection);
  std::optional<long long> found;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, kLastSuccess.size()) != kLastSuccess) continue;
    // Another run's series (another selection, or none) is not this run's last success.
    if (line.substr(0, want.size()) != want) return std::nullopt;
    const std::string_view rest = line.substr(want.size());
    // Exactly one space and 1..12 digits: no labels, no sign, no exponent, no timestamp.
    if (rest.size() < 2 || rest.size() > 13 || rest[0] != ' ') return std::nullopt;
    long long v = 0;
    for (char c : rest.substr(1)) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    if (found && *found != v) return std::nullopt;
    found = v;
  }
  return found;
}

}  // namespace mvt::render
