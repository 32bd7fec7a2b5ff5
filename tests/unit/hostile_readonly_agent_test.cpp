// Hostile catalogue, issue 12 point 3: read-only commands never execute anything in a guest.
// plan, drift and show read a guest's files through a read-only AgentSource: every agent
// command passes AgentSource::call(), which refuses anything but guest-file-open in mode "r",
// guest-file-read, guest-file-close, guest-network-get-interfaces and guest-ping before it is
// sent. The real proof on a real qemu-ga is tests/system/agent_source_test.cpp.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "files/agent_source.hpp"
#include "observe/observe.hpp"
#include "stub_hypervisor.hpp"
#include "util/errors.hpp"

using namespace mvt;
using json = nlohmann::json;

namespace {

// A FAKE guest agent behind Hypervisor::agent_command. Why a fake: libvirt's test:/// driver
// has no guest agent, and a real qemu-ga is reached only through a running QEMU guest
// (virtio-serial), which unit tests cannot boot. It records every command that reaches it
// (what a real guest would have executed) and answers the read commands from `files`; a
// guest-exec that reaches it creates the "marker" a hostile exec would leave.
class RecordingAgent : public test::StubHypervisor {
 public:
  std::map<std::string, std::string> files;  // absolute guest path -> bytes
  std::vector<std::string> nic_names = {"lo", "ens9"};
  std::vector<std::string> sent;             // "execute" of every command received
  std::vector<std::string> opened;           // "path mode" of every guest-file-open
  bool marker = false;                       // a guest-exec reached the guest

  std::string agent_command(const std::string&, const std::string& text,
                            std::chrono::seconds) override {
    const auto j = json::parse(text);
    const std::string cmd = j.at("execute");
    const json args = j.value("arguments", json::object());
    sent.push_back(cmd);
    if (cmd == "guest-exec") {
      marker = true;
      return R"({"return":{"pid":1}})";
    }
    if (cmd == "guest-file-open") {
      const std::string path = args.at("path");
      opened.push_back(path + " " + args.value("mode", std::string("?")));
      if (!files.count(path))
        return R"({"error":{"class":"GenericError","desc":"failed to open file: No such file or directory"}})";
      handles_[++next_] = path;
      return json{{"return", next_}}.dump();
    }
    if (cmd == "guest-file-read") {
      const std::string& b = files.at(handles_.at(args.at("handle").get<int>()));
      static const char* k =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      std::string out;  // base64
      for (std::size_t i = 0; i < b.size(); i += 3) {
        unsigned v = static_cast<unsigned char>(b[i]) << 16;
        if (i + 1 < b.size()) v |= static_cast<unsigned char>(b[i + 1]) << 8;
        if (i + 2 < b.size()) v |= static_cast<unsigned char>(b[i + 2]);
        out += k[(v >> 18) & 63];
        out += k[(v >> 12) & 63];
        out += i + 1 < b.size() ? k[(v >> 6) & 63] : '=';
        out += i + 2 < b.size() ? k[v & 63] : '=';
      }
      return json{{"return", {{"count", b.size()}, {"buf-b64", out}, {"eof", true}}}}.dump();
    }
    if (cmd == "guest-file-close") return R"({"return":{}})";
    if (cmd == "guest-network-get-interfaces") {
      json a = json::array();
      for (const auto& n : nic_names) a.push_back({{"name", n}});
      return json{{"return", a}}.dump();
    }
    return R"({"return":{}})";
  }

 private:
  std::map<int, std::string> handles_;
  int next_ = 0;
};

AgentSource read_only(RecordingAgent& hv) {
  AgentSource::Options o;
  o.read_only = true;
  return AgentSource(hv, "web1", o);
}

const std::string kDir = "/etc/sysconfig/network-scripts/";

}  // namespace

TEST_CASE("hostile: a read-only agent source sends no write and no exec, whatever is asked" *
          doctest::test_suite("security")) {
  RecordingAgent hv;
  auto a = read_only(hv);
  CHECK_FALSE(a.can_run());
  CHECK_FALSE(a.can_list());
  CHECK_THROWS_WITH_AS(a.write_atomic("etc/profile.d/x.sh", "X=$(id)"),
                       doctest::Contains("agent:web1 is read-only here"), AccessError);
  CHECK_THROWS_AS(a.remove("etc/sysconfig/network-scripts/ifcfg-ens9"), AccessError);
  CHECK_THROWS_AS(a.chown("etc/shadow", 0, 0), AccessError);
  CHECK_THROWS_AS(a.run({"/bin/sh", "-c", "touch /marker"}, std::chrono::seconds(1)), AccessError);
  CHECK_THROWS_WITH_AS(a.list("etc/sysconfig/network-scripts"), doctest::Contains("guest-exec"),
                       AccessError);
  // The raw call is gated too: exec, write-mode opens, writes, anything unknown.
  CHECK_THROWS_WITH_AS(a.call("guest-exec", R"({"path":"/bin/sh","arg":["-c","touch /m"]})"),
                       doctest::Contains("guest agent command guest-exec refused before it was sent"),
                       AccessError);
  for (const char* mode : {"w", "a", "r+", "w+", "a+", "rw"})
    CHECK_THROWS_AS(a.call("guest-file-open", json{{"path", "/etc/x"}, {"mode", mode}}.dump()),
                    AccessError);
  CHECK_THROWS_AS(a.call("guest-file-open", R"({"path":"/etc/x"})"), AccessError);  // no mode
  CHECK_THROWS_AS(a.call("guest-file-open", R"({"path":"/etc/x","mode":["r"]})"), AccessError);
  for (const char* c : {"guest-file-write", "guest-file-flush", "guest-exec-status",
                        "guest-set-user-password", "guest-shutdown", "guest-ssh-add-authorized-keys"})
    CHECK_THROWS_AS(a.call(c, "{}"), AccessError);
  CHECK(hv.sent.empty());  // nothing reached the guest
  CHECK_FALSE(hv.marker);
}

