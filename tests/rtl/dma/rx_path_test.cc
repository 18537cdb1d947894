// rx_path_test: the receive path (rtl/dma/nic_rx_path, 512 bits) against a host model.
//
// The bench plays the host: it drives the queue ports directly (no CSR block), posts receive
// buffers of random sizes and byte alignments from the mbuf runtime's DMA arena, and grants the
// card DMA rights on exactly what it posted (each descriptor for reading, each buffer and the
// completion ring for writing) through HostMemory::Grant; any other access is a violation and
// fails the test.  Frames come from the test-support generator (TCP/UDP over IPv4/IPv6, VLAN
// tags, bad checksums, truncations) through the wire model and the MAC source; host memory is
// the AXI slave model with the PCIe Gen4 preset.
//
// Expected outcomes are computed when a frame is sent, from the buffers posted at that moment
// (the card sees at least those when it plans the frame): which buffers it fills, or why it is
// dropped, or which posted length-0 buffers come back with err_desc first.  Every completion
// is checked field by field as its event arrives (the checksum result against ClassifyRx, the
// software reference), the buffers byte for byte, and the bytes around and after each written
// range are checked untouched.  Every run has a cycle budget: a hang fails.
#include <gtest/gtest.h>
#include <mbufnic/hw/nic_hw.h>
#include <sys/mbuf.h>
#include <sys/param.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "Vnic_rx_path_w512.h"
#include "bfm/axi_mem.h"
#include "bfm/axis_mac.h"
#include "boundary_place.h"
#include "core/host_memory.h"
#include "core/wire.h"
#include "frame_gen.h"
#include "harness.h"
#include "mbufnic/runtime.h"
#include "rx_csum_ref.h"

namespace mbufnic::rtltest {
namespace {

using Model = Vnic_rx_path_w512;
constexpr unsigned kNumQ = 8;
constexpr unsigned kMaxBufs = 16;
constexpr size_t kMaxFrame = 9216;

// The checksum engine's result, decoded with the generated host header.
RxCsumRef DecodeCsum(const hw::RxCsumResult& r) {
  RxCsumRef d{};
  d.l3_calc = r.l3_calc();
  d.l3_valid = r.l3_valid();
  d.l4_calc = r.l4_calc();
  d.l4_valid = r.l4_valid();
  d.ip_frag = r.ip_frag();
  d.l3_type = static_cast<int>(r.l3_type());
  d.l4_proto = static_cast<uint8_t>(r.l4_proto());
  d.l3_offset = static_cast<uint8_t>(r.l3_offset());
  d.l4_offset = static_cast<uint8_t>(r.l4_offset());
  d.l4_sum = static_cast<uint16_t>(r.l4_sum());
  d.vlan_count = static_cast<int>(r.vlan_count());
  return d;
}

// A piece of DMA memory: one mbuf cluster of `size` bytes, filled with a known pattern.
class DmaChunk {
 public:
  DmaChunk(int size, uint32_t tag) : size_(size), tag_(tag) {
    m_ = size == MCLBYTES ? m_getcl(M_WAITOK, MT_DATA, 0) : m_getjcl(M_WAITOK, MT_DATA, 0, size);
    va_ = mtod(m_, uint8_t*);
    bus_ = mbufnic_vtobus(va_);
    for (int i = 0; i < size_; ++i) va_[i] = Pattern(i);
  }
  ~DmaChunk() { m_freem(m_); }
  DmaChunk(const DmaChunk&) = delete;
  DmaChunk& operator=(const DmaChunk&) = delete;

  uint8_t Pattern(int i) const { return static_cast<uint8_t>((i * 131 + tag_ * 17) ^ 0x5a); }
  uint8_t* va() { return va_; }
  uint64_t bus() const { return bus_; }
  int size() const { return size_; }

 private:
  struct mbuf* m_;
  int size_;
  uint32_t tag_;
  uint8_t* va_;
  uint64_t bus_;
};

// One posted receive buffer.
struct Buf {
  std::unique_ptr<DmaChunk> chunk;
  int off = 0;  // first byte of the buffer in the chunk
  uint16_t len = 0;
  uint64_t bus() const { return chunk->bus() + static_cast<uint64_t>(off); }
  uint8_t* va() const { return chunk->va() + off; }
};

// What the host expects in a queue's next completion.
struct Expect {
  bool err_desc = false;
  uint16_t desc_index = 0;
  unsigned bufs = 1;
  std::vector<uint8_t> frame;
  bool err_dma = false;  // an error was injected on the frame's first buffer
};

struct MbufFree {
  void operator()(struct mbuf* m) const { m_free(m); }
};

struct HostQueue {
  unsigned log2 = 0;
  std::unique_ptr<DmaChunk> ring_chunk, cpl_chunk;
  std::unique_ptr<struct mbuf, MbufFree> ring_m[2];  // a ring across a boundary (no ring_chunk)
  uint64_t ring_bus = 0, cpl_bus = 0;
  uint8_t* ring_va = nullptr;
  uint8_t* cpl_va = nullptr;
  std::vector<Buf> slots;  // by ring index
  uint32_t prod = 0;       // next index to post
  uint32_t assigned = 0;   // next index the model gives a frame
  uint32_t done = 0;       // oldest index not completed
  uint32_t cidx = 0;       // next completion
  bool phase = true;
  bool enabled = false;
  bool running = false;  // what the model believes (drops frames when false)
  std::deque<Expect> expect;
  uint64_t completions = 0;
  uint32_t size() const { return 1u << log2; }
  uint32_t mask() const { return size() - 1; }
  uint32_t outstanding() const { return (prod - done) & mask(); }
  uint32_t unassigned() const { return (prod - assigned) & mask(); }
};

struct BenchConfig {
  sim::PcieConfig pcie = sim::PcieGen4x16();
  sim::AxiMemConfig axi{};
  double link_gbps = 100.0;
  bool csum_enable = true;
};

class RxBench {
 public:
  RxBench(const std::string& name, uint64_t seed, BenchConfig cfg = {})
      : cfg_(cfg),
        rng_(seed),
        h_(name, seed),
        mem_(cfg.pcie, kNumQ, kNumQ),
        wire_(sim::WireConfig{cfg.link_gbps, 250.0, false, 0, ""}),
        axi_(h_.top(), mem_, static_cast<uint32_t>(seed * 3 + 1), cfg.axi),
        mac_(h_.top(), wire_) {
    Model& t = h_.top();
    t.q_enable_i = 0;
    t.q_ring_base_i = 0;
    t.q_cpl_base_i = 0;
    t.q_log2_i = 0;
    std::memset(t.q_prod_i.data(), 0, sizeof(t.q_prod_i));
    t.q_db_i = 0;
    t.q_db_q_i = 0;
    t.rx_queue_i = 0;
    t.csum_enable_i = cfg.csum_enable;
    t.max_frame_i = kMaxFrame;  // the port's MTU at its largest: the path's own limit decides
    h_.Reset();
    DriveQueues();
    h_.top().eval();
  }

  ~RxBench() {
    // The card may not touch buffers after the test ends; give them back to the arena.
    for (auto& q : q_) q.slots.clear();
  }

  Model& top() { return h_.top(); }
  uint64_t now() const { return h_.cycles(); }
  sim::HostMemory& mem() { return mem_; }
  std::mt19937_64& rng() { return rng_; }
  HostQueue& queue(unsigned q) { return q_[q]; }

