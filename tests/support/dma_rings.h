// A driver's view of one card queue at the CSR level, for tests that talk to a device::Device
// without the host driver: rings and buffers in the runtime's DMA arena, descriptors written
// byte for byte (good or deliberately bad), the doorbell, and the completions the card wrote.
// Used by the model backend's own tests (tests/host/device) and by the system tests
// (tests/system), which need to put descriptors on a ring that no driver would write.
//
// Every buffer is a 16 KiB jumbo cluster of its own, so a test can aim a DMA error at exactly
// one of them (HostMemory::InjectError) by its bus address.
#ifndef MBUFNIC_TESTS_SUPPORT_DMA_RINGS_H_
#define MBUFNIC_TESTS_SUPPORT_DMA_RINGS_H_

#include <sys/mbuf.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "mbufnic/device.hpp"
#include "mbufnic/hw/nic_hw.h"
#include "mbufnic/sw_offload.hpp"

namespace mbufnic::rtltest {
struct TxCase;
}

namespace mbufnic::devtest {

// A zeroed 16 KiB jumbo cluster of the runtime's DMA arena, for a ring or a frame buffer.
class DmaBuf {
 public:
  static constexpr std::size_t kBytes = MJUM16BYTES;
  DmaBuf();
  ~DmaBuf();
  DmaBuf(const DmaBuf &) = delete;
  DmaBuf &operator=(const DmaBuf &) = delete;

  std::uint8_t *va() const { return va_; }
  std::uint64_t bus() const;
  // The first 64-byte aligned offset in the buffer (rings must be aligned).
  std::size_t aligned_off() const { return (64 - bus() % 64) % 64; }

 private:
  struct mbuf *m_;
  std::uint8_t *va_;
};

std::uint32_t TxReg(unsigned q, std::uint32_t reg);
std::uint32_t RxReg(unsigned q, std::uint32_t reg);

// The bring-up sequence of docs/card.md for either kind of queue (the txq and rxq blocks share
// one layout): ring and completion addresses, size, prod 0, enable.
// A write through the card's management port (device::Device::mgmt), as the firmware makes it:
// queue contexts and configuration the host's port may not write.  A backend without one, or an
// access that does not answer OKAY, fails the test.
void MgmtWrite(device::Device &dev, std::uint32_t offset, std::uint32_t value);

void BringUp(device::Device &dev, std::uint32_t base, std::uint64_t ring, std::uint64_t cpl,
             unsigned log2);

// Transmit queue q with 2^log2 entries.
class TxRing {
 public:
  TxRing(device::Device &dev, unsigned q, unsigned log2);

  std::uint64_t ring_bus() const { return ring_.bus() + ring_.aligned_off(); }
  std::uint64_t cpl_bus() const { return cpl_.bus() + cpl_.aligned_off(); }
  std::uint8_t *ring_va() const { return ring_.va() + ring_.aligned_off(); }
  std::uint8_t *cpl_va() const { return cpl_.va() + cpl_.aligned_off(); }
  unsigned queue() const { return q_; }
  std::uint32_t size() const { return size_; }

  void Start();
  // ctrl.enable = 0: the card finishes the frame in flight and then touches nothing of this
  // queue.  Call it (and let the card run a little) before the ring goes away.
  void Stop();

  // Descriptors that may still be posted (one slot stays empty, so prod never catches up with
  // the first descriptor not yet completed).
  std::size_t Free() const { return size_ - 1 - outstanding_; }
  std::uint32_t prod() const { return prod_; }

  // Writes one descriptor at prod, keeping `bufs` alive until it completes.
  void Put(const hw::TxDesc &d, std::vector<std::unique_ptr<DmaBuf>> bufs = {});
  // Posts `frame` in `pieces` buffers, each at byte `offset` of its own cluster; the offload
  // command goes on the first descriptor, eop on the last.  Returns the bus address of the
  // first buffer's data.
  std::uint64_t PostFrame(std::span<const std::uint8_t> frame, const hw::TxOffloadCmd &cmd = {},
                          std::size_t pieces = 1, std::size_t offset = 3);

  void Doorbell();

  // Completions the card has written since the last call, in ring order.
  std::vector<hw::TxCpl> Poll();

 private:
  device::Device &dev_;
  unsigned q_;
  std::uint32_t size_;
  unsigned log2_;
  DmaBuf ring_, cpl_;
  std::vector<std::vector<std::unique_ptr<DmaBuf>>> slots_;
  std::uint32_t prod_ = 0, done_ = 0, head_ = 0;
  std::size_t outstanding_ = 0;
  bool phase_ = true;
};

struct RxGot {
  hw::RxCpl cpl;
  std::vector<std::uint8_t> data;  // the frame reassembled from its buffers
};

// Receive queue q with 2^log2 entries.
class RxRing {
 public:
  RxRing(device::Device &dev, unsigned q, unsigned log2);

  std::uint64_t ring_bus() const { return ring_.bus() + ring_.aligned_off(); }
  std::uint64_t cpl_bus() const { return cpl_.bus() + cpl_.aligned_off(); }
  std::uint8_t *ring_va() const { return ring_.va() + ring_.aligned_off(); }
  std::uint8_t *cpl_va() const { return cpl_.va() + cpl_.aligned_off(); }
  unsigned queue() const { return q_; }
  std::uint32_t size() const { return size_; }

  void Start();
  void Stop();  // as TxRing::Stop
  std::size_t Free() const { return size_ - 1 - outstanding_; }

  // Posts one buffer of `len` bytes at byte `offset` of its own cluster; returns its bus
  // address.
  std::uint64_t Post(std::uint16_t len, std::size_t offset = 5);
  // Posts a descriptor naming any address (for tests of bad buffers).
  void PostAt(std::uint64_t addr, std::uint16_t len);
  void Doorbell();

  // Completions since the last call with their frames; checks (EXPECT) that they name the
  // buffers in ring order.
  std::vector<RxGot> Poll();

 private:
  device::Device &dev_;
  unsigned q_;
  std::uint32_t size_;
  unsigned log2_;
  DmaBuf ring_, cpl_;
  std::vector<std::unique_ptr<DmaBuf>> slots_;
  std::vector<std::uint16_t> lens_;
  std::vector<std::size_t> offsets_;
  std::uint32_t prod_ = 0, done_ = 0, head_ = 0;
  std::size_t outstanding_ = 0;
  bool phase_ = true;
};

// The checksum command of a transmit case, and the segmentation command of a request.
hw::TxOffloadCmd CsumCmd(const rtltest::TxCase &t);
hw::TxOffloadCmd SegCmd(const SegRequest &req);

// Runs the card until done() (called once per step: it may consume what it looks at) or
// `limit` cycles; false when the limit came first.
template <typename F>
bool RunUntil(device::Device &dev, F done, std::uint64_t limit = 5'000'000) {
  for (std::uint64_t c = 0;; c += 2000) {
    if (done()) return true;
    if (c >= limit) return false;
    dev.Run(2000);
  }
}

// A queue's status register (txq and rxq alike) and its fields.
std::uint32_t Status(device::Device &dev, std::uint32_t base);
hw::QueueErr StatusErr(device::Device &dev, std::uint32_t base);
bool Running(device::Device &dev, std::uint32_t base);

}  // namespace mbufnic::devtest

#endif  // MBUFNIC_TESTS_SUPPORT_DMA_RINGS_H_
