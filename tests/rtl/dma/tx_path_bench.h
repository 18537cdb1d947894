// TxPathBench: rtl/dma/nic_tx_path on its own, driven the way a driver drives a transmit queue.
//
// The host side is real memory: rings and buffers are mbuf clusters from the runtime's DMA
// arena (m_getjcl, bus addresses from mbufnic_vtobus), served to the model's AXI master by
// sim/bfm/axi_mem.h over sim/core/host_memory.h with a PCIe preset's latency and bandwidth.
// The bench drives the queue ports directly (no CSR writes), so it grants DMA rights by hand,
// exactly: each ring while its queue is up, each buffer from its posting to its completion.
// Anything else the card touches is a violation.  The MAC side is sim/bfm/axis_mac.h's MacTx
// into a sim/core/wire.h Wire.
//
// A test queues TxJobs per queue (the frame's bytes, how they are split into buffers, its
// offload command, and what must come of it); Service() plays the driver every few cycles:
// it reaps completions (checking every field against the job, phase included), frees the
// buffers, and posts more jobs while the ring has room.  Wire frames are matched at the end
// (MatchWire): each must be the next expected frame of some queue.  Problems are collected as
// text, so the same bench serves the gtest test and the benchmark.
#ifndef MBUFNIC_TESTS_RTL_DMA_TX_PATH_BENCH_H_
#define MBUFNIC_TESTS_RTL_DMA_TX_PATH_BENCH_H_

#include <mbufnic/hw/nic_hw.h>
#include <mbufnic/runtime.h>
#include <sys/mbuf.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "bfm/axi_mem.h"
#include "bfm/axis_mac.h"
#include "boundary_place.h"
#include "core/host_memory.h"
#include "core/wire.h"
#include "harness.h"

namespace mbufnic::rtltest {

inline constexpr unsigned kTxQueues = 8;     // nic_tx_path's NumQ default
inline constexpr unsigned kTxMaxDescs = 16;  // MaxDescs
inline constexpr size_t kTxMaxFrame = 9216;  // MaxFrameBytes
inline constexpr size_t kTxMaxSegFrame = 256 + 65535;
inline constexpr size_t kTxMaxBuf = 16384 - 64;  // the longest buffer a TxJob may have

using Bytes = std::vector<uint8_t>;

// One frame as the host posts it, and what must come of it.
struct TxJob {
  Bytes bytes;                  // the frame's bytes, in buffer order
  hw::TxOffloadCmd cmd{};       // goes on the first descriptor
  std::vector<uint32_t> split;  // buffer lengths, in order (0: a zero-length descriptor)
  bool eop = true;              // false: no descriptor carries eop (a desc_count case)
  int bad_read_buf = -1;        // a read of this buffer is answered with an error
  std::vector<Bytes> wire;      // the frames it must put on the wire, in order
  hw::TxErr err = hw::TxErr::kNone;
  hw::SegErr seg_err = hw::SegErr::kNone;
  std::string what;  // for messages
};

struct TxBenchOptions {
  std::string pcie = "gen4";
  unsigned ar_stall = 0, aw_stall = 0, w_stall = 0;  // % of cycles the AXI slave stalls
  unsigned mac_stall = 0;                            // % of cycles the MAC pauses
  double link_gbps = 0;                              // 0: as fast as the card goes
  bool csum_enable = true;
  bool random_offsets = true;  // buffers at any byte offset (else at a 64-byte line)
  uint64_t seed = 1;
  unsigned service_every = 8;  // cycles between driver passes
};

// Bits of a Verilated signal of any width.
template <typename T>
inline void PutBits(T& s, unsigned lsb, unsigned width, uint64_t v) {
  for (unsigned i = 0; i < width; ++i) {
    const bool b = (v >> i) & 1;
    const unsigned bit = lsb + i;
    if constexpr (std::is_integral_v<T>) {
      const T m = static_cast<T>(T{1} << bit);
      s = b ? static_cast<T>(s | m) : static_cast<T>(s & ~m);
    } else {
      uint32_t& w = s[bit / 32];
      const uint32_t m = 1u << (bit % 32);
      w = b ? (w | m) : (w & ~m);
    }
  }
}
template <typename T>
inline uint64_t TakeBits(const T& s, unsigned lsb, unsigned width) {
  uint64_t v = 0;
  for (unsigned i = 0; i < width; ++i) {
    const unsigned bit = lsb + i;
    bool b;
    if constexpr (std::is_integral_v<T>) {
      b = (static_cast<uint64_t>(s) >> bit) & 1;
    } else {
      b = (s[bit / 32] >> (bit % 32)) & 1;
    }
    v |= uint64_t{b} << i;
  }
  return v;
}

template <typename Model>
class TxPathBench {
 public:
  static constexpr size_t kBeat = sizeof(std::remove_cvref_t<decltype(Model::m_axis_tx_tdata_o)>);

