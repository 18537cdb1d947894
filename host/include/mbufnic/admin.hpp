// The host's side of the card's admin queue (docs/admin.md).
//
// Everything the card does not do on its fast path goes through its firmware: identify,
// create and destroy a queue, MTU, offload enables, receive steering, statistics, reset.  The
// host posts a 64-byte command (hw::AdminCmd) into a submission ring in DMA memory and rings
// the admin doorbell; the firmware answers with a 16-byte completion (hw::AdminCpl) whose phase
// bit says it is new.  The queue, the completion ring and a 4 KiB result buffer (for identify
// and read_stats) share one cluster of the DMA arena.
//
// One command is in flight at a time: Submit() posts it, then lets the card run in short steps
// until the completion is there (on a simulated card the firmware has answered before the
// doorbell write returns).  The Nic brings the card up through one of these; a test or a tool
// can open its own to send any command, valid or not, to a card no Nic is attached to.
#ifndef MBUFNIC_ADMIN_HPP_
#define MBUFNIC_ADMIN_HPP_

#include <cstdint>
#include <string>

#include "mbufnic/device.hpp"
#include "mbufnic/driver.hpp"
#include "mbufnic/hw/nic_hw.h"

struct mbuf;

namespace mbufnic::driver {

// A command the firmware answered with a status other than ok.
class AdminError : public DriverError {
 public:
  AdminError(hw::AdminOp op, hw::AdminStatus status, const std::string &what);
  hw::AdminOp op() const { return op_; }
  hw::AdminStatus status() const { return status_; }

 private:
  hw::AdminOp op_;
  hw::AdminStatus status_;
};

struct AdminResult {
  hw::AdminStatus status = hw::AdminStatus::kOk;
  std::uint32_t result = 0;  // bytes written to the result buffer
  hw::AdminCpl cpl;          // the completion as the firmware wrote it
};

class AdminQueue {
 public:
  // Entries of each ring.
  static constexpr int kEntries = 16;
  // Bytes of the result buffer.
  static constexpr std::uint32_t kResultBytes = 4096;

  // Takes ring memory from the DMA arena, programs the admin block and waits for the firmware
  // to take the rings.  Throws DriverError when the card has no admin block or its firmware does
  // not answer within `timeout_cycles`.
  explicit AdminQueue(device::Device &dev, std::uint64_t timeout_cycles = 2'000'000);
  // Stops the admin queue (waits for the firmware to let go) and frees the memory.
  ~AdminQueue();
  AdminQueue(const AdminQueue &) = delete;
  AdminQueue &operator=(const AdminQueue &) = delete;

  // Posts `cmd` (its tag is set here) and waits for its completion; whatever the status.
  // Throws DriverError when none comes within the timeout.
  AdminResult Submit(hw::AdminCmd cmd);
  // As Submit, and throws AdminError unless the status is ok.
  AdminResult Execute(const hw::AdminCmd &cmd);

  // The result buffer: its bus address (a command's addr0) and its bytes.
  std::uint64_t result_bus() const { return result_bus_; }
  const std::uint8_t *result() const { return result_; }

  // The commands, each throwing AdminError when refused.
  hw::AdminIdentify Identify();
  // Rings of 2^log2 entries; an interrupt after irq_pkts completions or irq_cycles cycles.
  void CreateTxq(int q, std::uint64_t ring, std::uint64_t cpl, int log2 = 5,
                 std::uint16_t irq_pkts = 1, std::uint32_t irq_cycles = 0);
  void CreateRxq(int q, std::uint64_t ring, std::uint64_t cpl, int log2 = 5,
                 std::uint16_t irq_pkts = 1, std::uint32_t irq_cycles = 0);
  void DestroyTxq(int q);
  void DestroyRxq(int q);
  void ChangeMtu(std::uint32_t mtu);
  void ChangeOffloads(std::uint32_t offloads);  // hw::AdminOffload bits
  void SteerRx(int q);
  device::Counters ReadStats(int txq = 0, int rxq = 0, bool clear = false);
  void Reset();

  // Commands completed.
  std::uint32_t commands() const { return commands_; }

 private:
  void WaitEnabled(bool on);

  device::Device &dev_;
  std::uint64_t timeout_;
  struct mbuf *mem_ = nullptr;
  hw::AdminCmd *sq_ = nullptr;
  hw::AdminCpl *cq_ = nullptr;
  std::uint8_t *result_ = nullptr;
  std::uint64_t result_bus_ = 0;
  std::uint32_t prod_ = 0;
  std::uint32_t cq_head_ = 0;
  bool phase_ = true;
  std::uint16_t tag_ = 0;
  std::uint32_t commands_ = 0;
  bool enabled_ = false;
};

}  // namespace mbufnic::driver

#endif  // MBUFNIC_ADMIN_HPP_
