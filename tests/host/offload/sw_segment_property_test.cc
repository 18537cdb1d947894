// SegmentFrame over random requests (tests/support/seg_gen.h): RapidCheck properties a user of
// TSO/USO relies on, and tshark's independent verdict on the checksums, lengths and sequence
// numbers of a sample of segments.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "mbufnic/sw_offload.hpp"
#include "pcap_file.h"
#include "seg_check.h"
#include "tshark.h"

namespace mbufnic::offloadtest {
namespace {

SegCase GenCase() {
  std::mt19937_64 rng(*rc::gen::arbitrary<uint64_t>());
  return rtltest::RandomSegCase(rng);
}

RC_GTEST_PROP(SegProperties, ReassembledPayloadIsTheOriginal, ()) {
  const SegCase c = GenCase();
  Frames segs;
  RC_ASSERT(SegmentFrame(c.frame, c.req, &segs) == SegErr::kNone);
  const size_t hdr = c.frame.size() - c.req.pay_len;
  Frame joined;
  for (const Frame& s : segs) {
    RC_ASSERT(s.size() >= hdr);
    RC_ASSERT(s.size() - hdr <= c.req.mss);
    joined.insert(joined.end(), s.begin() + hdr, s.end());
  }
  RC_ASSERT(joined == Frame(c.frame.begin() + hdr, c.frame.end()));
  const size_t n = c.req.pay_len == 0 ? 1 : (c.req.pay_len + c.req.mss - 1) / c.req.mss;
  RC_ASSERT(segs.size() == n);
}

RC_GTEST_PROP(SegProperties, SequenceNumbersAndIdsAreContiguous, ()) {
  const SegCase c = GenCase();
  Frames segs;
  RC_ASSERT(SegmentFrame(c.frame, c.req, &segs) == SegErr::kNone);
  const size_t l3 = c.req.l2hlen, l4 = l3 + c.req.l3hlen, hdr = l4 + c.req.l4hlen;
  uint32_t seq = Be32(c.frame, l4 + 4);
  uint16_t id = Be16(c.frame, l3 + 4);
  for (const Frame& s : segs) {
    if (c.req.kind == SegKind::kTcp) RC_ASSERT(Be32(s, l4 + 4) == seq);
    if (!c.req.ipv6) RC_ASSERT(Be16(s, l3 + 4) == id);
    seq += static_cast<uint32_t>(s.size() - hdr);
    ++id;
  }
}

RC_GTEST_PROP(SegProperties, EveryChecksumVerifies, ()) {
  const SegCase c = GenCase();
  Frames segs;
  RC_ASSERT(SegmentFrame(c.frame, c.req, &segs) == SegErr::kNone);
  for (const Frame& s : segs) {
    const ::testing::AssertionResult ok = ChecksumsValid(s, c.req);
    if (!ok) RC_FAIL(ok.message());
  }
}

RC_GTEST_PROP(SegProperties, EveryRuleHolds, ()) {
  const SegCase c = GenCase();
  Frames segs;
  RC_ASSERT(SegmentFrame(c.frame, c.req, &segs) == SegErr::kNone);
  const ::testing::AssertionResult ok = SegmentsFollowRules(c.frame, c.req, segs);
  if (!ok) RC_FAIL(ok.message());
}

RC_GTEST_PROP(SegProperties, TruncatedFrameSendsOnlyCompleteSegments, ()) {
  const SegCase c = GenCase();
  const size_t hdr = c.frame.size() - c.req.pay_len;
  const size_t len = *rc::gen::inRange<size_t>(0, c.frame.size());  // strictly shorter
  const Frame cut(c.frame.begin(), c.frame.begin() + len);
  Frames segs;
  RC_ASSERT(SegmentFrame(cut, c.req, &segs) == SegErr::kFrameLen);
  // Segment k is sent when its last byte, hdr + min((k + 1) * mss, pay_len), is inside the cut.
  size_t want = 0;
  if (len >= hdr) {
    const size_t avail = len - hdr, mss = c.req.mss;
    want = c.req.pay_len == 0 ? 1 : avail / mss;
  }
  RC_ASSERT(segs.size() == want);
  const ::testing::AssertionResult ok = SegmentsFollowRules(c.frame, c.req, segs, false);
  if (!ok) RC_FAIL(ok.message());
}

RC_GTEST_PROP(SegProperties, KindNonePassesAnyFrame, (const std::vector<uint8_t>& frame)) {
  SegRequest req;
  req.kind = SegKind::kNone;
  req.mss = *rc::gen::arbitrary<uint16_t>();
  req.pay_len = *rc::gen::arbitrary<uint16_t>();
  Frames out;
  RC_ASSERT(SegmentFrame(frame, req, &out) == SegErr::kNone);
  RC_ASSERT(out == Frames{frame});
}

// ---------------------------------------------------------------------------------------------
// tshark on a sample of segments from varied requests.
// ---------------------------------------------------------------------------------------------

constexpr const char* kNoTshark = "tshark is not installed (scripts/setup.sh installs it)";

// Single-quoted for /bin/sh.
std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

struct SampleSegment {
  size_t request = 0;  // index of the request it came from
  SegRequest req;
  uint32_t seq0 = 0;  // the request's TCP sequence number
};

class SegTshark : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!rtltest::TsharkAvailable()) GTEST_SKIP() << kNoTshark;
    // Requests of at most 6 segments, until a few hundred segments are in the sample.
    std::mt19937_64 rng(20240611);
    rtltest::RandomSegOptions opt;
    opt.max_segments = 6;
    for (size_t r = 0; frames_.size() < 300; ++r) {
      const SegCase c = rtltest::RandomSegCase(rng, opt);
      Frames segs;
      ASSERT_EQ(SegmentFrame(c.frame, c.req, &segs), SegErr::kNone) << c.spec.Describe();
      const uint32_t seq0 = Be32(c.frame, c.req.l2hlen + c.req.l3hlen + 4);
      for (Frame& s : segs) {
        frames_.push_back(std::move(s));
        sample_.push_back({r, c.req, seq0});
      }
    }
    // One file per test and process: CTest runs the tests of this fixture side by side.
    path_ = ::testing::TempDir() + "sw_segment_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
            std::to_string(getpid()) + ".pcap";
    rtltest::WritePcap(path_, frames_);
  }
  void TearDown() override {
    if (!path_.empty()) std::remove(path_.c_str());
  }

  Frames frames_;
  std::vector<SampleSegment> sample_;
  std::string path_;
};

