#include "core/host_memory.h"

#include <mbufnic/hw/nic_hw.h>
#include <mbufnic/runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iterator>
#include <map>
#include <stdexcept>

namespace mbufnic::sim {

namespace csr = mbufnic::hw::csr;

// ---------------------------------------------------------------------------------------------
// PCIe presets.
//
// Both assume a 250 MHz card clock and 256-byte maximum payload TLPs.  A 256-byte TLP carries
// about 24 bytes of framing, sequence number, 16-byte header (64-bit address) and LCRC, so
// 256 / 280 = 91% of the link is payload; flow-control and ACK DLLPs take a few percent more,
// which leaves about 85% of the raw rate:
//   Gen3 x16: 8 GT/s x 16 lanes x 128/130 = 15.75 GB/s raw -> about 13 GB/s of payload each
//             way -> 13e9 / 250e6 = 52 bytes per cycle.
//   Gen4 x16: twice that, 31.5 GB/s raw -> about 26 GB/s -> 104 bytes per cycle.
// Read latency is the round trip from the card's request to the first completion on a
// typical server root complex: around 800 ns on Gen3 systems (200 cycles) and 600 ns on Gen4
// (150 cycles).  Outstanding reads: 64 (Gen3) and 128 (Gen4) non-posted tags, what common
// endpoint IP uses; 128 reads of 4 KiB cover Gen4's bandwidth-delay product (104 x 150 =
// 15.6 KB) many times over, small descriptor reads do not, as on real hardware.
// ---------------------------------------------------------------------------------------------

PcieConfig PcieGen3x16() { return PcieConfig{"gen3", 52.0, 200, 64}; }
PcieConfig PcieGen4x16() { return PcieConfig{"gen4", 104.0, 150, 128}; }

PcieConfig PcieByName(std::string_view name) {
  if (name == "gen3") return PcieGen3x16();
  if (name == "gen4") return PcieGen4x16();
  throw std::invalid_argument("unknown PCIe preset \"" + std::string(name) +
                              "\" (known: gen3, gen4)");
}

namespace {

constexpr std::uint64_t kLine = 64;

// Whether the host's CSR port may write the register at `offset` as it likes: false where the
// register has fields only the management side may change (hw/nic.toml side = "mgmt").
bool HostMayWrite(std::uint32_t offset) {
  const csr::RegInfo* r = csr::FindReg(offset);
  return r == nullptr || r->mgmt_mask == 0;
}

std::string Hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// How many rights cover each byte of the address space, kept as pieces: a key is where a piece
// starts and its value the count up to the next key (0 before the first key and from the last
// key on).  Neighbouring pieces always differ, so a query walks only real boundaries.
class Coverage {
 public:
  // Adds d (+1 or -1) to every byte of [lo, hi); counts never go below zero.
  void Add(std::uint64_t lo, std::uint64_t hi, int d) {
    if (lo >= hi) return;
    Split(lo);
    Split(hi);
    for (auto it = map_.find(lo); it != map_.end() && it->first < hi; ++it) {
      it->second = std::max(0, it->second + d);
    }
    Merge(hi);
    Merge(lo);
  }

  // First byte of [lo, hi) that nothing covers, or hi when every byte is covered.
  std::uint64_t FirstGap(std::uint64_t lo, std::uint64_t hi) const {
    if (lo >= hi) return hi;
    auto it = map_.upper_bound(lo);
    if (it == map_.begin()) return lo;
    --it;
    std::uint64_t at = lo;
    for (;;) {
      if (it->second <= 0) return at;
      ++it;
      if (it == map_.end() || it->first >= hi) return hi;
      at = it->first;
    }
  }

  void Clear() { map_.clear(); }

 private:
  int CountBefore(std::map<std::uint64_t, int>::iterator it) const {
    return it == map_.begin() ? 0 : std::prev(it)->second;
  }

  void Split(std::uint64_t x) {
    auto it = map_.upper_bound(x);
    if (it == map_.begin()) {
      map_.emplace_hint(it, x, 0);
      return;
    }
    auto prev = std::prev(it);
    if (prev->first != x) map_.emplace_hint(it, x, prev->second);
  }

