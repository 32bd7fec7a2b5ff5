// Hostile catalogue, issue 12 points 1 and 8: libvirt URIs are parsed, never globbed (a spec
// cannot make `plan`, `drift`, `validate` or `show` run a program), and names and values that
// would write the wrong thing are refused. Attacks run the real binary against a real
// program (evil.sh) that would create a marker file: every case asserts exit 1, the message,
// that the marker does not exist and that nothing was written next to the spec.
#include <doctest/doctest.h>

#include <algorithm>

#include <csignal>
#include <filesystem>
#include <set>
#include <sstream>

#include "libvirt/libvirt_hypervisor.hpp"
#include "spec/guard.hpp"
#include "util/errors.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using namespace mvt::test;

namespace {

bool has(const std::string& text, const std::string& fragment) {
  return text.find(fragment) != std::string::npos;
}

// Names (relative) of everything under dir: "nothing was written" compares two of these.
std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out.insert(fs::relative(e.path(), dir).string());
  return out;
}

// A temp dir with evil.sh, which creates `marker` when anything runs it.
struct Lair {
  TempDir t;
  fs::path evil = t.path() / "evil.sh";
  fs::path marker = t.path() / "PWNED";
  Lair() {
    write_file(evil, "#!/bin/sh\n: > '" + marker.string() + "'\nexit 1\n");
    fs::permissions(evil, fs::perms(0755));
  }
  // A one-host spec whose uri (line 4, column 10) is `uri`.
  fs::path spec(const std::string& uri, const std::string& name = "spec.yaml") const {
    const fs::path p = t.path() / name;
    write_file(p, "version: 1\nhosts:\n  kvm1:\n    uri: \"" + uri + "\"\n");
    return p;
  }
};

std::string both(const RunResult& r) { return r.out + r.err; }

Diagnostics guard_of(const std::string& uri, const Guard& g,
                     FileSourceSpec files = {FileSourceKind::None, ""}) {
  Topology t;
  Host h;
  h.name = "kvm1";
  h.uri = uri;
  h.files = files;
  h.pos["uri"] = {"spec.yaml", 4, 10};
  h.pos["files"] = {"spec.yaml", 5, 12};
  t.hosts["kvm1"] = h;
  Diagnostics d;
  check_guard(t, g, d);
  return d;
}

bool allowed(const std::string& uri, const Guard& g) { return guard_of(uri, g).empty(); }

// The URI checks alone: a test: node file that does not exist here (guard.test-node, checked
// in hostile_paths_test.cpp) is not what these cases are about.
bool uri_allowed(const std::string& uri, const Guard& g) {
  const auto d = guard_of(uri, g);
  return std::all_of(d.items().begin(), d.items().end(),
                     [](const auto& x) { return x.rule == "guard.test-node"; });
}

std::string first_message(const Diagnostics& d) {
  return d.items().empty() ? std::string() : d.items().front().message;
}

}  // namespace

// ---- point 1: libvirt URIs ------------------------------------------------------------------

TEST_CASE("hostile: test+ext:///default?command=evil runs nothing from plan, drift, validate "
          "or show --connect" * doctest::test_suite("security")) {
  Lair l;
  const std::string uri = "test+ext:///default?command=" + l.evil.string();
  const auto spec = l.spec(uri);
  const auto before = listing(l.t.path());
  for (const std::string cmd : {"plan", "drift", "validate"}) {
    const auto r = run_tool({cmd, "-f", spec.string()});
    INFO(cmd, ": ", both(r));
    CHECK(r.exit_code == 1);
    CHECK(has(both(r), spec.string() + ":4:10: error: host 'kvm1': libvirt URI '" + uri +
                           "' uses the 'ext' transport, which runs a local program; refused"));
    CHECK(has(both(r), "has the query parameter 'command', which runs a local program"));
    CHECK(has(both(r), "--allow-uri-param command"));
    CHECK_FALSE(fs::exists(l.marker));
  }
  const auto s = run_tool({"show", "--connect", uri});
  INFO(both(s));
  CHECK(s.exit_code == 1);
  CHECK(has(s.err, "--connect: error: host '"));
  CHECK(has(s.err, "uses the 'ext' transport"));
  CHECK(s.out.empty());
  // --connect overriding a harmless spec's URI goes through the same guard.
  const auto harmless = l.spec("test:///default", "harmless.yaml");
  const auto c = run_tool({"--connect", uri, "plan", "-f", harmless.string()});
  CHECK(c.exit_code == 1);
  CHECK(has(c.err, "--connect: error: host 'kvm1': libvirt URI '" + uri + "' uses the 'ext'"));
  CHECK_FALSE(fs::exists(l.marker));
  CHECK(listing(l.t.path()) == [&] {
    auto b = before;
    b.insert("harmless.yaml");
    return b;
  }());
}

