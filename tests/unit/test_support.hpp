#pragma once
// Shared helpers for tests: source/corpus paths, temp dirs, running the binary.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace mvt::test {

inline std::filesystem::path source_dir() { return MVT_SOURCE_DIR; }
inline std::filesystem::path binary() { return MVT_BINARY; }

// The shared real-world corpus: $MVT_CORPUS_DIR, else the configured default. Empty path
// when absent (tests then skip loudly with MESSAGE).
inline std::filesystem::path corpus_dir() {
  if (const char* e = std::getenv("MVT_CORPUS_DIR"); e && *e) return e;
  std::filesystem::path p = MVT_CORPUS_DIR_DEFAULT;
  return std::filesystem::exists(p) ? p : std::filesystem::path{};
}

// A fresh temporary directory, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv (no shell) with optional stdin text; captures stdout/stderr. Bounded (60 s).
RunResult run(const std::vector<std::string>& argv, const std::string& input = {});
// Runs the macvtapctl binary with args.
RunResult run_tool(const std::vector<std::string>& args, const std::string& input = {});

std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& bytes);

// A TCP endpoint on 127.0.0.1 that never answers: it listens (so the kernel completes the
// handshake) but never accepts nor reads, as a libvirtd that hung. A client's connection
// opens, its first call waits for a reply forever. No packet leaves the machine.
class HungListener {
 public:
  HungListener();  // throws std::runtime_error when it cannot listen
  ~HungListener();
  HungListener(const HungListener&) = delete;
  HungListener& operator=(const HungListener&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Whether `needle` occurs in `hay`.
inline bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// `s` with every occurrence of `from` replaced by `to`.
inline std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

}  // namespace mvt::test