  void Merge(std::uint64_t x) {
    auto it = map_.find(x);
    if (it != map_.end() && it->second == CountBefore(it)) map_.erase(it);
  }

  std::map<std::uint64_t, int> map_;
};

// One right: a range, read or write (read ranges are rounded out to whole lines).
struct Right {
  std::uint64_t lo = 0, hi = 0;
  bool read = false;
  bool write = false;
};

// What a descriptor slot posted: the descriptor itself and the buffer it names.
struct Slot {
  bool posted = false;
  Right desc;
  Right buf;
};

struct Queue {
  bool tx = true;
  unsigned index = 0;
  // Registers as the host last wrote them.
  std::uint64_t ring_reg = 0, cpl_reg = 0;
  unsigned log2_reg = 0;
  std::uint32_t prod_reg = 0;
  // Latched at enable.
  bool enabled = false;
  bool draining = false;  // disabled by the host: what was in flight may still finish
  std::uint64_t ring = 0, cpl = 0;
  std::uint32_t size = 0;
  unsigned log2 = 0;
  std::uint32_t posted = 0;  // index after the last descriptor granted
  std::uint32_t done = 0;    // first descriptor (TX) or buffer (RX) not completed
  std::uint64_t cpl_count = 0;
  bool cpl_granted = false;
  std::vector<Slot> slots;

  std::uint32_t desc_bytes() const { return tx ? hw::TxDesc::kBytes : hw::RxDesc::kBytes; }
  std::uint32_t cpl_bytes() const { return tx ? hw::TxCpl::kBytes : hw::RxCpl::kBytes; }
  std::uint64_t cpl_end() const { return cpl + std::uint64_t{size} * cpl_bytes(); }
  std::string name() const { return std::string(tx ? "txq " : "rxq ") + std::to_string(index); }
};

// The admin queue's rings (docs/admin.md): the firmware reads posted commands and writes
// completions and the result buffers that identify and read_stats commands name.
struct AdminEntry {
  Right cmd;     // the 64-byte command
  Right result;  // its result buffer, if it has one
};

struct AdminRings {
  std::uint64_t sq_reg = 0, cq_reg = 0;
  unsigned log2_reg = 0;
  std::uint32_t prod_reg = 0;
  bool enabled = false;
  std::uint64_t sq = 0, cq = 0;
  std::uint32_t size = 0;
  unsigned log2 = 0;
  std::uint32_t posted = 0;     // index after the last command granted
  std::uint64_t cpl_count = 0;  // completions seen
  std::deque<AdminEntry> open;  // posted and not completed, oldest first

  std::uint64_t cq_end() const { return cq + std::uint64_t{size} * hw::AdminCpl::kBytes; }
};

// A right that ended, remembered so a late access can be explained.
struct Ended {
  Right right;
  std::string what;
};

struct Injection {
  std::uint64_t lo, hi;
  unsigned count;
  bool reads, writes;
};

}  // namespace

struct HostMemory::Impl {
  PcieConfig pcie;
  std::vector<Queue> txq, rxq;
  AdminRings admin;
  Coverage read_cov, write_cov;
  std::vector<std::string> violations;
  std::vector<Injection> injections;
  unsigned buffer_read_errors = 0, buffer_write_errors = 0;  // armed by InjectBufferError
  std::uint64_t injected_reads = 0, injected_writes = 0;     // answered
  std::deque<Ended> ended;  // most recent last
  bool checking = true;
  std::uint64_t bytes_read = 0, bytes_written = 0;

  static constexpr std::size_t kMaxViolations = 1000;
  static constexpr std::size_t kMaxEnded = 256;

  void Violation(std::string line) {
    if (violations.size() < kMaxViolations) {
      violations.push_back(std::move(line));
    } else if (violations.size() == kMaxViolations) {
      violations.push_back("... more violations not recorded");
    }
  }

  // ---- Rights.
  void AddRight(const Right& r, int d) {
    if (r.read) read_cov.Add(r.lo & ~(kLine - 1), (r.hi + kLine - 1) & ~(kLine - 1), d);
    if (r.write) write_cov.Add(r.lo, r.hi, d);
  }