// The control: without the guard, libvirt's client itself runs evil.sh for both URIs - so
// the marker's absence above and below proves the guard, not a harmless fixture.
TEST_CASE("hostile: control: libvirt's client runs the command= of both attack URIs" *
          doctest::test_suite("security")) {
  // libvirt writes to the pipe of evil.sh, which has exited: ignore SIGPIPE as macvtapctl's
  // main does, so the write fails with EPIPE instead of killing the test process.
  const auto old = std::signal(SIGPIPE, SIG_IGN);
  for (const std::string tail : {"test+ext:///default?command=",
                                 "qemu+ssh://u@kvm1/system?x=/system&command="}) {
    Lair l;
    try {
      LibvirtHypervisor::connect(tail + l.evil.string(), true);
    } catch (const Error&) {
      // evil.sh exits 1: the connection fails after the program ran.
    }
    CHECK_MESSAGE(fs::exists(l.marker), tail);
  }
  std::signal(SIGPIPE, old);
}

TEST_CASE("hostile: ?command= is not smuggled past --allow-uri 'qemu+ssh://u@kvm*/system'" *
          doctest::test_suite("security")) {
  Lair l;
  const std::string uri = "qemu+ssh://u@kvm1/system?command=" + l.evil.string() + "&x=/system";
  const auto spec = l.spec(uri);
  const auto before = listing(l.t.path());
  for (const std::string cmd : {"plan", "drift", "validate"}) {
    const auto r = run_tool({"--allow-uri", "qemu+ssh://u@kvm*/system", cmd, "-f", spec.string()});
    INFO(cmd, ": ", both(r));
    CHECK(r.exit_code == 1);
    CHECK(has(both(r), spec.string() + ":4:10: error: host 'kvm1': libvirt URI '" + uri +
                           "' has the query parameter 'command'"));
    CHECK(has(both(r), "' is not in the allowed URIs (--allow-uri / MVT_ALLOW_URIS)"));
    CHECK_FALSE(fs::exists(l.marker));
  }
  // Even with both parameters allowed by name, the pattern (no query) does not match.
  const auto r = run_tool({"--allow-uri", "qemu+ssh://u@kvm*/system", "--allow-uri-param",
                           "command", "--allow-uri-param", "x", "show", "--connect", uri});
  INFO(both(r));
  CHECK(r.exit_code == 1);
  CHECK(has(r.err, "--connect: error: host 'kvm1': libvirt URI '" + uri +
                       "' is not in the allowed URIs"));
  CHECK_FALSE(has(r.err, "query parameter"));
  CHECK_FALSE(fs::exists(l.marker));
  CHECK(listing(l.t.path()) == before);
}