  // ---- Queue set-up, as a driver does before enabling: rings, size, prod 0, cpl ring zeroed.
  // ring_across: the descriptor ring 2 KiB below a 1 MiB boundary of the bus address, so the
  // fetch's reads carry into the address's high bits (nic_rx_desc_fetch); false when the arena
  // has no room for it.
  bool SetupQueue(unsigned q, unsigned log2, bool ring_across = false) {
    HostQueue& hq = q_[q];
    hq = HostQueue{};
    hq.log2 = log2;
    hq.slots.resize(hq.size());
    // 16 KiB clusters; the rings (at most 8 KiB) start on a 4 KiB boundary inside.
    hq.cpl_chunk = std::make_unique<DmaChunk>(MJUM16BYTES, NextTag());
    auto place = [](DmaChunk& c, uint64_t* bus, uint8_t** va) {
      const uint64_t a = (c.bus() + 4095) & ~uint64_t{4095};
      *bus = a;
      *va = c.va() + (a - c.bus());
    };
    if (ring_across) {
      constexpr uint64_t kBelow = 2048;
      struct mbuf* m[2];
      hq.ring_va = AcrossBoundary(uint64_t{1} << 20, kBelow, 16u * hq.size() - kBelow, m);
      hq.ring_m[0].reset(m[0]);
      hq.ring_m[1].reset(m[1]);
      if (hq.ring_va == nullptr) return false;
      hq.ring_bus = mbufnic_vtobus(hq.ring_va);
    } else {
      hq.ring_chunk = std::make_unique<DmaChunk>(MJUM16BYTES, NextTag());
      place(*hq.ring_chunk, &hq.ring_bus, &hq.ring_va);
    }
    place(*hq.cpl_chunk, &hq.cpl_bus, &hq.cpl_va);
    std::memset(hq.cpl_va, 0, 16u * hq.size());
    return true;
  }

  // Enables the queue (the model then expects it running) and grants the completion ring.
  void Enable(unsigned q, bool model_running = true) {
    HostQueue& hq = q_[q];
    hq.enabled = true;
    hq.running = model_running;
    mem_.Grant(hq.cpl_bus, 16u * hq.size(), false, true);
  }
  // Disables the queue and at once enables it again on fresh rings (log2 entries): the card
  // must finish the old run's frames on the old rings first, then start the new one at index
  // 0.  The old run's completions are checked against the old rings until the new run starts;
  // its frames not completed by then count as dropped.
  // As a driver does through the CSRs: enable goes low before the ring registers change.
  void Restart(unsigned q, unsigned log2) {
    q_[q].enabled = false;
    q_[q].running = false;
    Step();
    retired_[q] = std::make_unique<HostQueue>(std::move(q_[q]));
    SetupQueue(q, log2);
    Step();
    Enable(q);
  }
  bool Retired(unsigned q) const { return retired_[q] != nullptr; }

  // Disables the queue; `revoke`: the completion ring stops being writable at once.
  void Disable(unsigned q, bool revoke) {
    HostQueue& hq = q_[q];
    hq.enabled = false;
    hq.running = false;
    if (revoke) mem_.Revoke(hq.cpl_bus, 16u * hq.size(), false, true);
  }

  // Posts a buffer of `len` bytes at byte offset `align` (0..63) from a 64-byte line.
  void Post(unsigned q, uint16_t len, unsigned align) {
    HostQueue& hq = q_[q];
    ASSERT_LT(hq.outstanding(), hq.mask()) << "ring full";
    const int need = 64 + 64 + static_cast<int>(len) + 64;
    const int size = need <= MCLBYTES       ? MCLBYTES
                     : need <= MJUMPAGESIZE ? MJUMPAGESIZE
                     : need <= MJUM9BYTES   ? MJUM9BYTES
                                            : MJUM16BYTES;
    Buf b;
    b.chunk = std::make_unique<DmaChunk>(size, NextTag());
    // The buffer starts `align` bytes into a line, at least 64 bytes into the cluster.
    const uint64_t line = (b.chunk->bus() + 64 + 63) & ~uint64_t{63};
    b.off = static_cast<int>(line - b.chunk->bus()) + static_cast<int>(align);
    b.len = len;
    hw::RxDesc d{};
    d.set_addr(b.bus()).set_len(len);
    std::memcpy(hq.ring_va + 16u * hq.prod, d.bytes.data(), 16);
    mem_.Grant(hq.ring_bus + 16u * hq.prod, 16, true, false);
    if (len > 0) mem_.Grant(b.bus(), len, false, true);
    hq.slots[hq.prod] = std::move(b);
    hq.prod = (hq.prod + 1) & hq.mask();
  }

  // A random buffer length and alignment, from small to jumbo.
  void PostRandom(unsigned q, double p_zero = 0.0) {
    std::uniform_real_distribution<double> u(0, 1);
    const double r = u(rng_);
    uint16_t len;
    if (u(rng_) < p_zero) {
      len = 0;
    } else if (r < 0.35) {
      len = 2048;
    } else if (r < 0.55) {
      len = static_cast<uint16_t>(std::uniform_int_distribution<int>(60, 600)(rng_));
    } else if (r < 0.80) {
      len = static_cast<uint16_t>(std::uniform_int_distribution<int>(600, 2100)(rng_));
    } else if (r < 0.92) {
      len = 4096;
    } else {
      len = static_cast<uint16_t>(std::uniform_int_distribution<int>(4000, 9300)(rng_));
    }
    const unsigned align = u(rng_) < 0.3 ? 0 : std::uniform_int_distribution<unsigned>(0, 63)(rng_);
    Post(q, len, align);
  }

  // ---- Frames.
  // Sends a frame on the wire and records what the card must do with it (queue `q` is the
  // steering the bench has set with SetSteering).
  void Send(std::vector<uint8_t> frame, bool bad = false, bool inject_dma_err = false) {
    const unsigned q = steer_;
    ++sent_;
    sent_bytes_ += std::min<size_t>(frame.size(), 65535);
    if (cfg_.csum_enable) {
      const RxCsumRef r = ClassifyRx(frame);
      if (r.l3_calc && !r.l3_valid) ++want_l3_bad_;
      if (r.l4_calc && !r.l4_valid) ++want_l4_bad_;
    }
    if (loose_) {
      // Nothing predicted.
    } else if (bad || frame.size() < 14 || frame.size() > kMaxFrame) {
      ++want_drop_bad_[q];
    } else if (q >= kNumQ || !q_[q].running) {
      ++want_drop_nobuf_[q];
    } else {
      Walk(q, frame, inject_dma_err);
    }
    wire_.Inject(std::move(frame), now(), bad);
  }

  void SetSteering(unsigned q) { steer_ = q; }

  // Loose mode (throughput runs): frames are not walked when sent, so drops for room are not
  // predicted; each completion is checked against `frame` (every frame sent is this one) and
  // its buffers are reposted.
  void SetLoose(std::vector<uint8_t> frame, uint16_t repost_len, unsigned repost_align) {
    loose_ = true;
    loose_frame_ = std::move(frame);
    repost_len_ = repost_len;
    repost_align_ = repost_align;
  }

  // ---- Clock.
  void Step() {
    const uint64_t c = h_.cycles();
    h_.Cycle(
        [&] {
          mac_.Sample(c);
          axi_.Sample(c);
          SampleOutputs();
        },
        [&] {
          axi_.Drive(c);
          mac_.Drive(c);
          DriveQueues();
        });
  }
  void Run(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) Step();
  }
  // Runs until `done` holds; false when `budget` cycles pass first.
  bool RunUntil(const std::function<bool()>& done, uint64_t budget) {
    for (uint64_t i = 0; i < budget; ++i) {
      if (done()) return true;
      Step();
    }
    return done();
  }
  // Every frame sent has gone into the card.
  bool WireIdle() { return mac_.Idle() && wire_.rx_pending() == 0; }
  // Nothing on the wire, nothing in the card or the bus models.
  bool Quiet() { return top().idle_o && axi_.Idle() && mac_.Idle() && wire_.rx_pending() == 0; }
  // Runs until every expected completion is in and everything is quiet.
  bool Drain(uint64_t budget) {
    return RunUntil(
        [&] {
          for (const auto& q : q_) {
            if (!q.expect.empty()) return false;
          }
          return Quiet();
        },
        budget);
  }

  // Keeps at least `target` buffers posted beyond those the model has handed out.
  void TopUp(unsigned q, uint32_t target, double p_zero = 0.0) {
    HostQueue& hq = q_[q];
    while (hq.unassigned() < target && hq.outstanding() + 1 < hq.mask()) PostRandom(q, p_zero);
  }

