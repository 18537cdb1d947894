// The traffic checker with frames lost (Traffic::AllowLoss, what `mbufnic traffic --faults`
// runs on): real sends through the model card in loopback, with losses made on purpose at a
// known place, so that each test knows exactly what the checker must say.  A loss it places
// wrongly, or a frame it should refuse and takes, fails here.
#include <gtest/gtest.h>
#include <sys/mbuf.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/host_memory.h"
#include "core/wire.h"
#include "mbuf_test_util.h"
#include "mbufnic/device.hpp"
#include "mbufnic/driver.hpp"
#include "traffic.h"

namespace mbufnic::cli {
namespace {

// A TCP flow with TSO (sends of up to 20 segments) and a UDP flow over IPv6.
std::vector<FlowSpec> Flows() {
  return {{.name = "tcp", .l4 = L4::kTcp, .tso = true, .min_len = 1, .max_len = 20 * 1448},
          {.name = "udp", .l3 = L3::kIpv6, .l4 = L4::kUdp, .min_len = 1, .max_len = 1452}};
}

class TrafficLoss : public ::testing::Test {
 protected:
  void SetUp() override {
    zones_ = test::ZoneUsage::Now();
    device::Options d;
    d.loopback = true;
    d.loopback_delay = 100;
    d.seed = 5;
    dev_ = device::Open("model", d);
    nic_ = std::make_unique<driver::Nic>(*dev_, driver::NicOptions{});
    traffic_ = std::make_unique<Traffic>(Flows(), 9, true);
    traffic_->AllowLoss();
  }

  void TearDown() override {
    nic_.reset();
    dev_.reset();
    traffic_.reset();
    EXPECT_TRUE(test::ZoneUsage::Now() == zones_) << "mbufs or clusters not given back";
  }

  // Sends `n` sends one at a time (before send k, `before(k)`), taking each frame the driver
  // hands up to `take` (Check it, or not) and each wire frame to `wire` (OnWire, or not); then
  // settles everything.
  void Run(int n, const std::function<void(int)> &before,
           const std::function<void(struct mbuf *)> &take,
           const std::function<void(const sim::WireFrame &)> &wire) {
    for (int k = 0; k < n; ++k) {
      if (before) before(k);
      struct mbuf *m = traffic_->NextSend();
      ASSERT_NE(m, nullptr);
      ASSERT_EQ(nic_->Transmit(0, &m, 1), 1);
      for (int i = 0; i < 4; ++i) Poll(take, wire);
    }
    for (int i = 0; i < 50; ++i) Poll(take, wire);
    traffic_->Finish();
  }

  void Poll(const std::function<void(struct mbuf *)> &take,
            const std::function<void(const sim::WireFrame &)> &wire) {
    nic_->Poll(2000, [&](int, struct mbuf *m) { take(m); });
    for (const sim::WireFrame &f : dev_->wire()->TakeSent()) wire(f);
  }

  void Check(struct mbuf *m) { traffic_->Check(m); }
  void OnWire(const sim::WireFrame &f) { traffic_->OnWire(f.data.data(), f.data.size()); }
  std::string Errors() const {
    std::string s;
    for (const std::string &e : traffic_->errors()) s += e + "\n";
    return s;
  }

