// Fuzz target: raw receive descriptors on a queue of a card (the `model` backend, the C++
// behavioural model; MBUFNIC_FUZZ_BACKEND=sim picks the Verilated RTL card in the
// rx_desc_fuzz_sim build), then frames from the wire into them.
//
// The input: one byte for the ring size (2^(1 + b % 6) entries), then records of two kinds.
//   - Descriptor (the tag's bit 7 clear; then the 16 bytes of an rx_desc as hw/nic.toml lays it
//     out: address, length): posted at the ring's producer index when a slot is free.  The
//     tag's low two bits aim the address into one of three 16 KiB clusters (the fuzzer's address
//     giving only the offset, any alignment) or, with 3, leave it as it is, moved out of the DMA
//     arena when it would touch it (outside the arena, near 2^64, wrapping past it); bit 2
//     keeps the length's low 11 bits and bit 3 its low 6 (short buffers, so that frames take
//     many); lengths 0 and lengths past the end of the cluster stay as they are.  An offset is
//     cut so that no frame the target sends can reach past its cluster: a buffer's length may
//     claim more memory than the cluster has, the frames never fill it that far.
//   - Frame (bit 7 set; bit 6: the MAC marks it bad; bit 5: do not wait for it, so that frames
//     meet in the card; then a 16-bit length, 1 to max_frame + 127, and a count of up to 64
//     literal bytes that start the frame, the rest a pattern): the doorbell is rung for
//     descriptors posted since the last frame, then the frame goes on the wire.
// Descriptors are posted only while no frame is in flight, so what the card does with each
// frame follows from the ring alone: the target computes it (docs/card.md, "Receive") and
// holds the card to it.
//
// What must hold, or the target aborts:
//   - every frame completes or is counted as a drop, the ones docs/card.md says, within a cycle
//     budget (no hang), and the queue keeps running;
//   - each completion is the expected one, in ring order: desc_index, bufs, len, err_dma set
//     exactly when a buffer lies outside the arena, err_desc alone for a buffer posted with
//     length 0, the checksum verdict of ClassifyRxChecksums and the outer VLAN tag;
//   - the clusters hold the frames' bytes where the completions put them and their old bytes
//     everywhere else (nothing written past a frame, into a buffer not given to it, or twice);
//   - the host-memory model reports nothing but refused writes outside the arena whose first
//     byte lies in a buffer posted there (the card writes where the host said; the memory is
//     not there); no read of anything but posted descriptors;
//   - the queue's packets, bytes, errors and drops and the port's frames, bytes, drops and DMA
//     errors equal what the completions and the expected drops say;
//   - no mbuf or cluster is left in use.
#include <sys/mbuf.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/host_memory.h"
#include "core/wire.h"
#include "dma_rings.h"
#include "mbuf_test_util.h"
#include "mbufnic/device.hpp"
#include "mbufnic/hw/nic_hw.h"
#include "mbufnic/runtime.h"
#include "mbufnic/sw_csum.hpp"

#ifndef MBUFNIC_FUZZ_DEFAULT_BACKEND
#define MBUFNIC_FUZZ_DEFAULT_BACKEND "model"
#endif

