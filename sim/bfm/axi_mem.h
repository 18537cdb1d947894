// AxiMemSlave: host memory behind PCIe, as an AXI4 slave for a Verilated model's DMA master.
//
// Header-only.  It serves the flat m_axi_* master pins of a model (the names in docs/card.md:
// m_axi_araddr_o, m_axi_arlen_o, ..., m_axi_bready_o) from a HostMemory, which supplies the
// data, checks every access against what the host posted, and gives the PCIe timing preset.
// The class is templated on the model and reads and drives the pins by name, so it works for
// any Verilated top with those names and any data width (64-bit data is a QData, wider data a
// VlWide<N>); a bench whose pins are named differently passes a struct of references with the
// m_axi_* names instead of the model.
//
// Two-phase, like every bus model of the harness:
//
//   mem.Sample(cycle);               // inputs settled: note the handshakes this edge completes
//   top.clk_i = 1; top.eval();
//   mem.Drive(cycle);                // decide and drive the next cycle's inputs
//   top.clk_i = 0; top.eval();
//
// `cycle` is the harness's cycle count; it may jump forward (idle skipping) but never back.
//
// Behaviour (what a root complex looks like from the card):
//   - AR is accepted while fewer than pcie.max_reads bursts are outstanding on the link (and
//     not in a random arready stall).  The burst is served from HostMemory::Read over its whole
//     lines (beat 0 holds the line of araddr) when it is accepted; its beats come back in order,
//     the first no earlier than pcie.read_latency cycles after the request, with rresp SLVERR on
//     every beat when the read was refused (violation or injected error).
//   - AW and W are accepted independently (W beats may come before their AW: they are
//     buffered); a burst is applied through HostMemory::Write with its strobes once its AW and
//     its last beat are in, and answered on B, in order, write_latency cycles later.
//   - Bandwidth: byte budgets refilled by pcie.bytes_per_cycle each cycle pay for every R
//     beat presented (a whole beat) and every W beat accepted (its strobed bytes), one budget
//     per direction since PCIe is full duplex (AxiMemConfig::separate_budgets = false shares
//     one); a 512-bit master that could move 64 bytes a cycle is throttled to the preset.
//   - rready/bready stalls are honoured: rvalid/bvalid and their payload hold until taken.
//   - Protocol checks on the master, counted in protocol_errors() with the first messages kept:
//     a burst crossing a 4 KiB boundary, more than 64 beats, a W burst whose wlast does not
//     match its awlen, strobes below awaddr on the first beat, AR/AW dropped or changed while
//     waiting for ready.
// Random stalls come from one seeded std::mt19937 and cost nothing when their percentages are 0.
//
// A card with more than one master (nic_top has m_axi and the read-only m_axi_rxd) reaches
// host memory over one PCIe link: give every master's slave the same PcieLink, and they share
// its byte budgets and its pcie.max_reads read tags.  A pins struct without the write pins
// (no m_axi_awvalid_o) makes a read-only slave.
//
// The memory is a HostMemory by default; any class with the same pcie(), Read and Write serves
// (the SystemC card's bridges a TLM initiator socket so).  One that also has
// `std::uint64_t TakeReadDelay()` adds what it returns, in cycles, to the read just made: a
// TLM target's annotated delay.
#ifndef MBUFNIC_SIM_BFM_AXI_MEM_H_
#define MBUFNIC_SIM_BFM_AXI_MEM_H_

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/host_memory.h"

namespace mbufnic::sim {

namespace axi_detail {

static_assert(std::endian::native == std::endian::little,
              "the AXI bus models copy Verilated signals as little-endian bytes");

// Bytes of a Verilated signal: plain integers up to 64 bits, VlWide<N> (N 32-bit words,
// least significant first) beyond.  Both are stored least significant byte first on a
// little-endian host, so whole beats are copied with memcpy.
template <typename T>
constexpr std::size_t Bytes() {
  return sizeof(T);  // VlWide<N> holds nothing but its N words
}

template <typename T>
inline void* Ptr(T& s) {
  if constexpr (std::is_integral_v<T>) {
    return &s;
  } else {
    return s.data();
  }
}

template <typename T>
inline const void* Ptr(const T& s) {
  if constexpr (std::is_integral_v<T>) {
    return &s;
  } else {
    return s.data();
  }
}

// The low 64 bits of a signal.
template <typename T>
inline std::uint64_t Low64(const T& s) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<std::uint64_t>(s);
  } else {
    std::uint64_t v = 0;
    std::memcpy(&v, Ptr(s), std::min<std::size_t>(8, Bytes<T>()));
    return v;
  }
}

}  // namespace axi_detail

