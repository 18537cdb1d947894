#include "system_run.h"

#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <random>
#include <sstream>

#include "core/host_memory.h"
#include "core/wire.h"
#include "driver_test_util.h"
#include "mbuf_test_util.h"
#include "mbufnic/hw/nic_hw.h"

namespace mbufnic::systest {

namespace csr = hw::csr;



std::string TempPath(const std::string &what, const std::string &ext) {
  return ::testing::TempDir() + "system_" + what + "_" + std::to_string(getpid()) + ext;
}

RunResult RunWorkload(const RunConfig &config, const std::vector<Item> &items) {
  RunResult res;
  const auto wall0 = std::chrono::steady_clock::now();
  const test::ZoneUsage zones0 = test::ZoneUsage::Now();
  {
    device::Options dopt = config.dev;
    dopt.loopback = true;
    std::unique_ptr<device::Device> dev = device::Open(config.backend, dopt);
    auto nic = std::make_unique<driver::Nic>(*dev, config.nic);
    const std::size_t want = WireFrames(items);

    auto take_sent = [&] {
      for (sim::WireFrame &f : dev->wire()->TakeSent()) res.wire.push_back(std::move(f.data));
    };
    auto handler = [&](int q, struct mbuf *m) {
      RxRecord r;
      r.queue = q;
      r.bytes = drivertest::ChainBytes(m);
      if (m_sanity(m, 0) != 1 || m->m_pkthdr.len != static_cast<int>(r.bytes.size())) {
        ++res.bad_chains;
      }
      r.csum_flags = m->m_pkthdr.csum_flags;
      r.data = m->m_pkthdr.csum_data;
      r.vlan = (m->m_flags & M_VLANTAG) != 0;
      r.vtag = r.vlan ? m->m_pkthdr.ether_vtag : 0;
      res.rx.push_back(std::move(r));
      m_freem(m);
    };
    auto poll = [&] {
      nic->Poll(config.poll_cycles, handler);
      take_sent();
    };

    int since_poll = 0;
    for (const Item &it : items) {
      std::mt19937_64 rng(it.chain_seed);
      drivertest::TestChain c = drivertest::BuildChain(it.bytes, it.layout, rng, it.hdr_len);
      struct mbuf *m = c.m;
      c.m = nullptr;
      m->m_pkthdr.csum_flags = it.csum_flags;
      m->m_pkthdr.csum_data = it.l4_csum_off;
      m->m_pkthdr.tso_segsz = it.mss;
      if (it.vlan_tag) {
        m->m_flags |= M_VLANTAG;
        m->m_pkthdr.ether_vtag = it.vtag;
      }
      bool sent = false;
      for (int tries = 0; tries < 10000 && !sent; ++tries) {
        sent = nic->Transmit(0, &m, 1) == 1;
        if (!sent) poll();
      }
      if (!sent) {
        m_freem(m);
        ++res.unsent;
      }
      // The stack lets go of shared clusters at once: the card reads through the driver's
      // reference.
      drivertest::FreeTestChain(c);
      if (++since_poll == config.poll_every) {
        poll();
        since_poll = 0;
      }
    }
    // Until every frame came back, or nothing moved for a long time.
    std::size_t last = res.rx.size();
    for (int idle = 0; res.rx.size() < want && idle < 200;) {
      poll();
      idle = res.rx.size() == last ? idle + 1 : 0;
      last = res.rx.size();
    }
    for (int i = 0; i < 20; ++i) poll();  // the last transmit completions and interrupts

    res.tx = nic->tx_stats(0);
    res.rxs = nic->rx_stats(0);
    res.counters = ReadCounters(*dev);
    res.cycles = dev->Now();
    nic.reset();
    take_sent();
    res.violations = dev->memory()->violations();
  }
  res.zones_back = test::ZoneUsage::Now() == zones0;
  res.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return res;
}

}  // namespace mbufnic::systest