namespace {

namespace hw = mbufnic::hw;
namespace csr = mbufnic::hw::csr;
using mbufnic::devtest::DmaBuf;

constexpr unsigned kQueue = 0;
constexpr std::size_t kClusters = 3;
constexpr std::size_t kMaxFrames = 64;
constexpr std::size_t kMaxPosts = 256;
constexpr std::size_t kMaxLiteral = 64;
// Frames in flight at once hold at most this many bytes: half the receive packet buffer
// (64 KiB in nic_rx_path and the model), so none is dropped for room and every outcome is
// known in advance.
constexpr std::size_t kBurstBytes = 32768;
// Cycles a card gets to settle the frames in flight, looked at every kStep.
constexpr std::uint64_t kSettleCycles = 200'000;
constexpr std::uint64_t kStep = 500;

std::string Hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string Str(std::uint64_t v) { return std::to_string(v); }

// Whether [lo, lo + n) (n >= 1, taken round 2^64) meets [a, a + r): one holds the other's start.
bool Meets(std::uint64_t lo, std::uint64_t n, std::uint64_t a, std::uint64_t r) {
  return a - lo < n || lo - a < r;
}

// A posted buffer as the host knows it.
struct Buf {
  std::uint64_t addr = 0;
  std::uint16_t len = 0;
  int cluster = -1;  // -1: outside the arena
  std::size_t off = 0;
};

// What the reference expects of a frame (for the report of a failure).
struct Outcome {
  char what = 'b';  // c: completes, b: dropped as bad, n: dropped for want of buffers
  bool mac_bad = false;
  unsigned bufs = 0;
  std::uint64_t first = 0;
};

// A frame completion the card owes, in order.
struct Expect {
  std::uint64_t first;  // buffer number (counted from 0 since enable, not wrapped)
  unsigned bufs;
  std::size_t frame;
  bool err_dma;
};

class Harness {
 public:
  Harness(mbufnic::device::Device &dev, unsigned log2)
      : dev_(dev), ring_(dev, kQueue, log2), size_(1u << log2), slots_(size_) {
    mbufnic_arena_info info{};
    mbufnic_arena_get_info(&info);
    arena_lo_ = info.bus_base;
    arena_len_ = info.reserved;
    max_frame_ = dev.Read32(csr::card::kBase + csr::card::kMaxFrame);
    max_bufs_ = dev.Read32(csr::card::kBase + csr::card::kRxMaxBufs);
    csum_on_ = (dev.Read32(csr::card::kBase + csr::card::kCaps) & csr::card::caps::kRxCsumMask) &&
               (dev.Read32(csr::csum::kBase + csr::csum::kCtrl) & csr::csum::ctrl::kRxEnableMask);
    reach_ = max_frame_ + 128;
    if (max_frame_ < 64 || reach_ > DmaBuf::kBytes || max_bufs_ == 0 || max_bufs_ > 31) {
      Fail("card parameters out of what this target handles: max_frame " + Str(max_frame_) +
           ", rx_max_bufs " + Str(max_bufs_));
    }
    for (std::size_t c = 0; c < kClusters; ++c) {
      clusters_[c] = std::make_unique<DmaBuf>();
      image_[c].assign(Pattern().begin() + 101 * c, Pattern().begin() + 101 * c + DmaBuf::kBytes);
      wild_[c].assign(DmaBuf::kBytes, 0);
      std::memcpy(clusters_[c]->va(), image_[c].data(), DmaBuf::kBytes);
    }
    ring_.Start();
  }

  std::uint32_t reach() const { return reach_; }

  // Bytes for the clusters' old contents and the frames' tails (computed once: byte loops are
  // what costs most under the fuzzer's comparison tracing).
  static const std::vector<std::uint8_t> &Pattern() {
    static const std::vector<std::uint8_t> p = [] {
      std::vector<std::uint8_t> v(2 * DmaBuf::kBytes);
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(i * 7 + (i >> 8));
      return v;
    }();
    return p;
  }

  // One descriptor record: `sel` and the raw descriptor.
  void Post(std::uint8_t sel, hw::RxDesc d) {
    Settle();                                  // posting only while nothing is in flight
    if (posted_ - seen_ >= size_ - 1) return;  // ring full: the host has no slot
    std::uint16_t len = d.len();
    if (sel & 4) len &= 0x7ff;
    if (sel & 8) len &= 0x3f;
    Buf b;
    b.len = len;
    if ((sel & 3) != 3) {
      b.cluster = sel & 3;
      const std::size_t room = DmaBuf::kBytes - std::min<std::size_t>(len, reach_);
      b.off = d.addr() % (room + 1);
      b.addr = clusters_[b.cluster]->bus() + b.off;
    } else {
      b.addr = d.addr();
      if (Meets(b.addr, std::max<std::uint64_t>(len, 1), arena_lo_, arena_len_)) {
        b.addr = arena_lo_ + arena_len_ + (b.addr & 0xffffffffu);
      }
      raw_.push_back(b);
    }
    slots_[posted_ & (size_ - 1)] = b;
    ring_.PostAt(b.addr, b.len);
    ++posted_;
    ++unrung_;
  }

