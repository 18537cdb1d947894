// AXI4-Stream source and sink bus models for Verilated blocks.
//
// Both follow the two-phase discipline: Sample() runs before the rising edge and decides what
// the edge transferred (a beat moves when valid and ready are both high); Drive() runs after
// the edge and sets the model's inputs for the next cycle.  Idles and back-pressure are drawn
// from a seeded generator, so a seed reproduces a run cycle for cycle.
#ifndef MBUFNIC_SIM_BFM_AXIS_H_
#define MBUFNIC_SIM_BFM_AXIS_H_

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "bfm/signal.h"

namespace mbufnic::sim {

// One frame on a stream: its bytes, and sideband values.  On a source, `user` goes on tuser of
// the first beat (a per-frame command; user_hi on bits 64 to 127 of a wider tuser); a sink
// records tuser of the last beat (a per-frame result) in `user`.
struct AxisFrame {
  std::vector<uint8_t> data;
  uint64_t user = 0;
  uint64_t user_hi = 0;
};

// Pointers to a model's stream signals, so one class serves every width and port name.
template <typename TData, typename TKeep, typename TUser>
struct AxisPins {
  TData* tdata;
  TKeep* tkeep;
  CData* tlast;
  TUser* tuser;  // may be null: no sideband
  CData* tvalid;
  CData* tready;
};

template <typename TData, typename TKeep, typename TUser>
class AxisSource {
 public:
  static constexpr size_t kBytes = SignalBytes<TData>();

  // idle: probability of holding valid low on a cycle where a beat could be presented.
  AxisSource(AxisPins<TData, TKeep, TUser> pins, uint64_t seed, double idle = 0.0)
      : pins_(pins), rng_(seed), idle_(idle) {
    *pins_.tvalid = 0;
  }

  void Push(std::vector<uint8_t> data, uint64_t user = 0, uint64_t user_hi = 0) {
    frames_.push_back({std::move(data), user, user_hi});
  }
  void set_idle(double idle) { idle_ = idle; }

  // Before the edge.
  void Sample() {
    if (*pins_.tvalid && *pins_.tready) {
      ++beats_;
      offset_ += kBytes;
      if (offset_ >= frames_.front().data.size()) {
        frames_.pop_front();
        offset_ = 0;
        ++frames_sent_;
      }
    }
  }

  // After the edge.  A presented beat is held until taken (valid never waits for ready, and
  // the payload stays put while valid is high).
  void Drive() {
    bool holding = *pins_.tvalid && !*pins_.tready;
    if (holding) return;
    if (frames_.empty() || (idle_ > 0 && std::bernoulli_distribution(idle_)(rng_))) {
      *pins_.tvalid = 0;
      return;
    }
    const AxisFrame& f = frames_.front();
    size_t n = std::min(kBytes, f.data.size() - offset_);
    uint64_t keep = 0;
    for (size_t i = 0; i < kBytes; ++i) {
      SetByte(*pins_.tdata, i, i < n ? f.data[offset_ + i] : 0);
      if (i < n) keep |= uint64_t{1} << i;
    }
    SetU64(*pins_.tkeep, keep);
    *pins_.tlast = offset_ + n >= f.data.size();
    if (pins_.tuser) {
      SetU64(*pins_.tuser, offset_ == 0 ? f.user : 0);
      if constexpr (SignalBytes<TUser>() >= 16) {
        for (size_t i = 0; i < 8; ++i) {
          SetByte(*pins_.tuser, 8 + i, offset_ == 0 ? static_cast<uint8_t>(f.user_hi >> (8 * i)) : 0);
        }
      }
    }
    *pins_.tvalid = 1;
  }

  bool done() const { return frames_.empty() && !*pins_.tvalid; }
  size_t pending() const { return frames_.size(); }
  uint64_t beats() const { return beats_; }
  uint64_t frames_sent() const { return frames_sent_; }

