// The card as an event simulation (see model_device.h for what is and is not modelled).
//
// Structure, following the RTL's data paths:
//   - descriptor prefetch: per queue, batches of up to kFetchDescs posted descriptors into a
//     cache, as soon as the host writes prod (nic_rx_desc_fetch and its transmit twin);
//   - transmit engine: one frame at a time, queues served round robin; gathers the frame's
//     buffers, checks it (tx_err), runs segmentation and the checksum twin; reads for later
//     frames are issued while earlier ones are in flight, up to a read latency ahead of the
//     wire;
//   - MAC: sends frames in the order they were gathered at the link rate (the wire's byte
//     budget, beat by beat); a frame's completion is written as its last segment starts on the
//     wire, or once its fate is known when nothing is sent;
//   - receive: frames from the wire enter one beat per cycle, go through the checksum
//     classifier and into a packet buffer (bad frames and overflow are dropped there); a mover
//     takes them in order, finds buffers and writes data and completion;
//   - interrupt moderation per queue, as nic_irq_mod.
// Time advances from event to event; nothing happens between events, so an idle card costs
// nothing however long it runs.
#include "model_device.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <queue>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/host_memory.h"
#include "core/wire.h"
#include "firmware_host.h"
#include "mbufnic/hw/nic_hw.h"
#include "sim_options.h"

namespace mbufnic::device {

namespace csr = hw::csr;
using hw::QueueErr;
using hw::SegErr;
using hw::SegKind;
using hw::TxErr;

namespace {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();
// AXI bursts never cross a 4 KiB boundary and carry at most 4 KiB (64 beats of 512 bits).
constexpr std::uint64_t kBurstBytes = 4096;
// Descriptor prefetch: at most this many descriptors per read, this many cached per queue.
constexpr std::uint32_t kFetchDescs = 32;
constexpr std::size_t kCacheDescs = 256;
// Cycles through the segmenter and checksum engine's pipelines beyond the bytes themselves.
constexpr std::uint64_t kOffloadLatency = 16;
// Cycles from a decision to its completion write (the write arbiter and a register stage).
constexpr std::uint64_t kCplLatency = 2;
// The wire's transmit budget: preamble, start delimiter and gap per frame, and at most one
// maximal frame saved up (sim/core/wire.cc keeps the same budget).
constexpr double kWireOverhead = 20;
constexpr double kWireBudgetCap = 9216 + kWireOverhead;
// The receive packet buffer (nic_rx_pkt_buf): beats of storage and frame records.
constexpr std::uint64_t kRxBufBeats = 1024;
constexpr std::size_t kRxFrameSlots = 512;

// The txq and rxq blocks share one register layout, so one decoder serves both.
static_assert(csr::txq::kSize == csr::rxq::kSize && csr::txq::kCtrl == csr::rxq::kCtrl &&
              csr::txq::kRingLo == csr::rxq::kRingLo && csr::txq::kRingHi == csr::rxq::kRingHi &&
              csr::txq::kCplLo == csr::rxq::kCplLo && csr::txq::kCplHi == csr::rxq::kCplHi &&
              csr::txq::kRingSize == csr::rxq::kRingSize && csr::txq::kProd == csr::rxq::kProd &&
              csr::txq::kCons == csr::rxq::kCons && csr::txq::kStatus == csr::rxq::kStatus &&
              csr::txq::kIrq == csr::rxq::kIrq && csr::txq::kIrqTime == csr::rxq::kIrqTime &&
              csr::txq::kPackets == csr::rxq::kPackets &&
              csr::txq::kBytesLo == csr::rxq::kBytesLo &&
              csr::txq::kBytesHi == csr::rxq::kBytesHi && csr::txq::kDrops == csr::rxq::kDrops &&
              csr::txq::kErrors == csr::rxq::kErrors);
static_assert(csr::txq::ring_size::kLog2Mask == csr::rxq::ring_size::kLog2Mask &&
              csr::txq::prod::kIndexMask == csr::rxq::prod::kIndexMask &&
              csr::txq::irq::kPktsMask == csr::rxq::irq::kPktsMask &&
              csr::txq::irq::kArmMask == csr::rxq::irq::kArmMask &&
              csr::txq::irq_time::kCyclesMask == csr::rxq::irq_time::kCyclesMask &&
              csr::txq::status::kRunningMask == csr::rxq::status::kRunningMask &&
              csr::txq::status::kErrShift == csr::rxq::status::kErrShift);

std::uint64_t CeilDiv(std::uint64_t a, double per) {
  return per <= 0 ? 0 : static_cast<std::uint64_t>(std::ceil(static_cast<double>(a) / per));
}

std::uint16_t Be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

// A descriptor the card has read: the fields it uses, its ring index and when it arrived.
struct CachedDesc {
  std::uint64_t addr = 0;
  std::uint16_t len = 0;
  bool eop = false;        // transmit only
  hw::TxOffloadCmd cmd{};  // transmit only
  std::uint16_t index = 0;
  std::uint64_t ready = 0;  // cycle its read data is on the card
};

struct Queue {
  bool tx = true;
  unsigned index = 0;

  // Registers as the host wrote them.
  bool enable = false;
  std::uint32_t ring_lo = 0, ring_hi = 0, cpl_lo = 0, cpl_hi = 0;
  std::uint32_t log2_reg = 0, prod = 0;
  std::uint32_t irq_pkts = csr::txq::irq::kReset & csr::txq::irq::kPktsMask;
  std::uint32_t irq_cycles = 0;

  // Ring state, latched at enable.
  bool running = false;
  QueueErr err = QueueErr::kNone;
  std::uint64_t ring = 0, cpl = 0;
  std::uint32_t size = 0;
  unsigned log2 = 0;
  std::uint32_t fetch = 0;  // next descriptor to read
  std::uint32_t cons = 0;   // receive: next buffer to fill
  std::deque<CachedDesc> cache;
  std::uint64_t fetch_free = 0;  // a new descriptor read may be issued from here
  std::uint64_t cpl_next = 0;    // completions handed out since enable
  // Bumped whenever the queue stops or restarts: work in flight from an older run writes
  // nothing ("the card ... writes nothing afterwards").
  std::uint64_t epoch = 0;

  // Interrupt moderation (nic_irq_mod): armed out of reset.
  bool armed = true;
  std::uint32_t pending = 0;        // completions not yet signalled
  std::uint64_t first_pending = 0;  // cycle of the first of them (or of the timer's start)
  bool timer_out = false;           // the timer ran out before irq_time was changed
  std::uint64_t irq_gen = 0;        // bumped when the count restarts: stale timers do nothing

  // Counters.
  std::uint32_t packets = 0, drops = 0, errors = 0, bytes_hi = 0;
  std::uint64_t bytes = 0;

  std::uint32_t desc_bytes() const { return tx ? hw::TxDesc::kBytes : hw::RxDesc::kBytes; }
  std::uint32_t cpl_bytes() const { return tx ? hw::TxCpl::kBytes : hw::RxCpl::kBytes; }
  std::uint32_t posted_unread() const { return (prod - fetch) & (size - 1); }

