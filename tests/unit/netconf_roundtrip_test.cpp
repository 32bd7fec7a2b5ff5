// Issue 14, point 6: round trips never lose a line. Every ifcfg file of the real-world corpus
// is put into a guest root (dir: source) next to a test:/// domain whose interface has the
// file's pinned MAC; `show` of it, loaded back as a spec, plans nothing; and changing one
// managed key (DEFROUTE) keeps every other line byte for byte.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "diff/diff.hpp"
#include "netconf/ifcfg/ifcfg_file.hpp"
#include "netconf/ifcfg/ifcfg_format.hpp"
#include "observe/observe.hpp"
#include "observe/show_yaml.hpp"
#include "observe/to_topology.hpp"
#include "spec/loader.hpp"
#include "test_support.hpp"

using namespace mvt;
namespace fs = std::filesystem;

namespace {

std::string node_xml(const std::string& mac) {
  return "<node><domain type='test'><name>g1</name>"
         "<uuid>6f0c0d0e-0000-4000-8000-0000000000aa</uuid><memory>1048576</memory>"
         "<os><type>hvm</type></os><devices><interface type='direct'><mac address='" +
         mac + "'/><source dev='em1' mode='vepa'/><model type='virtio'/></interface>"
         "</devices></domain></node>\n";
}

// The lines of `text` without those assigning `key` (and without a final newline's
// difference).
std::vector<std::string> lines_without(const std::string& text, const std::string& key) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l))
    if (l.find(key + "=") == std::string::npos) out.push_back(l);
  return out;
}

struct Outcome {
  bool refused = false;
  bool matched = false;
  std::string why;
};

Outcome round_trip(const fs::path& corpus_file, const fs::path& tmp) {
  Outcome o;
  const std::string bytes = test::read_file(corpus_file);
  const auto f = ifcfg::File::parse(bytes);
  auto hw = f.get("HWADDR") ? MacAddress::parse(*f.get("HWADDR")) : std::nullopt;
  if (hw && (hw->is_multicast() || hw->is_zero())) hw.reset();
  const std::string mac = hw ? hw->str() : "52:54:00:00:00:01";
  test::write_file(tmp / "node.xml", node_xml(mac));
  const fs::path root = tmp / "g1";
  test::write_file(root / ifcfg::kDir / corpus_file.filename(), bytes);

  Topology want;
  Host& h = want.hosts["kvm1"];
  h.name = "kvm1";
  h.uri = "test://" + (tmp / "node.xml").string();
  h.guests["g1"].name = "g1";
  h.guests["g1"].guest_files = {FileSourceKind::Dir, root.string()};
  const Observation obs = observe(want);
  Diagnostics diags;
  std::map<std::string, std::string> failed;
  const Topology live = to_topology(obs, diags, &failed);
  if (!failed.empty()) {
    o.refused = true;
    o.why = failed.begin()->second;
    return o;
  }
  const auto& ifs = live.hosts.at("kvm1").guests.at("g1").interfaces;
  o.matched = !ifs.empty() && ifs[0].ip.any();
  test::write_file(tmp / "show.yaml", show_yaml(live, obs));
  const auto loaded = spec::load({(tmp / "show.yaml").string()});
  if (loaded.diagnostics.has_errors()) {
    // The file's device cannot be a spec's interface (a name longer than IFNAMSIZ...): the
    // spec loader refuses it with a clear error.
    o.refused = true;
    for (const auto& d : loaded.diagnostics.items())
      if (d.severity == Severity::Error && o.why.empty()) o.why = format_diagnostic(d);
    return o;
  }
  diff::DiffOptions opts;
  const auto cs = diff::compute(loaded.topology, obs, opts);
  if (cs.diagnostics.has_errors()) {
    o.refused = true;
    o.why = format_diagnostic(cs.diagnostics.items().front());
    return o;
  }
  if (!cs.empty()) {
    o.why = "re-plan of show's output is not empty:";
    for (const auto& fd : cs.files)
      for (const auto& c : fd.fields)
        o.why += "\n  " + fd.name + " " + c.field + ": " + c.before.value_or("(absent)") + " -> " +
                 c.after.value_or("(absent)");
    for (const auto& i : cs.interfaces) o.why += "\n  interface " + i.name;
    return o;
  }
  if (!o.matched) return o;
  // Change one managed key: every other line is kept byte for byte.
  GuestInterface changed = loaded.topology.hosts.at("kvm1").guests.at("g1").interfaces.at(0);
  InterfaceConfig only;
  only.defroute = !changed.ip.defroute.value_or(false);
  NetworkScripts files = obs.hosts.at("kvm1").guests.at("g1").files;
  Diagnostics d2;
  const auto devs = ifcfg::format().read(files, "", d2);
  const auto* have = netconf::by_mac(devs, *MacAddress::parse(mac));
  if (!have) have = netconf::by_device(devs, changed.name);
  const netconf::GuestWant gw{"kvm1", "g1", changed.name, *MacAddress::parse(mac), false, &only};
  const auto edits = ifcfg::format().guest_edits(gw, have, files, "", d2);
  if (d2.has_errors()) {
    o.refused = true;
    o.why = format_diagnostic(d2.items().front());
    return o;
  }
  if (edits.size() != 1 || !edits[0].before) {
    o.why = "changing DEFROUTE gave " + std::to_string(edits.size()) + " edits";
    return o;
  }
  if (lines_without(*edits[0].before, "DEFROUTE") != lines_without(edits[0].after, "DEFROUTE"))
    o.why = "changing DEFROUTE changed other lines:\n" + edits[0].after;
  return o;
}

}  // namespace

TEST_CASE("netconf round trip: show then plan is empty and a one-key change keeps every other "
          "byte, for every ifcfg file of the corpus" * doctest::test_suite("netconf")) {
  const fs::path corpus = test::corpus_dir();
  if (corpus.empty() || !fs::exists(corpus / "ifcfg-rh")) {
    MESSAGE("SKIPPED: corpus not found (set MVT_CORPUS_DIR)");
    return;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(corpus / "ifcfg-rh"))
    if (e.is_regular_file() && e.path().filename().string().rfind("ifcfg-", 0) == 0)
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE_FALSE(files.empty());
  int passed = 0, refused = 0, matched = 0;
  for (const auto& p : files) {
    test::TempDir tmp;
    const Outcome o = round_trip(p, tmp.path());
    INFO(p.filename().string(), ": ", o.why);
    if (o.refused) {
      ++refused;
      CHECK_FALSE(o.why.empty());  // a refusal always says why
      continue;
    }
    CHECK(o.why.empty());
    if (o.why.empty()) ++passed;
    if (o.matched) ++matched;
  }
  MESSAGE("corpus round trips: " << files.size() << " files, " << passed << " pass ("
                                 << matched << " imported as a guest interface's config), "
                                 << refused << " refused with an error");
}
