// HostMemory: the card's view of host memory.  The rights follow the host protocol of
// docs/card.md: these tests set queues up with the CSR writes a driver makes (forwarded to
// OnCsrWrite, as a backend does), put descriptors into rings in the DMA arena, and play the
// card's reads and writes, completions included.
#include "core/host_memory.h"

#include <gtest/gtest.h>
#include <mbufnic/hw/nic_hw.h>
#include <sys/mbuf.h>
#include <sys/param.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mbufnic/runtime.h"

namespace mbufnic::sim {
namespace {

namespace csr = mbufnic::hw::csr;
using hw::RxCpl;
using hw::RxDesc;
using hw::TxCpl;
using hw::TxDesc;

constexpr unsigned kNumQ = 2;

// A DMA buffer from the runtime: a 2 KiB cluster or a 16 KiB jumbo cluster.
struct Buf {
  explicit Buf(int size = MCLBYTES) {
    m = size == MCLBYTES ? m_getcl(M_WAITOK, MT_DATA, 0) : m_getjcl(M_WAITOK, MT_DATA, 0, size);
    va = mtod(m, std::uint8_t*);
    bus = mbufnic_vtobus(va);
  }
  ~Buf() { m_freem(m); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  struct mbuf* m;
  std::uint8_t* va;
  std::uint64_t bus;
};

class HostMemoryTest : public ::testing::Test {
 protected:
  HostMemoryTest() : mem_(PcieGen4x16(), kNumQ, kNumQ), rings_(MJUM16BYTES) {
    std::memset(rings_.va, 0, MJUM16BYTES);
    // 64-byte aligned rings inside one jumbo cluster.
    base_ = (rings_.bus + 63) & ~std::uint64_t{63};
  }

  std::uint8_t* Va(std::uint64_t bus) { return rings_.va + (bus - rings_.bus); }

  // The driver's bring-up sequence for a queue (docs/card.md, "Bringing a queue up").
  void BringUp(bool tx, unsigned q, std::uint64_t ring, std::uint64_t cpl, unsigned log2) {
    const std::uint32_t b = tx ? csr::txq::Base(q) : csr::rxq::Base(q);
    mem_.OnCsrWrite(b + csr::txq::kRingLo, static_cast<std::uint32_t>(ring));
    mem_.OnCsrWrite(b + csr::txq::kRingHi, static_cast<std::uint32_t>(ring >> 32));
    mem_.OnCsrWrite(b + csr::txq::kCplLo, static_cast<std::uint32_t>(cpl));
    mem_.OnCsrWrite(b + csr::txq::kCplHi, static_cast<std::uint32_t>(cpl >> 32));
    mem_.OnCsrWrite(b + csr::txq::kRingSize, log2);
    mem_.OnCsrWrite(b + csr::txq::kProd, 0);
    mem_.OnCsrWrite(b + csr::txq::kCtrl, csr::txq::ctrl::kEnableMask);
  }

  void Prod(bool tx, unsigned q, std::uint32_t prod) {
    mem_.OnCsrWrite((tx ? csr::txq::Base(q) : csr::rxq::Base(q)) + csr::txq::kProd, prod);
  }

  void PutTx(std::uint64_t ring, unsigned i, std::uint64_t addr, std::uint16_t len, bool eop) {
    TxDesc d{};
    d.set_addr(addr).set_len(len).set_eop(eop);
    std::memcpy(Va(ring + i * TxDesc::kBytes), d.bytes.data(), TxDesc::kBytes);
  }

  void PutRx(std::uint64_t ring, unsigned i, std::uint64_t addr, std::uint16_t len) {
    RxDesc d{};
    d.set_addr(addr).set_len(len);
    std::memcpy(Va(ring + i * RxDesc::kBytes), d.bytes.data(), RxDesc::kBytes);
  }

