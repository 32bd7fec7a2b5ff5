#include "bench_fleet.hpp"

#include <ctime>

#include <pthread.h>

#include <iterator>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace mvt::bench {

namespace {

constexpr int kMaxHosts = 63;  // 198.51.100.0/24 in /30s
constexpr int kLibvirtPort = 16509;
constexpr auto kReadyLimit = 30s;    // all answering daemons accept TCP connections
constexpr auto kCommandLimit = 20s;  // one `ip` command
constexpr auto kTermLimit = 5s;      // SIGTERM to SIGKILL
constexpr auto kKillLimit = 2s;      // SIGKILL to gone
// Per direction of a link: beyond this the packet is dropped (a full queue, as netem's limit).
constexpr std::size_t kQueuePackets = 4096;
constexpr std::size_t kQueueBytes = 16u << 20;

std::string two_digits(int h) {
  char b[8];
  std::snprintf(b, sizeof b, "%02d", h);
  return b;
}
std::string host_label(int h) { return "h" + two_digits(h); }
std::string ns_name(int h) { return "mvtbf-" + host_label(h); }
std::string root_link(int h) { return "mvtbf" + std::to_string(h); }
std::string far_link_tmp(int h) { return "mvtbfp" + std::to_string(h); }
// end 1: the root namespace's side, end 2: the host's
std::string ip_of(int h, int end) { return "198.51.100." + std::to_string(4 * h + end); }

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Reaps `pid` if it is our child and has exited.
bool reaped(pid_t pid) {
  int status = 0;
  return waitpid(pid, &status, WNOHANG) == pid;
}

struct CmdResult {
  int exit_code = -1;  // -1: timed out (then killed)
  std::string output;  // stdout and stderr
};

// Runs argv (searched in PATH) with stdin from /dev/null, collecting its output; kills it
// after `limit`. Throws std::runtime_error only when it cannot be spawned.
CmdResult run_cmd(const std::vector<std::string>& argv, Clock::duration limit = kCommandLimit) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0)
    throw std::runtime_error("fleet: pipe failed: " + std::string(std::strerror(errno)));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(p[1]);
  if (rc != 0) {
    close(p[0]);
    throw std::runtime_error("fleet: cannot run `" + joined(argv) + "`: " + std::strerror(rc));
  }

  CmdResult r;
  const auto deadline = Clock::now() + limit;
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms) {
      timed_out = true;
      break;
    }
    pollfd pfd{p[0], POLLIN, 0};
    const int n = poll(&pfd, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = n == 0;
      break;
    }
    char buf[4096];
    const ssize_t got = read(p[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF: the command closed its output
    if (r.output.size() < 64 * 1024) r.output.append(buf, static_cast<std::size_t>(got));
  }
  close(p[0]);
  int status = 0;
  while (!timed_out) {  // output closed: the command is exiting
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return r;
    }
    if (w < 0 && errno != EINTR) return r;
    if (Clock::now() >= deadline) timed_out = true;
    else std::this_thread::sleep_for(5ms);
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = -1;
  return r;
}

// Runs an `ip` (or other) command for host `h`; throws naming the host and the command.
void run_checked(int h, const std::vector<std::string>& argv) {
  const CmdResult r = run_cmd(argv);
  if (r.exit_code == 0) return;
  throw std::runtime_error(
      "fleet: host " + host_label(h) + ": `" + joined(argv) + "` " +
      (r.exit_code < 0 ? std::string("timed out")
                       : "failed (exit " + std::to_string(r.exit_code) + ")") +
      (r.output.empty() ? std::string() : ": " + trimmed(r.output)));
}

// A non-persistent TUN device (IFF_TUN | IFF_NO_PI): it vanishes when the fd is closed.
int open_tun(int h, const std::string& name) {
  const int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error("fleet: host " + host_label(h) +
                             ": cannot open /dev/net/tun: " + std::strerror(errno));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    const int e = errno;
    close(fd);
    throw std::runtime_error("fleet: host " + host_label(h) + ": cannot create TUN device " +
                             name + " (TUNSETIFF): " + std::strerror(e));
  }
  return fd;
}

struct ConnectResult {
  bool ok = false;
  int error = 0;  // errno when !ok (ETIMEDOUT when `limit` passed)
  std::chrono::microseconds took{0};
};

