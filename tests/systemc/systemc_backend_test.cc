// The "systemc" device backend (sim/systemc): the card's SystemC model behind TLM-2.0 sockets,
// driven through the device seam.  What a user of the seam relies on, checked against the "sim"
// backend (the same RTL, Verilated as plain C++) where both can answer.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <tlm>
#include <vector>

#include "card/sim_device.h"
#include "core/host_memory.h"
#include "core/wire.h"
#include "mbufnic/device.hpp"
#include "mbufnic/hw/nic_hw.h"
#include "systemc/systemc_device.h"

namespace {

namespace csr = mbufnic::hw::csr;
using mbufnic::device::DeviceError;
using mbufnic::device::Open;
using mbufnic::device::Options;
using mbufnic::sc::SystemcDevice;
using mbufnic::sim::SimDevice;

TEST(SystemcBackend, OpensByNameAndAnswersLikeTheSimCard) {
  const std::vector<std::string> names = mbufnic::device::Backends();
  ASSERT_NE(std::find(names.begin(), names.end(), "systemc"), names.end());
  std::unique_ptr<mbufnic::device::Device> dev = Open("systemc");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->Name(), "systemc");
  SimDevice sim;
  // Reset counts in the clock, as on the sim card.
  EXPECT_EQ(dev->Now(), sim.Now());
  EXPECT_EQ(dev->Read32(csr::card::kBase + csr::card::kId), csr::card::kIdValue);
  EXPECT_EQ(sim.Read32(csr::card::kBase + csr::card::kId), csr::card::kIdValue);
  // A CSR access takes the same cycles on both.
  EXPECT_EQ(dev->Now(), sim.Now());
  dev->Run(1000);
  sim.Run(1000);
  EXPECT_EQ(dev->Now(), sim.Now());
  EXPECT_NE(dev->wire(), nullptr);
  EXPECT_NE(dev->memory(), nullptr);
}

TEST(SystemcBackend, CsrResponsesAreTlmStatuses) {
  SystemcDevice dev;
  SimDevice sim;
  struct Case {
    std::uint32_t addr;
    std::uint8_t axi;  // what the sim card's AXI4-Lite slave answers
    int tlm;           // the TLM status the csr socket gives for it
  };
  const Case cases[] = {
      {csr::card::kBase + csr::card::kId, 0, tlm::TLM_OK_RESPONSE},
      {csr::card::kBase + 0x80, 2, tlm::TLM_GENERIC_ERROR_RESPONSE},  // a block's hole: SLVERR
      {0x0010'0000, 3, tlm::TLM_ADDRESS_ERROR_RESPONSE},              // no block there: DECERR
      {0xFFFF'FFFC, 3, tlm::TLM_ADDRESS_ERROR_RESPONSE},
  };
  for (const Case& c : cases) {
    const std::uint32_t v = dev.Read32(c.addr);
    EXPECT_EQ(v, sim.Read32(c.addr)) << std::hex << c.addr;
    EXPECT_EQ(sim.last_resp(), c.axi) << std::hex << c.addr;
    EXPECT_EQ(dev.last_status(), c.tlm) << std::hex << c.addr;
    dev.Write32(c.addr, 0);
    EXPECT_EQ(dev.last_status(), c.tlm) << std::hex << c.addr;
  }
  EXPECT_EQ(dev.protocol_errors(), 0u);
}

TEST(SystemcBackend, OneCardAtATimeEachOpenStartsOver) {
  const std::uint32_t scratch = csr::card::kBase + csr::card::kScratch;
  {
    SystemcDevice a;
    a.Write32(scratch, 0x1234'5678u);
    EXPECT_EQ(a.Read32(scratch), 0x1234'5678u);
    a.wire()->Inject(std::vector<std::uint8_t>(60, 0xAB), a.Now());
    a.Run(500);  // no receive ring: the card drops it
    EXPECT_EQ(a.Read32(csr::port::kBase + csr::port::kRxDropNobuf), 1u);
    try {
      SystemcDevice b;
      ADD_FAILURE() << "a second card opened while the first is";
    } catch (const DeviceError& e) {
      EXPECT_NE(std::string(e.what()).find("one card"), std::string::npos) << e.what();
    }
    EXPECT_EQ(a.Read32(scratch), 0x1234'5678u) << "the refused open disturbed the open card";
  }
  SystemcDevice c;
  EXPECT_EQ(c.Now(), SimDevice().Now()) << "reset again, clock from 0";
  EXPECT_EQ(c.Read32(scratch), csr::card::scratch::kReset);
  EXPECT_EQ(c.Read32(csr::port::kBase + csr::port::kRxDropNobuf), 0u);
  EXPECT_EQ(c.wire()->sent_frames(), 0u);
  EXPECT_TRUE(c.memory()->violations().empty());
}

TEST(SystemcBackend, BadOptionsAreRefusedBeforeAnythingIsHeld) {
  Options bad;
  bad.pcie = "gen9";
  EXPECT_THROW(Open("systemc", bad), DeviceError);
  Options waves;
  waves.waves = ::testing::TempDir() + "systemc_waves.fst";
  try {
    Open("systemc", waves);
    ADD_FAILURE() << "waves accepted";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("sim"), std::string::npos) << e.what();
  }
  Options slow;
  slow.link_gbps = -1;
  EXPECT_THROW(Open("systemc", slow), DeviceError);
  // None of them kept the card.
  EXPECT_NO_THROW(Open("systemc"));
}

TEST(SystemcBackend, TheKernelStaysWithTheFirstThread) {
  { SystemcDevice first; }
  std::thread other([] {
    try {
      SystemcDevice d;
      ADD_FAILURE() << "opened from another thread";
    } catch (const DeviceError& e) {
      EXPECT_NE(std::string(e.what()).find("thread"), std::string::npos) << e.what();
    }
  });
  other.join();
  EXPECT_NO_THROW(SystemcDevice());
}

}  // namespace
