/*
 * mbufnic runtime controls that FreeBSD exposes through sysctl(8), netstat(1)
 * and vmstat(8) rather than through <sys/mbuf.h>: the DMA arena and its bus
 * addresses, per-zone statistics and limits, and the MBUF_STRESS_TEST fault
 * injection knobs.  C-compatible, so FreeBSD-style C code may use it too.
 */
#ifndef MBUFNIC_RUNTIME_H_
#define MBUFNIC_RUNTIME_H_

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * DMA arena.  Every mbuf, cluster and jumbo cluster lives in one arena whose memory the card may
 * reach; each byte of it has a bus address.  By default the arena is reserved on first use and
 * its bus addresses are an IOVA space of their own (they are never equal to the virtual address),
 * so code that confuses the two fails loudly.  A backend whose card reaches host memory through
 * buffers it allocates (the xrt backend: one host-only xrt::bo) hands that memory and its bus
 * address to the runtime with mbufnic_arena_provide() before the first allocation.
 * ------------------------------------------------------------------------------------------- */

typedef uint64_t mbufnic_busaddr_t;
#define MBUFNIC_BUSADDR_INVALID ((mbufnic_busaddr_t)0)

/* Bus address of va, or MBUFNIC_BUSADDR_INVALID when va is not inside the arena. */
mbufnic_busaddr_t mbufnic_vtobus(const void *va);
/* Virtual address of a bus address, or NULL when it is not inside the arena. */
void *mbufnic_bustov(mbufnic_busaddr_t bus);
/* 1 when [va, va+len) lies wholly inside the arena, 0 otherwise. */
int mbufnic_in_arena(const void *va, size_t len);

struct mbufnic_arena_info {
  void *base;                 /* first virtual address */
  size_t reserved;            /* bytes of address space reserved */
  size_t committed;           /* bytes handed out to zones so far */
  mbufnic_busaddr_t bus_base; /* bus address of base */
  int hugepages;              /* 1: reserved hugetlb pages; 0: ordinary pages with THP requested */
  int provided;               /* 1: the memory came from mbufnic_arena_provide() */
};
void mbufnic_arena_get_info(struct mbufnic_arena_info *info);

/* What mbufnic_arena_provide() accepts: base and bus address aligned to 4 KiB, so that a buffer
 * that does not cross a 4 KiB page in virtual memory does not cross a 4 KiB boundary in bus
 * space either (the card's DMA bursts never do); at least 2 MiB. */
#define MBUFNIC_ARENA_PROVIDE_ALIGN ((size_t)4096)
#define MBUFNIC_ARENA_PROVIDE_MIN ((size_t)2 << 20)
/*
 * Make [base, base+len) the arena, with bus address bus_base for base, instead of the reservation
 * made on first use (MBUFNIC_ARENA_MB and MBUFNIC_HUGEPAGES then do not apply).  Must come before
 * anything that creates the arena: an allocation, a statistics or limit call, mbufnic_vtobus().
 * The memory must stay mapped until the process ends (the runtime never gives the arena back)
 * and the zone limits follow len as they follow MBUFNIC_ARENA_MB.  Returns 0 on success; EINVAL
 * for a NULL base, a base or bus address not aligned to MBUFNIC_ARENA_PROVIDE_ALIGN, len below
 * MBUFNIC_ARENA_PROVIDE_MIN, bus address MBUFNIC_BUSADDR_INVALID or a range that wraps (the
 * arena is then left untouched); EBUSY when the arena already exists (made on first use, or
 * provided before).  Thread-safe against a concurrent first use: exactly one of them wins.
 */
int mbufnic_arena_provide(void *base, size_t len, mbufnic_busaddr_t bus_base);

/* ---------------------------------------------------------------------------------------------
 * Zones and statistics (netstat -m, vmstat -z).
 * ------------------------------------------------------------------------------------------- */

