// Fuzz target: raw transmit descriptors, offload commands included, on a queue of the `model`
// card (the C++ behavioural model), written byte for byte as tests/support/dma_rings.h writes
// them.
//
// The input is a list of 33-byte records, one descriptor each: a selector byte, then the 32
// bytes of the descriptor (address, length, eop, the offload command).  The selector's low two
// bits aim the address into one of three granted buffers (the fuzzer's address giving only the
// offset) or, with 3, leave it as it is (anywhere: outside the DMA arena, most often); its bit 2
// shortens the length to what is left of that buffer, so that good frames are common.  The last
// descriptor always has eop, so that no frame waits for descriptors that never come.
//
// What must hold, or the target aborts:
//   - the card completes every descriptor within its cycle budget (no hang) and the queue keeps
//     running (a bad descriptor stops a frame, never the queue);
//   - it touches no memory the host did not grant: the host-memory model reports nothing, except
//     reads outside the DMA arena when some descriptor names memory there;
//   - every frame with a descriptor that names memory outside the arena completes with an error;
//   - the queue's error counter equals the number of error completions.
#include <sys/mbuf.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/host_memory.h"
#include "dma_rings.h"
#include "mbuf_test_util.h"
#include "mbufnic/device.hpp"
#include "mbufnic/hw/nic_hw.h"
#include "mbufnic/runtime.h"

namespace {

namespace hw = mbufnic::hw;
namespace csr = mbufnic::hw::csr;
using mbufnic::devtest::DmaBuf;

constexpr std::size_t kRecord = 1 + hw::TxDesc::kBytes;
constexpr unsigned kLog2Ring = 6;
constexpr std::size_t kMaxDescs = (1u << kLog2Ring) - 1;

[[noreturn]] void Fail(const std::string &what) {
  std::fprintf(stderr, "desc_fuzz: %s\n", what.c_str());
  std::abort();
}

// Whether [bus, bus + len) lies in the DMA arena (the memory the host lets the card reach).
bool InArena(std::uint64_t bus, std::uint32_t len) {
  const void *va = mbufnic_bustov(bus);
  return va != nullptr && mbufnic_in_arena(va, std::max<std::uint32_t>(len, 1)) != 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::size_t n = std::min(size / kRecord, kMaxDescs);
  if (n == 0) return -1;
  const mbufnic::test::ZoneUsage zones = mbufnic::test::ZoneUsage::Now();
  {
    std::unique_ptr<mbufnic::device::Device> dev = mbufnic::device::Open("model", {});
    std::array<std::unique_ptr<DmaBuf>, 3> bufs;
    for (auto &b : bufs) {
      b = std::make_unique<DmaBuf>();
      for (std::size_t i = 0; i < DmaBuf::kBytes; ++i) b->va()[i] = static_cast<std::uint8_t>(i);
    }
    mbufnic::devtest::TxRing ring(*dev, 0, kLog2Ring);
    ring.Start();
    std::vector<bool> outside(n);
    bool any_outside = false;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t sel = data[i * kRecord];
      hw::TxDesc d;
      std::memcpy(d.bytes.data(), data + i * kRecord + 1, hw::TxDesc::kBytes);
      if ((sel & 3) != 3) {
        const DmaBuf &b = *bufs[sel & 3];
        const std::uint64_t off = d.addr() % DmaBuf::kBytes;
        d.set_addr(b.bus() + off);
        if (sel & 4)
          d.set_len(
              static_cast<std::uint16_t>(std::min<std::uint64_t>(d.len(), DmaBuf::kBytes - off)));
      }
      if (i + 1 == n) d.set_eop(true);
      outside[i] = !InArena(d.addr(), d.len());
      any_outside = any_outside || outside[i];
      ring.Put(d);
    }
    ring.Doorbell();

    std::vector<hw::TxCpl> cpls;
    std::size_t done = 0;
    const bool finished = mbufnic::devtest::RunUntil(
        *dev,
        [&] {
          for (const hw::TxCpl &c : ring.Poll()) {
            cpls.push_back(c);
            done += c.descs();
          }
          return done >= n;
        },
        2'000'000);
    if (!finished) {
      Fail("the card completed " + std::to_string(done) + " of " + std::to_string(n) +
           " descriptors in 2M cycles");
    }
    if (done != n) Fail("the card completed more descriptors than were posted");
    if (!mbufnic::devtest::Running(*dev, csr::txq::Base(0))) Fail("the queue stopped");

    for (const std::string &v : dev->memory()->violations()) {
      if (!any_outside || v.find("outside the DMA arena") == std::string::npos)
        Fail("the card reached memory the host did not grant: " + v);
    }
    std::uint32_t errors = 0, first = 0;
    for (const hw::TxCpl &c : cpls) {
      const bool error = c.err() != hw::TxErr::kNone;
      errors += error;
      for (std::uint32_t k = first; k < first + c.descs(); ++k) {
        if (outside[k] && !error) {
          Fail("descriptor " + std::to_string(k) +
               " names memory outside the arena, yet its frame completed without an error");
        }
      }
      if (c.desc_index() != first + c.descs() - 1)
        Fail("a completion names descriptor " + std::to_string(c.desc_index()) + ", not " +
             std::to_string(first + c.descs() - 1));
      first += c.descs();
    }
    const std::uint32_t counted = dev->Read32(csr::txq::Base(0) + csr::txq::kErrors);
    if (counted != errors) {
      Fail("the queue counted " + std::to_string(counted) + " errors; its completions say " +
           std::to_string(errors));
    }
    ring.Stop();
    dev->Run(10000);
  }
  if (!(mbufnic::test::ZoneUsage::Now() == zones)) Fail("mbufs or clusters still in use");
  return 0;
}