  // ---- Final checks: events against the model, no violations, no protocol errors.
  void CheckTotals() {
    EXPECT_EQ(rx_frames_, sent_);
    EXPECT_EQ(rx_bytes_, sent_bytes_);
    EXPECT_EQ(csum_frames_, sent_);
    EXPECT_EQ(l3_bad_, want_l3_bad_);
    EXPECT_EQ(l4_bad_, want_l4_bad_);
    for (unsigned q = 0; q < kQueueIds; ++q) {
      EXPECT_EQ(drop_nobuf_[q], want_drop_nobuf_[q]) << "nobuf drops, queue " << q;
      EXPECT_EQ(drop_bad_[q], want_drop_bad_[q]) << "bad drops, queue " << q;
    }
    for (unsigned q = 0; q < kNumQ; ++q) {
      EXPECT_TRUE(q_[q].expect.empty())
          << q_[q].expect.size() << " completions missing, queue " << q;
    }
    CheckClean();
  }
  void CheckClean() {
    EXPECT_TRUE(mem_.violations().empty())
        << mem_.violations().size() << " DMA violations, first: " << mem_.violations().front();
    EXPECT_EQ(axi_.protocol_errors(), 0u)
        << (axi_.error_log().empty() ? std::string() : axi_.error_log().front());
  }

  uint64_t completions() const { return completions_; }
  const sim::AxiMemSlave<Model>& axi() const { return axi_; }
  // Holds every descriptor read on AR (arready low) until released; then the configured
  // stalls again.
  void HoldReads(bool hold) { axi_.set_ar_stall_percent(hold ? 100 : cfg_.axi.ar_stall_percent); }
  uint64_t rd_errs() const { return rd_errs_; }
  uint64_t wr_errs() const { return wr_errs_; }
  uint64_t drops_nobuf(unsigned q) const { return drop_nobuf_[q]; }
  // Writes (AW handshakes) into queue q's current completion ring.
  uint64_t cpl_writes(unsigned q) const { return cpl_writes_[q]; }
  uint64_t drops_bad(unsigned q) const { return drop_bad_[q]; }
  uint64_t last_cpl_cycle() const { return last_cpl_cycle_; }
  uint64_t want_nobuf(unsigned q) const { return want_drop_nobuf_[q]; }
  void set_want_nobuf(unsigned q, uint64_t n) { want_drop_nobuf_[q] = n; }
  unsigned QueueErr(unsigned q) const { return (h_top().q_err_o >> (4 * q)) & 0xf; }
  bool QueueRunning(unsigned q) const { return (h_top().q_running_o >> q) & 1; }
  uint16_t QueueCons(unsigned q) const {
    return static_cast<uint16_t>(h_top().q_cons_o[q / 2] >> (16 * (q % 2)));
  }

 private:
  static constexpr unsigned kQueueIds = 16;  // steering values the tests use

  const Model& h_top() const { return const_cast<RxBench*>(this)->h_.top(); }
  uint32_t NextTag() { return tag_++; }

  // The planner's walk over the posted buffers (nic_rx_plan), in software.
  void Walk(unsigned q, const std::vector<uint8_t>& frame, bool inject_dma_err) {
    HostQueue& hq = q_[q];
    for (;;) {
      if (hq.assigned == hq.prod) {
        ++want_drop_nobuf_[q];
        return;
      }
      if (hq.slots[hq.assigned].len != 0) break;
      Expect e;
      e.err_desc = true;
      e.desc_index = static_cast<uint16_t>(hq.assigned);
      hq.expect.push_back(std::move(e));
      hq.assigned = (hq.assigned + 1) & hq.mask();
    }
    uint32_t idx = hq.assigned;
    size_t acc = 0;
    for (unsigned j = 0;; ++j) {
      if (j == kMaxBufs) {
        ++want_drop_bad_[q];
        return;
      }
      if (idx == hq.prod || hq.slots[idx].len == 0) {
        ++want_drop_nobuf_[q];
        return;
      }
      acc += hq.slots[idx].len;
      if (acc >= frame.size()) {
        Expect e;
        e.desc_index = static_cast<uint16_t>(hq.assigned);
        e.bufs = j + 1;
        e.frame = frame;
        if (inject_dma_err) {
          const Buf& b = hq.slots[hq.assigned];
          mem_.InjectError(b.bus(), b.len, 1, false, true);
          e.err_dma = true;
        }
        hq.expect.push_back(std::move(e));
        hq.assigned = (idx + 1) & hq.mask();
        return;
      }
      idx = (idx + 1) & hq.mask();
    }
  }

  void DriveQueues() {
    Model& t = h_.top();
    uint8_t en = 0;
    uint32_t log2 = 0;
    for (unsigned q = 0; q < kNumQ; ++q) {
      const HostQueue& hq = q_[q];
      if (hq.enabled) en |= static_cast<uint8_t>(1u << q);
      log2 |= (override_log2_[q] >= 0 ? static_cast<uint32_t>(override_log2_[q]) : hq.log2)
              << (4 * q);
      // The bases as the register block's RAM answers the path's read port: those of the
      // queue q_base_q_o names (it depends on registers only), without a clock.
      if (t.q_base_q_o == q) {
        t.q_ring_base_i = hq.ring_bus + ring_skew_[q];
        t.q_cpl_base_i = hq.cpl_bus;
      }
    }
    // Producer indexes as the register block writes them: one queue's a cycle, with its
    // doorbell in the first cycle the new value shows (queues in turn when several changed).
    t.q_db_i = 0;
    for (unsigned i = 0; i < kNumQ; ++i) {
      const unsigned q = (db_next_ + i) % kNumQ;
      const uint32_t prod =
          override_prod_[q] >= 0 ? static_cast<uint32_t>(override_prod_[q]) : q_[q].prod;
      if (prod == prod_driven_[q]) continue;
      prod_driven_[q] = prod;
      uint32_t& w = t.q_prod_i[q / 2];
      w = (w & ~(0xffffu << (16 * (q % 2)))) | (prod << (16 * (q % 2)));
      t.q_db_i = 1;
      t.q_db_q_i = static_cast<uint8_t>(q);
      db_next_ = (q + 1) % kNumQ;
      break;
    }
    t.q_enable_i = en;
    t.q_log2_i = log2;
    t.rx_queue_i = static_cast<uint16_t>(steer_);
  }

 public:
  // Wrong ring state for the start checks: a misaligned ring base, a log2 or prod value that
  // differs from the host model's (-1: none).
  int override_log2_[kNumQ] = {-1, -1, -1, -1, -1, -1, -1, -1};
  int override_prod_[kNumQ] = {-1, -1, -1, -1, -1, -1, -1, -1};
  uint64_t ring_skew_[kNumQ] = {};

 private:
  uint32_t prod_driven_[kNumQ] = {};  // each queue's q_prod_i as driven
  unsigned db_next_ = 0;              // the queue whose change goes first next time
  void SampleOutputs() {
    Model& t = h_.top();
    if (t.rx_frame_o) {
      ++rx_frames_;
      rx_bytes_ += t.rx_bytes_o;
    }
    if (t.csum_frame_o) ++csum_frames_;
    if (t.csum_l3_bad_o) ++l3_bad_;
    if (t.csum_l4_bad_o) ++l4_bad_;
    if (t.rd_err_o) ++rd_errs_;
    if (t.wr_err_o) ++wr_errs_;
    if (t.drop_evt_o) {
      const unsigned q = t.drop_evt_queue_o;
      if (q < kQueueIds) {
        ++(t.drop_evt_nobuf_o ? drop_nobuf_[q] : drop_bad_[q]);
      } else {
        ADD_FAILURE() << "drop for queue " << q;
      }
    }
    if (t.cpl_evt_o) OnCompletion(t.cpl_evt_queue_o, t.cpl_evt_err_o, t.cpl_evt_bytes_o);
    if (t.m_axi_awvalid_o && t.m_axi_awready_i) {
      for (unsigned q = 0; q < kNumQ; ++q) {
        const HostQueue& hq = q_[q];
        if (hq.cpl_bus != 0 && t.m_axi_awaddr_o - hq.cpl_bus < 16u * hq.size()) ++cpl_writes_[q];
      }
    }
    for (unsigned q = 0; q < kNumQ; ++q) {
      if (!retired_[q]) continue;
      // The old run stops, then the new one starts.
      const bool running = (t.q_running_o >> q) & 1;
      if (!running) retired_stopped_[q] = true;
      if (running && retired_stopped_[q]) EndRetired(q);
    }
  }

