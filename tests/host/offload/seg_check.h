// Shared by the offload tests: what a user checks on the segments of a TSO/USO request, written
// from the rules and RFC 1071 alone (no project checksum code): the checksums verify over the real
// pseudo-header, the length fields match the bytes, and every header byte is the request's except
// the fields the contract names.
#ifndef MBUFNIC_TESTS_HOST_OFFLOAD_SEG_CHECK_H_
#define MBUFNIC_TESTS_HOST_OFFLOAD_SEG_CHECK_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mbufnic/sw_offload.hpp"
#include "seg_gen.h"

namespace mbufnic::offloadtest {

// The names every test here uses.
using Frame = std::vector<uint8_t>;
using Frames = std::vector<Frame>;
using hw::SegErr;
using hw::SegKind;
using rtltest::FrameSpec;
using rtltest::Ipv6ExtType;
using rtltest::L3Kind;
using rtltest::L4Kind;
using rtltest::MakeSegCase;
using rtltest::SegCase;

// Bytes from a hex string (white space ignored).
Frame FromHex(const std::string& hex);

uint16_t Be16(std::span<const uint8_t> f, size_t at);
uint32_t Be32(std::span<const uint8_t> f, size_t at);

// RFC 1071: big-endian 16-bit words added into 32 bits, an odd last byte padded with zero, carries
// folded back; not complemented.  A header with its checksum verifies when this gives 0xFFFF.
uint16_t Rfc1071(std::span<const uint8_t> data, uint32_t initial = 0);

// The IPv4 header checksum (if IPv4) and the TCP/UDP checksum of one wire segment verify, the
// pseudo-header built from the segment's own addresses and its real L4 length (the bytes after
// the IP headers); a UDP checksum is never 0.
::testing::AssertionResult ChecksumsValid(std::span<const uint8_t> seg, const SegRequest& req);

// Every rule of a TCP or UDP request on `frame`: the number of segments (ceil(pay_len / mss), one
// when pay_len is 0; with `all` false, at most that many: the first ones of a kFrameLen
// request), each one's payload slice, length fields, IPv4 ID, TCP sequence and flags, UDP length,
// valid checksums, and every other header byte equal to the request's.
::testing::AssertionResult SegmentsFollowRules(std::span<const uint8_t> frame,
                                               const SegRequest& req, const Frames& segs,
                                               bool all = true);

}  // namespace mbufnic::offloadtest

#endif  // MBUFNIC_TESTS_HOST_OFFLOAD_SEG_CHECK_H_
