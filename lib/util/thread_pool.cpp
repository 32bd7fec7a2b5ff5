#include "util/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace mvt {

namespace {

using Clock = std::chrono::steady_clock;

// One queued piece of work. `abandoned` is set (under the coordinator's lock, before the
// task ended) when its task timed out: its worker then ends instead of taking more work.
struct Ticket {
  std::function<void()> run;  // never throws
  std::atomic<bool> abandoned{false};
};

}  // namespace

struct ThreadPool::Core {
  std::mutex mu;
  std::condition_variable work;     // a ticket was queued, or the pool ends
  std::condition_variable stopped;  // a worker ended
  std::deque<std::shared_ptr<Ticket>> queue;
  int max_workers = 1;
  int live = 0;  // started, not abandoned, not ended
  int idle = 0;  // of those, waiting for work
  int abandoned = 0;
  bool stopping = false;

  // With mu held: one more worker when queued work has no idle worker and the bound allows.
  void maybe_spawn(const std::shared_ptr<Core>& self) {
    if (idle >= static_cast<int>(queue.size()) || live >= max_workers) return;
    ++live;
    std::thread([self] { self->work_loop(); }).detach();
  }

  void work_loop() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      ++idle;
      work.wait(lock, [&] { return stopping || !queue.empty(); });
      --idle;
      if (queue.empty()) {  // stopping
        --live;
        stopped.notify_all();
        return;
      }
      auto t = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      t->run();
      if (t->abandoned.load()) return;  // no longer counted in `live`: replaced already
      lock.lock();
    }
  }
};

ThreadPool::ThreadPool(int max_workers) : core_(std::make_shared<Core>()) {
  core_->max_workers = std::max(1, max_workers);
}

ThreadPool::~ThreadPool() {
  std::unique_lock<std::mutex> lock(core_->mu);
  core_->stopping = true;
  core_->work.notify_all();
  core_->stopped.wait(lock, [&] { return core_->live == 0; });
}

ThreadPool& ThreadPool::shared() {
  static ThreadPool* pool = new ThreadPool(1);  // deliberately never destroyed (see header)
  return *pool;
}

void ThreadPool::ensure_workers(int n) {
  std::lock_guard<std::mutex> lock(core_->mu);
  core_->max_workers = std::max(core_->max_workers, n);
}

int ThreadPool::max_workers() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->max_workers;
}

int ThreadPool::live_workers() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->live;
}

int ThreadPool::abandoned_workers() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->abandoned;
}

void ThreadPool::for_each(std::size_t n, int parallel,
                          const std::function<void(std::size_t)>& body) {
  const std::size_t threads =
      std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, parallel)));
  if (threads <= 1) {
    for (std::size_t k = 0; k < n; ++k) body(k);
    return;
  }
  // Shared with the helper tickets, which may start after this call returned: they then
  // find no index to take and never touch `body`. An index is taken and counted as running
  // under the lock, so the caller's wait below covers every body that started.
  struct Loop {
    std::mutex mu;
    std::condition_variable idle;
    std::size_t n = 0, next = 0, running = 0;
    bool failed = false;
    std::exception_ptr first;
    const std::function<void(std::size_t)>* body = nullptr;
    void work() {
      std::unique_lock<std::mutex> lock(mu);
      for (;;) {
        if (failed || next >= n) return;
        const std::size_t k = next++;
        ++running;
        lock.unlock();
        std::exception_ptr e;
        try {
          (*body)(k);
        } catch (...) {
          e = std::current_exception();
        }
        lock.lock();
        if (e && !first) first = e;
        failed = failed || e;
        if (--running == 0) idle.notify_all();
      }
    }
  };
  auto loop = std::make_shared<Loop>();
  loop->n = n;
  loop->body = &body;
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    for (std::size_t t = 1; t < threads; ++t) {
      auto ticket = std::make_shared<Ticket>();
      ticket->run = [loop] { loop->work(); };
      core_->queue.push_back(std::move(ticket));
      core_->maybe_spawn(core_);
    }
    core_->work.notify_all();
  }
  loop->work();
  std::unique_lock<std::mutex> lock(loop->mu);
  loop->idle.wait(lock, [&] { return loop->running == 0; });
  if (loop->first) std::rethrow_exception(loop->first);
}

