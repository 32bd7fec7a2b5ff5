// SshSource against a real OpenSSH server: the test starts its own sshd on a loopback high
// port with a temporary config, host key and authorized key (root needed: sshd's privilege
// separation; Debian's openssh-server package). The client side uses a temporary ssh config
// given with -F: that is where the host-key policy comes from (StrictHostKeyChecking yes and
// a known_hosts file with the test's host key) - SshSource never overrides it.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../unit/test_support.hpp"
#include "files/process.hpp"
#include "files/ssh_source.hpp"
#include "util/errors.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace bp = boost::process;

namespace {

int free_loopback_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(s);
  return port;
}

void write(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
  fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
}

// One sshd for the test process; stopped at exit.
struct TestSshd {
  mvt::test::TempDir dir;
  int port = -1;
  bp::child sshd;
  std::string skip;  // non-empty: why the test cannot run
  fs::path client_config;
  fs::path untrusting_config;

  TestSshd() {
    if (geteuid() != 0) {
      skip = "not root (sshd needs root for privilege separation)";
      return;
    }
    if (!fs::exists("/usr/sbin/sshd") || !fs::exists("/usr/bin/ssh-keygen")) {
      skip = "openssh-server / openssh-client not installed (cmake/test.sh installs them)";
      return;
    }
    const fs::path d = dir.path();
    for (const char* k : {"host_key", "id"}) {
      auto r = mvt::run_process({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mvt-test",
                                 "-f", (d / k).string()},
                                30s);
      if (r.exit_code != 0) {
        skip = "ssh-keygen failed: " + r.err;
        return;
      }
    }
    fs::copy_file(d / "id.pub", d / "authorized_keys");
    port = free_loopback_port();
    fs::create_directories("/run/sshd");  // sshd's privilege separation directory
    write(d / "sshd_config",
          "Port " + std::to_string(port) + "\nListenAddress 127.0.0.1\nHostKey " +
              (d / "host_key").string() + "\nAuthorizedKeysFile " +
              (d / "authorized_keys").string() +
              "\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
              "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\n");
    std::string host_pub = mvt::test::read_file(d / "host_key.pub");
    write(d / "known_hosts", "[127.0.0.1]:" + std::to_string(port) + " " + host_pub);
    write(d / "empty_known_hosts", "");
    const std::string common = "Host mvt-sshd\n  HostName 127.0.0.1\n  Port " +
                               std::to_string(port) + "\n  User root\n  IdentityFile " +
                               (d / "id").string() + "\n  IdentitiesOnly yes\n" +
                               "  StrictHostKeyChecking yes\n  LogLevel ERROR\n";
    client_config = d / "ssh_config";
    write(client_config, common + "  UserKnownHostsFile " + (d / "known_hosts").string() + "\n");
    untrusting_config = d / "ssh_config_untrusting";
    write(untrusting_config,
          common + "  UserKnownHostsFile " + (d / "empty_known_hosts").string() + "\n");
    std::error_code ec;
    sshd = bp::child("/usr/sbin/sshd", "-D", "-e", "-f", (d / "sshd_config").string(),
                     bp::std_out > bp::null, bp::std_err > (d / "sshd.log").string(), ec);
    if (ec) {
      skip = "cannot start sshd: " + ec.message();
      return;
    }
    // Bounded wait until it accepts our key.
    for (int i = 0; i < 100; ++i) {
      auto r = mvt::run_process(
          {"ssh", "-F", client_config.string(), "-o", "BatchMode=yes", "mvt-sshd", "true"}, 10s);
      if (r.exit_code == 0) return;
      std::this_thread::sleep_for(100ms);
    }
    skip = "sshd did not accept connections within 10 s: " +
           mvt::test::read_file(d / "sshd.log");
  }
  ~TestSshd() {
    std::error_code ec;
    if (sshd.valid()) {
      sshd.terminate(ec);
      sshd.wait(ec);
    }
  }
  mvt::SshSource source(const fs::path& root, bool trusting = true) const {
    mvt::SshSource::Options o;
    o.extra_options = {"-F", (trusting ? client_config : untrusting_config).string()};
    o.root = root.string();
    o.connect_timeout = 5s;
    return mvt::SshSource("ssh://mvt-sshd", o);
  }
};

TestSshd& sshd() {
  static TestSshd s;
  return s;
}

}  // namespace