  // Ring index and phase of the next completion.
  std::pair<std::uint32_t, bool> TakeCompletionSlot() {
    const std::uint64_t k = cpl_next++;
    return {static_cast<std::uint32_t>(k & (size - 1)), ((k >> log2) & 1) == 0};
  }
};

// A transmit frame's completion, on its way to the ring.
struct TxDone {
  unsigned queue = 0;
  std::uint64_t epoch = 0;
  hw::TxCpl cpl{};
  std::uint32_t slot = 0;   // completion ring index
  std::uint32_t bytes = 0;  // as gathered, for the queue's byte counter
};

// A received frame waiting in the packet buffer.
struct RxFrame {
  std::vector<std::uint8_t> data;
  hw::RxCsumResult csum{};
  bool vlan = false;
  std::uint16_t tci = 0;
  std::uint32_t queue = 0;
  std::uint64_t beats = 0;
  std::uint64_t arrived = 0;  // cycle after its last beat
  bool bad = false;           // the MAC marked it bad
};

// One receive completion to write, with the pieces of the frame that go before it.
struct RxPiece {
  std::uint64_t addr;
  std::size_t off, len;  // in the frame
};
struct RxWrite {
  hw::RxCpl cpl{};
  std::uint32_t slot = 0;
  std::vector<RxPiece> pieces;
};
// What the mover hands to the write channel for one frame: completions of zero-length buffers
// and, unless it was dropped, the frame's.
struct RxJob {
  unsigned queue = 0;
  std::uint64_t epoch = 0;
  std::vector<std::uint8_t> data;
  std::vector<RxWrite> writes;
};

struct Event {
  std::uint64_t time;
  std::uint64_t seq;
  std::function<void()> fn;
  bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

void CheckParams(const ModelParams& p) {
  auto bad = [](const std::string& what) { throw DeviceError("model: " + what); };
  if (p.num_txq < 1 || p.num_txq > csr::txq::kCount) bad("num_txq must be 1 to 256");
  if (p.num_rxq < 1 || p.num_rxq > csr::rxq::kCount) bad("num_rxq must be 1 to 256");
  if (p.tx_max_descs < 1 || p.tx_max_descs > 255) bad("tx_max_descs must be 1 to 255");
  if (p.rx_max_bufs < 1 || p.rx_max_bufs > 31) bad("rx_max_bufs must be 1 to 31");
  if (p.stream_width < 64 || p.stream_width > 512 || (p.stream_width & (p.stream_width - 1)) != 0) {
    bad("stream_width must be a power of two from 64 to 512");
  }
  if (p.max_frame < 64 || p.max_frame > 65535) bad("max_frame must be 64 to 65535");
  if (p.clock_mhz <= 0) bad("clock_mhz must be positive");
}

}  // namespace

struct ModelDevice::Impl {
  ModelParams p;
  std::unique_ptr<sim::HostMemory> mem;
  std::unique_ptr<sim::Wire> wire;
  double pcie_bpc = 0;  // PCIe bytes per cycle, each way
  std::uint64_t read_latency = 0;
  std::uint32_t line = 64;      // stream beat in bytes
  double link_bpc = 0;          // link bytes per cycle (0: unlimited)
  std::size_t csum_buffer = 0;  // nic_csum_tx frame buffer in bytes

  std::uint64_t now = 0;
  std::uint64_t seq = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events;
  std::vector<std::uint32_t> interrupts;

  std::vector<Queue> txq, rxq;

  // Transmit engine and MAC.
  std::uint64_t tx_free = 0;      // the engine may start its next frame
  std::uint64_t stream_free = 0;  // the offload pipeline's input is free
  unsigned tx_rr = 0;             // queue to look at first
  std::uint64_t mac_free = 0;     // the MAC stream is free
  // Frames on their way out and completions on their way to the rings, each in the order of
  // its events (wire times and completion times never decrease), so an event takes the front
  // and carries nothing itself.
  std::deque<std::pair<std::uint64_t, std::vector<std::uint8_t>>> tx_frames;
  std::deque<TxDone> tx_dones;
  std::uint64_t last_tx_cpl = 0;  // transmit completions go out in order
  double link_budget = 0;         // starts empty and fills at the link rate, as the wire's does
  std::uint64_t link_cycle = 0;

  // Receive port, packet buffer and mover; frames between the port and the packet buffer and
  // writes on their way to host memory wait in FIFOs, as transmit frames do.
  std::uint64_t rx_port_free = 0;
  std::deque<RxFrame> rx_arrivals;
  std::deque<RxJob> rx_jobs;
  std::uint64_t last_rx_write = 0;
  std::deque<RxFrame> rx_buffer;
  std::uint64_t rx_held_beats = 0;
  std::uint64_t rx_mover_free = 0;

  // Registers of the card, csum, tso and port blocks.
  std::uint32_t scratch = 0;
  std::uint32_t host_denied = 0;  // card.host_denied
  std::uint32_t mtu = csr::port::mtu::kReset;
  // The admin block's storage, by word (the rw bits of each register).
  std::array<std::uint32_t, csr::admin::kNumRegs> admin{};
  // The card's management port and its firmware, run beside the model (FirmwareHost).
  MgmtPort mgmt_port;
  std::unique_ptr<FirmwareHost> fw;
  std::uint32_t csum_ctrl = csr::csum::ctrl::kReset;
  std::uint32_t cs_tx_frames = 0, cs_tx_errors = 0, cs_rx_frames = 0, cs_rx_l3_bad = 0,
                cs_rx_l4_bad = 0;
  std::uint32_t ts_requests = 0, ts_segments = 0, ts_errors = 0;
  SegErr ts_last_err = SegErr::kNone;
  std::uint32_t port_ctrl = csr::port::ctrl::kReset;
  std::uint32_t pt_tx_frames = 0, pt_rx_frames = 0, pt_nobuf = 0, pt_bad = 0, pt_rd_err = 0,
                pt_wr_err = 0, pt_tx_bytes_hi = 0, pt_rx_bytes_hi = 0;
  std::uint64_t pt_tx_bytes = 0, pt_rx_bytes = 0;

  std::vector<std::uint8_t> burst_buf;   // one read burst (4 KiB), for line-aligned reads
  std::vector<std::uint8_t> gather_buf;  // the frame being gathered (the longest the card takes)

  // ==== Events ==================================================================================

  void At(std::uint64_t time, std::function<void()> fn) {
    events.push(Event{std::max(time, now), seq++, std::move(fn)});
  }

  // ==== DMA, as the card's AXI master does it ===================================================

