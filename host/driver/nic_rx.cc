// Receive: posted buffers, completions to chains, refill.
#include <sys/mbuf.h>

#include <atomic>
#include <cstring>

#include "driver_internal.h"
#include "mbufnic/driver.hpp"
#include "mbufnic/runtime.h"

namespace mbufnic::driver {
namespace {

namespace csr = hw::csr;

constexpr int kMaxBufs = 32;  // rx_cpl.bufs is 5 bits

}  // namespace

struct mbuf *Nic::AllocRxBuf(int how) {
  if (opt_.rx_buf_size == MCLBYTES) return m_getcl(how, MT_DATA, M_PKTHDR);
  return m_getjcl(how, MT_DATA, M_PKTHDR, opt_.rx_buf_size);
}

void Nic::PostRx(RxQueue &r, struct mbuf *m) {
  const uint32_t i = r.prod & r.mask;
  r.bufs[i] = m;
  m->m_len = 0;
  hw::RxDesc d{};
  d.set_addr(mbufnic_vtobus(m->m_data)).set_len(static_cast<uint16_t>(opt_.rx_buf_size));
  std::memcpy(&r.desc[i], &d, sizeof d);
  ++r.prod;
}

bool Nic::RxCplReady(const RxQueue &r) const {
  hw::RxCpl c;
  std::memcpy(&c, &r.cpl[r.cpl_head & r.mask], sizeof c);
  return c.phase() == r.phase;
}

int Nic::Receive(int q, struct mbuf **out, int max) {
  RxQueue &r = rx_[q];
  const uint32_t prod0 = r.prod;
  const int buf_size = opt_.rx_buf_size;
  int got = 0;
  while (got < max) {
    hw::RxCpl c;
    std::memcpy(&c, &r.cpl[r.cpl_head & r.mask], sizeof c);
    if (c.phase() != r.phase) break;
    std::atomic_thread_fence(std::memory_order_acquire);  // the entry before the frame's data
    if ((++r.cpl_head & r.mask) == 0) r.phase = !r.phase;

    // The frame's buffers are the next ones in posting order (desc_index says the same).
    int nb = c.bufs();
    if (nb < 1) nb = 1;
    if (nb > static_cast<int>(r.prod - r.cons)) nb = static_cast<int>(r.prod - r.cons);
    if (nb == 0) {  // a completion with no buffer posted: nothing to hand up or give back
      ++r.stats.errors;
      continue;
    }
    struct mbuf *old[kMaxBufs];
    for (int i = 0; i < nb; ++i) {
      const uint32_t idx = (r.cons + static_cast<uint32_t>(i)) & r.mask;
      old[i] = r.bufs[idx];
      r.bufs[idx] = nullptr;
    }
    r.cons += static_cast<uint32_t>(nb);

    const int len = c.len();
    bool recycle = c.err_desc() || c.err_dma() || len == 0 || len > nb * buf_size;
    if (recycle) {
      ++r.stats.errors;
    } else {
      // Replacements first: if there are none, the frame is dropped and its buffers go back on
      // the ring, so the ring never runs dry however short memory is.
      struct mbuf *fresh[kMaxBufs];
      int k = 0;
      for (; k < nb; ++k) {
        fresh[k] = AllocRxBuf(M_NOWAIT);
        if (fresh[k] == nullptr) break;
      }
      if (k < nb) {
        for (int i = 0; i < k; ++i) m_free(fresh[i]);
        ++r.stats.drops;
        recycle = true;
      } else {
        struct mbuf *head = nullptr;
        int left = len;
        for (int i = 0; i < nb; ++i) {
          struct mbuf *m = old[i];
          m->m_len = left < buf_size ? left : buf_size;
          left -= m->m_len;
          m->m_next = i + 1 < nb ? old[i + 1] : nullptr;
          // Every buffer was allocated as a packet header; only the first stays one (iflib).
          if (i > 0) {
            m->m_flags &= ~M_PKTHDR;
          } else {
            head = m;
          }
          PostRx(r, fresh[i]);
        }
        head->m_pkthdr.len = len;
        if (opt_.rx_csum) {
          uint32_t data;
          head->m_pkthdr.csum_flags = RxCsumFlags(c.csum(), &data);
          head->m_pkthdr.csum_data = data;
          const hw::RxCsumResult cs = c.csum();
          if (cs.l3_calc() && !cs.l3_valid()) ++r.stats.csum_l3_bad;
          if (cs.l4_calc() && !cs.l4_valid()) ++r.stats.csum_l4_bad;
        }
        if (c.vlan()) {
          head->m_pkthdr.ether_vtag = c.vlan_tci();
          head->m_flags |= M_VLANTAG;
        }
        ++r.stats.packets;
        r.stats.bytes += static_cast<uint64_t>(len);
        out[got++] = head;
      }
    }
    if (recycle) {
      for (int i = 0; i < nb; ++i) PostRx(r, old[i]);
    }
  }
  if (r.prod != prod0) {
    std::atomic_thread_fence(std::memory_order_release);
    dev_.Write32(r.base + csr::rxq::kProd, r.prod & r.mask);
  }
  return got;
}

}  // namespace mbufnic::driver
