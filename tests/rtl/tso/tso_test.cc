// The transmit offload pipeline (rtl/tso/nic_tso.sv, then rtl/csum/nic_csum_tx.sv) at 64, 256 and
// 512 bits: every segment it sends is compared byte for byte with the host's software twin
// (host/offload, SegmentFrame), under random source idles and sink back-pressure; refused
// requests must raise the twin's error code; every frame gets one done event, in order, with
// the twin's code and segment count; frames cut short upstream (s_axis_tdrop_i) send only what
// came before the cut; segments go through tshark; and the wire side must carry a beat on
// every cycle of a 64 KiB request.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "Vnic_tx_offload_w256.h"
#include "Vnic_tx_offload_w512.h"
#include "Vnic_tx_offload_w64.h"
#include "frame_gen.h"
#include "mbufnic/sw_offload.hpp"
#include "pcap_file.h"
#include "seg_gen.h"
#include "stream_bench.h"
#include "tshark.h"
#include "tx_oracle.h"

namespace mbufnic::rtltest {
namespace {

using Frame = std::vector<uint8_t>;

// One frame for the pipeline: its bytes and its tx_offload_cmd_t.
struct Input {
  Frame frame;
  SegRequest req;              // kind kNone: a pass-through frame with `csum`
  TxCmd csum;
  std::vector<Frame> expect;   // what must come out, in order
  hw::SegErr err = hw::SegErr::kNone;
  std::string what;            // for failure messages
  bool drop = false;           // s_axis_tdrop_i on its last beat: cut short upstream
};

Input SegInput(const SegCase& c, const Frame& frame, std::string what) {
  Input in;
  in.frame = frame;
  in.req = c.req;
  in.err = SegmentFrame(frame, c.req, &in.expect);
  in.what = std::move(what) + " " + c.spec.Describe() + " mss " + std::to_string(c.req.mss) +
            " pay_len " + std::to_string(c.req.pay_len);
  return in;
}

// A frame that is not segmented: the checksum engine's case, checked against its oracle.
Input PassInput(const FrameSpec& spec) {
  TxCase t = MakeTxCase(spec);
  Input in;
  in.frame = t.seeded;
  in.req.kind = hw::SegKind::kNone;
  in.csum = {t.csum_start, t.csum_offset, t.l3_offset, 0, t.l4_en, t.ip4_en, t.udp};
  in.expect.push_back(TxOracle(t.seeded, in.csum, 9472).frame);
  in.what = "pass-through " + spec.Describe();
  return in;
}

template <typename Model>
class TxOffload : public ::testing::Test {
 protected:
  using Bench = StreamBench<Model>;
  static constexpr size_t kBytes = Bench::kBytes;

  static std::string Name(const char* what) {
    return std::string("tx_offload_w") + std::to_string(kBytes * 8) + "_" + what;
  }

  struct Run {
    std::deque<sim::AxisFrame> out;
    std::vector<hw::SegErr> errs;  // err_code_o at each err_o pulse
    uint64_t reqs = 0, segs = 0;
    // done_o events, in order: the segmenter's verdict and the frames it passed on, per input.
    std::vector<std::pair<hw::SegErr, uint64_t>> done;
  };

  static void Push(Bench& b, const Input& in) {
    b.Push(in.frame, in.req.kind == hw::SegKind::kNone ? in.csum.Encode() : 0,
           [&] {
             hw::SegCmd cmd = in.req.ToCmd();
             uint64_t v = 0;
             for (size_t i = 0; i < 8; ++i) v |= uint64_t{cmd.bytes[i]} << (8 * i);
             return v;
           }());
  }

