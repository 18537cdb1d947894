// FirmwareHost: the card's management firmware (firmware/, freestanding C) run in the host
// process, with its HAL bound to the card's management CSR port and to host memory.
//
// A simulated backend makes one per card and calls Service() when the firmware has work: in
// this project after every host write to the admin block (the only way work reaches it), which
// puts each command's CSR accesses on the same cycles in every backend that clocks the RTL.
// Its CSR accesses go to the backend's device::MgmtPort, which shows every write to the
// host-memory model first (sim::HostMemory::OnCsrWrite, privileged): queue contexts come from
// the firmware, and the model must know a ring before the card may touch it.  On a simulated
// card its DMA goes through the host-memory model's checked Read/Write (HostMemoryDma), so it
// reads only posted admin commands and writes only the admin completion ring and the result
// buffers the host named.
//
// A real card built as a Vitis kernel has no management core (rtl/kernel/nic_kernel.sv): the
// xrt backend runs the firmware here too, on the kernel's management window, and its DMA is the
// host's own access to the runtime's arena (ArenaDma).
#ifndef MBUFNIC_HOST_DEVICE_FIRMWARE_HOST_H_
#define MBUFNIC_HOST_DEVICE_FIRMWARE_HOST_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "mbufnic/device.hpp"

namespace mbufnic::sim {
class HostMemory;
}

struct nic_fw;

namespace mbufnic::device {

// Where the firmware's DMA goes: host memory by bus address.  Each call returns true when the
// access was made; false is a DMA error to the firmware (the command completes with dma_error
// and nothing of the card changes).
struct FirmwareDma {
  std::function<bool(std::uint64_t bus, void* dst, std::uint32_t len)> read;
  std::function<bool(std::uint64_t bus, const void* src, std::uint32_t len)> write;
};

// A simulated card's: the host-memory model's checked accesses (the card's DMA rights, a
// violation recorded as the card's).  `memory` must outlive what is returned.
FirmwareDma HostMemoryDma(sim::HostMemory& memory);
// A card that reaches host memory itself: the mbuf runtime's DMA arena by bus address, copied
// by the host.  An access not wholly inside the arena is refused.
FirmwareDma ArenaDma();

class FirmwareHost {
 public:
  // `port` is read and written through; it must outlive this.
  FirmwareHost(MgmtPort& port, FirmwareDma dma);
  // HostMemoryDma(memory).
  FirmwareHost(MgmtPort& port, sim::HostMemory& memory);
  ~FirmwareHost();
  FirmwareHost(const FirmwareHost&) = delete;
  FirmwareHost& operator=(const FirmwareHost&) = delete;

  // After the card's reset: the firmware reads the card and sets its defaults.  Throws
  // DeviceError when the firmware refuses the card.
  void Start();
  // Lets the firmware serve the admin queue once; returns the commands it completed.
  unsigned Service();
  // Commands completed since Start.
  std::uint32_t commands() const;

 private:
  static int CsrRead(void* ctx, std::uint32_t offset, std::uint32_t* value);
  static int CsrWrite(void* ctx, std::uint32_t offset, std::uint32_t value);
  static int DmaRead(void* ctx, std::uint64_t bus, void* dst, std::uint32_t len);
  static int DmaWrite(void* ctx, std::uint64_t bus, const void* src, std::uint32_t len);

  MgmtPort& port_;
  FirmwareDma dma_;
  std::unique_ptr<nic_fw> fw_;
  bool started_ = false;
};

}  // namespace mbufnic::device

#endif  // MBUFNIC_HOST_DEVICE_FIRMWARE_HOST_H_