TEST_F(SegTshark, EveryChecksumIsGood) {
  const rtltest::TsharkResult ts = rtltest::CheckChecksums(path_);
  ASSERT_EQ(ts.size(), frames_.size());
  for (size_t i = 0; i < ts.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "frame " << i + 1);
    const SegRequest& req = sample_[i].req;
    EXPECT_EQ(ts[i].ip, req.ipv6 ? rtltest::kTsharkAbsent : rtltest::kTsharkGood);
    EXPECT_EQ(req.kind == SegKind::kTcp ? ts[i].tcp : ts[i].udp, rtltest::kTsharkGood);
  }
}

TEST_F(SegTshark, SequenceNumbersAreContiguousAndLengthsWithinMss) {
  // Raw sequence numbers, the TCP payload length tshark derives from the IP length fields, and
  // the UDP length field.
  const std::string out = path_ + ".fields";
  const std::string cmd =
      ShellQuote(rtltest::TsharkCommand()) + " -n -r " + ShellQuote(path_) +
      " -o tcp.relative_sequence_numbers:FALSE -o tcp.desegment_tcp_streams:FALSE"
      " -o tcp.analyze_sequence_numbers:FALSE -T fields -E separator=, -E occurrence=f"
      " -e frame.number -e tcp.seq -e tcp.len -e udp.length > " +
      ShellQuote(out) + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(out);
  std::string line;
  size_t i = 0;
  uint32_t next_seq = 0;
  while (std::getline(in, line)) {
    ASSERT_LT(i, frames_.size()) << line;
    std::istringstream ls(line);
    std::string number, seq, len, udp_len;
    std::getline(ls, number, ',');
    std::getline(ls, seq, ',');
    std::getline(ls, len, ',');
    std::getline(ls, udp_len, ',');
    ASSERT_EQ(std::stoul(number), i + 1) << line;
    const SegRequest& req = sample_[i].req;
    const size_t l4 = size_t{req.l2hlen} + req.l3hlen;
    const size_t payload = frames_[i].size() - l4 - req.l4hlen;
    if (req.kind == SegKind::kTcp) {
      ASSERT_FALSE(seq.empty() || len.empty()) << line;
      const uint32_t this_seq = static_cast<uint32_t>(std::stoul(seq));
      const bool first = i == 0 || sample_[i - 1].request != sample_[i].request;
      EXPECT_EQ(this_seq, first ? sample_[i].seq0 : next_seq) << line;
      EXPECT_EQ(std::stoul(len), payload) << line;
      EXPECT_LE(std::stoul(len), req.mss) << line;
      next_seq = this_seq + static_cast<uint32_t>(std::stoul(len));
    } else {
      ASSERT_FALSE(udp_len.empty()) << line;
      EXPECT_EQ(std::stoul(udp_len), 8 + payload) << line;
      EXPECT_LE(std::stoul(udp_len), 8u + req.mss) << line;
    }
    ++i;
  }
  EXPECT_EQ(i, frames_.size());
  std::remove(out.c_str());
}

}  // namespace
}  // namespace mbufnic::offloadtest
