#include "render/prometheus.hpp"

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

}  // namespace

void add_view(DriftMetrics& m, const PlanView& v) {
  for (const auto& h : v.hosts) {
    m.host_resources[h.host] = h.resources;
    for (const auto& [g, n] : h.guests) m.guest_resources[{h.host, g}] = n;
  }
}

std::string render_prometheus(const DriftMetrics& m) {
  std::string s;
  header(s, "macvtapctl_drift_success", "Whether the last drift check completed (1) or failed (0).");
  s += "macvtapctl_drift_success " + std::string(m.success ? "1" : "0") + "\n";
  header(s, "macvtapctl_drift_last_run_timestamp_seconds", "Unix time of the last drift check.");
  s += "macvtapctl_drift_last_run_timestamp_seconds " + std::to_string(m.timestamp) + "\n";
  header(s, "macvtapctl_drift_host_observed", "Whether the host could be observed.");
  for (const auto& [h, ok] : m.host_observed)
    s += "macvtapctl_drift_host_observed{host=\"" + label(h) + "\"} " + (ok ? "1" : "0") + "\n";
  header(s, "macvtapctl_drift_host_resources",
         "Resources of the host (NIC files, guest interfaces and files) that differ from the topology.");
  for (const auto& [h, n] : m.host_resources)
    s += "macvtapctl_drift_host_resources{host=\"" + label(h) + "\"} " + std::to_string(n) + "\n";
  header(s, "macvtapctl_drift_guest_resources",
         "Resources of the guest (interfaces, ifcfg and route files) that differ from the topology.");
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

}  // namespace mvt::render