  // One frame record.
  void Frame(std::vector<std::uint8_t> f, bool bad, bool wait) {
    if (unrung_ != 0) {
      ring_.Doorbell();
      unrung_ = 0;
    }
    if (in_flight_bytes_ + f.size() > kBurstBytes) Settle();
    Plan(f, bad);
    in_flight_bytes_ += f.size();
    ++in_flight_;
    ++frames_;
    rx_bytes_ += f.size();
    const hw::RxCsumResult cs = mbufnic::ClassifyRxChecksums(f);
    l3_bad_ += cs.l3_calc() && !cs.l3_valid();
    l4_bad_ += cs.l4_calc() && !cs.l4_valid();
    sent_.push_back(f);
    sent_csum_.push_back(cs);
    dev_.wire()->Inject(std::move(f), dev_.Now(), bad);
    if (!wait) return;
    Settle();
  }

  // Waits for everything in flight, then checks the whole run.
  void Finish() {
    Settle();
    dev_.Run(5000);  // anything more the card would do, it does now
    Poll();
    if (!expect_.empty() || seen_ != ref_) Fail("completions came after the card settled");
    CheckCounters();
    CheckViolations();
    CheckClusters();
    if (!mbufnic::devtest::Running(dev_, csr::rxq::Base(kQueue))) Fail("the queue stopped");
    ring_.Stop();
    dev_.Run(10000);
  }

 private:
  [[noreturn]] void Fail(const std::string &what) {
    std::fprintf(stderr, "rx_desc_fuzz (%s): %s\n", std::string(dev_.Name()).c_str(), what.c_str());
    std::fprintf(stderr,
                 "  ring of %u, %" PRIu64 " posted, %" PRIu64 " completed by the card, %" PRIu64
                 " by the reference; %zu frames\n",
                 size_, posted_, seen_, ref_, frames_);
    for (std::uint64_t i = seen_; i < posted_; ++i) {
      const Buf &b = slots_[i & (size_ - 1)];
      std::fprintf(stderr, "  buffer %" PRIu64 " (slot %" PRIu64 "): %s len %u\n", i,
                   i & (size_ - 1), Hex(b.addr).c_str(), b.len);
    }
    for (std::size_t k = 0; k < sent_.size(); ++k) {
      const Outcome &o = outcome_[k];
      std::fprintf(stderr, "  frame %zu: %zu bytes%s, %s", k, sent_[k].size(),
                   o.mac_bad ? " (MAC: bad)" : "",
                   o.what == 'c'   ? "completes"
                   : o.what == 'b' ? "dropped bad"
                                   : "dropped nobuf");
      if (o.what == 'c') std::fprintf(stderr, " in %u buffers from %" PRIu64, o.bufs, o.first);
      std::fprintf(stderr, "\n");
    }
    for (const std::string &v : dev_.memory()->violations()) {
      std::fprintf(stderr, "  violation: %s\n", v.c_str());
    }
    std::abort();
  }

  // What the card must do with a frame (docs/card.md, "Receive"), given the ring as it is.
  void Plan(const std::vector<std::uint8_t> &f, bool bad) {
    const std::size_t len = f.size();
    Outcome &o = outcome_.emplace_back();
    o.mac_bad = bad;
    if (bad || len < 14 || len > max_frame_) {
      ++exp_bad_;
      return;
    }
    // Buffers posted with length 0 at the consumer index come back alone.
    while (ref_ < posted_ && slots_[ref_ & (size_ - 1)].len == 0) ++ref_;
    std::size_t n = 0, room = 0;
    bool outside = false;
    while (room < len && n < max_bufs_ && ref_ + n < posted_) {
      const Buf &b = slots_[(ref_ + n) & (size_ - 1)];
      if (b.len == 0) break;  // ends the walk: a completion never covers one
      room += b.len;
      outside = outside || b.cluster < 0;
      ++n;
    }
    if (room >= len) {
      expect_.push_back(Expect{ref_, static_cast<unsigned>(n), sent_.size(), outside});
      o = Outcome{'c', bad, static_cast<unsigned>(n), ref_};
      ref_ += n;
    } else if (n == max_bufs_) {
      ++exp_bad_;  // needs more buffers than a frame may fill
    } else {
      ++exp_nobuf_;
      o.what = 'n';
    }
  }

  // Reads the completions the card has written since the last call and checks each.
  void Poll() {
    for (;;) {
      hw::RxCpl c;
      std::memcpy(c.bytes.data(), ring_.cpl_va() + std::size_t{cpl_head_} * hw::RxCpl::kBytes,
                  hw::RxCpl::kBytes);
      if (c.phase() != phase_) return;
      cpl_head_ = (cpl_head_ + 1) & (size_ - 1);
      if (cpl_head_ == 0) phase_ = !phase_;
      Check(c);
    }
  }

