// util/thread_pool.hpp: the tool's one pool - bounded workers, for_each with the caller
// working (nested loops never wait for a worker), run_each with per-task outcomes and the
// timeout that abandons a hung task without stalling the others.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "util/thread_pool.hpp"

namespace {

using namespace std::chrono_literals;
using mvt::ThreadPool;

// Counts bodies running at once; peak() is the most seen.
struct Concurrency {
  std::atomic<int> now{0}, most{0};
  void enter() {
    const int n = ++now;
    int m = most.load();
    while (n > m && !most.compare_exchange_weak(m, n)) {
    }
  }
  void leave() { --now; }
  int peak() const { return most.load(); }
};

}  // namespace

TEST_CASE("thread pool: for_each runs every index once, at most `parallel` at once" *
          doctest::test_suite("pool")) {
  ThreadPool pool(8);
  std::vector<std::atomic<int>> seen(200);
  Concurrency c;
  pool.for_each(seen.size(), 3, [&](std::size_t k) {
    c.enter();
    ++seen[k];
    std::this_thread::sleep_for(1ms);
    c.leave();
  });
  for (const auto& s : seen) CHECK(s.load() == 1);
  CHECK(c.peak() <= 3);
  CHECK(c.peak() >= 2);  // the workers did help
  CHECK(pool.live_workers() <= pool.max_workers());
}

TEST_CASE("thread pool: never more workers than its bound, whatever is asked" *
          doctest::test_suite("pool")) {
  ThreadPool pool(2);
  Concurrency c;
  pool.for_each(50, 16, [&](std::size_t) {
    c.enter();
    std::this_thread::sleep_for(2ms);
    c.leave();
  });
  CHECK(c.peak() <= 3);  // two workers and the caller
  CHECK(pool.live_workers() <= 2);
}

TEST_CASE("thread pool: a nested for_each on a busy pool finishes on its caller" *
          doctest::test_suite("pool")) {
  ThreadPool pool(2);
  std::atomic<int> inner{0};
  pool.for_each(4, 4, [&](std::size_t) {
    pool.for_each(10, 4, [&](std::size_t) { ++inner; });
  });
  CHECK(inner.load() == 40);
}

TEST_CASE("thread pool: for_each rethrows the first exception after the started bodies" *
          doctest::test_suite("pool")) {
  ThreadPool pool(4);
  std::atomic<int> running{0}, after{0};
  CHECK_THROWS_WITH_AS(pool.for_each(1000, 4,
                                     [&](std::size_t k) {
                                       ++running;
                                       std::this_thread::sleep_for(1ms);
                                       if (k == 3) throw std::runtime_error("index 3 failed");
                                       --running;
                                     }),
                       "index 3 failed", std::runtime_error);
  // Every body that started has ended (only the failed one left `running` up), and the
  // indices not started were skipped.
  CHECK(running.load() == 1);
  after = 0;
  pool.for_each(0, 4, [&](std::size_t) { ++after; });
  CHECK(after.load() == 0);
}

TEST_CASE("thread pool: run_each gives each task its outcome, on the caller's thread" *
          doctest::test_suite("pool")) {
  ThreadPool pool(4);
  const auto caller = std::this_thread::get_id();
  bool on_caller = true;
  std::vector<ThreadPool::Outcome> out(6);
  std::vector<int> ended;
  std::set<std::thread::id> ran_on;
  std::mutex mu;
  ThreadPool::EachOptions o;
  o.parallel = 3;
  o.on_start = [&](std::size_t) { on_caller = on_caller && std::this_thread::get_id() == caller; };
  o.on_end = [&](std::size_t k, const ThreadPool::Outcome& r) {
    on_caller = on_caller && std::this_thread::get_id() == caller;
    out[k] = r;
    ended.push_back(static_cast<int>(k));
  };
  pool.run_each(
      6,
      [&](std::size_t k) {
        {
          std::lock_guard<std::mutex> l(mu);
          ran_on.insert(std::this_thread::get_id());
        }
        if (k % 2 == 1) throw std::runtime_error("task " + std::to_string(k));
      },
      o);
  CHECK(on_caller);
  CHECK(ended.size() == 6);
  CHECK_FALSE(ran_on.count(caller));  // the caller only coordinates
  for (std::size_t k = 0; k < 6; ++k) {
    INFO(k);
    if (k % 2 == 0) {
      CHECK(out[k].state == ThreadPool::Outcome::State::Done);
      continue;
    }
    REQUIRE(out[k].state == ThreadPool::Outcome::State::Failed);
    CHECK_THROWS_WITH(std::rethrow_exception(out[k].error), ("task " + std::to_string(k)).c_str());
  }
}

TEST_CASE("thread pool: run_each keeps at most `parallel` tasks at once" *
          doctest::test_suite("pool")) {
  ThreadPool pool(8);
  auto c = std::make_shared<Concurrency>();
  ThreadPool::EachOptions o;
  o.parallel = 2;
  pool.run_each(
      8,
      [c](std::size_t) {
        c->enter();
        std::this_thread::sleep_for(20ms);
        c->leave();
      },
      o);
  CHECK(c->peak() == 2);
}

TEST_CASE("thread pool: a hung task is abandoned at its timeout, the others finish" *
          doctest::test_suite("pool")) {
  ThreadPool pool(2);
  // What the hung task uses is its own (shared): it outlives run_each.
  auto release = std::make_shared<std::atomic<bool>>(false);
  std::vector<ThreadPool::Outcome> out(5);
  ThreadPool::EachOptions o;
  o.parallel = 2;
  o.timeout = 150ms;
  o.on_end = [&](std::size_t k, const ThreadPool::Outcome& r) { out[k] = r; };
  const auto t0 = std::chrono::steady_clock::now();
  pool.run_each(
      5,
      [release](std::size_t k) {
        if (k == 0)
          while (!release->load()) std::this_thread::sleep_for(5ms);  // hangs until released
        else
          std::this_thread::sleep_for(10ms);
      },
      o);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < 1s);
  CHECK(out[0].state == ThreadPool::Outcome::State::TimedOut);
  CHECK(out[0].seconds >= 0.15);
  for (std::size_t k = 1; k < 5; ++k) CHECK(out[k].state == ThreadPool::Outcome::State::Done);
  // The hung worker was replaced: the bound still holds for the live ones, and the pool
  // still works at full width.
  CHECK(pool.abandoned_workers() == 1);
  CHECK(pool.live_workers() <= 2);
  std::atomic<int> n{0};
  pool.for_each(20, 3, [&](std::size_t) { ++n; });
  CHECK(n.load() == 20);
  release->store(true);  // let the abandoned task end before the test does
  std::this_thread::sleep_for(50ms);
}

TEST_CASE("thread pool: parallel_for raises the shared pool's bound to `parallel`" *
          doctest::test_suite("pool")) {
  mvt::parallel_for(4, 5, [](std::size_t) {});
  CHECK(ThreadPool::shared().max_workers() >= 5);
}