TEST_CASE("hostile: other spellings of command= and ext are refused too" *
          doctest::test_suite("security")) {
  Lair l;
  const std::string evil = l.evil.string();
  struct Case {
    std::string uri;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {"qemu+ssh://u@kvm1/system?%63ommand=" + evil,
       "has the query parameter 'command' (written '%63ommand'), which runs a local program"},
      {"qemu+ssh://u@kvm1/system?no_tty=1;command=" + evil, "query parameter 'command'"},
      {"qemu+ssh://u@kvm1/system?COMMAND=" + evil, "query parameter 'command' (written 'COMMAND')"},
      {"qemu+ssh://u@kvm1/system?Command=" + evil + "&mode=auto", "query parameter 'command'"},
      {"QEMU+SSH://u@kvm1/system?command=" + evil, "query parameter 'command'"},
      {"TEST+EXT:///default?command=" + evil, "uses the 'ext' transport"},
      {"test+ExT:///default", "uses the 'ext' transport"},
      {"qemu+ssh://u@kvm1/system?command=%2Fbin%2Fsh", "query parameter 'command'"},
      {"qemu+ssh://u@kvm1/system?command", "query parameter 'command'"},
      {"qemu+ssh://u@kvm1/system?netcat=" + evil, "query parameter 'netcat', which names the program"},
      {"qemu+unix:///system?socket=/tmp/x.sock", "query parameter 'socket'"},
      {"qemu+ssh://u@kvm1/system?name=test:///etc/passwd", "query parameter 'name'"},
      {"qemu+pipe://u@kvm1/system", "uses the unknown transport 'pipe'"},
      {"qemu+ssh+ext://u@kvm1/system", "has a scheme that is not DRIVER or DRIVER+TRANSPORT"},
      {"qemu+ssh://u@kvm1/system?x=1;y=2&command=" + evil, "mixes '&' and ';' in its query"},
      {"qemu+ssh://u@kvm1@evil/system", "is not a URI"},
      {"qemu+ssh://-oProxyCommand=" + evil + "/system", "has a host that is neither a host name"},
      {"qemu+ssh://-oProxyCommand=x/system", "has a host that is neither a host name"},
      {"qemu+ssh://kvm1%2F..%2Fevil/system", "has a host that is neither a host name"},
      {"qemu+ssh://kvm1;command=x/system", "has a host that is neither a host name"},
      {"qemu+ssh://@kvm1/system", "has a user name that is not"},
      {"qemu+ssh://-l@kvm1/system", "has a user name that is not"},
      {"qemu://u:secret@kvm1/system", "has a user name that is not"},
      {"qemu+ssh://u@kvm1/system#x", "has a fragment"},
      {"vmwareplayer:///session", "uses the libvirt driver 'vmwareplayer'"},
      {"qemu:///system?root=/tmp/embed", "query parameter 'root'"},
  };
  for (const auto& c : cases) {
    const auto spec = l.spec(c.uri);
    const auto r = run_tool({"plan", "-f", spec.string()});
    INFO(c.uri, ": ", both(r));
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, spec.string() + ":4:10: error: host 'kvm1': libvirt URI '"));
    CHECK(has(r.err, c.fragment));
    CHECK(r.out.empty());
    CHECK_FALSE(fs::exists(l.marker));
  }
}

TEST_CASE("hostile: every query parameter but mode, no_tty and sshauth is refused unless the "
          "operator allows it by name" * doctest::test_suite("security")) {
  const std::vector<std::pair<std::string, std::string>> risky = {
      {"command", "runs a local program"},
      {"netcat", "names the program run on the remote host"},
      {"proxy", "chooses the proxy program"},
      {"socket", "opens a socket path"},
      {"keyfile", "reads a local private key file"},
      {"known_hosts", "reads, and may rewrite, a local known_hosts file"},
      {"known_hosts_verify", "relaxes host key checking"},
      {"no_verify", "turns off the check of the server's host key or TLS certificate"},
      {"pkipath", "reads TLS certificates and keys"},
      {"tls_priority", "overrides the TLS priority string"},
      {"name", "replaces the URI the libvirt daemon opens"},
      {"transport", "is not one macvtapctl knows to be harmless"},
      {"anything", "is not one macvtapctl knows to be harmless"},
  };
  for (const auto& [name, effect] : risky) {
    const std::string uri = "qemu+ssh://root@kvm1/system?" + name + "=v";
    const auto d = guard_of(uri, Guard{});
    INFO(uri, ": ", first_message(d));
    REQUIRE(d.error_count() == 1);
    CHECK(d.items()[0].rule == "guard.uri-param");
    CHECK(d.items()[0].pos.line == 4);
    CHECK(has(d.items()[0].message, "'" + name + "', which " + effect));
    Guard g;
    g.uri_params = {name};
    CHECK(allowed(uri, g));
    g.uri_params = {"other"};
    CHECK_FALSE(allowed(uri, g));
  }
  CHECK(allowed("qemu+ssh://root@kvm1/system?mode=direct&no_tty=1&sshauth=agent,privkey",
                Guard{}));
  Guard upper;
  upper.uri_params = {"NO_VERIFY"};  // names compare ignoring case, as libvirt does
  CHECK(allowed("qemu+ssh://root@kvm1/system?no_verify=1", upper));
  // The journal's URI (rollback) goes through the same checks.
  CHECK(libvirt_uri_refusal("test+ext:///default?command=/bin/sh", Guard{}).has_value());
  CHECK(libvirt_uri_refusal("qemu:///system?socket=/x", Guard{}).has_value());
  CHECK_FALSE(libvirt_uri_refusal("qemu:///system", Guard{}).has_value());
}

