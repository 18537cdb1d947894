// A test double of device::Device for the driver's unit tests: a register file that answers the
// card block as a card would, records every write of the host's, and lets a test play the
// card's part of the ring protocol by hand (read the descriptors the driver posted, write
// completions and receive data).  The card's firmware (firmware/, the real one) runs on the
// register file's management side and answers the driver's admin queue, so queue contexts are
// set as on a card: by the firmware's writes, not recorded in writes().  It runs as the xrt
// backend runs it on a real card: device::FirmwareHost with its DMA straight to the runtime's
// arena (device::ArenaDma).  No frame processing: that is the model backend's job, used by the
// end-to-end tests.
#ifndef MBUFNIC_TESTS_HOST_DRIVER_FAKE_CARD_H_
#define MBUFNIC_TESTS_HOST_DRIVER_FAKE_CARD_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "firmware_host.h"
#include "mbufnic/device.hpp"
#include "mbufnic/hw/nic_hw.h"
#include "mbufnic/runtime.h"

namespace mbufnic::drivertest {

namespace csr = hw::csr;

class FakeCard : public device::Device {
 public:
  struct Params {
    uint32_t id = csr::card::kIdValue;
    uint32_t caps = csr::card::caps::kTxCsumMask | csr::card::caps::kRxCsumMask |
                    csr::card::caps::kTsoMask | csr::card::caps::kDmaMask;
    uint32_t txq = 8, rxq = 8, tx_max_descs = 16, rx_max_bufs = 16, max_frame = 9216;
  };
  FakeCard() : FakeCard(Params{}) {}
  explicit FakeCard(const Params &p) : p_(p) {
    regs_[csr::card::kBase + csr::card::kId] = p.id;
    regs_[csr::card::kBase + csr::card::kCaps] = p.caps;
    regs_[csr::card::kBase + csr::card::kQueues] = p.txq | (p.rxq << 16);
    regs_[csr::card::kBase + csr::card::kTxMaxDescs] = p.tx_max_descs;
    regs_[csr::card::kBase + csr::card::kRxMaxBufs] = p.rx_max_bufs;
    regs_[csr::card::kBase + csr::card::kMaxFrame] = p.max_frame;
    regs_[csr::csum::kBase] = csr::csum::kIdValue;
    regs_[csr::port::kBase] = csr::port::kIdValue;
    for (uint32_t q = 0; q < p.txq; ++q) regs_[csr::txq::Base(q)] = csr::txq::kIdValue;
    for (uint32_t q = 0; q < p.rxq; ++q) regs_[csr::rxq::Base(q)] = csr::rxq::kIdValue;
    regs_[csr::admin::kBase] = csr::admin::kIdValue;
    regs_[csr::port::kBase + csr::port::kMtu] = csr::port::mtu::kReset;
    try {
      fw_.Start();
      fw_ok_ = true;
    } catch (const device::DeviceError &) {
      fw_ok_ = false;  // a card the firmware refuses (a test's bad id): the admin queue is dead
    }
  }
  FakeCard(const FakeCard &) = delete;
  FakeCard &operator=(const FakeCard &) = delete;

  std::string_view Name() const override { return "fake"; }
  uint32_t Read32(uint32_t offset) override {
    ++reads_;
    auto it = regs_.find(offset);
    return it == regs_.end() ? 0 : it->second;
  }
  void Write32(uint32_t offset, uint32_t value) override {
    writes_.emplace_back(offset, value);
    regs_[offset] = value;
    if (fw_ok_ && offset - csr::admin::kBase < csr::admin::kSize) fw_.Service();
    if (on_write) on_write(offset, value);
  }
  uint64_t Run(uint64_t cycles) override {
    now_ += cycles;
    return cycles;
  }
  uint64_t Now() const override { return now_; }
  std::vector<uint32_t> TakeInterrupts() override { return std::exchange(irqs_, {}); }

  // ---- For tests.
  // Called after every register write (to act "between" two driver steps).
  std::function<void(uint32_t offset, uint32_t value)> on_write;
  const Params &params() const { return p_; }
  uint32_t Reg(uint32_t offset) const {
    auto it = regs_.find(offset);
    return it == regs_.end() ? 0 : it->second;
  }
  void SetReg(uint32_t offset, uint32_t value) { regs_[offset] = value; }
  const std::vector<std::pair<uint32_t, uint32_t>> &writes() const { return writes_; }
  void ClearWrites() {
    writes_.clear();
    fw_writes_.clear();
  }
  uint64_t reads() const { return reads_; }
  // Writes the firmware made on the management side, in order.
  const std::vector<std::pair<uint32_t, uint32_t>> &fw_writes() const { return fw_writes_; }
  void RaiseInterrupt(uint32_t vector) { irqs_.push_back(vector); }
  // Writes to one register, in order.
  std::vector<uint32_t> WritesTo(uint32_t offset) const {
    std::vector<uint32_t> v;
    for (auto [o, x] : writes_) {
      if (o == offset) v.push_back(x);
    }
    return v;
  }

  // Ring memory as the card finds it from the CSRs.
  template <typename T>
  T *Ring(uint32_t base, uint32_t lo, uint32_t hi) const {
    const uint64_t bus = (uint64_t{Reg(base + hi)} << 32) | Reg(base + lo);
    return static_cast<T *>(mbufnic_bustov(bus));
  }
  uint32_t RingSize(uint32_t base) const { return 1u << Reg(base + csr::txq::kRingSize); }
  hw::TxDesc TxDescAt(uint32_t q, uint32_t i) const {
    const uint32_t b = csr::txq::Base(q);
    hw::TxDesc d;
    std::memcpy(&d, Ring<hw::TxDesc>(b, csr::txq::kRingLo, csr::txq::kRingHi) + i, sizeof d);
    return d;
  }
  hw::RxDesc RxDescAt(uint32_t q, uint32_t i) const {
    const uint32_t b = csr::rxq::Base(q);
    hw::RxDesc d;
    std::memcpy(&d, Ring<hw::RxDesc>(b, csr::rxq::kRingLo, csr::rxq::kRingHi) + i, sizeof d);
    return d;
  }

