// The "kernel" device backend, for tests: rtl/kernel/nic_kernel (the card as a Vitis RTL kernel)
// Verilated with Loopback = 1 and driven as the xrt backend drives a card built from it.  Every
// CSR access goes through the kernel's one AXI4-Lite control port: the host's in the window's
// lower half, the firmware's (device::FirmwareHost, its DMA a host copy into the runtime's arena,
// device::ArenaDma, as on xrt) from 0x20000 up, each write shown to the host-memory model first.
// The kernel's AXI4 master is served from that model, which checks every access against what the
// driver posted; frames come back inside the kernel.  The kernel has one interrupt line, so an
// interrupt reports every queue's vector, as on xrt.  No wire model: wire() is null.
#ifndef MBUFNIC_TESTS_RTL_KERNEL_KERNEL_CARD_H_
#define MBUFNIC_TESTS_RTL_KERNEL_KERNEL_CARD_H_

#include <cstdint>

namespace mbufnic::kerneltest {

// The xrt backend's kXrtMgmtWindow (that backend is not in this build to include it from).
inline constexpr std::uint32_t kMgmtWindow = 0x20000;
// The Verilated kernel's queues (tests/rtl/kernel/CMakeLists.txt passes the same).
inline constexpr unsigned kNumTxQ = 4;
inline constexpr unsigned kNumRxQ = 2;

// Makes "kernel" openable through device::Open.
void RegisterKernelCard();

}  // namespace mbufnic::kerneltest

#endif  // MBUFNIC_TESTS_RTL_KERNEL_KERNEL_CARD_H_