struct AxiMemConfig {
  // Chance, in percent, that arready / awready / wready is held low in a cycle where it could
  // be high.
  unsigned ar_stall_percent = 0;
  unsigned aw_stall_percent = 0;
  unsigned w_stall_percent = 0;
  // Cycles from a write burst's last beat to its B response (a posted write is answered by the
  // PCIe bridge, not the host).
  std::uint32_t write_latency = 4;
  // Write bursts whose AW was taken and whose B is not yet out, at most.
  std::uint32_t max_writes = 64;
  // W beats buffered ahead of their AW, at most (wready drops beyond).
  std::uint32_t max_w_beats = 256;
  // Give reads and writes a budget each (PCIe is full duplex); false shares one budget.
  bool separate_budgets = true;
};

// What the masters of one card share: the link's byte budgets, refilled once a cycle however
// many slaves drive it, and its read tags (bursts outstanding across all of them).
class PcieLink {
 public:
  // beat_bytes: the widest beat a master presents (the budget may go that far below zero).
  PcieLink(const PcieConfig& pcie, std::size_t beat_bytes)
      : pcie_(pcie), cap_(pcie.bytes_per_cycle + static_cast<double>(beat_bytes)) {
    read_ = write_ = cap_;
  }
  PcieLink(const PcieLink&) = delete;
  PcieLink& operator=(const PcieLink&) = delete;

  const PcieConfig& pcie() const { return pcie_; }
  bool unlimited() const { return pcie_.bytes_per_cycle <= 0; }

  // Add what the cycles since the last call paid in; a second call in a cycle adds nothing.
  void Refill(std::uint64_t cycle) {
    if (cycle > last_cycle_) {
      const double add = pcie_.bytes_per_cycle * static_cast<double>(cycle - last_cycle_);
      read_ = std::min(cap_, read_ + add);
      write_ = std::min(cap_, write_ + add);
      last_cycle_ = cycle;
    }
  }
  double& read_budget() { return read_; }
  double& write_budget() { return write_; }
  double read_budget() const { return read_; }
  double write_budget() const { return write_; }
  std::uint64_t last_cycle() const { return last_cycle_; }

  // Read tags: one per burst outstanding on the link or offered to a master (arready up).
  // When tags are short, masters whose AR has been waiting go first, in turn (as a round-robin
  // interconnect in front of the bridge would let them), so no master is starved.
  unsigned Join() {  // up to 32 masters a link
    if (members_ == 32) throw std::length_error("PcieLink: at most 32 masters share a link");
    return members_++;
  }
  // A master's AR was offered and not taken at this edge (each slave says so every cycle).
  void SetWaiting(unsigned who, bool waiting) {
    const std::uint32_t bit = std::uint32_t{1} << who;
    waiting_ = waiting ? waiting_ | bit : waiting_ & ~bit;
  }
  // Takes a tag for `who`'s AR if one is free and no master ahead of it waits for it.
  bool GrantTag(unsigned who) {
    const std::uint32_t bit = std::uint32_t{1} << who;
    unsigned ahead = 0;
    if ((waiting_ & bit) != 0) {
      for (unsigned k = 0, j = turn_; k < members_; ++k, j = (j + 1) % members_) {
        if (j == who) break;
        ahead += (waiting_ >> j) & 1;
      }
    } else {
      ahead = static_cast<unsigned>(std::popcount(waiting_));
    }
    if (reads_ + ahead >= pcie_.max_reads) return false;
    ++reads_;
    if ((waiting_ & bit) != 0) turn_ = (who + 1) % members_;
    waiting_ &= ~bit;
    return true;
  }
  void ReturnTag() { --reads_; }

