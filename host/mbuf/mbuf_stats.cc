// netstat -m and vmstat -z style reports over the zone counters.
//
// netstat -m's arithmetic is FreeBSD's (usr.bin/netstat/mbuf.c), restated over this runtime's
// accounting, in which the mbufs and clusters of packet-zone pairs count in the packet zone only:
// "mbufs in use" adds packets held to mbufs held, "clusters in use" adds the clusters of packets
// held, and every cache figure includes the cached pairs.
#include <sys/mbuf.h>
#include <sys/param.h>

#include <cinttypes>
#include <cstdio>

#include "mbufnic/runtime.h"

namespace {

struct Snapshot {
  mbufnic_zone_stats z[MBUFNIC_ZONE_COUNT];
  Snapshot() {
    for (int i = 0; i < MBUFNIC_ZONE_COUNT; ++i)
      mbufnic_zone_get_stats(static_cast<mbufnic_zone_id>(i), &z[i]);
  }
  const mbufnic_zone_stats &operator[](mbufnic_zone_id id) const { return z[id]; }
};

}  // namespace

extern "C" {

void mbufnic_print_netstat_m(FILE *f) {
  const Snapshot s;
  const auto &mb = s[MBUFNIC_ZONE_MBUF], &cl = s[MBUFNIC_ZONE_CLUSTER],
             &pk = s[MBUFNIC_ZONE_PACKET], &jp = s[MBUFNIC_ZONE_JUMBOP],
             &j9 = s[MBUFNIC_ZONE_JUMBO9], &j16 = s[MBUFNIC_ZONE_JUMBO16];
  const uint64_t mb_cur = mb.used + pk.used, mb_cache = mb.free + pk.free;
  std::fprintf(f, "%" PRIu64 "/%" PRIu64 "/%" PRIu64 " mbufs in use (current/cache/total)\n",
               mb_cur, mb_cache, mb_cur + mb_cache);
  const uint64_t cl_cur = cl.used + pk.used, cl_cache = cl.free + pk.free;
  std::fprintf(f,
               "%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
               " mbuf clusters in use (current/cache/total/max)\n",
               cl_cur, cl_cache, cl_cur + cl_cache, cl.limit);
  std::fprintf(f,
               "%" PRIu64 "/%" PRIu64
               " mbuf+clusters out of packet secondary zone in use (current/cache)\n",
               pk.used, pk.free);
  const struct {
    const mbufnic_zone_stats *z;
    const char *label;
  } jumbos[] = {{&jp, "4k (page size)"}, {&j9, "9k"}, {&j16, "16k"}};
  for (const auto &j : jumbos)
    std::fprintf(f,
                 "%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
                 " %s jumbo clusters in use (current/cache/total/max)\n",
                 j.z->used, j.z->free, j.z->used + j.z->free, j.z->limit, j.label);
  const uint64_t tag_bytes = mbufnic_tag_bytes_in_use();
  const uint64_t cur_bytes = mb_cur * MSIZE + cl_cur * MCLBYTES + jp.used * MJUMPAGESIZE +
                             j9.used * MJUM9BYTES + j16.used * MJUM16BYTES + tag_bytes;
  const uint64_t cache_bytes = mb_cache * MSIZE + cl_cache * MCLBYTES + jp.free * MJUMPAGESIZE +
                               j9.free * MJUM9BYTES + j16.free * MJUM16BYTES;
  std::fprintf(f,
               "%" PRIu64 "K/%" PRIu64 "K/%" PRIu64
               "K bytes allocated to network (current/cache/total)\n",
               cur_bytes / 1024, cache_bytes / 1024, (cur_bytes + cache_bytes) / 1024);
  std::fprintf(f,
               "%" PRIu64 "/%" PRIu64 "/%" PRIu64
               " requests for mbufs denied (mbufs/clusters/mbuf+clusters)\n",
               mb.failures, cl.failures, pk.failures);
  std::fprintf(f,
               "%" PRIu64 "/%" PRIu64 "/%" PRIu64
               " requests for mbufs delayed (mbufs/clusters/mbuf+clusters)\n",
               mb.sleeps, cl.sleeps, pk.sleeps);
  std::fprintf(
      f, "%" PRIu64 "/%" PRIu64 "/%" PRIu64 " requests for jumbo clusters delayed (4k/9k/16k)\n",
      jp.sleeps, j9.sleeps, j16.sleeps);
  std::fprintf(
      f, "%" PRIu64 "/%" PRIu64 "/%" PRIu64 " requests for jumbo clusters denied (4k/9k/16k)\n",
      jp.failures, j9.failures, j16.failures);
  std::fprintf(f, "%" PRIu64 " mbuf tags in use (%" PRIu64 " bytes)\n", mbufnic_tags_in_use(),
               tag_bytes);
}

void mbufnic_print_vmstat_z(FILE *f) {
  const Snapshot s;
  std::fprintf(f, "%-18s %6s %8s %8s %8s %10s %6s %6s\n", "ITEM", "SIZE", "LIMIT", "USED", "FREE",
               "REQ", "FAIL", "SLEEP");
  for (const auto &z : s.z)
    std::fprintf(f,
                 "%-18s %6u %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %10" PRIu64 " %6" PRIu64
                 " %6" PRIu64 "\n",
                 z.name, z.size, z.limit, z.used, z.free, z.requests, z.failures, z.sleeps);
}

}  // extern "C"