// One TCP connect from this (the root) namespace, closed at once.
ConnectResult tcp_connect(const std::string& addr, int port, Clock::duration limit) {
  ConnectResult r;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    r.error = errno;
    return r;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
  const auto t0 = Clock::now();
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  if (rc != 0 && errno == EINPROGRESS) {
    const auto deadline = t0 + limit;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd pfd{fd, POLLOUT, 0};
      const int n = left > 0ms ? poll(&pfd, 1, static_cast<int>(left.count())) : 0;
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        errno = ETIMEDOUT;
        break;
      }
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
      break;
    }
  }
  r.took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
  r.ok = rc == 0;
  r.error = r.ok ? 0 : errno;
  close(fd);
  return r;
}

// The last lines of a daemon's log, for error messages.
std::string log_tail(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return "(no log at " + p.string() + ")";
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> lines;
  std::istringstream ss(all);
  for (std::string l; std::getline(ss, l);) lines.push_back(l);
  const std::size_t from = lines.size() > 5 ? lines.size() - 5 : 0;
  std::string s;
  for (std::size_t i = from; i < lines.size(); ++i) s += "\n    " + lines[i];
  return p.string() + " ends with:" + (s.empty() ? " (empty)" : s);
}

// True when `pid` has exited: reaped here when it is our child, else gone or a zombie.
bool process_gone(pid_t pid) {
  if (reaped(pid)) return true;
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(st, line)) return true;
  const auto close_paren = line.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < line.size() &&
         line[close_paren + 2] == 'Z';  // a zombie someone else will reap
}

// SIGTERM, then SIGKILL after kTermLimit; waits (bounded) until each is gone.
void terminate_all(std::vector<pid_t> pids) {
  pids.erase(std::remove_if(pids.begin(), pids.end(), [](pid_t p) { return p <= 0; }),
             pids.end());
  for (pid_t p : pids) kill(p, SIGTERM);
  for (const auto& [sig, limit] : {std::pair{0, Clock::duration(kTermLimit)},
                                  std::pair{SIGKILL, Clock::duration(kKillLimit)}}) {
    if (sig != 0)
      for (pid_t p : pids) kill(p, sig);
    const auto deadline = Clock::now() + limit;
    while (!pids.empty() && Clock::now() < deadline) {
      pids.erase(std::remove_if(pids.begin(), pids.end(), process_gone), pids.end());
      if (!pids.empty()) std::this_thread::sleep_for(20ms);
    }
    if (pids.empty()) return;
  }
}

// The daemons run as uid 65534 and read node files under the workdir: every directory up to
// it must be searchable by others.
void check_searchable(const fs::path& dir) {
  for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (stat(p.c_str(), &st) == 0 && !(st.st_mode & S_IXOTH)) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777u);
      throw std::runtime_error("fleet: " + p.string() + " (mode " + mode +
                               ") is not searchable by others, but the fleet's daemons run as "
                               "uid 65534 and read files under " + dir.string());
    }
    if (p == p.root_path()) break;
  }
}

void make_dir(const fs::path& p, fs::perms perms) {
  fs::create_directories(p);
  fs::permissions(p, perms);
}

}  // namespace

// One emulated link: two TUN fds, a queue per direction.
struct Fleet::Link {
  struct Packet {
    Clock::time_point due;
    std::vector<unsigned char> data;
  };
  struct Direction {
    std::deque<Packet> queue;
    std::size_t bytes = 0;
  };
  int root_fd = -1;  // mvtbfH in the root namespace
  int far_fd = -1;   // eth0 in the host's namespace
  bool unreachable = false;
  Direction to_far, to_root;

  Link() = default;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link() {
    if (root_fd >= 0) close(root_fd);
    if (far_fd >= 0) close(far_fd);
  }
};