  // The card writes a transmit completion into slot k.
  DmaResult CardTxCpl(std::uint64_t cpl, unsigned k, std::uint16_t last, std::uint8_t descs,
                      bool phase = true) {
    TxCpl c{};
    c.set_desc_index(last).set_descs(descs).set_segs(1).set_phase(phase);
    return mem_.Write(cpl + k * TxCpl::kBytes, c.bytes);
  }

  DmaResult CardRxCpl(std::uint64_t cpl, unsigned k, std::uint16_t first, std::uint8_t bufs,
                      std::uint16_t len, bool phase = true) {
    RxCpl c{};
    c.set_desc_index(first).set_bufs(bufs).set_len(len).set_phase(phase);
    return mem_.Write(cpl + k * RxCpl::kBytes, c.bytes);
  }

  DmaResult CardRead(std::uint64_t bus, std::size_t n) {
    std::vector<std::uint8_t> out(n);
    return mem_.Read(bus, out);
  }

  DmaResult CardWrite(std::uint64_t bus, std::size_t n, std::uint8_t value = 0xAB) {
    std::vector<std::uint8_t> data(n, value);
    return mem_.Write(bus, data);
  }

  // The violations so far, one a line, and forget them.
  std::string TakeViolation() {
    if (mem_.violations().empty()) return "(none)";
    std::string v;
    for (const auto& line : mem_.violations()) v += line + "\n";
    mem_.ClearViolations();
    return v;
  }

