// The firmware's world in a test: the card's CSRs as a register file that follows the generated
// access masks, and host memory as byte regions at bus addresses, both behind the firmware's
// HAL (fw.h).  The test plays the host (it writes the admin registers and the rings directly)
// and the hardware (it sets the read-only counters and capabilities).
#ifndef MBUFNIC_TESTS_FIRMWARE_FAKE_CARD_H_
#define MBUFNIC_TESTS_FIRMWARE_FAKE_CARD_H_

#include <mbufnic_fw/fw.h>

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace mbufnic::fwtest {

class FakeCard {
 public:
  // A card with these queue counts (the card block's queues register says so).
  FakeCard(std::uint32_t num_txq, std::uint32_t num_rxq);

  // The HAL bound to this card; valid while the card lives.
  nic_fw_hal Hal();

  // ---- CSRs, by byte offset in the card's address map ----
  bool Has(std::uint32_t off) const { return regs_.count(off) != 0; }
  // Reads and sets a register as the hardware or the host would, without side effects.
  std::uint32_t Get(std::uint32_t off) const { return regs_.at(off).value; }
  void Set(std::uint32_t off, std::uint32_t v) { regs_.at(off).value = v; }
  // A 64-bit counter (its _lo register's offset): the high word shows in _hi only when _lo is
  // read, as the card latches it.
  void Set64(std::uint32_t lo_off, std::uint64_t v);
  // Every register's value (latched high words aside), to compare before and after a command.
  std::map<std::uint32_t, std::uint32_t> Snapshot() const;

  // Writes the firmware made, in order (offset, value), since the last ClearLog().
  const std::vector<std::pair<std::uint32_t, std::uint32_t>>& writes() const { return writes_; }
  void ClearLog() { writes_.clear(); }
  // Pulses (w1c/w1p bits written 1) the firmware sent, by register offset.
  std::map<std::uint32_t, int> pulses;

  // Accesses to these offsets answer with an error (and change nothing).
  std::set<std::uint32_t> fail_read, fail_write;
  // A queue whose ctrl.enable goes 0 keeps status.running for this many status reads more;
  // stuck: for ever.
  int stop_lag = 0;
  bool stuck = false;
  // status reads the firmware made while waiting.
  int status_reads = 0;

  // ---- Host memory ----
  // A region of host memory the card's DMA may reach, zero-filled.
  void Map(std::uint64_t bus, std::uint32_t len);
  // DMA into or out of a mapped region starting here answers with an error.
  std::set<std::uint64_t> fail_dma;
  std::vector<std::uint8_t> Read(std::uint64_t bus, std::uint32_t len) const;
  void Write(std::uint64_t bus, const std::uint8_t* src, std::uint32_t len);

 private:
  struct Reg {
    std::uint32_t value, rw_mask, pulse_mask;
    std::uint32_t block;  // base of the block copy
    bool counter;         // ro, reset 0: cleared by the block's clear pulse
  };

  static int CsrRead(void* ctx, std::uint32_t off, std::uint32_t* v);
  static int CsrWrite(void* ctx, std::uint32_t off, std::uint32_t v);
  static int DmaRead(void* ctx, std::uint64_t bus, void* dst, std::uint32_t len);
  static int DmaWrite(void* ctx, std::uint64_t bus, const void* src, std::uint32_t len);

  // The region holding [bus, bus + len), or nullptr.
  std::pair<const std::uint64_t, std::vector<std::uint8_t>>* Region(std::uint64_t bus,
                                                                    std::uint32_t len);

  std::map<std::uint32_t, Reg> regs_;
  std::map<std::uint32_t, std::uint32_t> hi_;  // true high words of 64-bit counters, by _hi
  std::map<std::uint32_t, int> stopping_;      // queue ctrl offset -> status reads left
  std::vector<std::pair<std::uint32_t, std::uint32_t>> writes_;
  std::map<std::uint64_t, std::vector<std::uint8_t>> mem_;
};

}  // namespace mbufnic::fwtest

#endif  // MBUFNIC_TESTS_FIRMWARE_FAKE_CARD_H_
