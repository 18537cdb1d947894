// Chain operations: trimming, joining, splitting and copying (FreeBSD main's uipc_mbuf.c
// semantics, mbuf-semantics.md 3.3, 3.5, 3.6).  Allocations use the public API so that fault
// injection reaches every allocation point.
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <algorithm>
#include <cstring>

#include "mbuf_internal.h"

using namespace mbufnic::internal;

namespace {

// The tail of a split packet keeps the receiving interface, or the send tag (with its flag, so
// that m_rcvif() does not take the tag for an interface).  Nothing else of the header is copied.
void SplitHeader(struct mbuf *n, struct mbuf *m0, int len0) {
  if (m0->m_pkthdr.csum_flags & CSUM_SND_TAG) {
    n->m_pkthdr.snd_tag = m0->m_pkthdr.snd_tag;
    n->m_pkthdr.csum_flags |= CSUM_SND_TAG;
  } else {
    n->m_pkthdr.rcvif = m0->m_pkthdr.rcvif;
  }
  n->m_pkthdr.len = m0->m_pkthdr.len - len0;
  m0->m_pkthdr.len = len0;
}

}  // namespace

extern "C" {

void m_align(struct mbuf *m, int len) {
  KASSERT(m->m_data == M_START(m), ("%s: not a virgin mbuf", __func__));
  const int adjust = (M_SIZE(m) - len) & ~static_cast<int>(sizeof(long) - 1);
  m->m_data += adjust;
}

void m_adj(struct mbuf *mp, int req_len) {
  if (mp == nullptr) return;
  int len = req_len;
  struct mbuf *m = mp;
  if (len >= 0) {
    // Trim from the head.  Emptied mbufs stay in the chain with m_data where it was, as in
    // FreeBSD; only the partially trimmed one has its data pointer moved.
    while (m != nullptr && len > 0) {
      if (m->m_len <= len) {
        len -= m->m_len;
        m->m_len = 0;
        m = m->m_next;
      } else {
        m->m_len -= len;
        m->m_data += len;
        len = 0;
      }
    }
    if (mp->m_flags & M_PKTHDR) mp->m_pkthdr.len -= (req_len - len);
    return;
  }
  // Trim from the tail.
  len = -len;
  int count = 0;
  struct mbuf *last = nullptr;
  for (m = mp; m != nullptr; m = m->m_next) {
    count += m->m_len;
    last = m;
  }
  if (last->m_len >= len) {
    last->m_len -= len;
    if (mp->m_flags & M_PKTHDR) mp->m_pkthdr.len -= len;
    return;
  }
  count -= len;
  if (count < 0) count = 0;
  if (mp->m_flags & M_PKTHDR) mp->m_pkthdr.len = count;
  for (m = mp; m != nullptr; m = m->m_next) {
    if (m->m_len >= count) {
      m->m_len = count;
      if (m->m_next != nullptr) {
        m_freem(m->m_next);
        m->m_next = nullptr;
      }
      break;
    }
    count -= m->m_len;
  }
}

struct mbuf *m_prepend(struct mbuf *m, int len, int how) {
  struct mbuf *mn;
  if (m->m_flags & M_PKTHDR)
    mn = m_gethdr(how, m->m_type);
  else
    mn = m_get(how, m->m_type);
  if (mn == nullptr) {
    m_freem(m);
    return nullptr;
  }
  if (m->m_flags & M_PKTHDR) m_move_pkthdr(mn, m);
  mn->m_next = m;
  m = mn;
  if (len < M_SIZE(m)) M_ALIGN(m, len);
  m->m_len = len;
  return m;
}

int m_append(struct mbuf *m0, int len, c_caddr_t cp) {
  // FreeBSD would hand the negative length to bcopy; stop with a message instead.
  KASSERT(len >= 0, ("%s: negative len %d", __func__, len));
  int remainder = len;
  struct mbuf *m;
  for (m = m0; m->m_next != nullptr; m = m->m_next) {
  }
  int space = M_TRAILINGSPACE(m);
  if (space > 0 && remainder > 0) {  // (cp may be NULL when len is 0)
    const int n = std::min(space, remainder);
    std::memcpy(mtod(m, caddr_t) + m->m_len, cp, n);
    m->m_len += n;
    cp += n;
    remainder -= n;
  }
  while (remainder > 0) {
    // Plain mbufs only, never clusters, and never waiting: FreeBSD's choice.
    struct mbuf *n = m_get(M_NOWAIT, m->m_type);
    if (n == nullptr) break;
    n->m_len = std::min(MLEN, remainder);
    std::memcpy(mtod(n, caddr_t), cp, n->m_len);
    cp += n->m_len;
    remainder -= n->m_len;
    m->m_next = n;
    m = n;
  }
  if (m0->m_flags & M_PKTHDR) m0->m_pkthdr.len += len - remainder;
  return remainder == 0;
}

void m_cat(struct mbuf *m, struct mbuf *n) {
  while (m->m_next) m = m->m_next;
  while (n) {
    if (!M_WRITABLE(m) || (n->m_flags & M_EXTPG) || M_TRAILINGSPACE(m) < n->m_len) {
      m->m_next = n;  // the rest is linked as it is
      return;
    }
    std::memcpy(mtod(m, caddr_t) + m->m_len, mtod(n, caddr_t), n->m_len);
    m->m_len += n->m_len;
    n = m_free(n);
  }
}

void m_catpkt(struct mbuf *m, struct mbuf *n) {
  M_ASSERTPKTHDR(m);
  M_ASSERTPKTHDR(n);
  m->m_pkthdr.len += n->m_pkthdr.len;
  m_demote(n, 1, 0);
  m_cat(m, n);
}

struct mbuf *m_split(struct mbuf *m0, int len0, int how) {
  struct mbuf *m, *n;
  u_int remain;
  // len0 is taken as unsigned, as FreeBSD does: a negative length is "beyond the chain".
  u_int acc = static_cast<u_int>(len0);
  for (m = m0; m != nullptr && acc > static_cast<u_int>(m->m_len); m = m->m_next) acc -= m->m_len;
  if (m == nullptr) return nullptr;  // len0 beyond the chain, or negative
  remain = m->m_len - acc;
  if ((m0->m_flags & M_PKTHDR) && remain == 0) {
    n = m_gethdr(how, m0->m_type);
    if (n == nullptr) return nullptr;
    n->m_next = m->m_next;
    m->m_next = nullptr;
    SplitHeader(n, m0, len0);
    return n;
  }
  if (m0->m_flags & M_PKTHDR) {
    n = m_gethdr(how, m0->m_type);
    if (n == nullptr) return nullptr;
    SplitHeader(n, m0, len0);
    if (m->m_flags & M_EXT) goto extpacket;
    if (remain > static_cast<u_int>(MHLEN)) {
      // The tail does not fit in a header mbuf: an empty header, the rest chained after it.
      // If this fails, m0's length has already been changed: FreeBSD does the same.
      M_ALIGN(n, 0);
      n->m_next = m_split(m, static_cast<int>(acc), how);
      if (n->m_next == nullptr) {
        m_free(n);
        return nullptr;
      }
      n->m_len = 0;
      return n;
    }
    M_ALIGN(n, static_cast<int>(remain));
  } else if (remain == 0) {
    n = m->m_next;
    m->m_next = nullptr;
    return n;
  } else {
    n = m_get(how, m->m_type);
    if (n == nullptr) return nullptr;
    if (!(m->m_flags & M_EXT)) M_ALIGN(n, static_cast<int>(remain));
  }
extpacket:
  if (m->m_flags & M_EXT) {
    n->m_data = m->m_data + acc;
    mb_dupcl(n, m);
  } else {
    std::memcpy(mtod(n, caddr_t), mtod(m, caddr_t) + acc, remain);
  }
  n->m_len = static_cast<int>(remain);
  m->m_len = static_cast<int>(acc);
  n->m_next = m->m_next;
  m->m_next = nullptr;
  return n;
}

struct mbuf *m_copym(struct mbuf *m, int off0, int len, int how) {
  KASSERT(off0 >= 0, ("%s: off %d < 0", __func__, off0));
  KASSERT(len >= 0, ("%s: len %d < 0", __func__, len));
  struct mbuf *m0 = m;
  u_int off = static_cast<u_int>(off0);
  const bool copyhdr = (off == 0 && (m->m_flags & M_PKTHDR));
  while (off > 0) {
    KASSERT(m != nullptr, ("%s: offset %d > size of mbuf chain", __func__, off0));
    if (off < static_cast<u_int>(m->m_len)) break;
    off -= m->m_len;
    m = m->m_next;
  }
  struct mbuf *top = nullptr, **np = &top;
  while (len > 0) {
    if (m == nullptr) {
      KASSERT(len == M_COPYALL, ("%s: length %d > size of mbuf chain", __func__, len));
      break;
    }
    struct mbuf *n = (copyhdr && top == nullptr) ? m_gethdr(how, m->m_type) : m_get(how, m->m_type);
    *np = n;
    if (n == nullptr) {
      m_freem(top);
      return nullptr;
    }
    if (copyhdr && n == top) {
      if (!m_dup_pkthdr(n, m0, how)) {
        m_freem(top);
        return nullptr;
      }
      n->m_pkthdr.len = (len == M_COPYALL) ? n->m_pkthdr.len - off0 : len;
    }
    n->m_len = std::min(len, m->m_len - static_cast<int>(off));
    if (m->m_flags & (M_EXT | M_EXTPG)) {
      n->m_data = m->m_data + off;
      mb_dupcl(n, m);
    } else {
      std::memcpy(mtod(n, caddr_t), mtod(m, caddr_t) + off, n->m_len);
    }
    if (len != M_COPYALL) len -= n->m_len;
    off = 0;
    m = m->m_next;
    np = &n->m_next;
  }
  return top;
}

struct mbuf *m_copypacket(struct mbuf *m, int how) {
  struct mbuf *top, *n, *o;
  n = m_get(how, m->m_type);
  top = n;
  if (n == nullptr) return nullptr;
  if (!m_dup_pkthdr(n, m, how)) {
    m_free(n);
    return nullptr;
  }
  n->m_len = m->m_len;
  if (m->m_flags & (M_EXT | M_EXTPG)) {
    n->m_data = m->m_data;
    mb_dupcl(n, m);
  } else {
    // Same offset inside m_pktdat, so leading space survives for prepends.
    n->m_data = n->m_pktdat + (m->m_data - m->m_pktdat);
    std::memcpy(mtod(n, char *), mtod(m, char *), n->m_len);
  }
  m = m->m_next;
  while (m) {
    o = m_get(how, m->m_type);
    if (o == nullptr) {
      m_freem(top);
      return nullptr;
    }
    n->m_next = o;
    n = o;
    n->m_len = m->m_len;
    if (m->m_flags & (M_EXT | M_EXTPG)) {
      n->m_data = m->m_data;
      mb_dupcl(n, m);
    } else {
      std::memcpy(mtod(n, char *), mtod(m, char *), n->m_len);
    }
    m = m->m_next;
  }
  return top;
}

void m_copydata(const struct mbuf *m, int off, int len, caddr_t cp) {
  ForEachPiece(m, off, len, __func__, [&](const char *data, int count) {
    std::memcpy(cp, data, count);
    cp += count;
    return 0;
  });
}

struct mbuf *m_dup(const struct mbuf *m, int how) {
  if (m == nullptr) return nullptr;
  M_ASSERTPKTHDR(m);
  int remain = m->m_pkthdr.len;
  int moff = 0;
  struct mbuf *top = nullptr, **p = &top;
  while (remain > 0 || top == nullptr) {
    struct mbuf *n;
    int nsize;
    if (remain >= MINCLSIZE) {
      n = m_getcl(how, m->m_type, 0);
      nsize = MCLBYTES;
    } else {
      n = m_get(how, m->m_type);
      nsize = MLEN;
    }
    if (n == nullptr) {
      m_freem(top);
      return nullptr;
    }
    if (top == nullptr) {
      top = n;
      if (!m_dup_pkthdr(n, m, how)) {
        m_free(n);
        return nullptr;
      }
      if (!(n->m_flags & M_EXT)) nsize = MHLEN;
      n->m_flags &= ~M_RDONLY;
    }
    n->m_len = 0;
    *p = n;
    p = &n->m_next;
    while (n->m_len < nsize && m != nullptr) {
      const int chunk = std::min(nsize - n->m_len, m->m_len - moff);
      m_copydata(m, moff, chunk, mtod(n, caddr_t) + n->m_len);
      moff += chunk;
      n->m_len += chunk;
      remain -= chunk;
      if (moff == m->m_len) {
        m = m->m_next;
        moff = 0;
      }
    }
    // The chain must hold exactly pkthdr.len bytes, as FreeBSD asserts.  Unlike FreeBSD, empty
    // mbufs after the last byte are accepted (FreeBSD trips on them when the last copy is full).
    if (remain == 0)
      while (m != nullptr && m->m_len == 0) m = m->m_next;
    KASSERT((remain > 0 && m != nullptr) || (remain == 0 && m == nullptr),
            ("%s: bogus m_pkthdr.len", __func__));
  }
  return top;
}

void m_copyback(struct mbuf *m0, int off, int len, c_caddr_t cp) {
  if (m0 == nullptr) return;
  struct mbuf *m = m0, *n;
  int totlen = 0;
  while (off > (m->m_len)) {
    off -= m->m_len;
    totlen += m->m_len;
    if (m->m_next == nullptr) {
      n = m_get(M_NOWAIT, m->m_type);
      if (n == nullptr) goto out;
      std::memset(mtod(n, caddr_t), 0, MLEN);
      n->m_len = std::min(MLEN, len + off);
      m->m_next = n;
    }
    m = m->m_next;
  }
  while (len > 0) {
    if (m->m_next == nullptr && (len > m->m_len - off)) {
      // The last mbuf first grows into its trailing space.
      m->m_len += std::min(len - (m->m_len - off), M_TRAILINGSPACE(m));
    }
    const int mlen = std::min(m->m_len - off, len);
    std::memmove(mtod(m, caddr_t) + off, cp, static_cast<u_int>(mlen));
    cp += mlen;
    len -= mlen;
    totlen += mlen + off;
    off = 0;
    if (len == 0) break;
    if (m->m_next == nullptr) {
      n = m_get(M_NOWAIT, m->m_type);
      if (n == nullptr) break;
      n->m_len = std::min(MLEN, len);
      m->m_next = n;
    }
    m = m->m_next;
  }
out:
  if (((m = m0)->m_flags & M_PKTHDR) && (m->m_pkthdr.len < totlen)) m->m_pkthdr.len = totlen;
}

struct mbuf *m_devget(char *buf, int totlen, int off, struct ifnet *ifp,
                      void (*copy)(char *from, caddr_t to, u_int len)) {
  if (off < 0 || off > MHLEN) return nullptr;
  if (totlen <= 0) return nullptr;
  struct mbuf *top = nullptr, **mp = &top;
  while (totlen > 0) {
    struct mbuf *m;
    int len;
    if (top == nullptr) {
      if (totlen + off >= MINCLSIZE) {
        m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
        len = MCLBYTES;
      } else {
        m = m_gethdr(M_NOWAIT, MT_DATA);
        len = MHLEN;
        // Room for a link-level header in front of a small first packet.
        if (m && totlen + off + max_linkhdr <= MHLEN) {
          m->m_data += max_linkhdr;
          len -= max_linkhdr;
        }
      }
      if (m == nullptr) return nullptr;
      m->m_pkthdr.rcvif = ifp;
      m->m_pkthdr.len = totlen;
    } else {
      if (totlen + off >= MINCLSIZE) {
        m = m_getcl(M_NOWAIT, MT_DATA, 0);
        len = MCLBYTES;
      } else {
        m = m_get(M_NOWAIT, MT_DATA);
        len = MLEN;
      }
      if (m == nullptr) {
        m_freem(top);
        return nullptr;
      }
    }
    if (off) {
      m->m_data += off;
      len -= off;
      off = 0;
    }
    m->m_len = len = std::min(totlen, len);
    if (copy)
      copy(buf, mtod(m, caddr_t), static_cast<u_int>(len));
    else
      std::memcpy(mtod(m, caddr_t), buf, static_cast<u_int>(len));
    buf += len;
    *mp = m;
    mp = &m->m_next;
    totlen -= len;
  }
  return top;
}

int m_apply(struct mbuf *m, int off, int len, int (*f)(void *, void *, u_int), void *arg) {
  return ForEachPiece(m, off, len, __func__, [&](char *data, int count) {
    return f(arg, data, static_cast<u_int>(count));
  });
}

struct mbuf *m_getptr(struct mbuf *m, int loc, int *off) {
  if (loc < 0) return nullptr;
  while (loc >= 0) {
    if (m->m_len > loc) {
      *off = loc;
      return m;
    }
    loc -= m->m_len;
    if (m->m_next == nullptr) {
      if (loc == 0) {
        // The very end of the chain: point just past the last byte.
        *off = m->m_len;
        return m;
      }
      return nullptr;
    }
    m = m->m_next;
  }
  return nullptr;
}

}  // extern "C"
