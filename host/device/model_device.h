// The "model" backend: a C++ behavioural model of the whole card (docs/card.md), the same
// protocol and the same bytes on the wire as the RTL card (rtl/top/nic_top.sv), many times
// faster, for driver development, system tests and long runs.
//
// What is modelled exactly: the CSR space of hw/nic.toml (id words, rw storage, ro values, w1p
// pulses, counters with their high-word latch), the descriptor and completion rings with their
// phases, every tx_err / queue_err / receive drop rule of docs/card.md, the bytes on the wire
// (segmentation by SegmentFrame with the RTL nic_tso limits, then the transmit checksum twin;
// the receive checksum classifier for rx_cpl), interrupt moderation, and every DMA access as an
// AXI master would make it (4 KiB bursts that never cross a 4 KiB boundary, buffer reads in
// whole stream-width lines, byte-exact writes), all through sim::HostMemory so its checker and
// error injection see the model exactly as they see the RTL.  The two CSR sides are the card's too: the
// host's Write32 may not change a management-side field (refused, counted in card.host_denied),
// mgmt() writes anything, and the card's firmware (firmware/, through FirmwareHost) runs on
// mgmt(), serving the admin queue after every host write to the admin block (docs/admin.md).
//
// What is not: cycle timing.  The model is an event simulation with plausible costs: PCIe read
// latency and bandwidth from the host-memory preset, one stream beat (StreamWidth / 8 bytes) per
// cycle through the offload engines and the receive port, and the wire's link rate.  Frames go
// out in the order the card gathers them (one transmit engine, queues served round robin by
// frame), and a frame's transmit completion is written as its last segment starts on the wire.
// The model makes no random choices, so a run is reproducible from its inputs alone.
#ifndef MBUFNIC_HOST_DEVICE_MODEL_DEVICE_H_
#define MBUFNIC_HOST_DEVICE_MODEL_DEVICE_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "mbufnic/device.hpp"
#include "mbufnic/sw_csum.hpp"
#include "mbufnic/sw_offload.hpp"

namespace mbufnic::device {

// The card's build parameters; the defaults are the RTL card's (nic_top).
struct ModelParams {
  unsigned num_txq = 8;         // NumTxQ, 1 to 256
  unsigned num_rxq = 8;         // NumRxQ, 1 to 256
  unsigned tx_max_descs = 16;   // TxMaxDescs, 1 to 255 (tx_cpl.descs is 8 bits)
  unsigned rx_max_bufs = 16;    // RxMaxBufs, 1 to 31 (rx_cpl.bufs is 5 bits)
  unsigned stream_width = 512;  // DataWidth in bits: 64 to 512, a power of two
  unsigned max_frame = 9216;    // MaxFrameBytes of the DMA engines
  // card.caps: an offload the card lacks is not done (its commands are ignored).
  bool cap_tx_csum = true;
  bool cap_rx_csum = true;
  bool cap_tso = true;
  bool cap_dma = true;
  SegLimits seg;         // nic_tso MaxMss, MaxHdrBytes, MaxPayloadBytes
  RxCsumLimits rx_csum;  // nic_csum_rx HdrWindowBytes, MaxExtHeaders
  double clock_mhz = 250.0;
};

class ModelDevice final : public Device {
 public:
  // Throws DeviceError for bad options or parameters (an unknown PCIe preset, a negative link
  // rate, waves asked of a model, parameters out of range, a pcap file that cannot be made).
  explicit ModelDevice(const Options& options, const ModelParams& params = {});
  ~ModelDevice() override;
  ModelDevice(const ModelDevice&) = delete;
  ModelDevice& operator=(const ModelDevice&) = delete;

  std::string_view Name() const override { return "model"; }
  std::uint32_t Read32(std::uint32_t offset) override;
  void Write32(std::uint32_t offset, std::uint32_t value) override;
  std::uint64_t Run(std::uint64_t cycles) override;
  std::uint64_t Now() const override;
  double ClockMhz() const override;
  std::vector<std::uint32_t> TakeInterrupts() override;
  sim::Wire* wire() override;
  sim::HostMemory* memory() override;
  MgmtPort* mgmt() override;

  const ModelParams& params() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mbufnic::device

#endif  // MBUFNIC_HOST_DEVICE_MODEL_DEVICE_H_
