// Attach and detach, queue bring-up through the card's admin queue (docs/admin.md), interrupts
// and Poll().
#include <sys/mbuf.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>

#include "driver_internal.h"
#include "mbufnic/admin.hpp"
#include "mbufnic/driver.hpp"
#include "mbufnic/runtime.h"

namespace mbufnic::driver {
namespace {

namespace csr = hw::csr;

bool IsPow2(int v) { return v > 0 && (v & (v - 1)) == 0; }

int Log2(int v) {
  int l = 0;
  while ((1 << l) < v) ++l;
  return l;
}

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

// One ring's memory: contiguous in bus space because the arena's bus addresses are a linear
// image of it.
struct mbuf *RingAlloc(void **va, uint64_t *bus) {
  struct mbuf *m = m_getjcl(M_WAITOK, MT_DATA, 0, MJUM16BYTES);
  *va = mtod(m, void *);
  std::memset(*va, 0, MJUM16BYTES);
  *bus = mbufnic_vtobus(*va);
  const uint64_t last = mbufnic_vtobus(mtod(m, char *) + MJUM16BYTES - 1);
  if (*bus == MBUFNIC_BUSADDR_INVALID || *bus % 64 != 0 || last != *bus + MJUM16BYTES - 1) {
    m_free(m);
    throw DriverError("ring memory is not a 64-byte aligned, bus-contiguous 16 KiB cluster");
  }
  return m;
}

void FreeRing(struct mbuf *&m) {
  if (m != nullptr) m_free(m);
  m = nullptr;
}

Nic::Nic(device::Device &dev, const NicOptions &options) : dev_(dev), opt_(options) {
  try {
    Attach();
  } catch (...) {
    Detach();
    throw;
  }
}

Nic::~Nic() { Detach(); }

void Nic::Attach() {
  card_id_ = dev_.Read32(csr::card::kBase + csr::card::kId);
  if (!csr::IdCompatible(card_id_, csr::card::kIdValue)) {
    throw DriverError("not a card this driver knows: id word " + Hex(card_id_) + ", expected " +
                      Hex(csr::card::kIdValue) + " (block id and major version, minor at least)");
  }
  // Everything else comes from the card's firmware: the card is brought up only through admin
  // commands (the host may not write queue contexts or offload enables itself).
  admin_ = std::make_unique<AdminQueue>(dev_);
  const hw::AdminIdentify id = admin_->Identify();
  const uint32_t offloads = id.offloads();
  caps_ = 0;
  if (offloads & static_cast<uint32_t>(hw::AdminOffload::kTxCsum)) {
    caps_ |= csr::card::caps::kTxCsumMask;
  }
  if (offloads & static_cast<uint32_t>(hw::AdminOffload::kRxCsum)) {
    caps_ |= csr::card::caps::kRxCsumMask;
  }
  if (offloads & static_cast<uint32_t>(hw::AdminOffload::kTso)) caps_ |= csr::card::caps::kTsoMask;
  card_txq_ = id.num_txq();
  card_rxq_ = id.num_rxq();
  tx_max_descs_ = id.tx_max_descs();
  rx_max_bufs_ = id.rx_max_bufs();
  max_frame_ = id.max_frame();
  mtu_ = id.mtu();
  mtu_min_ = id.mtu_min();
  mtu_max_ = id.mtu_max();
  if (card_txq_ < 1 || card_rxq_ < 1) {
    throw DriverError("the card has no descriptor-ring queues (identify: " +
                      std::to_string(card_txq_) + " tx, " + std::to_string(card_rxq_) + " rx)");
  }
  caps_ |= csr::card::caps::kDmaMask;
  // The completion formats bound these: descs is 8 bits, bufs 5.
  if (tx_max_descs_ < 1 || tx_max_descs_ > 255 || rx_max_bufs_ < 1 || rx_max_bufs_ > 31) {
    throw DriverError("card limits out of range: tx_max_descs " + std::to_string(tx_max_descs_) +
                      ", rx_max_bufs " + std::to_string(rx_max_bufs_));
  }
  // The queue blocks this driver rings doorbells in.
  const auto check_block = [&](const char *name, uint32_t base, uint32_t known) {
    const uint32_t block = dev_.Read32(base);
    if (!csr::IdCompatible(block, known)) {
      throw DriverError(std::string("CSR block ") + name + " at " + Hex(base) + " reads id " +
                        Hex(block) + ", expected " + Hex(known));
    }
  };

  const NicOptions &o = opt_;
  if (o.tx_queues < 0 || o.tx_queues > card_txq_ || o.rx_queues < 0 || o.rx_queues > card_rxq_) {
    throw DriverError("asked for " + std::to_string(o.tx_queues) + " tx and " +
                      std::to_string(o.rx_queues) + " rx queues; the card has " +
                      std::to_string(card_txq_) + " and " + std::to_string(card_rxq_));
  }
  if (!IsPow2(o.tx_ring_size) || o.tx_ring_size > kMaxTxRingSize ||
      o.tx_ring_size <= tx_max_descs_) {
    throw DriverError("tx_ring_size " + std::to_string(o.tx_ring_size) +
                      ": a power of two above tx_max_descs (" + std::to_string(tx_max_descs_) +
                      ") and at most " + std::to_string(kMaxTxRingSize));
  }
  if (!IsPow2(o.rx_ring_size) || o.rx_ring_size > kMaxRxRingSize ||
      o.rx_ring_size <= rx_max_bufs_) {
    throw DriverError("rx_ring_size " + std::to_string(o.rx_ring_size) +
                      ": a power of two above rx_max_bufs (" + std::to_string(rx_max_bufs_) +
                      ") and at most " + std::to_string(kMaxRxRingSize));
  }
  if (o.rx_buf_size != MCLBYTES && o.rx_buf_size != MJUMPAGESIZE && o.rx_buf_size != MJUM9BYTES &&
      o.rx_buf_size != MJUM16BYTES) {
    throw DriverError("rx_buf_size " + std::to_string(o.rx_buf_size) +
                      ": one of 2048, 4096, 9216, 16384");
  }
  if (o.tx_copybreak < 0 || o.tx_copybreak > kMaxTxCopybreak) {
    throw DriverError("tx_copybreak " + std::to_string(o.tx_copybreak) + ": 0 (off) to " +
                      std::to_string(kMaxTxCopybreak));
  }
  if (o.rx_queues > 0 && (o.rx_steer_queue < 0 || o.rx_steer_queue >= o.rx_queues)) {
    throw DriverError("rx_steer_queue " + std::to_string(o.rx_steer_queue) +
                      " is not one of the receive queues set up");
  }
  for (int q = 0; q < o.tx_queues; ++q) check_block("txq", csr::txq::Base(q), csr::txq::kIdValue);
  for (int q = 0; q < o.rx_queues; ++q) check_block("rxq", csr::rxq::Base(q), csr::rxq::kIdValue);

  // The transmit engine stays on whenever the card has it: TSO's segments take their checksums
  // from it.  A queue whose checksums are in software just sends no command.
  uint32_t on = 0;
  if ((caps_ & csr::card::caps::kTxCsumMask) != 0) {
    on |= static_cast<uint32_t>(hw::AdminOffload::kTxCsum);
    if ((caps_ & csr::card::caps::kTsoMask) != 0)
      on |= static_cast<uint32_t>(hw::AdminOffload::kTso);
  }
  if (o.rx_csum && (caps_ & csr::card::caps::kRxCsumMask) != 0) {
    on |= static_cast<uint32_t>(hw::AdminOffload::kRxCsum);
  }
  admin_->ChangeOffloads(on);
  // The MTU: what was asked, or the card's largest.  The firmware refuses one out of range.
  const uint32_t mtu = o.mtu != 0 ? o.mtu : mtu_max_;
  if (mtu != mtu_) SetMtu(mtu);

  tx_.resize(static_cast<size_t>(o.tx_queues));
  rx_.resize(static_cast<size_t>(o.rx_queues));
  for (int q = 0; q < o.tx_queues; ++q) SetUpTx(q);
  for (int q = 0; q < o.rx_queues; ++q) SetUpRx(q);
  if (o.rx_queues > 0) admin_->SteerRx(o.rx_steer_queue);
  for (int q = 0; q < o.tx_queues; ++q) ArmTx(q);
  for (int q = 0; q < o.rx_queues; ++q) ArmRx(q);
}

void Nic::SetUpTx(int q) {
  TxQueue &t = tx_[q];
  const int n = opt_.tx_ring_size;
  t.base = csr::txq::Base(static_cast<uint32_t>(q));
  void *desc_va, *cpl_va;
  uint64_t desc_bus, cpl_bus;
  t.desc_mem = RingAlloc(&desc_va, &desc_bus);
  t.cpl_mem = RingAlloc(&cpl_va, &cpl_bus);  // zeroed: no entry has the phase of the first pass
  t.desc = static_cast<hw::TxDesc *>(desc_va);
  t.cpl = static_cast<hw::TxCpl *>(cpl_va);
  t.chains.assign(static_cast<size_t>(n), nullptr);
  t.copied_len.assign(static_cast<size_t>(n), 0);
  t.mask = static_cast<uint32_t>(n - 1);
  if (opt_.tx_copybreak > 0) {
    // Copybreak bounce slots: a power of two of at least 64 bytes holding the threshold, so each
    // slot starts a line and none straddles two clusters (which need not be bus-contiguous).
    t.slot_shift = Log2(std::max(opt_.tx_copybreak, 64));
    t.cluster_shift = Log2(MJUM16BYTES) - t.slot_shift;
    t.slot_mask = (1u << t.cluster_shift) - 1;
    const int clusters = std::max(1, (n << t.slot_shift) / MJUM16BYTES);
    for (int i = 0; i < clusters; ++i) {
      void *va;
      uint64_t bus;
      t.bounce_mem.push_back(RingAlloc(&va, &bus));
      t.bounce_va.push_back(static_cast<uint8_t *>(va));
      t.bounce_bus.push_back(bus);
    }
  }
  t.hw_csum = opt_.tx_csum && (caps_ & csr::card::caps::kTxCsumMask) != 0;
  t.hw_tso = opt_.tso && (caps_ & csr::card::caps::kTsoMask) != 0 &&
             (caps_ & csr::card::caps::kTxCsumMask) != 0;

  admin_->CreateTxq(q, desc_bus, cpl_bus, Log2(n), opt_.irq_pkts, opt_.irq_cycles);
  t.up = true;
}

void Nic::SetUpRx(int q) {
  RxQueue &r = rx_[q];
  const int n = opt_.rx_ring_size;
  r.base = csr::rxq::Base(static_cast<uint32_t>(q));
  void *desc_va, *cpl_va;
  uint64_t desc_bus, cpl_bus;
  r.desc_mem = RingAlloc(&desc_va, &desc_bus);
  r.cpl_mem = RingAlloc(&cpl_va, &cpl_bus);
  r.desc = static_cast<hw::RxDesc *>(desc_va);
  r.cpl = static_cast<hw::RxCpl *>(cpl_va);
  r.bufs.assign(static_cast<size_t>(n), nullptr);
  r.mask = static_cast<uint32_t>(n - 1);

  admin_->CreateRxq(q, desc_bus, cpl_bus, Log2(n), opt_.irq_pkts, opt_.irq_cycles);
  r.up = true;
  // Every buffer but one: a producer index equal to the card's consumer index means "none".
  for (uint32_t i = 0; i < r.mask; ++i) PostRx(r, AllocRxBuf(M_WAITOK));
  std::atomic_thread_fence(std::memory_order_release);
  dev_.Write32(r.base + csr::rxq::kProd, r.prod & r.mask);
}

void Nic::Detach() {
  // As ifconfig down: let the frames already handed to the card go out first.
  const auto tx_busy = [&] {
    bool busy = false;
    for (int q = 0; q < tx_queues(); ++q) {
      if (tx_[q].cpl == nullptr) continue;  // set up only partly (a failed attach)
      TxComplete(q);
      busy = busy || tx_[q].prod != tx_[q].cons;
    }
    return busy;
  };
  constexpr uint64_t kQuiesceStep = 1000;
  for (uint64_t waited = 0; waited < opt_.quiesce_cycles && tx_busy(); waited += kQuiesceStep) {
    dev_.Run(kQuiesceStep);
  }
  // The firmware stops each queue (and waits for the card to say so); a refusal here cannot be
  // acted on, and the memory goes back only after the drain below either way.
  bool enabled = false;
  for (size_t q = 0; q < tx_.size(); ++q) {
    if (!tx_[q].up) continue;
    try {
      admin_->DestroyTxq(static_cast<int>(q));
    } catch (const DriverError &) {
    }
    enabled = true;
  }
  for (size_t q = 0; q < rx_.size(); ++q) {
    if (!rx_[q].up) continue;
    try {
      admin_->DestroyRxq(static_cast<int>(q));
    } catch (const DriverError &) {
    }
    enabled = true;
  }
  // A disabled queue finishes the frame in flight; only then may its memory go.
  if (enabled && opt_.drain_cycles > 0) dev_.Run(opt_.drain_cycles);
  for (TxQueue &t : tx_) {
    for (struct mbuf *&m : t.chains) {
      m_freem(m);
      m = nullptr;
    }
    FreeRing(t.desc_mem);
    FreeRing(t.cpl_mem);
    for (struct mbuf *&m : t.bounce_mem) FreeRing(m);  // the card reads none of it any more
  }
  for (RxQueue &r : rx_) {
    for (struct mbuf *&m : r.bufs) {
      m_freem(m);
      m = nullptr;
    }
    FreeRing(r.desc_mem);
    FreeRing(r.cpl_mem);
  }
  tx_.clear();
  rx_.clear();
  admin_.reset();  // the admin queue stops; its memory goes back
}

std::uint32_t Nic::HwAssist(int q) const {
  const TxQueue &t = tx_[q];
  uint32_t f = 0;
  if (t.hw_csum) f |= kCsumRequests;
  if (t.hw_tso) f |= kTsoRequests;
  return f;
}

void Nic::SetTxOffloads(int q, bool tx_csum, bool tso) {
  TxQueue &t = tx_[q];
  t.hw_csum = tx_csum && (caps_ & csr::card::caps::kTxCsumMask) != 0;
  t.hw_tso = tso && (caps_ & csr::card::caps::kTsoMask) != 0 &&
             (caps_ & csr::card::caps::kTxCsumMask) != 0;
}

device::Counters Nic::ReadStats(int txq, int rxq, bool clear) {
  return admin_->ReadStats(txq, rxq, clear);
}

void Nic::SetMtu(std::uint32_t mtu) {
  admin_->ChangeMtu(mtu);
  mtu_ = mtu;
}

std::uint32_t Nic::TxQueueStatus(int q) { return dev_.Read32(tx_[q].base + csr::txq::kStatus); }
std::uint32_t Nic::RxQueueStatus(int q) { return dev_.Read32(rx_[q].base + csr::rxq::kStatus); }

// ---- Interrupts -------------------------------------------------------------------------------

bool Nic::ArmTx(int q) {
  TxQueue &t = tx_[q];
  dev_.Write32(t.base + csr::txq::kIrq,
               (opt_.irq_pkts & csr::txq::irq::kPktsMask) | csr::txq::irq::kArmMask);
  return TxCplReady(t);
}

bool Nic::ArmRx(int q) {
  RxQueue &r = rx_[q];
  dev_.Write32(r.base + csr::rxq::kIrq,
               (opt_.irq_pkts & csr::rxq::irq::kPktsMask) | csr::rxq::irq::kArmMask);
  return RxCplReady(r);
}

int Nic::Poll(std::uint64_t cycles, const RxHandler &handler) {
  if (cycles > 0) dev_.Run(cycles);
  for (const uint32_t v : dev_.TakeInterrupts()) {
    if (v < static_cast<uint32_t>(card_txq_)) {
      if (v < tx_.size()) tx_[v].pending = true;
    } else if (const uint32_t q = v - static_cast<uint32_t>(card_txq_); q < rx_.size()) {
      rx_[q].pending = true;
    }
  }
  int work = 0;
  for (int q = 0; q < tx_queues(); ++q) {
    TxQueue &t = tx_[q];
    if (!t.pending) continue;
    t.pending = false;
    work += TxComplete(q);
    // A completion written just before the arm may not fire: look once more, next time.
    if (ArmTx(q)) t.pending = true;
  }
  constexpr int kBurst = 32;
  struct mbuf *burst[kBurst];
  for (int q = 0; q < rx_queues(); ++q) {
    RxQueue &r = rx_[q];
    if (!r.pending) continue;
    r.pending = false;
    int budget = opt_.poll_rx_budget;
    bool drained = false;
    while (budget > 0) {
      const int ask = budget < kBurst ? budget : kBurst;
      const int got = Receive(q, burst, ask);
      for (int i = 0; i < got; ++i) {
        if (handler) {
          handler(q, burst[i]);
        } else {
          m_freem(burst[i]);
        }
      }
      work += got;
      budget -= got;
      if (got < ask) {
        drained = true;
        break;
      }
    }
    // Out of budget: come back without waiting for an interrupt, as NAPI does.
    if (!drained || ArmRx(q)) r.pending = true;
  }
  return work;
}

}  // namespace mbufnic::driver
