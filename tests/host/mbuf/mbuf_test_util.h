// Helpers shared by the mbuf tests: building chains from bytes, reading them back, and a
// zone-level leak check that every test can wrap around its body.
#ifndef MBUFNIC_TESTS_HOST_MBUF_MBUF_TEST_UTIL_H_
#define MBUFNIC_TESTS_HOST_MBUF_MBUF_TEST_UTIL_H_

#include <sys/mbuf.h>

#include <array>
#include <cstdint>
#include <vector>

#include "mbufnic/runtime.h"

namespace mbufnic::test {

using Bytes = std::vector<uint8_t>;

// Bytes [off, off + len) of b.
Bytes Slice(const Bytes &b, size_t off, size_t len);
// a followed by b.
Bytes Cat(Bytes a, const Bytes &b);
// True when every mbuf of the chain may be written in place (M_WRITABLE).
bool AllWritable(const struct mbuf *m);
// True when n is one of the mbufs of chain m.
bool InChain(const struct mbuf *m, const struct mbuf *n);

// Deterministic, position-dependent test bytes (no two neighbours equal).
std::vector<uint8_t> Pattern(size_t n, uint32_t seed = 1);

// Storage of one mbuf in a chain built by MakeChain.
enum class Storage {
  kInternal,  // data in the mbuf itself (m_dat or m_pktdat)
  kCluster,   // a 2 KiB cluster attached with MCLGET (EXT_CLUSTER)
  kPacket,    // m_getcl: packet-zone mbuf+cluster (EXT_PACKET)
};

// Build a chain holding `bytes`, split into mbufs of the given sizes (which must add up to
// bytes.size(); zero sizes make empty mbufs).  The head has M_PKTHDR with pkthdr.len set when
// `pkthdr`.  Every mbuf uses `storage` unless a size does not fit, in which case it fails the test.
struct mbuf *MakeChain(const std::vector<uint8_t> &bytes, const std::vector<int> &sizes,
                       bool pkthdr = true, Storage storage = Storage::kInternal);
// Contents of the chain (sum of m_len), read with m_copydata.
std::vector<uint8_t> Flatten(const struct mbuf *m);
// Number of mbufs in the chain.
int ChainCount(const struct mbuf *m);

// Runs op(nth) with the nth M_NOWAIT allocation failing, for nth = 1, 2, ... until op no longer
// reaches the nth allocation; returns how many allocation points were failed.
template <typename Op>
int ForEachAllocationFailure(Op op) {
  int failed = 0;
  for (uint64_t nth = 1;; ++nth) {
    mbufnic_fault_fail_nth(nth);
    op(nth);
    const bool reached = mbufnic_fault_alloc_count() >= nth;
    mbufnic_fault_reset();
    if (!reached) break;
    ++failed;
  }
  return failed;
}

// Counts of items in use in every zone plus tags in use; compare two snapshots to find leaks.
struct ZoneUsage {
  std::array<uint64_t, MBUFNIC_ZONE_COUNT> used{};
  uint64_t tags = 0;
  static ZoneUsage Now();
  bool operator==(const ZoneUsage &) const = default;
};

// RAII: at destruction, adds a GoogleTest failure when any zone holds a different number of
// items than at construction (an mbuf, cluster or tag was leaked or freed twice).
class LeakCheck {
 public:
  LeakCheck();
  ~LeakCheck();
  LeakCheck(const LeakCheck &) = delete;
  LeakCheck &operator=(const LeakCheck &) = delete;

 private:
  ZoneUsage before_;
};

}  // namespace mbufnic::test

#endif  // MBUFNIC_TESTS_HOST_MBUF_MBUF_TEST_UTIL_H_
