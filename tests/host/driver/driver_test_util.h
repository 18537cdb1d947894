// Chains for the driver tests: a frame's bytes laid out the ways a FreeBSD stack hands packets to
// a driver (one buffer, many small mbufs, clusters, clusters shared with a copy kept elsewhere,
// an internal header mbuf in front of shared payload, empty mbufs in between).
#ifndef MBUFNIC_TESTS_HOST_DRIVER_DRIVER_TEST_UTIL_H_
#define MBUFNIC_TESTS_HOST_DRIVER_DRIVER_TEST_UTIL_H_

#include <sys/mbuf.h>

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace mbufnic::drivertest {

enum class Layout {
  kOneBuffer,        // one mbuf (internal, cluster or jumbo cluster: m_get3)
  kSmallMbufs,       // 1 to 100 bytes per mbuf, internal storage
  kClusters,         // 2 KiB packet-zone clusters, random fill
  kSharedClusters,   // m_copym of a cluster chain: every cluster read-only, shared with `keep`
  kHeaderAndShared,  // the headers in an internal mbuf, the payload shared clusters (tcp_output)
  kWithEmpties,      // small mbufs with zero-length mbufs in between
};
inline constexpr Layout kAllLayouts[] = {Layout::kOneBuffer,       Layout::kSmallMbufs,
                                         Layout::kClusters,        Layout::kSharedClusters,
                                         Layout::kHeaderAndShared, Layout::kWithEmpties};
std::string LayoutName(Layout layout);

struct TestChain {
  struct mbuf *m = nullptr;     // the packet: M_PKTHDR, pkthdr.len set, csum_flags 0
  struct mbuf *keep = nullptr;  // the chain whose clusters m shares (free it after), or null
};

// `bytes` laid out as `layout`; hdr_len is where kHeaderAndShared splits (clamped to the frame).
TestChain BuildChain(std::span<const uint8_t> bytes, Layout layout, std::mt19937_64 &rng,
                     int hdr_len = 54);
// `bytes` in one packet-header mbuf whose data starts `offset` bytes into its storage: the
// mbuf's internal storage (offset + size at most MHLEN) or a 2 KiB cluster.  How a small frame
// built by the stack sits, at whatever position in its 64-byte line.
struct mbuf *OffsetBuffer(std::span<const uint8_t> bytes, int offset, bool cluster);

// Small transmit frames in every shape the copybreak tests use: shape k (0 <= k < kSmallShapes)
// of `bytes` is a single buffer at one of several offsets in internal storage or a cluster, or
// a chain of one of the layouts above.  The keep part is set for the shared layouts.
inline constexpr int kSmallShapes = 14;
TestChain SmallShape(std::span<const uint8_t> bytes, int k, std::mt19937_64 &rng);
std::string SmallShapeName(int k);

// True when the transmit copybreak (driver.hpp) must copy chain m, whose bytes are all in the
// DMA arena, at threshold `copybreak`: at most that many bytes, and either several non-empty
// mbufs or one whose bytes touch more 64-byte lines than the length needs.
bool CopybreakApplies(const struct mbuf *m, int copybreak);

// The chain's bytes (sum of m_len).
std::vector<uint8_t> ChainBytes(const struct mbuf *m);
// Frees both parts of a TestChain (either may be null).
void FreeTestChain(TestChain &c);

// The receive csum_flags the driver must hand up for `frame` with receive checksum offload on:
// the card's classification (rx_csum_ref.h) through the driver's table (driver.hpp), and the
// matching csum_data in *data.
uint32_t ExpectedRxFlags(std::span<const uint8_t> frame, uint32_t *data);

}  // namespace mbufnic::drivertest

#endif  // MBUFNIC_TESTS_HOST_DRIVER_DRIVER_TEST_UTIL_H_