  void EndRight(const Right& r, std::string what) {
    AddRight(r, -1);
    if (r.lo >= r.hi) return;
    ended.push_back(Ended{r, std::move(what)});
    if (ended.size() > kMaxEnded) ended.pop_front();
  }

  // ---- Queues.
  void DropAll(Queue& q, const char* why) {
    for (std::uint32_t i = 0; i < q.slots.size(); ++i) EndSlot(q, i, why);
    if (q.cpl_granted) {
      EndRight(Right{q.cpl, q.cpl_end(), false, true}, q.name() + " completion ring (" + why + ")");
      q.cpl_granted = false;
    }
    q.draining = false;
  }

  void EndSlot(Queue& q, std::uint32_t i, const char* why) {
    Slot& s = q.slots[i];
    if (!s.posted) return;
    const std::string who = q.name() + " descriptor " + std::to_string(i);
    EndRight(s.desc, who + " (" + why + ")");
    EndRight(s.buf, "buffer of " + who + " (" + why + ")");
    s.posted = false;
  }

  void Enable(Queue& q) {
    DropAll(q, "queue re-enabled");
    q.ring = q.ring_reg;
    q.cpl = q.cpl_reg;
    q.posted = q.done = 0;
    q.cpl_count = 0;
    // A queue whose ring state is wrong stops at once and touches nothing (docs/card.md).
    if (q.log2_reg < 1 || q.log2_reg > 15 || (q.ring % kLine) != 0 || (q.cpl % kLine) != 0) {
      q.enabled = false;
      q.slots.clear();
      return;
    }
    q.enabled = true;
    q.log2 = q.log2_reg;
    q.size = 1u << q.log2;
    q.slots.assign(q.size, Slot{});
    AddRight(Right{q.cpl, q.cpl_end(), false, true}, +1);
    q.cpl_granted = true;
    if (q.prod_reg != 0) Post(q, q.prod_reg);
  }

  void Disable(Queue& q) {
    if (!q.enabled) return;
    q.enabled = false;
    // The card finishes what it had started when the write reached it (a descriptor batch in
    // flight, the frame being gathered or written, their completions), and the write itself
    // takes a few cycles to get there: the queue keeps its rights, still ended one by one by
    // completions, until it is set up again.
    q.draining = true;
  }

  // The host moved prod to `prod`: grant the descriptors in between and what they name.
  void Post(Queue& q, std::uint32_t prod) {
    if (prod >= q.size) return;  // the card stops this queue with an error
    for (std::uint32_t i = q.posted; i != prod; i = (i + 1) & (q.size - 1)) {
      Slot& s = q.slots[i];
      if (s.posted) EndSlot(q, i, "posted again before its completion");
      const std::uint64_t at = q.ring + std::uint64_t{i} * q.desc_bytes();
      s.desc = Right{at, at + q.desc_bytes(), true, false};
      s.buf = Right{};
      const void* va = mbufnic_bustov(at);
      if (va && mbufnic_bustov(at + q.desc_bytes() - 1)) {
        if (q.tx) {
          hw::TxDesc d;
          std::memcpy(d.bytes.data(), va, sizeof d.bytes);
          s.buf = Right{d.addr(), d.addr() + d.len(), true, false};
        } else {
          hw::RxDesc d;
          std::memcpy(d.bytes.data(), va, sizeof d.bytes);
          s.buf = Right{d.addr(), d.addr() + d.len(), false, true};
        }
      }
      AddRight(s.desc, +1);
      AddRight(s.buf, +1);
      s.posted = true;
    }
    q.posted = prod;
  }

