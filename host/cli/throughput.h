// Whole-card throughput through the host driver, one frame size at a time: the measurement
// behind bench/bench_card (Google Benchmark) and `mbufnic bench` (a table and a plot).
//
// Transmit: the driver keeps a 512-entry transmit ring full of frames of one size (one buffer
// each) or of 64 KiB TCP segmentation requests; the window runs from the cycle the first frame's
// last byte left the card to the last one's, so ring fill-up and drain are left out.
// Receive: frames of one size are offered at the receive port as fast as the link lets them in
// (the wire model: one frame starts per cycle at most, one beat a cycle), the driver takes them
// and refills a 1024-entry ring; the window runs from the first frame handed up to the last.
// The card cannot hold the port back: what it cannot take it drops, and counts.
// Host time is not simulated: the driver looks at its rings every 64 cycles, so the figures
// are the card's own limit behind PCIe Gen4 x16 (the host-memory preset), with the link
// unlimited (link_gbps = 0) or at a given rate.
#ifndef MBUFNIC_HOST_CLI_THROUGHPUT_H_
#define MBUFNIC_HOST_CLI_THROUGHPUT_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace mbufnic::throughput {

// Frame bytes a measurement accepts: the Ethernet minimum without FCS (an IPv4/UDP header set
// fits in it) up to a 9000-byte MTU's frame.
inline constexpr std::size_t kMinFrame = 60;
inline constexpr std::size_t kMaxFrame = 9018;
// Bytes of preamble, start delimiter and inter-frame gap the link carries with every frame.
inline constexpr double kLineOverhead = 20;

struct MeasureOptions {
  std::uint64_t seed = 1;  // the simulated card's seed
  int count = 0;           // frames (TSO: requests) to send or offer; 0: DefaultCount()
  // Frames on the wire (receive: handed up) before the window opens.  The wire model lets the
  // first 9 KiB or so through at the card's own rate before it holds it to the link, and a
  // receive run's first frames enter as fast as the port takes them; over a full count that
  // start is a fraction of a percent, over a short run several percent above line rate.
  int warmup = 0;
  std::string waves;  // FST waveform of the card during the run (sim only; "" for none)
};

struct Measurement {
  enum class Status {
    kOk,
    kCannotOpen,  // the backend could not be opened (error says why)
    kFailed,      // the card stopped, reported errors or lost frames uncounted (error says which)
  };
  Status status = Status::kOk;
  std::string error;

  int count = 0;             // frames (TSO: requests) sent or offered
  std::uint64_t frames = 0;  // transmit: frames on the wire; receive: frames handed up
  std::uint64_t window_frames = 0, window_bytes = 0;  // counted after the window's first frame
  double window_cycles = 0;
  double frames_per_cycle = 0, bytes_per_cycle = 0;  // frame bytes (no preamble, gap or FCS)
  double gbps = 0;                                   // frame bytes in Gb/s at the card's clock
  double line_gbps = 0;     // with kLineOverhead per frame: what the link carries (100 = 100GbE)
  double payload_gbps = 0;  // TSO: TCP payload delivered
  std::uint32_t dropped = 0, dropped_nobuf = 0;  // receive: the port's rx_drop_nobuf + rx_drop_bad
  std::uint64_t sim_cycles = 0;                  // simulated cycles of the whole run
  double wall_seconds = 0;
  double sim_cycles_per_s = 0, sim_pkts_per_s = 0;  // the simulation's own speed

  bool ok() const { return status == Status::kOk; }
};

// The frames (TSO: requests) a full measurement uses at `frame_len`: enough for the window to
// dwarf start-up at small frames, capped so large frames do not take minutes on "sim".
int DefaultCount(std::size_t frame_len, bool tso);
// A shorter run, with its start left out of the window so its figures are still the steady
// state's (`mbufnic bench --quick`): count and warmup set, the rest default.
MeasureOptions Quick(std::size_t frame_len, bool tso);

// Transmit through queue 0 on `backend` (device::Open's name) with the link at `link_gbps`
// (0: unlimited): frames of `frame_len` bytes, or with `tso` 64 KiB TCP/IPv4 requests cut at
// MSS `frame_len`.
Measurement MeasureTx(const std::string &backend, double link_gbps, std::size_t frame_len, bool tso,
                      const MeasureOptions &options = {});
// Receive `frame_len`-byte frames on queue 0, offered as fast as the link lets them in.
Measurement MeasureRx(const std::string &backend, double link_gbps, std::size_t frame_len,
                      const MeasureOptions &options = {});

// Both at once (full duplex), `frame_len`-byte frames: the transmit run above on queue 0 while
// as many frames are offered at the receive port for queue 0, the two sharing the card's DMA
// (descriptor and frame reads, frame and completion writes).  Each side's figures over its own
// window (the simulation speed of each counts its own frames).
struct Duplex {
  Measurement tx, rx;
};
Duplex MeasureDuplex(const std::string &backend, double link_gbps, std::size_t frame_len,
                     const MeasureOptions &options = {});

}  // namespace mbufnic::throughput

#endif  // MBUFNIC_HOST_CLI_THROUGHPUT_H_