TEST_CASE("hostile: a parameter is allowed only from the command line or the environment, "
          "never from a spec" * doctest::test_suite("security")) {
  Lair l;
  const auto spec = l.spec("qemu+ssh://root@kvm1/system?no_verify=1");
  const auto refused = run_tool({"validate", "-f", spec.string()});
  CHECK(refused.exit_code == 1);
  CHECK(has(refused.out, ":4:10: error: host 'kvm1': libvirt URI "
                         "'qemu+ssh://root@kvm1/system?no_verify=1' has the query parameter "
                         "'no_verify'"));
  const auto flag = run_tool({"--allow-uri-param", "no_verify", "validate", "-f", spec.string()});
  INFO(both(flag));
  CHECK(flag.exit_code == 0);
  const auto env = run({"/usr/bin/env", "MVT_ALLOW_URI_PARAMS=keyfile, no_verify",
                        binary().string(), "validate", "-f", spec.string()});
  INFO(both(env));
  CHECK(env.exit_code == 0);
  // A spec has no say: a key that tries is unknown.
  const auto in_spec = l.t.path() / "in-spec.yaml";
  write_file(in_spec, "version: 1\nhosts:\n  kvm1:\n    uri: \"qemu+ssh://root@kvm1/system?"
                      "no_verify=1\"\n    allow_uri_params: [no_verify]\n");
  const auto r = run_tool({"validate", "-f", in_spec.string()});
  CHECK(r.exit_code == 1);
  CHECK(has(r.out, ":5:5: error: unknown key 'allow_uri_params'"));
  CHECK(has(r.out, "query parameter 'no_verify'"));
}