 private:
  PcieConfig pcie_;
  double cap_;
  double read_ = 0, write_ = 0;
  std::uint64_t last_cycle_ = 0;
  std::uint32_t reads_ = 0;
  unsigned members_ = 0, turn_ = 0;
  std::uint32_t waiting_ = 0;  // bit per member
};

template <typename Model, typename Memory = HostMemory>
class AxiMemSlave {
  using DataT = std::remove_cvref_t<decltype(std::declval<Model&>().m_axi_rdata_i)>;

 public:
  // Bytes per beat (DataWidth / 8).
  static constexpr std::size_t kBeatBytes = axi_detail::Bytes<DataT>();
  static_assert(kBeatBytes >= 4 && kBeatBytes <= 64 && std::has_single_bit(kBeatBytes),
                "AxiMemSlave: data width must be a power of two from 32 to 512 bits");
  // The master has write channels (a pins struct with only AR and R makes a read-only slave).
  static constexpr bool kWrites = requires(Model & m) { m.m_axi_awvalid_o; };

  // A slave with a link of its own.
  AxiMemSlave(Model& model, Memory& mem, std::uint32_t seed = 1, AxiMemConfig cfg = {})
      : AxiMemSlave(model, mem, nullptr, seed, cfg) {}
  // A slave on `link`, shared with the card's other masters (nullptr: a link of its own).
  // separate_budgets = false does not apply to a shared link: it has a budget per direction.
  AxiMemSlave(Model& model, Memory& mem, PcieLink* link, std::uint32_t seed = 1,
              AxiMemConfig cfg = {})
      : m_(model), mem_(mem), pcie_(mem.pcie()), cfg_(cfg), rng_(seed) {
    if (link == nullptr) {
      own_link_ = std::make_unique<PcieLink>(pcie_, kBeatBytes);
      link = own_link_.get();
    } else {
      cfg_.separate_budgets = true;
    }
    link_ = link;
    member_ = link_->Join();
    m_.m_axi_arready_i = 0;
    m_.m_axi_rvalid_i = 0;
    m_.m_axi_rlast_i = 0;
    m_.m_axi_rresp_i = 0;
    std::memset(axi_detail::Ptr(m_.m_axi_rdata_i), 0, kBeatBytes);
    if constexpr (kWrites) {
      m_.m_axi_awready_i = 0;
      m_.m_axi_wready_i = 0;
      m_.m_axi_bvalid_i = 0;
      m_.m_axi_bresp_i = 0;
    }
  }

  AxiMemSlave(const AxiMemSlave&) = delete;
  AxiMemSlave& operator=(const AxiMemSlave&) = delete;

  // Phase 1, inputs settled before the rising edge: what this edge transfers.
  void Sample(std::uint64_t cycle) {
    // ---- AR
    const bool arvalid = m_.m_axi_arvalid_o;
    if (ar_waiting_ &&
        (!arvalid || m_.m_axi_araddr_o != ar_wait_addr_ || m_.m_axi_arlen_o != ar_wait_len_)) {
      Error(cycle, "AR dropped or changed while waiting for arready");
    }
    ar_waiting_ = false;
    // arready was raised with a read tag held for the burst: it is the burst's, or goes back.
    if (ar_ready_ && !arvalid) link_->ReturnTag();
    link_->SetWaiting(member_, arvalid && !ar_ready_);
    if (arvalid) {
      if (ar_ready_) {
        AcceptRead(cycle, m_.m_axi_araddr_o, m_.m_axi_arlen_o);
      } else {
        ar_waiting_ = true;
        ar_wait_addr_ = m_.m_axi_araddr_o;
        ar_wait_len_ = m_.m_axi_arlen_o;
      }
    }

    // ---- R
    if (r_valid_ && m_.m_axi_rready_o) {
      r_valid_ = false;
      ReadBurst& b = reads_.front();
      if (++b.beat == b.beats) {
        pool_.push_back(std::move(b.data));
        reads_.pop_front();
        link_->ReturnTag();
      }
    }

    if constexpr (kWrites) SampleWrites(cycle);
  }

