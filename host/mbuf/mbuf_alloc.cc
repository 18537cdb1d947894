// mbuf(9) allocation and freeing: m_get and friends, clusters and external storage, reference
// counts, m_free/m_freem.  Semantics are FreeBSD main's (kern_mbuf.c, mbuf.h); see
// shared/reference/mbuf-semantics.md sections 3.1, 3.2 and 4.3.
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <cstring>

#include "mbuf_internal.h"
#include "mbuf_zone.h"

using namespace mbufnic::internal;

namespace {

// An mbuf goes back to its zone; a packet header's tags go with it.
void FreeMbufStorage(struct mbuf *m) {
  if ((m->m_flags & M_PKTHDR) && !SLIST_EMPTY(&m->m_pkthdr.tags)) m_tag_delete_chain(m, nullptr);
  ZoneFree(MBUFNIC_ZONE_MBUF, m);
}

// Attach a fresh cluster of zone z (size bytes) to m, with m holding the reference count.
void AttachCluster(struct mbuf *m, void *cl, int size) {
  m->m_ext.ext_buf = static_cast<char *>(cl);
  m->m_ext.ext_size = static_cast<uint32_t>(size);
  m->m_ext.ext_type = static_cast<uint32_t>(m_gettype(size));
  m->m_ext.ext_flags = EXT_FLAG_EMBREF;
  m->m_ext.ext_count = 1;
  m->m_ext.ext_free = nullptr;
  m->m_ext.ext_arg1 = nullptr;
  m->m_ext.ext_arg2 = nullptr;
  m->m_data = m->m_ext.ext_buf;
  m->m_flags |= M_EXT;
}

// Where m's storage reference count lives, and the mbuf that owns it (meaningless for
// EXT_EXTREF, whose count is the caller's).
volatile u_int *RefCount(struct mbuf *m, struct mbuf **mref) {
  if (m->m_ext.ext_flags & EXT_FLAG_EMBREF) {
    *mref = m;
    return &m->m_ext.ext_count;
  }
  volatile u_int *cnt = m->m_ext.ext_cnt;
  *mref = reinterpret_cast<struct mbuf *>(reinterpret_cast<uintptr_t>(cnt) -
                                          offsetof(struct mbuf, m_ext.ext_count));
  return cnt;
}

// Drop one reference; true when it was the last.  A count of 1 means no other reference exists,
// so the common unshared case skips the atomic decrement, as FreeBSD does.  The test itself is an
// atomic load (a plain load on x86): other references may be dropped on other threads meanwhile,
// and acquire makes their last writes to the storage visible before we free it for reuse.
bool DropRef(volatile u_int *cnt) {
  if (__atomic_load_n(cnt, __ATOMIC_ACQUIRE) == 1) return true;
  return __atomic_fetch_sub(cnt, 1, __ATOMIC_ACQ_REL) == 1;
}

// The last reference to m's storage is gone: release the storage and the mbuf that held the
// count (mref), as its type says.
void ReleaseStorage(struct mbuf *m, struct mbuf *mref, volatile u_int *cnt) {
  switch (m->m_ext.ext_type) {
    case EXT_PACKET:
      *cnt = 1;  // the pair goes back assembled, ready for reuse
      if ((mref->m_flags & M_PKTHDR) && !SLIST_EMPTY(&mref->m_pkthdr.tags))
        m_tag_delete_chain(mref, nullptr);
      PacketFree(mref);
      break;
    case EXT_CLUSTER:
    case EXT_JUMBOP:
    case EXT_JUMBO9:
    case EXT_JUMBO16:
      ZoneFree(ZoneForSize(static_cast<int>(m->m_ext.ext_size)), mref->m_ext.ext_buf);
      FreeMbufStorage(mref);
      break;
    case EXT_SFBUF:
    case EXT_NET_DRV:
    case EXT_MOD_TYPE:
    case EXT_DISPOSABLE:
      KASSERT(mref->m_ext.ext_free != nullptr, ("%s: ext_free not set", __func__));
      mref->m_ext.ext_free(mref);
      FreeMbufStorage(mref);
      break;
    case EXT_EXTREF:
      KASSERT(m->m_ext.ext_free != nullptr, ("%s: ext_free not set", __func__));
      m->m_ext.ext_free(m);
      break;
    case EXT_RXRING:
      KASSERT(m->m_ext.ext_free == nullptr, ("%s: ext_free is set", __func__));
      break;
    default:
      panic("%s: unknown ext_type %d", __func__, static_cast<int>(m->m_ext.ext_type));
  }
}

// FreeBSD's mb_free_ext: drop m's reference; free the storage on the last one; free m itself
// unless it is the mbuf holding the count (freed with the storage) or is M_NOFREE.
void FreeExt(struct mbuf *m) {
  struct mbuf *mref;
  volatile u_int *cnt = RefCount(m, &mref);
  const bool is_extref = m->m_ext.ext_type == EXT_EXTREF;
  if (is_extref) mref = nullptr;
  if (DropRef(cnt)) ReleaseStorage(m, mref, cnt);
  if (m != mref && !(m->m_flags & M_NOFREE)) FreeMbufStorage(m);
}

struct mbuf *GetMbuf(int how, short type, int flags) {
  auto *m = static_cast<struct mbuf *>(ZoneAlloc(MBUFNIC_ZONE_MBUF, how));
  if (m == nullptr) return nullptr;
  if (type == MT_NOINIT) return m;
  m_init(m, how, type, flags);
  return m;
}

}  // namespace