TEST_CASE("hostile: --allow-uri matches component by component" *
          doctest::test_suite("security")) {
  Guard g;
  g.uris = {"qemu+ssh://u@kvm*/system"};
  CHECK(allowed("qemu+ssh://u@kvm1/system", g));
  CHECK(allowed("qemu+ssh://u@KVM2:2222/system", g));  // host ignoring case; any port
  CHECK_FALSE(allowed("qemu+ssh://u@kvm1/system?no_tty=1", g));  // query not in the pattern
  CHECK_FALSE(allowed("qemu+ssh://kvm1@evil/system", g));          // user kvm1, host evil
  CHECK_FALSE(allowed("qemu+ssh://u@evil/kvm1/system", g));
  CHECK_FALSE(allowed("qemu+ssh://u@kvm1/system/../session", g));  // path exact
  CHECK_FALSE(allowed("qemu+ssh://u@kvm1/session", g));
  CHECK_FALSE(allowed("qemu+ssh://root@kvm1/system", g));  // user exact
  CHECK_FALSE(allowed("qemu+ssh://kvm1/system", g));       // the pattern names a user
  CHECK_FALSE(allowed("qemu+tcp://u@kvm1/system", g));     // transport exact
  CHECK_FALSE(allowed("qemu://u@kvm1/system", g));
  CHECK_FALSE(allowed("test+ssh://u@kvm1/system", g));  // driver exact
  {
    const auto d = guard_of("qemu+ssh://kvm1@evil/system", g);
    REQUIRE(d.error_count() == 1);
    CHECK(d.items()[0].rule == "guard.uri-not-allowed");
  }

  Guard any_user;
  any_user.uris = {"qemu+ssh://kvm*/system"};  // no user in the pattern: any user
  CHECK(allowed("qemu+ssh://root@kvm1/system", any_user));
  CHECK(allowed("qemu+ssh://kvm1/system", any_user));
  CHECK_FALSE(allowed("qemu+ssh://kvm1@evil/system", any_user));

  Guard port;
  port.uris = {"qemu+ssh://u@kvm1:22/system"};
  CHECK(allowed("qemu+ssh://u@kvm1:22/system", port));
  CHECK_FALSE(allowed("qemu+ssh://u@kvm1:2222/system", port));
  CHECK_FALSE(allowed("qemu+ssh://u@kvm1/system", port));

  Guard query;
  query.uris = {"qemu+ssh://u@kvm1/system?mode=direct&no_tty=1"};
  CHECK(allowed("qemu+ssh://u@kvm1/system?no_tty=1&mode=direct", query));
  CHECK(allowed("qemu+ssh://u@kvm1/system", query));
  CHECK_FALSE(allowed("qemu+ssh://u@kvm1/system?mode=legacy", query));
  // A pattern's query never admits a refused parameter: only --allow-uri-param does.
  Guard sock;
  sock.uris = {"qemu:///system?socket=/run/x.sock"};
  CHECK_FALSE(allowed("qemu:///system?socket=/run/x.sock", sock));
  sock.uri_params = {"socket"};
  CHECK(allowed("qemu:///system?socket=/run/x.sock", sock));
  CHECK_FALSE(allowed("qemu:///system?socket=/tmp/y.sock", sock));

  Guard test_path;
  test_path.uris = {"test:///srv/lab/*"};  // '*' in a path is a character, not a glob
  CHECK_FALSE(uri_allowed("test:///srv/lab/node.xml", test_path));
  test_path.uris = {"test:///srv/lab/node.xml"};
  CHECK(uri_allowed("test:///srv/lab/node.xml", test_path));
  CHECK_FALSE(uri_allowed("test:///srv/lab/../../etc/shadow", test_path));

  // Another driver only when a pattern names it.
  Guard xen;
  xen.uris = {"xen+ssh://root@xen*/system"};
  CHECK(allowed("xen+ssh://root@xen1/system", xen));
  CHECK_FALSE(allowed("xen+ssh://root@xen1/system", Guard{}));

  Guard bad;
  bad.uris = {"qemu+ssh://u@kvm1/system#x"};
  const auto d = guard_of("qemu:///system", bad);
  CHECK(d.has_errors());
  CHECK(d.items()[0].rule == "guard.pattern-invalid");
}

TEST_CASE("hostile: ssh:// file sources are parsed and matched like URIs" *
          doctest::test_suite("security")) {
  Guard g;
  g.uris = {"qemu:///system", "ssh://ci@kvm*"};
  CHECK(guard_of("qemu:///system", g, {FileSourceKind::Ssh, "ci@kvm1"}).empty());
  CHECK(guard_of("qemu:///system", g, {FileSourceKind::Ssh, "ci@kvm1:2222"}).empty());
  const auto evil = guard_of("qemu:///system", g, {FileSourceKind::Ssh, "ci@evil"});
  REQUIRE(evil.error_count() == 1);
  CHECK(evil.items()[0].rule == "guard.uri-not-allowed");
  CHECK(evil.items()[0].pos.line == 5);
  const auto trick = guard_of("qemu:///system", g, {FileSourceKind::Ssh, "kvm1@evil"});
  CHECK(trick.error_count() == 1);
  for (const std::string s : {"ci@kvm1?command=x", "ci@kvm%31", "ci@kvm1#x"}) {
    const auto d = guard_of("qemu:///system", Guard{}, {FileSourceKind::Ssh, s});
    INFO(s, ": ", first_message(d));
    REQUIRE(d.error_count() == 1);
    CHECK(d.items()[0].rule == "guard.uri-invalid");
  }
  // Through the binary: the error sits at the spec's files: value.
  Lair l;
  const auto spec = l.t.path() / "ssh.yaml";
  write_file(spec, "version: 1\nhosts:\n  kvm1:\n    uri: qemu:///system\n    files: "
                   "\"ssh://ci@kvm1?command=x\"\n");
  const auto r = run_tool({"validate", "-f", spec.string()});
  CHECK(r.exit_code == 1);
  CHECK(has(r.out, spec.string() + ":5:12: error: host 'kvm1': files 'ssh://ci@kvm1?command=x' "
                                   "is not ssh://[USER@]HOST[:PORT]; refused"));
}

