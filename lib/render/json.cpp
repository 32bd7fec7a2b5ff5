#include "render/json.hpp"

#include "util/diagnostic_groups.hpp"

namespace mvt::render {

plan::Json view_to_json(const PlanView& v) {
  using plan::Json;
  Json j;
  const Json body = plan::plan_to_json(*v.plan);
  j["format_version"] = body["format_version"];
  j["kind"] = v.mode == Mode::Drift ? "drift" : "plan";
  Json summary;
  summary["changes"] = v.summary.steps != 0;
  summary["add"] = v.summary.add;
  summary["change"] = v.summary.change;
  summary["remove"] = v.summary.remove;
  summary["reboot_guests"] = v.summary.reboot_guests;
  summary["steps"] = v.summary.steps;
  summary["text"] = summary_line(v);
  Json hosts = Json::object();
  for (const auto& h : v.hosts) {
    Json hj;
    hj["resources"] = h.resources;
    Json guests = Json::object();
    for (const auto& [g, n] : h.guests) guests[g] = n;
    hj["guests"] = std::move(guests);
    hosts[h.host] = std::move(hj);
  }
  summary["hosts"] = std::move(hosts);
  j["summary"] = std::move(summary);
  for (const auto& [k, val] : body.items())
    if (k != "format_version") j[k] = val;
  // After the plan's own warnings (strings, as plan files keep them): the spec's, one object
  // per finding (group_diagnostics) with its rule, first position and count (issue 16).
  for (const auto& g : group_diagnostics(v.spec_warnings)) {
    Json w;
    w["rule"] = g.first.rule;
    w["message"] = g.first.message;
    if (!g.first.pos.file.empty()) w["file"] = g.first.pos.file.str();
    if (g.first.pos.line > 0) w["line"] = g.first.pos.line;
    if (g.first.pos.column > 0) w["column"] = g.first.pos.column;
    w["count"] = g.count;
    w["guests"] = g.guests;
    j["warnings"].push_back(std::move(w));
  }
  return j;
}

std::string render_json(const PlanView& v) { return view_to_json(v).dump(2) + "\n"; }

}  // namespace mvt::render