  // Reads [addr, addr + out.size()) in bursts of at most 4 KiB that never cross a 4 KiB
  // boundary; with `lines` every burst covers whole stream beats (an AXI read has no byte
  // enables, so the card reads the lines that hold the bytes it wants).  Returns false when a
  // burst was answered with an error (counted in port.dma_rd_err); `*fault`, when given, is
  // then the offset in `out` of the first byte of the first such burst (0 if it began before).
  bool DmaRead(std::uint64_t addr, std::span<std::uint8_t> out, bool lines,
               std::uint64_t* fault = nullptr) {
    if (out.empty()) return true;
    const std::uint64_t end = addr + out.size();
    if (end < addr) {  // wraps the address space: one burst the memory model refuses
      ++pt_rd_err;
      mem->Read(addr, out);
      if (fault) *fault = 0;
      return false;
    }
    const std::uint64_t lo = lines ? addr & ~std::uint64_t{line - 1} : addr;
    std::uint64_t hi = lines ? (end + line - 1) & ~std::uint64_t{line - 1} : end;
    if (hi < end) hi = end;  // the last line would wrap: read the bytes only
    bool ok = true;
    for (std::uint64_t at = lo; at < hi;) {
      // The end of at's burst, or hi; computed as a distance, since the end of the last burst
      // below 2^64 would wrap to 0 (and the loop start again from there).
      const std::uint64_t stop =
          at + std::min<std::uint64_t>(hi - at, kBurstBytes - (at & (kBurstBytes - 1)));
      // A burst wholly inside the wanted bytes lands in place; one with lines around them
      // goes through the burst buffer.
      const bool direct = at >= addr && stop <= end;
      std::span<std::uint8_t> dst =
          direct ? out.subspan(at - addr, stop - at) : std::span(burst_buf).first(stop - at);
      if (mem->Read(at, dst) != sim::DmaResult::kOk) {
        ++pt_rd_err;
        if (ok && fault) *fault = at > addr ? at - addr : 0;
        ok = false;
      }
      const std::uint64_t a = std::max(at, addr), b = std::min(stop, end);
      if (!direct && a < b) std::memcpy(out.data() + (a - addr), dst.data() + (a - at), b - a);
      at = stop;
    }
    return ok;
  }

  // Writes exactly the bytes of `data` at `addr`, in bursts as above.  Returns false when a
  // burst was answered with an error (counted in port.dma_wr_err).
  bool DmaWrite(std::uint64_t addr, std::span<const std::uint8_t> data) {
    bool ok = true;
    for (std::uint64_t off = 0; off < data.size();) {
      const std::uint64_t at = addr + off;
      const std::uint64_t n =
          std::min<std::uint64_t>(data.size() - off, ((at | (kBurstBytes - 1)) + 1) - at);
      if (mem->Write(at, data.subspan(off, n)) != sim::DmaResult::kOk) {
        ++pt_wr_err;
        ok = false;
      }
      off += n;
    }
    return ok;
  }

  // ==== Queues ==================================================================================

  std::uint32_t Vector(const Queue& q) const { return q.tx ? q.index : p.num_txq + q.index; }

  void Stop(Queue& q, QueueErr err) {
    q.running = false;
    q.err = err;
    q.cache.clear();
    ++q.epoch;
  }

  void Enable(Queue& q) {
    q.ring = (std::uint64_t{q.ring_hi} << 32) | q.ring_lo;
    q.cpl = (std::uint64_t{q.cpl_hi} << 32) | q.cpl_lo;
    q.log2 = q.log2_reg;
    q.size = q.log2 >= 1 && q.log2 <= 15 ? 1u << q.log2 : 0;
    q.fetch = q.cons = 0;
    q.cache.clear();
    q.cpl_next = 0;
    q.fetch_free = now;
    ++q.epoch;
    q.running = true;
    q.err = QueueErr::kNone;
    // The checks in the order of queue_err.
    if (q.ring % 64 != 0 || q.cpl % 64 != 0) {
      Stop(q, QueueErr::kRingAlign);
    } else if (q.size == 0) {
      Stop(q, QueueErr::kSize);
    } else if (q.prod >= q.size) {
      Stop(q, QueueErr::kProd);
    }
  }

  void Disable(Queue& q) {
    q.running = false;
    q.err = QueueErr::kNone;
    q.cache.clear();
    ++q.epoch;
    // nic_irq_mod forgets unsignalled completions when the queue is disabled; arm state stays.
    q.pending = 0;
    q.timer_out = false;
    ++q.irq_gen;
  }

  // Whether q has posted descriptors to read and room for them; *n: how many one read takes.
  bool FetchWanted(const Queue& q, std::uint32_t* n) const {
    if (!q.running) return false;
    const std::uint32_t posted = q.posted_unread();
    if (posted == 0) return false;
    const std::uint64_t at = q.ring + std::uint64_t{q.fetch} * q.desc_bytes();
    const std::uint32_t to_4k =
        static_cast<std::uint32_t>((kBurstBytes - at % kBurstBytes) / q.desc_bytes());
    const std::uint32_t want =
        std::min({posted, kFetchDescs, q.size - q.fetch, std::max(to_4k, 1u)});
    // Issued only when the cache can take the whole batch, so reads stay large.
    if (kCacheDescs - q.cache.size() < want) return false;
    *n = want;
    return true;
  }

  void Fetch(Queue& q, std::uint32_t n, std::uint64_t t) {
    const std::uint32_t db = q.desc_bytes();
    std::vector<std::uint8_t> raw(std::size_t{n} * db);
    const std::uint64_t at = q.ring + std::uint64_t{q.fetch} * db;
    q.fetch_free = t + 1;
    if (!DmaRead(at, raw, false)) {
      Stop(q, QueueErr::kDescDma);
      return;
    }
    const std::uint64_t ready = t + read_latency + CeilDiv(raw.size(), pcie_bpc);
    for (std::uint32_t i = 0; i < n; ++i) {
      CachedDesc c;
      if (q.tx) {
        hw::TxDesc d;
        std::memcpy(d.bytes.data(), raw.data() + std::size_t{i} * db, db);
        c.addr = d.addr();
        c.len = d.len();
        c.eop = d.eop();
        c.cmd = d.cmd();
      } else {
        hw::RxDesc d;
        std::memcpy(d.bytes.data(), raw.data() + std::size_t{i} * db, db);
        c.addr = d.addr();
        c.len = d.len();
      }
      c.index = static_cast<std::uint16_t>(q.fetch);
      c.ready = ready;
      q.cache.push_back(c);
      q.fetch = (q.fetch + 1) & (q.size - 1);
    }
  }

  // Makes sure q's cache holds at least n descriptors, reading posted ones at once if needed
  // (the receive mover does not wait for the prefetcher).  False when fewer are posted or a
  // read failed (the queue then stopped).
  bool EnsureCached(Queue& q, std::size_t n, std::uint64_t t) {
    while (q.running && q.cache.size() < n) {
      if (q.posted_unread() == 0) return false;
      std::uint32_t k = 0;
      if (!FetchWanted(q, &k)) return false;
      Fetch(q, k, t);
    }
    return q.running && q.cache.size() >= n;
  }

  // ==== Interrupt moderation ====================================================================

  void Evaluate(Queue& q) {
    if (!q.armed || q.pending == 0) return;
    const bool count_hit = q.pending >= std::max<std::uint32_t>(q.irq_pkts, 1);
    const bool timer_hit =
        q.irq_cycles != 0 && (q.timer_out || now >= q.first_pending + q.irq_cycles);
    if (!count_hit && !timer_hit) return;
    interrupts.push_back(Vector(q));
    q.armed = false;
    q.pending = 0;
    q.timer_out = false;
    ++q.irq_gen;
  }

  void ScheduleTimer(Queue& q) {
    if (q.pending == 0 || q.irq_cycles == 0) return;
    const std::uint64_t gen = q.irq_gen;
    Queue* qp = &q;
    At(q.first_pending + q.irq_cycles, [this, qp, gen] {
      if (qp->irq_gen == gen) Evaluate(*qp);
    });
  }