  HostMemory mem_;
  Buf rings_;
  std::uint64_t base_;
};

TEST(PcieTest, PresetsByName) {
  EXPECT_EQ(PcieByName("gen4").bytes_per_cycle, PcieGen4x16().bytes_per_cycle);
  EXPECT_EQ(PcieByName("gen3").read_latency, PcieGen3x16().read_latency);
  // Gen4 moves twice Gen3's bytes a cycle and keeps more reads in flight.
  EXPECT_DOUBLE_EQ(PcieGen4x16().bytes_per_cycle, 2 * PcieGen3x16().bytes_per_cycle);
  EXPECT_GT(PcieGen4x16().max_reads, PcieGen3x16().max_reads);
  EXPECT_THROW(PcieByName("gen5"), std::invalid_argument);
}

// A queue context written from the host's port is what the card refuses (docs/admin.md): no
// right comes from it.  The same writes from the management side (the firmware's) set it up.
TEST_F(HostMemoryTest, OnlyTheManagementSideSetsQueuesUp) {
  const std::uint64_t ring = base_, cpl = base_ + 4096;
  Buf a;
  PutTx(ring, 0, a.bus, 100, true);
  const std::uint32_t b = csr::txq::Base(0);
  for (auto [reg, v] : {std::pair{csr::txq::kRingLo, static_cast<std::uint32_t>(ring)},
                        {csr::txq::kRingHi, static_cast<std::uint32_t>(ring >> 32)},
                        {csr::txq::kCplLo, static_cast<std::uint32_t>(cpl)},
                        {csr::txq::kCplHi, static_cast<std::uint32_t>(cpl >> 32)},
                        {csr::txq::kRingSize, 3u},
                        {csr::txq::kCtrl, csr::txq::ctrl::kEnableMask}}) {
    mem_.OnCsrWrite(b + reg, v, /*privileged=*/false);
  }
  mem_.OnCsrWrite(b + csr::txq::kProd, 1, /*privileged=*/false);  // the doorbell is the host's
  EXPECT_EQ(CardRead(ring, TxDesc::kBytes), DmaResult::kViolation);
  EXPECT_EQ(CardWrite(cpl, TxCpl::kBytes), DmaResult::kViolation);
  mem_.ClearViolations();
  BringUp(true, 0, ring, cpl, 3);
  Prod(true, 0, 1);
  EXPECT_EQ(CardRead(ring, TxDesc::kBytes), DmaResult::kOk);
  EXPECT_EQ(CardRead(a.bus, 100), DmaResult::kOk);
  EXPECT_EQ(TakeViolation(), "(none)");
}

// The admin queue (docs/admin.md): the firmware may read the commands the host posted, write
// the completion ring while the queue is on, and write the result buffer an identify or
// read_stats command names until that command's completion is written.
TEST_F(HostMemoryTest, AdminRightsFollowPostedCommandsAndTheirCompletions) {
  const std::uint64_t sq = base_, cq = base_ + 4096;
  Buf result;
  namespace ad = csr::admin;
  mem_.OnCsrWrite(ad::kBase + ad::kSqLo, static_cast<std::uint32_t>(sq), false);
  mem_.OnCsrWrite(ad::kBase + ad::kSqHi, static_cast<std::uint32_t>(sq >> 32), false);
  mem_.OnCsrWrite(ad::kBase + ad::kCqLo, static_cast<std::uint32_t>(cq), false);
  mem_.OnCsrWrite(ad::kBase + ad::kCqHi, static_cast<std::uint32_t>(cq >> 32), false);
  mem_.OnCsrWrite(ad::kBase + ad::kRingSize, 2, false);                   // 4 entries
  EXPECT_EQ(CardWrite(cq, hw::AdminCpl::kBytes), DmaResult::kViolation);  // not enabled yet
  mem_.ClearViolations();
  mem_.OnCsrWrite(ad::kBase + ad::kCtrl, ad::ctrl::kEnableMask, false);

  hw::AdminCmd id{};
  id.set_opcode(hw::AdminOp::kIdentify).set_addr0(result.bus).set_len(64);
  std::memcpy(Va(sq), id.bytes.data(), id.bytes.size());
  hw::AdminCmd mtu{};
  mtu.set_opcode(hw::AdminOp::kChangeMtu).set_arg0(1500);
  std::memcpy(Va(sq + 64), mtu.bytes.data(), mtu.bytes.size());
  EXPECT_EQ(CardRead(sq, 64), DmaResult::kViolation);  // not posted
  EXPECT_EQ(CardWrite(result.bus, 64), DmaResult::kViolation);
  mem_.ClearViolations();
  mem_.OnCsrWrite(ad::kBase + ad::kProd, 2, false);
  EXPECT_EQ(CardRead(sq, 128), DmaResult::kOk);
  EXPECT_EQ(CardRead(sq + 128, 64), DmaResult::kViolation);  // entry 2: not posted
  mem_.ClearViolations();
  EXPECT_EQ(CardWrite(result.bus, 64), DmaResult::kOk);
  EXPECT_EQ(CardWrite(result.bus + 64, 1), DmaResult::kViolation);  // past len
  mem_.ClearViolations();

  // The identify completes: its command and result buffer are the card's no longer.
  hw::AdminCpl c{};
  c.set_opcode(hw::AdminOp::kIdentify).set_result(64).set_sq_head(1).set_phase(true);
  EXPECT_EQ(mem_.Write(cq, c.bytes), DmaResult::kOk);
  EXPECT_EQ(CardWrite(result.bus, 1), DmaResult::kViolation);
  EXPECT_NE(TakeViolation().find("result buffer of admin command"), std::string::npos);
  EXPECT_EQ(CardRead(sq, 64), DmaResult::kViolation);
  mem_.ClearViolations();
  EXPECT_EQ(CardRead(sq + 64, 64), DmaResult::kOk);  // the change_mtu is still open

  // Disabled: nothing of the admin queue is the card's.
  mem_.OnCsrWrite(ad::kBase + ad::kCtrl, 0, false);
  EXPECT_EQ(CardRead(sq + 64, 64), DmaResult::kViolation);
  EXPECT_EQ(CardWrite(cq + 16, 16), DmaResult::kViolation);
  mem_.ClearViolations();
}

TEST_F(HostMemoryTest, TransmitRightsFollowPostingAndCompletion) {
  const std::uint64_t ring = base_, cpl = base_ + 4096;
  BringUp(true, 0, ring, cpl, 3);  // 8 entries
  Buf a, b, c;
  for (int i = 0; i < 100; ++i) a.va[i] = static_cast<std::uint8_t>(i);
  // Frame 0: descriptors 0 and 1 (a+10 and b); frame 1: descriptor 2 (c).
  PutTx(ring, 0, a.bus + 10, 100, false);
  PutTx(ring, 1, b.bus, 700, true);
  PutTx(ring, 2, c.bus, 60, true);
  Prod(true, 0, 3);

  // Descriptors 0 to 2 (lines 0 and 1 of the ring) and whole lines of the buffers.
  EXPECT_EQ(CardRead(ring, 96), DmaResult::kOk);
  std::vector<std::uint8_t> line(64);
  EXPECT_EQ(mem_.Read(a.bus, line), DmaResult::kOk);  // the line holding a+10
  EXPECT_EQ(line[10], 10);                            // the memory's bytes
  EXPECT_EQ(line[63], 63);
  EXPECT_EQ(CardRead(b.bus, 704), DmaResult::kOk);  // 700 bytes, rounded to lines
  EXPECT_EQ(CardRead(c.bus, 64), DmaResult::kOk);
  EXPECT_TRUE(mem_.violations().empty()) << mem_.violations().front();

  // Descriptor 4 is not posted (line 2 of the ring holds descriptors 4 and 5).
  EXPECT_EQ(CardRead(ring + 4 * 32, 32), DmaResult::kViolation);
  EXPECT_NE(TakeViolation().find("txq 0 descriptor 4, not posted"), std::string::npos);
  // Beyond the buffer's last line.
  EXPECT_EQ(CardRead(b.bus + 704, 64), DmaResult::kViolation);
  EXPECT_NE(TakeViolation().find("not a posted descriptor"), std::string::npos);

  // Frame 0 completes: its descriptors and buffers are no longer the card's.
  EXPECT_EQ(CardTxCpl(cpl, 0, 1, 2), DmaResult::kOk);
  EXPECT_EQ(CardRead(b.bus, 64), DmaResult::kViolation);
  const std::string v = TakeViolation();
  EXPECT_NE(v.find("read of 64 bytes at"), std::string::npos) << v;
  EXPECT_NE(v.find("buffer of txq 0 descriptor 1 (completed by txq 0 completion 0)"),
            std::string::npos)
      << v;
  EXPECT_EQ(CardRead(ring, 64), DmaResult::kViolation);  // descriptors 0 and 1
  TakeViolation();
  // Frame 1 is still posted.
  EXPECT_EQ(CardRead(c.bus, 64), DmaResult::kOk);
  EXPECT_EQ(CardRead(ring + 64, 32), DmaResult::kOk);
  EXPECT_EQ(CardTxCpl(cpl, 1, 2, 1), DmaResult::kOk);
  EXPECT_EQ(CardRead(c.bus, 64), DmaResult::kViolation);
  TakeViolation();
  EXPECT_TRUE(mem_.violations().empty());
}

TEST_F(HostMemoryTest, RefusedAccessesChangeNothing) {
  Buf a;
  std::memset(a.va, 0x11, 256);
  std::vector<std::uint8_t> out(128, 0x77);
  EXPECT_EQ(mem_.Read(a.bus, out), DmaResult::kViolation);
  EXPECT_EQ(out, std::vector<std::uint8_t>(128, 0));  // zeros, not the memory
  EXPECT_EQ(CardWrite(a.bus + 3, 5, 0x99), DmaResult::kViolation);
  EXPECT_EQ(a.va[3], 0x11);
  ASSERT_EQ(mem_.violations().size(), 2u);
  EXPECT_NE(mem_.violations()[1].find("write of 5 bytes at"), std::string::npos);
  EXPECT_EQ(mem_.bytes_read(), 0u);
  EXPECT_EQ(mem_.bytes_written(), 0u);
  // Outside the arena altogether.
  EXPECT_EQ(CardRead(0x10, 64), DmaResult::kViolation);
  EXPECT_NE(TakeViolation().find("outside the DMA arena"), std::string::npos);
}

// A range that runs past the top of the bus address space (a descriptor's address near 2^64, as
// desc_fuzz wrote one) is refused like any other outside the arena, and nothing is copied: the
// end of such a range wraps below its start, which once let it through to a copy from address 0.
TEST_F(HostMemoryTest, RangesWrappingPastTheTopOfTheBusAreOutside) {
  EXPECT_EQ(CardRead(~std::uint64_t{0} - 15, 64), DmaResult::kViolation);
  EXPECT_NE(TakeViolation().find("outside the DMA arena"), std::string::npos);
  EXPECT_EQ(CardWrite(~std::uint64_t{0} - 3, 8, 0x99), DmaResult::kViolation);
  EXPECT_NE(TakeViolation().find("outside the DMA arena"), std::string::npos);
  EXPECT_EQ(mem_.bytes_read(), 0u);
  EXPECT_EQ(mem_.bytes_written(), 0u);
}

TEST_F(HostMemoryTest, ReceiveRightsAreWritesToPostedBuffersByteExact) {
  const std::uint64_t ring = base_, cpl = base_ + 4096;
  BringUp(false, 1, ring, cpl, 2);  // rxq 1, 4 entries
  Buf a, b, c;
  PutRx(ring, 0, a.bus + 2, 1000);
  PutRx(ring, 1, b.bus, 1000);
  PutRx(ring, 2, c.bus, 1000);
  Prod(false, 1, 3);

  EXPECT_EQ(CardRead(ring, 48), DmaResult::kOk);  // the posted descriptors
  EXPECT_EQ(CardWrite(a.bus + 2, 1000), DmaResult::kOk);
  EXPECT_EQ(a.va[2], 0xAB);
  EXPECT_EQ(CardWrite(b.bus + 500, 500), DmaResult::kOk);
  EXPECT_TRUE(mem_.violations().empty()) << mem_.violations().front();

  // One byte before or after a posted buffer is not the card's.
  EXPECT_EQ(CardWrite(a.bus + 1, 4), DmaResult::kViolation);
  EXPECT_NE(TakeViolation().find("byte " +
                                 [&] {
                                   char h[24];
                                   std::snprintf(h, sizeof h, "0x%llx",
                                                 static_cast<unsigned long long>(a.bus + 1));
                                   return std::string(h);
                                 }()),
            std::string::npos);
  EXPECT_EQ(CardWrite(b.bus + 999, 2), DmaResult::kViolation);
  EXPECT_NE(TakeViolation().find("not a posted receive buffer"), std::string::npos);
  // The card never reads receive buffers, nor writes descriptor rings.
  EXPECT_EQ(CardRead(a.bus, 64), DmaResult::kViolation);
  TakeViolation();
  EXPECT_EQ(CardWrite(ring, 16), DmaResult::kViolation);
  EXPECT_NE(TakeViolation().find("rxq 1 descriptor 0, a descriptor ring is never written"),
            std::string::npos);

  // Strobes: only the strobed bytes are checked and written.
  std::vector<std::uint8_t> data(8, 0xCD);
  const bool strobe[8] = {false, false, true, true, false, false, false, false};
  const std::uint8_t before = a.va[1];
  EXPECT_EQ(mem_.Write(a.bus, data, strobe), DmaResult::kOk);  // bytes a+2, a+3
  EXPECT_EQ(a.va[2], 0xCD);
  EXPECT_EQ(a.va[3], 0xCD);
  EXPECT_EQ(a.va[1], before);
  EXPECT_EQ(a.va[4], 0xAB);

  // A completion for buffers 0 and 1 ends their rights; buffer 2 stays the card's.
  EXPECT_EQ(CardRxCpl(cpl, 0, 0, 2, 2000), DmaResult::kOk);
  EXPECT_EQ(CardWrite(b.bus, 4), DmaResult::kViolation);
  EXPECT_NE(TakeViolation().find("buffer of rxq 1 descriptor 1 (completed by rxq 1 completion 0)"),
            std::string::npos);
  EXPECT_EQ(CardWrite(c.bus, 1000), DmaResult::kOk);
  // Outside the completion ring (4 entries of 16 bytes).
  EXPECT_EQ(CardWrite(cpl + 64, 16), DmaResult::kViolation);
  TakeViolation();
  // A completion out of ring order is reported.
  EXPECT_EQ(CardRxCpl(cpl, 1, 0, 1, 60), DmaResult::kOk);
  const std::string v = TakeViolation();
  EXPECT_NE(v.find("rxq 1 completion 1: desc_index 0, expected the next buffer 2"),
            std::string::npos)
      << v;
  EXPECT_NE(v.find("names buffer 0, which the host has not posted"), std::string::npos) << v;
}

TEST_F(HostMemoryTest, CompletionRingIsWritableFromEnableUntilTheQueueIsSetUpAgain) {
  const std::uint64_t ring = base_, cpl = base_ + 4096;
  BringUp(true, 1, ring, cpl, 2);
  // The whole ring; zeros hold no completion (phase 0 on the first pass).
  EXPECT_EQ(CardWrite(cpl, 32, 0), DmaResult::kOk);
  EXPECT_TRUE(mem_.violations().empty()) << TakeViolation();
  EXPECT_EQ(CardWrite(cpl + 32, 1), DmaResult::kViolation);
  TakeViolation();
  // Disabled: what was in flight when the write reached the card may still complete.
  mem_.OnCsrWrite(csr::txq::Base(1) + csr::txq::kCtrl, 0);
  EXPECT_EQ(CardWrite(cpl, 8, 0), DmaResult::kOk);
  // Set up again elsewhere: the old ring is the host's memory again.
  BringUp(true, 1, ring, cpl + 2048, 2);
  EXPECT_EQ(CardWrite(cpl, 8, 0), DmaResult::kViolation);
  TakeViolation();
  EXPECT_EQ(CardWrite(cpl + 2048, 8, 0), DmaResult::kOk);
  // The other queues were never enabled.
  EXPECT_EQ(CardWrite(cpl + 8192, 8, 0), DmaResult::kViolation);
  TakeViolation();
}

TEST_F(HostMemoryTest, DisabledQueueMayFinishWhatWasInFlight) {
  const std::uint64_t ring = base_, cpl = base_ + 4096;
  BringUp(true, 0, ring, cpl, 2);
  Buf a, b;
  PutTx(ring, 0, a.bus, 64, true);
  PutTx(ring, 1, b.bus, 64, true);
  Prod(true, 0, 2);
  mem_.OnCsrWrite(csr::txq::Base(0) + csr::txq::kCtrl, 0);
  EXPECT_EQ(CardRead(a.bus, 64), DmaResult::kOk);
  EXPECT_EQ(CardTxCpl(cpl, 0, 0, 1), DmaResult::kOk);
  // A completion still ends the rights of its frame.
  EXPECT_EQ(CardRead(a.bus, 64), DmaResult::kViolation);
  TakeViolation();
  EXPECT_EQ(CardRead(b.bus, 64), DmaResult::kOk);
  EXPECT_EQ(CardTxCpl(cpl, 1, 1, 1), DmaResult::kOk);
  EXPECT_TRUE(mem_.violations().empty()) << TakeViolation();
  // Once the queue is set up again, nothing of before is the card's.
  BringUp(true, 0, ring, cpl, 2);
  EXPECT_EQ(CardRead(b.bus, 64), DmaResult::kViolation);
  TakeViolation();
}

TEST_F(HostMemoryTest, RingsWrapAndPhaseFlips) {
  const std::uint64_t ring = base_, cpl = base_ + 4096;
  BringUp(true, 0, ring, cpl, 1);  // 2 entries
  Buf a, b, c;
  // Pass 1: descriptors 0 and 1; completions in slots 0 and 1 with phase 1.
  PutTx(ring, 0, a.bus, 64, true);
  Prod(true, 0, 1);
  PutTx(ring, 1, b.bus, 64, true);
  Prod(true, 0, 0);  // index after descriptor 1 wraps to 0
  EXPECT_EQ(CardRead(b.bus, 64), DmaResult::kOk);
  EXPECT_EQ(CardTxCpl(cpl, 0, 0, 1), DmaResult::kOk);
  EXPECT_EQ(CardTxCpl(cpl, 1, 1, 1), DmaResult::kOk);
  EXPECT_EQ(CardRead(b.bus, 64), DmaResult::kViolation);
  TakeViolation();
  // Pass 2: descriptor 0 again, now naming c; its completion has phase 0.
  PutTx(ring, 0, c.bus, 64, true);
  Prod(true, 0, 1);
  EXPECT_EQ(CardRead(c.bus, 64), DmaResult::kOk);
  EXPECT_EQ(CardRead(a.bus, 64), DmaResult::kViolation);
  TakeViolation();
  EXPECT_EQ(CardTxCpl(cpl, 0, 0, 1, /*phase=*/false), DmaResult::kOk);
  EXPECT_EQ(CardRead(c.bus, 64), DmaResult::kViolation);
  TakeViolation();
  EXPECT_TRUE(mem_.violations().empty());
}

TEST_F(HostMemoryTest, CompletionThatDisagreesWithTheRingIsReported) {
  const std::uint64_t ring = base_, cpl = base_ + 4096;
  BringUp(true, 0, ring, cpl, 3);
  Buf a;
  PutTx(ring, 0, a.bus, 64, false);
  PutTx(ring, 1, a.bus, 64, true);
  Prod(true, 0, 2);
  EXPECT_EQ(CardTxCpl(cpl, 0, 1, 3), DmaResult::kOk);  // descs 3, but 0..1 are 2
  EXPECT_NE(TakeViolation().find("descs says 3"), std::string::npos);
  EXPECT_EQ(CardTxCpl(cpl, 1, 3, 2), DmaResult::kOk);  // 2 and 3 were never posted
  EXPECT_NE(TakeViolation().find("completes descriptor 3, which the host has not posted"),
            std::string::npos);
}

TEST_F(HostMemoryTest, RightsAreCounted) {
  Buf a;
  mem_.Grant(a.bus, 100, true, true);
  mem_.Grant(a.bus + 50, 100, true, true);
  EXPECT_EQ(CardWrite(a.bus, 150), DmaResult::kOk);
  mem_.Revoke(a.bus, 100, true, true);
  EXPECT_EQ(CardWrite(a.bus + 50, 100), DmaResult::kOk);  // still granted once
  EXPECT_EQ(CardWrite(a.bus + 49, 1), DmaResult::kViolation);
  EXPECT_NE(TakeViolation().find("revoked by the test"), std::string::npos);
  mem_.Revoke(a.bus + 50, 100, true, true);
  EXPECT_EQ(CardRead(a.bus + 64, 64), DmaResult::kViolation);
  TakeViolation();

  // Two posted descriptors naming the same buffer: it stays readable until both complete.
  const std::uint64_t ring = base_, cpl = base_ + 4096;
  BringUp(true, 0, ring, cpl, 2);
  PutTx(ring, 0, a.bus, 200, true);
  PutTx(ring, 1, a.bus, 200, true);
  Prod(true, 0, 2);
  EXPECT_EQ(CardTxCpl(cpl, 0, 0, 1), DmaResult::kOk);
  EXPECT_EQ(CardRead(a.bus, 256), DmaResult::kOk);
  EXPECT_EQ(CardTxCpl(cpl, 1, 1, 1), DmaResult::kOk);
  EXPECT_EQ(CardRead(a.bus, 64), DmaResult::kViolation);
  TakeViolation();
  EXPECT_TRUE(mem_.violations().empty());
}

TEST_F(HostMemoryTest, InjectedErrorsAnswerTheirCountThenStop) {
  Buf a;
  mem_.Grant(a.bus, 2048, true, true);
  mem_.InjectError(a.bus + 1000, 10, 2, /*reads=*/true, /*writes=*/false);
  std::memset(a.va, 0x42, 2048);
  std::vector<std::uint8_t> out(64, 0x77);
  EXPECT_EQ(mem_.Read(a.bus, out), DmaResult::kOk);  // does not touch the range
  EXPECT_EQ(mem_.Read(a.bus + 960, out), DmaResult::kInjectedError);
  EXPECT_EQ(out, std::vector<std::uint8_t>(64, 0));
  EXPECT_EQ(CardWrite(a.bus + 1000, 4), DmaResult::kOk);  // writes are not affected
  EXPECT_EQ(CardRead(a.bus + 1000, 1), DmaResult::kInjectedError);
  EXPECT_EQ(mem_.Read(a.bus + 960, out), DmaResult::kOk);
  EXPECT_EQ(out[40], 0xAB);
  // Injected errors are not violations.
  EXPECT_TRUE(mem_.violations().empty());
}

// InjectBufferError: the next buffer access in that direction answers an error, wherever the
// buffer is; descriptor and completion rings are passed over, and so are accesses the rules
// refuse (a violation stays a violation).
TEST_F(HostMemoryTest, BufferErrorsHitTheNextBufferAccessNotTheRings) {
  const std::uint64_t tring = base_, tcpl = base_ + 4096;
  const std::uint64_t rring = base_ + 8192, rcpl = base_ + 12288;
  BringUp(true, 0, tring, tcpl, 3);
  BringUp(false, 0, rring, rcpl, 3);
  Buf t, r;
  std::memset(r.va, 0, 600);
  PutTx(tring, 0, t.bus, 200, true);
  PutTx(tring, 1, t.bus + 1024, 100, true);
  Prod(true, 0, 2);
  PutRx(rring, 0, r.bus, 2048);
  Prod(false, 0, 1);
  mem_.InjectBufferError(/*write=*/false, 2);
  mem_.InjectBufferError(/*write=*/true);
  EXPECT_EQ(CardRead(tring, 64), DmaResult::kOk);  // descriptors: not a buffer
  EXPECT_EQ(CardRead(t.bus + 4096, 64),
            DmaResult::kViolation);  // not posted: refused, no error used
  TakeViolation();
  EXPECT_EQ(CardRead(t.bus, 256), DmaResult::kInjectedError);
  EXPECT_EQ(CardRead(t.bus + 1024, 128), DmaResult::kInjectedError);
  EXPECT_EQ(CardRead(t.bus, 256), DmaResult::kOk);  // both used
  EXPECT_EQ(mem_.injected_read_errors(), 2u);
  EXPECT_EQ(mem_.injected_write_errors(), 0u);
  // Writes: the completion ring is passed over, the receive buffer takes the error, and then
  // writes go through again.
  EXPECT_EQ(CardTxCpl(tcpl, 0, 0, 1), DmaResult::kOk);
  EXPECT_EQ(CardWrite(r.bus, 600), DmaResult::kInjectedError);
  EXPECT_NE(r.va[0], 0xAB) << "a write answered with an error changed memory";
  EXPECT_EQ(CardWrite(r.bus, 600), DmaResult::kOk);
  EXPECT_EQ(CardRxCpl(rcpl, 0, 0, 1, 600), DmaResult::kOk);
  EXPECT_EQ(mem_.injected_write_errors(), 1u);
  EXPECT_TRUE(mem_.violations().empty()) << TakeViolation();
}

TEST_F(HostMemoryTest, CheckingOffAllowsTheArena) {
  Buf a;
  mem_.set_checking(false);
  EXPECT_EQ(CardWrite(a.bus, 64), DmaResult::kOk);
  EXPECT_EQ(CardRead(a.bus, 64), DmaResult::kOk);
  EXPECT_EQ(CardRead(0x10, 64), DmaResult::kViolation);  // still only the arena
  TakeViolation();
}

}  // namespace
}  // namespace mbufnic::sim