  void OnQueueWrite(Queue& q, std::uint32_t reg, std::uint32_t value) {
    // txq and rxq share one register layout (the static_asserts below hold it to that).
    switch (reg) {
      case csr::txq::kRingLo:
        q.ring_reg = (q.ring_reg & ~std::uint64_t{0xffffffff}) | value;
        break;
      case csr::txq::kRingHi:
        q.ring_reg = (q.ring_reg & 0xffffffff) | (std::uint64_t{value} << 32);
        break;
      case csr::txq::kCplLo:
        q.cpl_reg = (q.cpl_reg & ~std::uint64_t{0xffffffff}) | value;
        break;
      case csr::txq::kCplHi:
        q.cpl_reg = (q.cpl_reg & 0xffffffff) | (std::uint64_t{value} << 32);
        break;
      case csr::txq::kRingSize:
        q.log2_reg = (value & csr::txq::ring_size::kLog2Mask) >> csr::txq::ring_size::kLog2Shift;
        break;
      case csr::txq::kProd:
        q.prod_reg = (value & csr::txq::prod::kIndexMask) >> csr::txq::prod::kIndexShift;
        if (q.enabled) Post(q, q.prod_reg);
        break;
      case csr::txq::kCtrl:
        if (value & csr::txq::ctrl::kEnableMask) {
          if (!q.enabled) Enable(q);
        } else {
          Disable(q);
        }
        break;
      default:
        break;
    }
  }

  // ---- Completions written by the card.
  void ParseCompletions(Queue& q) {
    for (std::uint32_t n = 0; n < q.size; ++n) {
      const std::uint32_t k = static_cast<std::uint32_t>(q.cpl_count & (q.size - 1));
      const bool phase = ((q.cpl_count >> q.log2) & 1) == 0;
      const void* va = mbufnic_bustov(q.cpl + std::uint64_t{k} * q.cpl_bytes());
      if (!va) return;
      if (q.tx) {
        hw::TxCpl c;
        std::memcpy(c.bytes.data(), va, sizeof c.bytes);
        if (c.phase() != phase) return;
        TxCompletion(q, k, c);
      } else {
        hw::RxCpl c;
        std::memcpy(c.bytes.data(), va, sizeof c.bytes);
        if (c.phase() != phase) return;
        RxCompletion(q, k, c);
      }
      ++q.cpl_count;
    }
  }

  void TxCompletion(Queue& q, std::uint32_t k, const hw::TxCpl& c) {
    const std::string where = q.name() + " completion " + std::to_string(k);
    const std::uint32_t last = c.desc_index();
    if (last >= q.size) {
      Violation(where + ": desc_index " + std::to_string(last) + " is beyond the ring of " +
                std::to_string(q.size));
      return;
    }
    const std::uint32_t count = ((last - q.done) & (q.size - 1)) + 1;
    if (c.descs() != count) {
      Violation(where + ": descs says " + std::to_string(c.descs()) + " but descriptors " +
                std::to_string(q.done) + " to " + std::to_string(last) + " are " +
                std::to_string(count));
    }
    for (std::uint32_t i = q.done, n = 0; n < count; ++n, i = (i + 1) & (q.size - 1)) {
      if (!q.slots[i].posted) {
        Violation(where + ": completes descriptor " + std::to_string(i) +
                  ", which the host has not posted");
        continue;
      }
      EndSlot(q, i, "completed by " + where);
    }
    q.done = (last + 1) & (q.size - 1);
  }

  void RxCompletion(Queue& q, std::uint32_t k, const hw::RxCpl& c) {
    const std::string where = q.name() + " completion " + std::to_string(k);
    const std::uint32_t first = c.desc_index();
    if (first >= q.size) {
      Violation(where + ": desc_index " + std::to_string(first) + " is beyond the ring of " +
                std::to_string(q.size));
      return;
    }
    if (first != q.done) {
      Violation(where + ": desc_index " + std::to_string(first) + ", expected the next buffer " +
                std::to_string(q.done) + " (buffers are filled in ring order)");
    }
    if (c.bufs() == 0) Violation(where + ": bufs is 0");
    for (std::uint32_t j = 0; j < c.bufs(); ++j) {
      const std::uint32_t i = (first + j) & (q.size - 1);
      if (!q.slots[i].posted) {
        Violation(where + ": names buffer " + std::to_string(i) +
                  ", which the host has not posted");
        continue;
      }
      EndSlot(q, i, "completed by " + where);
    }
    q.done = (first + c.bufs()) & (q.size - 1);
  }

