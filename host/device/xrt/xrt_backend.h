// The "xrt" backend: a real Alveo card running the mbufnic kernel, driven through XRT's native
// C++ API (docs/xrt.md).
//
// Open("xrt:N") or Open("xrt:<BDF>") opens card N (XRT's device index) or the card at that PCIe
// address, programs it with the xclbin (device::Options::xclbin, or the file $MBUFNIC_XCLBIN
// names), and reaches the kernel's CSRs through a user-managed xrt::ip.  The kernel DMAs to host
// memory (its AXI master is linked to HOST[0]), so the runtime's DMA arena must be memory the
// card can reach: the first Open of the process allocates one host-only xrt::bo in the xclbin's
// host bank and hands it to the runtime (mbufnic_arena_provide), before any mbuf exists.  That
// buffer, the card and the xclbin then stay with the process until it ends; later Opens of the
// same card and xclbin reuse them, other cards or xclbins are refused.
//
// Time is real time: Run(cycles) waits that long at the card's 250 MHz and Now() counts card
// cycles of a steady clock.  The kernel has one interrupt line (the card's per-queue pulses ORed
// together by the board wrapper), so when it fires TakeInterrupts reports every queue's vector
// and the driver looks at each ring; it also does so when 1 ms has passed without one (XRT may
// not deliver a user-managed kernel's interrupt at all).  A kernel packaged without an interrupt
// is polled: every vector on every call.  There is no wire or host-memory model: wire() and
// memory() are null.
//
// The card's firmware (firmware/, the admin queue's server) runs in this process: the kernel has
// no management core, but its control window holds the card's register map twice, the second
// copy (kXrtMgmtWindow) through the card's management port (rtl/kernel/nic_kernel.sv).  Open
// stops any queue a process before it left running, starts the firmware there, and every write
// to the admin block lets it serve the queue, as on the simulated backends.  mgmt() stays null:
// the firmware is the backend's own, not a tool's to play (docs/xrt.md).
//
// Files here are not named after XRT's headers: host/device is on the include path, so a
// host/device/xrt/xrt_device.h would shadow XRT's own <xrt/xrt_device.h>.
#ifndef MBUFNIC_HOST_DEVICE_XRT_XRT_BACKEND_H_
#define MBUFNIC_HOST_DEVICE_XRT_XRT_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mbufnic/device.hpp"

namespace mbufnic::device {

// The Vitis RTL kernel the card is packaged as (boards/: package_xo -kernel_name) and its one
// compute unit (v++ names the first "<kernel>_1"); the xclbin's IP_LAYOUT lists it as
// "mbufnic_nic:mbufnic_nic_1".  Change them here only.
inline constexpr char kXrtKernel[] = "mbufnic_nic";
inline constexpr char kXrtComputeUnit[] = "mbufnic_nic_1";
// Environment variable naming the xclbin when device::Options::xclbin is empty.
inline constexpr char kXrtXclbinEnv[] = "MBUFNIC_XCLBIN";
// Where the card's management port starts in the kernel's control window (nic_kernel: the map
// again, above the host port's copy).
inline constexpr std::uint32_t kXrtMgmtWindow = 0x20000;
// Size of the host-only buffer that becomes the DMA arena, in MiB, unless MBUFNIC_ARENA_MB (the
// runtime's own arena size) says otherwise.  It comes out of the host memory reserved with
// `xrt-smi configure --host-mem`; more than 1 GiB needs 1 GiB hugepages (docs/xrt.md).
inline constexpr std::size_t kXrtArenaMib = 256;

class XrtDevice final : public Device {
 public:
  // name: "xrt:N" (XRT's device index) or "xrt:<BDF>" (e.g. "xrt:0000:03:00.1").  Throws
  // DeviceError with what went wrong: no such card, no xclbin, no kernel or host bank in it, the
  // runtime's arena already made, the compute unit in use by another process.
  XrtDevice(std::string_view name, const Options& options);
  ~XrtDevice() override;

  std::string_view Name() const override;
  // Through xrt::ip register access (an offset outside the kernel's range throws
  // std::out_of_range from XRT: a driver bug, not a card condition).
  std::uint32_t Read32(std::uint32_t offset) override;
  void Write32(std::uint32_t offset, std::uint32_t value) override;
  // Waits `cycles` card cycles of real time; returns the cycles that passed (at least that).
  std::uint64_t Run(std::uint64_t cycles) override;
  std::uint64_t Now() const override;
  std::vector<std::uint32_t> TakeInterrupts() override;

  // False when the kernel has no interrupt and TakeInterrupts polls.
  bool has_interrupt() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Why Open(name, options) cannot open a card on this machine, or "" when it should be able to: XRT
// sees no card, or not that one, or no xclbin is named, or the named file is missing.  For tests
// that skip, and for tools that want to say so before trying.
std::string XrtUnavailable(std::string_view name, const Options& options);

// Registers "xrt" and every "xrt:..." with Open().  Done when a program linking the backend
// (mbufnic::device_xrt, linked whole) starts.
void RegisterXrtBackend();

}  // namespace mbufnic::device

#endif  // MBUFNIC_HOST_DEVICE_XRT_XRT_BACKEND_H_
