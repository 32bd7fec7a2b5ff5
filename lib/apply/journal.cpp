#include "apply/journal.hpp"

#include "netconf/format.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <ctime>

#include "apply/base64.hpp"
#include "apply/state_dir.hpp"
#include "util/errors.hpp"
#include "util/hash.hpp"

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
  j["config_format"] = op.config_format;
  j["profiles"] = op.profiles;
  j["restore_profiles"] = op.restore_profiles;
  return j;
}

// An activation's connection UUIDs (absent in journals that predate them: none); each
// becomes an `nmcli connection up uuid` argument, so anything else is refused.
std::vector<std::string> uuids_from_json(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key) || j[key].is_null()) return out;
  if (!j[key].is_array()) throw Error(std::string("journal: \"") + key + "\" is not a list");
  for (const auto& v : j[key]) {
    if (!v.is_string() || !netconf::is_connection_uuid(v.get<std::string>()))
      throw Error(std::string("journal: \"") + key + "\" holds " + v.dump() +
                  ", not a NetworkManager connection UUID");
    out.push_back(v.get<std::string>());
  }
  return out;
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
  if (j.contains("config_format") && !j["config_format"].is_null()) {
    const auto& f = j["config_format"];
    if (!f.is_string() || !netconf::find_format(f.get<std::string>()))
      throw Error("journal: unknown config_format " + f.dump());
    op.config_format = f.get<std::string>();
  }
  op.profiles = uuids_from_json(j, "profiles");
  op.restore_profiles = uuids_from_json(j, "restore_profiles");
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

// A try record, every field checked (journal.hpp); `bad` throws.
template <class Bad>
TryRecord try_from_json(const json& j, const std::string& apply_id, const Bad& bad) {
  static const std::set<std::string> fields{"record", "apply_id", "deadline", "pid", "timer_unit"};
  for (const auto& [k, v] : j.items())
    if (!fields.count(k)) bad("unknown field " + json(k).dump());
  for (const auto& k : fields)
    if (!j.contains(k)) bad("missing field \"" + k + "\"");
  TryRecord t;
  if (!j["apply_id"].is_string() || j["apply_id"].get<std::string>() != apply_id)
    bad("apply id " + j["apply_id"].dump() + " is not the journal's (" + json(apply_id).dump() + ")");
  t.apply_id = apply_id;
  if (!j["deadline"].is_string()) bad("deadline " + j["deadline"].dump() + " is not a UTC time");
  t.deadline = j["deadline"].get<std::string>();
  const auto epoch = parse_utc_timestamp(t.deadline);
  if (!epoch) bad("deadline " + j["deadline"].dump() + " is not a UTC time (YYYY-MM-DDTHH:MM:SSZ)");
  t.deadline_epoch = *epoch;
  if (!j["pid"].is_number_integer() || j["pid"].get<long long>() <= 0 ||
      j["pid"].get<long long>() > 0x7fffffffLL)
    bad("pid " + j["pid"].dump() + " is not a process id");
  t.pid = static_cast<long>(j["pid"].get<long long>());
  if (!j["timer_unit"].is_string()) bad("timer_unit " + j["timer_unit"].dump() + " is not a string");
  t.timer_unit = j["timer_unit"].get<std::string>();
  // A unit name this tool makes (try_timer.hpp), never an option or a path.
  const std::string prefix = "macvtapctl-try-";
  if (!t.timer_unit.empty()) {
    bool ok = t.timer_unit.rfind(prefix, 0) == 0 && t.timer_unit.size() <= 200;
    for (char c : t.timer_unit)
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == '\\');
    if (!ok) bad("timer_unit " + j["timer_unit"].dump() + " is not a macvtapctl-try-* unit");
  }
  return t;
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