  // ---- The admin queue.
  void AdminStop() {
    AdminRings& a = admin;
    if (!a.enabled) return;
    for (const AdminEntry& e : a.open) {
      EndRight(e.cmd, "admin command (admin queue disabled)");
      EndRight(e.result, "admin result buffer (admin queue disabled)");
    }
    a.open.clear();
    EndRight(Right{a.cq, a.cq_end(), false, true}, "admin completion ring (disabled)");
    a.enabled = false;
  }

  void AdminStart() {
    AdminRings& a = admin;
    AdminStop();
    // Rings the firmware refuses (docs/admin.md) get no rights.
    if (a.log2_reg < 1 || a.log2_reg > 12 || a.sq_reg == 0 || a.cq_reg == 0 ||
        (a.sq_reg % kLine) != 0 || (a.cq_reg % kLine) != 0) {
      return;
    }
    a.enabled = true;
    a.sq = a.sq_reg;
    a.cq = a.cq_reg;
    a.log2 = a.log2_reg;
    a.size = 1u << a.log2;
    a.posted = 0;
    a.cpl_count = 0;
    AddRight(Right{a.cq, a.cq_end(), false, true}, +1);
    if (a.prod_reg != 0) AdminPost(a.prod_reg);
  }

  void AdminPost(std::uint32_t prod) {
    AdminRings& a = admin;
    if (prod >= a.size) return;  // the firmware stops serving the rings
    for (std::uint32_t i = a.posted; i != prod; i = (i + 1) & (a.size - 1)) {
      AdminEntry e;
      const std::uint64_t at = a.sq + std::uint64_t{i} * hw::AdminCmd::kBytes;
      e.cmd = Right{at, at + hw::AdminCmd::kBytes, true, false};
      const void* va = mbufnic_bustov(at);
      if (va && mbufnic_bustov(at + hw::AdminCmd::kBytes - 1)) {
        hw::AdminCmd c{};
        std::memcpy(c.bytes.data(), va, sizeof c.bytes);
        if ((c.opcode() == hw::AdminOp::kIdentify || c.opcode() == hw::AdminOp::kReadStats) &&
            c.len() != 0) {
          e.result = Right{c.addr0(), c.addr0() + c.len(), false, true};
        }
      }
      AddRight(e.cmd, +1);
      AddRight(e.result, +1);
      a.open.push_back(e);
    }
    a.posted = prod;
  }

  void OnAdminWrite(std::uint32_t reg, std::uint32_t value) {
    namespace ad = csr::admin;
    AdminRings& a = admin;
    switch (reg) {
      case ad::kSqLo:
        a.sq_reg = (a.sq_reg & ~std::uint64_t{0xffffffff}) | value;
        break;
      case ad::kSqHi:
        a.sq_reg = (a.sq_reg & 0xffffffff) | (std::uint64_t{value} << 32);
        break;
      case ad::kCqLo:
        a.cq_reg = (a.cq_reg & ~std::uint64_t{0xffffffff}) | value;
        break;
      case ad::kCqHi:
        a.cq_reg = (a.cq_reg & 0xffffffff) | (std::uint64_t{value} << 32);
        break;
      case ad::kRingSize:
        a.log2_reg = (value & ad::ring_size::kLog2Mask) >> ad::ring_size::kLog2Shift;
        break;
      case ad::kProd:
        a.prod_reg = (value & ad::prod::kIndexMask) >> ad::prod::kIndexShift;
        if (a.enabled) AdminPost(a.prod_reg);
        break;
      case ad::kCtrl:
        if (value & ad::ctrl::kEnableMask) {
          if (!a.enabled) AdminStart();
        } else {
          AdminStop();
        }
        break;
      default:
        break;
    }
  }

