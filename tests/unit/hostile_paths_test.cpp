// Hostile catalogue, issue 12 point 2: paths resolve beneath their root, symlinks never lead
// out, diagnostics cannot drive the reviewer's terminal. Real binary, real files in a temp dir.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "test_support.hpp"

namespace fs = std::filesystem;
using mvt::test::run_tool;
using mvt::test::TempDir;
using mvt::test::write_file;

namespace {

const std::string kMarker = "SECRET-MARKER-7f3a9c";

// A secret file outside every spec tree, holding the marker in YAML-ish lines (so that a
// reader following the link would quote them in "unknown key" errors).
fs::path make_secret(const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path p = dir / "shadow";
  write_file(p, kMarker + ": x\nroot-" + kMarker + ": y\n");
  return p;
}

const std::string kValid = "version: 1\nhosts: {}\n";

bool has_raw_controls(const std::string& s) {
  for (unsigned char c : s)
    if (c == 0x1b || c == 0x07 || c == 0x0d || c == 0x9b) return true;
  return false;
}

}  // namespace

TEST_CASE("hostile: a symlinked *.yaml in a -f directory is refused, its target never read" *
          doctest::test_suite("security")) {
  TempDir t;
  const fs::path secret = make_secret(t.path() / "etc");
  fs::create_directories(t.path() / "topology");
  write_file(t.path() / "topology/10-ok.yaml", kValid);
  fs::create_symlink(secret, t.path() / "topology/99-x.yaml");
  auto r = run_tool({"validate", "-f", (t.path() / "topology").string()});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("refusing symbolic link '" + (t.path() / "topology/99-x.yaml").string() +
                   "'") != std::string::npos);
  CHECK(r.out.find(kMarker) == std::string::npos);
  CHECK(r.err.find(kMarker) == std::string::npos);
  // plan refuses the same way, before contacting anything.
  auto p = run_tool({"plan", "-f", (t.path() / "topology").string()});
  CHECK(p.exit_code == 1);
  CHECK(p.err.find("refusing symbolic link") != std::string::npos);
  CHECK((p.out + p.err).find(kMarker) == std::string::npos);
}

TEST_CASE("hostile: a symlinked spec file named by -f, or a symlinked directory on the path, "
          "is refused" * doctest::test_suite("security")) {
  TempDir t;
  const fs::path secret = make_secret(t.path() / "etc");
  fs::create_directories(t.path() / "real");
  write_file(t.path() / "real/a.yaml", kValid);
  fs::create_symlink(secret, t.path() / "spec.yaml");
  fs::create_symlink(t.path() / "etc", t.path() / "topology");  // a checkout's dir link
  fs::create_symlink(t.path() / "real", t.path() / "linked");
  for (const auto& arg : {t.path() / "spec.yaml", t.path() / "topology",
                          t.path() / "topology/shadow", t.path() / "linked/a.yaml"}) {
    CAPTURE(arg);
    auto r = run_tool({"validate", "-f", arg.string()});
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("refusing symbolic link") != std::string::npos);
    CHECK((r.out + r.err).find(kMarker) == std::string::npos);
  }
  // The same spec through its real path is fine: the refusal is about the link.
  CHECK(run_tool({"validate", "-f", (t.path() / "real/a.yaml").string()}).exit_code == 0);
}

TEST_CASE("hostile: a FIFO as spec file is refused without blocking, named or in a directory" *
          doctest::test_suite("security")) {
  TempDir t;
  fs::create_directories(t.path() / "topology");
  write_file(t.path() / "topology/10-ok.yaml", kValid);
  REQUIRE(::mkfifo((t.path() / "topology/50-fifo.yaml").c_str(), 0600) == 0);
  // run_tool is bounded (60 s): a tool blocked on the FIFO's open would fail the exit check.
  for (const auto& arg : {t.path() / "topology", t.path() / "topology/50-fifo.yaml"}) {
    CAPTURE(arg);
    auto r = run_tool({"validate", "-f", arg.string()});
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("50-fifo.yaml': not a regular file") != std::string::npos);
  }
  // A directory named like a spec file inside a spec directory: refused, not skipped.
  fs::remove(t.path() / "topology/50-fifo.yaml");
  fs::create_directories(t.path() / "topology/60-dir.yaml");
  auto r = run_tool({"validate", "-f", (t.path() / "topology").string()});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("60-dir.yaml': is a directory") != std::string::npos);
}