  // Phase 2, after the rising edge: drive the next cycle's inputs.
  void Drive(std::uint64_t cycle) {
    link_->Refill(cycle);

    // ---- R: present the next beat once its burst is due and the budget allows.
    if (!r_valid_ && !reads_.empty()) {
      const ReadBurst& b = reads_.front();
      if (b.due <= cycle && (unlimited() || link_->read_budget() > 0)) {
        std::memcpy(axi_detail::Ptr(m_.m_axi_rdata_i), b.data.data() + b.beat * kBeatBytes,
                    kBeatBytes);
        m_.m_axi_rresp_i = b.resp;
        m_.m_axi_rlast_i = b.beat + 1 == b.beats;
        r_valid_ = true;
        link_->read_budget() -= static_cast<double>(kBeatBytes);
        ++r_beats_;
      }
    }
    m_.m_axi_rvalid_i = r_valid_;

    // arready answers an AR the master offers (valid before ready is the master's rule, ready
    // may follow valid), with a tag held for it, so that masters sharing the link never take
    // more tags than it has.
    ar_ready_ = m_.m_axi_arvalid_o && !Stall(cfg_.ar_stall_percent) && link_->GrantTag(member_);
    m_.m_axi_arready_i = ar_ready_;

    if constexpr (kWrites) DriveWrites(cycle);
  }

  // Nothing outstanding in either direction (no burst requested and unanswered, no W beat
  // waiting for its AW, no response waiting to be taken).
  bool Idle() const {
    return reads_.empty() && !r_valid_ && aws_.empty() && w_bursts_.empty() && bq_.empty() &&
           !b_valid_;
  }

  // Earliest cycle (>= cycle) at which this model will change its outputs or take a transfer,
  // or UINT64_MAX when it waits for the master only.  For idle skipping: the harness may jump
  // to min(this, the model's own next event) when the model is idle.
  std::uint64_t NextEvent(std::uint64_t cycle) const {
    if (r_valid_ || b_valid_ || m_.m_axi_arvalid_o) return cycle;
    if constexpr (kWrites) {
      if (m_.m_axi_awvalid_o || m_.m_axi_wvalid_o) return cycle;
    }
    std::uint64_t next = std::numeric_limits<std::uint64_t>::max();
    if (!reads_.empty()) {
      std::uint64_t t = std::max(reads_.front().due, cycle);
      const double budget = link_->read_budget();
      if (!unlimited() && budget <= 0) {
        t = std::max<std::uint64_t>(
            t,
            link_->last_cycle() + 1 + static_cast<std::uint64_t>(-budget / pcie_.bytes_per_cycle));
      }
      next = std::min(next, t);
    }
    if (!bq_.empty()) next = std::min(next, std::max(bq_.front().due, cycle));
    return next;
  }

  // The chance, in percent, that arready stays low in a cycle it could be high; 100 holds every
  // read on AR until it is lowered again (a test that needs a read to wait).
  void set_ar_stall_percent(unsigned percent) { cfg_.ar_stall_percent = percent; }

  // Protocol errors of the master seen so far, with the first few described.
  unsigned protocol_errors() const { return errors_; }
  const std::vector<std::string>& error_log() const { return error_log_; }

  std::uint64_t read_bursts() const { return read_bursts_; }
  std::uint64_t write_bursts() const { return write_bursts_; }
  std::uint64_t read_beats() const { return r_beats_; }
  std::uint64_t write_beats() const { return w_beats_; }
  // Bursts answered with SLVERR (refused by the host-memory model).
  std::uint64_t read_errors() const { return read_errors_; }
  std::uint64_t write_errors() const { return write_errors_; }

 private:
  // Sample's AW, W and B (a master with write channels).
  void SampleWrites(std::uint64_t cycle) {
    // ---- AW
    const bool awvalid = m_.m_axi_awvalid_o;
    if (aw_waiting_ &&
        (!awvalid || m_.m_axi_awaddr_o != aw_wait_addr_ || m_.m_axi_awlen_o != aw_wait_len_)) {
      Error(cycle, "AW dropped or changed while waiting for awready");
    }
    aw_waiting_ = false;
    if (awvalid) {
      if (aw_ready_) {
        AcceptAw(cycle, m_.m_axi_awaddr_o, m_.m_axi_awlen_o);
      } else {
        aw_waiting_ = true;
        aw_wait_addr_ = m_.m_axi_awaddr_o;
        aw_wait_len_ = m_.m_axi_awlen_o;
      }
    }

    // ---- W
    if (w_ready_ && m_.m_axi_wvalid_o) AcceptW(cycle);

    // ---- B
    if (b_valid_ && m_.m_axi_bready_o) {
      b_valid_ = false;
      bq_.pop_front();
    }

    // Apply every write whose address and data are both in, in order.
    while (!aws_.empty() && w_done_ > 0) ApplyWrite(cycle);
  }

