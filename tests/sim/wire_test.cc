// The wire model and the MAC bus models on it: pcap out and in (checked by libpcap and by
// tshark), loopback delay, link-rate spacing in both directions, credit throttling.  The MAC
// models run on stand-in models with the card's stream pin names (no Verilator needed).
#include "core/wire.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bfm/axis_mac.h"
#include "pcap_file.h"
#include "tshark.h"

namespace mbufnic::sim {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("wire_test_" + name + "_" + std::to_string(getpid()) + ".pcap"))
      .string();
}

std::vector<std::uint8_t> Frame(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> f(n);
  for (auto& b : f) b = static_cast<std::uint8_t>(rng());
  f[12] = 0x88;  // an ethertype no dissector looks into (local experimental)
  f[13] = 0xB5;
  return f;
}

// Like Verilator's VlWide<16>: 512 bits as 32-bit words.
struct Wide512 {
  std::uint32_t w[16];
  std::uint32_t* data() { return w; }
  const std::uint32_t* data() const { return w; }
};

// The card's MAC-side pins, 512 bits wide.
struct StreamModel {
  Wide512 m_axis_tx_tdata_o{};
  std::uint64_t m_axis_tx_tkeep_o = 0;
  std::uint8_t m_axis_tx_tlast_o = 0, m_axis_tx_tvalid_o = 0, m_axis_tx_tready_i = 0;
  Wide512 s_axis_rx_tdata_i{};
  std::uint64_t s_axis_rx_tkeep_i = 0;
  std::uint8_t s_axis_rx_tlast_i = 0, s_axis_rx_tuser_i = 0, s_axis_rx_tvalid_i = 0;
};

TEST(WireTest, PcapRoundTripWithNanosecondTimes) {
  const std::string path = TempPath("out");
  std::vector<std::vector<std::uint8_t>> frames;
  const std::vector<std::uint64_t> cycles = {10, 250, 251, 1000007};
  {
    WireConfig cfg;
    cfg.pcap_out = path;
    Wire w(cfg);
    for (std::size_t i = 0; i < cycles.size(); ++i) {
      frames.push_back(Frame(60 + 333 * i, static_cast<std::uint32_t>(i)));
      w.Sent(frames.back(), cycles[i]);
    }
    EXPECT_EQ(w.sent_frames(), 4u);
    auto sent = w.TakeSent();
    ASSERT_EQ(sent.size(), 4u);
    EXPECT_EQ(sent[2].data, frames[2]);
    EXPECT_EQ(sent[2].cycle, 251u);
    EXPECT_TRUE(w.TakeSent().empty());
  }
  // libpcap reads the bytes back, and the times are cycle * 4 ns at 250 MHz.
  EXPECT_EQ(rtltest::ReadPcap(path), frames);
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  ASSERT_NE(p, nullptr) << err;
  pcap_pkthdr* h;
  const u_char* d;
  std::vector<std::int64_t> ns;
  while (pcap_next_ex(p, &h, &d) == 1) {
    ns.push_back(static_cast<std::int64_t>(h->ts.tv_sec) * 1'000'000'000 + h->ts.tv_usec);
  }
  pcap_close(p);
  ASSERT_EQ(ns.size(), 4u);
  for (std::size_t i = 1; i < ns.size(); ++i) {
    EXPECT_EQ(ns[i] - ns[0], static_cast<std::int64_t>(cycles[i] - cycles[0]) * 4);
  }

  // tshark, independently: frame lengths and relative times to the nanosecond.
  if (rtltest::TsharkAvailable()) {
    const std::string cmd = rtltest::TsharkCommand() + " -r " + path +
                            " -T fields -e frame.len -e frame.time_relative 2>/dev/null";
    FILE* f = popen(cmd.c_str(), "r");
    ASSERT_NE(f, nullptr);
    char line[256];
    std::vector<std::string> lines;
    while (std::fgets(line, sizeof line, f)) lines.emplace_back(line);
    pclose(f);
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[3], std::to_string(frames[3].size()) + "\t0.003999988\n");  // 999997 * 4 ns
  }

  // The capture goes back in, spaced at the link rate (100 Gb/s: 50 bytes a cycle).
  Wire in(WireConfig{});
  ASSERT_EQ(in.InjectPcap(path, 100), 4u);
  EXPECT_EQ(in.rx_pending(), 4u);
  EXPECT_EQ(in.NextEvent(), 100u);
  EXPECT_EQ(in.RxDue(99), nullptr);
  std::uint64_t at = 100;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::uint64_t due = in.NextEvent();
    EXPECT_GE(due, at);
    const WireFrame* f = in.RxDue(due);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->data, frames[i]);
    in.RxPop(due);
    // The next frame waits until this one has crossed the link.
    at = due + (frames[i].size() + 20) / 50;
  }
  EXPECT_EQ(in.NextEvent(), UINT64_MAX);
  std::filesystem::remove(path);

  EXPECT_THROW(in.InjectPcap(TempPath("missing"), 0), std::runtime_error);
}

