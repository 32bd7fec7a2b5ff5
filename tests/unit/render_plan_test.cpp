// Renderers (text, JSON, markdown, Prometheus) and saved plan files.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>

#include "diff_fixtures.hpp"
#include "plan/plan_file.hpp"
#include "plan/plan_json.hpp"
#include "plan/planner.hpp"
#include "render/json.hpp"
#include "render/markdown.hpp"
#include "render/plan_view.hpp"
#include "render/prometheus.hpp"
#include "render/text.hpp"
#include "schema_check.hpp"
#include "test_support.hpp"

using namespace mvt;
using namespace mvt::test;

namespace {

plan::Plan seed_plan(bool hotplug = true) {
  diff::DiffOptions opts;
  opts.hotplug["kvm1"] = hotplug;
  auto cs = diff::compute(seed_topology(), seed_before(), opts);
  REQUIRE_FALSE(cs.diagnostics.has_errors());
  return plan::make_plan(cs, "0123");
}

RunResult validate(const std::string& json) { return validate_against_schema(json); }

}  // namespace

TEST_CASE("render: text shows symbols, fields, reasons and the summary" *
          doctest::test_suite("render")) {
  const auto p = seed_plan();
  const auto v = render::make_view(p, render::Mode::Plan);
  const auto s = render::render_text(v);
  CHECK(s.find("s01 ~ host/kvm1/nic/em2") != std::string::npos);
  CHECK(s.find("~ ONBOOT: \"yes\" -> \"no\"") != std::string::npos);
  CHECK(s.find("+ guest/web1/file/ifcfg-ens9") != std::string::npos);
  CHECK(s.find("why: ") != std::string::npos);
  CHECK(s.find("[disruptive]") != std::string::npos);
  CHECK(s.find("Plan: 4 to add, 2 to change, 0 to remove; 1 guest needs a reboot.") !=
        std::string::npos);
  CHECK(s.find('\x1b') == std::string::npos);
  const auto c = render::render_text(v, {true});
  CHECK(c.find("\x1b[32m+\x1b[0m") != std::string::npos);
}

TEST_CASE("render: summary counts resources, not steps" * doctest::test_suite("render")) {
  const auto v = render::make_view(seed_plan(), render::Mode::Plan);
  // Add: files ens8, ens9 + interfaces ens8, ens9 (config + live attach = one resource each).
  CHECK(v.summary.add == 4);
  CHECK(v.summary.change == 2);
  CHECK(v.summary.remove == 0);
  CHECK(v.summary.reboot_guests == 1);
  REQUIRE(v.hosts.size() == 1);
  CHECK(v.hosts[0].resources == 6);
  CHECK(v.hosts[0].guests.at("web1") == 5);
}

TEST_CASE("render: no changes" * doctest::test_suite("render")) {
  plan::Plan p;
  const auto v = render::make_view(p, render::Mode::Plan);
  CHECK(render::render_text(v) == "No changes. Live state matches the topology.\n");
  const auto d = render::make_view(p, render::Mode::Drift);
  CHECK(render::render_text(d) == "No drift. Live state matches the topology.\n");
  CHECK(render::render_markdown(v).find("No changes.") != std::string::npos);
}

TEST_CASE("render: --color and NO_COLOR" * doctest::test_suite("render")) {
  CHECK(render::colour_wanted("always", false, "1"));
  CHECK_FALSE(render::colour_wanted("never", true, nullptr));
  CHECK(render::colour_wanted("auto", true, nullptr));
  CHECK(render::colour_wanted("auto", true, ""));
  CHECK_FALSE(render::colour_wanted("auto", true, "1"));
  CHECK_FALSE(render::colour_wanted("auto", false, nullptr));
}

