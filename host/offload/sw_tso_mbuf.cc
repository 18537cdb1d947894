// mbufnic_sw_tso(): FreeBSD-style software TSO over SegmentFrame.  The packet is copied out of its
// chain, segmented by the same code the RTL is checked against, and each segment becomes a new
// packet of its own; the input is freed only once every segment exists, so a failure leaves it
// as it was.
#include <errno.h>
#include <sys/mbuf.h>

#include <new>
#include <vector>

#include "mbufnic/sw_offload.hpp"
#include "wire.h"

namespace mbufnic::offload {
namespace {

constexpr int kMaxVlans = 2;

// The seg_err code behind this thread's last EINVAL.
thread_local int last_error = 0;

// Header lengths of an Ethernet frame, for a request that leaves l2hlen at 0.  The parse stops
// where the frame stops making sense and leaves the remaining lengths 0 (or the last one found);
// SegmentFrame then refuses the request with the code of the header that is wrong.
void ParseHeaders(const std::vector<uint8_t> &f, SegRequest *req) {
  req->l2hlen = req->l3hlen = req->l4hlen = 0;
  size_t l2 = 14;
  if (f.size() < l2) return;
  uint16_t type = Get16(&f[12]);
  for (int tags = 0;
       tags < kMaxVlans && (type == ETHERTYPE_VLAN || type == kEtherTypeQinq) && f.size() >= l2 + 4;
       ++tags) {
    type = Get16(&f[l2 + 2]);
    l2 += 4;
  }
  req->l2hlen = static_cast<uint8_t>(l2);

  size_t l3 = 0;
  uint8_t proto = 0;
  if (type == ETHERTYPE_IP && f.size() >= l2 + 20) {
    l3 = (f[l2] & 0xfu) * 4;
    proto = f[l2 + 9];
  } else if (type == ETHERTYPE_IPV6 && f.size() >= l2 + 40) {
    // The extension headers that carry their length in the second byte, and a fragment header.
    l3 = 40;
    proto = f[l2 + 6];
    while ((proto == IPPROTO_HOPOPTS || proto == IPPROTO_ROUTING || proto == IPPROTO_DSTOPTS ||
            proto == IPPROTO_FRAGMENT) &&
           f.size() >= l2 + l3 + 8 && l3 <= 255) {
      const size_t len = proto == IPPROTO_FRAGMENT ? 8 : (size_t{f[l2 + l3 + 1]} + 1) * 8;
      proto = f[l2 + l3];
      l3 += len;
    }
    if (l3 > 255) return;  // longer than a request can say: SegmentFrame reports kL3
  } else {
    return;
  }
  req->l3hlen = static_cast<uint8_t>(l3);
  if (proto == IPPROTO_TCP && f.size() >= l2 + l3 + 20) req->l4hlen = (f[l2 + l3 + 12] >> 4) * 4;
}

void FreeList(struct mbuf *list) {
  while (list != nullptr) {
    struct mbuf *next = list->m_nextpkt;
    list->m_nextpkt = nullptr;
    m_freem(list);
    list = next;
  }
}

// A packet-header mbuf holding one segment, its pkthdr copied from `from`; nullptr when an
// allocation fails.  The largest segment (MaxHdrBytes + MaxMss) fits one 16 KiB jumbo cluster.
struct mbuf *SegmentMbuf(const std::vector<uint8_t> &seg, const struct mbuf *from) {
  const int len = static_cast<int>(seg.size());
  struct mbuf *m = m_get3(len, M_NOWAIT, MT_DATA, M_PKTHDR);
  if (m == nullptr) return nullptr;
  if (!m_dup_pkthdr(m, from, M_NOWAIT)) {
    m_freem(m);
    return nullptr;
  }
  if (m_append(m, len, reinterpret_cast<c_caddr_t>(seg.data())) == 0) {
    m_freem(m);
    return nullptr;
  }
  m->m_pkthdr.len = len;
  // The checksums are in place: no transmit request is left (a send tag is not a request).
  m->m_pkthdr.csum_flags &= ~(CSUM_FLAGS_TX & ~CSUM_SND_TAG);
  return m;
}

int SwTso(struct mbuf *m, struct mbuf **segs) {
  const uint32_t tso = m->m_pkthdr.csum_flags & (CSUM_IP_TSO | CSUM_IP6_TSO);
  const int total = m->m_pkthdr.len;
  if ((tso != CSUM_IP_TSO && tso != CSUM_IP6_TSO) ||  // not TSO, or both kinds at once
      total < 0 || m_length(m, nullptr) != static_cast<u_int>(total)) {
    last_error = 0;
    return EINVAL;
  }

  std::vector<uint8_t> frame(static_cast<size_t>(total));
  m_copydata(m, 0, total, reinterpret_cast<caddr_t>(frame.data()));

  SegRequest req;
  req.kind = hw::SegKind::kTcp;
  req.ipv6 = tso == CSUM_IP6_TSO;
  req.mss = m->m_pkthdr.tso_segsz;
  req.l2hlen = m->m_pkthdr.l2hlen;
  req.l3hlen = m->m_pkthdr.l3hlen;
  req.l4hlen = m->m_pkthdr.l4hlen;
  if (req.l2hlen == 0) ParseHeaders(frame, &req);
  const size_t hdr = size_t{req.l2hlen} + req.l3hlen + req.l4hlen;
  // A frame shorter than its headers is refused by SegmentFrame (kFrameLen) before pay_len counts.
  req.pay_len = static_cast<uint32_t>(frame.size() > hdr ? frame.size() - hdr : 0);

  std::vector<std::vector<uint8_t>> out;
  const hw::SegErr err = SegmentFrame(frame, req, &out);
  if (err != hw::SegErr::kNone) {
    last_error = static_cast<int>(err);
    return EINVAL;
  }

  struct mbuf *head = nullptr, **tail = &head;
  for (const std::vector<uint8_t> &seg : out) {
    struct mbuf *s = SegmentMbuf(seg, m);
    if (s == nullptr) {
      FreeList(head);
      return ENOBUFS;
    }
    *tail = s;
    tail = &s->m_nextpkt;
  }
  m_freem(m);
  *segs = head;
  return 0;
}

}  // namespace
}  // namespace mbufnic::offload

extern "C" {

int mbufnic_sw_tso(struct mbuf *m, struct mbuf **segs) {
  if (segs != nullptr) *segs = nullptr;
  if (m == nullptr || segs == nullptr || !(m->m_flags & M_PKTHDR)) {
    mbufnic::offload::last_error = 0;
    return EINVAL;
  }
  // The copies are std::vectors; running out of heap is reported as running out of buffers
  // rather than thrown through a C interface.
  try {
    return mbufnic::offload::SwTso(m, segs);
  } catch (const std::bad_alloc &) {
    return ENOBUFS;
  }
}

int mbufnic_sw_tso_error(void) { return mbufnic::offload::last_error; }

}  // extern "C"
