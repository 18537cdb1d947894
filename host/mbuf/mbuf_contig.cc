// Making data contiguous and chains compact: m_pullup, m_copyup, m_pulldown, m_collapse,
// m_defrag, m_unshare, and MBUF_STRESS_TEST's m_fragment (mbuf-semantics.md 3.7, 4.5).
//
// Ownership on failure is FreeBSD's: m_pullup, m_copyup, m_pulldown and m_unshare free the
// chain; m_collapse and m_defrag leave it with the caller; m_fragment returns the original.
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <algorithm>
#include <cstring>

#include "mbuf_internal.h"

using namespace mbufnic::internal;

namespace {

// End of an mbuf's internal storage (the byte after m_dat[MLEN - 1]).
inline caddr_t InternalEnd(struct mbuf *m) { return m->m_dat + MLEN; }

// Move up to len bytes (at least max_protohdr when available, FreeBSD's read-ahead) from the
// front of chain n into the tail of m's internal storage, freeing mbufs of n as they empty.
// Returns what is left of n; *len is reduced by what was moved.
struct mbuf *GatherInto(struct mbuf *m, struct mbuf *n, int *len) {
  int space = static_cast<int>(InternalEnd(m) - (m->m_data + m->m_len));
  do {
    const int count = std::min({std::max(*len, max_protohdr), space, n->m_len});
    std::memcpy(mtod(m, caddr_t) + m->m_len, mtod(n, caddr_t), count);
    *len -= count;
    m->m_len += count;
    n->m_len -= count;
    space -= count;
    if (n->m_len)
      n->m_data += count;
    else
      n = m_free(n);
  } while (*len > 0 && n);
  return n;
}

// Finish m_pullup/m_copyup: gather len bytes of n into the new head m and link what is left.
// When the chain runs out first, both are freed (FreeBSD's rule for both calls).
struct mbuf *GatherHead(struct mbuf *m, struct mbuf *n, int len) {
  n = GatherInto(m, n, &len);
  if (len > 0) {
    m_free(m);
    m_freem(n);
    return nullptr;
  }
  m->m_next = n;
  return m;
}

// A copy of len bytes at off of the single mbuf m in a new mbuf or cluster (FreeBSD's m_dup1).
struct mbuf *DupOne(struct mbuf *m, int off, int len, int how) {
  if (len > MCLBYTES) return nullptr;
  const int hdr = (off == 0 && (m->m_flags & M_PKTHDR)) ? M_PKTHDR : 0;
  struct mbuf *n;
  if (len >= MINCLSIZE)
    n = m_getcl(how, m->m_type, hdr);
  else
    n = hdr ? m_gethdr(how, m->m_type) : m_get(how, m->m_type);
  if (n == nullptr) return nullptr;
  if (hdr && !m_dup_pkthdr(n, m, how)) {
    m_free(n);
    return nullptr;
  }
  m_copydata(m, off, len, mtod(n, caddr_t));
  n->m_len = len;
  return n;
}

}  // namespace