  // Completions the firmware wrote end their command's rights, in order.
  void ParseAdminCompletions() {
    AdminRings& a = admin;
    for (std::uint32_t n = 0; n < a.size && !a.open.empty(); ++n) {
      const std::uint32_t k = static_cast<std::uint32_t>(a.cpl_count & (a.size - 1));
      const bool phase = ((a.cpl_count >> a.log2) & 1) == 0;
      const void* va = mbufnic_bustov(a.cq + std::uint64_t{k} * hw::AdminCpl::kBytes);
      if (!va) return;
      hw::AdminCpl c{};
      std::memcpy(c.bytes.data(), va, sizeof c.bytes);
      if (c.phase() != phase) return;
      const AdminEntry e = a.open.front();
      a.open.pop_front();
      const std::string who = "admin command of completion " + std::to_string(k);
      EndRight(e.cmd, who);
      EndRight(e.result, "result buffer of " + who);
      ++a.cpl_count;
    }
  }

  // Overload of EndSlot for a string reason.
  void EndSlot(Queue& q, std::uint32_t i, const std::string& why) { EndSlot(q, i, why.c_str()); }

  // ---- Explaining a refusal.
  std::string Explain(std::uint64_t at, bool write) const {
    if (!mbufnic_bustov(at)) return "outside the DMA arena";
    for (const auto* qs : {&txq, &rxq}) {
      for (const Queue& q : *qs) {
        const std::uint64_t ring_end = q.ring + std::uint64_t{q.size} * q.desc_bytes();
        if ((q.enabled || q.draining) && at >= q.ring && at < ring_end) {
          const std::uint64_t i = (at - q.ring) / q.desc_bytes();
          return q.name() + " descriptor " + std::to_string(i) +
                 (write ? ", a descriptor ring is never written by the card"
                        : ", not posted (posted up to " + std::to_string(q.posted) +
                              ", completed up to " + std::to_string(q.done) + ")");
        }
        if (q.cpl_reg <= at && at < q.cpl_reg + (std::uint64_t{1} << q.log2_reg) * q.cpl_bytes() &&
            !q.enabled && !q.draining) {
          return q.name() + " completion ring, queue not enabled";
        }
        if (q.enabled && at >= q.cpl && at < q.cpl_end() && !write) {
          return q.name() + " completion ring, which the card only writes";
        }
      }
    }
    for (auto it = ended.rbegin(); it != ended.rend(); ++it) {
      const Right& r = it->right;
      const std::uint64_t lo = r.read ? (r.lo & ~(kLine - 1)) : r.lo;
      const std::uint64_t hi = r.read ? ((r.hi + kLine - 1) & ~(kLine - 1)) : r.hi;
      if (at >= lo && at < hi) return "was " + it->what;
    }
    return write ? "not a posted receive buffer or an enabled completion ring"
                 : "not a posted descriptor or a buffer one names";
  }

  // Whether [lo, hi) touches a descriptor or completion ring of a queue the host set up.
  bool OnRing(std::uint64_t lo, std::uint64_t hi) const {
    for (const auto* qs : {&txq, &rxq}) {
      for (const Queue& q : *qs) {
        if (!q.enabled && !q.draining) continue;
        const std::uint64_t ring_end = q.ring + std::uint64_t{q.size} * q.desc_bytes();
        if ((lo < ring_end && q.ring < hi) || (lo < q.cpl_end() && q.cpl < hi)) return true;
      }
    }
    return false;
  }