  void Completed(Queue& q) {
    if (q.pending == 0) {
      q.first_pending = now;
      q.timer_out = false;
      ++q.pending;
      ScheduleTimer(q);
    } else if (q.pending < 0xffff) {
      ++q.pending;
    }
    Evaluate(q);
  }

  // ==== Transmit ================================================================================

  // The frame at the head of q's cache: its descriptor count, whether it lacks eop within
  // tx_max_descs, and the cycle its descriptors are all on the card.  False when the cache
  // does not hold a whole frame yet.
  bool HeadFrame(const Queue& q, std::size_t* count, bool* overlong, std::uint64_t* ready) const {
    if (!q.running) return false;
    std::uint64_t r = 0;
    const std::size_t limit = std::min<std::size_t>(q.cache.size(), p.tx_max_descs);
    for (std::size_t i = 0; i < limit; ++i) {
      r = std::max(r, q.cache[i].ready);
      if (q.cache[i].eop) {
        *count = i + 1;
        *overlong = false;
        *ready = r;
        return true;
      }
    }
    if (limit == p.tx_max_descs) {
      *count = limit;
      *overlong = true;
      *ready = r;
      return true;
    }
    return false;
  }

  std::uint64_t TxCandidate() const {
    std::uint64_t best = kNever;
    for (const Queue& q : txq) {
      std::size_t n;
      bool overlong;
      std::uint64_t r;
      if (HeadFrame(q, &n, &overlong, &r)) best = std::min(best, r);
    }
    return best == kNever ? kNever : std::max({best, tx_free, now});
  }

  void TxStep(std::uint64_t t) {
    // Round robin over the queues whose next frame is ready by now.
    Queue* q = nullptr;
    std::size_t count = 0;
    bool overlong = false;
    for (unsigned i = 0; i < txq.size() && !q; ++i) {
      Queue& c = txq[(tx_rr + i) % txq.size()];
      std::uint64_t r;
      if (HeadFrame(c, &count, &overlong, &r) && r <= t) q = &c;
    }
    if (!q) return;
    tx_rr = (q->index + 1) % txq.size();

    std::vector<CachedDesc> descs(q->cache.begin(), q->cache.begin() + count);
    q->cache.erase(q->cache.begin(), q->cache.begin() + count);

    TxDone job;
    job.queue = q->index;
    job.epoch = q->epoch;
    const auto [slot, phase] = q->TakeCompletionSlot();
    job.slot = slot;
    job.cpl.set_desc_index(descs.back().index)
        .set_descs(static_cast<std::uint8_t>(count))
        .set_phase(phase);
    const hw::TxOffloadCmd cmd = descs.front().cmd;
    const hw::SegCmd seg = cmd.seg();
    const bool segment = p.cap_tso && (seg.kind() == SegKind::kTcp || seg.kind() == SegKind::kUdp);
    const std::uint64_t hdr = std::uint64_t{seg.l2hlen()} + seg.l3hlen() + seg.l4hlen();

    // The checks that need no data, in the order of tx_err.
    TxErr err = TxErr::kNone;
    std::uint64_t total = 0;
    bool zero = false;
    for (const CachedDesc& d : descs) {
      total += d.len;
      zero = zero || d.len == 0;
    }
    const std::uint64_t limit = segment ? hdr + p.seg.max_payload_bytes : p.max_frame;
    if (overlong) {
      err = TxErr::kDescCount;
    } else if (zero || total > limit) {
      err = TxErr::kDescLen;
    }

    // Gather.
    std::span<std::uint8_t> frame;
    std::uint64_t line_bytes = 0;
    std::uint64_t fault = 0;  // with err dma: the frame offset of the first byte read in error
    if (err == TxErr::kNone) {
      frame = std::span(gather_buf).first(total);
      std::uint64_t off = 0;
      bool ok = true;
      for (const CachedDesc& d : descs) {
        std::uint64_t f = 0;
        if (!DmaRead(d.addr, frame.subspan(off, d.len), true, &f) && ok) {
          ok = false;
          fault = off + f;
        }
        const std::uint64_t lo = d.addr & ~std::uint64_t{line - 1};
        line_bytes += ((d.addr + d.len + line - 1) & ~std::uint64_t{line - 1}) - lo;
        off += d.len;
      }
      if (!ok) err = TxErr::kDma;
    }
    const std::uint64_t data_done = t + read_latency + CeilDiv(line_bytes, pcie_bpc);
    tx_free = t + std::max<std::uint64_t>(1, CeilDiv(line_bytes, pcie_bpc));

    // Offload: segmentation, then the checksum engine on every frame that comes out of it.
    // A read error spoils the frame from the first beat it touched: the card's packer passes
    // on only the whole stream beats before it, so a segmentation request goes on as one that
    // ended there (its segments wholly before the fault are sent) and a plain frame is dropped.
    // The offload counters count what is sent: a segment cut short (by frame_len or the fault)
    // or a dropped frame is in none of them.
    std::vector<std::vector<std::uint8_t>> out;
    if (err == TxErr::kNone || (err == TxErr::kDma && segment)) {
      const bool csum_on = p.cap_tx_csum && (csum_ctrl & csr::csum::ctrl::kTxEnableMask);
      if (segment) {
        const SegRequest req = SegRequest::FromCmd(seg);
        const std::span<std::uint8_t> in =
            err == TxErr::kDma ? frame.first(fault / line * line) : frame;
        const SegErr se = SegmentFrame(in, req, &out, p.seg);
        if (se == SegErr::kNone || (se == SegErr::kFrameLen && in.size() >= hdr)) ++ts_requests;
        ts_segments += static_cast<std::uint32_t>(out.size());
        if (se != SegErr::kNone) {
          ++ts_errors;
          ts_last_err = se;
          if (err == TxErr::kNone) {
            err = TxErr::kSeg;
            job.cpl.set_seg_err(se);
          }
        }
        if (!csum_on) RestoreSeeds(frame, req, &out);
        // The segmenter's checksum commands are always good for headers it accepted.
        cs_tx_frames += static_cast<std::uint32_t>(out.size());
      } else {
        out.emplace_back(frame.begin(), frame.end());
        ++cs_tx_frames;
        if (csum_on) {
          const hw::TxCsumStatus st = InsertTxChecksums(out.back(), cmd.csum(), csum_buffer);
          if (st.err_l4() || st.err_ip4() || st.err_oversize()) ++cs_tx_errors;
        }
      }
    }
    job.cpl.set_err(err).set_segs(static_cast<std::uint16_t>(out.size()));
    job.bytes = static_cast<std::uint32_t>(total);

    // Times.  The offload pipeline takes a beat a cycle and cannot outrun PCIe; each frame it
    // makes is whole in the checksum engine at `ready` and starts on the wire when the wire is
    // free.  Reads for the next frame may be issued while this one is in flight, but no
    // earlier than its data (taken to be as long as this frame's) would reach the wire just as
    // the wire frees: that is as far as the card's buffers let the engine run ahead.
    std::uint64_t cpl_at = err == TxErr::kDescLen || err == TxErr::kDescCount
                               ? t + 1
                               : data_done + CeilDiv(std::max<std::uint64_t>(hdr, 1), line);
    const std::uint64_t start = std::max(t + read_latency, stream_free);
    std::uint64_t beats = 0, in_bytes = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      beats += std::max<std::uint64_t>(1, (out[i].size() + line - 1) / line);
      in_bytes = segment
                     ? std::min<std::uint64_t>(total, in_bytes + out[i].size() - (i == 0 ? 0 : hdr))
                     : total;
      const std::uint64_t ready =
          start + std::max(beats, CeilDiv(in_bytes, pcie_bpc)) + kOffloadLatency;
      stream_free = ready - kOffloadLatency;
      const std::uint64_t on_wire = std::max(ready, mac_free);
      const std::uint64_t last = Transmit(out[i].size(), on_wire);
      mac_free = last + 1;
      cpl_at = on_wire;
      tx_frames.emplace_back(last, std::move(out[i]));
      At(last, [this] {
        const auto& [cycle, f] = tx_frames.front();
        wire->Sent(f, cycle);
        ++pt_tx_frames;
        pt_tx_bytes += std::min<std::size_t>(f.size(), 0xffff);
        tx_frames.pop_front();
      });
    }
    const std::uint64_t lead = read_latency + kOffloadLatency + beats;
    if (!out.empty() && mac_free > lead) tx_free = std::max(tx_free, mac_free - lead);
    // Completions of all queues leave in the order their frames were gathered.
    cpl_at = std::max(cpl_at + kCplLatency, last_tx_cpl);
    last_tx_cpl = cpl_at;
    tx_dones.push_back(job);
    At(cpl_at, [this] {
      WriteTxCompletion(tx_dones.front());
      tx_dones.pop_front();
    });
  }