namespace mbufnic::internal {

void mb_dupcl(struct mbuf *n, struct mbuf *m) {
  KASSERT(m->m_flags & M_EXT, ("%s: M_EXT not set on %p", __func__, static_cast<void *>(m)));
  KASSERT(!(n->m_flags & M_EXT), ("%s: M_EXT set on %p", __func__, static_cast<void *>(n)));
  // Copy the descriptor after its first word: that word is the embedded count, which other
  // holders may be changing on other threads, and the copy gets a pointer to it instead.  Only
  // the mbuf holding the count carries ext_free and its arguments (FreeBSD's m_ext_copylen),
  // except for EXT_EXTREF, where any copy may be the one that frees.
  constexpr size_t kFrom = offsetof(struct m_ext, ext_size);
  const size_t to = m->m_ext.ext_type == EXT_EXTREF ? sizeof(struct m_ext)
                                                    : offsetof(struct m_ext, ext_arg2);
  std::memcpy(reinterpret_cast<char *>(&n->m_ext) + kFrom,
              reinterpret_cast<const char *>(&m->m_ext) + kFrom, to - kFrom);
  n->m_flags |= M_EXT | (m->m_flags & (M_RDONLY | M_EXTPG));
  volatile u_int *cnt;
  if (m->m_ext.ext_flags & EXT_FLAG_EMBREF) {
    cnt = &m->m_ext.ext_count;
    n->m_ext.ext_flags &= ~EXT_FLAG_EMBREF;
  } else {
    cnt = m->m_ext.ext_cnt;  // already a pointer, which never changes
  }
  n->m_ext.ext_cnt = cnt;
  // A count of 1: nobody else holds the storage, so no other thread can change the count and a
  // plain increment will do.  Otherwise another holder may drop its reference concurrently.
  if (__atomic_load_n(cnt, __ATOMIC_RELAXED) == 1)
    __atomic_store_n(cnt, 2, __ATOMIC_RELAXED);
  else
    __atomic_fetch_add(cnt, 1, __ATOMIC_RELAXED);
}

}  // namespace mbufnic::internal