TEST(WireTest, LoopbackDelaysEachFrame) {
  WireConfig cfg;
  cfg.loopback = true;
  cfg.loopback_delay = 100;
  Wire w(cfg);
  w.Sent(Frame(64, 1), 10);
  EXPECT_EQ(w.NextEvent(), 110u);
  EXPECT_EQ(w.RxDue(109), nullptr);
  const WireFrame* f = w.RxDue(110);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->data, Frame(64, 1));
  EXPECT_FALSE(f->bad);
  w.RxPop(110);
  EXPECT_EQ(w.rx_pending(), 0u);
}

TEST(WireTest, InjectedFramesEnterInTimeOrder) {
  Wire w(WireConfig{.link_gbps = 0});
  w.Inject(Frame(60, 2), 50);
  w.Inject(Frame(60, 1), 20, /*bad=*/true);
  w.Inject(Frame(60, 3), 50);
  EXPECT_EQ(w.NextEvent(), 20u);
  // At most one frame starts a cycle, even on an unlimited link.
  std::uint64_t c = 1000;
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    const WireFrame* f = w.RxDue(c);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->data, Frame(60, seed));
    EXPECT_EQ(f->bad, seed == 1);
    w.RxPop(c);
    EXPECT_EQ(w.RxDue(c), nullptr);
    ++c;
  }
}

// Minimum-size frames at 100 Gb/s: 84 bytes on the link each (with preamble and gap), 1.68
// cycles apart on average; the one-start-a-cycle rule must not round each gap up to 2 (which
// would offer only 84 % of line rate).
TEST(WireTest, SmallFramesEnterAtTheFullLinkRate) {
  Wire w(WireConfig{});
  for (int i = 0; i < 1000; ++i) w.Inject(Frame(64, static_cast<std::uint32_t>(i)), 0);
  std::vector<std::uint64_t> starts;
  while (w.rx_pending() > 0) {
    const std::uint64_t due = w.NextEvent();
    ASSERT_NE(w.RxDue(due), nullptr);
    if (!starts.empty()) {
      EXPECT_GT(due, starts.back()) << "two frames started in one cycle";
    }
    starts.push_back(due);
    w.RxPop(due);
  }
  ASSERT_EQ(starts.size(), 1000u);
  EXPECT_NEAR(static_cast<double>(starts.back() - starts.front()), 999 * 1.68, 1.0);
}

TEST(WireTest, CreditThrottlesToTheLinkRate) {
  Wire w(WireConfig{});             // 100 Gb/s at 250 MHz: 50 bytes a cycle
  EXPECT_FALSE(w.TxCredit(0, 64));  // nothing saved up at the start
  EXPECT_TRUE(w.TxCredit(2, 64));
  w.TxConsume(2, 64);  // 100 - 64 = 36 left
  EXPECT_FALSE(w.TxCredit(2, 64));
  EXPECT_TRUE(w.TxCredit(2, 36));
  EXPECT_TRUE(w.TxCredit(3, 64));  // 86
  // A long idle spell saves up one maximal frame and no more.
  EXPECT_TRUE(w.TxCredit(100000, 9236));
  EXPECT_FALSE(w.TxCredit(100000, 9237));
  Wire fast(WireConfig{.link_gbps = 0});
  EXPECT_TRUE(fast.TxCredit(0, 1u << 20));
}