  // With the checksum engine off, segments leave with the checksum fields the segmenter left
  // them: the request's seed in the L4 field and the request's IPv4 header checksum.
  static void RestoreSeeds(std::span<const std::uint8_t> frame, const SegRequest& req,
                           std::vector<std::vector<std::uint8_t>>* out) {
    const std::size_t l4 = std::size_t{req.l2hlen} + req.l3hlen;
    const std::size_t field = l4 + (req.kind == SegKind::kTcp ? 16 : 6);
    const std::size_t ip_field = std::size_t{req.l2hlen} + 10;
    for (auto& s : *out) {
      std::memcpy(s.data() + field, frame.data() + field, 2);
      if (!req.ipv6) std::memcpy(s.data() + ip_field, frame.data() + ip_field, 2);
    }
  }

  // Beats of one frame onto the wire from `start`, one a cycle while the link's byte budget
  // allows (the wire's TxCredit rule); returns the cycle of the last beat.
  std::uint64_t Transmit(std::size_t n, std::uint64_t start) {
    auto budget = [this](std::uint64_t c) {
      return c <= link_cycle
                 ? link_budget
                 : std::min(kWireBudgetCap,
                            link_budget + link_bpc * static_cast<double>(c - link_cycle));
    };
    std::uint64_t c = start, last = start;
    for (std::size_t off = 0; off < std::max<std::size_t>(n, 1); off += line) {
      c = wire->ResumeAt(c);  // a link pause holds every beat, as the MAC's tready does
      if (link_bpc > 0) {
        const double nb = static_cast<double>(std::min<std::size_t>(line, n - off));
        if (budget(c) < nb) {
          const double wait = (nb - link_budget) / link_bpc;
          c = std::max(c, link_cycle + static_cast<std::uint64_t>(std::ceil(wait - 1e-9)));
          while (budget(c) < nb) ++c;  // rounding
        }
        link_budget = budget(c) - nb;
        link_cycle = c;
      }
      last = c++;
    }
    if (link_bpc > 0) {
      link_budget = budget(last) - kWireOverhead;
      link_cycle = std::max(link_cycle, last);
    }
    return last;
  }

  void WriteTxCompletion(const TxDone& job) {
    Queue& q = txq[job.queue];
    if (!q.running || q.epoch != job.epoch) return;
    if (!DmaWrite(q.cpl + std::uint64_t{job.slot} * hw::TxCpl::kBytes, job.cpl.bytes)) {
      Stop(q, QueueErr::kCplDma);
      return;
    }
    if (job.cpl.err() == TxErr::kNone) {
      ++q.packets;
      q.bytes += job.bytes;
    } else {
      ++q.drops;
      ++q.errors;
    }
    Completed(q);
  }

  // ==== Receive =================================================================================

  std::uint64_t RxPortCandidate() const {
    if (wire->rx_pending() == 0) return kNever;
    return std::max({wire->NextEvent(), rx_port_free, now});
  }

  // A frame from the wire: its beats enter one a cycle from t.
  void RxPortStep(std::uint64_t t) {
    const sim::WireFrame* wf = wire->RxDue(t);
    if (!wf) {  // not due after all (cannot happen with the wire's NextEvent): look again later
      rx_port_free = t + 1;
      return;
    }
    RxFrame& f = rx_arrivals.emplace_back();
    f.data = wf->data;
    f.bad = wf->bad;
    f.beats = std::max<std::uint64_t>(1, (f.data.size() + line - 1) / line);
    const std::uint64_t last = t + f.beats - 1;
    wire->RxPop(last);
    rx_port_free = last + 1;
    At(last + 1, [this] {
      RxFrame f = std::move(rx_arrivals.front());
      rx_arrivals.pop_front();
      RxArrived(std::move(f));
    });
  }

  // The frame's last beat is in: the checksum verdict, then the packet buffer's decision.
  void RxArrived(RxFrame f) {
    const std::size_t len = f.data.size();
    ++pt_rx_frames;
    pt_rx_bytes += std::min<std::size_t>(len, 0xffff);
    ++cs_rx_frames;
    if (p.cap_rx_csum && (csum_ctrl & csr::csum::ctrl::kRxEnableMask)) {
      f.csum = ClassifyRxChecksums(f.data, p.rx_csum);
      if (f.csum.l3_calc() && !f.csum.l3_valid()) ++cs_rx_l3_bad;
      if (f.csum.l4_calc() && !f.csum.l4_valid()) ++cs_rx_l4_bad;
    }
    // The port's MTU behind an Ethernet header and one VLAN tag, within what the paths take.
    const std::size_t limit = std::min<std::size_t>(p.max_frame, std::size_t{mtu} + 18);
    if (f.bad || len < 14 || len > limit) {
      ++pt_bad;
      return;
    }
    f.queue = (port_ctrl & csr::port::ctrl::kRxQueueMask) >> csr::port::ctrl::kRxQueueShift;
    if (rx_held_beats + f.beats > kRxBufBeats || rx_buffer.size() >= kRxFrameSlots) {
      DropNoBuf(f.queue);
      return;
    }
    const std::uint16_t type = Be16(f.data.data() + 12);
    if ((type == 0x8100 || type == 0x88A8) && len >= 16) {
      f.vlan = true;
      f.tci = Be16(f.data.data() + 14);
    }
    f.arrived = now;
    rx_held_beats += f.beats;
    rx_buffer.push_back(std::move(f));
  }

