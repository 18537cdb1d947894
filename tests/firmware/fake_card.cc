#include "fake_card.h"

#include <mbufnic/hw/nic_hw.h>

#include <cstring>
#include <span>

namespace mbufnic::fwtest {
namespace {

namespace csr = mbufnic::hw::csr;

bool IsQueueStatus(std::uint32_t off) {
  const auto in = [off](std::uint32_t base, std::uint32_t size, std::uint32_t count) {
    return off >= base && off < base + size * count && (off - base) % size == csr::txq::kStatus;
  };
  return in(csr::txq::kBase, csr::txq::kSize, csr::txq::kCount) ||
         in(csr::rxq::kBase, csr::rxq::kSize, csr::rxq::kCount);
}

}  // namespace

FakeCard::FakeCard(std::uint32_t num_txq, std::uint32_t num_rxq) {
  const auto add = [this](std::uint32_t base, std::span<const csr::RegInfo> regs) {
    for (const csr::RegInfo& r : regs) {
      const bool counter = r.rw_mask == 0 && r.pulse_mask == 0 && r.reset == 0 && r.offset != 0;
      regs_[base + r.offset] = Reg{r.reset, r.rw_mask, r.pulse_mask, base, counter};
    }
  };
  add(csr::card::kBase, csr::card::kRegs);
  add(csr::csum::kBase, csr::csum::kRegs);
  add(csr::tso::kBase, csr::tso::kRegs);
  add(csr::port::kBase, csr::port::kRegs);
  add(csr::admin::kBase, csr::admin::kRegs);
  for (std::uint32_t q = 0; q < num_txq; ++q) add(csr::txq::Base(q), csr::txq::kRegs);
  for (std::uint32_t q = 0; q < num_rxq; ++q) add(csr::rxq::Base(q), csr::rxq::kRegs);
  // What the hardware defines: a card like the default build.
  Set(csr::card::kBase + csr::card::kCaps, 0xF);
  Set(csr::card::kBase + csr::card::kStreamWidth, 512);
  Set(csr::card::kBase + csr::card::kMaxFrame, 9018);
  Set(csr::card::kBase + csr::card::kQueues, num_txq | num_rxq << 16);
  Set(csr::card::kBase + csr::card::kTxMaxDescs, 16);
  Set(csr::card::kBase + csr::card::kRxMaxBufs, 8);
}

nic_fw_hal FakeCard::Hal() { return nic_fw_hal{this, CsrRead, CsrWrite, DmaRead, DmaWrite}; }

void FakeCard::Set64(std::uint32_t lo_off, std::uint64_t v) {
  Set(lo_off, static_cast<std::uint32_t>(v));
  hi_[lo_off + 4] = static_cast<std::uint32_t>(v >> 32);
}

std::map<std::uint32_t, std::uint32_t> FakeCard::Snapshot() const {
  std::map<std::uint32_t, std::uint32_t> out;
  // The high words of 64-bit counters change when their low word is read: not a write.
  for (const auto& [off, r] : regs_) {
    if (!hi_.count(off)) out[off] = r.value;
  }
  return out;
}

int FakeCard::CsrRead(void* ctx, std::uint32_t off, std::uint32_t* v) {
  auto* c = static_cast<FakeCard*>(ctx);
  const auto it = c->regs_.find(off);
  if (it == c->regs_.end() || c->fail_read.count(off)) return -1;
  if (IsQueueStatus(off)) {
    ++c->status_reads;
    const std::uint32_t ctrl = off - csr::txq::kStatus + csr::txq::kCtrl;
    auto s = c->stopping_.find(ctrl);
    if (s != c->stopping_.end() && !c->stuck && s->second-- <= 0) {
      it->second.value &= ~csr::txq::status::kRunningMask;
      c->stopping_.erase(s);
    }
  }
  // Reading the low word of a 64-bit counter latches its high word.
  const auto hi = c->hi_.find(off + 4);
  if (hi != c->hi_.end()) c->regs_.at(off + 4).value = hi->second;
  *v = it->second.value;
  return 0;
}

int FakeCard::CsrWrite(void* ctx, std::uint32_t off, std::uint32_t v) {
  auto* c = static_cast<FakeCard*>(ctx);
  const auto it = c->regs_.find(off);
  if (it == c->regs_.end() || c->fail_write.count(off)) return -1;
  c->writes_.emplace_back(off, v);
  Reg& r = it->second;
  r.value = (r.value & ~r.rw_mask) | (v & r.rw_mask);
  if (v & r.pulse_mask) {
    ++c->pulses[off];
    // A block's counter clear (csum err_clear, tso clear, port clear) zeroes its counters.
    if (r.pulse_mask == csr::port::clear::kCountersMask) {
      for (auto& [o, x] : c->regs_) {
        if (x.block == r.block && x.counter) x.value = 0;
      }
      for (auto& [o, x] : c->hi_) {
        if (c->regs_.at(o).block == r.block) x = 0;
      }
    }
  }
  // A queue runs while enabled; it stops a few status reads after ctrl.enable goes to 0.
  const std::uint32_t st = off - csr::txq::kCtrl + csr::txq::kStatus;
  if (IsQueueStatus(st)) {
    if (v & csr::txq::ctrl::kEnableMask) {
      c->regs_.at(st).value |= csr::txq::status::kRunningMask;
      c->stopping_.erase(off);
    } else if (c->regs_.at(st).value & csr::txq::status::kRunningMask) {
      c->stopping_.emplace(off, c->stop_lag);
    }
  }
  return 0;
}

void FakeCard::Map(std::uint64_t bus, std::uint32_t len) {
  mem_[bus] = std::vector<std::uint8_t>(len, 0);
}

std::pair<const std::uint64_t, std::vector<std::uint8_t>>* FakeCard::Region(std::uint64_t bus,
                                                                            std::uint32_t len) {
  auto it = mem_.upper_bound(bus);
  if (it == mem_.begin()) return nullptr;
  --it;
  if (bus - it->first + len > it->second.size()) return nullptr;
  return &*it;
}

std::vector<std::uint8_t> FakeCard::Read(std::uint64_t bus, std::uint32_t len) const {
  auto* r = const_cast<FakeCard*>(this)->Region(bus, len);
  if (r == nullptr) return {};
  const auto from = r->second.begin() + static_cast<std::ptrdiff_t>(bus - r->first);
  return {from, from + len};
}

void FakeCard::Write(std::uint64_t bus, const std::uint8_t* src, std::uint32_t len) {
  auto* r = Region(bus, len);
  if (r != nullptr) std::memcpy(r->second.data() + (bus - r->first), src, len);
}

int FakeCard::DmaRead(void* ctx, std::uint64_t bus, void* dst, std::uint32_t len) {
  auto* c = static_cast<FakeCard*>(ctx);
  auto* r = c->Region(bus, len);
  if (r == nullptr || c->fail_dma.count(r->first)) return -1;
  std::memcpy(dst, r->second.data() + (bus - r->first), len);
  return 0;
}

int FakeCard::DmaWrite(void* ctx, std::uint64_t bus, const void* src, std::uint32_t len) {
  auto* c = static_cast<FakeCard*>(ctx);
  auto* r = c->Region(bus, len);
  if (r == nullptr || c->fail_dma.count(r->first)) return -1;
  std::memcpy(r->second.data() + (bus - r->first), src, len);
  return 0;
}

}  // namespace mbufnic::fwtest
