#include "apply/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apply/base64.hpp"
#include "apply/state_dir.hpp"
#include "util/errors.hpp"

namespace mvt::apply {
namespace {
using nlohmann::json;

std::string scope_name(plan::FileScope s) {
  return s == plan::FileScope::Host ? "host" : "guest";
}

json op_to_json(const plan::Operation& op) {
  json j;
  j["kind"] = op_kind_name(op.kind);
  j["guest"] = op.guest;
  j["scope"] = scope_name(op.scope);
  j["path"] = op.path;
  j["mode"] = op.mode ? json(*op.mode) : json(nullptr);
  j["before_sha256"] = op.before_sha256 ? json(*op.before_sha256) : json(nullptr);
  j["mac"] = op.mac;
  j["interface_xml"] = op.interface_xml;
  j["old_interface_xml"] = op.old_interface_xml;
  j["method"] = plan::to_string(op.method);
  return j;
}

plan::Operation op_from_json(const json& j) {
  plan::Operation op;
  auto kind = op_kind_from_name(j.at("kind").get<std::string>());
  if (!kind) throw Error("journal: unknown operation kind " + j.at("kind").dump());
  op.kind = *kind;
  op.guest = j.value("guest", "");
  op.scope = j.value("scope", "guest") == "host" ? plan::FileScope::Host : plan::FileScope::Guest;
  op.path = j.value("path", "");
  if (j.contains("mode") && !j["mode"].is_null()) op.mode = j["mode"].get<unsigned>();
  if (j.contains("before_sha256") && !j["before_sha256"].is_null())
    op.before_sha256 = j["before_sha256"].get<std::string>();
  op.mac = j.value("mac", "");
  op.interface_xml = j.value("interface_xml", "");
  op.old_interface_xml = j.value("old_interface_xml", "");
  op.method =
      activation_from_name(j.value("method", "none")).value_or(plan::ActivationMethod::None);
  return op;
}

json before_to_json(const BeforeImage& b) {
  json j;
  if (b.file) {
    j["file"] = {{"bytes_b64", base64_encode(b.file->bytes)},
                 {"mode", b.file->mode},
                 {"uid", b.file->uid},
                 {"gid", b.file->gid}};
  } else {
    j["file"] = nullptr;
  }
  j["inactive_xml"] = b.inactive_xml ? json(*b.inactive_xml) : json(nullptr);
  j["live_present"] = b.live_present;
  j["was_running"] = b.was_running;
  return j;
}

BeforeImage before_from_json(const json& j) {
  BeforeImage b;
  if (j.contains("file") && !j["file"].is_null()) {
    const auto& f = j["file"];
    auto bytes = base64_decode(f.at("bytes_b64").get<std::string>());
    if (!bytes) throw Error("journal: malformed file image");
    b.file = FileInfo{*bytes, f.at("mode").get<unsigned>(), f.at("uid").get<unsigned>(),
                      f.at("gid").get<unsigned>()};
  }
  if (j.contains("inactive_xml") && !j["inactive_xml"].is_null())
    b.inactive_xml = j["inactive_xml"].get<std::string>();
  b.live_present = j.value("live_present", false);
  b.was_running = j.value("was_running", false);
  return b;
}

void fsync_dir(const std::filesystem::path& dir) {
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d) ::fsync(d.get());
}

}  // namespace

std::string op_kind_name(plan::OpKind k) {
  return plan::to_string(k);
}

std::optional<plan::OpKind> op_kind_from_name(const std::string& s) {
  using K = plan::OpKind;
  for (K k : {K::WriteFile, K::RemoveFile, K::DefineInterface, K::LiveAttach, K::LiveDetach,
              K::Activate, K::Verify})
    if (plan::to_string(k) == s) return k;
  return std::nullopt;
}

std::optional<plan::ActivationMethod> activation_from_name(const std::string& s) {
  using M = plan::ActivationMethod;
  for (M m : {M::None, M::RestartNetwork, M::Reboot, M::ColdRestart})
    if (plan::to_string(m) == s) return m;
  return std::nullopt;
}

Journal read_journal(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read journal " + path.string());
  Journal jn;
  jn.path = path;
  std::string line;
  bool have_begin = false;
  std::map<int, std::size_t> by_seq;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) continue;  // torn last line after a crash
    const std::string rec = j.value("record", "");
    try {
      if (rec == "begin") {
        have_begin = true;
        jn.apply_id = j.value("apply_id", "");
        jn.host = j.value("host", "");
        jn.pid = j.value("pid", 0L);
        jn.started = j.value("started", "");
        jn.spec_digest = j.value("spec_digest", "");
        const auto& s = j.at("sources");
        jn.sources.uri = s.value("uri", "");
        jn.sources.host_files = s.value("host_files", "none");
        if (s.contains("guest_files"))
          for (auto& [g, v] : s["guest_files"].items())
            jn.sources.guest_files[g] = v.get<std::string>();
        if (j.contains("previous") && !j["previous"].is_null())
          jn.previous = j["previous"].get<std::string>();
      } else if (rec == "step") {
        JournalStep s;
        s.seq = j.at("seq").get<int>();
        s.id = j.value("id", "");
        s.host = j.value("host", "");
        s.target = j.value("target", "");
        s.op = op_from_json(j.at("op"));
        s.content_sha256 = j.value("content_sha256", "");
        s.before = before_from_json(j.at("before"));
        by_seq[s.seq] = jn.steps.size();
        jn.steps.push_back(std::move(s));
      } else if (rec == "done" || rec == "failed" || rec == "undone") {
        auto it = by_seq.find(j.at("seq").get<int>());
        if (it == by_seq.end()) continue;
        auto& s = jn.steps[it->second];
        if (rec == "done") s.done = true;
        if (rec == "failed") s.error = j.value("error", "");
        if (rec == "undone") s.undone = true;
      } else if (rec == "status") {
        jn.status = j.value("status", jn.status);
      }
    } catch (const json::exception& e) {
      throw Error("journal " + path.string() + " is damaged: " + e.what());
    }
  }
  if (!have_begin) throw Error("journal " + path.string() + " has no begin record");
  return jn;
}

