// The store-and-forward packet FIFO (rtl/common/nic_pkt_fifo.sv) at 64 and 512 bits with 16
// beats of storage: good frames come out whole and in order, flagged frames and frames longer
// than the FIFO are dropped whole, and nothing hangs, under random idles and back-pressure.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include <type_traits>

#include "Vnic_pkt_fifo_w512.h"
#include "Vnic_pkt_fifo_w64.h"
#include "bfm/axis.h"
#include "harness.h"

namespace mbufnic::rtltest {
namespace {

constexpr size_t kDepth = 16;

struct FifoRun {
  std::vector<std::vector<uint8_t>> out;
  uint64_t good = 0, dropped = 0, overflow = 0;
  bool hung = false;
};

// Sends frames; drop[i] flags frame i on its last beat.
template <typename Model>
FifoRun Send(const std::vector<std::vector<uint8_t>>& frames, const std::vector<bool>& drop,
         uint64_t seed, double idle, double stall) {
  using Data = std::remove_reference_t<decltype(std::declval<Model&>().s_axis_tdata_i)>;
  using Keep = std::remove_reference_t<decltype(std::declval<Model&>().s_axis_tkeep_i)>;
  constexpr size_t kBytes = sim::SignalBytes<Data>();
  sim::Harness<Model> h("pkt_fifo_w" + std::to_string(kBytes * 8), seed);
  auto& t = h.top();
  uint64_t no_user_in = 0;
  sim::AxisSource<Data, Keep, uint64_t> src(
      {&t.s_axis_tdata_i, &t.s_axis_tkeep_i, &t.s_axis_tlast_i, &no_user_in, &t.s_axis_tvalid_i,
       &t.s_axis_tready_o},
      seed, idle);
  sim::AxisSink<Data, Keep, CData> sink(
      {&t.m_axis_tdata_o, &t.m_axis_tkeep_o, &t.m_axis_tlast_o, nullptr, &t.m_axis_tvalid_o,
       &t.m_axis_tready_i},
      seed + 1, stall);
  h.Reset();
  for (const auto& f : frames) src.Push(f);
  FifoRun r;
  size_t frame_in = 0, off_in = 0;
  uint64_t budget = 200000;
  while (!src.done() || sink.frames().size() < r.good || t.m_axis_tvalid_o) {
    if (h.cycles() > budget) {
      r.hung = true;
      break;
    }
    h.Cycle(
        [&] {
          // Which frame the source is on, to drive the drop flag with its last beat.
          if (t.s_axis_tvalid_i && t.s_axis_tready_o) {
            off_in += kBytes;
            if (t.s_axis_tlast_i) {
              ++frame_in;
              off_in = 0;
            }
          }
          r.good += t.good_o;
          r.dropped += t.dropped_o;
          r.overflow += t.overflow_o;
          src.Sample();
          sink.Sample();
        },
        [&] {
          src.Drive();
          sink.Drive();
          t.s_axis_drop_i = frame_in < drop.size() && drop[frame_in];
        });
  }
  EXPECT_TRUE(sink.violations().empty()) << sink.violations().front();
  for (auto& f : sink.frames()) r.out.push_back(f.data);
  return r;
}

template <typename Model>
class PktFifo : public ::testing::Test {
 protected:
  static constexpr size_t kBytes =
      sim::SignalBytes<std::remove_reference_t<decltype(std::declval<Model&>().s_axis_tdata_i)>>();
};
using Models = ::testing::Types<Vnic_pkt_fifo_w64, Vnic_pkt_fifo_w512>;
TYPED_TEST_SUITE(PktFifo, Models);

TYPED_TEST(PktFifo, GoodFramesPassWholeAndInOrder) {
  constexpr size_t kBytes = TestFixture::kBytes;
  std::mt19937_64 rng(1);
  for (double load : {0.0, 0.3, 0.6}) {
    std::vector<std::vector<uint8_t>> frames;
    for (int i = 0; i < 400; ++i) {
      std::vector<uint8_t> f(1 + rng() % (kDepth * kBytes));
      for (auto& x : f) x = static_cast<uint8_t>(rng());
      frames.push_back(f);
    }
    FifoRun r = Send<TypeParam>(frames, {}, 7, load, load);
    ASSERT_FALSE(r.hung);
    EXPECT_EQ(r.out, frames);
    EXPECT_EQ(r.good, frames.size());
    EXPECT_EQ(r.dropped, 0u);
  }
}

TYPED_TEST(PktFifo, FlaggedAndOversizedFramesAreDroppedWhole) {
  constexpr size_t kBytes = TestFixture::kBytes;
  std::mt19937_64 rng(2);
  std::vector<std::vector<uint8_t>> frames, want;
  std::vector<bool> drop;
  uint64_t want_overflow = 0;
  for (int i = 0; i < 400; ++i) {
    bool too_long = rng() % 5 == 0;
    size_t len = too_long ? kDepth * kBytes + 1 + rng() % 200 : 1 + rng() % (kDepth * kBytes);
    std::vector<uint8_t> f(len);
    for (auto& x : f) x = static_cast<uint8_t>(rng());
    bool flagged = rng() % 4 == 0;
    frames.push_back(f);
    drop.push_back(flagged);
    if (too_long) ++want_overflow;
    if (!too_long && !flagged) want.push_back(f);
  }
  for (double load : {0.0, 0.4}) {
    FifoRun r = Send<TypeParam>(frames, drop, 9, load, load);
    ASSERT_FALSE(r.hung) << "the FIFO stopped taking or giving frames";
    EXPECT_EQ(r.out, want);
    EXPECT_EQ(r.overflow, want_overflow);
    EXPECT_EQ(r.good + r.dropped, frames.size());
  }
}

}  // namespace
}  // namespace mbufnic::rtltest