std::optional<long long> parse_utc_timestamp(const std::string& s) {
  // 2026-11-24T00:42:00Z: digits at fixed places, nothing else.
  static const char* shape = "dddd-dd-ddTdd:dd:ddZ";
  if (s.size() != 20) return std::nullopt;
  for (std::size_t i = 0; i < 20; ++i) {
    const char c = s[i];
    if (shape[i] == 'd' ? (c < '0' || c > '9') : c != shape[i]) return std::nullopt;
  }
  auto num = [&](std::size_t at, std::size_t len) { return std::stoi(s.substr(at, len)); };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  if (tm.tm_year < 70 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 59)
    return std::nullopt;
  const long long t = static_cast<long long>(::timegm(&tm));
  // timegm normalises (Feb 30 -> Mar 2): only a date that prints back the same is valid.
  if (utc_timestamp(t) != s) return std::nullopt;
  return t;
}

namespace {

// One journal line: {"c":"SHA256","r":RECORD} where SHA256 is the hex digest of RECORD's
// exact bytes (so no re-serialisation is needed to check it).
const std::string kEnvelopeHead = "{\"c\":\"";
const std::string kEnvelopeMid = "\",\"r\":";

std::string envelope(const std::string& record) {
  return kEnvelopeHead + sha256_hex(record) + kEnvelopeMid + record + "}\n";
}

[[noreturn]] void damaged(const std::filesystem::path& path, std::size_t n, const std::string& why) {
  throw Error("journal " + path.string() + " is damaged at record " + std::to_string(n) +
              " (line " + std::to_string(n) + "): " + why +
              "; refusing to use it (nothing was changed). Inspect it; once you are sure the "
              "state it describes is settled, move it away (mv " + path.string() + " " +
              path.string() + ".damaged)");
}

// The record of line n, its checksum checked.
std::string unwrap(const std::filesystem::path& path, std::size_t n, const std::string& line) {
  const std::size_t head = kEnvelopeHead.size() + 64 + kEnvelopeMid.size();
  if (line.size() < head + 1 || line.compare(0, kEnvelopeHead.size(), kEnvelopeHead) != 0 ||
      line.compare(kEnvelopeHead.size() + 64, kEnvelopeMid.size(), kEnvelopeMid) != 0 ||
      line.back() != '}') {
    if (n == 1) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object() && j.value("record", "") == "begin")
        throw Error("journal " + path.string() + " was written by an older macvtapctl (format " +
                    std::to_string(j.value("format", 1)) +
                    ", records without checksums): refusing to trust it. If its apply is "
                    "finished (applied or rolled back), move it away (mv " + path.string() + " " +
                    path.string() + ".old); otherwise roll it back with the version that wrote it");
    }
    damaged(path, n, "not a checksummed record");
  }
  const std::string sum = line.substr(kEnvelopeHead.size(), 64);
  std::string record = line.substr(head, line.size() - head - 1);
  if (sha256_hex(record) != sum) damaged(path, n, "checksum mismatch");
  return record;
}

std::string read_all_fd(int fd, const std::filesystem::path& path) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot read journal " + path.string() + ": " + std::strerror(errno),
                        errno);
    }
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

Journal read_journal(const std::filesystem::path& path) {
  UniqueFd fd = open_state_file(path, O_RDONLY);
  if (!fd) throw Error("cannot read journal " + path.string() + ": it does not exist");
  const std::string text = read_all_fd(fd.get(), path);
  Journal jn;
  jn.path = path;
  bool have_begin = false;
  std::map<int, std::size_t> by_seq;
  std::size_t pos = 0, n = 0;
  // Only complete lines count: bytes after the last newline are the record a crash
  // interrupted (appends are single write()s of a whole line), and are ignored.
  for (std::size_t nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    ++n;
    const std::string rec_text = unwrap(path, n, text.substr(pos, nl - pos));
    json j = json::parse(rec_text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) damaged(path, n, "not a JSON object");
    const std::string rec = j.value("record", "");
    if (n == 1 && rec != "begin") damaged(path, n, "the first record is not a begin record");
    try {
      if (rec == "begin") {
        if (n != 1) damaged(path, n, "a second begin record");
        if (j.value("format", 0) != kJournalFormat)
          damaged(path, n, "unknown format " + j.value("format", json(nullptr)).dump());
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
        if (it == by_seq.end()) damaged(path, n, rec + " of a step that was not started");
        auto& s = jn.steps[it->second];
        if (rec == "done") s.done = true;
        if (rec == "failed") s.error = j.value("error", "");
        if (rec == "undone") s.undone = true;
      } else if (rec == "try") {
        if (jn.try_record) damaged(path, n, "a second try record");
        jn.try_record = try_from_json(j, jn.apply_id, [&](const std::string& why) {
          damaged(path, n, "try record: " + why);
        });
      } else if (rec == "status") {
        jn.status = j.value("status", jn.status);
      } else {
        damaged(path, n, "unknown record " + j.value("record", json(nullptr)).dump());
      }
    } catch (const json::exception& e) {
      damaged(path, n, e.what());
    } catch (const Error& e) {
      if (std::string(e.what()).rfind("journal " + path.string(), 0) == 0) throw;
      damaged(path, n, e.what());
    }
  }
  if (!have_begin)
    throw Error("journal " + path.string() + " has no complete begin record (a crash while "
                "it was created); refusing to use it. Move it away (mv " + path.string() + " " +
                path.string() + ".damaged)");
  if (jn.previous && !valid_previous_name(*jn.previous, path))
    damaged(path, 1, "its previous journal " + json(*jn.previous).dump() +
                         " is not a journal of the same host");
  return jn;
}