  // Drive's B and the write readys (a master with write channels).
  void DriveWrites(std::uint64_t cycle) {
    // ---- B
    if (!b_valid_ && !bq_.empty() && bq_.front().due <= cycle) {
      m_.m_axi_bresp_i = bq_.front().resp;
      b_valid_ = true;
    }
    m_.m_axi_bvalid_i = b_valid_;

    aw_ready_ = aws_.size() + bq_.size() < cfg_.max_writes && !Stall(cfg_.aw_stall_percent);
    w_ready_ = w_buffered_ < cfg_.max_w_beats && (unlimited() || wbudget() > 0) &&
               !Stall(cfg_.w_stall_percent);
    m_.m_axi_awready_i = aw_ready_;
    m_.m_axi_wready_i = w_ready_;
  }

  static constexpr std::uint8_t kOkay = 0;
  static constexpr std::uint8_t kSlvErr = 2;
  static constexpr std::uint64_t kLineMask = ~static_cast<std::uint64_t>(kBeatBytes - 1);

  struct ReadBurst {
    std::vector<std::uint8_t> data;
    std::uint64_t due = 0;
    unsigned beats = 0;
    unsigned beat = 0;  // next beat to hand over
    std::uint8_t resp = kOkay;
  };
  struct Aw {
    std::uint64_t addr;
    unsigned beats;
  };
  // W beats of one burst, as they came (data and strobes of each beat).
  struct WBurst {
    std::vector<std::uint8_t> data;
    std::vector<std::uint64_t> strb;
    bool closed = false;  // wlast seen
  };
  struct BResp {
    std::uint64_t due;
    std::uint8_t resp;
  };

  bool unlimited() const { return link_->unlimited(); }
  double wbudget() const {
    return cfg_.separate_budgets ? link_->write_budget() : link_->read_budget();
  }
  double& wbudget_ref() {
    return cfg_.separate_budgets ? link_->write_budget() : link_->read_budget();
  }

  bool Stall(unsigned percent) {
    if (percent == 0) return false;
    return std::uniform_int_distribution<unsigned>(0, 99)(rng_) < percent;
  }

  void CheckBurst(std::uint64_t cycle, const char* what, std::uint64_t addr, unsigned len) {
    if (len > 63) {
      Error(cycle,
            std::string(what) + " burst of " + std::to_string(len + 1) + " beats (at most 64)");
    }
    const std::uint64_t first = addr & kLineMask;
    const std::uint64_t last = first + std::uint64_t{len + 1u} * kBeatBytes - 1;
    if ((first >> 12) != (last >> 12)) {
      Error(cycle, std::string(what) + " burst at " + Hex(addr) + " of " + std::to_string(len + 1) +
                       " beats crosses a 4 KiB boundary");
    }
  }

  void AcceptRead(std::uint64_t cycle, std::uint64_t addr, unsigned len) {
    CheckBurst(cycle, "read", addr, len);
    ReadBurst b;
    if (!pool_.empty()) {
      b.data = std::move(pool_.back());
      pool_.pop_back();
    }
    b.beats = len + 1;
    b.data.resize(std::size_t{b.beats} * kBeatBytes);
    b.due = cycle + pcie_.read_latency;
    const DmaResult r = mem_.Read(addr & kLineMask, std::span<std::uint8_t>(b.data));
    if constexpr (requires(Memory & m) { m.TakeReadDelay(); }) b.due += mem_.TakeReadDelay();
    b.resp = r == DmaResult::kOk ? kOkay : kSlvErr;
    if (r != DmaResult::kOk) ++read_errors_;
    ++read_bursts_;
    reads_.push_back(std::move(b));
  }