TEST_CASE("hostile: a read-only agent read uses only open(r)/read/close, no stat exec" *
          doctest::test_suite("security")) {
  RecordingAgent hv;
  hv.files[kDir + "ifcfg-ens9"] = "DEVICE=ens9\nIPADDR=192.0.2.84\n";
  auto a = read_only(hv);
  auto f = a.read("etc/sysconfig/network-scripts/ifcfg-ens9");
  REQUIRE(f);
  CHECK(f->bytes == "DEVICE=ens9\nIPADDR=192.0.2.84\n");
  CHECK(hv.sent == std::vector<std::string>{"guest-file-open", "guest-file-read", "guest-file-close"});
  CHECK(hv.opened == std::vector<std::string>{kDir + "ifcfg-ens9 r"});
  CHECK_FALSE(a.read("etc/sysconfig/network-scripts/ifcfg-none"));
  CHECK_FALSE(hv.marker);
  // The write-mode source (apply) keeps its listing and commands.
  RecordingAgent hv2;
  AgentSource rw(hv2, "web1");
  CHECK(rw.can_list());
  CHECK(rw.can_run());
}

TEST_CASE("hostile: observe through the agent reads only named files, hostile names are skipped" *
          doctest::test_suite("security")) {
  RecordingAgent hv;
  hv.files[kDir + "ifcfg-ens9"] = "DEVICE=ens9\n";
  hv.files[kDir + "route-ens9"] = "10.0.0.0/8 via 192.0.2.1\n";
  hv.files[kDir + "ifcfg-eth0"] = "DEVICE=eth0\n";
  hv.files[kDir + "ifcfg-other"] = "DEVICE=other\n";  // named by nothing: not looked for
  // A guest reports its own interface names: one that would leave the directory.
  hv.nic_names = {"lo", "ens9", "../../../etc/shadow", "a b", std::string(40, 'x')};
  auto a = read_only(hv);
  Guest g;
  g.name = "web1";
  GuestInterface gi;
  gi.name = "eth0";
  g.interfaces.push_back(gi);
  const auto names = guest_device_names(g, nullptr, a);
  CHECK(names.count("eth0"));
  CHECK(names.count("ens9"));
  CHECK_FALSE(names.count("lo"));
  const auto files = read_named_scripts(a, names);
  std::set<std::string> got;
  for (const auto& [n, _] : files) got.insert(n);
  CHECK(got == std::set<std::string>{"ifcfg-ens9", "route-ens9", "ifcfg-eth0"});
  for (const auto& [n, f] : files) CHECK_FALSE(f.stat_known);  // no stat without guest-exec
  // Every format's directory (issue 15): the keyfile of each named device is looked for too,
  // and nothing outside the two directories is ever opened.
  const std::string kf = "/etc/NetworkManager/system-connections/";
  bool keyfile_looked_for = false;
  for (const auto& o : hv.opened) {
    CHECK_MESSAGE((o.rfind(kDir, 0) == 0 || o.rfind(kf, 0) == 0), o);
    CHECK(o.find("..") == std::string::npos);
    CHECK(o.substr(o.size() - 2) == " r");
    keyfile_looked_for = keyfile_looked_for || o == kf + "ens9.nmconnection r";
  }
  CHECK(keyfile_looked_for);
  for (const auto& c : hv.sent)
    CHECK((c == "guest-file-open" || c == "guest-file-read" || c == "guest-file-close" ||
           c == "guest-network-get-interfaces"));
  CHECK_FALSE(hv.marker);
}

TEST_CASE("hostile: a refused file RPC names the guest, the command and the qemu-ga setting" *
          doctest::test_suite("security")) {
  // qemu-ga's own text for a blocked command (QERR_UNSUPPORTED / "has been disabled").
  auto e = agent_error_from("web1", "guest-file-open", 1,
                            "internal error: unable to execute QEMU agent command "
                            "'guest-file-open': The command guest-file-open has been disabled "
                            "for this instance");
  const std::string m = e.what();
  CHECK(e.failure() == AgentCallError::Failure::Refused);
  CHECK(m.find("guest agent of web1 refuses guest-file-open") != std::string::npos);
  CHECK(m.find("--allow-rpcs=") != std::string::npos);
  CHECK(m.find("FILTER_RPC_ARGS") != std::string::npos);
  CHECK(m.find("/etc/sysconfig/qemu-ga") != std::string::npos);
  CHECK(m.find("BLACKLIST_RPC") != std::string::npos);
  CHECK(m.find("guest-file-open, guest-file-read, guest-file-close") != std::string::npos);
  CHECK(m.find("virt_qemu_ga_read_nonsecurity_files") != std::string::npos);
  // SELinux: the open is denied by the policy, not by the agent's list.
  auto s = agent_error_from("web1", "guest-file-open", 1,
                            "internal error: failed to open file "
                            "'/etc/sysconfig/network-scripts/ifcfg-ens9' (mode: 'r'): "
                            "Permission denied");
  CHECK(s.failure() == AgentCallError::Failure::Refused);
  CHECK(std::string(s.what()).find("SELinux") != std::string::npos);
  CHECK(std::string(s.what()).find("setsebool -P virt_qemu_ga_read_nonsecurity_files on") !=
        std::string::npos);
}