Fleet::Fleet(FleetOptions o) : opt_(std::move(o)) {
  if (opt_.hosts < 0 || opt_.unreachable < 0 || total() < 1 || total() > kMaxHosts)
    throw std::runtime_error("fleet: " + std::to_string(opt_.hosts) + " answering + " +
                             std::to_string(opt_.unreachable) +
                             " unreachable hosts: need 1 to " + std::to_string(kMaxHosts) +
                             " in all (a /30 each in 198.51.100.0/24)");
  if (opt_.one_way_delay < 0us) throw std::runtime_error("fleet: negative one-way delay");
  if (opt_.workdir.empty()) throw std::runtime_error("fleet: no workdir");
  if (geteuid() != 0)
    throw std::runtime_error("fleet: needs root (network namespaces, TUN devices)");
  opt_.workdir = fs::absolute(opt_.workdir).lexically_normal();
  daemons_dir_ = opt_.workdir / "daemons";
  cleanup_stale_fleet(opt_.workdir);

  try {
    const auto open_dir = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                          fs::perms::others_read | fs::perms::others_exec;  // 0755
    try {
      make_dir(opt_.workdir, open_dir);
      make_dir(daemons_dir_, open_dir);
    } catch (const fs::filesystem_error& e) {
      throw std::runtime_error("fleet: cannot prepare " + daemons_dir_.string() + ": " +
                               e.what());
    }
    check_searchable(daemons_dir_);

    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0)
      throw std::runtime_error("fleet: eventfd failed: " + std::string(std::strerror(errno)));

    // Links: both TUN ends opened here, the far one moved into the host's namespace.
    for (int h = 0; h < total(); ++h) {
      const std::string ns = ns_name(h);
      run_checked(h, {"ip", "netns", "add", ns});
      namespaces_.push_back(ns);
      auto link = std::make_unique<Link>();
      link->unreachable = h >= opt_.hosts;
      link->root_fd = open_tun(h, root_link(h));
      link->far_fd = open_tun(h, far_link_tmp(h));
      links_.push_back(std::move(link));
      run_checked(h, {"ip", "addr", "add", ip_of(h, 1), "peer", ip_of(h, 2), "dev", root_link(h)});
      run_checked(h, {"ip", "link", "set", "dev", root_link(h), "up"});
      run_checked(h, {"ip", "link", "set", "dev", far_link_tmp(h), "netns", ns});
      run_checked(h, {"ip", "-n", ns, "link", "set", "dev", far_link_tmp(h), "name", "eth0"});
      run_checked(h, {"ip", "-n", ns, "addr", "add", ip_of(h, 2), "peer", ip_of(h, 1), "dev",
                      "eth0"});
      run_checked(h, {"ip", "-n", ns, "link", "set", "dev", "eth0", "up"});
      run_checked(h, {"ip", "-n", ns, "link", "set", "dev", "lo", "up"});
    }
    forwarder_ = std::thread([this] { forward_loop(); });

    // Daemons: all started, then waited for together.
    daemons_.assign(static_cast<std::size_t>(total()), 0);
    for (int h = 0; h < total(); ++h) {
      const fs::path d = daemons_dir_ / host_label(h);
      try {
        make_dir(d, open_dir);
        fs::remove_all(d / "run");  // a killed daemon's socket and pidfile
        for (const char* sub : {"home", "run", "cfg", "cache"}) make_dir(d / sub, fs::perms::all);
      } catch (const fs::filesystem_error& e) {
        throw std::runtime_error("fleet: host " + host_label(h) + ": cannot prepare " +
                                 d.string() + ": " + e.what());
      }
      const fs::path conf = d / "libvirtd.conf";
      {
        std::ofstream out(conf, std::ios::trunc);
        out << "# written by macvtapctl_bench (fleet host " << host_label(h) << ")\n"
            << "listen_tls = 0\nlisten_tcp = 1\nlisten_addr = \"" << ip_of(h, 2) << "\"\n"
            << "auth_tcp = \"none\"\nmax_clients = 100\n";
        if (!out)
          throw std::runtime_error("fleet: host " + host_label(h) + ": cannot write " +
                                   conf.string());
      }
      fs::permissions(conf, fs::perms::owner_read | fs::perms::owner_write |
                                fs::perms::group_read | fs::perms::others_read);
      const std::vector<std::string> argv = {
          "ip", "netns", "exec", ns_name(h), "setpriv", "--reuid=65534", "--regid=65534",
          "--clear-groups", "env", "-i", "HOME=" + (d / "home").string(),
          "XDG_RUNTIME_DIR=" + (d / "run").string(), "XDG_CONFIG_HOME=" + (d / "cfg").string(),
          "XDG_CACHE_HOME=" + (d / "cache").string(), "PATH=/usr/sbin:/usr/bin", "libvirtd",
          "--listen", "-f", conf.string()};
      const fs::path log = d / "libvirtd.log";
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init(&fa);
      posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
      posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      posix_spawn_file_actions_adddup2(&fa, 1, 2);
      // Its own session (no SIGINT from the terminal, no hangup): a daemon outlives a bench
      // killed hard, and cleanup_stale_fleet kills it on the next run.
      posix_spawnattr_t attr;
      posix_spawnattr_init(&attr);
      sigset_t none, dfl;
      sigemptyset(&none);
      sigemptyset(&dfl);
      for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&dfl, s);
      posix_spawnattr_setsigmask(&attr, &none);
      posix_spawnattr_setsigdefault(&attr, &dfl);
      posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                          POSIX_SPAWN_SETSIGDEF);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      pid_t pid = 0;
      const int rc = posix_spawnp(&pid, "ip", &fa, &attr, args.data(), environ);
      posix_spawn_file_actions_destroy(&fa);
      posix_spawnattr_destroy(&attr);
      if (rc != 0)
        throw std::runtime_error("fleet: host " + host_label(h) + ": cannot run `" +
                                 joined(argv) + "`: " + std::strerror(rc));
      daemons_[static_cast<std::size_t>(h)] = pid;
    }

    const auto deadline = Clock::now() + kReadyLimit;
    auto exited = [&](int h) {
      auto& pid = daemons_[static_cast<std::size_t>(h)];
      if (!process_gone(pid)) return false;
      pid = 0;
      return true;
    };
    auto daemon_error = [&](int h, const std::string& what) {
      return std::runtime_error("fleet: host " + host_label(h) + " (" + address(h) +
                                "): libvirtd " + what + "; " +
                                log_tail(daemons_dir_ / host_label(h) / "libvirtd.log"));
    };
    for (int h = 0; h < opt_.hosts; ++h) {
      for (;;) {
        if (exited(h)) throw daemon_error(h, "exited before accepting connections");
        const auto left = deadline - Clock::now();
        if (left <= 0s)
          throw daemon_error(h, "did not accept a TCP connection on port " +
                                    std::to_string(kLibvirtPort) + " within " +
                                    std::to_string(kReadyLimit.count()) + " s");
        if (tcp_connect(address(h), kLibvirtPort, std::min<Clock::duration>(left, 1s)).ok) break;
        std::this_thread::sleep_for(50ms);
      }
    }
    for (int h = opt_.hosts; h < total(); ++h)
      if (exited(h)) throw daemon_error(h, "(of an unreachable host) exited");
  } catch (...) {
    teardown();
    throw;
  }
}

