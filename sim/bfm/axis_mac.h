// MacTx and MacRx: the Ethernet MAC on the card's streams, joined to the wire model.
//
// Header-only, two-phase like every bus model of the harness (Sample(cycle) before the rising
// edge, Drive(cycle) after it), templated on the model so that one class serves every data
// width (64-bit data is a QData, wider data a VlWide<N>); a bench with other pin names passes
// a struct of references named like the card's pins.
//
// MacTx sinks m_axis_tx_{tdata,tkeep,tlast,tvalid}_o / m_axis_tx_tready_i.  It raises tready
// for a beat only when the wire has link credit for the beat's bytes (Wire::TxCredit), pays
// for each beat it takes (Wire::TxConsume) and hands each whole frame to Wire::Sent at tlast:
// a 512-bit stream is throttled to the link rate.  Stream rules it checks (counted in
// protocol_errors()): tkeep contiguous from bit 0 and all ones but on the last beat, tvalid and
// the payload held while not taken.
//
// MacRx sources s_axis_rx_{tdata,tkeep,tlast,tuser,tvalid}_i.  A MAC cannot wait, and the card
// has no tready: each frame the wire has due (Wire::RxDue) goes in one beat per cycle with
// tvalid high throughout and no gap, tuser = the frame's bad flag on its last beat.  The frame
// is copied and taken off the wire (Wire::RxPop) when its first beat goes out, so a frame a
// test injects meanwhile cannot be mistaken for it; the wire still spaces frames at the link
// rate from the cycle each became due.
//
// The wire is a Wire by default; any class with the calls each model makes serves (the SystemC
// card puts a TLM socket behind them: sim/systemc).
#ifndef MBUFNIC_SIM_BFM_AXIS_MAC_H_
#define MBUFNIC_SIM_BFM_AXIS_MAC_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/wire.h"

namespace mbufnic::sim {

namespace axis_mac_detail {

static_assert(std::endian::native == std::endian::little,
              "the MAC models copy Verilated signals as little-endian bytes");

// Verilated signals up to 64 bits are integers, wider ones VlWide<N> (N 32-bit words, least
// significant first, nothing else in the object): either way the bytes are the signal's bytes.
template <typename T>
inline std::uint8_t* Bytes(T& s) {
  if constexpr (std::is_integral_v<T>) {
    return reinterpret_cast<std::uint8_t*>(&s);
  } else {
    return reinterpret_cast<std::uint8_t*>(s.data());
  }
}

template <typename T>
inline const std::uint8_t* Bytes(const T& s) {
  if constexpr (std::is_integral_v<T>) {
    return reinterpret_cast<const std::uint8_t*>(&s);
  } else {
    return reinterpret_cast<const std::uint8_t*>(s.data());
  }
}

template <typename T>
inline std::uint64_t Low64(const T& s) {
  std::uint64_t v = 0;
  std::memcpy(&v, Bytes(s), sizeof(T) < 8 ? sizeof(T) : 8);
  return v;
}

template <typename T>
inline void SetLow64(T& s, std::uint64_t v) {
  std::memcpy(Bytes(s), &v, sizeof(T) < 8 ? sizeof(T) : 8);
}

}  // namespace axis_mac_detail

template <typename Model, typename WireT = Wire>
class MacTx {
  using DataT = std::remove_cvref_t<decltype(std::declval<Model&>().m_axis_tx_tdata_o)>;

 public:
  static constexpr std::size_t kBeatBytes = sizeof(DataT);
  static_assert(kBeatBytes <= 64, "MacTx: at most 512-bit streams (tkeep in 64 bits)");

  // stall_percent: chance that tready stays low in a cycle where the link could take a beat
  // (a MAC that pauses, e.g. for flow control).  Seeded, free when 0.
  MacTx(Model& model, WireT& wire, std::uint32_t seed = 1, unsigned stall_percent = 0)
      : m_(model), wire_(wire), rng_(seed), stall_percent_(stall_percent) {
    m_.m_axis_tx_tready_i = 0;
  }

  MacTx(const MacTx&) = delete;
  MacTx& operator=(const MacTx&) = delete;

  void Sample(std::uint64_t cycle) {
    const bool valid = m_.m_axis_tx_tvalid_o;
    if (waiting_ &&
        (!valid ||
         std::memcmp(held_, axis_mac_detail::Bytes(m_.m_axis_tx_tdata_o), kBeatBytes) != 0 ||
         axis_mac_detail::Low64(m_.m_axis_tx_tkeep_o) != held_keep_)) {
      Error(cycle, "tvalid dropped or payload changed while tready was low");
    }
    waiting_ = false;
    if (!valid) return;
    const std::uint64_t keep = axis_mac_detail::Low64(m_.m_axis_tx_tkeep_o) & kKeepAll;
    if (!ready_) {
      waiting_ = true;
      held_keep_ = keep;
      std::memcpy(held_, axis_mac_detail::Bytes(m_.m_axis_tx_tdata_o), kBeatBytes);
      return;
    }
    const bool last = m_.m_axis_tx_tlast_o;
    const unsigned n = static_cast<unsigned>(std::popcount(keep));
    if (keep != (n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1)) {
      Error(cycle, "tkeep not contiguous from bit 0");
    } else if (!last && keep != kKeepAll) {
      Error(cycle, "partial beat before tlast");
    }
    const std::uint8_t* d = axis_mac_detail::Bytes(m_.m_axis_tx_tdata_o);
    frame_.insert(frame_.end(), d, d + n);
    wire_.TxConsume(cycle, n);
    ++beats_;
    if (last) {
      if (frame_.empty()) Error(cycle, "empty frame");
      wire_.Sent(frame_, cycle);
      ++frames_;
      frame_.clear();
    } else if (frame_.size() > kMaxFrame) {
      Error(cycle, "frame longer than 64 KiB without tlast; cut");
      frame_.clear();
    }
  }