  TxPathBench(const std::string& name, const TxBenchOptions& o)
      : opt_(o),
        h_(name, o.seed),
        mem_(sim::PcieByName(o.pcie), kTxQueues, 0),
        wire_(sim::WireConfig{o.link_gbps, 250.0, false, 0, ""}),
        axi_(h_.top(), mem_, static_cast<uint32_t>(o.seed),
             sim::AxiMemConfig{o.ar_stall, o.aw_stall, o.w_stall}),
        mac_(h_.top(), wire_, static_cast<uint32_t>(o.seed + 7), o.mac_stall),
        rng_(o.seed * 31 + 5) {
    auto& t = h_.top();
    t.q_enable_i = 0;
    DriveBases();
    for (unsigned q = 0; q < kTxQueues; ++q) {
      PutBits(t.q_log2_i, 4 * q, 4, 0);
      PutBits(t.q_prod_i, 16 * q, 16, 0);
    }
    t.csum_enable_i = o.csum_enable;
    h_.Reset();
    q_.resize(kTxQueues);
  }

  ~TxPathBench() {
    ReleaseParked();
    for (auto& q : q_) {
      for (auto& p : q.inflight) FreeBufs(p);
      FreeRings(q);
    }
  }

  TxPathBench(const TxPathBench&) = delete;
  TxPathBench& operator=(const TxPathBench&) = delete;

  Model& top() { return h_.top(); }
  sim::HostMemory& mem() { return mem_; }
  sim::Wire& wire() { return wire_; }
  uint64_t cycle() const { return h_.cycles(); }
  std::mt19937_64& rng() { return rng_; }

  // ---- Queues ------------------------------------------------------------------------------
  // Brings queue q up with 2^log2 entries (rings zeroed, rights granted, prod 0, enable 1).
  // ring_skew / cpl_skew move a base off its 64-byte line (for the ring_align check); log2 may
  // be 0 or too large for the size check (the rings are then 16 entries).  cpl_across: the
  // completion ring starts 2 KiB below a 256 KiB boundary of the bus address, so that its
  // addresses carry out of the low 18 bits (rings of more than 256 entries cross it).
  // False (the queue left down) when no place across a boundary was found.
  bool Start(unsigned q, unsigned log2, unsigned ring_skew = 0, unsigned cpl_skew = 0,
             bool cpl_across = false) {
    Q& s = q_[q];
    FreeRings(s);
    std::deque<Expect> keep = std::move(s.expect);  // frames reaped before, not yet matched
    s = Q{};
    s.expect = std::move(keep);
    s.log2 = log2;
    s.size = (log2 >= 1 && log2 <= 9) ? (1u << log2) : 16;
    s.ring_m = Cluster(MJUM16BYTES);
    std::memset(mtod(s.ring_m, void*), 0, MJUM16BYTES);
    s.ring = mtod(s.ring_m, uint8_t*) + ring_skew;
    if (cpl_across) {
      struct mbuf* m[2];
      s.cpl = AcrossBoundary(uint64_t{1} << 18, 2048, 2048, m);
      s.cpl_m = m[0];
      s.cpl_m2 = m[1];
      if (s.cpl == nullptr) return false;
    } else {
      s.cpl_m = Cluster(MJUMPAGESIZE);
      std::memset(mtod(s.cpl_m, void*), 0, MJUMPAGESIZE);
      s.cpl = mtod(s.cpl_m, uint8_t*);
    }
    s.cpl += cpl_skew;
    s.ring_bus = mbufnic_vtobus(s.ring);
    s.cpl_bus = mbufnic_vtobus(s.cpl);
    mem_.Grant(s.ring_bus, 32ull * s.size, true, false);
    mem_.Grant(s.cpl_bus, 8ull * s.size, false, true);
    s.granted = true;
    auto& t = h_.top();
    ring_base_[q] = s.ring_bus;
    cpl_base_[q] = s.cpl_bus;
    DriveBases();
    PutBits(t.q_log2_i, 4 * q, 4, log2);
    PutBits(t.q_prod_i, 16 * q, 16, 0);
    PutBits(t.q_enable_i, q, 1, 1);
    s.up = true;
    t.eval();
    return true;
  }