  // The new run started: whatever the old one still expected was dropped; its rights end.
  void EndRetired(unsigned q) {
    HostQueue& old = *retired_[q];
    want_drop_nobuf_[q] += old.expect.size();
    mem_.Revoke(old.cpl_bus, 16u * old.size(), false, true);
    for (uint32_t i = old.done; i != old.prod; i = (i + 1) & old.mask()) {
      mem_.Revoke(old.ring_bus + 16u * i, 16, true, false);
      if (old.slots[i].len > 0) mem_.Revoke(old.slots[i].bus(), old.slots[i].len, false, true);
    }
    retired_[q].reset();
    retired_stopped_[q] = false;
  }

  // The host reads the completion the event announces and checks it against the model.
  void OnCompletion(unsigned q, bool evt_err, uint32_t evt_bytes) {
    ++completions_;
    last_cpl_cycle_ = now();
    if (q >= kNumQ) {
      ADD_FAILURE() << "completion event for queue " << q;
      return;
    }
    HostQueue& hq = retired_[q] ? *retired_[q] : q_[q];
    hw::RxCpl c{};
    std::memcpy(c.bytes.data(), hq.cpl_va + 16u * hq.cidx, 16);
    const std::string at = "queue " + std::to_string(q) + " completion " +
                           std::to_string(hq.completions) + " (ring index " +
                           std::to_string(hq.cidx) + ")";
    ++hq.completions;
    EXPECT_EQ(c.phase(), hq.phase) << at << ": the event came before the entry";
    hq.cidx = (hq.cidx + 1) & hq.mask();
    if (hq.cidx == 0) hq.phase = !hq.phase;
    if (loose_) {
      Expect e;
      e.desc_index = c.desc_index();
      e.bufs = c.bufs();
      e.frame = loose_frame_;
      hq.expect.push_back(std::move(e));
    }
    if (hq.expect.empty()) {
      ADD_FAILURE() << at << ": not expected";
      return;
    }
    const Expect x = std::move(hq.expect.front());
    hq.expect.pop_front();
    EXPECT_EQ(c.desc_index(), x.desc_index) << at;
    EXPECT_EQ(c.err_desc(), x.err_desc) << at;
    EXPECT_EQ(c.err_dma(), x.err_dma) << at;
    EXPECT_EQ(evt_err, x.err_desc || x.err_dma) << at;
    if (x.err_desc) {
      EXPECT_EQ(c.len(), 0) << at;
      EXPECT_EQ(c.bufs(), 1) << at;
      EXPECT_FALSE(c.vlan()) << at;
    } else {
      const auto& f = x.frame;
      EXPECT_EQ(c.len(), f.size()) << at;
      EXPECT_EQ(evt_bytes, f.size()) << at;
      EXPECT_EQ(c.bufs(), x.bufs) << at;
      const bool tagged =
          f.size() >= 16 && ((f[12] == 0x81 && f[13] == 0x00) || (f[12] == 0x88 && f[13] == 0xa8));
      EXPECT_EQ(c.vlan(), tagged) << at;
      if (tagged) {
        EXPECT_EQ(c.vlan_tci(), static_cast<uint16_t>((f[14] << 8) | f[15])) << at;
      }
      const RxCsumRef want = cfg_.csum_enable ? ClassifyRx(f) : RxCsumRef{};
      const RxCsumRef got = DecodeCsum(c.csum());
      EXPECT_EQ(got, want) << at << "\n  got  " << got.ToString() << "\n  want " << want.ToString();
    }
    // The buffers: frame bytes where written, the pattern everywhere else.
    size_t pos = 0;
    const unsigned bufs = x.err_desc ? 1 : x.bufs;
    EXPECT_EQ(hq.done, x.desc_index) << at << ": buffers completed out of order";
    for (unsigned i = 0; i < bufs; ++i) {
      const uint32_t idx = (x.desc_index + i) & hq.mask();
      Buf& b = hq.slots[idx];
      const size_t n = x.err_desc ? 0 : std::min<size_t>(b.len, x.frame.size() - pos);
      DmaChunk& ch = *b.chunk;
      int bad = 0;
      for (int k = 0; k < ch.size() && bad < 3; ++k) {
        const bool in = k >= b.off && static_cast<size_t>(k - b.off) < n;
        if (in && x.err_dma) continue;
        const uint8_t want = in ? x.frame[pos + static_cast<size_t>(k - b.off)] : ch.Pattern(k);
        if (ch.va()[k] != want) {
          ++bad;
          ADD_FAILURE() << at << ": buffer " << i << " (len " << b.len << ", bus 0x" << std::hex
                        << b.bus() << std::dec << ") byte " << (k - b.off) << " is "
                        << int{ch.va()[k]} << ", want " << int{want} << (in ? "" : " (untouched)");
        }
      }
      pos += n;
      mem_.Revoke(hq.ring_bus + 16u * idx, 16, true, false);
      if (b.len > 0) mem_.Revoke(b.bus(), b.len, false, true);
      b = Buf{};
    }
    hq.done = (x.desc_index + bufs) & hq.mask();
    if (loose_) {
      for (unsigned i = 0; i < bufs && hq.outstanding() + 1 < hq.mask(); ++i) {
        Post(q, repost_len_, repost_align_);
      }
    }
  }

  BenchConfig cfg_;
  std::mt19937_64 rng_;
  sim::Harness<Model> h_;
  sim::HostMemory mem_;
  sim::Wire wire_;
  sim::AxiMemSlave<Model> axi_;
  sim::MacRx<Model> mac_;
  HostQueue q_[kNumQ];
  std::unique_ptr<HostQueue> retired_[kNumQ];
  bool retired_stopped_[kNumQ] = {};
  unsigned steer_ = 0;
  uint32_t tag_ = 1;
  bool loose_ = false;
  std::vector<uint8_t> loose_frame_;
  uint16_t repost_len_ = 2048;
  unsigned repost_align_ = 0;

