#pragma once
// ThreadPool: the one pool of worker threads of the tool (ThreadPool::shared()). Hosts
// observed at once, guests' files read at once, guests compared at once and the spec digest
// hashed beside its decoding all run on it; nothing else in lib/ starts a thread.
//
// Bounds: at most max_workers() workers exist that are not abandoned; they are started on
// demand and then wait for work until the pool ends. ensure_workers(n) raises the bound
// (the shared pool grows to the largest `parallel` it was asked for: --parallel).
//
// Two ways to run work:
//  - for_each(): a loop over indices. The calling thread works too, so a for_each nested in
//    a task never waits for a worker that is not there: with no worker free, the caller runs
//    every index itself. The first exception is rethrown after every started body ended;
//    the indices not started by then are skipped.
//  - run_each(): independent tasks, each on a worker, each with its own outcome (done, the
//    exception it threw, or timed out). The caller only coordinates: it starts at most
//    `parallel` tasks, calls on_start/on_end on ITS OWN thread (never concurrently), and
//    abandons a task that runs longer than `timeout` (measured from when a worker starts
//    it). An abandoned task's worker is not waited for: it is replaced at once, finishes (or
//    hangs) on its own and then ends. A body that may be abandoned must therefore own what
//    it reads (the body is copied and kept alive by its tasks, not by the caller).
//
// Determinism: the pool decides only WHEN work runs; results are placed by index.
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>

namespace mvt {

class ThreadPool {
 public:
  // max_workers < 1 means 1.
  explicit ThreadPool(int max_workers);
  // Waits for the workers that are not abandoned (after their current task); abandoned
  // workers end on their own.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // The pool of the tool. Never destroyed (a hung, abandoned task may still run at exit).
  static ThreadPool& shared();

  // Raises max_workers() to at least n (never lowers it).
  void ensure_workers(int n);
  int max_workers() const;
  // Workers started and not abandoned; and workers abandoned so far.
  int live_workers() const;
  int abandoned_workers() const;

  // body(0..n-1), at most `parallel` at once (the calling thread included; < 1 means 1).
  void for_each(std::size_t n, int parallel, const std::function<void(std::size_t)>& body);

  struct Outcome {
    enum class State { Done, Failed, TimedOut };
    State state = State::Done;
    std::exception_ptr error;  // Failed: what the body threw
    double seconds = 0;        // from the start of the task to its end (or to the timeout)
  };
  struct EachOptions {
    int parallel = 1;                      // tasks at once (< 1 means 1)
    std::chrono::milliseconds timeout{0};  // 0: no limit
    std::function<void(std::size_t)> on_start;                  // before task k is queued
    std::function<void(std::size_t, const Outcome&)> on_end;    // after it ended or timed out
  };
  // body(0..n-1) on the workers; returns when every task has ended or was abandoned.
  void run_each(std::size_t n, std::function<void(std::size_t)> body, const EachOptions& options);

  struct Core;  // shared with the workers (public only for the implementation's helpers)

 private:
  std::shared_ptr<Core> core_;
};

// ThreadPool::shared().for_each(), its bound raised to `parallel` first.
void parallel_for(std::size_t n, int parallel, const std::function<void(std::size_t)>& body);

}  // namespace mvt
