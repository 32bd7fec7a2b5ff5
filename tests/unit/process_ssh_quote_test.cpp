// SshSource's command construction: quoting checked against a real POSIX shell (the remote
// side of ssh joins words into one shell string), and the argv it hands to ssh.
#include <doctest/doctest.h>

#include <chrono>

#include "files/process.hpp"
#include "files/ssh_source.hpp"
#include "util/errors.hpp"

using namespace std::chrono_literals;

TEST_CASE("shell_quote survives a real shell verbatim" * doctest::test_suite("ssh")) {
  for (const std::string w :
       {"plain", "", "a b", "it's", "'", "''", "$HOME", "`id`", "$(id)", "a\nb", "\\", "*",
        "-rf", ";rm -rf /;", "\"dq\"", "tab\there", "!bang", "~user", "x'y'z"}) {
    auto r = mvt::run_process({"sh", "-c", "printf %s " + mvt::shell_quote(w)}, 10s);
    CHECK(r.exit_code == 0);
    CHECK(r.out == w);
  }
}

TEST_CASE("SshSource builds a BatchMode ssh argv and parses targets" * doctest::test_suite("ssh")) {
  mvt::SshSource::Options o;
  o.extra_options = {"-F", "/tmp/cfg"};
  mvt::SshSource s("ssh://root@kvm1:2222", o);
  CHECK(s.describe() == "ssh://root@kvm1:2222");
  const auto a = s.ssh_argv({"cat", "/etc/x y"});
  const std::vector<std::string> want = {"ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
                                         "-p", "2222", "-F", "/tmp/cfg", "root@kvm1", "--",
                                         "'cat'", "'/etc/x y'"};
  CHECK(a == want);
  // No StrictHostKeyChecking override: the user's ssh config decides.
  for (const auto& w : a) CHECK(w.find("StrictHostKeyChecking") == std::string::npos);
  CHECK(mvt::SshSource("kvm2").describe() == "ssh://kvm2");
  CHECK_THROWS_AS(mvt::SshSource("ssh://-oProxyCommand=x"), mvt::AccessError);
  CHECK_THROWS_AS(mvt::SshSource("ssh://root@"), mvt::AccessError);
  CHECK_THROWS_AS(mvt::SshSource("ssh://a b"), mvt::AccessError);
  CHECK_THROWS_AS(mvt::SshSource("host:port"), mvt::AccessError);
  CHECK_THROWS_AS(mvt::SshSource("host").read("/etc/passwd"), mvt::AccessError);
  CHECK_THROWS_AS(mvt::SshSource("host").read("a/../../b"), mvt::AccessError);
}

TEST_CASE("open_ssh_source and read-only ssh sources" * doctest::test_suite("ssh")) {
  auto spec = mvt::FileSourceSpec::parse("ssh://root@kvm1");
  REQUIRE(spec);
  auto fa = mvt::open_ssh_source(*spec, /*read_only=*/true);
  CHECK(fa->describe() == "ssh://root@kvm1");
  CHECK_FALSE(fa->can_run());
  // Refused before any ssh runs.
  CHECK_THROWS_AS(fa->write_atomic("etc/x", "y"), mvt::AccessError);
  CHECK_THROWS_AS(fa->remove("etc/x"), mvt::AccessError);
  CHECK_THROWS_AS(fa->run({"true"}, std::chrono::seconds(1)), mvt::AccessError);
  auto local = mvt::FileSourceSpec::parse("local");
  REQUIRE(local);
  CHECK_THROWS_AS(mvt::open_ssh_source(*local), mvt::AccessError);
}
