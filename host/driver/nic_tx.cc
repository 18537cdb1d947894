// Transmit: chains to descriptors (small frames to a bounce slot), the doorbell, completions.
#include <errno.h>
#include <sys/mbuf.h>

#include <atomic>
#include <cstring>

#include "driver_internal.h"
#include "mbufnic/driver.hpp"
#include "mbufnic/runtime.h"
#include "mbufnic/sw_offload.hpp"

namespace mbufnic::driver {
namespace {

namespace csr = hw::csr;

constexpr int kMaxDescsPerFrame = 255;  // tx_cpl.descs is 8 bits

// Storage the zones handed out, whose bytes are in the DMA arena: everything but MEXTADD'd
// caller storage, which may lie anywhere.
bool ArenaStorage(const struct mbuf *m) {
  if ((m->m_flags & M_EXT) == 0) return true;
  switch (m->m_ext.ext_type) {
    case EXT_CLUSTER:
    case EXT_PACKET:
    case EXT_JUMBOP:
    case EXT_JUMBO9:
    case EXT_JUMBO16:
      return true;
    default:
      return mbufnic_in_arena(m->m_data, static_cast<size_t>(m->m_len)) != 0;
  }
}

// Descriptors chain m needs (one per non-empty mbuf), or -1 when a buffer is outside the arena
// (the card cannot reach it: the chain must be copied).
int CountDescs(const struct mbuf *m) {
  int n = 0;
  for (; m != nullptr; m = m->m_next) {
    if (m->m_len <= 0) continue;
    if (!ArenaStorage(m)) return -1;
    ++n;
  }
  return n;
}

// 64-byte lines a read of [bus, bus + len) moves: the card's DMA reads whole lines.
constexpr uint64_t kLine = 64;
uint64_t Lines(uint64_t bus, uint64_t len) { return (bus % kLine + len + kLine - 1) / kLine; }

}  // namespace

bool Nic::WantsCopy(const struct mbuf *m) const {
  const int len = m->m_pkthdr.len;
  if (len <= 0 || len > opt_.tx_copybreak) return false;
  // The copy costs ceil(len / 64) lines and one descriptor; the chain as it is costs each of its
  // buffers' lines and a descriptor each.  Copy only when that is more, so a frame already packed
  // from a line boundary (a cluster, or one that fits its line) is sent in place.
  const struct mbuf *first = nullptr;
  int bufs = 0, bytes = 0;
  for (const struct mbuf *s = m; s != nullptr; s = s->m_next) {
    if (s->m_len <= 0) continue;
    if (first == nullptr) first = s;
    ++bufs;
    bytes += s->m_len;
    if (bytes > len) return false;
  }
  // A header whose length is not the chain's: the ordinary path sends what the chain holds.
  if (bytes != len) return false;
  if (bufs > 1) return true;
  const uint64_t bus = mbufnic_vtobus(first->m_data);
  if (!ArenaStorage(first) || bus == MBUFNIC_BUSADDR_INVALID) return true;  // a copy in any case
  return Lines(bus, static_cast<uint64_t>(len)) > Lines(0, static_cast<uint64_t>(len));
}

// One descriptor for the frame's bytes copied into the bounce slot of the descriptor's index;
// the chain is freed at once (nothing of it is read later), its length kept for TxComplete.
Nic::Enq Nic::PlaceCopy(TxQueue &t, struct mbuf **mp, const hw::TxOffloadCmd &cmd) {
  if (t.mask - (t.prod - t.cons) == 0) return Enq::kFull;
  struct mbuf *m = *mp;
  const uint32_t i = t.prod & t.mask;
  const uint32_t off = (i & t.slot_mask) << t.slot_shift;
  uint8_t *slot = t.bounce_va[i >> t.cluster_shift] + off;
  int len = 0;
  for (const struct mbuf *s = m; s != nullptr; s = s->m_next) {
    if (s->m_len <= 0) continue;
    std::memcpy(slot + len, mtod(s, const uint8_t *), static_cast<size_t>(s->m_len));
    len += s->m_len;
  }
  hw::TxDesc d{};
  d.set_addr(t.bounce_bus[i >> t.cluster_shift] + off)
      .set_len(static_cast<uint16_t>(len))
      .set_eop(true)
      .set_cmd(cmd);
  std::memcpy(&t.desc[i], &d, sizeof d);
  ++t.prod;
  t.chains[i] = nullptr;
  t.copied_len[i] = static_cast<uint32_t>(len);
  ++t.stats.copies;
  m_freem(m);
  *mp = nullptr;
  return Enq::kQueued;
}

int Nic::TxFree(int q) const {
  const TxQueue &t = tx_[q];
  return static_cast<int>(t.mask - (t.prod - t.cons));
}

bool Nic::TxCplReady(const TxQueue &t) const {
  hw::TxCpl c;
  std::memcpy(&c, &t.cpl[t.cpl_head & t.mask], sizeof c);
  return c.phase() == t.phase;
}

int Nic::Transmit(int q, struct mbuf **pkts, int n) {
  TxQueue &t = tx_[q];
  const uint32_t prod0 = t.prod;
  int i = 0;
  for (; i < n; ++i) {
    if (Enqueue(t, &pkts[i]) == Enq::kFull) {
      ++t.stats.full;
      break;
    }
  }
  if (t.prod != prod0) {
    // Descriptors in memory before the card hears of them.
    std::atomic_thread_fence(std::memory_order_release);
    dev_.Write32(t.base + csr::txq::kProd, t.prod & t.mask);
  }
  return i;
}

Nic::Enq Nic::Enqueue(TxQueue &t, struct mbuf **mp) {
  if (t.mask - (t.prod - t.cons) == 0) return Enq::kFull;  // before the chain is touched
  struct mbuf *m = *mp;
  const auto drop = [&](uint64_t *counter) {
    m_freem(*mp);
    *mp = nullptr;
    ++*counter;
    return Enq::kDropped;
  };
  if (m == nullptr || (m->m_flags & M_PKTHDR) == 0) return drop(&t.stats.drops);

  if ((m->m_flags & M_VLANTAG) != 0) {
    *mp = VlanEncap(m);
    if (*mp == nullptr) {
      ++t.stats.drops;
      return Enq::kDropped;
    }
    m = *mp;
  }

  const uint32_t req = m->m_pkthdr.csum_flags & kTxRequests;
  if ((req & kTsoRequests) != 0) {
    if (const int err = SeedTsoChecksum(mp); err != 0) {
      return drop(err == ENOBUFS ? &t.stats.drops : &t.stats.errors);
    }
    if (!t.hw_tso) return EnqueueSwTso(t, mp);
  } else {
    // Longer than the card takes (it would answer desc_len): no MTU lets the stack send one.
    if (static_cast<uint32_t>(m->m_pkthdr.len) > max_frame_) return drop(&t.stats.drops);
    if ((req & kCsumRequests) != 0 && !t.hw_csum) {
      if (const int err = SoftwareChecksum(mp); err != 0) {
        return drop(err == ENOBUFS ? &t.stats.drops : &t.stats.errors);
      }
      ++t.stats.sw_csum;
    }
  }
  m = *mp;
  hw::TxOffloadCmd cmd;
  if (TxOffloadCommand(m, &cmd) != 0) return drop(&t.stats.errors);
  return Place(t, mp, cmd);
}

Nic::Enq Nic::EnqueueSwTso(TxQueue &t, struct mbuf **mp) {
  struct mbuf *m = *mp;
  // Each segment is one mbuf, so one descriptor: make sure they all fit before cutting.
  HeaderLengths h;
  int segs = 1;
  const int mss = m->m_pkthdr.tso_segsz;
  if (TxHeaderLengths(m, &h) && mss > 0) {
    const int pay = m->m_pkthdr.len - (h.l2 + h.l3 + h.l4);
    if (pay > mss) segs = (pay + mss - 1) / mss;
  }
  if (segs > static_cast<int>(t.mask)) {  // would never fit this ring
    m_freem(m);
    *mp = nullptr;
    ++t.stats.drops;
    return Enq::kDropped;
  }
  if (segs > static_cast<int>(t.mask - (t.prod - t.cons))) return Enq::kFull;

  struct mbuf *list = nullptr;
  if (const int err = mbufnic_sw_tso(m, &list); err != 0) {
    m_freem(m);
    *mp = nullptr;
    ++(err == ENOBUFS ? t.stats.drops : t.stats.errors);
    return Enq::kDropped;
  }
  *mp = nullptr;  // mbufnic_sw_tso freed it
  ++t.stats.sw_tso;
  const hw::TxOffloadCmd none{};
  while (list != nullptr) {
    struct mbuf *s = list;
    list = s->m_nextpkt;
    s->m_nextpkt = nullptr;
    if (Place(t, &s, none) == Enq::kFull) {  // cannot happen: the room was checked
      m_freem(s);
      ++t.stats.drops;
    }
  }
  return Enq::kQueued;
}

Nic::Enq Nic::Place(TxQueue &t, struct mbuf **mp, const hw::TxOffloadCmd &cmd) {
  struct mbuf *m = *mp;
  if (!t.bounce_va.empty() && WantsCopy(m)) return PlaceCopy(t, mp, cmd);
  const int max = tx_max_descs_ < kMaxDescsPerFrame ? tx_max_descs_ : kMaxDescsPerFrame;
  int n = CountDescs(m);
  if (n < 0 || n > max) {
    // FreeBSD's order (iflib on EFBIG): m_collapse, then m_defrag; then 16 KiB clusters, which
    // a long TSO request needs.  A buffer outside the arena needs a copy whatever its count.
    if (n > max && max > 1) {
      if (struct mbuf *c = m_collapse(m, M_NOWAIT, max); c != nullptr) {
        m = *mp = c;
        ++t.stats.collapses;
        n = CountDescs(m);
      }
    }
    if (n < 0 || n > max) {
      if (struct mbuf *d = m_defrag(m, M_NOWAIT); d != nullptr) {
        m = *mp = d;
        ++t.stats.defrags;
        n = CountDescs(m);
      }
    }
    if (n < 0 || n > max) {
      if (struct mbuf *d = DefragJumbo(m); d != nullptr) {
        m = *mp = d;
        ++t.stats.defrags;
        n = CountDescs(m);
      }
    }
    if (n < 0 || n > max) {
      m_freem(m);
      *mp = nullptr;
      ++t.stats.drops;
      return Enq::kDropped;
    }
  }
  if (n == 0) {  // nothing to send: a descriptor of length 0 is an error
    m_freem(m);
    *mp = nullptr;
    ++t.stats.drops;
    return Enq::kDropped;
  }
  if (n > static_cast<int>(t.mask - (t.prod - t.cons))) return Enq::kFull;

  int k = 0;
  for (struct mbuf *s = m; s != nullptr; s = s->m_next) {
    if (s->m_len <= 0) continue;
    hw::TxDesc d{};
    d.set_addr(mbufnic_vtobus(s->m_data))
        .set_len(static_cast<uint16_t>(s->m_len))
        .set_eop(k == n - 1);
    if (k == 0) d.set_cmd(cmd);
    std::memcpy(&t.desc[(t.prod + static_cast<uint32_t>(k)) & t.mask], &d, sizeof d);
    ++k;
  }
  t.prod += static_cast<uint32_t>(n);
  t.chains[(t.prod - 1) & t.mask] = m;  // freed when the frame's completion names this index
  *mp = nullptr;
  return Enq::kQueued;
}

int Nic::TxComplete(int q) {
  TxQueue &t = tx_[q];
  int done = 0;
  for (;;) {
    hw::TxCpl c;
    std::memcpy(&c, &t.cpl[t.cpl_head & t.mask], sizeof c);
    if (c.phase() != t.phase) break;
    std::atomic_thread_fence(std::memory_order_acquire);  // the entry before what it names
    const uint32_t last = c.desc_index() & t.mask;
    struct mbuf *m = t.chains[last];
    const uint32_t copied = t.copied_len[last];  // a copybreak frame: its chain is gone already
    t.chains[last] = nullptr;
    t.copied_len[last] = 0;
    if (c.err() != hw::TxErr::kNone) {
      ++t.stats.errors;
      ++t.stats.by_tx_err[static_cast<size_t>(c.err())];
    } else if (m == nullptr && copied == 0) {
      ++t.stats.errors;  // a completion for no frame of ours: the card and the driver disagree
    } else {
      ++t.stats.packets;
      t.stats.bytes += m != nullptr ? static_cast<uint64_t>(m->m_pkthdr.len) : copied;
    }
    m_freem(m);
    // Every descriptor up to the frame's last may be reused.
    t.cons += (last + 1 - t.cons) & t.mask;
    if ((++t.cpl_head & t.mask) == 0) t.phase = !t.phase;
    ++done;
  }
  return done;
}

}  // namespace mbufnic::driver