  // Takes queue q down (enable 0).  Jobs not yet reaped are given up: their wire frames, if
  // any reach the wire, are accepted but not required.
  void Stop(unsigned q) {
    PutBits(h_.top().q_enable_i, q, 1, 0);
    h_.top().eval();
    Abandon(q);
  }

  // The test gives up on queue q's outstanding jobs (its queue stopped with an error).
  void Abandon(unsigned q) {
    Q& s = q_[q];
    s.up = false;
    for (auto& p : s.inflight) {
      for (auto& f : p.job.wire) s.expect.push_back({std::move(f), true});
      // The card may still read these buffers (frames it had already taken): keep the rights
      // until the end of the bench.
      parked_.push_back(std::move(p));
    }
    s.inflight.clear();
    s.todo.clear();
  }

  void Push(unsigned q, TxJob job) { q_[q].todo.push_back(std::move(job)); }
  // Writes a producer index as it is, without posting (for the prod check).
  void SetProd(unsigned q, uint16_t v) {
    PutBits(h_.top().q_prod_i, 16 * q, 16, v);
    h_.top().eval();
  }

  bool Running(unsigned q) { return TakeBits(h_.top().q_running_o, q, 1); }
  hw::QueueErr Err(unsigned q) {
    return static_cast<hw::QueueErr>(TakeBits(h_.top().q_err_o, 4 * q, 4));
  }
  uint16_t Cons(unsigned q) {
    return static_cast<uint16_t>(TakeBits(h_.top().q_cons_o, 16 * q, 16));
  }
  bool Idle() { return h_.top().idle_o; }
  // Queue q's descriptor and completion rings, as the register block holds them.
  uint64_t RingBase(unsigned q) const { return ring_base_[q]; }
  uint64_t CplBase(unsigned q) const { return cpl_base_[q]; }
  // Jobs of queue q not yet completed (posted or waiting).
  size_t Pending(unsigned q) const { return q_[q].todo.size() + q_[q].inflight.size(); }
  size_t Pending() const {
    size_t n = 0;
    for (unsigned q = 0; q < kTxQueues; ++q) n += q_[q].up ? Pending(q) : 0;
    return n;
  }
  uint64_t Completed(unsigned q) const { return q_[q].frames_reaped; }

  // ---- Running ------------------------------------------------------------------------------
  void Step() {
    const uint64_t c = h_.cycles();
    h_.Cycle(
        [&] {
          axi_.Sample(c);
          mac_.Sample(c);
          auto& t = h_.top();
          cpl_evts_ += t.cpl_evt_o;
          if (t.cpl_evt_o && t.cpl_evt_queue_o < kTxQueues) ++cpl_evts_q_[t.cpl_evt_queue_o];
          wire_evts_ += t.wire_frame_o;
          rd_errs_ += t.rd_err_o;
          wr_errs_ += t.wr_err_o;
          if (t.m_axi_awvalid_o && t.m_axi_awready_i) ++cpl_writes_;  // its only writes
          if (t.wire_frame_o) wire_evt_bytes_ += t.wire_bytes_o;
          if (t.cpl_evt_o && !t.cpl_evt_err_o) cpl_evt_bytes_ += t.cpl_evt_bytes_o;
          if (t.m_axi_rvalid_i && t.m_axi_rready_o) ++r_beats_;
          if (t.m_axi_rvalid_i && !t.m_axi_rready_o) ++r_stalls_;
          if (t.m_axis_tx_tvalid_o && t.m_axis_tx_tready_i) {
            if (first_beat_ == ~0ull) first_beat_ = c;
            last_beat_ = c;
          }
        },
        [&] {
          axi_.Drive(c);
          mac_.Drive(c);
          DriveBases();
        });
    if (++since_service_ >= opt_.service_every) {
      since_service_ = 0;
      Service();
    }
  }

  // Runs until every job of every running queue is completed and the path is idle, or the
  // budget runs out; false on timeout.
  bool Run(uint64_t budget) {
    for (uint64_t i = 0; i < budget; ++i) {
      Step();
      if (Pending() == 0 && Idle() && axi_.Idle()) {
        Collect();
        return true;
      }
    }
    Service();
    Collect();
    return false;
  }
  // Runs n cycles.
  void Cycles(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) Step();
    Collect();
  }