  // ---- Playing the card.
  // The frames the driver posted on transmit queue q since the last call (descriptors from the
  // card's consumer position up to prod), each as its gathered bytes, command and descriptor
  // count.  Advances the consumer position; does not complete them.
  struct TxFrame {
    std::vector<uint8_t> bytes;
    hw::TxOffloadCmd cmd{};
    int descs = 0;
    uint32_t last = 0;  // ring index of the last descriptor
    std::vector<hw::TxDesc> raw;
  };
  std::vector<TxFrame> TakeTxFrames(uint32_t q) {
    const uint32_t b = csr::txq::Base(q);
    const uint32_t size = RingSize(b);
    const uint32_t prod = Reg(b + csr::txq::kProd);
    uint32_t &cons = tx_cons_[q];
    std::vector<TxFrame> out;
    TxFrame f;
    while (cons != prod) {
      const hw::TxDesc d = TxDescAt(q, cons);
      if (f.descs == 0) f.cmd = d.cmd();
      const auto *p = static_cast<const uint8_t *>(mbufnic_bustov(d.addr()));
      if (p != nullptr) f.bytes.insert(f.bytes.end(), p, p + d.len());
      f.raw.push_back(d);
      ++f.descs;
      f.last = cons;
      cons = (cons + 1) % size;
      if (d.eop()) {
        out.push_back(std::move(f));
        f = TxFrame{};
      }
    }
    return out;
  }
  // Writes the next transmit completion of queue q.
  void CompleteTx(uint32_t q, uint32_t last, hw::TxErr err = hw::TxErr::kNone, uint8_t descs = 1) {
    const uint32_t b = csr::txq::Base(q);
    const uint32_t size = RingSize(b);
    uint32_t &n = tx_cpl_[q];
    hw::TxCpl c{};
    c.set_desc_index(static_cast<uint16_t>(last))
        .set_err(err)
        .set_descs(descs)
        .set_segs(err == hw::TxErr::kNone ? 1 : 0)
        .set_phase(((n / size) & 1) == 0);
    std::memcpy(Ring<hw::TxCpl>(b, csr::txq::kCplLo, csr::txq::kCplHi) + n % size, &c, sizeof c);
    ++n;
  }
  // Writes `frame` into the buffers posted on receive queue q (from the card's consumer
  // position) and its completion; err_desc / err_dma as asked.  Returns the buffers used.
  int DeliverRx(uint32_t q, std::span<const uint8_t> frame, hw::RxCsumResult csum = {},
                bool vlan = false, uint16_t tci = 0, bool err_dma = false, bool err_desc = false) {
    const uint32_t b = csr::rxq::Base(q);
    const uint32_t size = RingSize(b);
    uint32_t &cons = rx_cons_[q];
    const uint32_t first = cons;
    size_t off = 0;
    int bufs = 0;
    do {
      const hw::RxDesc d = RxDescAt(q, cons);
      const size_t take = std::min<size_t>(d.len(), frame.size() - off);
      if (!err_desc) std::memcpy(mbufnic_bustov(d.addr()), frame.data() + off, take);
      off += take;
      ++bufs;
      cons = (cons + 1) % size;
    } while (off < frame.size() && !err_desc);
    uint32_t &n = rx_cpl_[q];
    hw::RxCpl c{};
    c.set_len(static_cast<uint16_t>(err_desc ? 0 : frame.size()))
        .set_bufs(static_cast<uint8_t>(bufs))
        .set_err_desc(err_desc)
        .set_err_dma(err_dma)
        .set_vlan(vlan)
        .set_vlan_tci(tci)
        .set_desc_index(static_cast<uint16_t>(first))
        .set_csum(csum)
        .set_phase(((n / size) & 1) == 0);
    std::memcpy(Ring<hw::RxCpl>(b, csr::rxq::kCplLo, csr::rxq::kCplHi) + n % size, &c, sizeof c);
    ++n;
    return bufs;
  }
  uint32_t rx_cons(uint32_t q) { return rx_cons_[q]; }

 private:
  Params p_;
  std::map<uint32_t, uint32_t> regs_;
  std::vector<std::pair<uint32_t, uint32_t>> writes_;
  std::vector<uint32_t> irqs_;
  uint64_t now_ = 0;
  uint64_t reads_ = 0;
  std::map<uint32_t, uint32_t> tx_cons_, tx_cpl_, rx_cons_, rx_cpl_;
  std::vector<std::pair<uint32_t, uint32_t>> fw_writes_;
  // The firmware's management port: the register file, its writes recorded.
  device::MgmtPort mgmt_port_{[this](uint32_t offset, uint32_t *value) {
                                *value = Reg(offset);
                                return true;
                              },
                              [this](uint32_t offset, uint32_t value) {
                                fw_writes_.emplace_back(offset, value);
                                regs_[offset] = value;
                                return true;
                              }};
  device::FirmwareHost fw_{mgmt_port_, device::ArenaDma()};
  bool fw_ok_ = false;
};

}  // namespace mbufnic::drivertest

#endif  // MBUFNIC_TESTS_HOST_DRIVER_FAKE_CARD_H_