TEST_CASE("render: JSON validates against schemas/plan.schema.json" *
          doctest::test_suite("render")) {
  for (bool hotplug : {true, false}) {
    const auto p = seed_plan(hotplug);
    for (auto mode : {render::Mode::Plan, render::Mode::Drift}) {
      const auto json = render::render_json(render::make_view(p, mode));
      const auto r = validate(json);
      CHECK_MESSAGE(r.exit_code == 0, r.err);
    }
    const auto r = validate(plan::save_plan(p));
    CHECK_MESSAGE(r.exit_code == 0, r.err);
  }
  const auto empty = validate(render::render_json(render::make_view(plan::Plan{}, render::Mode::Plan)));
  CHECK_MESSAGE(empty.exit_code == 0, empty.err);
  // The schema is not a rubber stamp: a bad action fails.
  auto j = render::view_to_json(render::make_view(seed_plan(), render::Mode::Plan));
  j["steps"][0]["action"] = "explode";
  CHECK(validate(j.dump()).exit_code != 0);
}

TEST_CASE("render: markdown summary per guest, details folded per guest, folding" *
          doctest::test_suite("render")) {
  const auto p = seed_plan();
  const auto v = render::make_view(p, render::Mode::Plan);
  const auto md = render::render_markdown(v);
  CHECK(md.find("## macvtapctl plan") == 0);
  // One summary row per guest, and one for the host's own steps (em2's file, verify).
  CHECK(contains(md, "| Host | Guest | Add | Change | Remove | Disruptive | Restart | Steps |"));
  CHECK(contains(md, "| kvm1 | *(host)* | 0 | 1 | 0 | no |  | 2 |\n"));
  CHECK(contains(md, "| kvm1 | web1 | 4 | 1 | 0 | **yes** | "));
  // Details: per guest, its steps, each reason once, the field changes as a diff.
  CHECK(contains(md, "<details><summary>guest web1: 4 to add, 1 to change ("));
  CHECK(contains(md, "| s01 | `~` | `host/kvm1/nic/em2` | update file |  |"));
  CHECK(contains(md, "```diff\n@@ s01 ~ host/kvm1/nic/em2 @@\n- BOOTPROTO = \"dhcp\"\n+ BOOTPROTO = \"no\""));
  CHECK(contains(md, "\n- ONBOOT = \"yes\"\n+ ONBOOT = \"no\"\n"));
  CHECK(contains(md, "- s05: interface ens9 is in the spec but not in the persistent definition"));
  // The topology picture: em1 and em2 -> private -> the two added interfaces.
  CHECK(contains(md, "```mermaid\nflowchart LR\n"));
  CHECK(contains(md, "[\"+ web1/ens9\"]"));
  CHECK_FALSE(contains(md, "Shortened"));
  // Folding: a smaller limit drops details, then the diagram, never a summary row.
  render::MarkdownOptions small;
  small.limit = md.size() / 2;
  const auto folded = render::render_markdown(v, small);
  CHECK(folded.size() <= small.limit);
  CHECK(contains(folded, "Shortened to stay under"));
  CHECK(contains(folded, "| kvm1 | web1 | 4 |"));
  CHECK(contains(folded, "| kvm1 | *(host)* |"));
  // Room for the summary but not the diagram: the diagram goes too.
  REQUIRE(contains(md, "\n### Topology changes"));
  small.limit = md.find("\n### Topology changes") + 300;
  const auto tiny = render::render_markdown(v, small);
  CHECK(tiny.size() <= small.limit);
  CHECK(contains(tiny, "the topology diagram left out"));
  CHECK_FALSE(contains(tiny, "```mermaid"));
  CHECK(contains(tiny, "| kvm1 | web1 | 4 |"));
  // Below the summary itself: still every row, and the note says the limit is passed.
  small.limit = 100;
  const auto absurd = render::render_markdown(v, small);
  CHECK(contains(absurd, "| kvm1 | web1 | 4 |"));
  CHECK(contains(absurd, "The summary alone is over 100 characters"));
}