  // The driver: reap completions, then post what fits.
  void Service() {
    for (unsigned q = 0; q < kTxQueues; ++q) {
      if (!q_[q].up) continue;
      Reap(q);
      Post(q);
    }
  }

  // ---- Results ------------------------------------------------------------------------------
  // Checks the frames that reached the wire against the queues' expectations.
  void MatchWire() {
    Collect();
    size_t bad = 0;
    for (const auto& f : sent_) {
      bool found = false;
      for (auto& s : q_) {
        // The frame may follow optional frames (of jobs given up on).
        size_t k = 0;
        while (k < s.expect.size() && s.expect[k].optional && s.expect[k].data != f.data) ++k;
        if (k < s.expect.size() && s.expect[k].data == f.data) {
          s.expect.erase(s.expect.begin(), s.expect.begin() + static_cast<long>(k) + 1);
          found = true;
          break;
        }
      }
      if (!found && ++bad <= 3) {
        Problem("a frame of " + std::to_string(f.data.size()) + " bytes on the wire (cycle " +
                std::to_string(f.cycle) + ") is no queue's next expected frame" + Describe(f.data));
      }
    }
    if (bad) Problem(std::to_string(bad) + " unexpected wire frames");
    for (unsigned q = 0; q < kTxQueues; ++q) {
      size_t missing = 0;
      for (const auto& e : q_[q].expect) missing += !e.optional;
      if (missing) {
        Problem("queue " + std::to_string(q) + ": " + std::to_string(missing) +
                " expected frames never reached the wire");
      }
    }
    for (auto& s : q_) s.expect.clear();
    sent_.clear();
  }

  const std::vector<std::string>& problems() const { return problems_; }
  const std::vector<std::string>& violations() const { return mem_.violations(); }
  unsigned protocol_errors() const { return axi_.protocol_errors() + mac_.protocol_errors(); }
  std::vector<std::string> protocol_log() const {
    auto v = axi_.error_log();
    v.insert(v.end(), mac_.error_log().begin(), mac_.error_log().end());
    return v;
  }
  uint64_t cpl_evts() const { return cpl_evts_; }
  uint64_t cpl_evts(unsigned q) const { return cpl_evts_q_[q]; }
  uint64_t cpl_evt_bytes() const { return cpl_evt_bytes_; }
  uint64_t wire_evts() const { return wire_evts_; }
  uint64_t wire_evt_bytes() const { return wire_evt_bytes_; }
  uint64_t rd_errs() const { return rd_errs_; }
  uint64_t wr_errs() const { return wr_errs_; }
  // Write bursts the path issued: all of them completion lines.
  uint64_t cpl_writes() const { return cpl_writes_; }
  uint64_t completions() const { return completions_; }
  uint64_t good_bytes() const { return good_bytes_; }
  uint64_t wire_frames() const { return wire_.sent_frames(); }
  uint64_t wire_bytes() const { return wire_.sent_bytes(); }
  // Cycles of the first and last beat the MAC took since the bench began, or since
  // ResetBeatWindow().
  uint64_t first_beat() const { return first_beat_; }
  uint64_t last_beat() const { return last_beat_; }
  void ResetBeatWindow() {
    first_beat_ = ~0ull;
    last_beat_ = 0;
    r_beats_ = r_stalls_ = 0;
  }
  // Read beats taken, and cycles a read beat waited for rready, since ResetBeatWindow().
  uint64_t r_beats() const { return r_beats_; }
  uint64_t r_stalls() const { return r_stalls_; }
  // Cycle each completion of queue q was seen by the driver (for latency figures).
  const std::vector<uint64_t>& reap_cycles(unsigned q) const { return q_[q].reap_cycle; }
  const std::vector<sim::WireFrame>& sent() const { return sent_; }
  sim::AxiMemSlave<Model>& axi() { return axi_; }

