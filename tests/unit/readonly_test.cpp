// Read-only guarantee (issue 8.4): validate, plan, drift and show change nothing and run no
// command inside a guest. Two angles:
//  - in process: observe + diff + plan through sources and a hypervisor that throw on any
//    write, removal, device change, lifecycle call or non-reading agent command;
//  - through the binary: every byte, mode and mtime of a copy of the embedded lab is the same
//    afterwards, the state dir is never created, and (as root, where mount namespaces work)
//    the commands succeed with the lab's roots mounted read-only.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "diff/diff.hpp"
#include "files/dir_source.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "observe/observe.hpp"
#include "plan/planner.hpp"
#include "spec/loader.hpp"
#include "test_support.hpp"
#include "util/errors.hpp"

namespace fs = std::filesystem;
using namespace mvt;

namespace {

// Fails the test on any mutation; reads pass through to the real source.
class WriteTrapSource : public FileAccess {
 public:
  explicit WriteTrapSource(std::unique_ptr<FileAccess> real) : real_(std::move(real)) {}
  std::string describe() const override { return real_->describe(); }
  std::optional<FileInfo> read(const std::string& rel) override { return real_->read(rel); }
  std::vector<std::string> list(const std::string& d) override { return real_->list(d); }
  void write_atomic(const std::string& rel, const std::string&, std::optional<unsigned>) override {
    throw Error("read-only violation: write " + rel);
  }
  void remove(const std::string& rel) override { throw Error("read-only violation: remove " + rel); }
  void chown(const std::string& rel, unsigned, unsigned) override {
    throw Error("read-only violation: chown " + rel);
  }
  bool can_run() const override { return true; }  // tempt the caller
  CommandResult run(const std::vector<std::string>& argv, std::chrono::milliseconds) override {
    throw Error("read-only violation: run " + (argv.empty() ? std::string() : argv[0]));
  }

 private:
  std::unique_ptr<FileAccess> real_;
};

// Passes reads to libvirt; every change or guest command is a violation.
class ChangeTrapHypervisor : public Hypervisor {
 public:
  explicit ChangeTrapHypervisor(std::unique_ptr<Hypervisor> real) : real_(std::move(real)) {}
  std::string uri() const override { return real_->uri(); }
  std::vector<DomainSummary> list_domains() override { return real_->list_domains(); }
  std::optional<std::string> domain_xml(const std::string& n, bool inactive) override {
    return real_->domain_xml(n, inactive);
  }
  void define_xml(const std::string&) override { violation("define"); }
  void attach_device(const std::string&, const std::string&, bool, bool) override { violation("attach"); }
  void detach_device(const std::string&, const std::string&, bool, bool) override { violation("detach"); }
  void update_device(const std::string&, const std::string&, bool, bool) override { violation("update"); }
  void start(const std::string&) override { violation("start"); }
  void shutdown(const std::string&) override { violation("shutdown"); }
  void destroy(const std::string&) override { violation("destroy"); }
  void reboot(const std::string&) override { violation("reboot"); }
  std::string agent_command(const std::string&, const std::string& json, std::chrono::seconds) override {
    violation("agent command " + json);
    return {};
  }
  std::optional<std::vector<HostNicState>> host_interfaces() override { return real_->host_interfaces(); }
  bool supports_hotplug() const override { return real_->supports_hotplug(); }

 private:
  [[noreturn]] static void violation(const std::string& what) {
    throw Error("read-only violation: " + what);
  }
  std::unique_ptr<Hypervisor> real_;
};

struct Entry {
  std::string bytes;
  unsigned mode;
  long long mtime_ns;
};

std::map<std::string, Entry> snapshot(const fs::path& root) {
  std::map<std::string, Entry> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    struct stat st {};
    REQUIRE(::lstat(e.path().c_str(), &st) == 0);
    Entry en{e.is_regular_file() ? test::read_file(e.path()) : std::string(), st.st_mode,
             static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec};
    out[fs::relative(e.path(), root).string()] = en;
  }
  return out;
}

void copy_lab(const fs::path& to) {
  fs::copy(test::source_dir() / "specs", to / "specs", fs::copy_options::recursive);
}

}  // namespace