  void Drive(std::uint64_t cycle) {
    // The beat on the pins now (valid does not wait for ready) is the one the next edge,
    // cycle + 1, may take: ask the wire for credit for exactly its bytes.
    std::uint32_t bytes = kBeatBytes;
    if (m_.m_axis_tx_tvalid_o) {
      bytes = static_cast<std::uint32_t>(
          std::popcount(axis_mac_detail::Low64(m_.m_axis_tx_tkeep_o) & kKeepAll));
    }
    ready_ = wire_.TxCredit(cycle + 1, bytes) &&
             (stall_percent_ == 0 ||
              std::uniform_int_distribution<unsigned>(0, 99)(rng_) >= stall_percent_);
    m_.m_axis_tx_tready_i = ready_;
  }

  // No frame partly taken.
  bool Idle() const { return frame_.empty(); }
  std::uint64_t frames() const { return frames_; }
  std::uint64_t beats() const { return beats_; }
  unsigned protocol_errors() const { return errors_; }
  const std::vector<std::string>& error_log() const { return error_log_; }

 private:
  static constexpr std::uint64_t kKeepAll =
      kBeatBytes == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << kBeatBytes) - 1;
  static constexpr std::size_t kMaxFrame = 65535;

  void Error(std::uint64_t cycle, const char* what) {
    ++errors_;
    if (error_log_.size() < 32) {
      error_log_.push_back(std::string("MAC TX: ") + what + " (cycle " + std::to_string(cycle) +
                           ")");
    }
  }

  Model& m_;
  WireT& wire_;
  std::mt19937 rng_;
  unsigned stall_percent_;
  bool ready_ = false;
  bool waiting_ = false;
  std::uint64_t held_keep_ = 0;
  std::uint8_t held_[kBeatBytes] = {};
  std::vector<std::uint8_t> frame_;
  std::uint64_t frames_ = 0, beats_ = 0;
  unsigned errors_ = 0;
  std::vector<std::string> error_log_;
};

template <typename Model, typename WireT = Wire>
class MacRx {
  using DataT = std::remove_cvref_t<decltype(std::declval<Model&>().s_axis_rx_tdata_i)>;

 public:
  static constexpr std::size_t kBeatBytes = sizeof(DataT);
  static_assert(kBeatBytes <= 64, "MacRx: at most 512-bit streams (tkeep in 64 bits)");

  MacRx(Model& model, WireT& wire) : m_(model), wire_(wire) {
    std::memset(axis_mac_detail::Bytes(m_.s_axis_rx_tdata_i), 0, kBeatBytes);
    axis_mac_detail::SetLow64(m_.s_axis_rx_tkeep_i, 0);
    m_.s_axis_rx_tlast_i = 0;
    m_.s_axis_rx_tuser_i = 0;
    m_.s_axis_rx_tvalid_i = 0;
  }

  MacRx(const MacRx&) = delete;
  MacRx& operator=(const MacRx&) = delete;

  // Nothing to note: the card takes every beat.
  void Sample(std::uint64_t /*cycle*/) {}

  void Drive(std::uint64_t cycle) {
    if (offset_ >= frame_.size()) {
      frame_.clear();
      offset_ = 0;
      // The next frame, if its time has come; empty frames are dropped (a MAC sends none).
      while (const WireFrame* f = wire_.RxDue(cycle)) {
        frame_ = f->data;
        bad_ = f->bad;
        wire_.RxPop(cycle);
        if (!frame_.empty()) break;
      }
      if (frame_.empty()) {
        m_.s_axis_rx_tvalid_i = 0;
        m_.s_axis_rx_tlast_i = 0;
        m_.s_axis_rx_tuser_i = 0;
        return;
      }
      ++frames_;
    }
    const std::size_t n = std::min(kBeatBytes, frame_.size() - offset_);
    std::uint8_t* d = axis_mac_detail::Bytes(m_.s_axis_rx_tdata_i);
    std::memcpy(d, frame_.data() + offset_, n);
    if (n < kBeatBytes) std::memset(d + n, 0, kBeatBytes - n);
    axis_mac_detail::SetLow64(m_.s_axis_rx_tkeep_i,
                              n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1);
    offset_ += n;
    const bool last = offset_ >= frame_.size();
    m_.s_axis_rx_tlast_i = last;
    m_.s_axis_rx_tuser_i = last && bad_;
    m_.s_axis_rx_tvalid_i = 1;
    ++beats_;
  }

  // No frame being sent and no beat on the pins.
  bool Idle() const { return !m_.s_axis_rx_tvalid_i && offset_ >= frame_.size(); }
  // Earliest cycle this source will drive a beat: now while a frame is under way, else when
  // the wire has the next one due.
  std::uint64_t NextEvent(std::uint64_t cycle) const { return Idle() ? wire_.NextEvent() : cycle; }
  std::uint64_t frames() const { return frames_; }
  std::uint64_t beats() const { return beats_; }

 private:
  Model& m_;
  WireT& wire_;
  std::vector<std::uint8_t> frame_;
  std::size_t offset_ = 0;
  bool bad_ = false;
  std::uint64_t frames_ = 0, beats_ = 0;
};

}  // namespace mbufnic::sim

#endif  // MBUFNIC_SIM_BFM_AXIS_MAC_H_