enum mbufnic_zone_id {
  MBUFNIC_ZONE_MBUF = 0, /* "mbuf": MSIZE items */
  MBUFNIC_ZONE_CLUSTER,  /* "mbuf_cluster": MCLBYTES */
  MBUFNIC_ZONE_PACKET,   /* "mbuf_packet": mbuf+cluster pairs, over the two above */
  MBUFNIC_ZONE_JUMBOP,   /* "mbuf_jumbo_page": MJUMPAGESIZE */
  MBUFNIC_ZONE_JUMBO9,   /* "mbuf_jumbo_9k": MJUM9BYTES */
  MBUFNIC_ZONE_JUMBO16,  /* "mbuf_jumbo_16k": MJUM16BYTES */
  MBUFNIC_ZONE_COUNT
};

struct mbufnic_zone_stats {
  const char *name;  /* UMA zone name, as vmstat -z prints it */
  uint32_t size;     /* item size in bytes */
  uint64_t limit;    /* most items that may exist at once (0: none) */
  uint64_t used;     /* items held by callers */
  uint64_t free;     /* items cached in the zone and per-thread caches */
  uint64_t requests; /* successful allocations, ever */
  uint64_t failures; /* allocations denied (M_NOWAIT at the limit or by fault injection) */
  uint64_t sleeps;   /* M_WAITOK allocations that had to wait for a free item */
};

/* Fill *st for zone z; 0 on success, EINVAL for an unknown zone. */
int mbufnic_zone_get_stats(enum mbufnic_zone_id z, struct mbufnic_zone_stats *st);
/*
 * Set a zone's limit (kern.ipc.nmbclusters and friends).  Unlike the sysctl this may also lower
 * it, which tests need; 0 on success, EINVAL for an unknown zone or the packet zone (whose limit is
 * that of its mbuf and cluster zones).
 */
int mbufnic_zone_set_limit(enum mbufnic_zone_id z, uint64_t limit);
/* Return the calling thread's cached items to the shared zones (done at thread exit too). */
void mbufnic_thread_cache_drain(void);

/* Print netstat -m style statistics to f. */
void mbufnic_print_netstat_m(FILE *f);
/* Print vmstat -z style per-zone counters to f. */
void mbufnic_print_vmstat_z(FILE *f);
/* Bytes of packet tags currently allocated, and tags currently allocated. */
uint64_t mbufnic_tag_bytes_in_use(void);
uint64_t mbufnic_tags_in_use(void);

/* ---------------------------------------------------------------------------------------------
 * Fault injection (FreeBSD's MBUF_STRESS_TEST knobs, switchable at run time).
 * Only M_NOWAIT allocations fail: M_WAITOK never returns NULL, as in FreeBSD.
 * ------------------------------------------------------------------------------------------- */

/* Seed of the fault-injection random stream (runs are reproducible). */
void mbufnic_fault_seed(uint64_t seed);
/* Fail each M_NOWAIT allocation (mbuf, cluster, tag) with probability ppm / 1e6; 0 disables. */
void mbufnic_fault_set_alloc_failure_ppm(uint32_t ppm);
/* Fail the n-th M_NOWAIT allocation from now on (1 = the next one), once; 0 disables. */
void mbufnic_fault_fail_nth(uint64_t n);
/* M_NOWAIT allocations made since the last mbufnic_fault_fail_nth() or _reset(). */
uint64_t mbufnic_fault_alloc_count(void);
/* kern.ipc.m_defragrandomfailures: m_defrag() fails 1 time in 256 when on. */
void mbufnic_fault_set_defrag_random_failures(int on);
/* net.inet.ip.mbuf_frag_size: m_stress_fragment() re-chains packets longer than this (0: off). */
void mbufnic_fault_set_frag_size(int size);
int mbufnic_fault_get_frag_size(void);
/* Turn every knob off and zero the allocation counter. */
void mbufnic_fault_reset(void);
/* Apply net.inet.ip.mbuf_frag_size to a chain (as ip_output does under MBUF_STRESS_TEST). */
struct mbuf *m_stress_fragment(struct mbuf *m, int how);

/* m_defrag counters (kern.ipc.m_defragpackets, _bytes, _useless, _failure). */
struct mbufnic_defrag_stats {
  uint64_t packets, bytes, useless, failures;
};
void mbufnic_defrag_get_stats(struct mbufnic_defrag_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* MBUFNIC_RUNTIME_H_ */