TEST_CASE("hostile: ESC/BEL/CR in a key name or a value never reach the terminal raw" *
          doctest::test_suite("security")) {
  TempDir t;
  // Raw bytes in a plain key, and escapes decoded by YAML in a quoted key and value.
  write_file(t.path() / "a.yaml",
             "version: 1\nho\x1b]0;pwned\x07sts\r: {}\n\"k\\e[2J\\a\\r\\x9b\": \"v\\e[31m\"\n");
  auto r = run_tool({"validate", "-f", (t.path() / "a.yaml").string()});
  CHECK(r.exit_code == 1);
  CHECK_FALSE(has_raw_controls(r.out));
  CHECK_FALSE(has_raw_controls(r.err));
  CHECK(r.out.find("\\e") != std::string::npos);
  auto p = run_tool({"plan", "-f", (t.path() / "a.yaml").string()});
  CHECK(p.exit_code == 1);
  CHECK_FALSE(has_raw_controls(p.out));
  CHECK_FALSE(has_raw_controls(p.err));
  // A file name with an ESC in it, refused as a symlink: the name is escaped too.
  fs::create_directories(t.path() / "d");
  fs::create_symlink(t.path() / "a.yaml", t.path() / "d/x\x1b[2J.yaml");
  auto l = run_tool({"validate", "-f", (t.path() / "d").string()});
  CHECK(l.exit_code == 1);
  CHECK(l.out.find("x\\e[2J.yaml") != std::string::npos);
  CHECK_FALSE(has_raw_controls(l.out));
}