TEST_CASE("hostile: legitimate URIs still work" * doctest::test_suite("security")) {
  Lair l;
  for (const std::string uri :
       {"qemu:///system", "qemu+ssh://root@kvm1/system", "qemu+ssh://root@kvm1:2222/system",
        "qemu+ssh://root@[fd00::1]/system", "qemu+tls://kvm1.example.com/system",
        "qemu+ssh://root@kvm1/system?no_tty=1&mode=direct&sshauth=agent,privkey",
        "qemu+libssh2://root@kvm1/system?mode=legacy", "test:///default"}) {
    const auto r = run_tool({"validate", "-f", l.spec(uri).string()});
    INFO(uri, ": ", both(r));
    CHECK(r.exit_code == 0);
  }
  const auto p = run_tool({"plan", "-f", l.spec("test:///default").string()});
  INFO(both(p));
  CHECK(p.exit_code == 0);
  // A test: node file next to the spec (test:FILE), pinned exactly by --allow-uri.
  const auto lab = source_dir() / "specs/lab";
  const auto node = "test://" + (lab / "node.xml").string();
  const auto seed = run_tool({"--allow-uri", node, "--allow-root", lab.string(), "plan", "-f",
                              (source_dir() / "specs/seed.yaml").string(), "-f",
                              (lab / "seed-lab.yaml").string()});
  INFO(both(seed));
  CHECK(seed.exit_code != 1);
  CHECK_FALSE(has(seed.err, "error:"));
  const auto show = run_tool({"show", "--connect", node});
  CHECK(show.exit_code == 0);
  CHECK(has(show.out, "hosts:"));
  CHECK_FALSE(fs::exists(l.marker));
}

// ---- point 8: names and values that write the wrong thing -------------------------------------

namespace {

// A spec whose guest web1 has one `network: default` interface per name, and a NIC per name;
// returns the text and, per name, the (line, column) of the interface's name value.
struct NamesSpec {
  std::string text;
  std::vector<std::pair<std::string, int>> iface_lines;  // name, line (value at column 19)
  std::vector<std::pair<std::string, int>> nic_lines;    // name, line (key at column 7)
};

NamesSpec names_spec(const std::vector<std::string>& names) {
  NamesSpec s;
  std::ostringstream o;
  int line = 0;
  auto put = [&](const std::string& l) {
    o << l << "\n";
    ++line;
  };
  put("version: 1");
  put("hosts:");
  put("  kvm1:");
  put("    uri: qemu:///system");
  put("    nics:");
  for (const auto& n : names) {
    put("      " + n + ":");
    s.nic_lines.emplace_back(n, line);
  }
  put("    guests:");
  put("      web1:");
  put("        interfaces:");
  for (const auto& n : names) {
    put("          - name: " + n);
    s.iface_lines.emplace_back(n, line);
    put("            network: default");
  }
  s.text = o.str();
  return s;
}

}  // namespace

TEST_CASE("hostile: interface and NIC names 'lo' and with suffixes network-scripts skip are "
          "refused at the name" * doctest::test_suite("security")) {
  const std::vector<std::string> names = {
      "lo",        "eth0.bak", "eth0.old",    "eth0.orig",   "eth0.rpmnew", "eth0.rpmorig",
      "eth0.rpmsave", "eth0.swp", "eth0.rej", "eth0.augnew", "eth0.augtmp", "eth0~",
      "ETH0.BAK"};
  TempDir t;
  const auto ns = names_spec(names);
  const auto spec = t.path() / "names.yaml";
  write_file(spec, ns.text);
  const auto before = listing(t.path());
  const auto r = run_tool({"validate", "-f", spec.string()});
  INFO(both(r));
  CHECK(r.exit_code == 1);
  for (const auto& [n, line] : ns.iface_lines) {
    const std::string at = spec.string() + ":" + std::to_string(line) + ":19: error: interface name '" +
                           n + "' of guest 'web1' ";
    CHECK_MESSAGE(has(r.out, at + (n == "lo" ? "is 'lo', the loopback device" : "ends in '")),
                  at);
  }
  for (const auto& [n, line] : ns.nic_lines) {
    const std::string at =
        spec.string() + ":" + std::to_string(line) + ":7: error: NIC name '" + n + "' of host 'kvm1' ";
    CHECK_MESSAGE(has(r.out, at + (n == "lo" ? "is 'lo'" : "ends in '")), at);
  }
  CHECK(has(r.out, "ends in '.rpmsave': network-scripts and NetworkManager skip an ifcfg file "
                   "named so"));
  CHECK(has(r.out, "'eth0~' of guest 'web1' ends in '~'"));
  const auto p = run_tool({"plan", "-f", spec.string()});
  CHECK(p.exit_code == 1);
  CHECK(has(p.err, "is 'lo', the loopback device"));
  CHECK(listing(t.path()) == before);
  // Close relatives stay valid.
  const auto ok = names_spec({"lo0", "eth0.100", "bak", "eth0-old", "loop"});
  write_file(spec, ok.text);
  const auto v = run_tool({"validate", "-f", spec.string()});
  INFO(both(v));
  CHECK(v.exit_code == 0);
}