  void Check(const hw::RxCpl &c) {
    const std::string at = "completion " + Str(cpls_++) + " (desc_index " + Str(c.desc_index()) +
                           ", bufs " + Str(c.bufs()) + ", len " + Str(c.len()) + ", err_desc " +
                           Str(c.err_desc()) + ", err_dma " + Str(c.err_dma()) + ")";
    if (seen_ >= posted_) Fail(at + ": no buffer is posted");
    if (c.desc_index() != (seen_ & (size_ - 1))) {
      Fail(at + ": the next buffer is " + Str(seen_ & (size_ - 1)));
    }
    const Buf &head = slots_[seen_ & (size_ - 1)];
    if (c.err_desc()) {
      if (head.len != 0) Fail(at + ": err_desc for a buffer of length " + Str(head.len));
      if (c.bufs() != 1 || c.len() != 0 || c.err_dma()) {
        Fail(at + ": an err_desc completion has bufs 1, len 0 and nothing else");
      }
      ++seen_;
      ++errors_;
      // The card may hand back a length-0 buffer at its consumer index before a frame comes.
      if (seen_ > ref_) {
        if (!expect_.empty()) Fail(at + ": before the frame that completes first");
        ref_ = seen_;
      }
      return;
    }
    if (expect_.empty()) Fail(at + ": no frame is owed a completion");
    const Expect e = expect_.front();
    expect_.pop_front();
    const std::vector<std::uint8_t> &f = sent_[e.frame];
    if (seen_ != e.first) {
      Fail(at + ": frame " + Str(e.frame) + " starts at buffer " + Str(e.first) +
           " after the length-0 ones, yet the card completed up to " + Str(seen_));
    }
    if (c.bufs() != e.bufs || c.len() != f.size() || c.err_dma() != e.err_dma) {
      Fail(at + ": frame " + Str(e.frame) + " is " + Str(f.size()) + " bytes in " + Str(e.bufs) +
           " buffers, err_dma " + Str(e.err_dma));
    }
    const hw::RxCsumResult cs = csum_on_ ? sent_csum_[e.frame] : hw::RxCsumResult{};
    if (!(c.csum() == cs)) Fail(at + ": checksum verdict differs from ClassifyRxChecksums");
    const std::uint16_t type = static_cast<std::uint16_t>((f[12] << 8) | f[13]);
    const bool vlan = (type == 0x8100 || type == 0x88A8) && f.size() >= 16;
    if (c.vlan() != vlan || (vlan && c.vlan_tci() != ((f[14] << 8) | f[15]))) {
      Fail(at + ": outer VLAN tag differs from the frame's");
    }
    // The bytes the card wrote, as the host will find them.
    std::size_t off = 0;
    for (unsigned i = 0; i < e.bufs; ++i) {
      const Buf &b = slots_[(e.first + i) & (size_ - 1)];
      const std::size_t take = std::min<std::size_t>(b.len, f.size() - off);
      if (b.cluster >= 0) {
        std::memcpy(image_[b.cluster].data() + b.off, f.data() + off, take);
        std::memset(wild_[b.cluster].data() + b.off, e.err_dma, take);
      }
      off += take;
    }
    seen_ += e.bufs;
    if (e.err_dma) {
      ++errors_;
      ++err_dma_;
    } else {
      ++packets_;
      bytes_ += f.size();
    }
  }

  std::uint32_t Port(std::uint32_t reg) { return dev_.Read32(csr::port::kBase + reg); }
  std::uint32_t Queue(std::uint32_t reg) { return dev_.Read32(csr::rxq::Base(kQueue) + reg); }

  // Runs the card until every frame in flight has its completion or its drop.
  void Settle() {
    if (in_flight_ == 0) return;
    for (std::uint64_t c = 0;; c += kStep) {
      Poll();
      const std::uint32_t bad = Port(csr::port::kRxDropBad);
      const std::uint32_t nobuf = Port(csr::port::kRxDropNobuf);
      if (bad > exp_bad_ || nobuf > exp_nobuf_) {
        Fail("the card dropped " + Str(bad) + " frames as bad and " + Str(nobuf) +
             " for want of buffers; expected " + Str(exp_bad_) + " and " + Str(exp_nobuf_));
      }
      if (expect_.empty() && seen_ == ref_ && bad == exp_bad_ && nobuf == exp_nobuf_) break;
      if (c >= kSettleCycles) {
        Fail("after " + Str(kSettleCycles) + " cycles " + Str(expect_.size()) +
             " frames still owe a completion (next: frame " +
             (expect_.empty() ? std::string("-") : Str(expect_.front().frame)) + "), " +
             Str(ref_ - seen_) + " length-0 buffers theirs; drops bad " + Str(bad) + " of " +
             Str(exp_bad_) + ", nobuf " + Str(nobuf) + " of " + Str(exp_nobuf_));
      }
      dev_.Run(kStep);
    }
    in_flight_ = 0;
    in_flight_bytes_ = 0;
  }