  void DropNoBuf(std::uint32_t queue) {
    ++pt_nobuf;
    if (queue < rxq.size()) ++rxq[queue].drops;
  }

  std::uint64_t RxMoverCandidate() const {
    if (rx_buffer.empty()) return kNever;
    return std::max({rx_buffer.front().arrived, rx_mover_free, now});
  }

  // The frame at the head of the packet buffer goes to its queue's buffers, or is dropped.
  void RxMoverStep(std::uint64_t t) {
    auto f = std::make_unique<RxFrame>(std::move(rx_buffer.front()));
    rx_buffer.pop_front();
    rx_held_beats -= f->beats;
    rx_mover_free = t + 1;
    if (f->queue >= rxq.size() || !rxq[f->queue].running) {
      DropNoBuf(f->queue);
      return;
    }
    Queue& q = rxq[f->queue];
    const std::size_t len = f->data.size();
    std::vector<RxWrite> writes;
    std::uint64_t ready = t;

    // Buffers posted with length 0 come back alone, before the frame.
    while (EnsureCached(q, 1, t) && q.cache.front().len == 0) {
      RxWrite w;
      const auto [slot, phase] = q.TakeCompletionSlot();
      w.slot = slot;
      w.cpl.set_bufs(1).set_err_desc(true).set_desc_index(q.cache.front().index).set_phase(phase);
      ready = std::max(ready, q.cache.front().ready);
      q.cache.pop_front();
      q.cons = (q.cons + 1) & (q.size - 1);
      writes.push_back(std::move(w));
    }

    // As many buffers as the frame needs, each filled to its length but the last.
    std::size_t n = 0, room = 0;
    while (room < len && n < p.rx_max_bufs && EnsureCached(q, n + 1, t)) {
      // A length-0 buffer met before the frame fits ends the walk (the frame is dropped for
      // want of buffers, as nic_rx_plan does): a completion never covers one.
      if (q.cache[n].len == 0) break;
      room += q.cache[n].len;
      ++n;
    }
    if (!q.running) {  // a descriptor read failed: the queue stopped
      DropNoBuf(f->queue);
      return;
    }
    if (room >= len) {
      RxWrite w;
      const auto [slot, phase] = q.TakeCompletionSlot();
      w.slot = slot;
      std::size_t off = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const CachedDesc& d = q.cache[i];
        const std::size_t take = std::min<std::size_t>(d.len, len - off);
        if (take > 0) w.pieces.push_back(RxPiece{d.addr, off, take});
        off += take;
        ready = std::max(ready, d.ready);
      }
      w.cpl.set_len(static_cast<std::uint16_t>(len))
          .set_bufs(static_cast<std::uint8_t>(n))
          .set_vlan(f->vlan)
          .set_vlan_tci(f->tci)
          .set_desc_index(q.cache.front().index)
          .set_csum(f->csum)
          .set_phase(phase);
      q.cache.erase(q.cache.begin(), q.cache.begin() + n);
      q.cons = (q.cons + static_cast<std::uint32_t>(n)) & (q.size - 1);
      writes.push_back(std::move(w));
    } else if (n == p.rx_max_bufs) {
      ++pt_bad;  // needs more buffers than a frame may fill
    } else {
      DropNoBuf(f->queue);
    }
    if (writes.empty()) return;
    const std::uint64_t xfer = CeilDiv(len, pcie_bpc);
    rx_mover_free = ready + std::max<std::uint64_t>(1, xfer);
    // One write channel: frames reach host memory in the order they left the mover.
    const std::uint64_t write_at = std::max(ready + xfer + kCplLatency, last_rx_write);
    last_rx_write = write_at;
    rx_jobs.push_back(RxJob{q.index, q.epoch, std::move(f->data), std::move(writes)});
    At(write_at, [this] {
      WriteRx(rx_jobs.front());
      rx_jobs.pop_front();
    });
  }

  void WriteRx(RxJob& job) {
    Queue& q = rxq[job.queue];
    for (RxWrite& w : job.writes) {
      if (!q.running || q.epoch != job.epoch) return;
      bool ok = true;
      for (const RxPiece& piece : w.pieces) {
        ok = DmaWrite(piece.addr, std::span(job.data).subspan(piece.off, piece.len)) && ok;
      }
      if (!ok) w.cpl.set_err_dma(true);
      if (!DmaWrite(q.cpl + std::uint64_t{w.slot} * hw::RxCpl::kBytes, w.cpl.bytes)) {
        Stop(q, QueueErr::kCplDma);
        return;
      }
      if (w.cpl.err_desc() || w.cpl.err_dma()) {
        ++q.errors;
      } else {
        ++q.packets;
        q.bytes += w.cpl.len();
      }
      Completed(q);
    }
  }

  // ==== Descriptor prefetch =====================================================================

  std::uint64_t FetchCandidate(Queue** which, std::uint32_t* n) {
    std::uint64_t best = kNever;
    for (auto* qs : {&txq, &rxq}) {
      for (Queue& q : *qs) {
        std::uint32_t k;
        if (!FetchWanted(q, &k)) continue;
        const std::uint64_t t = std::max(q.fetch_free, now);
        if (t < best) {
          best = t;
          *which = &q;
          *n = k;
        }
      }
    }
    return best;
  }

  // ==== The loop ================================================================================

  void RunTo(std::uint64_t end) {
    for (;;) {
      Queue* fq = nullptr;
      std::uint32_t fn = 0;
      const std::uint64_t t_ev = events.empty() ? kNever : events.top().time;
      const std::uint64_t t_fetch = FetchCandidate(&fq, &fn);
      const std::uint64_t t_port = RxPortCandidate();
      const std::uint64_t t_mover = RxMoverCandidate();
      const std::uint64_t t_tx = TxCandidate();
      const std::uint64_t t = std::min({t_ev, t_fetch, t_port, t_mover, t_tx});
      if (t >= end) break;
      now = t;
      if (t_ev == t) {
        // The heap's top is const only so the heap stays ordered; it is popped at once.
        Event e = std::move(const_cast<Event&>(events.top()));
        events.pop();
        e.fn();
      } else if (t_fetch == t) {
        Fetch(*fq, fn, t);
      } else if (t_port == t) {
        RxPortStep(t);
      } else if (t_mover == t) {
        RxMoverStep(t);
      } else {
        TxStep(t);
      }
    }
    now = end;
  }

  // ==== Registers ===============================================================================

