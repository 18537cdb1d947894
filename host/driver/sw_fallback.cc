// The transmit side's software paths: what FreeBSD's stack or iflib does when the card does not
// (VLAN tag insertion, checksums, th_sum re-seeding for TSO, copying a chain too long for the
// card).  None of this runs for a packet whose offloads the card carries out, except the TSO
// re-seed, which every TSO request needs.
#include <errno.h>
#include <netinet/in.h>
#include <sys/mbuf.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "driver_internal.h"
#include "mbufnic/cksum.h"

namespace mbufnic::driver {
namespace {

constexpr int kEtherAddrs = 12;  // destination and source MAC
constexpr int kVlanLen = 4;      // ETHER_VLAN_ENCAP_LEN
constexpr uint16_t kTpidVlan = 0x8100;

// True when every mbuf holding a byte of [0, len) may be written in place.
bool PrefixWritable(const struct mbuf *m, int len) {
  for (; m != nullptr && len > 0; m = m->m_next) {
    if (m->m_len <= 0) continue;
    if (!M_WRITABLE(m)) return false;
    len -= m->m_len;
  }
  return len <= 0;
}

// Gives the packet a private, writable copy of its first hdrlen bytes: a new packet-header mbuf
// in front, the rest of the chain trimmed past them (its storage stays shared and unwritten).
// What iflib's m_dup does, without copying the payload.  0, or ENOBUFS with the chain untouched.
int PrivateHeader(struct mbuf **mp, int hdrlen) {
  struct mbuf *m = *mp;
  struct mbuf *n = m_get2(hdrlen, M_NOWAIT, MT_DATA, M_PKTHDR);
  if (n == nullptr) return ENOBUFS;
  if (CopyPrefix(m, mtod(n, uint8_t *), hdrlen) != hdrlen) {
    m_free(n);
    return EINVAL;
  }
  m_move_pkthdr(n, m);      // n's data already sits where m_move_pkthdr puts it
  n->m_flags &= ~M_RDONLY;  // M_COPYFLAGS carries the old head's M_RDONLY; this storage is new
  n->m_len = hdrlen;
  m_adj(m, hdrlen);  // no packet header any more: only the mbufs move
  n->m_next = m;
  *mp = n;
  return 0;
}

void Store16(struct mbuf *m, int off, uint16_t memory_order_value) {
  m_copyback(m, off, 2, reinterpret_cast<c_caddr_t>(&memory_order_value));
}

}  // namespace

struct mbuf *VlanEncap(struct mbuf *m) {
  const uint16_t tci = m->m_pkthdr.ether_vtag;
  M_PREPEND(m, kVlanLen, M_NOWAIT);
  if (m == nullptr) return nullptr;
  if (m->m_len < kEtherAddrs + 2 * kVlanLen) {
    m = m_pullup(m, kEtherAddrs + 2 * kVlanLen);
    if (m == nullptr) return nullptr;
  }
  // M_PREPEND gave writable room (leading space of a writable mbuf, or a new mbuf) and m_pullup
  // copies into a head it may write.
  uint8_t *p = mtod(m, uint8_t *);
  std::memmove(p, p + kVlanLen, kEtherAddrs);
  p[12] = kTpidVlan >> 8;
  p[13] = kTpidVlan & 0xff;
  p[14] = static_cast<uint8_t>(tci >> 8);
  p[15] = static_cast<uint8_t>(tci);
  m->m_flags &= ~M_VLANTAG;
  if (m->m_pkthdr.l2hlen != 0) m->m_pkthdr.l2hlen += kVlanLen;
  return m;
}

int SeedTsoChecksum(struct mbuf **mp) {
  struct mbuf *m = *mp;
  HeaderLengths h;
  if (!TxHeaderLengths(m, &h) || h.l4 < 20) return EINVAL;
  const int hdr = h.l2 + h.l3 + h.l4;
  if (m->m_pkthdr.len < hdr) return EINVAL;
  const bool ipv6 = (m->m_pkthdr.csum_flags & CSUM_IP6_TSO) != 0;
  // in_pseudo(src, dst, htons(IPPROTO_TCP)) or in6_cksum_pseudo(ip6, 0, IPPROTO_TCP, 0): the
  // addresses and the protocol, no length.  Both in memory order, as the field holds them.
  uint8_t addrs[32];
  const int addr_len = ipv6 ? 32 : 8;
  m_copydata(m, h.l2 + (ipv6 ? 8 : 12), addr_len, reinterpret_cast<caddr_t>(addrs));
  const uint16_t seed = mbufnic_cksum_raw(addrs, static_cast<size_t>(addr_len), htons(IPPROTO_TCP));
  const int th_sum = h.l2 + h.l3 + 16;
  if (!PrefixWritable(m, th_sum + 2)) {
    if (const int err = PrivateHeader(mp, hdr); err != 0) return err;
    m = *mp;
  }
  Store16(m, th_sum, seed);
  return 0;
}

int SoftwareChecksum(struct mbuf **mp) {
  struct mbuf *m = *mp;
  const uint32_t req = m->m_pkthdr.csum_flags & kCsumRequests;
  if (req == 0) return 0;
  HeaderLengths h;
  if (!TxHeaderLengths(m, &h)) return EINVAL;
  const int len = m->m_pkthdr.len;
  const uint32_t l4 = req & ~uint32_t{CSUM_IP};
  if ((l4 & (l4 - 1)) != 0) return EINVAL;
  int end = 0;  // the packet's bytes [0, end) hold every field written
  if ((req & CSUM_IP) != 0) {
    if (h.l3 < 20 || len < h.l2 + h.l3) return EINVAL;
    uint8_t version;
    m_copydata(m, h.l2, 1, reinterpret_cast<caddr_t>(&version));
    if ((version >> 4) != 4) return EINVAL;
    end = h.l2 + 12;
  }
  const int start = h.l2 + h.l3;
  const int field = start + static_cast<int>(m->m_pkthdr.csum_data);
  if (l4 != 0) {
    if (m->m_pkthdr.csum_data > 0xffff || field + 2 > len) return EINVAL;
    end = std::max(end, field + 2);
  }
  if (!PrefixWritable(m, end)) {
    if (const int err = PrivateHeader(mp, end); err != 0) return err;
    m = *mp;
  }
  if ((req & CSUM_IP) != 0) {
    Store16(m, h.l2 + 10, 0);
    Store16(m, h.l2 + 10, static_cast<uint16_t>(~mbufnic_cksum_mbuf(m, h.l2, h.l3, 0)));
  }
  if (l4 != 0) {
    // The field holds the stack's pseudo-header seed, so the sum from the L4 header to the end
    // is the whole checksum.
    uint16_t sum = static_cast<uint16_t>(~mbufnic_cksum_mbuf(m, start, len - start, 0));
    if ((l4 & (CSUM_IP_UDP | CSUM_IP6_UDP)) != 0 && sum == 0) sum = 0xffff;  // RFC 768
    Store16(m, field, sum);
  }
  m->m_pkthdr.csum_flags &= ~kCsumRequests;
  return 0;
}

struct mbuf *DefragJumbo(struct mbuf *m) {
  const int len = static_cast<int>(m_fixhdr(m));
  struct mbuf *head = nullptr, **tail = &head;
  for (int off = 0; off < len;) {
    struct mbuf *n = m_getjcl(M_NOWAIT, MT_DATA, head == nullptr ? M_PKTHDR : 0, MJUM16BYTES);
    if (n == nullptr || (head == nullptr && !m_dup_pkthdr(n, m, M_NOWAIT))) {
      m_freem(n);
      m_freem(head);
      return nullptr;
    }
    const int take = std::min(len - off, MJUM16BYTES);
    m_copydata(m, off, take, mtod(n, caddr_t));
    n->m_len = take;
    *tail = n;
    tail = &n->m_next;
    off += take;
  }
  if (head == nullptr) return nullptr;
  head->m_flags &= ~M_RDONLY;
  m_freem(m);
  return head;
}

}  // namespace mbufnic::driver