Fleet::~Fleet() { teardown(); }

void Fleet::teardown() noexcept {
  try {
    terminate_all(daemons_);
    daemons_.clear();
  } catch (...) {
  }
  stop_ = true;
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto w = write(wake_fd_, &one, sizeof one);
  }
  if (forwarder_.joinable()) forwarder_.join();
  if (wake_fd_ >= 0) close(wake_fd_);
  wake_fd_ = -1;
  links_.clear();  // closes the TUN fds: the devices vanish
  for (const auto& ns : namespaces_) {
    try {
      run_cmd({"ip", "netns", "del", ns});
    } catch (...) {
    }
  }
  namespaces_.clear();
}

// The link emulator: every packet read from one end is written to the other end
// one_way_delay later, in order; the unreachable links drop everything.
void Fleet::forward_loop() noexcept {
  try {
    struct Source {
      Link* link;
      int out_fd;
      Link::Direction* dir;
    };
    std::vector<pollfd> pfds{{wake_fd_, POLLIN, 0}};
    std::vector<Source> sources{{nullptr, -1, nullptr}};
    for (const auto& l : links_) {
      pfds.push_back({l->root_fd, POLLIN, 0});
      sources.push_back({l.get(), l->far_fd, &l->to_far});
      pfds.push_back({l->far_fd, POLLIN, 0});
      sources.push_back({l.get(), l->root_fd, &l->to_root});
    }
    std::vector<unsigned char> buf(65536);
    while (!stop_) {
      // Deliver what is due; find the next due packet.
      auto now = Clock::now();
      auto next = now + 1s;  // bounded wait even when idle
      for (std::size_t i = 1; i < sources.size(); ++i) {
        auto& d = *sources[i].dir;
        while (!d.queue.empty() && d.queue.front().due <= now) {
          auto& p = d.queue.front();
          // A TUN write does not block (the kernel drops on its own backlog if it must).
          [[maybe_unused]] const auto w = write(sources[i].out_fd, p.data.data(), p.data.size());
          d.bytes -= p.data.size();
          d.queue.pop_front();
        }
        if (!d.queue.empty()) next = std::min(next, d.queue.front().due);
      }
      const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(next - now);
      timespec ts{};
      if (wait > 0ns) {
        ts.tv_sec = static_cast<time_t>(wait.count() / 1000000000);
        ts.tv_nsec = static_cast<long>(wait.count() % 1000000000);
      }
      const int n = ppoll(pfds.data(), pfds.size(), &ts, nullptr);
      if (n < 0 && errno != EINTR) return;
      if (n <= 0) continue;
      now = Clock::now();
      for (std::size_t i = 1; i < pfds.size(); ++i) {
        if (!pfds[i].revents) continue;
        auto& s = sources[i];
        for (int k = 0; k < 64; ++k) {  // a batch, then the others get their turn
          const ssize_t got = read(pfds[i].fd, buf.data(), buf.size());
          if (got < 0 && errno != EAGAIN && errno != EINTR) pfds[i].fd = -1;  // end gone: ignore
          if (got <= 0) break;
          const auto size = static_cast<std::size_t>(got);
          if (s.link->unreachable) continue;
          if (s.dir->queue.size() >= kQueuePackets || s.dir->bytes + size > kQueueBytes) continue;
          s.dir->queue.push_back({now + opt_.one_way_delay, {buf.begin(), buf.begin() + got}});
          s.dir->bytes += size;
        }
      }
    }
  } catch (...) {
    // bad_alloc: the links go silent, which the measurements will show
  }
}