  // Runs the inputs through the pipeline; checks that every expected frame came out, in order,
  // and that the error pulses name the twin's errors.
  Run Check(const std::vector<Input>& inputs, uint64_t seed, double idle, double stall,
            const char* what) {
    Bench b(Name(what), seed, idle, stall);
    b.top().csum_enable_i = 1;
    size_t frames = 0;
    uint64_t beats = 0;
    std::vector<hw::SegErr> want_errs;
    for (const Input& in : inputs) {
      Push(b, in);
      frames += in.expect.size();
      beats += (in.frame.size() + kBytes - 1) / kBytes;
      for (const Frame& f : in.expect) beats += (f.size() + kBytes - 1) / kBytes;
      if (in.err != hw::SegErr::kNone) want_errs.push_back(in.err);
    }
    Run r;
    uint64_t budget = 4 * beats + 200 * inputs.size() + 2000;
    auto watch = [&] {
      auto& t = b.top();
      if (t.seg_err_o) r.errs.push_back(static_cast<hw::SegErr>(t.seg_err_code_o));
      r.reqs += t.seg_req_o;
      r.segs += t.seg_o;
      if (t.done_o) r.done.emplace_back(static_cast<hw::SegErr>(t.done_err_code_o), t.done_segs_o);
    };
    // s_axis_tdrop_i follows the beat on the pins: high on the last beat of a frame marked.
    auto drop = [&] {
      auto& t = b.top();
      const size_t k = b.source().frames_sent();
      t.s_axis_tdrop_i = t.s_axis_tvalid_i && t.s_axis_tlast_i && k < inputs.size() &&
                         inputs[k].drop;
      t.eval();
    };
    uint64_t c = 0;
    for (; c < budget && (b.sink().frames().size() < frames || !b.source().done()); ++c) {
      b.Step(watch);
      drop();
    }
    EXPECT_LT(c, budget) << "hang: " << b.sink().frames().size() << " of " << frames
                         << " frames out, source " << (b.source().done() ? "done" : "not done")
                         << " after " << budget << " cycles";
    for (int i = 0; i < 200; ++i) b.Step(watch);
    EXPECT_TRUE(b.sink().violations().empty()) << b.sink().violations().front();
    r.out = b.sink().frames();
    EXPECT_EQ(r.out.size(), frames) << "frames out";
    EXPECT_EQ(r.errs, want_errs) << "error codes";
    // One done event per input frame, in order, with the twin's code and segment count.
    EXPECT_EQ(r.done.size(), inputs.size()) << "done events";
    for (size_t i = 0, bad_done = 0; i < std::min(r.done.size(), inputs.size()); ++i) {
      const Input& in = inputs[i];
      if (r.done[i] != std::make_pair(in.err, uint64_t{in.expect.size()}) && ++bad_done <= 3) {
        ADD_FAILURE() << in.what << ": done event " << i << " says code "
                      << static_cast<int>(r.done[i].first) << ", " << r.done[i].second
                      << " frames; the twin: " << static_cast<int>(in.err) << ", "
                      << in.expect.size();
      }
    }

    size_t k = 0, bad = 0;
    for (const Input& in : inputs) {
      for (size_t s = 0; s < in.expect.size() && k < r.out.size(); ++s, ++k) {
        if (r.out[k].data != in.expect[s] || r.out[k].user != 0) {
          if (++bad <= 3) {
            size_t at = 0;
            const Frame& got = r.out[k].data;
            while (at < got.size() && at < in.expect[s].size() && got[at] == in.expect[s][at]) ++at;
            ADD_FAILURE() << in.what << ": segment " << s << " of " << in.expect.size()
                          << " differs: length " << got.size() << " vs " << in.expect[s].size()
                          << ", first difference at byte " << at << ", status " << r.out[k].user;
          }
        }
      }
    }
    EXPECT_EQ(bad, 0u) << "frames that differ from the software twin";
    return r;
  }
};

using Models = ::testing::Types<Vnic_tx_offload_w64, Vnic_tx_offload_w256, Vnic_tx_offload_w512>;
TYPED_TEST_SUITE(TxOffload, Models);

// Thousands of random requests of every header shape, MSS from 1 to 9000 and payloads up to
// 64 KiB, mixed with frames that are not segmented, under idles and back-pressure.
TYPED_TEST(TxOffload, RandomRequestsMatchTheSoftwareTwin) {
  constexpr int kRounds = 4;
  constexpr int kPerRound = 500;
  for (int round = 0; round < kRounds; ++round) {
    std::mt19937_64 rng(1000 + round);
    std::vector<Input> inputs;
    uint64_t requests = 0, segments = 0;
    for (int i = 0; i < kPerRound; ++i) {
      if (rng() % 8 == 0) {
        RandomSpecOptions o;
        o.p_clean = 1.0;
        o.max_frame_len = 2000;
        FrameSpec s = RandomSpec(rng, o);
        if (s.Clean()) {
          inputs.push_back(PassInput(s));
          continue;
        }
      }
      RandomSegOptions o;
      o.max_segments = 48;
      SegCase c = RandomSegCase(rng, o);
      inputs.push_back(SegInput(c, c.frame, "request " + std::to_string(i)));
      ASSERT_EQ(inputs.back().err, hw::SegErr::kNone) << inputs.back().what;
      ++requests;
      segments += inputs.back().expect.size();
    }
    double idle = round == 0 ? 0.0 : 0.2 * round;
    double stall = round == 0 ? 0.0 : 0.15 * (kRounds - round);
    auto r = this->Check(inputs, 77 + round, idle, stall,
                         ("random" + std::to_string(round)).c_str());
    EXPECT_EQ(r.reqs, requests) << "req_o pulses";
    EXPECT_EQ(r.segs, segments) << "seg_o pulses";
    if (this->HasFailure()) return;
  }
}

// Every refusal: each request is broken in one way, between good ones, and must raise the
// twin's code and send exactly what the twin sends (nothing, or the complete segments of a
// frame that is shorter or longer than its command says).
TYPED_TEST(TxOffload, BadRequestsAreRefusedAndNothingHangs) {
  std::mt19937_64 rng(4242);
  std::vector<Input> inputs;
  int codes[9] = {};
  for (int i = 0; i < 360; ++i) {
    RandomSegOptions o;
    o.max_payload = 12000;
    o.max_segments = 16;
    SegCase c = RandomSegCase(rng, o);
    Frame f = c.frame;
    const size_t l2 = c.req.l2hlen;
    const size_t l4 = size_t{c.req.l2hlen} + c.req.l3hlen;
    switch (i % 12) {
      case 0: c.req.mss = 0; break;
      case 1: c.req.mss = static_cast<uint16_t>(9217 + rng() % 1000); break;
      case 2: c.req.l4hlen = 255; c.req.l3hlen = 255; break;                 // header too long
      case 3: c.req.pay_len = 65536 + static_cast<uint32_t>(rng() % 1000); break;
      case 4: f[l2 - 1] ^= 0x01; break;                                      // ethertype
      case 5: c.req.l3hlen = static_cast<uint8_t>(c.req.l3hlen + 4); break;  // IHL disagrees
      case 6:
        if (c.req.ipv6 && c.req.l3hlen != 40) f[l2] = 0x45;                  // version
        else f[l2 + (c.req.ipv6 ? 6 : 9)] = 1;                               // protocol
        break;
      case 7:
        if (c.req.kind == hw::SegKind::kTcp) f[l4 + 12] = static_cast<uint8_t>(f[l4 + 12] + 0x10);
        else c.req.l4hlen = 12;
        break;
      case 8: f.resize(f.size() - 1 - rng() % std::min<size_t>(f.size() - 1, 3000)); break;
      case 9: f.resize(f.size() + 1 + rng() % 200, 0xA5); break;              // longer
      case 10: c.req.kind = c.req.kind == hw::SegKind::kTcp ? hw::SegKind::kUdp
                                                            : hw::SegKind::kTcp; break;
      default: break;                                                         // a good one
    }
    Input in = SegInput(c, f, "bad request " + std::to_string(i) + " (case " +
                                  std::to_string(i % 12) + ")");
    ++codes[static_cast<int>(in.err)];
    inputs.push_back(std::move(in));
  }
  for (int code = 0; code <= 8; ++code) {
    EXPECT_GT(codes[code], 0) << "no request raised error code " << code;
  }
  this->Check(inputs, 5, 0.2, 0.2, "bad");
}

// A sample of the segments through tshark, the independent checker: every checksum good,
// sequence numbers contiguous, no payload above the MSS, and the payload reassembles.
// Frames cut short upstream (s_axis_tdrop_i on the last beat, as the DMA engine marks a frame
// with a read error): a pass-through frame never comes out; a request sends exactly what the
// twin sends for the request without its last beat (the segments wholly before it) and is
// reported as frame_len; the frames around them are unharmed.
TYPED_TEST(TxOffload, FramesCutShortSendOnlyWhatCameBefore) {
  constexpr size_t kBytes = TestFixture::kBytes;
  std::mt19937_64 rng(314);
  std::vector<Input> inputs;
  for (int i = 0; i < 240; ++i) {
    const bool cut = i % 3 != 2;
    if (i % 4 == 0) {
      RandomSpecOptions o;
      o.p_clean = 1.0;
      o.max_frame_len = 2000;
      FrameSpec s = RandomSpec(rng, o);
      if (!s.Clean()) continue;
      Input in = PassInput(s);
      if (cut) {
        in.drop = true;
        in.expect.clear();
        in.what += " (cut short)";
      }
      inputs.push_back(std::move(in));
      continue;
    }
    RandomSegOptions o;
    o.max_payload = 9000;
    o.max_segments = 16;
    SegCase c = RandomSegCase(rng, o);
    if (!cut) {
      inputs.push_back(SegInput(c, c.frame, "request " + std::to_string(i)));
      continue;
    }
    // What arrived before the marked beat: the frame without its last beat.
    const size_t keep = (c.frame.size() - 1) / kBytes * kBytes;
    Frame before(c.frame.begin(), c.frame.begin() + static_cast<long>(keep));
    Input in = SegInput(c, before, "request " + std::to_string(i) + " cut short");
    in.frame = c.frame;
    in.drop = true;
    ASSERT_EQ(in.err, hw::SegErr::kFrameLen) << in.what;
    inputs.push_back(std::move(in));
  }
  this->Check(inputs, 8, 0.2, 0.2, "cut");
}

TYPED_TEST(TxOffload, TsharkFindsEverySegmentValid) {
  if (!TsharkAvailable()) GTEST_SKIP() << "tshark is not installed (scripts/setup.sh installs it)";
  std::mt19937_64 rng(99);
  std::vector<Input> inputs;
  std::vector<SegCase> cases;
  for (int i = 0; i < 40; ++i) {
    RandomSegOptions o;
    o.max_segments = 12;
    SegCase c = RandomSegCase(rng, o);
    inputs.push_back(SegInput(c, c.frame, "request " + std::to_string(i)));
    cases.push_back(std::move(c));
  }
  auto r = this->Check(inputs, 3, 0.1, 0.1, "tshark");
  ASSERT_FALSE(this->HasFailure());

  std::vector<Frame> wire;
  for (const auto& f : r.out) wire.push_back(f.data);
  std::string path = ::testing::TempDir() + this->Name("tshark") + ".pcap";
  WritePcap(path, wire);
  TsharkResult verdicts = CheckChecksums(path);
  ASSERT_EQ(verdicts.size(), wire.size());
  size_t k = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const SegRequest& q = cases[i].req;
    const size_t h = size_t{q.l2hlen} + q.l3hlen + q.l4hlen;
    const bool tcp = q.kind == hw::SegKind::kTcp;
    Frame payload;
    uint32_t next_seq = 0;
    for (size_t s = 0; s < inputs[i].expect.size(); ++s, ++k) {
      const TsharkStatus& v = verdicts[k];
      if (!q.ipv6) {
        EXPECT_EQ(v.ip, kTsharkGood) << "frame " << k + 1;
      }
      EXPECT_EQ(tcp ? v.tcp : v.udp, kTsharkGood) << "frame " << k + 1 << " " << inputs[i].what;
      const Frame& seg = wire[k];
      ASSERT_GE(seg.size(), h);
      const size_t len = seg.size() - h;
      EXPECT_LE(len, q.mss);
      if (tcp) {
        const size_t l4 = size_t{q.l2hlen} + q.l3hlen;
        uint32_t seq = (uint32_t{seg[l4 + 4]} << 24) | (uint32_t{seg[l4 + 5]} << 16) |
                       (uint32_t{seg[l4 + 6]} << 8) | seg[l4 + 7];
        if (s > 0) {
          EXPECT_EQ(seq, next_seq) << "sequence gap in " << inputs[i].what;
        }
        next_seq = seq + static_cast<uint32_t>(len);
      }
      payload.insert(payload.end(), seg.begin() + static_cast<long>(h), seg.end());
    }
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(),
                           cases[i].frame.begin() + static_cast<long>(h), cases[i].frame.end()))
        << "reassembled payload differs: " << inputs[i].what;
  }
}