extern "C" {

int m_gettype(int size) {
  switch (size) {
    case MSIZE:
      return EXT_MBUF;
    case MCLBYTES:
      return EXT_CLUSTER;
    case MJUMPAGESIZE:
      return EXT_JUMBOP;
    case MJUM9BYTES:
      return EXT_JUMBO9;
    case MJUM16BYTES:
      return EXT_JUMBO16;
    default:
      panic("%s: invalid cluster size %d", __func__, size);
  }
}

int m_pkthdr_init(struct mbuf *m, int how) {
  (void)how;
  m->m_data = m->m_pktdat;
  std::memset(&m->m_pkthdr, 0, sizeof(m->m_pkthdr));
  return 0;
}

int m_init(struct mbuf *m, int how, short type, int flags) {
  m->m_next = nullptr;
  m->m_nextpkt = nullptr;
  m->m_data = m->m_dat;
  m->m_len = 0;
  m->m_flags = static_cast<uint32_t>(flags);
  m->m_type = static_cast<uint8_t>(type);
  if (flags & M_PKTHDR) return m_pkthdr_init(m, how);
  return 0;
}

struct mbuf *m_get(int how, short type) {
  return GetMbuf(how, type, 0);
}

struct mbuf *m_gethdr(int how, short type) {
  return GetMbuf(how, type, M_PKTHDR);
}

struct mbuf *m_getcl(int how, short type, int flags) {
  struct mbuf *m = PacketAlloc(how);
  if (m == nullptr) return nullptr;
  if (type == MT_NOINIT) return m;
  m_init(m, how, type, flags);
  m->m_data = m->m_ext.ext_buf;
  m->m_flags |= M_EXT;
  return m;
}

struct mbuf *m_getjcl(int how, short type, int flags, int size) {
  if (size == MCLBYTES) return m_getcl(how, type, flags);
  const mbufnic_zone_id z = ZoneForSize(size);
  if (z == MBUFNIC_ZONE_COUNT) panic("%s: invalid cluster size %d", __func__, size);
  struct mbuf *m = GetMbuf(how, type, flags);
  if (m == nullptr) return nullptr;
  void *cl = ZoneAlloc(z, how);
  if (cl == nullptr) {
    ZoneFree(MBUFNIC_ZONE_MBUF, m);
    return nullptr;
  }
  AttachCluster(m, cl, size);
  return m;
}

struct mbuf *m_get2(int size, int how, short type, int flags) {
  if (size <= MHLEN || (size <= MLEN && !(flags & M_PKTHDR))) return GetMbuf(how, type, flags);
  if (size <= MCLBYTES) return m_getcl(how, type, flags);
  if (size > MJUMPAGESIZE) return nullptr;
  return m_getjcl(how, type, flags, MJUMPAGESIZE);
}

struct mbuf *m_get3(int size, int how, short type, int flags) {
  if (size <= MJUMPAGESIZE) return m_get2(size, how, type, flags);
  if (size > MJUM16BYTES) return nullptr;
  return m_getjcl(how, type, flags, size <= MJUM9BYTES ? MJUM9BYTES : MJUM16BYTES);
}

struct mbuf *m_getclr(int how, short type) {
  struct mbuf *m = m_get(how, type);
  if (m != nullptr) std::memset(mtod(m, void *), 0, MLEN);
  return m;
}

struct mbuf *m_getm2(struct mbuf *m, int len, int how, short type, int flags) {
  KASSERT(len >= 0, ("%s: len is < 0", __func__));
  flags &= (M_PKTHDR | M_EOR);
  if (m != nullptr) flags &= ~M_PKTHDR;  // only the head of a new packet gets one
  struct mbuf *nm = nullptr, *mtail = nullptr;
  while (len > 0) {
    struct mbuf *mb = nullptr;
    // Large remainders try a page-size jumbo first, without waiting (as FreeBSD does).
    if (len > MCLBYTES) mb = m_getjcl(M_NOWAIT, type, flags & M_PKTHDR, MJUMPAGESIZE);
    if (mb == nullptr) {
      if (len >= MINCLSIZE)
        mb = m_getcl(how, type, flags & M_PKTHDR);
      else if (flags & M_PKTHDR)
        mb = m_gethdr(how, type);
      else
        mb = m_get(how, type);
    }
    if (mb == nullptr) {
      m_freem(nm);  // all or nothing; the caller's m is never touched
      return nullptr;
    }
    len -= M_SIZE(mb);
    if (mtail != nullptr)
      mtail->m_next = mb;
    else
      nm = mb;
    mtail = mb;
    flags &= ~M_PKTHDR;
  }
  if (mtail != nullptr && (flags & M_EOR)) mtail->m_flags |= M_EOR;
  if (m == nullptr) return nm;
  struct mbuf *last = m;
  while (last->m_next != nullptr) last = last->m_next;
  last->m_next = nm;
  last->m_flags &= ~M_EOR;  // as FreeBSD, even when nothing was added
  return m;
}

int m_clget(struct mbuf *m, int how) {
  KASSERT(!(m->m_flags & M_EXT), ("%s: mbuf %p has M_EXT", __func__, static_cast<void *>(m)));
  void *cl = ZoneAlloc(MBUFNIC_ZONE_CLUSTER, how);
  if (cl == nullptr && !(how & M_WAITOK)) {
    // FreeBSD drains the packet zone and tries once more; here the second attempt takes a
    // cached packet pair apart itself when the cluster zone is at its limit.
    mbufnic_thread_cache_drain();
    cl = ZoneAlloc(MBUFNIC_ZONE_CLUSTER, how);
  }
  if (cl != nullptr) AttachCluster(m, cl, MCLBYTES);
  return m->m_flags & M_EXT;
}

void *m_cljget(struct mbuf *m, int how, int size) {
  const mbufnic_zone_id z = ZoneForSize(size);
  if (z == MBUFNIC_ZONE_COUNT) panic("%s: invalid cluster size %d", __func__, size);
  if (m != nullptr)
    KASSERT(!(m->m_flags & M_EXT), ("%s: mbuf %p has M_EXT", __func__, static_cast<void *>(m)));
  void *cl = ZoneAlloc(z, how);
  if (cl != nullptr && m != nullptr) AttachCluster(m, cl, size);
  return cl;
}

void m_cljset(struct mbuf *m, void *cl, int type) {
  int size;
  switch (type) {
    case EXT_CLUSTER:
      size = MCLBYTES;
      break;
    case EXT_JUMBOP:
      size = MJUMPAGESIZE;
      break;
    case EXT_JUMBO9:
      size = MJUM9BYTES;
      break;
    case EXT_JUMBO16:
      size = MJUM16BYTES;
      break;
    default:
      panic("%s: unknown cluster type %d", __func__, type);
  }
  AttachCluster(m, cl, size);
}

void m_extadd(struct mbuf *m, char *buf, u_int size, m_ext_free_t *freef, void *arg1, void *arg2,
              int flags, int type) {
  KASSERT(type != EXT_CLUSTER, ("%s: EXT_CLUSTER not allowed", __func__));
  m->m_flags |= (M_EXT | flags);
  m->m_ext.ext_buf = buf;
  m->m_data = m->m_ext.ext_buf;
  m->m_ext.ext_size = size;
  m->m_ext.ext_free = freef;
  m->m_ext.ext_arg1 = arg1;
  m->m_ext.ext_arg2 = arg2;
  m->m_ext.ext_type = static_cast<uint32_t>(type);
  if (type != EXT_EXTREF) {
    m->m_ext.ext_count = 1;
    m->m_ext.ext_flags = EXT_FLAG_EMBREF;
  } else {
    m->m_ext.ext_flags = 0;
  }
}

void m_extfree(struct mbuf *m) {
  KASSERT(m->m_flags & M_EXT, ("%s: no external storage", __func__));
  struct mbuf *mref;
  volatile u_int *cnt = RefCount(m, &mref);
  if (m->m_ext.ext_type == EXT_EXTREF) {
    if (DropRef(cnt)) m->m_ext.ext_free(m);
  } else if (m == mref) {
    // Copies point at the count inside m: m cannot give up its storage while they exist.
    KASSERT(__atomic_load_n(cnt, __ATOMIC_RELAXED) == 1,
            ("%s: storage of %p is still shared", __func__, static_cast<void *>(m)));
    switch (m->m_ext.ext_type) {
      case EXT_PACKET:
        PacketDisown();  // m becomes a plain mbuf; its cluster goes to the cluster zone
        ZoneFree(MBUFNIC_ZONE_CLUSTER, m->m_ext.ext_buf);
        break;
      case EXT_CLUSTER:
      case EXT_JUMBOP:
      case EXT_JUMBO9:
      case EXT_JUMBO16:
        ZoneFree(ZoneForSize(static_cast<int>(m->m_ext.ext_size)), m->m_ext.ext_buf);
        break;
      case EXT_RXRING:
        break;
      default:
        if (m->m_ext.ext_free != nullptr) m->m_ext.ext_free(m);
        break;
    }
  } else if (DropRef(cnt)) {
    ReleaseStorage(m, mref, cnt);
  }
  m->m_flags &= ~(M_EXT | M_RDONLY);
  m->m_data = (m->m_flags & M_PKTHDR) ? m->m_pktdat : m->m_dat;
  m->m_len = 0;
}

struct mbuf *m_free(struct mbuf *m) {
  struct mbuf *n = m->m_next;
  // Fast paths for the two common cases: an unshared packet-zone pair and a plain mbuf, with no
  // tags.  Everything else takes FreeBSD's general route below.
  const uint32_t flags = m->m_flags;
  const bool no_tags = !(flags & M_PKTHDR) || SLIST_EMPTY(&m->m_pkthdr.tags);
  if (__predict_true(no_tags)) {
    if ((flags & (M_EXT | M_NOFREE)) == M_EXT && m->m_ext.ext_type == EXT_PACKET &&
        (m->m_ext.ext_flags & EXT_FLAG_EMBREF) &&
        __atomic_load_n(&m->m_ext.ext_count, __ATOMIC_ACQUIRE) == 1) {  // as in DropRef
      PacketFree(m);
      return n;
    }
    if ((flags & (M_EXT | M_NOFREE)) == 0) {
      ZoneFree(MBUFNIC_ZONE_MBUF, m);
      return n;
    }
  }
  if ((m->m_flags & (M_PKTHDR | M_NOFREE)) == (M_PKTHDR | M_NOFREE)) m_tag_delete_chain(m, nullptr);
  if (m->m_flags & M_EXT)
    FreeExt(m);
  else if (!(m->m_flags & M_NOFREE))
    FreeMbufStorage(m);
  return n;
}

void m_freem(struct mbuf *m) {
  while (m != nullptr) m = m_free(m);
}

}  // extern "C"