  void AcceptAw(std::uint64_t cycle, std::uint64_t addr, unsigned len) {
    CheckBurst(cycle, "write", addr, len);
    aws_.push_back(Aw{addr, len + 1});
  }

  void AcceptW(std::uint64_t cycle) {
    if (w_bursts_.empty() || w_bursts_.back().closed) {
      WBurst w;
      if (!wpool_.empty()) {
        w = std::move(wpool_.back());
        wpool_.pop_back();
        w.data.clear();
        w.strb.clear();
        w.closed = false;
      }
      w_bursts_.push_back(std::move(w));
    }
    WBurst& w = w_bursts_.back();
    const std::size_t at = w.data.size();
    w.data.resize(at + kBeatBytes);
    std::memcpy(w.data.data() + at, axi_detail::Ptr(m_.m_axi_wdata_o), kBeatBytes);
    std::uint64_t strb = axi_detail::Low64(m_.m_axi_wstrb_o);
    if constexpr (kBeatBytes < 64) strb &= (std::uint64_t{1} << kBeatBytes) - 1;
    w.strb.push_back(strb);
    if (!unlimited()) wbudget_ref() -= std::popcount(strb);
    ++w_beats_;
    ++w_buffered_;
    if (m_.m_axi_wlast_o) {
      w.closed = true;
      ++w_done_;
    } else if (w.strb.size() >= 256) {
      // No AXI burst is this long: close it so a master that never raises wlast cannot grow
      // the buffer without end.
      Error(cycle, "W burst of 256 beats without wlast");
      w.closed = true;
      ++w_done_;
    }
  }

  void ApplyWrite(std::uint64_t cycle) {
    const Aw aw = aws_.front();
    aws_.pop_front();
    WBurst& w = w_bursts_.front();
    const unsigned got = static_cast<unsigned>(w.strb.size());
    if (got != aw.beats) {
      Error(cycle, "write burst at " + Hex(aw.addr) + ": awlen says " + std::to_string(aw.beats) +
                       " beats, wlast came on beat " + std::to_string(got));
    }
    const unsigned beats = std::min(got, aw.beats);
    const unsigned lane = static_cast<unsigned>(aw.addr & (kBeatBytes - 1));
    if (beats > 0 && (w.strb[0] & ((std::uint64_t{1} << lane) - 1)) != 0) {
      Error(cycle, "write burst at " + Hex(aw.addr) + ": strobes below the start address");
    }
    // One HostMemory access per burst: a refused burst gives one violation line.
    const std::size_t n = std::size_t{beats} * kBeatBytes;
    if (strobe_.size() < n) strobe_.resize(n);
    bool all = true;
    for (unsigned i = 0; i < beats; ++i) {
      const std::uint64_t s = w.strb[i];
      for (std::size_t j = 0; j < kBeatBytes; ++j) strobe_[i * kBeatBytes + j] = (s >> j) & 1;
      if constexpr (kBeatBytes == 64) {
        all = all && s == ~std::uint64_t{0};
      } else {
        all = all && s == (std::uint64_t{1} << kBeatBytes) - 1;
      }
    }
    DmaResult r = DmaResult::kOk;
    if (beats > 0) {
      const std::span<const std::uint8_t> data(w.data.data(), n);
      r = all ? mem_.Write(aw.addr & kLineMask, data)
              : mem_.Write(aw.addr & kLineMask, data, std::span<const bool>(strobe_.get_data(), n));
    }
    if (r != DmaResult::kOk) ++write_errors_;
    ++write_bursts_;
    bq_.push_back(BResp{cycle + cfg_.write_latency, r == DmaResult::kOk ? kOkay : kSlvErr});
    w_buffered_ -= got;
    --w_done_;
    wpool_.push_back(std::move(w));
    w_bursts_.pop_front();
  }

  void Error(std::uint64_t cycle, const std::string& what) {
    ++errors_;
    if (error_log_.size() < 32)
      error_log_.push_back(what + " (cycle " + std::to_string(cycle) + ")");
  }