// Line rate: with no idles and no back-pressure a 64 KiB request at MSS 1448 and 8948 leaves
// one beat on every cycle from its first segment to its last (no idle cycle between segments).
TYPED_TEST(TxOffload, SegmentsLeaveBackToBack) {
  for (uint16_t mss : {uint16_t{1448}, uint16_t{8948}}) {
    FrameSpec s;
    s.l4 = L4Kind::kTcp;
    s.tcp_options_len = 12;
    s.payload_len = 65535 - 65535 % mss;  // whole segments
    SegCase c = MakeSegCase(s, hw::SegKind::kTcp, mss);
    Input in = SegInput(c, c.frame, "line rate");
    ASSERT_EQ(in.err, hw::SegErr::kNone);
    typename TestFixture::Bench b(this->Name("line_rate"), 1, 0.0, 0.0);
    b.top().csum_enable_i = 1;
    this->Push(b, in);
    uint64_t want = 0;
    for (const Frame& f : in.expect) {
      want += (f.size() + TestFixture::kBytes - 1) / TestFixture::kBytes;
    }
    typename TestFixture::Bench::LineRate lr;
    ASSERT_TRUE(b.RunLineRate(in.expect.size(), want, &lr)) << "mss " << mss;
    EXPECT_EQ(b.sink().beats(), want);
    EXPECT_EQ(lr.out_gaps, 0u) << "idle output cycles inside a request, mss " << mss;
    for (size_t i = 0; i < in.expect.size(); ++i) {
      ASSERT_EQ(b.sink().frames()[i].data, in.expect[i]) << "segment " << i << " mss " << mss;
    }
  }
}

}  // namespace
}  // namespace mbufnic::rtltest