std::string Fleet::address(int h) const {
  if (h < 0 || h >= total())
    throw std::out_of_range("fleet: no host " + std::to_string(h) + " (the fleet has " +
                            std::to_string(total()) + ")");
  return ip_of(h, 2);
}

std::string Fleet::uri(int h, const fs::path& node_file) const {
  return "test+tcp://" + address(h) + fs::absolute(node_file).lexically_normal().string();
}

int Fleet::total() const { return opt_.hosts + opt_.unreachable; }

std::chrono::microseconds Fleet::measured_rtt(int h) const {
  const std::string addr = address(h);
  std::optional<std::chrono::microseconds> best;
  for (int i = 0; i < 3; ++i) {
    const auto r = tcp_connect(addr, kLibvirtPort, 2s);
    if (!r.ok) {
      if (r.error == ETIMEDOUT) break;  // black-holed: don't wait three times
      continue;
    }
    best = best ? std::min(*best, r.took) : r.took;
  }
  return best.value_or(std::chrono::microseconds(-1));
}

void cleanup_stale_fleet(const fs::path& workdir) {
  try {
    std::vector<pid_t> victims;
    // Daemons of this workdir, wherever they run.
    if (!workdir.empty()) {
      const std::string marker =
          (fs::absolute(workdir).lexically_normal() / "daemons").string() + "/";
      std::error_code ec;
      for (const auto& e : fs::directory_iterator("/proc", ec)) {
        const std::string name = e.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
        const pid_t pid = static_cast<pid_t>(std::stol(name));
        if (pid == getpid()) continue;
        std::ifstream comm(e.path() / "comm");
        std::string c;
        if (!std::getline(comm, c) || c != "libvirtd") continue;
        std::ifstream cl(e.path() / "cmdline", std::ios::binary);
        const std::string cmdline((std::istreambuf_iterator<char>(cl)),
                                  std::istreambuf_iterator<char>());
        if (cmdline.find(marker) != std::string::npos) victims.push_back(pid);
      }
    }
    // Whatever still runs in our namespaces (only this file makes mvtbf-* ones).
    std::vector<std::string> stale_ns;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/run/netns", ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("mvtbf-", 0) != 0) continue;
      stale_ns.push_back(name);
      std::istringstream pids(run_cmd({"ip", "netns", "pids", name}).output);
      for (long p; pids >> p;)
        if (p > 0 && p != getpid()) victims.push_back(static_cast<pid_t>(p));
    }
    std::sort(victims.begin(), victims.end());
    victims.erase(std::unique(victims.begin(), victims.end()), victims.end());
    terminate_all(victims);
    for (const auto& ns : stale_ns) run_cmd({"ip", "netns", "del", ns});
    for (const auto& e : fs::directory_iterator("/sys/class/net", ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("mvtbf", 0) == 0) run_cmd({"ip", "link", "del", "dev", name});
    }
  } catch (...) {
  }
}

Fleet::Cpu Fleet::cpu() const {
  Cpu c;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  for (pid_t p : daemons_) {
    if (p <= 0) continue;
    std::ifstream in("/proc/" + std::to_string(p) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int k = 3; k <= 15 && rest >> field; ++k) {  // fields 14 and 15: utime, stime
      if (k == 14) utime = std::stod(field);
      if (k == 15) stime = std::stod(field);
    }
    c.daemons += (utime + stime) / tick;
  }
  clockid_t id;
  if (forwarder_.joinable() &&
      pthread_getcpuclockid(const_cast<std::thread&>(forwarder_).native_handle(), &id) == 0) {
    timespec ts{};
    if (clock_gettime(id, &ts) == 0)
      c.links = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  }
  return c;
}

}  // namespace mvt::bench