  uint64_t sent_ = 0, sent_bytes_ = 0, want_l3_bad_ = 0, want_l4_bad_ = 0;
  uint64_t want_drop_nobuf_[kQueueIds] = {}, want_drop_bad_[kQueueIds] = {};
  uint64_t rx_frames_ = 0, rx_bytes_ = 0, csum_frames_ = 0, l3_bad_ = 0, l4_bad_ = 0;
  uint64_t drop_nobuf_[kQueueIds] = {}, drop_bad_[kQueueIds] = {};
  uint64_t cpl_writes_[kNumQ] = {};
  uint64_t completions_ = 0, rd_errs_ = 0, wr_errs_ = 0, last_cpl_cycle_ = 0;
};

std::vector<uint8_t> RandomFrame(std::mt19937_64& rng, size_t max_len = kMaxFrame) {
  RandomSpecOptions o;
  o.max_frame_len = max_len;
  o.p_clean = 0.7;
  return BuildFrame(RandomSpec(rng, o));
}

// A correct TCP/IPv4 frame of `len` bytes (at least 54).
std::vector<uint8_t> CleanFrame(size_t len, uint64_t seed = 1) {
  FrameSpec s;
  s.payload_len = len - 54;
  s.pattern = PayloadPattern::kRandom;
  s.payload_seed = seed;
  return BuildFrame(s);
}

std::string TestName() {
  return std::string("rx_path_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

// ---------------------------------------------------------------------------------------------

// Random frames of every kind into buffers of random sizes and alignments (jumbo frames over
// several buffers, a few posted with length 0), in bursts; the steering moves between queues.
void RunRandom(uint64_t seed, const BenchConfig& cfg, int frames_per_queue) {
  RxBench b(TestName(), seed, cfg);
  const unsigned queues[] = {3, 0, 7};
  for (unsigned q : queues) {
    b.SetupQueue(q, 9);
    b.Enable(q);
  }
  b.Run(20);
  auto& rng = b.rng();
  std::uniform_real_distribution<double> u(0, 1);
  int sent = 0;
  for (unsigned q : queues) {
    b.SetSteering(q);
    for (int i = 0; i < frames_per_queue; ++i) {
      b.TopUp(q, 48, 0.01);
      b.Send(RandomFrame(rng), u(rng) < 0.03);
      ++sent;
      // Bursts of back-to-back frames, then a pause.
      if (u(rng) < 0.15) {
        b.Run(std::uniform_int_distribution<int>(0, 300)(rng));
      } else {
        b.Run(1);
      }
      // Wait for ring room when the host has too much outstanding.
      ASSERT_TRUE(b.RunUntil([&] { return b.queue(q).outstanding() < 400; }, 200000)) << "hang";
    }
    ASSERT_TRUE(b.Drain(400000)) << "hang after " << sent << " frames";
  }
  b.CheckTotals();
  for (unsigned q : queues) {
    EXPECT_EQ(b.QueueCons(q), b.queue(q).assigned) << "queue " << q;
    EXPECT_TRUE(b.QueueRunning(q));
  }
  EXPECT_EQ(b.rd_errs(), 0u);
  EXPECT_EQ(b.wr_errs(), 0u);
  EXPECT_GT(b.completions(), static_cast<uint64_t>(frames_per_queue) * 2);
  std::printf("%d frames, %llu completions, %llu cycles\n", sent,
              static_cast<unsigned long long>(b.completions()),
              static_cast<unsigned long long>(b.now()));
}

// PCIe Gen4 timing with random ready stalls on AR, AW and W.
TEST(RxPath, RandomFramesGen4Stalls) {
  BenchConfig cfg;
  cfg.axi.ar_stall_percent = 10;
  cfg.axi.aw_stall_percent = 10;
  cfg.axi.w_stall_percent = 10;
  RunRandom(11, cfg, 1000);
}

// PCIe Gen3 timing (half the bandwidth, longer reads), slow write responses.
TEST(RxPath, RandomFramesGen3SlowWrites) {
  BenchConfig cfg;
  cfg.pcie = sim::PcieGen3x16();
  cfg.axi.write_latency = 60;
  RunRandom(31, cfg, 600);
}

// Short read latency and heavy stalls: responses and requests in every interleaving.  The
// stalls halve the write channel, so the link runs at 25 Gb/s (the packet buffer would
// otherwise fill, and drops for room are not predicted).
TEST(RxPath, RandomFramesFastMemory) {
  BenchConfig cfg;
  cfg.link_gbps = 25;
  cfg.pcie.read_latency = 3;
  cfg.pcie.max_reads = 2;
  cfg.axi.write_latency = 1;
  cfg.axi.aw_stall_percent = 40;
  cfg.axi.w_stall_percent = 30;
  cfg.axi.ar_stall_percent = 50;
  RunRandom(41, cfg, 600);
}

// Small frames back to back at the full stream rate (no link-rate spacing), one buffer each.
TEST(RxPath, BackToBackSmallFrames) {
  BenchConfig cfg;
  cfg.link_gbps = 0;
  RxBench b(TestName(), 12, cfg);
  b.SetupQueue(1, 9);
  b.Enable(1);
  b.SetSteering(1);
  b.Run(20);
  for (int i = 0; i < 500; ++i) b.Post(1, 2048, (i * 7) % 64);
  b.Run(400);  // descriptors fetched
  auto& rng = b.rng();
  for (int i = 0; i < 400; ++i) b.Send(RandomFrame(rng, 128));
  ASSERT_TRUE(b.Drain(200000)) << "hang";
  b.CheckTotals();
}

// A descriptor ring across a 1 MiB boundary of the bus address: the fetch adds a read's offset
// to the base's low 20 bits and carries into the high bits with base + 1 kept beside the base
// (nic_rx_desc_fetch).  Elsewhere the rings sit inside 4 KiB pages, where nothing carries.
// Small frames, about three times round the 512-entry ring.
TEST(RxPath, DescriptorRingAcrossA1MiBBoundary) {
  RxBench b(TestName(), 14);
  constexpr unsigned kQ = 5;
  ASSERT_TRUE(b.SetupQueue(kQ, 9, true)) << "no room across a 1 MiB boundary in the arena";
  const HostQueue& hq = b.queue(kQ);
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  ASSERT_NE(hq.ring_bus / kMiB, (hq.ring_bus + 16u * hq.size() - 1) / kMiB);
  b.Enable(kQ);
  b.SetSteering(kQ);
  b.Run(20);
  auto& rng = b.rng();
  constexpr int kFrames = 1400;
  for (int i = 0; i < kFrames; ++i) {
    b.TopUp(kQ, 48);
    b.Send(RandomFrame(rng, 256));
    b.Run(1);
    ASSERT_TRUE(b.RunUntil([&] { return hq.outstanding() < 400; }, 200000)) << "hang";
  }
  ASSERT_TRUE(b.Drain(400000)) << "hang";
  b.CheckTotals();
  EXPECT_EQ(b.completions(), static_cast<uint64_t>(kFrames));
  EXPECT_EQ(b.QueueCons(kQ), hq.assigned);
  EXPECT_TRUE(b.QueueRunning(kQ));
}

// The cache takes what is posted while it has room for it, not only whole batches: with 230 of
// its 256 slots filled (more than 256 - 32), ten more buffers posted are read at once, with no
// frame to free a slot.
TEST(RxPath, CacheNearlyFullStillTakesWhatFits) {
  RxBench b(TestName(), 29);
  b.SetupQueue(3, 9);
  b.Enable(3);
  for (int i = 0; i < 230; ++i) b.Post(3, 2048, 0);
  b.Run(10);
  ASSERT_TRUE(b.RunUntil([&] { return b.Quiet(); }, 5000)) << "hang";
  // Seven batches of 32 and one of 6.
  EXPECT_EQ(b.axi().read_bursts(), 8u);
  for (int i = 0; i < 10; ++i) b.Post(3, 2048, 0);
  b.Run(10);  // the producer index reaches the card
  ASSERT_TRUE(b.RunUntil([&] { return b.Quiet(); }, 5000)) << "hang";
  EXPECT_EQ(b.axi().read_bursts(), 9u) << "ten buffers that fit the cache were not read";
  b.CheckClean();
}

// Directed: frames over two and three buffers at chosen alignments.
TEST(RxPath, FewBuffers) {
  RxBench b(TestName(), 24);
  b.SetupQueue(0, 6);
  b.Enable(0);
  b.SetSteering(0);
  b.Run(50);
  const struct {
    uint16_t len[3];
    unsigned align[3];
    size_t frame;
  } cases[] = {
      {{1000, 1000, 0}, {0, 0, 0}, 1500},   {{1000, 1000, 0}, {5, 60, 0}, 1500},
      {{100, 100, 2048}, {63, 1, 7}, 1200}, {{64, 64, 64}, {0, 0, 0}, 190},
      {{128, 2048, 0}, {32, 33, 0}, 1000},  {{1, 1, 2048}, {0, 63, 17}, 1000},
  };
  uint64_t seed = 1;
  for (const auto& c : cases) {
    for (int i = 0; i < 3; ++i) {
      if (c.len[i] > 0) b.Post(0, c.len[i], c.align[i]);
    }
    b.Run(400);
    b.Send(CleanFrame(c.frame, seed++));
    ASSERT_TRUE(b.Drain(20000)) << "hang, frame of " << c.frame;
  }
  b.CheckTotals();
}

// Jumbo frames over many small buffers at every alignment; a frame that needs more than
// MaxBufs buffers is dropped as bad.
TEST(RxPath, JumboOverManyBuffers) {
  RxBench b(TestName(), 13);
  b.SetupQueue(2, 9);
  b.Enable(2);
  b.SetSteering(2);
  b.Run(20);
  auto& rng = b.rng();
  std::uniform_int_distribution<int> blen(300, 1200), al(0, 63);
  for (int i = 0; i < 60; ++i) {
    // A card that takes nothing fills the ring: Post fails, and so must the loop.
    while (b.queue(2).unassigned() < 40) {
      ASSERT_NO_FATAL_FAILURE(b.Post(2, static_cast<uint16_t>(blen(rng)), al(rng)));
    }
    FrameSpec s;
    s.payload_len = std::uniform_int_distribution<size_t>(3000, 9000)(rng);
    s.pattern = PayloadPattern::kRandom;
    s.payload_seed = rng();
    b.Send(BuildFrame(s));
    b.Run(std::uniform_int_distribution<int>(0, 200)(rng));
  }
  ASSERT_TRUE(b.Drain(400000)) << "hang";
  // Too many buffers: 16 buffers of 64 bytes cannot hold 1454 bytes; 1024 bytes fit.
  b.SetupQueue(3, 6);
  b.Enable(3);
  b.SetSteering(3);
  for (int i = 0; i < 30; ++i) b.Post(3, 64, 0);
  b.Run(600);
  b.Send(CleanFrame(1454, 5));
  b.Send(CleanFrame(1024, 6));
  ASSERT_TRUE(b.Drain(40000)) << "hang";
  EXPECT_EQ(b.drops_bad(3), 1u);
  EXPECT_EQ(b.queue(3).completions, 1u);
  b.CheckTotals();
}

// A small ring: completion phase over many wraps, the host reposting as it goes.
TEST(RxPath, SmallRingWraps) {
  RxBench b(TestName(), 14);
  b.SetupQueue(5, 3);
  b.Enable(5);
  b.SetSteering(5);
  b.Run(20);
  auto& rng = b.rng();
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(b.RunUntil([&] { return b.queue(5).outstanding() < 6; }, 20000)) << "hang";
    b.Post(5, 2048, std::uniform_int_distribution<unsigned>(0, 63)(rng));
    b.Send(RandomFrame(rng, 1500));
  }
  ASSERT_TRUE(b.Drain(100000)) << "hang";
  b.CheckTotals();
  EXPECT_EQ(b.queue(5).completions, 200u);
}

// Frames steered to three queues in turn, queued behind a slow write channel so that the
// planner takes them back to back, with a few buffers posted (some of length 0): a queue's
// counts right after the planner took from it a frame or two before, and frames dropped for
// want of buffers in between.
TEST(RxPath, InterleavedQueuesFewBuffers) {
  BenchConfig cfg;
  cfg.link_gbps = 0;
  cfg.axi.aw_stall_percent = 70;
  cfg.axi.w_stall_percent = 70;
  RxBench b(TestName(), 31, cfg);
  const unsigned queues[] = {1, 2, 6};
  for (unsigned q : queues) {
    b.SetupQueue(q, 4);
    b.Enable(q);
  }
  b.Run(20);
  auto& rng = b.rng();
  std::uniform_int_distribution<int> nbufs(0, 4), len(60, 700), pick(0, 2);
  std::uniform_real_distribution<double> u(0, 1);
  for (int round = 0; round < 60; ++round) {
    for (unsigned q : queues) {
      for (int n = nbufs(rng); n > 0 && b.queue(q).outstanding() + 1 < b.queue(q).mask(); --n) {
        b.Post(q, u(rng) < 0.1 ? 0 : static_cast<uint16_t>(len(rng)), u(rng) < 0.5 ? 0 : 7);
      }
    }
    b.Run(300);  // descriptors fetched
    const int frames = std::uniform_int_distribution<int>(6, 15)(rng);
    for (int i = 0; i < frames; ++i) {
      b.SetSteering(queues[round % 2 == 0 ? i % 3 : pick(rng)]);
      b.Send(RandomFrame(rng, 900));
      // The steering is taken with the frame's last beat.
      ASSERT_TRUE(b.RunUntil([&] { return b.WireIdle(); }, 2000)) << "wire stuck";
    }
    ASSERT_TRUE(b.Drain(100000)) << "hang in round " << round;
  }
  b.CheckTotals();
}

// Drops: nothing posted, the queue disabled, a queue the card does not have, frames the MAC
// flagged, runts and frames longer than MaxFrameBytes.
TEST(RxPath, Drops) {
  RxBench b(TestName(), 15);
  b.SetupQueue(4, 6);
  b.Enable(4);
  b.SetSteering(4);
  b.Run(50);
  auto& rng = b.rng();
  // Nothing posted.
  for (int i = 0; i < 5; ++i) b.Send(CleanFrame(1500, rng()));
  ASSERT_TRUE(b.Drain(20000));
  EXPECT_EQ(b.drops_nobuf(4), 5u);
  // Too few buffers for a big frame; a small one still fits.
  b.Post(4, 1000, 3);
  b.Run(400);
  FrameSpec big;
  big.payload_len = 3000;
  b.Send(BuildFrame(big));
  FrameSpec small;
  small.payload_len = 100;
  b.Send(BuildFrame(small));
  ASSERT_TRUE(b.Drain(20000));
  // Bad frames: flagged by the MAC, runts, too long.
  for (int i = 0; i < 4; ++i) b.Post(4, 2048, 0);
  b.Send(CleanFrame(1500, rng()), true);
  b.Send(std::vector<uint8_t>(13, 0x11));
  b.Send(std::vector<uint8_t>(1, 0x22));
  std::vector<uint8_t> huge(kMaxFrame + 1, 0x33);
  b.Send(huge);
  b.Send(std::vector<uint8_t>(20000, 0x44));
  std::vector<uint8_t> max(kMaxFrame, 0x55);  // the longest good frame: dropped for room only
  b.Send(max);
  b.Send(CleanFrame(1000, rng()));
  ASSERT_TRUE(b.Drain(50000));
  // A queue the card does not have, then a disabled one.
  b.SetSteering(12);
  b.Send(CleanFrame(500, rng()));
  ASSERT_TRUE(b.Drain(20000));
  b.SetSteering(6);
  b.Send(CleanFrame(500, rng()));
  ASSERT_TRUE(b.Drain(20000));
  b.CheckTotals();
  EXPECT_EQ(b.drops_bad(4), 5u);
  EXPECT_EQ(b.drops_nobuf(12), 1u);
  EXPECT_EQ(b.drops_nobuf(6), 1u);
}

// Buffers posted with length 0 come back alone with err_desc; one met inside a frame's walk
// ends the walk (the frame is dropped) and comes back when it reaches the head.
TEST(RxPath, ZeroLengthBuffers) {
  RxBench b(TestName(), 16);
  b.SetupQueue(0, 5);
  b.Enable(0);
  b.SetSteering(0);
  b.Run(50);
  auto& rng = b.rng();
  b.Post(0, 0, 0);
  b.Post(0, 0, 5);
  b.Post(0, 2048, 9);
  b.Post(0, 600, 1);
  b.Post(0, 0, 0);
  b.Post(0, 2048, 0);
  b.Run(400);
  b.Send(CleanFrame(1500, rng()));  // err_desc, err_desc, then the frame in buffer 2
  FrameSpec s;
  s.payload_len = 900;
  b.Send(BuildFrame(s));  // needs buffers 3 and 4, 4 has length 0: dropped
  b.Send(BuildFrame(s));  // dropped again
  FrameSpec t;
  t.payload_len = 300;
  b.Send(BuildFrame(t));  // fits buffer 3
  b.Send(BuildFrame(t));  // err_desc for 4, then buffer 5
  ASSERT_TRUE(b.Drain(50000));
  b.CheckTotals();
  EXPECT_EQ(b.drops_nobuf(0), 2u);
  EXPECT_EQ(b.queue(0).completions, 6u);
}

// A write error on a frame's data sets err_dma on its completion; the queue goes on.
TEST(RxPath, DataWriteError) {
  RxBench b(TestName(), 17);
  b.SetupQueue(3, 6);
  b.Enable(3);
  b.SetSteering(3);
  b.Run(50);
  auto& rng = b.rng();
  for (int i = 0; i < 30; ++i) {
    b.TopUp(3, 20);
    b.Send(CleanFrame(std::uniform_int_distribution<size_t>(60, 4000)(rng), rng()), false,
           i % 7 == 3);
    b.Run(50);
  }
  ASSERT_TRUE(b.Drain(100000));
  b.CheckTotals();
  EXPECT_GE(b.wr_errs(), 4u);
  EXPECT_TRUE(b.QueueRunning(3));
}

// A descriptor read answered with an error stops the queue (desc_dma); frames are then dropped.
TEST(RxPath, DescriptorReadError) {
  RxBench b(TestName(), 18);
  b.SetupQueue(2, 6);
  b.Enable(2);
  b.SetSteering(2);
  b.Run(50);
  auto& rng = b.rng();
  for (int i = 0; i < 4; ++i) b.Post(2, 2048, 0);
  for (int i = 0; i < 4; ++i) b.Send(CleanFrame(1500, rng()));
  ASSERT_TRUE(b.Drain(50000));
  // The next descriptors' line answers with an error.
  HostQueue& hq = b.queue(2);
  b.mem().InjectError(hq.ring_bus + 16u * hq.prod, 16, 1, true, false);
  b.Post(2, 2048, 0);
  ASSERT_TRUE(b.RunUntil([&] { return !b.QueueRunning(2); }, 5000)) << "queue still running";
  EXPECT_EQ(b.QueueErr(2), 4u);  // desc_dma
  b.Run(5);
  EXPECT_GE(b.rd_errs(), 1u);
  hq.running = false;
  for (int i = 0; i < 3; ++i) b.Send(CleanFrame(1500, rng()));
  ASSERT_TRUE(b.Drain(50000));
  b.CheckTotals();
  EXPECT_EQ(b.drops_nobuf(2), 3u);
}

// A completion write answered with an error stops the queue (cpl_dma) and it writes nothing
// more; disabling and re-enabling brings it back at index 0.
TEST(RxPath, CompletionWriteError) {
  RxBench b(TestName(), 19);
  b.SetupQueue(6, 5);
  b.Enable(6);
  b.SetSteering(6);
  b.Run(50);
  auto& rng = b.rng();
  HostQueue& hq = b.queue(6);
  for (int i = 0; i < 3; ++i) {
    b.Post(6, 2048, 0);
    b.Send(RandomFrame(rng, 1500));
  }
  ASSERT_TRUE(b.Drain(50000));
  b.mem().InjectError(hq.cpl_bus + 16u * hq.cidx, 16, 1, false, true);
  b.Post(6, 2048, 0);
  std::vector<uint8_t> f = RandomFrame(rng, 1500);
  b.Send(f);
  ASSERT_TRUE(b.RunUntil([&] { return !b.QueueRunning(6); }, 5000)) << "queue still running";
  EXPECT_EQ(b.QueueErr(6), 5u);  // cpl_dma
  b.Run(500);
  // The failed completion never announced itself; forget it.
  ASSERT_EQ(hq.expect.size(), 1u);
  hq.expect.clear();
  hq.running = false;
  b.Send(RandomFrame(rng, 800));
  b.Run(2000);
  EXPECT_TRUE(b.top().idle_o);
  // Re-enable: index 0, phase 1, a fresh ring.
  b.Disable(6, true);
  b.Run(5);
  for (auto& s : hq.slots) {
    if (s.chunk) {
      if (s.len > 0) b.mem().Revoke(s.bus(), s.len, false, true);
    }
  }
  for (uint32_t i = hq.done; i != hq.prod; i = (i + 1) & hq.mask()) {
    b.mem().Revoke(hq.ring_bus + 16u * i, 16, true, false);
  }
  b.SetupQueue(6, 5);
  b.Enable(6);
  b.Run(5);
  EXPECT_TRUE(b.QueueRunning(6));
  EXPECT_EQ(b.QueueErr(6), 0u);
  for (int i = 0; i < 3; ++i) {
    b.Post(6, 2048, 0);
    b.Send(RandomFrame(rng, 1500));
  }
  ASSERT_TRUE(b.Drain(50000));
  b.CheckTotals();
  EXPECT_EQ(hq.completions, 3u);
}

// Small frames back to back with a completion write error in the last entry of a line: the
// queue stops, and the line it was gathering behind (completions whose data was answered) is
// dropped, not written after the stop.
TEST(RxPath, CompletionWriteErrorDropsTheOpenLine) {
  BenchConfig cfg;
  cfg.link_gbps = 0;
  RxBench b(TestName(), 23, cfg);
  b.SetupQueue(6, 6);
  b.Enable(6);
  b.SetSteering(6);
  b.Run(20);
  for (int i = 0; i < 40; ++i) b.Post(6, 2048, 0);
  b.Run(400);  // descriptors fetched
  HostQueue& hq = b.queue(6);
  constexpr unsigned kBad = 7;  // the last entry of the second line at 512 bits
  b.mem().InjectError(hq.cpl_bus + 16u * kBad, 16, 1, false, true);
  auto& rng = b.rng();
  for (int i = 0; i < 32; ++i) b.Send(RandomFrame(rng, 64 + (i % 3) * 32));
  ASSERT_TRUE(b.RunUntil([&] { return !b.QueueRunning(6); }, 20000)) << "queue still running";
  EXPECT_EQ(b.QueueErr(6), 5u);  // cpl_dma
  const uint64_t at_stop = b.cpl_writes(6);
  EXPECT_GE(at_stop, 2u) << "the lines up to the bad one";
  b.Run(2000);
  EXPECT_EQ(b.cpl_writes(6), at_stop) << "completion lines written after the queue stopped";
  EXPECT_LE(hq.completions, kBad);
  EXPECT_EQ(b.wr_errs(), 1u);
  EXPECT_TRUE(b.top().idle_o) << "dropped completions never retired";
  // Disabled and set up again, the queue works.
  hq.expect.clear();
  b.Disable(6, true);
  b.Run(5);
  for (uint32_t i = hq.done; i != hq.prod; i = (i + 1) & hq.mask()) {
    b.mem().Revoke(hq.ring_bus + 16u * i, 16, true, false);
    if (hq.slots[i].len > 0) b.mem().Revoke(hq.slots[i].bus(), hq.slots[i].len, false, true);
  }
  b.SetupQueue(6, 5);
  b.Enable(6);
  b.Run(5);
  EXPECT_TRUE(b.QueueRunning(6));
  for (int i = 0; i < 3; ++i) {
    b.Post(6, 2048, 0);
    b.Send(RandomFrame(rng, 200));
  }
  ASSERT_TRUE(b.Drain(50000));
  EXPECT_EQ(hq.completions, 3u);
}

// Ring state checks at enable: misaligned bases, log2 0, prod >= size; and prod >= size later.
TEST(RxPath, RingStateErrors) {
  RxBench b(TestName(), 20);
  b.SetupQueue(1, 4);
  b.ring_skew_[1] = 16;
  b.Enable(1, false);
  b.Run(10);
  EXPECT_FALSE(b.QueueRunning(1));
  EXPECT_EQ(b.QueueErr(1), 1u);  // ring_align
  b.Disable(1, true);
  b.Run(3);
  b.ring_skew_[1] = 0;
  b.override_log2_[1] = 0;
  b.Enable(1, false);
  b.Run(10);
  EXPECT_EQ(b.QueueErr(1), 2u);  // size
  b.Disable(1, true);
  b.Run(3);
  b.override_log2_[1] = -1;
  b.override_prod_[1] = 16;
  b.Enable(1, false);
  b.Run(10);
  EXPECT_EQ(b.QueueErr(1), 3u);  // prod
  b.Disable(1, true);
  b.Run(3);
  b.override_prod_[1] = -1;
  b.Enable(1);
  b.Run(10);
  EXPECT_TRUE(b.QueueRunning(1));
  EXPECT_EQ(b.QueueErr(1), 0u);
  b.override_prod_[1] = 20;
  b.Run(10);
  EXPECT_FALSE(b.QueueRunning(1));
  EXPECT_EQ(b.QueueErr(1), 3u);
  b.Disable(1, true);
  b.override_prod_[1] = -1;
  b.Run(10);
  b.CheckClean();
}

// Queue 4 up with 200 buffers posted at once while reads are held on AR: its first batch waits
// in the AR register, its second in the stage before the issue.
void HoldQueue4sReads(RxBench& b) {
  b.HoldReads(true);
  b.SetupQueue(4, 9);
  b.Enable(4);
  for (int i = 0; i < 200; ++i) b.Post(4, 2048, 0);
  b.Run(200);
  ASSERT_TRUE(b.top().m_axi_arvalid_o) << "no read waiting on AR";
  EXPECT_EQ(b.axi().read_bursts(), 0u);
}

// A queue stopped while a batch of it is picked and waiting to be read: the batch is dropped,
// never read.  The fetch picks from last cycle's running state, so only the check at the issue
// keeps a stopped queue's batch off the bus.  Reads are held on AR while the queue is up: the
// first batch waits in the AR register and the next in the stage before the issue.  The queue
// is disabled, then AR released: the read that was already on AR goes, the picked one must not.
TEST(RxPath, StopWhileABatchWaitsToBeRead) {
  RxBench b(TestName(), 27);
  ASSERT_NO_FATAL_FAILURE(HoldQueue4sReads(b));
  b.Disable(4, false);
  b.Run(20);
  EXPECT_FALSE(b.QueueRunning(4));
  b.HoldReads(false);
  ASSERT_TRUE(b.RunUntil([&] { return b.Quiet(); }, 5000)) << "hang";
  EXPECT_EQ(b.axi().read_bursts(), 1u) << "a batch picked before the stop was read after it";
  b.CheckClean();
}

// A queue restarted while a batch of it waits behind another queue's: the batch, picked from
// the old run, is dropped, not read from the new run's ring.  The fetch holds a pick in two
// stages before the issue.  With reads held on AR, queue 4's first batch waits in the AR
// register and its second in the stage before the issue; queue 5's batch is picked behind it.
// Queue 5 restarts on fresh rings with nothing posted and stays unblocked long enough to look
// eligible again; then AR is released.  Only queue 4's rings may be read: the new ring has no
// descriptor granted, and a read of it is a DMA violation.
TEST(RxPath, RestartWhileABatchWaitsBehindAnother) {
  RxBench b(TestName(), 28);
  ASSERT_NO_FATAL_FAILURE(HoldQueue4sReads(b));
  b.SetupQueue(5, 9);
  b.Enable(5);
  for (int i = 0; i < 40; ++i) b.Post(5, 2048, 0);
  b.Run(50);
  b.Restart(5, 9);
  ASSERT_TRUE(b.RunUntil([&] { return !b.Retired(5); }, 1000)) << "no restart";
  b.Run(50);
  EXPECT_TRUE(b.QueueRunning(5));
  EXPECT_EQ(b.axi().read_bursts(), 0u);
  b.HoldReads(false);
  ASSERT_TRUE(b.RunUntil([&] { return b.Quiet(); }, 5000)) << "hang";
  // Queue 4's 200 descriptors, posted at once: six batches of 32 and one of 8.  None of
  // queue 5's.
  EXPECT_EQ(b.axi().read_bursts(), 7u);
  b.CheckClean();
}

// Disabling a queue under traffic: frames already given buffers finish (completions
// included), later ones are dropped; nothing is written once the card is idle.
TEST(RxPath, DisableUnderTraffic) {
  RxBench b(TestName(), 21);
  b.SetupQueue(7, 9);
  b.Enable(7);
  b.SetSteering(7);
  b.Run(50);
  auto& rng = b.rng();
  for (int i = 0; i < 300; ++i) b.Post(7, 2048, 0);
  b.Run(500);
  const int n = 200;
  for (int i = 0; i < n; ++i) b.Send(RandomFrame(rng, 1500));
  b.Run(600);
  HostQueue& hq = b.queue(7);
  b.Disable(7, false);
  ASSERT_TRUE(b.RunUntil([&] { return b.Quiet(); }, 200000)) << "hang";
  b.Run(100);
  ASSERT_TRUE(b.top().idle_o);
  // Whatever did not complete was dropped for want of a running queue.
  const uint64_t completed = hq.completions;
  EXPECT_GT(completed, 0u);
  EXPECT_LT(completed, static_cast<uint64_t>(n));
  b.set_want_nobuf(7, b.want_nobuf(7) + hq.expect.size());
  hq.expect.clear();
  // The completion ring is not writable any more: a stray write would be a violation.
  b.mem().Revoke(hq.cpl_bus, 16u * hq.size(), false, true);
  b.Run(1000);
  b.CheckTotals();
}

// Re-enabling a queue while its frames are in flight: the new run starts only once the old
// one's frames are finished, on the old rings (the ring registers already name the new ones).
// Write responses take 400 cycles, so the frames are written but not completed when the host
// restarts the queue.
TEST(RxPath, RestartWhileInFlight) {
  BenchConfig cfg;
  cfg.axi.write_latency = 400;
  cfg.axi.max_writes = 256;
  RxBench b(TestName(), 25, cfg);
  b.SetupQueue(2, 9);
  b.Enable(2);
  b.SetSteering(2);
  b.Run(50);
  auto& rng = b.rng();
  // Before each frame, room for 40 more buffers: a frame predicted to find too few buffers
  // must not find more by the time the card plans it.
  auto send = [&] {
    HostQueue& hq = b.queue(2);
    ASSERT_TRUE(b.RunUntil([&] { return hq.outstanding() + 40 < hq.mask(); }, 100000));
    b.TopUp(2, 30);
    b.Send(RandomFrame(rng, 4000));
  };
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 60; ++i) send();
    ASSERT_TRUE(b.RunUntil([&] { return b.WireIdle(); }, 100000));
    b.Run(200);
    const uint64_t before = b.completions();
    ASSERT_FALSE(b.Quiet()) << "nothing in flight";
    b.Restart(2, 7 + round);
    ASSERT_TRUE(b.RunUntil([&] { return !b.Retired(2); }, 200000)) << "no restart";
    EXPECT_GT(b.completions(), before) << "the old run's frames were not finished";
    EXPECT_TRUE(b.QueueRunning(2));
    EXPECT_EQ(b.QueueCons(2), 0);
  }
  for (int i = 0; i < 50; ++i) send();
  ASSERT_TRUE(b.Drain(200000)) << "hang";
  b.CheckTotals();
}

