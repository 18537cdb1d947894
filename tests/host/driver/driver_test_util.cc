#include "driver_test_util.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <stdexcept>

#include "mbufnic/runtime.h"
#include "rx_csum_ref.h"

namespace mbufnic::drivertest {
namespace {

// Appends `len` bytes of `src` in one new mbuf of the given kind after *tail.
struct mbuf *Piece(const uint8_t *src, int len, bool cluster, bool pkthdr) {
  struct mbuf *m = cluster ? m_getcl(M_WAITOK, MT_DATA, pkthdr ? M_PKTHDR : 0)
                           : (pkthdr ? m_gethdr(M_WAITOK, MT_DATA) : m_get(M_WAITOK, MT_DATA));
  if (len > M_TRAILINGSPACE(m)) throw std::logic_error("piece does not fit its mbuf");
  if (len > 0) std::memcpy(mtod(m, uint8_t *), src, static_cast<size_t>(len));
  m->m_len = len;
  return m;
}

// Cuts bytes into pieces of lo..hi bytes (the last may be shorter), each its own mbuf.
struct mbuf *Pieces(std::span<const uint8_t> bytes, int lo, int hi, bool cluster, bool pkthdr,
                    std::mt19937_64 &rng, bool empties = false) {
  std::uniform_int_distribution<int> size(lo, hi);
  struct mbuf *head = nullptr, **tail = &head;
  size_t off = 0;
  bool first = true;
  do {
    // The head of a packet has MHLEN bytes of room, the others MLEN.
    const int room = cluster ? MCLBYTES : (first && pkthdr ? MHLEN : MLEN);
    const int take = std::min<int>({size(rng), room, static_cast<int>(bytes.size() - off)});
    *tail = Piece(bytes.data() + off, take, cluster, first && pkthdr);
    tail = &(*tail)->m_next;
    off += static_cast<size_t>(take);
    if (empties && (rng() % 3) == 0) {
      *tail = Piece(nullptr, 0, false, false);
      tail = &(*tail)->m_next;
    }
    first = false;
  } while (off < bytes.size());
  return head;
}

}  // namespace

std::string LayoutName(Layout layout) {
  switch (layout) {
    case Layout::kOneBuffer:
      return "one_buffer";
    case Layout::kSmallMbufs:
      return "small_mbufs";
    case Layout::kClusters:
      return "clusters";
    case Layout::kSharedClusters:
      return "shared_clusters";
    case Layout::kHeaderAndShared:
      return "header_and_shared";
    case Layout::kWithEmpties:
      return "with_empties";
  }
  return "?";
}

TestChain BuildChain(std::span<const uint8_t> bytes, Layout layout, std::mt19937_64 &rng,
                     int hdr_len) {
  TestChain c;
  const int len = static_cast<int>(bytes.size());
  switch (layout) {
    case Layout::kOneBuffer: {
      c.m = m_get3(std::max(len, 1), M_WAITOK, MT_DATA, M_PKTHDR);
      if (c.m == nullptr) throw std::logic_error("m_get3 failed");
      if (len > 0) std::memcpy(mtod(c.m, uint8_t *), bytes.data(), bytes.size());
      c.m->m_len = len;
      break;
    }
    case Layout::kSmallMbufs:
      c.m = Pieces(bytes, 1, 100, false, true, rng);
      break;
    case Layout::kClusters:
      c.m = Pieces(bytes, 1, MCLBYTES, true, true, rng);
      break;
    case Layout::kSharedClusters:
      c.keep = Pieces(bytes, 200, MCLBYTES, true, true, rng);
      c.keep->m_pkthdr.len = len;
      c.m = m_copym(c.keep, 0, M_COPYALL, M_WAITOK);
      break;
    case Layout::kHeaderAndShared: {
      const int h = std::clamp(hdr_len, 1, std::min(len, MHLEN));
      c.m = Piece(bytes.data(), h, false, true);
      if (len > h) {
        c.keep = Pieces(bytes.subspan(static_cast<size_t>(h)), 300, MCLBYTES, true, false, rng);
        c.m->m_next = m_copym(c.keep, 0, M_COPYALL, M_WAITOK);
      }
      break;
    }
    case Layout::kWithEmpties:
      c.m = Pieces(bytes, 1, 100, false, true, rng, true);
      break;
  }
  c.m->m_pkthdr.len = len;
  return c;
}

struct mbuf *OffsetBuffer(std::span<const uint8_t> bytes, int offset, bool cluster) {
  struct mbuf *m = cluster ? m_getcl(M_WAITOK, MT_DATA, M_PKTHDR) : m_gethdr(M_WAITOK, MT_DATA);
  const int len = static_cast<int>(bytes.size());
  if (offset + len > M_TRAILINGSPACE(m)) throw std::logic_error("offset buffer does not fit");
  m->m_data += offset;
  if (len > 0) std::memcpy(mtod(m, uint8_t *), bytes.data(), bytes.size());
  m->m_len = m->m_pkthdr.len = len;
  return m;
}

namespace {
// Single-buffer shapes: offset into internal storage (which itself starts partway into a line)
// or into a cluster (which starts on one).
struct OffsetShape {
  int offset;
  bool cluster;
};
constexpr OffsetShape kOffsetShapes[] = {{0, false}, {1, false}, {17, false}, {32, false},
                                         {0, true},  {8, true},  {32, true},  {63, true}};
constexpr int kOffsetShapeCount = static_cast<int>(std::size(kOffsetShapes));
static_assert(kOffsetShapeCount + static_cast<int>(std::size(kAllLayouts)) == kSmallShapes);
}  // namespace

TestChain SmallShape(std::span<const uint8_t> bytes, int k, std::mt19937_64 &rng) {
  if (k < kOffsetShapeCount) {
    const OffsetShape s = kOffsetShapes[k];
    // Internal storage holds MHLEN bytes: a longer frame goes into a cluster at the same offset.
    const bool cluster = s.cluster || s.offset + static_cast<int>(bytes.size()) > MHLEN;
    return TestChain{OffsetBuffer(bytes, s.offset, cluster), nullptr};
  }
  return BuildChain(bytes, kAllLayouts[k - kOffsetShapeCount], rng, 14);
}

std::string SmallShapeName(int k) {
  if (k < kOffsetShapeCount) {
    const OffsetShape s = kOffsetShapes[k];
    return std::string(s.cluster ? "cluster" : "internal") + "+" + std::to_string(s.offset);
  }
  return LayoutName(kAllLayouts[k - kOffsetShapeCount]);
}

bool CopybreakApplies(const struct mbuf *m, int copybreak) {
  const int len = m->m_pkthdr.len;
  if (len <= 0 || len > copybreak) return false;
  int bufs = 0;
  uint64_t first = 0;
  for (; m != nullptr; m = m->m_next) {
    if (m->m_len <= 0) continue;
    if (bufs++ == 0) first = mbufnic_vtobus(m->m_data);
  }
  if (bufs != 1) return bufs > 1;
  const uint64_t lines_now = (first % 64 + static_cast<uint64_t>(len) + 63) / 64;
  return lines_now > (static_cast<uint64_t>(len) + 63) / 64;
}

std::vector<uint8_t> ChainBytes(const struct mbuf *m) {
  std::vector<uint8_t> v;
  for (; m != nullptr; m = m->m_next) {
    const auto *p = mtod(m, const uint8_t *);
    v.insert(v.end(), p, p + m->m_len);
  }
  return v;
}

void FreeTestChain(TestChain &c) {
  m_freem(c.m);
  m_freem(c.keep);
  c = TestChain{};
}

uint32_t ExpectedRxFlags(std::span<const uint8_t> frame, uint32_t *data) {
  const rtltest::RxCsumRef ref = rtltest::ClassifyRx(frame);
  uint32_t f = 0;
  *data = 0;
  if (ref.l3_calc) f |= CSUM_L3_CALC | (ref.l3_valid ? CSUM_L3_VALID : 0);
  if (ref.l4_calc && ref.l4_valid) {
    f |= CSUM_L4_CALC | CSUM_L4_VALID;
    *data = 0xffff;
  }
  return f;
}

}  // namespace mbufnic::drivertest