void ThreadPool::run_each(std::size_t n, std::function<void(std::size_t)> body,
                          const EachOptions& options) {
  const std::size_t limit = static_cast<std::size_t>(std::max(1, options.parallel));
  ensure_workers(static_cast<int>(std::min<std::size_t>(limit, std::max<std::size_t>(n, 1))));
  struct Task {
    std::shared_ptr<Ticket> ticket;
    bool started = false, done = false;
    Clock::time_point start;
    Outcome outcome;
  };
  // Shared with the tasks: an abandoned one may outlive this call.
  struct Each {
    std::mutex mu;
    std::condition_variable changed;
    std::vector<Task> tasks;
    std::function<void(std::size_t)> body;
  };
  auto each = std::make_shared<Each>();
  each->tasks.resize(n);
  each->body = std::move(body);

  std::list<std::size_t> running;
  std::size_t next = 0;
  std::unique_lock<std::mutex> lock(each->mu);
  while (next < n || !running.empty()) {
    while (running.size() < limit && next < n) {
      const std::size_t k = next++;
      auto ticket = std::make_shared<Ticket>();
      ticket->run = [each, k] {
        {
          std::lock_guard<std::mutex> l(each->mu);
          each->tasks[k].started = true;
          each->tasks[k].start = Clock::now();
          each->changed.notify_all();
        }
        Outcome out;
        try {
          each->body(k);
        } catch (...) {
          out.state = Outcome::State::Failed;
          out.error = std::current_exception();
        }
        std::lock_guard<std::mutex> l(each->mu);
        Task& t = each->tasks[k];
        out.seconds = std::chrono::duration<double>(Clock::now() - t.start).count();
        t.outcome = std::move(out);
        t.done = true;
        each->changed.notify_all();
      };
      each->tasks[k].ticket = ticket;
      lock.unlock();
      if (options.on_start) options.on_start(k);
      {
        std::lock_guard<std::mutex> l(core_->mu);
        core_->queue.push_back(std::move(ticket));
        core_->maybe_spawn(core_);
        core_->work.notify_one();
      }
      lock.lock();
      running.push_back(k);
    }
    auto any_done = [&] {
      for (auto k : running)
        if (each->tasks[k].done) return true;
      return false;
    };
    if (options.timeout.count() > 0) {
      // Wake at the earliest deadline of a started task, or when a task starts or ends.
      auto earliest = Clock::time_point::max();
      std::size_t started = 0;
      for (auto k : running) {
        const Task& t = each->tasks[k];
        if (!t.started) continue;
        ++started;
        earliest = std::min(earliest, t.start + options.timeout);
      }
      auto woken = [&] {
        std::size_t now_started = 0;
        for (auto k : running) now_started += each->tasks[k].started ? 1 : 0;
        return now_started != started || any_done();
      };
      if (earliest == Clock::time_point::max())
        each->changed.wait(lock, woken);
      else
        each->changed.wait_until(lock, earliest, woken);
    } else {
      each->changed.wait(lock, any_done);
    }
    const auto now = Clock::now();
    for (auto it = running.begin(); it != running.end();) {
      Task& t = each->tasks[*it];
      const std::size_t k = *it;
      Outcome out;
      if (t.done) {
        out = std::move(t.outcome);
      } else if (options.timeout.count() > 0 && t.started && now >= t.start + options.timeout) {
        t.ticket->abandoned = true;  // before the task can end: its worker will not go on
        {
          std::lock_guard<std::mutex> l(core_->mu);
          --core_->live;
          ++core_->abandoned;
          core_->maybe_spawn(core_);
        }
        out.state = Outcome::State::TimedOut;
        out.seconds = std::chrono::duration<double>(now - t.start).count();
      } else {
        ++it;
        continue;
      }
      it = running.erase(it);
      lock.unlock();
      if (options.on_end) options.on_end(k, out);
      lock.lock();
    }
  }
}

void parallel_for(std::size_t n, int parallel, const std::function<void(std::size_t)>& body) {
  ThreadPool& pool = ThreadPool::shared();
  pool.ensure_workers(parallel);
  pool.for_each(n, parallel, body);
}

}  // namespace mvt