bool valid_previous_name(const std::string& name, const std::filesystem::path& journal) {
  // HOST.journal.APPLYID beside this journal: no directory part, same host stem.
  std::string stem = journal.filename().string();
  if (auto p = stem.find(".journal"); p != std::string::npos) stem.resize(p);
  const std::string prefix = stem + ".journal.";
  if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) return false;
  for (char c : name.substr(prefix.size()))
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  return true;
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
    if (it->path().extension() != ".journal") continue;
    // Read (and checked: owner, mode, symlink, checksums) even when it is not a regular
    // file: a planted or damaged journal is refused, not skipped.
    hosts.push_back(read_journal(it->path()).host);
  }
  std::sort(hosts.begin(), hosts.end());
  return hosts;
}

JournalWriter::JournalWriter(const std::filesystem::path& state_dir, const std::string& host,
                             const std::string& apply_id, const std::string& spec_digest,
                             const HostSources& sources) {
  ensure_state_dir(state_dir);
  path_ = state_dir / (host_file_stem(host) + ".journal");
  if (UniqueFd existing = open_state_file(path_, O_RDONLY)) {
    existing.reset();
    Journal old = read_journal(path_);  // a damaged one is refused (thrown), never replaced
    if (!old.finished()) {
      // Keep it under HOST.journal.APPLYID (a second name, so HOST.journal names the old one
      // until the new one atomically replaces it: a crash in between loses neither).
      std::string id = old.apply_id;
      const std::string name = path_.filename().string() + "." + (id.empty() ? "unknown" : id);
      if (!valid_previous_name(name, path_))
        throw Error("journal " + path_.string() + " has an unusable apply id " + json(id).dump());
      const auto keep = state_dir / name;
      if (::link(path_.c_str(), keep.c_str()) != 0) {
        struct stat a {}, b {};
        if (errno != EEXIST || ::lstat(path_.c_str(), &a) != 0 || ::lstat(keep.c_str(), &b) != 0 ||
            a.st_ino != b.st_ino || a.st_dev != b.st_dev)
          throw SystemError("cannot keep the unfinished journal " + path_.string() + " as " +
                                keep.string() + ": " + std::strerror(errno ? errno : EEXIST),
                            errno ? errno : EEXIST);
      }
      previous_ = name;
    }
  }
  const auto tmp = state_dir / ("." + path_.filename().string() + ".new");
  ::unlink(tmp.c_str());
  fd_.reset(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
                   0600));
  if (!fd_)
    throw SystemError("cannot create journal " + tmp.string() + ": " + std::strerror(errno), errno);
  json b;
  b["record"] = "begin";
  b["format"] = kJournalFormat;
  b["apply_id"] = apply_id;
  b["host"] = host;
  b["pid"] = static_cast<long>(::getpid());
  b["started"] = utc_now();
  b["spec_digest"] = spec_digest;
  b["sources"] = {{"uri", sources.uri},
                  {"host_files", sources.host_files},
                  {"guest_files", sources.guest_files}};
  b["previous"] = previous_ ? json(*previous_) : json(nullptr);
  try {
    append(b.dump(), /*sync=*/false, /*reserve=*/true);
    append(json{{"record", "status"}, {"status", "applying"}}.dump());
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0)
    throw SystemError("cannot install journal " + path_.string() + ": " + std::strerror(errno),
                      errno);
  fsync_dir(state_dir);
}