  void CheckCounters() {
    auto eq = [&](const char *what, std::uint64_t got, std::uint64_t want) {
      if (got != want) Fail(std::string(what) + " is " + Str(got) + ", expected " + Str(want));
    };
    eq("rxq.packets", Queue(csr::rxq::kPackets), packets_);
    const std::uint64_t lo = Queue(csr::rxq::kBytesLo);
    eq("rxq.bytes", lo | (std::uint64_t{Queue(csr::rxq::kBytesHi)} << 32), bytes_);
    eq("rxq.errors", Queue(csr::rxq::kErrors), errors_);
    eq("rxq.drops", Queue(csr::rxq::kDrops), exp_nobuf_);
    eq("port.rx_frames", Port(csr::port::kRxFrames), frames_);
    const std::uint64_t plo = Port(csr::port::kRxBytesLo);
    eq("port.rx_bytes", plo | (std::uint64_t{Port(csr::port::kRxBytesHi)} << 32), rx_bytes_);
    eq("port.rx_drop_bad", Port(csr::port::kRxDropBad), exp_bad_);
    eq("port.rx_drop_nobuf", Port(csr::port::kRxDropNobuf), exp_nobuf_);
    eq("port.dma_rd_err", Port(csr::port::kDmaRdErr), 0);
    // A refused write is counted once per burst: at least one for each err_dma completion.
    const std::uint32_t wr_err = Port(csr::port::kDmaWrErr);
    if (wr_err < err_dma_ || (wr_err != 0 && err_dma_ == 0)) {
      Fail("port.dma_wr_err is " + Str(wr_err) + " with " + Str(err_dma_) + " err_dma completions");
    }
    if (csum_on_) {  // the checksum engine sees every frame, good or bad
      eq("csum.rx_frames", dev_.Read32(csr::csum::kBase + csr::csum::kRxFrames), frames_);
      eq("csum.rx_l3_bad", dev_.Read32(csr::csum::kBase + csr::csum::kRxL3Bad), l3_bad_);
      eq("csum.rx_l4_bad", dev_.Read32(csr::csum::kBase + csr::csum::kRxL4Bad), l4_bad_);
    }
  }

  // Only refused writes outside the arena whose first refused byte lies in a buffer the host
  // posted there.
  void CheckViolations() {
    for (const std::string &v : dev_.memory()->violations()) {
      unsigned long long n = 0, at = 0, byte = 0;
      if (v.rfind("... more", 0) == 0) continue;
      if (std::sscanf(v.c_str(), "write of %llu bytes at %llx: byte %llx", &n, &at, &byte) != 3 ||
          v.find("outside the DMA arena") == std::string::npos) {
        Fail("the card reached memory the host did not grant: " + v);
      }
      const bool posted = std::any_of(raw_.begin(), raw_.end(), [&](const Buf &b) {
        return static_cast<std::uint64_t>(byte) - b.addr < b.len;
      });
      if (!posted) Fail("the card wrote outside the arena where no buffer was posted: " + v);
    }
  }

  // The clusters hold what the completions say, and their old bytes everywhere else.
  void CheckClusters() {
    for (std::size_t c = 0; c < kClusters; ++c) {
      const std::uint8_t *p = clusters_[c]->va();
      if (std::memcmp(p, image_[c].data(), DmaBuf::kBytes) == 0) continue;
      for (std::size_t i = 0; i < DmaBuf::kBytes; ++i) {
        if (!wild_[c][i] && p[i] != image_[c][i]) {
          Fail("cluster " + Str(c) + " byte " + Str(i) + " is " + Hex(p[i]) + ", expected " +
               Hex(image_[c][i]) + " (what the completions say was written there)");
        }
      }
    }
  }

