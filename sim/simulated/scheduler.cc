#include "sim/simulated/scheduler.h"

#include <algorithm>

#include "sim/base/assert.h"

namespace rmqsim::sim {

TimerId Scheduler::Schedule(MonoTime when, Owner owner, Callback fn, bool cancellable) {
  uint32_t slot = 0, gen = 0;
  TimerId id;
  if (cancellable) {
    if (free_slots_.empty()) {
      slot = static_cast<uint32_t>(slot_generation_.size());
      RMQ_ASSERT_MSG(slot != 0 && slot < UINT32_MAX, "timer slot table overflow");
      slot_generation_.push_back(1);
      slot_live_.push_back(1);
    } else {
      slot = free_slots_.back();
      free_slots_.pop_back();
      slot_live_[slot] = 1;
    }
    gen = slot_generation_[slot];
    id.value = (static_cast<uint64_t>(slot) << 32) | gen;
  }
  heap_.push_back(Event{ToNanos(when), next_seq_++, owner, slot, gen, std::move(fn)});
  std::push_heap(heap_.begin(), heap_.end(), Later);
  return id;
}

void Scheduler::FreeSlot(uint32_t slot) {
  slot_live_[slot] = 0;
  ++slot_generation_[slot];
  if (slot_generation_[slot] == 0) slot_generation_[slot] = 1;
  free_slots_.push_back(slot);
}

bool Scheduler::Cancel(TimerId id) {
  if (!id.valid()) return false;
  auto slot = static_cast<uint32_t>(id.value >> 32);
  auto gen = static_cast<uint32_t>(id.value);
  if (slot == 0 || slot >= slot_generation_.size()) return false;
  if (!slot_live_[slot] || slot_generation_[slot] != gen) return false;
  FreeSlot(slot);  // the event stays in the heap and is skipped (and freed) when popped
  return true;
}

size_t Scheduler::Purge(Owner owner) {
  size_t before = heap_.size();
  // partition (not remove_if): both halves stay intact, so the doomed closures can be freed.
  auto dead = std::partition(heap_.begin(), heap_.end(), [&](const Event& e) {
    return !(e.owner == owner);
  });
  for (auto it = dead; it != heap_.end(); ++it) {
    if (it->timer_slot != 0 && slot_live_[it->timer_slot] &&
        slot_generation_[it->timer_slot] == it->timer_generation) {
      FreeSlot(it->timer_slot);
    }
  }
  // Move the survivors out first: destroying closures may schedule or cancel (it must not
  // schedule for the dead owner, which the caller already marked dead).
  std::vector<Event> doomed(std::make_move_iterator(dead), std::make_move_iterator(heap_.end()));
  heap_.erase(dead, heap_.end());
  std::make_heap(heap_.begin(), heap_.end(), Later);
  doomed.clear();
  return before - heap_.size();
}

void Scheduler::Clear() {
  while (!heap_.empty()) {
    std::vector<Event> doomed = std::move(heap_);
    heap_.clear();
    doomed.clear();
  }
}

bool Scheduler::Pop(Event& out, MonoTime limit) {
  const int64_t limit_ns = ToNanos(limit);
  while (!heap_.empty() && heap_.front().time_ns <= limit_ns) {
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    Event e = std::move(heap_.back());
    heap_.pop_back();
    if (e.timer_slot != 0) {
      if (!slot_live_[e.timer_slot] || slot_generation_[e.timer_slot] != e.timer_generation) {
        continue;  // cancelled
      }
      FreeSlot(e.timer_slot);
    }
    out = std::move(e);
    return true;
  }
  return false;
}

}  // namespace rmqsim::sim
