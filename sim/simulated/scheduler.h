// The event queue of the simulated world: events ordered by (time, sequence number), so ties run
// in the order they were scheduled. Each event may belong to an owner (a process incarnation):
// when the owner dies, Purge() drops its events and their closures at once, and an event whose
// owner is dead can never run. Timers are cancelled through a generation-stamped slot table, so
// Cancel is O(1) and needs no hashing.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "sim/base/time.h"
#include "sim/runtime/executor.h"

namespace rmqsim::sim {

// Who an event belongs to: a process id and its incarnation. {0, 0} is the world itself.
struct Owner {
  uint64_t process = 0;
  uint64_t incarnation = 0;
  friend bool operator==(Owner, Owner) = default;
};

class Scheduler {
 public:
  using Callback = std::function<void()>;

  struct Event {
    int64_t time_ns;
    uint64_t seq;
    Owner owner;
    uint32_t timer_slot;  // 0: not cancellable
    uint32_t timer_generation;
    Callback fn;
  };

  // Schedules an event; returns a TimerId when `cancellable`.
  TimerId Schedule(MonoTime when, Owner owner, Callback fn, bool cancellable);
  // Cancels a pending cancellable event. True if it was pending.
  bool Cancel(TimerId id);
  // Drops every pending event of `owner` (destroying the closures now). Returns how many.
  size_t Purge(Owner owner);

  // Drops every pending event (world teardown). Closures destroyed here may schedule more; those
  // are dropped too.
  void Clear();

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  // Time of the earliest pending event; only when !empty().
  MonoTime next_time() const { return MonoFromNanos(heap_.front().time_ns); }

  // Removes the earliest event at or before `limit` into `out`. Returns false when there is
  // none. Cancelled events are skipped (and freed) here; the caller checks the owner's liveness.
  bool Pop(Event& out, MonoTime limit);

  uint64_t scheduled_total() const { return next_seq_; }

 private:
  static bool Later(const Event& a, const Event& b) {
    return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.seq > b.seq;
  }
  void FreeSlot(uint32_t slot);

  std::vector<Event> heap_;  // a binary min-heap via std::push_heap/pop_heap with Later
  uint64_t next_seq_ = 0;
  // Timer slots: generation per slot; a TimerId is (slot << 32 | generation). Slot 0 is unused.
  std::vector<uint32_t> slot_generation_{0};
  std::vector<uint8_t> slot_live_{0};
  std::vector<uint32_t> free_slots_;
};

}  // namespace rmqsim::sim