  mbufnic::device::Device &dev_;
  mbufnic::devtest::RxRing ring_;
  std::uint32_t size_;
  std::vector<Buf> slots_;  // by ring index: the buffer posted there last
  std::array<std::unique_ptr<DmaBuf>, kClusters> clusters_;
  std::array<std::vector<std::uint8_t>, kClusters> image_;
  // 1: written by a frame with err_dma, so either the old byte or the frame's.
  std::array<std::vector<std::uint8_t>, kClusters> wild_;
  std::vector<Buf> raw_;  // buffers posted outside the arena
  std::vector<std::vector<std::uint8_t>> sent_;
  std::vector<hw::RxCsumResult> sent_csum_;  // ClassifyRxChecksums of each
  std::vector<Outcome> outcome_;             // what the reference expects of each
  std::deque<Expect> expect_;

  std::uint64_t arena_lo_ = 0, arena_len_ = 0;
  std::uint32_t max_frame_ = 0, max_bufs_ = 0, reach_ = 0;
  bool csum_on_ = false;

  // Buffers counted from enable: posted, completed by the card (as seen), completed by the
  // reference (the card's consumer index once it has taken every frame in flight).
  std::uint64_t posted_ = 0, seen_ = 0, ref_ = 0;
  std::size_t unrung_ = 0;
  std::uint32_t cpl_head_ = 0;
  bool phase_ = true;
  std::size_t in_flight_ = 0, in_flight_bytes_ = 0;
  std::uint64_t cpls_ = 0;

  // What the counters must say.
  std::uint64_t frames_ = 0, rx_bytes_ = 0, exp_bad_ = 0, exp_nobuf_ = 0, packets_ = 0, bytes_ = 0,
                errors_ = 0, err_dma_ = 0, l3_bad_ = 0, l4_bad_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < 2) return -1;
  const mbufnic::test::ZoneUsage zones = mbufnic::test::ZoneUsage::Now();
  {
    const char *backend = std::getenv("MBUFNIC_FUZZ_BACKEND");
    std::unique_ptr<mbufnic::device::Device> dev;
    try {
      dev = mbufnic::device::Open(backend && *backend ? backend : MBUFNIC_FUZZ_DEFAULT_BACKEND, {});
    } catch (const mbufnic::device::DeviceError &e) {
      std::fprintf(stderr, "rx_desc_fuzz: %s\n", e.what());
      std::exit(2);
    }
    // Frames up to the card's largest: the port's MTU at its largest, as the firmware's
    // change_mtu would set it (the card starts at 1500).
    const std::uint32_t max_frame = dev->Read32(hw::csr::card::kBase + hw::csr::card::kMaxFrame);
    if (!dev->mgmt()->write(hw::csr::port::kBase + hw::csr::port::kMtu, max_frame - 18)) {
      std::fprintf(stderr, "rx_desc_fuzz: the MTU could not be raised\n");
      std::abort();
    }
    Harness h(*dev, 1 + data[0] % 6);
    std::size_t at = 1, frames = 0, posts = 0;
    while (at < size && frames < kMaxFrames && posts < kMaxPosts) {
      const std::uint8_t tag = data[at++];
      if (!(tag & 0x80)) {
        if (size - at < hw::RxDesc::kBytes) break;
        hw::RxDesc d;
        std::memcpy(d.bytes.data(), data + at, hw::RxDesc::kBytes);
        at += hw::RxDesc::kBytes;
        h.Post(tag, d);
        ++posts;
        continue;
      }
      if (size - at < 3) break;
      const std::size_t len = 1 + (data[at] | (data[at + 1] << 8)) % (h.reach() - 1);
      const std::size_t lit =
          std::min({std::size_t{data[at + 2]} % (kMaxLiteral + 1), len, size - at - 3});
      at += 3;
      std::vector<std::uint8_t> f(len);
      std::memcpy(f.data(), data + at, lit);
      at += lit;
      std::memcpy(f.data() + lit, Harness::Pattern().data() + frames + lit, len - lit);
      h.Frame(std::move(f), (tag & 0x40) != 0, (tag & 0x20) == 0);
      ++frames;
    }
    h.Finish();
  }
  if (!(mbufnic::test::ZoneUsage::Now() == zones)) {
    std::fprintf(stderr, "rx_desc_fuzz: mbufs or clusters still in use\n");
    std::abort();
  }
  return 0;
}
