// The event queue of the simulated world: events ordered by (time, sequence number), so ties run
// in the order they were scheduled. Each event may belong to an owner (a process incarnation):
// when the owner dies, Purge() drops its events and their closures at once, and an event whose
// owner is dead can never run. Timers are cancelled through a generation-stamped slot table, so
// Cancel needs no hashing; a cancelled event in the heap is removed from it at once (the heap
// keeps each event's position), so pending request timeouts that were answered do not pile up.
//
// Most events are scheduled for the current instant (a post to an executor, a zero-latency
// wake-up). Those skip the heap: an event scheduled for the time of the last popped event goes to
// a FIFO lane, and Pop takes the lane's front or the heap's top, whichever is earlier by (time,
// sequence). Every lane event has that time and the lane is in sequence order, so the order of
// events is exactly the order of one heap. The heap itself holds 24-byte keys (time, sequence,
// slab slot); the events, with their closures, stay put in a slab while the keys move.
#pragma once

#include <cstdint>
#include <deque>
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
    uint32_t heap_pos = 0;  // in the slab: the position of the event's key in the heap
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

  // Pending events, counting cancelled ones at the current instant until they come up.
  bool empty() const { return heap_.empty() && lane_.empty(); }
  size_t size() const { return heap_.size() + lane_.size(); }
  // Time of the earliest pending event; only when !empty().
  MonoTime next_time() const {
    return MonoFromNanos(lane_.empty() ? heap_.front().time_ns : lane_.front().time_ns);
  }

  // Removes the earliest event at or before `limit` into `out`. Returns false when there is
  // none. Cancelled events are skipped (and freed) here; the caller checks the owner's liveness.
  bool Pop(Event& out, MonoTime limit);

  uint64_t scheduled_total() const { return next_seq_; }

 private:
  struct Key {
    int64_t time_ns;
    uint64_t seq;
    uint32_t slab;  // index into slab_
  };
  static bool Earlier(const Key& a, const Key& b) {
    return a.time_ns != b.time_ns ? a.time_ns < b.time_ns : a.seq < b.seq;
  }
  void FreeSlot(uint32_t slot);
  // Frees the timer slot of a pending event that is being dropped.
  void DropTimer(const Event& e);
  // The indexed binary min-heap: every move records the key's position in its slab event.
  void Place(size_t pos, const Key& k) {
    heap_[pos] = k;
    slab_[k.slab].heap_pos = static_cast<uint32_t>(pos);
  }
  void SiftUp(size_t pos);
  void SiftDown(size_t pos);
  // Removes the key at `pos` and returns its slab index.
  uint32_t RemoveAt(size_t pos);
  // Moves a heap event out of the slab and frees its slab entry.
  Event TakeFromSlab(uint32_t index);

  std::vector<Key> heap_;
  std::vector<Event> slab_;  // the heap's events, by Key::slab
  std::vector<uint32_t> free_slab_;
  // Timer slot -> slab index of its event while it waits in the heap (kNotInHeap otherwise).
  static constexpr uint32_t kNotInHeap = UINT32_MAX;
  std::vector<uint32_t> slot_slab_{kNotInHeap};
  std::deque<Event> lane_;   // events at lane_time_ns_, in sequence order
  int64_t lane_time_ns_ = INT64_MIN;  // the time of the last popped event
  uint64_t next_seq_ = 0;
  // Timer slots: generation per slot; a TimerId is (slot << 32 | generation). Slot 0 is unused.
  std::vector<uint32_t> slot_generation_{0};
  std::vector<uint8_t> slot_live_{0};
  std::vector<uint32_t> free_slots_;
};

}  // namespace rmqsim::sim
