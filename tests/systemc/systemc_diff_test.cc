// The SystemC model against the plain C++ one: the same RTL, the same bus models around it, one
// driven through TLM-2.0 sockets and the SystemC kernel, the other clocked directly.  The same
// seeded workload through the driver must give the same run on both, cycle for cycle: the same
// frames on the wire at the same cycles (the pcaps, nanosecond stamps from the cycle, are
// byte-identical), the same frames handed up, the same counters and the same total cycles.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "system_run.h"
#include "workload.h"

namespace mbufnic::systest {
namespace {

std::vector<char> FileBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(SystemcVsSim, DriverWorkloadCycleForCycle) {
  const std::vector<Item> items = MakeWorkload({.count = 600, .seed = 4004});
  RunConfig cfg;
  cfg.dev.loopback_delay = 100;
  cfg.dev.seed = 5;
  cfg.nic.irq_pkts = 4;
  cfg.nic.irq_cycles = 500;
  cfg.backend = "sim";
  cfg.dev.pcap_out = TempPath("diff_sim");
  const RunResult s = RunWorkload(cfg, items);
  cfg.backend = "systemc";
  cfg.dev.pcap_out = TempPath("diff_systemc");
  const RunResult c = RunWorkload(cfg, items);
  std::printf(
      "[ systemc  ] %zu chains, %zu wire frames; sim %llu cycles %.2f s, systemc %llu "
      "cycles %.2f s\n",
      items.size(), s.wire.size(), static_cast<unsigned long long>(s.cycles), s.wall_seconds,
      static_cast<unsigned long long>(c.cycles), c.wall_seconds);
  ASSERT_EQ(s.wire.size(), WireFrames(items));
  EXPECT_EQ(c.cycles, s.cycles);
  EXPECT_TRUE(c.wire == s.wire) << "wire frames differ (sim " << s.wire.size() << ", systemc "
                                << c.wire.size() << ")";
  EXPECT_TRUE(c.rx == s.rx) << "received frames differ (sim " << s.rx.size() << ", systemc "
                            << c.rx.size() << ")";
  EXPECT_EQ(c.counters, s.counters)
      << "\n  sim:     " << s.counters.ToString() << "\n  systemc: " << c.counters.ToString();
  EXPECT_EQ(c.tx.packets, s.tx.packets);
  EXPECT_EQ(c.rxs.packets, s.rxs.packets);
  const std::vector<char> ps = FileBytes(TempPath("diff_sim"));
  EXPECT_GT(ps.size(), 1000u);
  EXPECT_TRUE(FileBytes(TempPath("diff_systemc")) == ps) << "the captures differ (timing)";
  for (const RunResult* x : {&s, &c}) {
    EXPECT_TRUE(x->violations.empty()) << x->violations.front();
    EXPECT_TRUE(x->zones_back);
    EXPECT_EQ(x->bad_chains, 0);
    EXPECT_EQ(x->unsent, 0);
  }
}

}  // namespace
}  // namespace mbufnic::systest