  bool Injected(std::uint64_t lo, std::uint64_t hi, bool write) {
    bool hit = false;
    for (auto it = injections.begin(); it != injections.end(); ++it) {
      if ((write ? it->writes : it->reads) && lo < it->hi && it->lo < hi) {
        if (--it->count == 0) injections.erase(it);
        hit = true;
        break;
      }
    }
    unsigned& armed = write ? buffer_write_errors : buffer_read_errors;
    if (!hit && armed > 0 && !OnRing(lo, hi)) {
      --armed;
      hit = true;
    }
    if (hit) ++(write ? injected_writes : injected_reads);
    return hit;
  }
};

// The register switch above decodes rxq writes with the txq constants.
static_assert(csr::txq::kRingLo == csr::rxq::kRingLo && csr::txq::kRingHi == csr::rxq::kRingHi &&
              csr::txq::kCplLo == csr::rxq::kCplLo && csr::txq::kCplHi == csr::rxq::kCplHi &&
              csr::txq::kRingSize == csr::rxq::kRingSize && csr::txq::kProd == csr::rxq::kProd &&
              csr::txq::kCtrl == csr::rxq::kCtrl &&
              csr::txq::ring_size::kLog2Mask == csr::rxq::ring_size::kLog2Mask &&
              csr::txq::prod::kIndexMask == csr::rxq::prod::kIndexMask &&
              csr::txq::ctrl::kEnableMask == csr::rxq::ctrl::kEnableMask);

HostMemory::HostMemory(PcieConfig pcie, unsigned num_txq, unsigned num_rxq)
    : impl_(std::make_unique<Impl>()) {
  impl_->pcie = std::move(pcie);
  impl_->txq.resize(std::min(num_txq, csr::txq::kCount));
  impl_->rxq.resize(std::min(num_rxq, csr::rxq::kCount));
  for (unsigned i = 0; i < impl_->txq.size(); ++i) impl_->txq[i].index = i;
  for (unsigned i = 0; i < impl_->rxq.size(); ++i) {
    impl_->rxq[i].index = i;
    impl_->rxq[i].tx = false;
  }
}

HostMemory::~HostMemory() = default;

const PcieConfig& HostMemory::pcie() const { return impl_->pcie; }

void HostMemory::OnCsrWrite(std::uint32_t offset, std::uint32_t value, bool privileged) {
  Impl& m = *impl_;
  if (!privileged && !HostMayWrite(offset)) return;
  if (offset >= csr::admin::kBase && offset < csr::admin::kBase + csr::admin::kSize) {
    m.OnAdminWrite(offset - csr::admin::kBase, value);
  } else if (offset >= csr::txq::kBase &&
             offset < csr::txq::kBase + m.txq.size() * csr::txq::kSize) {
    const std::uint32_t rel = offset - csr::txq::kBase;
    m.OnQueueWrite(m.txq[rel / csr::txq::kSize], rel % csr::txq::kSize, value);
  } else if (offset >= csr::rxq::kBase &&
             offset < csr::rxq::kBase + m.rxq.size() * csr::rxq::kSize) {
    const std::uint32_t rel = offset - csr::rxq::kBase;
    m.OnQueueWrite(m.rxq[rel / csr::rxq::kSize], rel % csr::rxq::kSize, value);
  }
}

DmaResult HostMemory::Read(std::uint64_t bus, std::span<std::uint8_t> out) {
  Impl& m = *impl_;
  const std::uint64_t n = out.size();
  if (n == 0) return DmaResult::kOk;
  const std::uint64_t end = bus + n;
  void* va = mbufnic_bustov(bus);
  std::uint64_t gap = end;
  std::string why;
  // A range that wraps past the top of the bus address space is outside too; gap < end cannot
  // say so then (end wrapped below bus), hence the flag.
  bool outside = false;
  if (!va || !mbufnic_bustov(end - 1) || end < bus) {
    outside = true;
    gap = va && end > bus ? end - 1 : bus;
    why = "outside the DMA arena";
  } else if (m.checking) {
    gap = m.read_cov.FirstGap(bus & ~(kLine - 1), (end + kLine - 1) & ~(kLine - 1));
    if (gap < end) {
      gap = std::max(gap, bus);
      why = m.Explain(gap, false);
    } else {
      gap = end;
    }
  }
  if (outside || gap < end) {
    m.Violation("read of " + std::to_string(n) + " bytes at " + Hex(bus) + ": line " +
                Hex(gap & ~(kLine - 1)) + " " + why);
    std::memset(out.data(), 0, n);
    return DmaResult::kViolation;
  }
  if (m.Injected(bus, end, false)) {
    std::memset(out.data(), 0, n);
    return DmaResult::kInjectedError;
  }
  std::memcpy(out.data(), va, n);
  m.bytes_read += n;
  return DmaResult::kOk;
}

DmaResult HostMemory::Write(std::uint64_t bus, std::span<const std::uint8_t> data,
                            std::span<const bool> strobe) {
  Impl& m = *impl_;
  const std::uint64_t n = data.size();
  if (n == 0) return DmaResult::kOk;
  const bool all = strobe.empty();
  if (!all && strobe.size() < n) {
    m.Violation("write of " + std::to_string(n) + " bytes at " + Hex(bus) + ": only " +
                std::to_string(strobe.size()) + " strobes given");
    return DmaResult::kViolation;
  }
  // Check each run of strobed bytes; remember the span they cover for the injection test.
  std::uint64_t lo = UINT64_MAX, hi = 0, written = 0;
  for (std::uint64_t i = 0; i < n;) {
    if (!all && !strobe[i]) {
      ++i;
      continue;
    }
    std::uint64_t j = i + 1;
    while (j < n && (all || strobe[j])) ++j;
    const std::uint64_t a = bus + i, b = bus + j;
    std::uint64_t gap = b;
    std::string why;
    bool outside = false;  // as in Read: a wrapping run is outside, whatever gap < b says
    if (!mbufnic_bustov(a) || !mbufnic_bustov(b - 1) || b < a) {
      outside = true;
      gap = mbufnic_bustov(a) && b > a ? b - 1 : a;
      why = "outside the DMA arena";
    } else if (m.checking) {
      gap = m.write_cov.FirstGap(a, b);
      if (gap < b) why = m.Explain(gap, true);
    }
    if (outside || gap < b) {
      m.Violation("write of " + std::to_string(n) + " bytes at " + Hex(bus) + ": byte " + Hex(gap) +
                  " " + why);
      return DmaResult::kViolation;
    }
    lo = std::min(lo, a);
    hi = std::max(hi, b);
    written += j - i;
    i = j;
  }
  if (written == 0) return DmaResult::kOk;
  if (m.Injected(lo, hi, true)) return DmaResult::kInjectedError;
  auto* dst = static_cast<std::uint8_t*>(mbufnic_bustov(bus));
  if (all) {
    std::memcpy(dst, data.data(), n);
  } else {
    for (std::uint64_t i = 0; i < n; ++i) {
      if (strobe[i]) dst[i] = data[i];
    }
  }
  m.bytes_written += written;
  // Completions the card wrote end rights: parse every ring the write touched.
  if (m.admin.enabled && lo < m.admin.cq_end() && m.admin.cq < hi) m.ParseAdminCompletions();
  for (auto* qs : {&m.txq, &m.rxq}) {
    for (Queue& q : *qs) {
      if ((q.enabled || q.draining) && q.cpl_granted && lo < q.cpl_end() && q.cpl < hi) {
        m.ParseCompletions(q);
      }
    }
  }
  return DmaResult::kOk;
}

const std::vector<std::string>& HostMemory::violations() const { return impl_->violations; }

void HostMemory::InjectError(std::uint64_t bus, std::uint64_t len, unsigned count, bool reads,
                             bool writes) {
  if (len == 0 || count == 0 || (!reads && !writes)) return;
  impl_->injections.push_back(Injection{bus, bus + len, count, reads, writes});
}

void HostMemory::InjectBufferError(bool write, unsigned count) {
  (write ? impl_->buffer_write_errors : impl_->buffer_read_errors) += count;
}

std::uint64_t HostMemory::injected_read_errors() const { return impl_->injected_reads; }
std::uint64_t HostMemory::injected_write_errors() const { return impl_->injected_writes; }

std::uint64_t HostMemory::bytes_read() const { return impl_->bytes_read; }
std::uint64_t HostMemory::bytes_written() const { return impl_->bytes_written; }

void HostMemory::Grant(std::uint64_t bus, std::uint64_t len, bool read, bool write) {
  impl_->AddRight(Right{bus, bus + len, read, write}, +1);
}

void HostMemory::Revoke(std::uint64_t bus, std::uint64_t len, bool read, bool write) {
  impl_->EndRight(Right{bus, bus + len, read, write}, "revoked by the test");
}

void HostMemory::set_checking(bool on) { impl_->checking = on; }
bool HostMemory::checking() const { return impl_->checking; }
void HostMemory::ClearViolations() { impl_->violations.clear(); }

}  // namespace mbufnic::sim