TEST_CASE("hostile: IPv4 octets and prefixes with leading zeros are refused as octal" *
          doctest::test_suite("security")) {
  TempDir t;
  const auto spec = t.path() / "octal.yaml";
  write_file(spec,
             "version: 1\n"
             "hosts:\n"
             "  kvm1:\n"
             "    uri: qemu:///system\n"
             "    guests:\n"
             "      web1:\n"
             "        interfaces:\n"
             "          - name: eth0\n"
             "            network: default\n"
             "            ipv4: {address: 010.0.0.5/24, gateway: 10.0.0.01}\n"  // line 10
             "            dns: [08.8.8.8]\n"                                      // line 11
             "            routes:\n"
             "              - {to: 010.1.0.0/16, via: 010.0.0.1}\n"               // line 13
             "          - name: eth1\n"
             "            network: default\n"
             "            ipv4: {address: 10.2.0.5/08}\n");                       // line 16
  const auto before = listing(t.path());
  const auto r = run_tool({"validate", "-f", spec.string()});
  INFO(both(r));
  CHECK(r.exit_code == 1);
  const std::string f = spec.string();
  CHECK(has(r.out, f + ":10:29: error: address/prefix '010.0.0.5/24' in 'ipv4.address' has a "
                       "leading zero, which inet_aton and bash tools read as octal"));
  CHECK(has(r.out, f + ":10:52: error: IPv4 address '10.0.0.01' in 'ipv4.gateway' has a "
                       "leading zero"));
  CHECK(has(r.out, f + ":11:19: error: IPv4 address '08.8.8.8' in 'dns' has a leading zero"));
  CHECK(has(r.out, f + ":13:22: error: address/prefix '010.1.0.0/16' in 'to' has a leading zero"));
  CHECK(has(r.out, f + ":13:41: error: IPv4 address '010.0.0.1' in 'via' has a leading zero"));
  CHECK(has(r.out, f + ":16:29: error: address/prefix '10.2.0.5/08' in 'ipv4.address' has a "
                       "leading zero"));
  const auto p = run_tool({"plan", "-f", spec.string()});
  CHECK(p.exit_code == 1);
  CHECK(has(p.err, "read as octal"));
  CHECK(listing(t.path()) == before);
  // Zero itself is no leading zero.
  write_file(spec,
             "version: 1\nhosts:\n  kvm1:\n    uri: qemu:///system\n    guests:\n      web1:\n"
             "        interfaces:\n          - name: eth0\n            network: default\n"
             "            ipv4: {address: 10.0.0.5/8, gateway: 10.0.0.1}\n"
             "            dns: [0.0.0.0]\n            defroute: true\n");
  const auto ok = run_tool({"validate", "-f", spec.string()});
  INFO(both(ok));
  CHECK(ok.exit_code == 0);
}

