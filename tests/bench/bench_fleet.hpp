#pragma once
// A fleet over real links: N simulated hypervisors, each a real libvirtd reached over TCP
// across a link with injected latency, so that the tool's parallel observation of many
// remote hosts can be measured. Needs root (namespaces, TUN devices).
//
// Host h (0-based) is
//   namespace    mvtbf-hNN, with lo up and eth0 = 198.51.100.(4h+2) peer 198.51.100.(4h+1)
//   root side    TUN device mvtbfH = 198.51.100.(4h+1) peer 198.51.100.(4h+2)
//   daemon       an unprivileged (uid 65534) session-mode libvirtd in that namespace,
//                listening on TCP 16509 without auth, with its own dirs under
//                workdir/daemons/hNN; clients reach it as test+tcp://ADDR/ABS/node.xml
// Each link is a pair of non-persistent TUN devices (both opened here, in the root
// namespace; the far one is then moved into the host's namespace and renamed eth0). One
// forwarding thread moves every IP packet read from one end to the other end after a fixed
// one-way delay (FIFO per direction, bounded queues): a netem in user space, since this
// kernel has no sch_netem. The links of the `unreachable` hosts drop every packet (a
// black-holed host: a TCP connect to it hangs).
//
// Why it is faithful: real kernel TCP runs on both ends and sees the delay on every segment,
// handshake and ACKs included, as with netem; each host is its own libvirtd, so each has its
// own worker pool and its own RPC queue. The test driver sits behind each daemon because
// every host needs its own set of domains and the system libvirtd is a single host: the
// remote protocol, the TCP transport and the daemon's dispatch are the real thing, only the
// daemon's domain storage is the in-memory test driver.
// What it is not: there is no bandwidth limit and no loss (except the unreachable links); the
// delay is constant (no jitter); and the forwarding thread adds its own latency (four TUN
// crossings and a wake-up per packet: a 10 ms RTT measures 10.3-10.8 ms, more when the
// machine is busy).
//
// Leftovers: the daemons run in their own session, so that they survive a bench killed hard
// rather than die with it; cleanup_stale_fleet (called by the constructor first) finds and
// kills them, and deletes the namespaces and links, on the next run.
//
// Addresses are RFC 5737 198.51.100.0/24, a /30 per host: at most 63 hosts in all.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace mvt::bench {

struct FleetOptions {
  int hosts = 20;       // libvirt endpoints that answer
  int unreachable = 0;  // extra endpoints whose link drops every packet (their daemon runs,
                        // nobody reaches it)
  std::chrono::microseconds one_way_delay{5000};
  std::filesystem::path workdir;  // per-host daemon dirs go under workdir/"daemons"/hNN
};

class Fleet {
 public:
  // Creates the namespaces, links, forwarding thread and daemons, then waits (at most 30 s)
  // until each answering daemon accepts a TCP connection on 16509 from the root namespace.
  // Throws std::runtime_error naming the host and the step that failed, after removing what
  // it made.
  explicit Fleet(FleetOptions o);
  // Stops the daemons (SIGTERM, SIGKILL after 5 s), the forwarding thread, closes the TUN
  // devices and deletes the namespaces. Never throws.
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // "198.51.100.(4h+2)": hosts 0..hosts-1 answer, hosts..total()-1 are the unreachable ones.
  std::string address(int h) const;
  // "test+tcp://ADDR/ABS/PATH" (node_file made absolute; it must be readable by uid 65534).
  std::string uri(int h, const std::filesystem::path& node_file) const;
  int total() const;
  // The best of three TCP connects to the host's port 16509 from the root namespace (one
  // round trip each: SYN, SYN-ACK); -1 us when none completes within 2 s (as for an
  // unreachable host).
  std::chrono::microseconds measured_rtt(int h) const;
  // CPU time used so far (user + system, seconds) by the daemons together and by the
  // forwarding thread: they share this machine's cores with the tool, which real hosts do
  // not, so the benchmark reports them beside each fleet figure.
  struct Cpu {
    double daemons = 0;
    double links = 0;
  };
  Cpu cpu() const;

 private:
  struct Link;
  void teardown() noexcept;
  void forward_loop() noexcept;

  FleetOptions opt_;
  std::filesystem::path daemons_dir_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<pid_t> daemons_;  // index = host, 0 when not started
  std::vector<std::string> namespaces_;  // the ones created (to delete)
  int wake_fd_ = -1;                     // eventfd that stops the forwarding thread
  std::atomic<bool> stop_{false};
  std::thread forwarder_;
};

// Removes leftovers of an earlier run killed hard: processes whose command line names
// workdir/daemons and those in namespaces named mvtbf-*, the namespaces, and links named
// mvtbf* in the root namespace. Called by the Fleet constructor first. Never throws.
void cleanup_stale_fleet(const std::filesystem::path& workdir);

}  // namespace mvt::bench