  std::uint32_t ReadQueue(Queue& q, std::uint32_t reg) {
    namespace r = csr::txq;
    switch (reg) {
      case r::kId:
        return q.tx ? csr::txq::kIdValue : csr::rxq::kIdValue;
      case r::kCtrl:
        return q.enable ? r::ctrl::kEnableMask : 0;
      case r::kRingLo:
        return q.ring_lo;
      case r::kRingHi:
        return q.ring_hi;
      case r::kCplLo:
        return q.cpl_lo;
      case r::kCplHi:
        return q.cpl_hi;
      case r::kRingSize:
        return q.log2_reg << r::ring_size::kLog2Shift;
      case r::kProd:
        return q.prod << r::prod::kIndexShift;
      case r::kCons:
        return (q.tx ? q.fetch : q.cons) << r::cons::kIndexShift;
      case r::kStatus:
        return (q.running ? r::status::kRunningMask : 0) |
               (static_cast<std::uint32_t>(q.err) << r::status::kErrShift);
      case r::kIrq:
        return q.irq_pkts << r::irq::kPktsShift;
      case r::kIrqTime:
        return q.irq_cycles << r::irq_time::kCyclesShift;
      case r::kPackets:
        return q.packets;
      case r::kBytesLo:
        q.bytes_hi = static_cast<std::uint32_t>(q.bytes >> 32);
        return static_cast<std::uint32_t>(q.bytes);
      case r::kBytesHi:
        return q.bytes_hi;
      case r::kDrops:
        return q.drops;
      case r::kErrors:
        return q.errors;
      default:
        return 0;
    }
  }

  void WriteQueue(Queue& q, std::uint32_t reg, std::uint32_t v) {
    namespace r = csr::txq;
    switch (reg) {
      case r::kCtrl: {
        const bool en = (v & r::ctrl::kEnableMask) != 0;
        if (en && !q.enable) {
          q.enable = true;
          Enable(q);
        } else if (!en && q.enable) {
          q.enable = false;
          Disable(q);
        }
        break;
      }
      case r::kRingLo:
        q.ring_lo = v & r::ring_lo::kRwMask;
        break;
      case r::kRingHi:
        q.ring_hi = v & r::ring_hi::kRwMask;
        break;
      case r::kCplLo:
        q.cpl_lo = v & r::cpl_lo::kRwMask;
        break;
      case r::kCplHi:
        q.cpl_hi = v & r::cpl_hi::kRwMask;
        break;
      case r::kRingSize:
        q.log2_reg = (v & r::ring_size::kLog2Mask) >> r::ring_size::kLog2Shift;
        break;
      case r::kProd:
        q.prod = (v & r::prod::kIndexMask) >> r::prod::kIndexShift;
        if (q.running && q.prod >= q.size) Stop(q, QueueErr::kProd);
        break;
      case r::kIrq:
        q.irq_pkts = (v & r::irq::kPktsMask) >> r::irq::kPktsShift;
        if (v & r::irq::kArmMask) q.armed = true;
        Evaluate(q);
        break;
      case r::kIrqTime: {
        const std::uint32_t was = q.irq_cycles;
        q.irq_cycles = (v & r::irq_time::kCyclesMask) >> r::irq_time::kCyclesShift;
        // As the card's timer: turned on while completions wait, it counts from now; changed
        // from one value that is not 0 to another, it keeps its start, and if it had run out it
        // stays run out.
        if (was == 0 && q.irq_cycles != 0 && q.pending != 0) {
          q.first_pending = now;
          ++q.irq_gen;
        } else if (was != 0 && q.irq_cycles != 0 && q.pending != 0 &&
                   now >= q.first_pending + was) {
          q.timer_out = true;
        }
        ScheduleTimer(q);
        Evaluate(q);
        break;
      }
      default:
        break;  // read-only or unmapped
    }
  }

  std::uint32_t Read(std::uint32_t off) {
    if (off % 4 != 0) return 0;
    if (off >= csr::card::kBase && off < csr::card::kBase + csr::card::kSize) {
      switch (off - csr::card::kBase) {
        case csr::card::kId:
          return csr::card::kIdValue;
        case csr::card::kCaps:
          return (p.cap_tx_csum ? csr::card::caps::kTxCsumMask : 0) |
                 (p.cap_rx_csum ? csr::card::caps::kRxCsumMask : 0) |
                 (p.cap_tso ? csr::card::caps::kTsoMask : 0) |
                 (p.cap_dma ? csr::card::caps::kDmaMask : 0);
        case csr::card::kStreamWidth:
          return p.stream_width;
        case csr::card::kMaxFrame:
          return p.max_frame;
        case csr::card::kScratch:
          return scratch;
        case csr::card::kQueues:
          return (p.num_txq << csr::card::queues::kTxShift) |
                 (p.num_rxq << csr::card::queues::kRxShift);
        case csr::card::kTxMaxDescs:
          return p.tx_max_descs;
        case csr::card::kRxMaxBufs:
          return p.rx_max_bufs;
        case csr::card::kHostDenied:
          return host_denied;
        default:
          return 0;
      }
    }
    if (off >= csr::csum::kBase && off < csr::csum::kBase + csr::csum::kSize) {
      switch (off - csr::csum::kBase) {
        case csr::csum::kId:
          return csr::csum::kIdValue;
        case csr::csum::kCtrl:
          return csum_ctrl;
        case csr::csum::kTxFrames:
          return cs_tx_frames;
        case csr::csum::kTxErrors:
          return cs_tx_errors;
        case csr::csum::kRxFrames:
          return cs_rx_frames;
        case csr::csum::kRxL3Bad:
          return cs_rx_l3_bad;
        case csr::csum::kRxL4Bad:
          return cs_rx_l4_bad;
        default:
          return 0;
      }
    }
    if (off >= csr::tso::kBase && off < csr::tso::kBase + csr::tso::kSize) {
      switch (off - csr::tso::kBase) {
        case csr::tso::kId:
          return csr::tso::kIdValue;
        case csr::tso::kRequests:
          return ts_requests;
        case csr::tso::kSegments:
          return ts_segments;
        case csr::tso::kErrors:
          return ts_errors;
        case csr::tso::kLastErr:
          return static_cast<std::uint32_t>(ts_last_err) << csr::tso::last_err::kCodeShift;
        default:
          return 0;
      }
    }
    if (off >= csr::port::kBase && off < csr::port::kBase + csr::port::kSize) {
      switch (off - csr::port::kBase) {
        case csr::port::kId:
          return csr::port::kIdValue;
        case csr::port::kCtrl:
          return port_ctrl;
        case csr::port::kTxFrames:
          return pt_tx_frames;
        case csr::port::kTxBytesLo:
          pt_tx_bytes_hi = static_cast<std::uint32_t>(pt_tx_bytes >> 32);
          return static_cast<std::uint32_t>(pt_tx_bytes);
        case csr::port::kTxBytesHi:
          return pt_tx_bytes_hi;
        case csr::port::kRxFrames:
          return pt_rx_frames;
        case csr::port::kRxBytesLo:
          pt_rx_bytes_hi = static_cast<std::uint32_t>(pt_rx_bytes >> 32);
          return static_cast<std::uint32_t>(pt_rx_bytes);
        case csr::port::kRxBytesHi:
          return pt_rx_bytes_hi;
        case csr::port::kRxDropNobuf:
          return pt_nobuf;
        case csr::port::kRxDropBad:
          return pt_bad;
        case csr::port::kDmaRdErr:
          return pt_rd_err;
        case csr::port::kDmaWrErr:
          return pt_wr_err;
        case csr::port::kMtu:
          return mtu;
        default:
          return 0;
      }
    }
    if (off >= csr::admin::kBase && off < csr::admin::kBase + csr::admin::kSize) {
      const std::uint32_t rel = off - csr::admin::kBase;
      if (rel == csr::admin::kId) return csr::admin::kIdValue;
      return rel / 4 < admin.size() ? admin[rel / 4] : 0;
    }
    if (Queue* q = QueueAt(off)) return ReadQueue(*q, QueueReg(off));
    return 0;
  }

