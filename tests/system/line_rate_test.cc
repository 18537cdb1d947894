// Line rate of the whole card through the driver, in simulated cycles (host/cli/throughput.h,
// the measurement behind bench_card): at 100 Gb/s the Verilated card must keep the link full in
// each direction alone and in both at once, from 64 bytes, dropping nothing it is offered
// (bench/RESULTS.md, "Full duplex"; at 64 bytes both directions need the second read master,
// m_axi_rxd).  Cycle counts, not wall time: the figures are the same on any machine and in any
// build.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <string>

#include "mbufnic/device.hpp"
#include "throughput.h"

namespace {

namespace tp = mbufnic::throughput;

constexpr double kLink = 100.0;
// Short runs with their start left out of the window (tp::Quick's shape, fewer frames).
tp::MeasureOptions Short() {
  tp::MeasureOptions o;
  o.count = 4000;
  o.warmup = 1000;
  return o;
}

class LineRate : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto have = mbufnic::device::Backends();
    if (std::find(have.begin(), have.end(), "sim") == have.end()) {
      GTEST_SKIP() << "the Verilated card is not in this build";
    }
  }
};

TEST_F(LineRate, EachDirectionAloneAt64Bytes) {
  const tp::Measurement tx = tp::MeasureTx("sim", kLink, 64, false, Short());
  ASSERT_TRUE(tx.ok()) << tx.error;
  EXPECT_GE(tx.line_gbps, 99.5);
  const tp::Measurement rx = tp::MeasureRx("sim", kLink, 64, Short());
  ASSERT_TRUE(rx.ok()) << rx.error;
  EXPECT_GE(rx.line_gbps, 99.5);
  EXPECT_EQ(rx.dropped, 0u);
  EXPECT_EQ(rx.frames, 4000u);
}

TEST_F(LineRate, FullDuplex) {
  for (const std::size_t len : {64, 128, 1518}) {
    const tp::Duplex d = tp::MeasureDuplex("sim", kLink, len, Short());
    ASSERT_TRUE(d.tx.ok() && d.rx.ok()) << d.tx.error << d.rx.error;
    EXPECT_GE(d.tx.line_gbps, 99.5) << len << " bytes";
    EXPECT_GE(d.rx.line_gbps, 99.5) << len << " bytes";
    EXPECT_EQ(d.rx.dropped, 0u) << len << " bytes";
    EXPECT_EQ(d.tx.frames, 4000u) << len << " bytes";
    EXPECT_EQ(d.rx.frames, 4000u) << len << " bytes";
  }
}

}  // namespace