TEST_CASE("render: markdown of a 1,000-guest plan keeps every summary row under the default "
          "limit" * doctest::test_suite("render")) {
  plan::Plan p;
  for (int i = 0; i < 1000; ++i) {
    plan::Step s;
    s.id = "s" + std::to_string(1000 + i);
    s.host = "kvm1";
    s.target = "guest/g" + std::to_string(i) + "/file/ifcfg-eth0";
    s.action = plan::Action::Update;
    s.changes = {{"DEFROUTE", "yes", "no"}, {"PEERDNS", "yes", "no"}};
    s.reason = "a | pipe and <html>";
    s.op.kind = plan::OpKind::WriteFile;
    s.op.guest = "g" + std::to_string(i);
    p.steps.push_back(s);
  }
  const auto md = render::render_markdown(render::make_view(p, render::Mode::Plan));
  CHECK(md.size() <= render::kMarkdownMaxBytes);
  CHECK(contains(md, "Shortened to stay under 60000 characters"));
  for (int i = 0; i < 1000; ++i) CHECK(contains(md, "| kvm1 | g" + std::to_string(i) + " | 0 | 1 | 0 |"));
  CHECK(contains(md, "a \\| pipe and &lt;html&gt;"));
}

TEST_CASE("render: Prometheus textfile" * doctest::test_suite("render")) {
  render::DriftMetrics m;
  m.success = true;
  m.timestamp = 1700000000;
  m.host_observed["kvm1"] = true;
  m.host_resources["kvm1"] = 0;
  m.guest_resources[{"kvm1", "web1"}] = 0;
  m.guest_resources[{"kvm1", "db\"1"}] = 0;
  render::add_view(m, render::make_view(seed_plan(), render::Mode::Drift));
  const auto s = render::render_prometheus(m);
  CHECK(s.find("macvtapctl_drift_success 1\n") != std::string::npos);
  CHECK(s.find("macvtapctl_drift_last_run_timestamp_seconds 1700000000\n") != std::string::npos);
  CHECK(s.find("macvtapctl_drift_host_resources{host=\"kvm1\"} 6\n") != std::string::npos);
  CHECK(s.find("macvtapctl_drift_guest_resources{host=\"kvm1\",guest=\"web1\"} 5\n") !=
        std::string::npos);
  CHECK(s.find("guest=\"db\\\"1\"} 0\n") != std::string::npos);
  CHECK(s.find("# TYPE macvtapctl_drift_success gauge") != std::string::npos);
}

TEST_CASE("plan file: round trip, edits and other versions refused" *
          doctest::test_suite("render")) {
  const auto p = seed_plan();
  const auto text = plan::save_plan(p);
  Diagnostics d;
  auto back = plan::load_plan(text, "plan.json", d);
  REQUIRE_MESSAGE(back, (d.empty() ? "" : d.items()[0].message));
  CHECK(plan::plan_to_json(*back).dump() == plan::plan_to_json(p).dump());
  CHECK(back->steps.size() == p.steps.size());
  CHECK(back->steps[1].op.content == p.steps[1].op.content);

  SUBCASE("reformatting is harmless") {
    const auto compact = nlohmann::json::parse(text).dump();
    Diagnostics d2;
    CHECK(plan::load_plan(compact, "plan.json", d2));
  }
  SUBCASE("a hand edit is refused") {
    auto j = nlohmann::ordered_json::parse(text);
    j["steps"][1]["operation"]["content"] = "ONBOOT=yes\n";
    Diagnostics d2;
    CHECK_FALSE(plan::load_plan(j.dump(2), "plan.json", d2));
    REQUIRE(d2.has_errors());
    CHECK(d2.items()[0].rule == "planfile.integrity");
  }
  SUBCASE("another format version is refused by name") {
    auto j = nlohmann::ordered_json::parse(text);
    j["format_version"] = 2;
    Diagnostics d2;
    CHECK_FALSE(plan::load_plan(j.dump(2), "plan.json", d2));
    REQUIRE(d2.has_errors());
    CHECK(d2.items()[0].message.find("format_version 2") != std::string::npos);
    CHECK(d2.items()[0].message.find("reads format_version 1") != std::string::npos);
  }
  SUBCASE("not a plan") {
    Diagnostics d2;
    CHECK_FALSE(plan::load_plan("{\"a\": 1}", "x.json", d2));
    CHECK_FALSE(plan::load_plan("not json", "x.json", d2));
    CHECK(d2.error_count() == 2);
  }
}