JournalWriter::JournalWriter(const std::filesystem::path& journal_path) : path_(journal_path) {
  fd_ = open_state_file(path_, O_RDWR | O_APPEND);
  if (!fd_)
    throw SystemError("cannot open journal " + path_.string() + ": " + std::strerror(ENOENT),
                      ENOENT);
  // Drop a record a crash left unfinished (no newline): appending after it would glue the
  // next record to it and damage both.
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0)
    throw SystemError("cannot stat journal " + path_.string() + ": " + std::strerror(errno), errno);
  off_t end = st.st_size;
  char buf[4096];
  while (end > 0) {
    const off_t from = end > static_cast<off_t>(sizeof buf) ? end - static_cast<off_t>(sizeof buf) : 0;
    const ssize_t n = ::pread(fd_.get(), buf, static_cast<std::size_t>(end - from), from);
    if (n != end - from)
      throw SystemError("cannot read journal " + path_.string() + ": " + std::strerror(errno),
                        errno);
    off_t i = n;
    while (i > 0 && buf[i - 1] != '\n') --i;
    if (i > 0) {
      end = from + i;
      break;
    }
    end = from;
  }
  if (end != st.st_size && ::ftruncate(fd_.get(), end) != 0)
    throw SystemError("cannot trim journal " + path_.string() + ": " + std::strerror(errno), errno);
}

void JournalWriter::append(const std::string& record, bool sync, bool reserve) {
  const std::string line = envelope(record);
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0)
    throw SystemError("cannot stat journal " + path_.string() + ": " + std::strerror(errno), errno);
  if (reserve) {
    // Keep room beyond this record for every record a rollback needs (status, undone...), so
    // a full disk fails the next step, never the rollback (KEEP_SIZE: the file's size, and
    // so what a reader sees, does not change).
    reserved_ += kReservePerStep;
    const off_t want = st.st_size + static_cast<off_t>(line.size() + kReserveBase + reserved_);
    if (::fallocate(fd_.get(), FALLOC_FL_KEEP_SIZE, 0, want) != 0 && errno != EOPNOTSUPP &&
        errno != ENOSYS)
      throw SystemError("cannot reserve space in journal " + path_.string() + ": " +
                            std::strerror(errno),
                        errno);
  }
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_.get(), line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      (void)::ftruncate(fd_.get(), st.st_size);  // no half record left behind
      throw SystemError("cannot write journal " + path_.string() + ": " + std::strerror(err), err);
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
  append(j.dump(-1, ' ', false, json::error_handler_t::replace), /*sync=*/true, /*reserve=*/true);
}

void JournalWriter::step_done(int seq) {
  // Not synced on its own: rollback undoes every started step, done or not (each inverse
  // restores a before-image, so undoing a step that never ran changes nothing), so a "done"
  // lost in a crash costs nothing; the next record's sync makes it durable. One fdatasync
  // per step instead of two.
  append(json{{"record", "done"}, {"seq", seq}}.dump(), /*sync=*/false);
}

void JournalWriter::step_failed(int seq, const std::string& error) {
  // Bounded, so it fits in the space reserved for the rollback's records.
  append(json{{"record", "failed"}, {"seq", seq}, {"error", error.substr(0, 4096)}}.dump(
      -1, ' ', false, json::error_handler_t::replace));
}

void JournalWriter::step_undone(int seq) {
  append(json{{"record", "undone"}, {"seq", seq}}.dump());
}

void JournalWriter::try_deadline(const TryRecord& t) {
  append(json{{"record", "try"},
              {"apply_id", t.apply_id},
              {"deadline", t.deadline},
              {"pid", t.pid},
              {"timer_unit", t.timer_unit}}
             .dump());
}

void JournalWriter::status(const std::string& status) {
  append(json{{"record", "status"}, {"status", status}}.dump());
}

}  // namespace mvt::apply