  // A write from the host's port (privileged false) or the firmware's.  As nic_csr_axil: a host
  // write that would change a management-side bit changes nothing and is counted.  Returns
  // whether it was taken.
  bool Write(std::uint32_t off, std::uint32_t v, bool privileged) {
    if (off % 4 != 0) return true;
    const csr::RegInfo* reg = csr::FindReg(off);
    if (!privileged && reg != nullptr && reg->mgmt_mask != 0 &&
        ((v ^ (Read(off) & reg->rw_mask)) & reg->mgmt_mask) != 0) {
      ++host_denied;
      return false;
    }
    if (off >= csr::admin::kBase && off < csr::admin::kBase + csr::admin::kSize) {
      if (reg != nullptr) admin[(off - csr::admin::kBase) / 4] = v & reg->rw_mask;
    } else if (off == csr::port::kBase + csr::port::kMtu) {
      mtu = v & csr::port::mtu::kRwMask;
    } else if (off == csr::card::kBase + csr::card::kScratch) {
      scratch = v & csr::card::scratch::kRwMask;
    } else if (off == csr::csum::kBase + csr::csum::kCtrl) {
      csum_ctrl = v & csr::csum::ctrl::kRwMask;
    } else if (off == csr::csum::kBase + csr::csum::kErrClear) {
      if (v & csr::csum::err_clear::kCountersMask) {
        cs_tx_frames = cs_tx_errors = cs_rx_frames = cs_rx_l3_bad = cs_rx_l4_bad = 0;
      }
    } else if (off == csr::tso::kBase + csr::tso::kClear) {
      // The last refusal is a record, not a counter: it stays.
      if (v & csr::tso::clear::kCountersMask) ts_requests = ts_segments = ts_errors = 0;
    } else if (off == csr::port::kBase + csr::port::kCtrl) {
      port_ctrl = v & csr::port::ctrl::kRwMask;
    } else if (off == csr::port::kBase + csr::port::kClear) {
      if (v & csr::port::clear::kCountersMask) {
        pt_tx_frames = pt_rx_frames = pt_nobuf = pt_bad = pt_rd_err = pt_wr_err = 0;
        pt_tx_bytes = pt_rx_bytes = 0;
        pt_tx_bytes_hi = pt_rx_bytes_hi = 0;
      }
    } else if (Queue* q = QueueAt(off)) {
      WriteQueue(*q, QueueReg(off), v);
    }
    return true;
  }

  Queue* QueueAt(std::uint32_t off) {
    if (off >= csr::txq::kBase && off < csr::txq::Base(static_cast<std::uint32_t>(txq.size()))) {
      return &txq[(off - csr::txq::kBase) / csr::txq::kSize];
    }
    if (off >= csr::rxq::kBase && off < csr::rxq::Base(static_cast<std::uint32_t>(rxq.size()))) {
      return &rxq[(off - csr::rxq::kBase) / csr::rxq::kSize];
    }
    return nullptr;
  }

  static std::uint32_t QueueReg(std::uint32_t off) { return off % csr::txq::kSize; }
};

ModelDevice::ModelDevice(const Options& options, const ModelParams& params)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  CheckParams(params);
  m.p = params;
  if (!options.waves.empty()) {
    throw DeviceError("model: no waveforms (waves is for the sim backend); leave it empty");
  }
  const sim::PcieConfig pcie = PcieOf(options, "model");
  const sim::WireConfig wc = WireConfigOf(options, "model", params.clock_mhz);
  m.pcie_bpc = pcie.bytes_per_cycle;
  m.read_latency = pcie.read_latency;
  m.mem = std::make_unique<sim::HostMemory>(pcie, params.num_txq, params.num_rxq);
  try {
    m.wire = std::make_unique<sim::Wire>(wc);
  } catch (const std::exception& e) {
    throw DeviceError(std::string("model: ") + e.what());
  }
  m.line = params.stream_width / 8;
  // Gb/s to bytes per card cycle, as the wire computes it.
  m.link_bpc = options.link_gbps * 1e3 / 8.0 / params.clock_mhz;
  // nic_tx_offload sizes the checksum engine for the longest segment.
  m.csum_buffer = (params.seg.max_hdr_bytes + params.seg.max_mss + m.line - 1) / m.line * m.line;
  m.burst_buf.resize(kBurstBytes);
  // The longest frame the checks let through: max_frame, or a segmentation request's three
  // header lengths (8 bits each) and MaxPayloadBytes.
  m.gather_buf.resize(
      std::max<std::size_t>(params.max_frame, 3 * 255 + std::size_t{params.seg.max_payload_bytes}));
  m.txq.resize(params.num_txq);
  m.rxq.resize(params.num_rxq);
  for (unsigned i = 0; i < params.num_txq; ++i) m.txq[i].index = i;
  for (unsigned i = 0; i < params.num_rxq; ++i) {
    m.rxq[i].index = i;
    m.rxq[i].tx = false;
  }
  // The management side: accesses take no model time.
  m.mgmt_port = MgmtPort{[&m](std::uint32_t offset, std::uint32_t* value) {
                           *value = m.Read(offset);
                           return true;
                         },
                         [&m](std::uint32_t offset, std::uint32_t value) {
                           m.mem->OnCsrWrite(offset, value, /*privileged=*/true);
                           return m.Write(offset, value, /*privileged=*/true);
                         }};
  m.fw = std::make_unique<FirmwareHost>(m.mgmt_port, *m.mem);
  m.fw->Start();
}

ModelDevice::~ModelDevice() = default;

std::uint32_t ModelDevice::Read32(std::uint32_t offset) { return impl_->Read(offset); }

void ModelDevice::Write32(std::uint32_t offset, std::uint32_t value) {
  // The host-memory model sees every write first, so its rights are in place before the card
  // can act on a doorbell.
  impl_->mem->OnCsrWrite(offset, value, /*privileged=*/false);
  impl_->Write(offset, value, /*privileged=*/false);
  // Work for the firmware reaches it only through the admin block (docs/admin.md).
  if (offset - csr::admin::kBase < csr::admin::kSize) impl_->fw->Service();
}

std::uint64_t ModelDevice::Run(std::uint64_t cycles) {
  const std::uint64_t end = cycles > kNever - impl_->now ? kNever : impl_->now + cycles;
  const std::uint64_t start = impl_->now;
  impl_->RunTo(end);
  return impl_->now - start;
}

std::uint64_t ModelDevice::Now() const { return impl_->now; }
double ModelDevice::ClockMhz() const { return impl_->p.clock_mhz; }

std::vector<std::uint32_t> ModelDevice::TakeInterrupts() {
  std::vector<std::uint32_t> out;
  out.swap(impl_->interrupts);
  return out;
}

sim::Wire* ModelDevice::wire() { return impl_->wire.get(); }
sim::HostMemory* ModelDevice::memory() { return impl_->mem.get(); }
MgmtPort* ModelDevice::mgmt() { return &impl_->mgmt_port; }
const ModelParams& ModelDevice::params() const { return impl_->p; }

}  // namespace mbufnic::device