// A source of 512-bit beats every cycle (tvalid never drops while frames remain), the
// card's side of the TX stream; returns the frames as the wire got them.
std::vector<WireFrame> SendThroughMac(Wire& wire,
                                      const std::vector<std::vector<std::uint8_t>>& frames,
                                      unsigned stall_percent, std::uint64_t* errors) {
  StreamModel m;
  MacTx<StreamModel> mac(m, wire, 7, stall_percent);
  std::size_t fi = 0, off = 0;
  auto drive_source = [&] {
    if (m.m_axis_tx_tvalid_o && !m.m_axis_tx_tready_i) return;  // hold
    if (fi == frames.size()) {
      m.m_axis_tx_tvalid_o = 0;
      return;
    }
    const auto& f = frames[fi];
    const std::size_t n = std::min<std::size_t>(64, f.size() - off);
    auto* d = reinterpret_cast<std::uint8_t*>(m.m_axis_tx_tdata_o.w);
    std::memset(d, 0, 64);
    std::memcpy(d, f.data() + off, n);
    m.m_axis_tx_tkeep_o = n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
    m.m_axis_tx_tlast_o = off + n == f.size();
    m.m_axis_tx_tvalid_o = 1;
  };
  auto took = [&] {
    if (!(m.m_axis_tx_tvalid_o && m.m_axis_tx_tready_i)) return;
    off += 64;
    if (off >= frames[fi].size()) {
      ++fi;
      off = 0;
    }
  };
  drive_source();
  for (std::uint64_t c = 0; c < 1'000'000 && wire.sent_frames() < frames.size(); ++c) {
    mac.Sample(c);
    took();
    drive_source();
    mac.Drive(c);
  }
  *errors = mac.protocol_errors();
  return wire.TakeSent();
}

// A link pause: no credit from its first cycle to its last, whatever the budget; overlapping
// pauses hold until the last of them ends; frames are delayed, not lost.
TEST(WireTest, PausesHoldTheLinkAndLoseNothing) {
  Wire w(WireConfig{});
  EXPECT_TRUE(w.TxCredit(1000, 64));
  w.Pause(1000, 50);
  w.Pause(1040, 30);  // overlaps: the link is held until 1070
  EXPECT_EQ(w.pauses(), 2u);
  EXPECT_FALSE(w.TxCredit(1000, 1));
  EXPECT_FALSE(w.TxCredit(1069, 1));
  EXPECT_TRUE(w.TxCredit(1070, 64));
  EXPECT_EQ(w.ResumeAt(999), 999u);
  EXPECT_EQ(w.ResumeAt(1000), 1070u);
  EXPECT_EQ(w.ResumeAt(1045), 1070u);
  EXPECT_EQ(w.ResumeAt(2000), 2000u);
  // Through the MAC: every frame arrives whole, none before the pause ends.
  Wire paused(WireConfig{});
  paused.Pause(0, 5000);
  std::vector<std::vector<std::uint8_t>> frames;
  for (int i = 0; i < 20; ++i) frames.emplace_back(100 + 97 * i, static_cast<std::uint8_t>(i));
  std::uint64_t errors = 0;
  const std::vector<WireFrame> got = SendThroughMac(paused, frames, 0, &errors);
  EXPECT_EQ(errors, 0u);
  ASSERT_EQ(got.size(), frames.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].data, frames[i]) << i;
    EXPECT_GE(got[i].cycle, 5000u) << i;
  }
  Wire unlimited(WireConfig{.link_gbps = 0});
  unlimited.Pause(10, 10);
  EXPECT_FALSE(unlimited.TxCredit(15, 1));
  EXPECT_TRUE(unlimited.TxCredit(20, 1u << 20));
}