// Checksum verification off: every completion's csum is 0.
TEST(RxPath, ChecksumDisabled) {
  BenchConfig cfg;
  cfg.csum_enable = false;
  RxBench b(TestName(), 22, cfg);
  b.SetupQueue(0, 6);
  b.Enable(0);
  b.SetSteering(0);
  b.Run(50);
  auto& rng = b.rng();
  for (int i = 0; i < 40; ++i) {
    b.TopUp(0, 20);
    b.Send(RandomFrame(rng, 3000));
  }
  ASSERT_TRUE(b.Drain(100000));
  b.CheckTotals();
}

// Throughput with the Gen4 preset, frames back to back at the stream rate, one buffer each
// (line-aligned, or 7 bytes into a line).  A measurement, printed; it asserts only progress.
TEST(RxPath, Throughput) {
  struct Case {
    size_t len;
    unsigned align;
    int frames;
  };
  for (const Case& k :
       {Case{64, 0, 3000}, Case{64, 7, 3000}, Case{512, 0, 1500}, Case{512, 7, 1500},
        Case{1518, 0, 800}, Case{1518, 7, 800}, Case{9000, 0, 200}, Case{9000, 7, 200}}) {
    BenchConfig cfg;
    cfg.link_gbps = 0;
    RxBench b(TestName() + "_" + std::to_string(k.len), 23, cfg);
    b.SetupQueue(0, 9);
    b.Enable(0);
    b.SetSteering(0);
    const uint16_t blen = k.len <= 2048 ? 2048 : 9216;
    for (int i = 0; i < 500; ++i) b.Post(0, blen, k.align);
    b.Run(2000);  // descriptors in the cache
    FrameSpec s;
    s.l4 = L4Kind::kUdp;
    s.payload_len = k.len - 14 - 20 - 8;
    const std::vector<uint8_t> f = BuildFrame(s);
    ASSERT_EQ(f.size(), k.len);
    // The host cannot know which frames find room: drops are counted, not predicted.
    b.SetLoose(f, blen, k.align);
    const uint64_t start = b.now();
    for (int i = 0; i < k.frames; ++i) b.Send(f);
    ASSERT_TRUE(b.RunUntil(
        [&] { return b.completions() + b.drops_nobuf(0) >= static_cast<uint64_t>(k.frames); },
        40ull * k.frames * (k.len / 64 + 1) + 20000))
        << "hang";
    const double cycles = static_cast<double>(b.last_cpl_cycle() - start);
    const double fpc = static_cast<double>(b.completions()) / cycles;
    std::printf(
        "rx_path throughput %5zu B at lane %2u: %.3f frames/cycle, %.1f bytes/cycle, "
        "%llu of %d dropped for room\n",
        k.len, k.align, fpc, fpc * static_cast<double>(k.len),
        static_cast<unsigned long long>(b.drops_nobuf(0)), k.frames);
    std::printf("  %.2f write beats a frame (the write channel carries %.2f beats a cycle)\n",
                static_cast<double>(b.axi().write_beats()) / static_cast<double>(b.completions()),
                static_cast<double>(b.axi().write_beats()) / cycles);
    ::testing::Test::RecordProperty(
        "frames_per_cycle_" + std::to_string(k.len) + "_lane" + std::to_string(k.align),
        std::to_string(fpc));
    EXPECT_GT(b.completions(), 0u);
    b.CheckClean();
  }
}

}  // namespace
}  // namespace mbufnic::rtltest
