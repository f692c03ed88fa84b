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
      slot_slab_.push_back(kNotInHeap);
    } else {
      slot = free_slots_.back();
      free_slots_.pop_back();
      slot_live_[slot] = 1;
    }
    gen = slot_generation_[slot];
    id.value = (static_cast<uint64_t>(slot) << 32) | gen;
  }
  const int64_t when_ns = ToNanos(when);
  if (when_ns == lane_time_ns_) {
    lane_.push_back(Event{when_ns, next_seq_++, owner, slot, gen, std::move(fn)});
  } else {
    uint32_t index;
    if (free_slab_.empty()) {
      index = static_cast<uint32_t>(slab_.size());
      RMQ_ASSERT_MSG(slab_.size() < UINT32_MAX, "event slab overflow");
      slab_.push_back(Event{when_ns, next_seq_, owner, slot, gen, std::move(fn)});
    } else {
      index = free_slab_.back();
      free_slab_.pop_back();
      slab_[index] = Event{when_ns, next_seq_, owner, slot, gen, std::move(fn)};
    }
    if (slot != 0) slot_slab_[slot] = index;
    heap_.push_back(Key{when_ns, next_seq_++, index});
    SiftUp(heap_.size() - 1);
  }
  return id;
}

void Scheduler::SiftUp(size_t pos) {
  const Key k = heap_[pos];
  while (pos > 0) {
    size_t parent = (pos - 1) / 2;
    if (!Earlier(k, heap_[parent])) break;
    Place(pos, heap_[parent]);
    pos = parent;
  }
  Place(pos, k);
}

void Scheduler::SiftDown(size_t pos) {
  const Key k = heap_[pos];
  const size_t n = heap_.size();
  while (true) {
    size_t child = 2 * pos + 1;
    if (child >= n) break;
    if (child + 1 < n && Earlier(heap_[child + 1], heap_[child])) ++child;
    if (!Earlier(heap_[child], k)) break;
    Place(pos, heap_[child]);
    pos = child;
  }
  Place(pos, k);
}

uint32_t Scheduler::RemoveAt(size_t pos) {
  const uint32_t index = heap_[pos].slab;
  const Key last = heap_.back();
  heap_.pop_back();
  if (pos < heap_.size()) {
    Place(pos, last);
    if (pos > 0 && Earlier(last, heap_[(pos - 1) / 2])) {
      SiftUp(pos);
    } else {
      SiftDown(pos);
    }
  }
  return index;
}

Scheduler::Event Scheduler::TakeFromSlab(uint32_t index) {
  Event e = std::move(slab_[index]);
  slab_[index].fn = nullptr;
  free_slab_.push_back(index);
  if (e.timer_slot != 0) slot_slab_[e.timer_slot] = kNotInHeap;
  return e;
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
  FreeSlot(slot);
  // In the heap: out at once (in the lane it is skipped when it comes up). The closure is
  // destroyed last, when the heap is consistent again (its destructor may schedule or cancel).
  if (const uint32_t index = slot_slab_[slot]; index != kNotInHeap) {
    RemoveAt(slab_[index].heap_pos);
    Event doomed = TakeFromSlab(index);
  }
  return true;
}

void Scheduler::DropTimer(const Event& e) {
  if (e.timer_slot != 0 && slot_live_[e.timer_slot] &&
      slot_generation_[e.timer_slot] == e.timer_generation) {
    FreeSlot(e.timer_slot);
  }
}

size_t Scheduler::Purge(Owner owner) {
  size_t before = size();
  // Move the doomed closures out first and destroy them last: destroying a closure may schedule
  // or cancel (it must not schedule for the dead owner, which the caller already marked dead).
  std::vector<Event> doomed;
  auto dead = std::partition(heap_.begin(), heap_.end(), [&](const Key& k) {
    return !(slab_[k.slab].owner == owner);
  });
  for (auto it = dead; it != heap_.end(); ++it) {
    DropTimer(slab_[it->slab]);
    doomed.push_back(TakeFromSlab(it->slab));
  }
  heap_.erase(dead, heap_.end());
  for (size_t i = 0; i < heap_.size(); ++i) Place(i, heap_[i]);
  for (size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);  // re-heapify what is left
  // The lane keeps its order (stable_partition): survivors first, in sequence.
  auto lane_dead = std::stable_partition(lane_.begin(), lane_.end(), [&](const Event& e) {
    return !(e.owner == owner);
  });
  for (auto it = lane_dead; it != lane_.end(); ++it) {
    DropTimer(*it);
    doomed.push_back(std::move(*it));
  }
  lane_.erase(lane_dead, lane_.end());
  doomed.clear();
  return before - size();
}

void Scheduler::Clear() {
  while (!empty()) {
    std::vector<Event> doomed = std::move(slab_);
    slab_.clear();
    heap_.clear();
    free_slab_.clear();
    std::fill(slot_slab_.begin(), slot_slab_.end(), kNotInHeap);
    std::deque<Event> doomed_lane = std::move(lane_);
    lane_.clear();
    doomed.clear();
    doomed_lane.clear();
  }
}

bool Scheduler::Pop(Event& out, MonoTime limit) {
  const int64_t limit_ns = ToNanos(limit);
  while (!empty()) {
    Event e;
    // The lane's front when it is earlier than the heap's top (lane events are never later in
    // time than the heap's; at equal times the sequence decides).
    if (!lane_.empty() && (heap_.empty() || Earlier(Key{lane_.front().time_ns, lane_.front().seq, 0},
                                                    heap_.front()))) {
      if (lane_.front().time_ns > limit_ns) return false;
      e = std::move(lane_.front());
      lane_.pop_front();
    } else {
      if (heap_.front().time_ns > limit_ns) return false;
      e = TakeFromSlab(RemoveAt(0));
      lane_time_ns_ = e.time_ns;  // later than the lane's time only when the lane is empty
    }
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