TEST(WireTest, MacTxSendsAtTheLinkRate) {
  Wire wire(WireConfig{});
  std::vector<std::vector<std::uint8_t>> frames;
  for (int i = 0; i < 100; ++i) frames.push_back(Frame(1500, i));
  std::uint64_t errors = 0;
  std::vector<std::uint64_t> ends;
  for (const auto& f : SendThroughMac(wire, frames, 0, &errors)) ends.push_back(f.cycle);
  EXPECT_EQ(errors, 0u);
  ASSERT_EQ(ends.size(), 100u);
  // 100 frames of 1500 bytes plus 20 bytes of overhead each, at 50 bytes a cycle.
  const double expect = 1520.0 * 100 / 50;
  EXPECT_NEAR(static_cast<double>(ends.back()), expect, 2.0);
  EXPECT_EQ(wire.sent_bytes(), 150000u);
  // Evenly spaced: 1520 / 50 = 30.4 cycles apart.
  EXPECT_NEAR(static_cast<double>(ends[60] - ends[50]), 304.0, 1.0);
}

TEST(WireTest, MacTxKeepsTheFramesIntactUnderStalls) {
  Wire wire(WireConfig{.link_gbps = 0});
  std::vector<std::vector<std::uint8_t>> frames;
  for (int i = 0; i < 30; ++i) frames.push_back(Frame(60 + 97 * i, i));
  std::uint64_t errors = 0;
  const auto sent = SendThroughMac(wire, frames, 40, &errors);
  EXPECT_EQ(errors, 0u);
  ASSERT_EQ(sent.size(), frames.size());
  for (std::size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(sent[i].data, frames[i]) << i;
}

TEST(WireTest, MacRxDrivesFramesWithoutGapsAtTheLinkRate) {
  Wire wire(WireConfig{});
  StreamModel m;
  MacRx<StreamModel> mac(m, wire);
  std::vector<std::vector<std::uint8_t>> frames;
  for (int i = 0; i < 10; ++i) {
    frames.push_back(Frame(1000 + i, i));
    wire.Inject(frames.back(), 5, /*bad=*/i == 3);
  }
  std::vector<std::vector<std::uint8_t>> got;
  std::vector<std::uint64_t> starts;
  std::vector<bool> bad;
  std::vector<std::uint8_t> cur;
  bool in_frame = false, gap = false;
  for (std::uint64_t c = 0; c < 1000; ++c) {
    // What the card sees at this edge.
    if (m.s_axis_rx_tvalid_i) {
      if (!in_frame) starts.push_back(c);
      in_frame = true;
      const unsigned n = static_cast<unsigned>(std::popcount(m.s_axis_rx_tkeep_i));
      auto* d = reinterpret_cast<const std::uint8_t*>(m.s_axis_rx_tdata_i.w);
      cur.insert(cur.end(), d, d + n);
      if (!m.s_axis_rx_tlast_i && m.s_axis_rx_tuser_i) gap = true;  // tuser only on the last
      if (m.s_axis_rx_tlast_i) {
        got.push_back(cur);
        bad.push_back(m.s_axis_rx_tuser_i);
        cur.clear();
        in_frame = false;
      }
    } else if (in_frame) {
      gap = true;
    }
    mac.Sample(c);
    mac.Drive(c);
  }
  EXPECT_FALSE(gap);
  ASSERT_EQ(got, frames);
  for (std::size_t i = 0; i < bad.size(); ++i) EXPECT_EQ(bad[i], i == 3) << i;
  // (1000 + i + 20) bytes at 50 bytes a cycle: about 20.4 cycles from start to start.
  ASSERT_EQ(starts.size(), 10u);
  EXPECT_EQ(starts[0], 6u);  // due at 5, driven after that edge, seen at the next
  const double spacing = static_cast<double>(starts[9] - starts[0]) / 9;
  EXPECT_NEAR(spacing, 1024.5 / 50, 0.3);
  EXPECT_TRUE(mac.Idle());
  EXPECT_EQ(mac.frames(), 10u);
}

}  // namespace
}  // namespace mbufnic::sim