 private:
  struct Buf {
    struct mbuf* m = nullptr;
    uint64_t bus = 0;
    uint32_t len = 0;
  };
  struct Posted {
    TxJob job;
    std::vector<Buf> bufs;
    uint32_t first = 0;  // descriptor count of its first descriptor
    uint64_t posted_cycle = 0;
  };
  struct Expect {
    Bytes data;
    bool optional = false;
  };
  struct Q {
    bool up = false, granted = false;
    unsigned log2 = 0;
    uint32_t size = 0;
    struct mbuf* ring_m = nullptr;
    struct mbuf* cpl_m = nullptr;
    struct mbuf* cpl_m2 = nullptr;  // the second cluster of a ring across a boundary
    uint8_t* ring = nullptr;
    uint8_t* cpl = nullptr;
    uint64_t ring_bus = 0, cpl_bus = 0;
    uint32_t posted = 0, reaped = 0;  // descriptors, counted since the start
    uint64_t frames_reaped = 0;
    std::deque<TxJob> todo;
    std::deque<Posted> inflight;
    std::deque<Expect> expect;
    std::vector<uint64_t> reap_cycle;
  };

  static struct mbuf* Cluster(int size) {
    struct mbuf* m = m_getjcl(M_WAITOK, MT_DATA, 0, size);
    return m;
  }

  void FreeRings(Q& s) {
    if (s.granted) {
      mem_.Revoke(s.ring_bus, 32ull * s.size, true, false);
      mem_.Revoke(s.cpl_bus, 8ull * s.size, false, true);
      s.granted = false;
    }
    if (s.ring_m) m_free(s.ring_m);
    if (s.cpl_m) m_free(s.cpl_m);
    if (s.cpl_m2) m_free(s.cpl_m2);
    s.ring_m = s.cpl_m = s.cpl_m2 = nullptr;
  }

  void FreeBufs(Posted& p) {
    for (auto& b : p.bufs) {
      if (b.m == nullptr) continue;
      mem_.Revoke(b.bus, b.len, true, false);
      m_free(b.m);
      b.m = nullptr;
    }
  }

  void Post(unsigned q) {
    Q& s = q_[q];
    auto& t = h_.top();
    bool any = false;
    while (!s.todo.empty()) {
      const TxJob& j = s.todo.front();
      const uint32_t n = static_cast<uint32_t>(j.split.size());
      if (n > s.size - 1 - (s.posted - s.reaped)) break;
      Posted p;
      p.first = s.posted;
      p.posted_cycle = h_.cycles();
      size_t at = 0;
      for (uint32_t i = 0; i < n; ++i) {
        const uint32_t len = j.split[i];
        Buf b;
        b.len = len;
        if (len == 0) {
          b.bus = 0x40;  // outside the arena: any read of it is a violation
        } else {
          const int csize = len + 64 <= MCLBYTES       ? MCLBYTES
                            : len + 64 <= MJUMPAGESIZE ? MJUMPAGESIZE
                            : len + 64 <= MJUM9BYTES   ? MJUM9BYTES
                                                       : MJUM16BYTES;
          b.m = Cluster(csize);
          const uint32_t room = static_cast<uint32_t>(csize) - len;
          uint32_t off = static_cast<uint32_t>(rng_() % (room + 1));
          if (!opt_.random_offsets) off &= ~63u;
          uint8_t* va = mtod(b.m, uint8_t*) + off;
          std::memcpy(va, j.bytes.data() + at, len);
          at += len;
          b.bus = mbufnic_vtobus(va);
          mem_.Grant(b.bus, len, true, false);
          if (static_cast<int>(i) == j.bad_read_buf) mem_.InjectError(b.bus, len, 1, true, false);
        }
        hw::TxDesc d{};
        d.set_addr(b.bus).set_len(static_cast<uint16_t>(len)).set_eop(i + 1 == n && j.eop);
        if (i == 0) d.set_cmd(j.cmd);
        std::memcpy(s.ring + 32ull * ((s.posted + i) & (s.size - 1)), d.bytes.data(), 32);
        p.bufs.push_back(b);
      }
      s.posted += n;
      p.job = std::move(s.todo.front());
      s.todo.pop_front();
      s.inflight.push_back(std::move(p));
      any = true;
    }
    if (any) {
      PutBits(t.q_prod_i, 16 * q, 16, s.posted & (s.size - 1));
      t.eval();
    }
  }

