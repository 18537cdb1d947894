// Packet headers and packet tags: m_move_pkthdr, m_dup_pkthdr, m_demote, m_fixhdr, m_length,
// m_sanity, and mbuf_tags(9).  FreeBSD main's semantics (mbuf-semantics.md 3.4 and 3.8).
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "mbuf_internal.h"

using namespace mbufnic::internal;

extern "C" {

// ---- tags ----

void m_tag_free_default(struct m_tag *t) {
  tags_account(-1, -static_cast<int64_t>(sizeof(struct m_tag) + t->m_tag_len));
  std::free(t);
}

struct m_tag *m_tag_alloc(uint32_t cookie, uint16_t type, int len, int how) {
  if (len < 0) return nullptr;
  if (fault_should_fail(how)) return nullptr;
  // FreeBSD's malloc(9) honours M_ZERO, and callers rely on it (dummynet asks for a zeroed tag).
  const size_t size = static_cast<size_t>(len) + sizeof(struct m_tag);
  auto *t = static_cast<struct m_tag *>((how & M_ZERO) ? std::calloc(1, size) : std::malloc(size));
  if (t == nullptr) return nullptr;
  m_tag_setup(t, cookie, type, len);
  t->m_tag_free = m_tag_free_default;
  tags_account(1, static_cast<int64_t>(sizeof(struct m_tag) + t->m_tag_len));
  return t;
}

void m_tag_delete(struct mbuf *m, struct m_tag *t) {
  KASSERT(m && t, ("%s: null argument", __func__));
  m_tag_unlink(m, t);
  m_tag_free(t);
}

void m_tag_delete_chain(struct mbuf *m, struct m_tag *t) {
  KASSERT(m, ("%s: null mbuf", __func__));
  struct m_tag *p = t ? t : SLIST_FIRST(&m->m_pkthdr.tags);
  if (p == nullptr) return;
  struct m_tag *q;
  // Everything after p first, then p itself.
  while ((q = SLIST_NEXT(p, m_tag_link)) != nullptr) m_tag_delete(m, q);
  m_tag_delete(m, p);
}

void m_tag_delete_nonpersistent(struct mbuf *m) {
  struct m_tag *t, *tn;
  SLIST_FOREACH_SAFE(t, &m->m_pkthdr.tags, m_tag_link, tn) {
    if (!(t->m_tag_id & MTAG_PERSISTENT)) m_tag_delete(m, t);
  }
}

struct m_tag *m_tag_locate(struct mbuf *m, uint32_t cookie, uint16_t type, struct m_tag *t) {
  KASSERT(m, ("%s: null mbuf", __func__));
  struct m_tag *p = t ? SLIST_NEXT(t, m_tag_link) : SLIST_FIRST(&m->m_pkthdr.tags);
  for (; p != nullptr; p = SLIST_NEXT(p, m_tag_link))
    if (p->m_tag_cookie == cookie && p->m_tag_id == type) return p;
  return nullptr;
}

struct m_tag *m_tag_copy(struct m_tag *t, int how) {
  KASSERT(t, ("%s: null tag", __func__));
  struct m_tag *p = m_tag_alloc(t->m_tag_cookie, t->m_tag_id, t->m_tag_len, how);
  if (p == nullptr) return nullptr;
  std::memcpy(p + 1, t + 1, t->m_tag_len);
  return p;
}

int m_tag_copy_chain(struct mbuf *to, const struct mbuf *from, int how) {
  KASSERT(to && from, ("%s: null argument", __func__));
  m_tag_delete_chain(to, nullptr);  // even if the copy then fails
  struct m_tag *tprev = nullptr;
  struct m_tag *p;
  SLIST_FOREACH(p, &from->m_pkthdr.tags, m_tag_link) {
    struct m_tag *t = m_tag_copy(p, how);
    if (t == nullptr) {
      m_tag_delete_chain(to, nullptr);
      return 0;
    }
    if (tprev == nullptr)
      SLIST_INSERT_HEAD(&to->m_pkthdr.tags, t, m_tag_link);
    else
      SLIST_INSERT_AFTER(tprev, t, m_tag_link);
    tprev = t;
  }
  return 1;
}

// ---- packet header ----

void m_move_pkthdr(struct mbuf *to, struct mbuf *from) {
  KASSERT(from->m_flags & M_PKTHDR, ("%s: from has no packet header", __func__));
  // A header being overwritten loses its tags rather than leaking them, as in a FreeBSD kernel
  // built with options MAC (GENERIC).  Without M_PKTHDR, to's header area is not a header.
  if (to->m_flags & M_PKTHDR) m_tag_delete_chain(to, nullptr);
  to->m_flags = (from->m_flags & M_COPYFLAGS) | (to->m_flags & (M_EXT | M_EXTPG));
  if (!(to->m_flags & M_EXT)) to->m_data = to->m_pktdat;
  to->m_pkthdr = from->m_pkthdr;  // the tag list head moves with it
  SLIST_INIT(&from->m_pkthdr.tags);
  from->m_flags &= ~M_PKTHDR;
  if (from->m_pkthdr.csum_flags & CSUM_SND_TAG) {
    from->m_pkthdr.csum_flags &= ~CSUM_SND_TAG;
    from->m_pkthdr.snd_tag = nullptr;
  }
}

int m_dup_pkthdr(struct mbuf *to, const struct mbuf *from, int how) {
  KASSERT(from->m_flags & M_PKTHDR, ("%s: from has no packet header", __func__));
  if (to->m_flags & M_PKTHDR) m_tag_delete_chain(to, nullptr);  // as m_move_pkthdr
  to->m_flags = (from->m_flags & M_COPYFLAGS) | (to->m_flags & (M_EXT | M_EXTPG));
  if (!(to->m_flags & M_EXT)) to->m_data = to->m_pktdat;
  to->m_pkthdr = from->m_pkthdr;
  SLIST_INIT(&to->m_pkthdr.tags);
  if (SLIST_EMPTY(&from->m_pkthdr.tags)) return 1;  // the common case: nothing to copy
  return m_tag_copy_chain(to, from, how);
}

void m_demote_pkthdr(struct mbuf *m) {
  KASSERT(m->m_flags & M_PKTHDR, ("%s: no packet header", __func__));
  // Zeroing the header would lose the send tag's pointer without releasing it.
  KASSERT(!(m->m_pkthdr.csum_flags & CSUM_SND_TAG), ("%s: mbuf has a send tag", __func__));
  m_tag_delete_chain(m, nullptr);
  m->m_flags &= ~M_PKTHDR;
  std::memset(&m->m_pkthdr, 0, sizeof(struct pkthdr));
}

void m_demote(struct mbuf *m0, int all, int flags) {
  for (struct mbuf *m = all ? m0 : m0->m_next; m != nullptr; m = m->m_next) {
    KASSERT(m->m_nextpkt == nullptr, ("%s: m_nextpkt in m %p, m0 %p", __func__,
                                      static_cast<void *>(m), static_cast<void *>(m0)));
    if (m->m_flags & M_PKTHDR) m_demote_pkthdr(m);
    m->m_flags &= (M_DEMOTEFLAGS | flags);
  }
}

u_int m_length(struct mbuf *m0, struct mbuf **last) {
  u_int len = 0;
  struct mbuf *m = m0, *prev = nullptr;
  for (; m != nullptr; prev = m, m = m->m_next) len += m->m_len;
  if (last != nullptr) *last = prev;
  return len;
}

u_int m_fixhdr(struct mbuf *m0) {
  u_int len = m_length(m0, nullptr);
  m0->m_pkthdr.len = static_cast<int32_t>(len);
  return len;
}

// FreeBSD panics here under INVARIANTS and otherwise prints and carries on, returning 1 either
// way.  Here: 1 when the chain is sane; otherwise every problem found is printed to stderr and 0
// is returned, so that tests and callers can use it as a predicate.  With sanitize != 0 the
// problems that can be neutralised are, as FreeBSD does: an in-chain m_nextpkt is freed (and
// cleared rather than poisoned: a user-space poison pointer only moves the crash), in-chain
// tags are deleted, an in-chain M_PKTHDR is cleared with its header, and a wrong pkthdr.len is
// set to 0.  Broken data pointers cannot be repaired and are only reported.  Stricter than
// FreeBSD: pkthdr.len is checked even when the chain holds no data, and m_len must be >= 0.
int m_sanity(struct mbuf *m0, int sanitize) {
  int sane = 1;
  auto bad = [&](const struct mbuf *m, const char *what) {
    std::fprintf(stderr, "m_sanity: mbuf %p in chain %p: %s\n", static_cast<const void *>(m),
                 static_cast<const void *>(m0), what);
    sane = 0;
  };
  int64_t pktlen = 0;
  for (struct mbuf *m = m0; m != nullptr; m = m->m_next) {
    // Unmapped (M_EXTPG) mbufs have no data pointer to check.
    if (!(m->m_flags & M_EXTPG)) {
      const caddr_t a = M_START(m), b = a + M_SIZE(m);
      if (m->m_data < a) bad(m, "m_data before the start of its buffer");
      if (m->m_data > b) bad(m, "m_data past the end of its buffer");
      if (m->m_len < 0) bad(m, "negative m_len");
      if (m->m_data + m->m_len > b) bad(m, "m_data + m_len past the end of its buffer");
    }
    if (m != m0 && m->m_nextpkt != nullptr) {
      bad(m, "m_nextpkt set on an in-chain mbuf");
      if (sanitize) {
        m_freem(m->m_nextpkt);
        m->m_nextpkt = nullptr;
      }
    }
    if (m != m0 && (m->m_flags & M_PKTHDR)) {
      if (!SLIST_EMPTY(&m->m_pkthdr.tags)) {
        bad(m, "tags on an in-chain mbuf");
        if (sanitize) m_tag_delete_chain(m, nullptr);
      }
      bad(m, "M_PKTHDR on an in-chain mbuf");
      if (sanitize) {
        std::memset(&m->m_pkthdr, 0, sizeof(m->m_pkthdr));
        m->m_flags &= ~M_PKTHDR;
      }
    }
    pktlen += m->m_len;
  }
  if (m0 != nullptr && (m0->m_flags & M_PKTHDR) && m0->m_pkthdr.len != pktlen) {
    bad(m0, "m_pkthdr.len differs from the sum of m_len");
    if (sanitize) m0->m_pkthdr.len = 0;
  }
  return sane;
}

}  // extern "C"