TEST_CASE("hostile: a gateway or route via that is its subnet's network or broadcast address "
          "is refused" * doctest::test_suite("security")) {
  TempDir t;
  const auto spec = t.path() / "gw.yaml";
  write_file(spec,
             "version: 1\n"
             "hosts:\n"
             "  kvm1:\n"
             "    uri: qemu:///system\n"
             "    guests:\n"
             "      web1:\n"
             "        interfaces:\n"
             "          - name: eth0\n"
             "            network: default\n"
             "            ipv4: {address: 10.0.0.5/24, gateway: 10.0.0.0}\n"      // line 10
             "          - name: eth1\n"
             "            network: default\n"
             "            ipv4: {address: 10.0.1.5/24, gateway: 10.0.1.255}\n"    // line 13
             "          - name: eth2\n"
             "            network: default\n"
             "            ipv4: {address: 10.0.2.1/31, gateway: 10.0.2.0}\n"      // line 16: /31
             "          - name: eth3\n"
             "            network: default\n"
             "            ipv4: {address: 10.0.3.5/24, gateway: 10.0.3.1}\n"
             "            routes:\n"
             "              - {to: 192.168.0.0/16, via: 10.0.3.255}\n"           // line 21
             "              - {to: 192.169.0.0/16, via: 10.0.3.0}\n");           // line 22
  const auto r = run_tool({"validate", "-f", spec.string()});
  INFO(both(r));
  CHECK(r.exit_code == 1);
  const std::string f = spec.string();
  CHECK(has(r.out, f + ":10:51: error: gateway 10.0.0.0 of interface 'eth0' of guest 'web1' is "
                       "the network address of 10.0.0.0/24, never a host's "
                       "[iface.gateway-not-network-or-broadcast]"));
  CHECK(has(r.out, f + ":13:51: error: gateway 10.0.1.255 of interface 'eth1' of guest 'web1' "
                       "is the broadcast address of 10.0.1.0/24"));
  CHECK_FALSE(has(r.out, f + ":16:"));  // /31: no network or broadcast address
  CHECK(has(r.out, f + ":21:43: error: route via 10.0.3.255 of interface 'eth3' of guest 'web1' "
                       "is the broadcast address of 10.0.3.0/24"));
  CHECK(has(r.out, f + ":22:43: error: route via 10.0.3.0 of interface 'eth3' of guest 'web1' "
                       "is the network address of 10.0.3.0/24, never a host's "
                       "[route.via-not-network-or-broadcast]"));
}

TEST_CASE("hostile: the JSON schema refuses the names and octal values too" *
          doctest::test_suite("security")) {
  if (run({"/usr/bin/env", "python3", "-c", "import jsonschema, yaml"}).exit_code != 0) {
    MESSAGE("SKIPPED: python3 with jsonschema and yaml is not installed");
    return;
  }
  const char* checker = R"PY(
import json, sys, jsonschema, yaml
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
for doc in sys.argv[2:]:
    print('refused' if list(v.iter_errors(yaml.safe_load(doc))) else 'accepted')
)PY";
  TempDir t;
  write_file(t.path() / "c.py", checker);
  auto doc = [](const std::string& iface, const std::string& extra) {
    return "version: 1\nhosts:\n  kvm1:\n    uri: qemu:///system\n    guests:\n      web1:\n"
           "        interfaces:\n          - name: " + iface + "\n            network: default\n" +
           extra;
  };
  const std::vector<std::pair<std::string, bool>> cases = {
      {doc("eth0", ""), true},
      {doc("lo", ""), false},
      {doc("eth0.rpmsave", ""), false},
      {doc("eth0.Bak", ""), false},
      {doc("eth0", "            ipv4: {address: 010.0.0.5/24}\n"), false},
      {doc("eth0", "            ipv4: {address: 10.0.0.5/024}\n"), false},
      {doc("eth0", "            ipv4: {address: 10.0.0.5/08}\n"), false},
      {doc("eth0", "            dns: [08.8.8.8]\n"), false},
      {doc("eth0", "            dns: [0.0.0.0, 10.0.0.100]\n"), true},
  };
  std::vector<std::string> argv{"/usr/bin/env", "python3", (t.path() / "c.py").string(),
                                (source_dir() / "schemas/topology.schema.json").string()};
  for (const auto& [d, _] : cases) argv.push_back(d);
  const auto r = run(argv);
  INFO(both(r));
  REQUIRE(r.exit_code == 0);
  std::istringstream in(r.out);
  for (const auto& [d, good] : cases) {
    std::string verdict;
    std::getline(in, verdict);
    CHECK_MESSAGE(verdict == (good ? "accepted" : "refused"), d);
  }
}