  test::ZoneUsage zones_;
  std::unique_ptr<device::Device> dev_;
  std::unique_ptr<driver::Nic> nic_;
  std::unique_ptr<Traffic> traffic_;
};

TEST_F(TrafficLoss, NothingLostNothingPlaced) {
  Run(
      60, nullptr, [&](struct mbuf *m) { Check(m); }, [&](const sim::WireFrame &f) { OnWire(f); });
  EXPECT_TRUE(traffic_->errors().empty()) << Errors();
  const Traffic::LossStats &l = traffic_->losses();
  EXPECT_EQ(l.tx_frames + l.tx_sends + l.tx_partial + l.rx_frames, 0u);
  EXPECT_EQ(l.wire_frames, traffic_->sent().expected_frames);
  EXPECT_EQ(traffic_->received().frames, traffic_->sent().expected_frames);
}

// Frames the host drops itself (taken from the driver, never checked) are placed on receive,
// one each, whichever flow and wherever in a TSO send they were.
TEST_F(TrafficLoss, FramesNeverHandedUpArePlacedOnReceive) {
  std::uint64_t seen = 0, dropped = 0;
  Run(
      60, nullptr,
      [&](struct mbuf *m) {
        if (++seen % 7 == 3) {
          ++dropped;
          m_freem(m);
        } else {
          Check(m);
        }
      },
      [&](const sim::WireFrame &f) { OnWire(f); });
  EXPECT_TRUE(traffic_->errors().empty()) << Errors();
  const Traffic::LossStats &l = traffic_->losses();
  ASSERT_GT(dropped, 5u);
  EXPECT_EQ(l.rx_frames, dropped);
  EXPECT_EQ(l.tx_frames, 0u);
  EXPECT_EQ(l.wire_frames, traffic_->sent().expected_frames);
  EXPECT_EQ(traffic_->received().frames + dropped, traffic_->sent().expected_frames);
}

// A read error on the data of one send (the host-memory model answers SLVERR): the card sends
// none of it, or of a TSO request only the segments before the fault; the checker places the
// missing frames on transmit, as one send short.
TEST_F(TrafficLoss, ASendTheCardCouldNotReadIsPlacedOnTransmit) {
  Run(
      40,
      [&](int k) {
        if (k == 20) dev_->memory()->InjectBufferError(false);
      },
      [&](struct mbuf *m) { Check(m); }, [&](const sim::WireFrame &f) { OnWire(f); });
  EXPECT_TRUE(traffic_->errors().empty()) << Errors();
  EXPECT_EQ(dev_->memory()->injected_read_errors(), 1u);
  EXPECT_EQ(nic_->tx_stats(0).errors, 1u);
  const Traffic::LossStats &l = traffic_->losses();
  EXPECT_EQ(l.tx_sends + l.tx_partial, 1u);
  EXPECT_GT(l.tx_frames, 0u);
  EXPECT_EQ(l.rx_frames, 0u);
  EXPECT_EQ(l.wire_frames + l.tx_frames, traffic_->sent().expected_frames);
  EXPECT_EQ(dev_->wire()->sent_frames(), l.wire_frames);
}

// What must not pass: a frame handed up twice, a frame handed up that the wire never carried,
// a frame whose payload changed.
TEST_F(TrafficLoss, FrameHandedUpTwiceIsAnError) {
  int n = 0;
  Run(
      30, nullptr,
      [&](struct mbuf *m) {
        if (++n == 12) Check(m_dup(m, M_NOWAIT));
        Check(m);
      },
      [&](const sim::WireFrame &f) { OnWire(f); });
  EXPECT_FALSE(traffic_->errors().empty());
}

TEST_F(TrafficLoss, FrameNotOnTheWireIsAnError) {
  int n = 0;
  Run(
      30, nullptr, [&](struct mbuf *m) { Check(m); },
      [&](const sim::WireFrame &f) {
        if (++n != 9) OnWire(f);
      });
  ASSERT_FALSE(traffic_->errors().empty());
  EXPECT_NE(Errors().find("of them on the wire"), std::string::npos) << Errors();
}

TEST_F(TrafficLoss, ChangedPayloadIsAnError) {
  int n = 0;
  Run(
      30, nullptr,
      [&](struct mbuf *m) {
        if (++n == 15) {
          // The last byte of the frame (payload, the frames are all longer than their headers).
          struct mbuf *last = m;
          while (last->m_next != nullptr) last = last->m_next;
          mtod(last, std::uint8_t *)[last->m_len - 1] ^= 0x5a;
        }
        Check(m);
      },
      [&](const sim::WireFrame &f) { OnWire(f); });
  EXPECT_FALSE(traffic_->errors().empty());
}

}  // namespace
}  // namespace mbufnic::cli
