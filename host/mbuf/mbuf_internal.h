// Internal interfaces between the parts of libmbufnic: the allocator (zone.cc, alloc.cc), the
// chain operations (chain.cc, copy.cc, contig.cc, pkthdr.cc, tags.cc) and fault injection
// (fault.cc).  Not installed.
#ifndef MBUFNIC_HOST_MBUF_MBUF_INTERNAL_H_
#define MBUFNIC_HOST_MBUF_MBUF_INTERNAL_H_

#include <sys/mbuf.h>
#include <sys/systm.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mbufnic/runtime.h"

namespace mbufnic::internal {

// Share m's external storage with n (which must have no storage of its own): copies the
// m_ext prefix, ORs in M_EXT|M_RDONLY from m, points n at m's reference count and
// increments it.  FreeBSD's mb_dupcl().
void mb_dupcl(struct mbuf *n, struct mbuf *m);

// True while any allocation-failure knob is on: the one thing allocation fast paths check.
extern std::atomic<bool> g_fault_active;
inline bool fault_active() { return g_fault_active.load(std::memory_order_relaxed); }
// Fault injection: true when this M_NOWAIT allocation must fail.  Counts every M_NOWAIT
// allocation attempt (mbuf, cluster, jumbo, packet, tag).  Always false for M_WAITOK.
bool fault_should_fail(int how);
// The next number of the seeded fault-injection random stream (m_fragment's random sizes).
uint64_t fault_random();
// True when m_defrag must fail at random (kern.ipc.m_defragrandomfailures).
bool fault_defrag_should_fail();
// m_defrag statistics.
void defrag_count(bool useless, bool failed, uint64_t bytes);

// Visit bytes [off, off + len) of chain m piece by piece, in order: f(data, count) may return
// non-zero to stop, and that value is returned (0 when every piece was visited).  A range that
// runs past the chain panics, as FreeBSD's KASSERTs in m_copydata and m_apply do; `who` names
// the caller in the message.
template <typename F>
int ForEachPiece(const struct mbuf *m, int off, int len, const char *who, F &&f) {
  KASSERT(off >= 0, ("%s: off %d < 0", who, off));
  KASSERT(len >= 0, ("%s: len %d < 0", who, len));
  while (off > 0) {
    KASSERT(m != nullptr, ("%s: offset > size of mbuf chain", who));
    if (off < m->m_len) break;
    off -= m->m_len;
    m = m->m_next;
  }
  while (len > 0) {
    KASSERT(m != nullptr, ("%s: length > size of mbuf chain", who));
    const int count = m->m_len - off < len ? m->m_len - off : len;
    if (const int r = f(m->m_data + off, count)) return r;
    len -= count;
    off = 0;
    m = m->m_next;
  }
  return 0;
}

// Tag accounting, for netstat -m's byte count.
void tags_account(int64_t count_delta, int64_t bytes_delta);

}  // namespace mbufnic::internal

#endif  // MBUFNIC_HOST_MBUF_MBUF_INTERNAL_H_