  void Reap(unsigned q) {
    Q& s = q_[q];
    while (!s.inflight.empty()) {
      const uint64_t k = s.frames_reaped;
      hw::TxCpl c{};
      std::memcpy(c.bytes.data(), s.cpl + 8 * (k & (s.size - 1)), 8);
      const bool phase = ((k >> s.log2) & 1) == 0;
      if (c.phase() != phase) break;
      Posted& p = s.inflight.front();
      const TxJob& j = p.job;
      const uint32_t n = static_cast<uint32_t>(j.split.size());
      const std::string who =
          "queue " + std::to_string(q) + " frame " + std::to_string(k) + " (" + j.what + ")";
      const uint16_t idx = static_cast<uint16_t>((p.first + n - 1) & (s.size - 1));
      if (c.desc_index() != idx) {
        Problem(who + ": desc_index " + std::to_string(c.desc_index()) + ", want " +
                std::to_string(idx));
      }
      if (c.descs() != n) {
        Problem(who + ": descs " + std::to_string(c.descs()) + ", want " + std::to_string(n));
      }
      if (c.err() != j.err || c.seg_err() != j.seg_err) {
        Problem(who + ": err " + std::to_string(static_cast<int>(c.err())) + "/" +
                std::to_string(static_cast<int>(c.seg_err())) + ", want " +
                std::to_string(static_cast<int>(j.err)) + "/" +
                std::to_string(static_cast<int>(j.seg_err)));
      }
      // A frame spoilt by a read error may have sent the segments before the fault (a
      // segmentation request), never more than its twin, and a plain frame sends nothing.
      size_t segs = j.wire.size();
      if (j.err == hw::TxErr::kDma) {
        segs = std::min<size_t>(c.segs(), j.wire.size());
        if (j.cmd.seg().kind() == hw::SegKind::kNone && c.segs() != 0) {
          Problem(who + ": a plain frame with a read error says " + std::to_string(c.segs()) +
                  " segs");
        }
      } else if (c.segs() != j.wire.size()) {
        Problem(who + ": segs " + std::to_string(c.segs()) + ", want " +
                std::to_string(j.wire.size()));
      }
      for (size_t i = 0; i < segs; ++i) s.expect.push_back({j.wire[i], false});
      ++completions_;
      if (j.err == hw::TxErr::kNone) good_bytes_ += j.bytes.size();
      s.reap_cycle.push_back(h_.cycles());
      FreeBufs(p);
      s.reaped += n;
      ++s.frames_reaped;
      s.inflight.pop_front();
    }
  }

  void Collect() {
    for (auto& f : wire_.TakeSent()) sent_.push_back(std::move(f));
  }

  static std::string Describe(const Bytes& f) {
    if (f.size() < 12) return "";
    char buf[48];
    std::snprintf(buf, sizeof buf, " (source MAC ..:%02x:%02x)", f[10], f[11]);
    return buf;
  }

  void Problem(const std::string& what) {
    if (problems_.size() < 40) problems_.push_back(what);
  }

  // The register block's RAM of ring bases, as nic_queue_regs answers the path's read port:
  // the bases of the queue q_base_q_o names (it depends on registers only), without a clock.
  // Called after every edge and every change of the table.
  void DriveBases() {
    auto& t = h_.top();
    const unsigned q = t.q_base_q_o;
    t.q_ring_base_i = q < kTxQueues ? ring_base_[q] : 0;
    t.q_cpl_base_i = q < kTxQueues ? cpl_base_[q] : 0;
  }

  TxBenchOptions opt_;
  sim::Harness<Model> h_;
  sim::HostMemory mem_;
  sim::Wire wire_;
  sim::AxiMemSlave<Model> axi_;
  sim::MacTx<Model> mac_;
  std::mt19937_64 rng_;
  std::vector<Q> q_;
  std::vector<Posted> parked_;
  std::vector<sim::WireFrame> sent_;
  std::vector<std::string> problems_;
  unsigned since_service_ = 0;
  uint64_t cpl_evts_ = 0, cpl_evt_bytes_ = 0, wire_evts_ = 0, wire_evt_bytes_ = 0;
  uint64_t rd_errs_ = 0, wr_errs_ = 0, cpl_writes_ = 0, completions_ = 0, good_bytes_ = 0;
  uint64_t cpl_evts_q_[kTxQueues] = {};
  uint64_t ring_base_[kTxQueues] = {}, cpl_base_[kTxQueues] = {};
  uint64_t first_beat_ = ~0ull, last_beat_ = 0, r_beats_ = 0, r_stalls_ = 0;

 public:
  // Buffers of jobs given up on are kept (the card may still read them) until the bench ends.
  void ReleaseParked() {
    for (auto& p : parked_) FreeBufs(p);
    parked_.clear();
  }
};

}  // namespace mbufnic::rtltest

#endif  // MBUFNIC_TESTS_RTL_DMA_TX_PATH_BENCH_H_