TEST_CASE("ssh source against a real sshd on loopback" * doctest::test_suite("ssh")) {
  auto& d = sshd();
  if (!d.skip.empty()) {
    MESSAGE("SKIPPED (system test): " << d.skip);
    return;
  }
  mvt::test::TempDir root;
  fs::create_directories(root.path() / "etc/sysconfig/network-scripts");
  auto s = d.source(root.path());
  CHECK(s.describe() == "ssh://mvt-sshd");
  const std::string dir = "etc/sysconfig/network-scripts";

  SUBCASE("write, read, list, remove round trip keeps bytes, mode and owner") {
    const std::string text = "DEVICE=ens9\n# it's \"quoted\" $HOME `id`\n";
    s.write_atomic(dir + "/ifcfg-ens9", text);
    auto back = s.read(dir + "/ifcfg-ens9");
    REQUIRE(back);
    CHECK(back->bytes == text);
    CHECK(back->mode == 0644);
    CHECK(back->uid == 0);
    CHECK(mvt::test::read_file(root.path() / dir / "ifcfg-ens9") == text);

    s.write_atomic(dir + "/route-ens9", "x\n", 0600);
    s.chown(dir + "/route-ens9", 12, 34);
    s.write_atomic(dir + "/route-ens9", "y\n");
    auto r = s.read(dir + "/route-ens9");
    REQUIRE(r);
    CHECK(r->bytes == "y\n");
    CHECK(r->mode == 0600);
    CHECK(r->uid == 12);
    CHECK(r->gid == 34);

    // Names a shell would mangle arrive verbatim.
    const std::string odd = "ifcfg-it's a $x;`y`";
    s.write_atomic(dir + "/" + odd, "odd\n");
    CHECK(fs::exists(root.path() / dir / odd));
    fs::create_symlink("/etc/passwd", root.path() / dir / "ifcfg-link");
    CHECK(s.list(dir) == std::vector<std::string>{"ifcfg-ens9", odd, "route-ens9"});
    for (const auto& e : fs::directory_iterator(root.path() / dir))
      CHECK(e.path().filename().string().find(".mvt-") == std::string::npos);

    s.remove(dir + "/" + odd);
    s.remove(dir + "/" + odd);  // absent: fine
    CHECK_FALSE(s.read(dir + "/" + odd));
    CHECK_FALSE(s.read("no/such/file"));
    CHECK(s.list("no/such/dir").empty());
    CHECK_THROWS_AS(s.remove("etc"), mvt::AccessError);  // a directory
  }

  SUBCASE("binary content of 1 MiB goes through stdin and stdout intact") {
    std::string big;
    for (int i = 0; i < (1 << 20); ++i) big += char((i * 131) % 256);
    s.write_atomic("big", big);
    auto back = s.read("big");
    REQUIRE(back);
    CHECK(back->bytes == big);
  }

  SUBCASE("run passes argv verbatim, captures output and exit code, is bounded") {
    auto r = s.run({"printf", "%s|", "a b", "$HOME", "it's", "`id`", ";true"}, 20s);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "a b|$HOME|it's|`id`|;true|");
    auto e = s.run({"sh", "-c", "echo out; echo err >&2; exit 5"}, 20s);
    CHECK(e.exit_code == 5);
    CHECK(e.out == "out\n");
    CHECK(e.err == "err\n");
    const auto t0 = std::chrono::steady_clock::now();
    try {
      s.run({"sleep", "30"}, 1s);
      FAIL("sleep 30 was not stopped");
    } catch (const mvt::SystemError& x) {
      CHECK(x.err() == ETIMEDOUT);
    }
    CHECK(std::chrono::steady_clock::now() - t0 < 10s);
  }

  SUBCASE("an unknown host key fails at once: the user's StrictHostKeyChecking is kept") {
    auto u = d.source(root.path(), /*trusting=*/false);
    try {
      u.read("x");
      FAIL("an unknown host key was accepted");
    } catch (const mvt::SystemError& x) {
      MESSAGE("unknown host key: " << std::string(x.what()));
      CHECK(std::string(x.what()).find("ssh://mvt-sshd: ssh failed") != std::string::npos);
      CHECK(std::string(x.what()).find("Host key verification failed") != std::string::npos);
    }
  }

  SUBCASE("a host that does not answer is an error, not a hang") {
    mvt::SshSource::Options o;
    o.extra_options = {"-F", d.client_config.string(), "-o", "HostName=127.0.0.1", "-o",
                       "Port=1"};
    mvt::SshSource dead("ssh://mvt-sshd", o);
    CHECK_THROWS_AS(dead.read("x"), mvt::SystemError);
  }
}
