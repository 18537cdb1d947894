// The host-memory model: the card's view of host memory in simulation.
//
// Data: the card's DMA is served straight out of the host runtime's DMA arena by bus address
// (mbufnic_bustov), zero copy.  Rules: every access is checked against what the host has
// allowed, following docs/card.md ("What the card may touch") by watching the CSR writes the
// driver makes (OnCsrWrite) and the completions the card writes:
//   - reads: descriptors the host posted (from the queue's consumer position to prod) and the
//     buffers posted transmit descriptors name, in whole 64-byte lines (an AXI read has no byte
//     enables); transmit rights end when the frame's completion is written;
//   - writes, byte-exact: completion rings of enabled queues and receive buffers posted and not
//     yet completed.
// Anything else is a violation: recorded with a readable description, the access is not
// performed (a read returns zeros, a write changes nothing) and it answers SLVERR.
// Timing (used by the cycle-accurate backends' AXI slave): a read's first beat comes back
// `read_latency` cycles after its request, beats flow at `bytes_per_cycle` shared by reads and
// writes, at most `max_reads` read bursts are outstanding.
// Error injection: a test can make the next accesses to an address range answer SLVERR.
#ifndef MBUFNIC_SIM_CORE_HOST_MEMORY_H_
#define MBUFNIC_SIM_CORE_HOST_MEMORY_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mbufnic::sim {

struct PcieConfig {
  std::string name;
  double bytes_per_cycle;      // each direction, at the card clock
  std::uint32_t read_latency;  // cycles from a read request to its first beat
  std::uint32_t max_reads;     // read bursts outstanding at once
};
// PCIe Gen3 x16 and Gen4 x16 as seen from a 250 MHz card: payload bandwidth after TLP
// overhead, and a round trip typical of a server's root complex.
PcieConfig PcieGen3x16();
PcieConfig PcieGen4x16();
// By name ("gen3", "gen4"); throws std::invalid_argument for anything else.
PcieConfig PcieByName(std::string_view name);

enum class DmaResult { kOk, kViolation, kInjectedError };

class HostMemory {
 public:
  // `num_txq`/`num_rxq`: queues the card has (for decoding CSR writes).
  HostMemory(PcieConfig pcie, unsigned num_txq, unsigned num_rxq);
  ~HostMemory();
  HostMemory(const HostMemory&) = delete;
  HostMemory& operator=(const HostMemory&) = delete;

  const PcieConfig& pcie() const;

  // `value` was written to CSR `offset` (the backend forwards every write, before the card sees
  // it): by the firmware on the card's management side (privileged), or by the host.  Tracks
  // ring addresses, sizes, enables and producer indices of the queues and the admin queue.  A
  // host write to a register with management-side fields is ignored here, as the card refuses
  // it (or it leaves them as they are).
  void OnCsrWrite(std::uint32_t offset, std::uint32_t value, bool privileged = true);

  // The card reads [bus, bus + out.size()); out gets the data (zeros where not allowed).
  DmaResult Read(std::uint64_t bus, std::span<std::uint8_t> out);
  // The card writes the bytes of `data` whose `strobe` is set (strobe empty: all of them).
  DmaResult Write(std::uint64_t bus, std::span<const std::uint8_t> data,
                  std::span<const bool> strobe = {});

  // Violations so far, one readable line each ("read of 64 bytes at 0x... : not posted").
  const std::vector<std::string>& violations() const;
  // Make accesses that touch [bus, bus + len) answer with an error `count` times (reads,
  // writes or both); for tests of the card's error paths.
  void InjectError(std::uint64_t bus, std::uint64_t len, unsigned count, bool reads, bool writes);
  // Make the next `count` reads (or writes) of a buffer answer with an error, wherever the
  // buffer is: any access the rules allow that is not to a queue's descriptor or completion ring
  // (on transmit a frame's data, on receive the buffer a frame lands in).  For faults injected
  // at random into a run; each call adds to what is still armed.
  void InjectBufferError(bool write, unsigned count = 1);
  // Errors injected (by either call) that an access has answered, by direction.
  std::uint64_t injected_read_errors() const;
  std::uint64_t injected_write_errors() const;

  // Manual rights, for unit benches that drive a block without the CSR writes that post
  // descriptors: Grant adds a read and/or write right on [bus, bus + len) (reads, as always,
  // in whole 64-byte lines), Revoke takes one such right away again.  Rights are counted: a
  // range granted twice stays allowed until it is revoked twice.
  void Grant(std::uint64_t bus, std::uint64_t len, bool read, bool write);
  void Revoke(std::uint64_t bus, std::uint64_t len, bool read, bool write);
  // Off: every access inside the DMA arena is allowed (grants are still tracked).  On by default.
  void set_checking(bool on);
  bool checking() const;
  // Forget the violations recorded so far (a test that provoked some on purpose).
  void ClearViolations();
  std::uint64_t bytes_read() const;
  std::uint64_t bytes_written() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mbufnic::sim

#endif  // MBUFNIC_SIM_CORE_HOST_MEMORY_H_