 private:
  AxisPins<TData, TKeep, TUser> pins_;
  std::mt19937_64 rng_;
  double idle_;
  std::deque<AxisFrame> frames_;
  size_t offset_ = 0;
  uint64_t beats_ = 0;
  uint64_t frames_sent_ = 0;
};

template <typename TData, typename TKeep, typename TUser>
class AxisSink {
 public:
  static constexpr size_t kBytes = SignalBytes<TData>();

  // stall: probability of holding ready low on a cycle.
  AxisSink(AxisPins<TData, TKeep, TUser> pins, uint64_t seed, double stall = 0.0)
      : pins_(pins), rng_(seed), stall_(stall) {
    *pins_.tready = 0;
  }

  void set_stall(double stall) { stall_ = stall; }

  // Before the edge: take the beat if the handshake completes, and check the stream rules a
  // downstream MAC relies on.
  void Sample() {
    bool valid = *pins_.tvalid;
    if (valid && was_stalled_ && !SameAsHeld()) {
      Violation("payload changed while valid and not ready");
    }
    if (held_valid_ && !valid) Violation("valid dropped before the beat was taken");
    if (valid && *pins_.tready) {
      ++beats_;
      bool last = *pins_.tlast;
      size_t n = 0;
      bool gap = false;
      for (size_t i = 0; i < kBytes; ++i) {
        if (GetBit(*pins_.tkeep, i)) {
          if (gap) Violation("tkeep not contiguous from lane 0");
          cur_.data.push_back(GetByte(*pins_.tdata, i));
          ++n;
        } else {
          gap = true;
        }
      }
      if (!last && n != kBytes) Violation("a beat before the last is not full");
      if (n == 0) Violation("a beat with no bytes");
      if (last) {
        cur_.user = pins_.tuser ? GetU64(*pins_.tuser) : 0;
        frames_.push_back(std::move(cur_));
        cur_ = {};
      } else if (pins_.tuser && GetU64(*pins_.tuser) != 0) {
        Violation("sideband set on a beat that is not the last");
      }
      held_valid_ = false;
      was_stalled_ = false;
    } else if (valid) {
      Hold();
    } else {
      held_valid_ = false;
      was_stalled_ = false;
    }
  }

  // After the edge.
  void Drive() {
    *pins_.tready = !(stall_ > 0 && std::bernoulli_distribution(stall_)(rng_));
  }

  std::deque<AxisFrame>& frames() { return frames_; }
  uint64_t beats() const { return beats_; }
  const std::vector<std::string>& violations() const { return violations_; }
  bool mid_frame() const { return !cur_.data.empty(); }

 private:
  void Violation(const std::string& what) {
    if (violations_.size() < 16) violations_.push_back(what);
  }
  void Hold() {
    held_valid_ = true;
    was_stalled_ = true;
    held_data_ = *pins_.tdata;
    held_keep_ = *pins_.tkeep;
    held_last_ = *pins_.tlast;
    held_user_ = pins_.tuser ? GetU64(*pins_.tuser) : 0;
  }
  bool SameAsHeld() const {
    bool same_data = true;
    for (size_t i = 0; i < kBytes; ++i) same_data &= GetByte(held_data_, i) == GetByte(*pins_.tdata, i);
    return same_data && GetU64(held_keep_) == GetU64(*pins_.tkeep) &&
           held_last_ == *pins_.tlast && held_user_ == (pins_.tuser ? GetU64(*pins_.tuser) : 0);
  }

  AxisPins<TData, TKeep, TUser> pins_;
  std::mt19937_64 rng_;
  double stall_;
  AxisFrame cur_;
  std::deque<AxisFrame> frames_;
  uint64_t beats_ = 0;
  std::vector<std::string> violations_;
  bool held_valid_ = false, was_stalled_ = false;
  TData held_data_{};
  TKeep held_keep_{};
  CData held_last_ = 0;
  uint64_t held_user_ = 0;
};

}  // namespace mbufnic::sim

#endif  // MBUFNIC_SIM_BFM_AXIS_H_