TEST_CASE("hostile: a dir: root that is a symlink out of --allow-root is refused, resolved" *
          doctest::test_suite("security")) {
  TempDir t;
  const fs::path src = mvt::test::source_dir() / "specs";
  fs::copy(src / "seed.yaml", t.path() / "seed.yaml");
  fs::copy(src / "lab", t.path() / "lab", fs::copy_options::recursive);
  // The host root moves outside the allowed tree; a link takes its place.
  fs::rename(t.path() / "lab/host", t.path() / "outside-host");
  write_file(t.path() / "outside-host/etc/sysconfig/network-scripts/ifcfg-zz",
             "DEVICE=zz\nNAME=" + kMarker + "\n");
  fs::create_symlink(t.path() / "outside-host", t.path() / "lab/host");
  auto r = run_tool({"plan", "-f", (t.path() / "seed.yaml").string(), "-f",
                     (t.path() / "lab/seed-lab.yaml").string(), "--allow-root",
                     (t.path() / "lab").string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("files root '" + (t.path() / "lab/host").string() + "' (resolved: '" +
                   (t.path() / "outside-host").string() + "') is outside the allowed roots") !=
        std::string::npos);
  CHECK(r.err.find("guard.root-not-allowed") != std::string::npos);
  CHECK((r.out + r.err).find(kMarker) == std::string::npos);
  // '..' out of the allowed root: refused as well (after resolution).
  write_file(t.path() / "lab/dotdot.yaml",
             "version: 1\nhosts:\n  kvm1:\n    files: dir:../outside-host\n");
  auto d = run_tool({"plan", "-f", (t.path() / "seed.yaml").string(), "-f",
                     (t.path() / "lab/seed-lab.yaml").string(), "-f",
                     (t.path() / "lab/dotdot.yaml").string(), "--allow-root",
                     (t.path() / "lab").string()});
  CHECK(d.exit_code == 1);
  CHECK(d.err.find("is outside the allowed roots") != std::string::npos);
  CHECK((d.out + d.err).find(kMarker) == std::string::npos);
  // The control: the real directory inside the allowed root passes the guard.
  fs::remove(t.path() / "lab/host");
  fs::rename(t.path() / "outside-host", t.path() / "lab/host");
  fs::remove(t.path() / "lab/host/etc/sysconfig/network-scripts/ifcfg-zz");
  auto ok = run_tool({"plan", "-f", (t.path() / "seed.yaml").string(), "-f",
                      (t.path() / "lab/seed-lab.yaml").string(), "--allow-root",
                      (t.path() / "lab").string()});
  CHECK(ok.err.find("outside the allowed roots") == std::string::npos);
}

// The renderers over a plan whose target and values carry hostile text (as a live file or a
// libvirt domain could): the markdown table keeps its columns, the text has no raw control.
#include "diff_fixtures.hpp"
#include "plan/planner.hpp"
#include "render/markdown.hpp"
#include "render/plan_view.hpp"
#include "render/text.hpp"

TEST_CASE("hostile: plan text and markdown escape values, a value cannot break out of its cell" *
          doctest::test_suite("security")) {
  auto cs = mvt::diff::compute(mvt::test::seed_topology(), mvt::test::seed_before(), {});
  REQUIRE_FALSE(cs.diagnostics.has_errors());
  auto p = mvt::plan::make_plan(cs, "0123");
  REQUIRE_FALSE(p.steps.empty());
  auto& s = p.steps.front();
  s.target = "evil`|x\n| injected | row |\x1b[2J";
  s.reason = "why\x07\r|<b>x</b>";
  REQUIRE_FALSE(s.changes.empty());
  s.changes.front().after = std::string("v\x1b]0;t\x07\xc2\x9b");
  const auto v = mvt::render::make_view(p, mvt::render::Mode::Plan);
  const std::string text = mvt::render::render_text(v);
  CHECK_FALSE(has_raw_controls(text));
  const std::string md = mvt::render::render_markdown(v);
  CHECK_FALSE(has_raw_controls(md));
  CHECK(md.find("\n| injected") == std::string::npos);
  CHECK(md.find("<b>") == std::string::npos);
  // The row of the hostile step is still one line with the table's 6 unescaped pipes.
  const auto at = md.find("| " + s.id + " |");
  REQUIRE(at != std::string::npos);
  const std::string row = md.substr(at, md.find('\n', at) - at);
  int pipes = 0;
  for (std::size_t i = 0; i < row.size(); ++i)
    if (row[i] == '|' && (i == 0 || row[i - 1] != '\\')) ++pipes;
  CHECK(pipes == 6);
}

// ---- test: node files (issue 12 point 2, slice B2) ----
// A spec's `uri: test:FILE` / `test:///ABS` makes libvirt's test driver parse that file and
// quote it in its errors: the guard admits only a regular file, reached without a symlink,
// beneath the spec file's directory or an --allow-root root.
namespace {

struct Lab {
  TempDir t;
  fs::path seed, lab;
  Lab() {
    const fs::path src = mvt::test::source_dir() / "specs";
    fs::copy(src / "seed.yaml", t.path() / "seed.yaml");
    fs::copy(src / "lab", t.path() / "lab", fs::copy_options::recursive);
    seed = t.path() / "seed.yaml";
    lab = t.path() / "lab/seed-lab.yaml";
  }
  // An overlay at `rel` (below the temp dir) giving kvm1 the URI `uri`; the URI's value is
  // at line 4, column 10.
  fs::path overlay(const std::string& rel, const std::string& uri) {
    const fs::path p = t.path() / rel;
    fs::create_directories(p.parent_path());
    write_file(p, "version: 1\nhosts:\n  kvm1:\n    uri: " + uri + "\n");
    return p;
  }
  mvt::test::RunResult plan(const fs::path& over, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"plan", "-f", seed.string(), "-f", lab.string(), "-f",
                                  over.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(args);
  }
};

void check_refused_node(const mvt::test::RunResult& r, const fs::path& spec,
                        const std::string& substance) {
  const std::string both = r.out + r.err;  // validate reports on stdout, plan on stderr
  CHECK(r.exit_code == 1);
  CHECK(both.find(spec.string() + ":4:10: error: host 'kvm1': libvirt URI 'test:///") !=
        std::string::npos);
  CHECK(both.find("[guard.test-node]") != std::string::npos);
  CHECK(both.find(substance) != std::string::npos);
  CHECK(both.find(kMarker) == std::string::npos);
}

}  // namespace

TEST_CASE("hostile: a test: node file '..' out of the spec's directory is refused" *
          doctest::test_suite("security")) {
  Lab l;
  const fs::path secret = make_secret(l.t.path() / "outside");
  fs::rename(secret, l.t.path() / "outside/node.xml");
  const fs::path over = l.overlay("lab/sub/evil.yaml", "test:../../outside/node.xml");
  auto r = l.plan(over);
  check_refused_node(r, over,
                     "test driver node file '" + (l.t.path() / "outside/node.xml").string() +
                         "' lies outside the directory of the spec file naming it ('" +
                         (l.t.path() / "lab/sub").string() + "')");
  // validate runs the guard as well.
  auto v = run_tool({"validate", "-f", l.seed.string(), "-f", l.lab.string(), "-f", over.string()});
  check_refused_node(v, over, "lies outside the directory of the spec file");
}

TEST_CASE("hostile: an absolute test:/// node file outside the spec's directory is refused, "
          "--allow-root and --connect admit one" *
          doctest::test_suite("security")) {
  Lab l;
  const fs::path secret = make_secret(l.t.path() / "outside");
  fs::rename(secret, l.t.path() / "outside/node.xml");
  const std::string abs = (l.t.path() / "outside/node.xml").string();
  const fs::path over = l.overlay("lab/evil.yaml", "test://" + abs);
  auto r = l.plan(over);
  check_refused_node(r, over, "test driver node file '" + abs + "' lies outside");
  // --allow-root another tree does not help.
  auto other = l.plan(over, {"--allow-root", (l.t.path() / "lab").string()});
  check_refused_node(other, over, "lies outside");
  // The control: a valid node file beneath an --allow-root root passes the guard.
  fs::create_directories(l.t.path() / "allowed");
  fs::copy(l.t.path() / "lab/node.xml", l.t.path() / "allowed/node.xml");
  const fs::path ok_over =
      l.overlay("lab/ok.yaml", "test://" + (l.t.path() / "allowed/node.xml").string());
  auto ok = l.plan(ok_over, {"--allow-root", l.t.path().string()});
  CHECK(ok.err.find("guard.test-node") == std::string::npos);
  CHECK(ok.exit_code != 1);
  auto no_root = l.plan(ok_over);
  CHECK(no_root.exit_code == 1);
  CHECK(no_root.err.find("guard.test-node") != std::string::npos);
  // An operator's --connect is not restricted.
  auto show = run_tool({"show", "--connect", "test://" + (l.t.path() / "allowed/node.xml").string()});
  CHECK(show.err.find("guard.test-node") == std::string::npos);
  CHECK(show.exit_code == 0);
}

TEST_CASE("hostile: a test: node file that is a symlink out of the spec's directory is refused" *
          doctest::test_suite("security")) {
  Lab l;
  const fs::path secret = make_secret(l.t.path() / "outside");
  fs::create_symlink(secret, l.t.path() / "lab/node-link.xml");
  const fs::path over = l.overlay("lab/evil.yaml", "test:node-link.xml");
  auto r = l.plan(over);
  check_refused_node(r, over,
                     "'" + (l.t.path() / "lab/node-link.xml").string() +
                         "' is a symbolic link (never followed)");
  // Even under --allow-root covering both ends.
  auto a = l.plan(over, {"--allow-root", l.t.path().string()});
  check_refused_node(a, over, "is a symbolic link");
  // A symlinked directory on the way is refused the same way.
  fs::create_directory_symlink(l.t.path() / "outside", l.t.path() / "lab/out");
  fs::rename(secret, l.t.path() / "outside/node.xml");
  const fs::path over2 = l.overlay("lab/evil2.yaml", "test:out/node.xml");
  auto d = l.plan(over2, {"--allow-root", l.t.path().string()});
  check_refused_node(d, over2,
                     "'" + (l.t.path() / "lab/out").string() + "' is a symbolic link");
}

TEST_CASE("hostile: a FIFO as test: node file is refused without blocking" *
          doctest::test_suite("security")) {
  Lab l;
  REQUIRE(::mkfifo((l.t.path() / "lab/fifo.xml").c_str(), 0600) == 0);
  const fs::path over = l.overlay("lab/evil.yaml", "test:fifo.xml");
  auto r = l.plan(over);
  check_refused_node(r, over,
                     "'" + (l.t.path() / "lab/fifo.xml").string() + "' is not a regular file");
}

TEST_CASE("hostile: control - the embedded lab's test: node file still plans" *
          doctest::test_suite("security")) {
  Lab l;
  auto r = run_tool({"plan", "-f", l.seed.string(), "-f", l.lab.string()});
  CHECK(r.err.find("guard.test-node") == std::string::npos);
  CHECK(r.exit_code != 1);
  CHECK(r.out.find("kvm1") != std::string::npos);
}

// ---- dir: roots at read time (issue 12 point 2, slice B2) ----
#include "files/dir_source.hpp"
#include "util/errors.hpp"

namespace {
// What reading `rel` from a DirSource over `root` throws ("" when nothing is thrown).
std::string read_error(const fs::path& root, const std::string& rel) {
  mvt::DirSource src(root);
  try {
    src.read(rel);
  } catch (const mvt::AccessError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("hostile: a dir: root swapped for a symlink after the guard's check is refused at "
          "read time" *
          doctest::test_suite("security")) {
  TempDir t;
  const fs::path secret = make_secret(t.path() / "outside");
  write_file(t.path() / "outside/ifcfg-x", kMarker + "\n");
  fs::create_directories(t.path() / "spec/host");
  write_file(t.path() / "spec/host/ifcfg-x", "DEVICE=x\n");
  const fs::path root = t.path() / "spec/host";
  // Approved as a real directory: reads work.
  CHECK(read_error(root, "ifcfg-x").empty());
  // Swapped: the root itself becomes a link to another tree.
  fs::remove_all(root);
  fs::create_directory_symlink(t.path() / "outside", root);
  const std::string e = read_error(root, "ifcfg-x");
  CHECK(e.find("cannot open root directory " + root.string()) != std::string::npos);
  CHECK(e.find("'" + root.string() + "' is a symbolic link") != std::string::npos);
  CHECK(e.find(kMarker) == std::string::npos);
  // A link on the root's path (a parent directory swapped) is refused the same way.
  fs::remove(root);
  fs::create_directories(t.path() / "outside/host");
  write_file(t.path() / "outside/host/ifcfg-x", kMarker + "\n");
  fs::rename(t.path() / "spec", t.path() / "spec-real");
  fs::create_directory_symlink(t.path() / "outside", t.path() / "spec");
  const std::string p = read_error(root, "ifcfg-x");
  CHECK(p.find("'" + (t.path() / "spec").string() + "' is a symbolic link") != std::string::npos);
  CHECK(p.find(kMarker) == std::string::npos);
  // Writes are refused as well (nothing is created through the link).
  mvt::DirSource w(root);
  CHECK_THROWS_AS(w.write_atomic("ifcfg-new", "DEVICE=new\n"), mvt::AccessError);
  CHECK_FALSE(fs::exists(t.path() / "outside/host/ifcfg-new"));
  (void)secret;
}

TEST_CASE("hostile: without --allow-root, plan refuses a dir: root that is a symlink when it "
          "reads it" *
          doctest::test_suite("security")) {
  Lab l;
  fs::rename(l.t.path() / "lab/host", l.t.path() / "outside-host");
  write_file(l.t.path() / "outside-host/etc/sysconfig/network-scripts/ifcfg-zz",
             "DEVICE=zz\nNAME=" + kMarker + "\n");
  fs::create_directory_symlink(l.t.path() / "outside-host", l.t.path() / "lab/host");
  auto r = run_tool({"plan", "-f", l.seed.string(), "-f", l.lab.string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cannot open root directory " + (l.t.path() / "lab/host").string() + ": '" +
                   (l.t.path() / "lab/host").string() + "' is a symbolic link") !=
        std::string::npos);
  CHECK((r.out + r.err).find(kMarker) == std::string::npos);
}

TEST_CASE("hostile: apply's own stderr lines escape ESC/BEL (a plan file path, an error)" *
          doctest::test_suite("security")) {
  Lab l;
  const std::string name = "x\x1b[2J\x07.plan";
  // A plan file that is not there: "cannot read plan file ..." on stderr, escaped.
  auto r = run_tool({"--state-dir", (l.t.path() / "state").string(), "apply",
                     (l.t.path() / name).string(), "-f", l.seed.string(), "-f", l.lab.string(),
                     "--yes"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cannot read plan file") != std::string::npos);
  CHECK(r.err.find("x\\e[2J\\a.plan") != std::string::npos);
  CHECK_FALSE(has_raw_controls(r.out + r.err));
  // A plan file that is not a plan: "refusing plan file ..." (the loader's diagnostics too).
  write_file(l.t.path() / name, "not a plan \x1b]0;title\x07\n");
  auto p = run_tool({"--state-dir", (l.t.path() / "state").string(), "apply",
                     (l.t.path() / name).string(), "-f", l.seed.string(), "-f", l.lab.string(),
                     "--yes"});
  CHECK(p.exit_code == 1);
  CHECK(p.err.find("refusing plan file") != std::string::npos);
  CHECK_FALSE(has_raw_controls(p.out + p.err));
  CHECK_FALSE(fs::exists(l.t.path() / "state"));
}