std::optional<Journal> read_host_journal(const std::filesystem::path& state_dir,
                                         const std::string& host) {
  const auto p = state_dir / (host_file_stem(host) + ".journal");
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return std::nullopt;
  return read_journal(p);
}

std::vector<std::string> journal_hosts(const std::filesystem::path& state_dir) {
  std::vector<std::string> hosts;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(state_dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() != ".journal" || !it->is_regular_file()) continue;
    try {
      hosts.push_back(read_journal(it->path()).host);
    } catch (const Error&) {
    }
  }
  std::sort(hosts.begin(), hosts.end());
  return hosts;
}

JournalWriter::JournalWriter(const std::filesystem::path& state_dir, const std::string& host,
                             const std::string& apply_id, const std::string& spec_digest,
                             const HostSources& sources) {
  ensure_state_dir(state_dir);
  path_ = state_dir / (host_file_stem(host) + ".journal");
  std::error_code ec;
  if (std::filesystem::exists(path_, ec)) {
    bool unfinished = true;
    std::string old_id = "unknown";
    try {
      Journal old = read_journal(path_);
      unfinished = !old.finished();
      old_id = old.apply_id;
    } catch (const Error&) {
      unfinished = false;  // unreadable: nothing we could undo from it anyway
    }
    if (unfinished) {
      const std::string name = path_.filename().string() + "." + old_id;
      std::filesystem::rename(path_, state_dir / name);
      previous_ = name;
    }
  }
  const auto tmp = state_dir / ("." + path_.filename().string() + ".new");
  fd_.reset(
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd_)
    throw SystemError("cannot create journal " + tmp.string() + ": " + std::strerror(errno), errno);
  json b;
  b["record"] = "begin";
  b["format"] = 1;
  b["apply_id"] = apply_id;
  b["host"] = host;
  b["pid"] = static_cast<long>(::getpid());
  b["started"] = utc_now();
  b["spec_digest"] = spec_digest;
  b["sources"] = {{"uri", sources.uri},
                  {"host_files", sources.host_files},
                  {"guest_files", sources.guest_files}};
  b["previous"] = previous_ ? json(*previous_) : json(nullptr);
  append(b.dump());
  append(json{{"record", "status"}, {"status", "applying"}}.dump());
  if (::rename(tmp.c_str(), path_.c_str()) != 0)
    throw SystemError("cannot install journal " + path_.string() + ": " + std::strerror(errno),
                      errno);
  fsync_dir(state_dir);
}

JournalWriter::JournalWriter(const std::filesystem::path& journal_path) : path_(journal_path) {
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
  if (!fd_)
    throw SystemError("cannot open journal " + path_.string() + ": " + std::strerror(errno), errno);
}

void JournalWriter::append(const std::string& json_line, bool sync) {
  const std::string line = json_line + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_.get(), line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot write journal " + path_.string() + ": " + std::strerror(errno),
                        errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (sync && ::fdatasync(fd_.get()) != 0)
    throw SystemError("cannot sync journal " + path_.string() + ": " + std::strerror(errno), errno);
}

void JournalWriter::step_started(const JournalStep& s) {
  json j;
  j["record"] = "step";
  j["seq"] = s.seq;
  j["id"] = s.id;
  j["host"] = s.host;
  j["target"] = s.target;
  j["op"] = op_to_json(s.op);
  j["content_sha256"] = s.content_sha256;
  j["before"] = before_to_json(s.before);
  // Replace invalid UTF-8 (XML from libvirt is UTF-8; this only guards odd input).
  append(j.dump(-1, ' ', false, json::error_handler_t::replace));
}

void JournalWriter::step_done(int seq) {
  // Not synced on its own: rollback undoes every started step, done or not (each inverse
  // restores a before-image, so undoing a step that never ran changes nothing), so a "done"
  // lost in a crash costs nothing; the next record's sync makes it durable. One fdatasync
  // per step instead of two.
  append(json{{"record", "done"}, {"seq", seq}}.dump(), /*sync=*/false);
}

void JournalWriter::step_failed(int seq, const std::string& error) {
  append(json{{"record", "failed"}, {"seq", seq}, {"error", error}}.dump(
      -1, ' ', false, json::error_handler_t::replace));
}

void JournalWriter::step_undone(int seq) {
  append(json{{"record", "undone"}, {"seq", seq}}.dump());
}

void JournalWriter::status(const std::string& status) {
  append(json{{"record", "status"}, {"status", status}}.dump());
}

}  // namespace mvt::apply
