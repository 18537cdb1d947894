// The system tests' traffic: a seeded mix of every kind of packet a FreeBSD stack hands a driver,
// with what the card must put on the wire for each.  The same seed gives the same packets, chain
// layouts and offload requests on every backend, which is what the differential test relies on.
//
// Kinds (Item::kind):
//   raw        a correct frame sent as it is: IPv4 (options, fragments) / IPv6 (extension
//              headers) / neither, TCP (options) / UDP / other, 0 to 2 VLAN tags in the frame
//   corrupt    a frame with a wrong checksum or a wrong length field, sent as it is
//   csum       checksum offload, seeded as FreeBSD's stack leaves it (all flags that apply)
//   csum_part  only one of the two checksums asked for (CSUM_IP alone, or the L4 one alone)
//   tso        TCP segmentation up to 64 KiB at assorted MSS, th_sum as tcp_output leaves it
//   vlan_tag   M_VLANTAG: the driver inserts the tag (plain, with checksum offload or with TSO)
//   jumbo      a 7000 to 9200-byte frame, half of them with checksum offload
// Each item's chain has one of the driver tests' layouts (one buffer, many small mbufs,
// clusters, clusters shared with m_copym, headers plus shared payload, empty mbufs between).
#ifndef MBUFNIC_TESTS_SYSTEM_WORKLOAD_H_
#define MBUFNIC_TESTS_SYSTEM_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "driver_test_util.h"

namespace mbufnic::systest {

using Frame = std::vector<std::uint8_t>;

enum class Kind { kRaw, kCorrupt, kCsum, kCsumPart, kTso, kVlanTag, kJumbo };
inline constexpr int kNumKinds = 7;
const char *KindName(Kind kind);

struct Item {
  Kind kind = Kind::kRaw;
  std::string what;  // for failure messages
  // The packet as the stack hands it over: bytes, chain layout (built with chain_seed, so two
  // runs build the same chain) and the m_pkthdr fields of the request.
  Frame bytes;
  drivertest::Layout layout = drivertest::Layout::kOneBuffer;
  int hdr_len = 54;  // where kHeaderAndShared splits
  std::uint64_t chain_seed = 0;
  std::uint32_t csum_flags = 0;
  std::uint32_t l4_csum_off = 0;  // m_pkthdr.csum_data
  std::uint16_t mss = 0;          // m_pkthdr.tso_segsz (0: no TSO)
  bool vlan_tag = false;          // M_VLANTAG with ether_vtag = vtag
  std::uint16_t vtag = 0;

  // What must leave the card for it, in order (TSO: SegmentFrame's segments).
  std::vector<Frame> wire;
  // Every IP, TCP and UDP checksum in `wire` is right (tshark must find none bad).
  bool checksums_valid = true;
  // TSO: the request's first sequence number and payload bytes, for the flow check; every TSO
  // request has a 4-tuple of its own.
  std::uint32_t tso_seq = 0;
  std::uint32_t tso_pay = 0;
  // Bytes the card gathers for it (the transmit queue's byte counter): the chain, with the tag.
  std::size_t gathered() const { return bytes.size() + (vlan_tag ? 4 : 0); }
};

struct WorkloadOptions {
  int count = 1000;
  std::uint64_t seed = 1;
  // Relative weights of the kinds, in the order of Kind.
  int weights[kNumKinds] = {4, 1, 4, 1, 3, 2, 1};
  std::uint32_t max_tso_payload = 65535;  // 64 KiB requests at most
};

std::vector<Item> MakeWorkload(const WorkloadOptions &options);

// Frames on the wire for the whole workload.
std::size_t WireFrames(const std::vector<Item> &items);

}  // namespace mbufnic::systest

#endif  // MBUFNIC_TESTS_SYSTEM_WORKLOAD_H_