  static std::string Hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
  }

  // A plain bool buffer (std::vector<bool> has no contiguous storage for std::span).
  struct BoolBuf {
    std::unique_ptr<bool[]> p;
    std::size_t n = 0;
    std::size_t size() const { return n; }
    void resize(std::size_t k) {
      p = std::make_unique<bool[]>(k);
      n = k;
    }
    bool& operator[](std::size_t i) { return p[i]; }
    const bool* get_data() const { return p.get(); }
  };

  Model& m_;
  Memory& mem_;
  PcieConfig pcie_;
  AxiMemConfig cfg_;
  std::mt19937 rng_;

  // Driven ready/valid state (mirrors the pins).
  bool ar_ready_ = false, aw_ready_ = false, w_ready_ = false;
  bool r_valid_ = false, b_valid_ = false;
  // A request waiting for ready, to check it is held.
  bool ar_waiting_ = false, aw_waiting_ = false;
  std::uint64_t ar_wait_addr_ = 0, aw_wait_addr_ = 0;
  unsigned ar_wait_len_ = 0, aw_wait_len_ = 0;

  std::deque<ReadBurst> reads_;
  std::vector<std::vector<std::uint8_t>> pool_;
  std::deque<Aw> aws_;
  std::deque<WBurst> w_bursts_;
  std::vector<WBurst> wpool_;
  unsigned w_done_ = 0;  // closed bursts in w_bursts_
  unsigned w_buffered_ = 0;
  std::deque<BResp> bq_;
  BoolBuf strobe_;

  std::unique_ptr<PcieLink> own_link_;
  PcieLink* link_ = nullptr;
  unsigned member_ = 0;  // this slave's index on the link

  unsigned errors_ = 0;
  std::vector<std::string> error_log_;
  std::uint64_t read_bursts_ = 0, write_bursts_ = 0, r_beats_ = 0, w_beats_ = 0;
  std::uint64_t read_errors_ = 0, write_errors_ = 0;
};

// nic_top's receive-descriptor master (m_axi_rxd_*: AR and R only) under the m_axi_* names,
// for a read-only AxiMemSlave.  Works for a Verilated top and for any struct with those pins.
template <typename Model>
struct RxdPins {
  template <typename T>
  using Ref = std::remove_reference_t<T>&;

  explicit RxdPins(Model& m)
      : m_axi_araddr_o(m.m_axi_rxd_araddr_o),
        m_axi_arlen_o(m.m_axi_rxd_arlen_o),
        m_axi_arvalid_o(m.m_axi_rxd_arvalid_o),
        m_axi_arready_i(m.m_axi_rxd_arready_i),
        m_axi_rdata_i(m.m_axi_rxd_rdata_i),
        m_axi_rresp_i(m.m_axi_rxd_rresp_i),
        m_axi_rlast_i(m.m_axi_rxd_rlast_i),
        m_axi_rvalid_i(m.m_axi_rxd_rvalid_i),
        m_axi_rready_o(m.m_axi_rxd_rready_o) {}
  Ref<decltype(std::declval<Model&>().m_axi_rxd_araddr_o)> m_axi_araddr_o;
  Ref<decltype(std::declval<Model&>().m_axi_rxd_arlen_o)> m_axi_arlen_o;
  Ref<decltype(std::declval<Model&>().m_axi_rxd_arvalid_o)> m_axi_arvalid_o;
  Ref<decltype(std::declval<Model&>().m_axi_rxd_arready_i)> m_axi_arready_i;
  Ref<decltype(std::declval<Model&>().m_axi_rxd_rdata_i)> m_axi_rdata_i;
  Ref<decltype(std::declval<Model&>().m_axi_rxd_rresp_i)> m_axi_rresp_i;
  Ref<decltype(std::declval<Model&>().m_axi_rxd_rlast_i)> m_axi_rlast_i;
  Ref<decltype(std::declval<Model&>().m_axi_rxd_rvalid_i)> m_axi_rvalid_i;
  Ref<decltype(std::declval<Model&>().m_axi_rxd_rready_o)> m_axi_rready_o;
};

}  // namespace mbufnic::sim

#endif  // MBUFNIC_SIM_BFM_AXI_MEM_H_