TEST_CASE("read-only: observe and plan never write, change a domain or run a guest command" *
          doctest::test_suite("security")) {
  test::TempDir tmp;
  copy_lab(tmp.path());
  const auto specs = tmp.path() / "specs";
  auto loaded = spec::load({(specs / "seed.yaml").string(), (specs / "lab/seed-lab.yaml").string()});
  REQUIRE_FALSE(loaded.diagnostics.has_errors());

  ObserveOptions opts;
  const auto base = default_file_access_factory(true);
  opts.files = [&](const std::string& h, const std::string& g, const FileSourceSpec& s)
      -> std::unique_ptr<FileAccess> {
    auto real = base(h, g, s);
    if (!real) return nullptr;
    return std::make_unique<WriteTrapSource>(std::move(real));
  };
  opts.hypervisor = [](const std::string& uri, bool read_only) -> std::unique_ptr<Hypervisor> {
    return std::make_unique<ChangeTrapHypervisor>(LibvirtHypervisor::connect(uri, read_only));
  };
  const auto obs = observe(loaded.topology, opts);
  REQUIRE(obs.hosts.at("kvm1").reachable);
  CHECK(obs.hosts.at("kvm1").files_read);
  auto changes = diff::compute(loaded.topology, obs);
  CHECK_FALSE(changes.diagnostics.has_errors());
  auto p = plan::make_plan(changes, loaded.digest);
  CHECK(p.has_changes());  // the before-state lab differs: the plan had work to describe
}

TEST_CASE("read-only: validate, plan, drift and show leave every byte, mode and mtime alone" *
          doctest::test_suite("security")) {
  test::TempDir tmp;
  copy_lab(tmp.path());
  const auto specs = tmp.path() / "specs";
  const auto out = tmp.path() / "out";
  fs::create_directory(out);
  const auto state = tmp.path() / "state-never-created";
  const auto before = snapshot(specs);
  const std::vector<std::string> spec_args = {"-f", (specs / "seed.yaml").string(), "-f",
                                              (specs / "lab/seed-lab.yaml").string()};
  auto with = [&](std::vector<std::string> head) {
    head.insert(head.end(), spec_args.begin(), spec_args.end());
    head.push_back("--state-dir");
    head.push_back(state.string());
    return head;
  };
  CHECK(test::run_tool(with({"validate"})).exit_code == 0);
  for (const char* fmt : {"text", "json", "markdown"}) {
    auto r = test::run_tool(with({"plan", "--format", fmt, "--detailed-exitcode"}));
    CHECK_MESSAGE(r.exit_code == 2, r.err);
  }
  CHECK(test::run_tool(with({"plan", "-o", (out / "p.json").string()})).exit_code == 0);
  auto d = test::run_tool(with({"drift", "--prometheus", (out / "drift.prom").string()}));
  CHECK_MESSAGE(d.exit_code == 2, d.err);
  auto s = test::run_tool({"show", "--connect", "test://" + (specs / "lab/node.xml").string(),
                           "--host-files", "dir:" + (specs / "lab/host").string(), "--guest-files",
                           "web1=dir:" + (specs / "lab/guest-web1").string(), "--state-dir",
                           state.string()});
  CHECK_MESSAGE(s.exit_code == 0, s.err);
  CHECK(snapshot(specs).size() == before.size());
  for (const auto& [path, e] : snapshot(specs)) {
    CAPTURE(path);
    REQUIRE(before.count(path) == 1);
    CHECK(before.at(path).bytes == e.bytes);
    CHECK(before.at(path).mode == e.mode);
    CHECK(before.at(path).mtime_ns == e.mtime_ns);
  }
  CHECK_FALSE(fs::exists(state));
}

TEST_CASE("read-only: the commands succeed with the lab mounted read-only" *
          doctest::test_suite("security")) {
  if (::geteuid() != 0) {
    MESSAGE("SKIPPED: needs root for a private mount namespace with a read-only bind mount");
    return;
  }
  auto probe = test::run({"/usr/bin/unshare", "-m", "/bin/true"});
  if (probe.exit_code != 0) {
    MESSAGE("SKIPPED: unshare -m does not work here: " << probe.err);
    return;
  }
  test::TempDir tmp;
  copy_lab(tmp.path());
  const auto specs = tmp.path() / "specs";
  // $1 = directory made read-only in a private mount namespace; the rest is the command.
  const std::string script =
      "mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" && shift && exec \"$@\"";
  for (const char* cmd : {"validate", "plan", "drift"}) {
    auto r = test::run({"/usr/bin/unshare", "-m", "/bin/sh", "-c", script, "sh", specs.string(),
                        test::binary().string(), cmd, "-f", (specs / "seed.yaml").string(), "-f",
                        (specs / "lab/seed-lab.yaml").string(), "--state-dir",
                        (specs / "state").string()});
    CAPTURE(cmd);
    CHECK_MESSAGE((r.exit_code == 0 || r.exit_code == 2), r.err);
  }
  // Sanity: the mount really was read-only (a write in the same setup fails).
  auto w = test::run({"/usr/bin/unshare", "-m", "/bin/sh", "-c", script, "sh", specs.string(),
                      "/usr/bin/touch", (specs / "probe").string()});
  CHECK(w.exit_code != 0);
}