extern "C" {

struct mbuf *m_pullup(struct mbuf *n, int len) {
  KASSERT(!(n->m_flags & M_EXTPG), ("%s: unmapped mbuf %p", __func__, static_cast<void *>(n)));
  struct mbuf *m;
  // Pull into the head itself when it is internal storage with room and has a successor;
  // otherwise a new head mbuf (which must hold len bytes).
  if (!(n->m_flags & M_EXT) && n->m_data + len < InternalEnd(n) && n->m_next) {
    if (n->m_len >= len) return n;
    m = n;
    n = n->m_next;
    len -= m->m_len;
  } else {
    if (len > MHLEN) goto bad;
    m = m_get(M_NOWAIT, n->m_type);
    if (m == nullptr) goto bad;
    if (n->m_flags & M_PKTHDR) m_move_pkthdr(m, n);
  }
  return GatherHead(m, n, len);
bad:
  m_freem(n);
  return nullptr;
}

struct mbuf *m_copyup(struct mbuf *n, int len, int dstoff) {
  struct mbuf *m;
  if (len > (MHLEN - dstoff)) goto bad;
  m = m_get(M_NOWAIT, n->m_type);
  if (m == nullptr) goto bad;
  if (n->m_flags & M_PKTHDR) m_move_pkthdr(m, n);
  m->m_data += dstoff;
  return GatherHead(m, n, len);
bad:
  m_freem(n);
  return nullptr;
}

struct mbuf *m_pulldown(struct mbuf *m, int off, int len, int *offp) {
  KASSERT(m != nullptr, ("%s: null mbuf", __func__));
  struct mbuf *n, *o;
  int hlen, tlen, olen;
  bool writable;
  if (len > MCLBYTES) {
    m_freem(m);
    return nullptr;
  }
  // Find the mbuf holding byte off, skipping empty ones.
  n = m;
  while (n != nullptr && off > 0) {
    if (n->m_len > off) break;
    off -= n->m_len;
    n = n->m_next;
  }
  while (n != nullptr && n->m_len == 0) n = n->m_next;
  if (n == nullptr) {
    m_freem(m);
    return nullptr;  // chain too short
  }
  // FreeBSD only writes in place into internal storage or plain 2k clusters (EXT_CLUSTER);
  // packet-zone and jumbo clusters always take the copying path.
  writable = !(n->m_flags & M_EXT) || (n->m_ext.ext_type == EXT_CLUSTER && M_WRITABLE(n));

  // Already contiguous where the caller can use it: nothing to do.
  if ((off == 0 || offp) && len <= n->m_len - off) goto ok;

  // Contiguous, but the caller wants it at offset 0: cut n in two.
  if (len <= n->m_len - off) {
    o = DupOne(n, off, n->m_len - off, M_NOWAIT);
    if (o == nullptr) {
      m_freem(m);
      return nullptr;
    }
    n->m_len = off;
    o->m_next = n->m_next;
    n->m_next = o;
    n = o;
    off = 0;
    goto ok;
  }

  // The region spans n (hlen bytes) and what follows (tlen bytes).
  hlen = n->m_len - off;
  tlen = len - hlen;
  olen = 0;
  for (o = n->m_next; o != nullptr; o = o->m_next) olen += o->m_len;
  if (hlen + olen < len) {
    m_freem(m);
    return nullptr;  // chain too short
  }
  // Pull the tail part into n's trailing space.
  if ((off == 0 || offp) && writable && M_TRAILINGSPACE(n) >= tlen) {
    m_copydata(n->m_next, 0, tlen, mtod(n, caddr_t) + n->m_len);
    n->m_len += tlen;
    m_adj(n->m_next, tlen);
    goto ok;
  }
  // Push the head part back into the next mbuf's leading space.
  if ((off == 0 || offp) && writable && n->m_next->m_len >= tlen &&
      M_LEADINGSPACE(n->m_next) >= hlen) {
    n->m_next->m_data -= hlen;
    n->m_next->m_len += hlen;
    std::memcpy(mtod(n->m_next, caddr_t), mtod(n, caddr_t) + off, hlen);
    n->m_len -= hlen;
    n = n->m_next;
    off = 0;
    goto ok;
  }
  // Otherwise a new mbuf (or cluster) takes both parts.
  o = (len > MLEN) ? m_getcl(M_NOWAIT, m->m_type, 0) : m_get(M_NOWAIT, m->m_type);
  if (o == nullptr) {
    m_freem(m);
    return nullptr;
  }
  o->m_len = hlen;
  std::memcpy(mtod(o, caddr_t), mtod(n, caddr_t) + off, hlen);
  n->m_len -= hlen;
  m_copydata(n->m_next, 0, tlen, mtod(o, caddr_t) + o->m_len);
  o->m_len += tlen;
  m_adj(n->m_next, tlen);
  o->m_next = n->m_next;
  n->m_next = o;
  n = o;
  off = 0;
ok:
  if (offp) *offp = off;
  return n;
}

struct mbuf *m_collapse(struct mbuf *m0, int how, int maxfrags) {
  struct mbuf *m, *n, *n2, **prev;
  int curfrags = 0;
  for (m = m0; m != nullptr; m = m->m_next) curfrags++;
  for (;;) {
    // Pass 1: copy each next mbuf into the current one while it fits; the head never moves,
    // so the packet header stays where it is.
    m = m0;
    while ((n = m->m_next) != nullptr) {
      if (M_WRITABLE(m) && n->m_len < M_TRAILINGSPACE(m)) {
        m_copydata(n, 0, n->m_len, mtod(m, caddr_t) + m->m_len);
        m->m_len += n->m_len;
        m->m_next = n->m_next;
        curfrags--;
        m_free(n);
        if (curfrags <= maxfrags) return m0;
      } else {
        m = n;
      }
    }
    KASSERT(maxfrags > 1, ("%s: maxfrags %d, but normal collapse failed", __func__, maxfrags));
    // Pass 2: replace a pair (never the head) that fits one cluster with that cluster.
    bool merged = false;
    for (prev = &m0->m_next; (n = *prev) != nullptr; prev = &n->m_next) {
      n2 = n->m_next;
      if (n2 == nullptr || n->m_len + n2->m_len >= MCLBYTES) continue;
      m = m_getcl(how, MT_DATA, 0);
      if (m == nullptr) return nullptr;  // the chain stays the caller's, possibly modified
      m_copydata(n, 0, n->m_len, mtod(m, caddr_t));
      m_copydata(n2, 0, n2->m_len, mtod(m, caddr_t) + n->m_len);
      m->m_len = n->m_len + n2->m_len;
      m->m_next = n2->m_next;
      *prev = m;
      curfrags -= 1;
      m_free(n);
      m_free(n2);
      if (curfrags <= maxfrags) return m0;
      merged = true;
      break;
    }
    if (!merged) return nullptr;  // nothing left to merge
  }
}

struct mbuf *m_defrag(struct mbuf *m0, int how) {
  if (!(m0->m_flags & M_PKTHDR)) return m0;
  m_fixhdr(m0);
  struct mbuf *m_final = nullptr, *m_new = nullptr;
  int progress = 0;
  if (fault_defrag_should_fail()) goto nospace;
  m_final = (m0->m_pkthdr.len > MHLEN) ? m_getcl(how, MT_DATA, M_PKTHDR) : m_gethdr(how, MT_DATA);
  if (m_final == nullptr) goto nospace;
  if (m_dup_pkthdr(m_final, m0, how) == 0) goto nospace;
  m_new = m_final;
  while (progress < m0->m_pkthdr.len) {
    const int length = std::min(m0->m_pkthdr.len - progress, MCLBYTES);
    if (m_new == nullptr) {
      m_new = (length > MLEN) ? m_getcl(how, MT_DATA, 0) : m_get(how, MT_DATA);
      if (m_new == nullptr) goto nospace;
    }
    m_copydata(m0, progress, length, mtod(m_new, caddr_t));
    progress += length;
    m_new->m_len = length;
    if (m_new != m_final) m_cat(m_final, m_new);
    m_new = nullptr;
  }
  defrag_count(m0->m_next == nullptr, false, static_cast<uint64_t>(m_final->m_pkthdr.len));
  m_freem(m0);
  return m_final;
nospace:
  defrag_count(false, true, 0);
  m_freem(m_final);
  return nullptr;
}

struct mbuf *m_unshare(struct mbuf *m0, int how) {
  struct mbuf *m, *mprev = nullptr, *n, *mfirst, *mlast;
  for (m = m0; m != nullptr; m = mprev->m_next) {
    // Internal mbufs stay, unless the cluster before them can absorb them.
    if (!(m->m_flags & M_EXT)) {
      if (mprev && (mprev->m_flags & M_EXT) && m->m_len <= M_TRAILINGSPACE(mprev)) {
        std::memcpy(mtod(mprev, caddr_t) + mprev->m_len, mtod(m, caddr_t), m->m_len);
        mprev->m_len += m->m_len;
        mprev->m_next = m->m_next;
        m_free(m);
      } else {
        mprev = m;
      }
      continue;
    }
    if (M_WRITABLE(m)) {
      mprev = m;
      continue;
    }
    // Shared or read-only storage: copy it, into the previous cluster when it fits.
    if (mprev != nullptr && (mprev->m_flags & M_EXT) && m->m_len <= M_TRAILINGSPACE(mprev)) {
      std::memcpy(mtod(mprev, caddr_t) + mprev->m_len, mtod(m, caddr_t), m->m_len);
      mprev->m_len += m->m_len;
      mprev->m_next = m->m_next;
      m_free(m);
      continue;
    }
    // New 2k clusters, as many as the data needs (drivers cannot DMA from one big buffer).
    n = m_getcl(how, m->m_type, m->m_flags & M_COPYFLAGS);
    if (n == nullptr) {
      m_freem(m0);
      return nullptr;
    }
    if (m->m_flags & M_PKTHDR) {
      KASSERT(mprev == nullptr, ("%s: M_PKTHDR on a non-head mbuf", __func__));
      m_move_pkthdr(n, m);
    }
    int len = m->m_len, off = 0;
    mfirst = n;
    mlast = nullptr;
    for (;;) {
      const int cc = std::min(len, MCLBYTES);
      std::memcpy(mtod(n, caddr_t), mtod(m, caddr_t) + off, cc);
      n->m_len = cc;
      if (mlast != nullptr) mlast->m_next = n;
      mlast = n;
      len -= cc;
      if (len <= 0) break;
      off += cc;
      n = m_getcl(how, m->m_type, m->m_flags & M_COPYFLAGS & ~M_PKTHDR);
      if (n == nullptr) {
        m_freem(mfirst);
        m_freem(m0);
        return nullptr;
      }
    }
    n->m_next = m->m_next;
    if (mprev == nullptr)
      m0 = mfirst;
    else
      mprev->m_next = mfirst;
    m_free(m);
    mprev = mlast;
  }
  return m0;
}

struct mbuf *m_fragment(struct mbuf *m0, int how, int length) {
  if (!(m0->m_flags & M_PKTHDR)) return m0;
  if (length == 0 || length < -2) return m0;
  if (length > MCLBYTES) length = MCLBYTES;
  // Random sizes are 1..255 (the man page says 256); fragments are clipped to what is left.
  const int divisor = 255;
  if (length == -1) length = 1 + static_cast<int>(fault_random() % divisor);
  int fraglen = length > 0 ? length : 1;
  int progress = 0;
  m_fixhdr(m0);
  struct mbuf *m_first = m_getcl(how, MT_DATA, M_PKTHDR), *m_last;
  if (m_first == nullptr) goto nospace;
  if (m_dup_pkthdr(m_first, m0, how) == 0) goto nospace;
  m_last = m_first;
  while (progress < m0->m_pkthdr.len) {
    if (length == -2) fraglen = 1 + static_cast<int>(fault_random() % divisor);
    fraglen = std::min(fraglen, m0->m_pkthdr.len - progress);
    if (progress != 0) {
      struct mbuf *m_temp = m_getcl(how, MT_DATA, 0);
      if (m_temp == nullptr) goto nospace;
      m_last->m_next = m_temp;
      m_last = m_temp;
    }
    m_copydata(m0, progress, fraglen, mtod(m_last, caddr_t));
    progress += fraglen;
    m_last->m_len = fraglen;
  }
  m_freem(m0);
  return m_first;
nospace:
  m_freem(m_first);
  return m0;  // the original chain, untouched
}

}  // extern "C"
