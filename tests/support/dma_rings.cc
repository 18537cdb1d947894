#include "dma_rings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "frame_gen.h"
#include "mbufnic/runtime.h"

namespace mbufnic::devtest {

namespace csr = hw::csr;

DmaBuf::DmaBuf() {
  m_ = m_getjcl(M_WAITOK, MT_DATA, 0, MJUM16BYTES);
  va_ = mtod(m_, std::uint8_t *);
  std::memset(va_, 0, kBytes);
}

DmaBuf::~DmaBuf() { m_freem(m_); }

std::uint64_t DmaBuf::bus() const { return mbufnic_vtobus(va_); }

std::uint32_t TxReg(unsigned q, std::uint32_t reg) { return csr::txq::Base(q) + reg; }
std::uint32_t RxReg(unsigned q, std::uint32_t reg) { return csr::rxq::Base(q) + reg; }

void MgmtWrite(device::Device &dev, std::uint32_t offset, std::uint32_t value) {
  device::MgmtPort *port = dev.mgmt();
  if (port == nullptr) {
    ADD_FAILURE() << "backend " << dev.Name() << " has no management port";
    return;
  }
  EXPECT_TRUE(port->write(offset, value)) << "management write at 0x" << std::hex << offset;
}

void BringUp(device::Device &dev, std::uint32_t base, std::uint64_t ring, std::uint64_t cpl,
             unsigned log2) {
  MgmtWrite(dev, base + csr::txq::kRingLo, static_cast<std::uint32_t>(ring));
  MgmtWrite(dev, base + csr::txq::kRingHi, static_cast<std::uint32_t>(ring >> 32));
  MgmtWrite(dev, base + csr::txq::kCplLo, static_cast<std::uint32_t>(cpl));
  MgmtWrite(dev, base + csr::txq::kCplHi, static_cast<std::uint32_t>(cpl >> 32));
  MgmtWrite(dev, base + csr::txq::kRingSize, log2);
  MgmtWrite(dev, base + csr::txq::kProd, 0);
  MgmtWrite(dev, base + csr::txq::kCtrl, csr::txq::ctrl::kEnableMask);
}

// ---- Transmit ---------------------------------------------------------------------------------

TxRing::TxRing(device::Device &dev, unsigned q, unsigned log2)
    : dev_(dev), q_(q), size_(1u << log2), log2_(log2), slots_(size_) {}

void TxRing::Start() { BringUp(dev_, csr::txq::Base(q_), ring_bus(), cpl_bus(), log2_); }

void TxRing::Stop() { MgmtWrite(dev_, TxReg(q_, csr::txq::kCtrl), 0); }

void TxRing::Put(const hw::TxDesc &d, std::vector<std::unique_ptr<DmaBuf>> bufs) {
  std::memcpy(ring_va() + std::size_t{prod_} * hw::TxDesc::kBytes, d.bytes.data(),
              hw::TxDesc::kBytes);
  slots_[prod_] = std::move(bufs);
  prod_ = (prod_ + 1) & (size_ - 1);
  ++outstanding_;
}

std::uint64_t TxRing::PostFrame(std::span<const std::uint8_t> frame, const hw::TxOffloadCmd &cmd,
                                std::size_t pieces, std::size_t offset) {
  pieces = std::max<std::size_t>(1, std::min(pieces, frame.size()));
  std::size_t off = 0;
  std::uint64_t first = 0;
  for (std::size_t i = 0; i < pieces; ++i) {
    const std::size_t n = (frame.size() - off) / (pieces - i);
    auto b = std::make_unique<DmaBuf>();
    std::memcpy(b->va() + offset, frame.data() + off, n);
    hw::TxDesc d{};
    d.set_addr(b->bus() + offset).set_len(static_cast<std::uint16_t>(n)).set_eop(i + 1 == pieces);
    if (i == 0) {
      d.set_cmd(cmd);
      first = b->bus() + offset;
    }
    std::vector<std::unique_ptr<DmaBuf>> keep;
    keep.push_back(std::move(b));
    Put(d, std::move(keep));
    off += n;
  }
  return first;
}

void TxRing::Doorbell() { dev_.Write32(TxReg(q_, csr::txq::kProd), prod_); }

std::vector<hw::TxCpl> TxRing::Poll() {
  std::vector<hw::TxCpl> out;
  for (;;) {
    hw::TxCpl c;
    std::memcpy(c.bytes.data(), cpl_va() + std::size_t{head_} * hw::TxCpl::kBytes,
                hw::TxCpl::kBytes);
    if (c.phase() != phase_) break;
    out.push_back(c);
    for (unsigned i = 0; i < c.descs(); ++i) {
      slots_[done_].clear();
      done_ = (done_ + 1) & (size_ - 1);
      --outstanding_;
    }
    head_ = (head_ + 1) & (size_ - 1);
    if (head_ == 0) phase_ = !phase_;
  }
  return out;
}

// ---- Receive ----------------------------------------------------------------------------------

RxRing::RxRing(device::Device &dev, unsigned q, unsigned log2)
    : dev_(dev),
      q_(q),
      size_(1u << log2),
      log2_(log2),
      slots_(size_),
      lens_(size_),
      offsets_(size_) {}

void RxRing::Start() { BringUp(dev_, csr::rxq::Base(q_), ring_bus(), cpl_bus(), log2_); }

void RxRing::Stop() { MgmtWrite(dev_, RxReg(q_, csr::rxq::kCtrl), 0); }

std::uint64_t RxRing::Post(std::uint16_t len, std::size_t offset) {
  auto b = std::make_unique<DmaBuf>();
  const std::uint64_t addr = b->bus() + offset;
  PostAt(addr, len);
  slots_[(prod_ - 1) & (size_ - 1)] = std::move(b);
  offsets_[(prod_ - 1) & (size_ - 1)] = offset;
  return addr;
}

void RxRing::PostAt(std::uint64_t addr, std::uint16_t len) {
  hw::RxDesc d{};
  d.set_addr(addr).set_len(len);
  std::memcpy(ring_va() + std::size_t{prod_} * hw::RxDesc::kBytes, d.bytes.data(),
              hw::RxDesc::kBytes);
  lens_[prod_] = len;
  slots_[prod_].reset();
  prod_ = (prod_ + 1) & (size_ - 1);
  ++outstanding_;
}

void RxRing::Doorbell() { dev_.Write32(RxReg(q_, csr::rxq::kProd), prod_); }

std::vector<RxGot> RxRing::Poll() {
  std::vector<RxGot> out;
  for (;;) {
    RxGot g;
    std::memcpy(g.cpl.bytes.data(), cpl_va() + std::size_t{head_} * hw::RxCpl::kBytes,
                hw::RxCpl::kBytes);
    if (g.cpl.phase() != phase_) break;
    EXPECT_EQ(g.cpl.desc_index(), done_) << "receive completions name buffers in ring order";
    std::size_t left = g.cpl.len();
    for (unsigned i = 0; i < g.cpl.bufs(); ++i) {
      const std::size_t take = std::min<std::size_t>(left, lens_[done_]);
      if (slots_[done_] && !g.cpl.err_desc()) {
        const std::uint8_t *p = slots_[done_]->va() + offsets_[done_];
        g.data.insert(g.data.end(), p, p + take);
      }
      left -= take;
      slots_[done_].reset();
      done_ = (done_ + 1) & (size_ - 1);
      --outstanding_;
    }
    out.push_back(std::move(g));
    head_ = (head_ + 1) & (size_ - 1);
    if (head_ == 0) phase_ = !phase_;
  }
  return out;
}

// ---- Commands and status ----------------------------------------------------------------------

hw::TxOffloadCmd CsumCmd(const rtltest::TxCase &t) {
  hw::TxCsumCmd c{};
  c.set_csum_start(t.csum_start)
      .set_csum_offset(t.csum_offset)
      .set_l3_offset(t.l3_offset)
      .set_l4_en(t.l4_en)
      .set_ip4_en(t.ip4_en)
      .set_udp(t.udp);
  hw::TxOffloadCmd cmd{};
  cmd.set_csum(c);
  return cmd;
}

hw::TxOffloadCmd SegCmd(const SegRequest &req) {
  hw::TxOffloadCmd cmd{};
  cmd.set_seg(req.ToCmd());
  return cmd;
}

std::uint32_t Status(device::Device &dev, std::uint32_t base) {
  return dev.Read32(base + csr::txq::kStatus);
}

hw::QueueErr StatusErr(device::Device &dev, std::uint32_t base) {
  return static_cast<hw::QueueErr>((Status(dev, base) & csr::txq::status::kErrMask) >>
                                   csr::txq::status::kErrShift);
}

bool Running(device::Device &dev, std::uint32_t base) {
  return (Status(dev, base) & csr::txq::status::kRunningMask) != 0;
}

}  // namespace mbufnic::devtest
