// The wire model: what is attached to the card's network port in simulation.
//
// Transmit: the backend hands over each frame the card sent, with the cycle its last byte left;
// the wire keeps it for the test (TakeSent), writes it to a pcap file (libpcap, nanosecond
// timestamps from the cycle), and in loopback queues it for the card's receive port.
// Receive: frames injected by a test or read from a pcap wait for their cycle and enter the
// receive port no faster than the link rate allows.
// Link rate: a frame of n bytes holds the link for (n + 20) * 8 bits (preamble, start
// delimiter and inter-frame gap; the FCS is not modelled), so at 100 Gb/s and 250 MHz the link
// carries 50 bytes a cycle.  The backend asks TxCredit() before it accepts a transmit beat.
#ifndef MBUFNIC_SIM_CORE_WIRE_H_
#define MBUFNIC_SIM_CORE_WIRE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace mbufnic::sim {

struct WireFrame {
  std::vector<std::uint8_t> data;
  std::uint64_t cycle = 0;  // sent: cycle the last byte left; received: earliest cycle to enter
  bool bad = false;         // receive only: the MAC reports the frame bad (tuser on its last beat)
};

struct WireConfig {
  double link_gbps = 100.0;          // 0: unlimited
  double clock_mhz = 250.0;
  bool loopback = false;
  std::uint64_t loopback_delay = 0;  // cycles from a sent frame's last byte to its receive
  std::string pcap_out;              // empty: no pcap
};

class Wire {
 public:
  explicit Wire(WireConfig config);
  ~Wire();
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;

  const WireConfig& config() const;

  // ---- Transmit side, called by the backend.
  // True when the link can take `bytes` more bytes of the current frame at `cycle`.  The
  // wire keeps a byte budget that fills at the link rate (at most one maximal frame ahead),
  // so a 512-bit stream is throttled to the link and never faster.
  bool TxCredit(std::uint64_t cycle, std::uint32_t bytes) const;
  // The backend took `bytes` bytes of a frame at `cycle` (consumes credit).
  void TxConsume(std::uint64_t cycle, std::uint32_t bytes);
  // A whole frame left the card; its last byte at `cycle`.  Adds 20 bytes of overhead.
  void Sent(std::span<const std::uint8_t> frame, std::uint64_t cycle);

  // A link pause (a partner's flow control, a cable pulled and put back): from `cycle` on the
  // link carries no transmit byte for `cycles` cycles; frames wait, none is lost.  TxCredit says
  // no meanwhile; a backend that times frames itself asks ResumeAt.  Pauses may overlap.
  void Pause(std::uint64_t cycle, std::uint64_t cycles);
  // The first cycle from `cycle` on that no pause holds.
  std::uint64_t ResumeAt(std::uint64_t cycle) const;
  std::uint64_t pauses() const;

  // ---- For tests.
  // Frames sent since the last call, oldest first.
  std::vector<WireFrame> TakeSent();
  std::uint64_t sent_frames() const;
  std::uint64_t sent_bytes() const;
  // Queue a frame for the receive port, not before `cycle`.
  void Inject(std::vector<std::uint8_t> frame, std::uint64_t cycle, bool bad = false);
  // Queue every frame of a pcap file, spaced at the link rate from `cycle`; returns how many.
  // Throws std::runtime_error when the file cannot be read.
  std::size_t InjectPcap(const std::string& path, std::uint64_t cycle);

  // ---- Receive side, called by the backend.
  // The frame due at the receive port at `cycle` (its time has come and the link is free), or
  // nullptr.  The MAC model pops it when its first beat goes out and keeps its own copy, so a
  // frame injected meanwhile cannot be mixed up with it; one frame starts per cycle at most.
  const WireFrame* RxDue(std::uint64_t cycle) const;
  void RxPop(std::uint64_t cycle);
  std::size_t rx_pending() const;
  // Earliest cycle at which something on the wire will be due, or UINT64_MAX: lets an idle
  // simulation skip ahead.
  std::uint64_t NextEvent() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mbufnic::sim

#endif  // MBUFNIC_SIM_CORE_WIRE_H_
