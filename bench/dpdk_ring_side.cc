#include "dpdk_ring_side.h"

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <array>
#include <cstring>

namespace dpdk_ring {
namespace {

constexpr unsigned kRing = 512;  // descriptors per ring (a power of two)
constexpr unsigned kBurst = 32;  // the report-status / free threshold
constexpr unsigned kMaxBurst = 64;

// A 16-byte transmit descriptor, as Intel's 10/25/40 GbE parts lay it out: the buffer's bus
// address, then type (4 bits; the card writes 0xF when done), command, header lengths and size.
struct TxDesc {
  std::uint64_t addr;
  std::uint64_t cmd_type_offset_bsz;
};
constexpr std::uint64_t kTxTypeData = 0x0, kTxTypeDone = 0xF;
constexpr std::uint64_t kTxCmdEop = 1u << 0, kTxCmdRs = 1u << 1, kTxCmdIcrc = 1u << 2;
constexpr std::uint64_t kTxCmdIpv4Csum = 3u << 5, kTxCmdL4Tcp = 1u << 8, kTxCmdL4Udp = 3u << 8;
constexpr unsigned kTxCmdShift = 4, kTxOffShift = 16, kTxSizeShift = 34;

// A 16-byte receive descriptor: read format (buffer address) or, once the card is done, the
// write-back format: status (bit 0 done, bit 1 end of packet), errors, packet type, length.
union RxDesc {
  struct {
    std::uint64_t pkt_addr;
    std::uint64_t hdr_addr;
  } read;
  struct {
    std::uint64_t rss_and_tags;
    std::uint64_t status_error_len;
  } wb;
};
constexpr std::uint64_t kRxDone = 1u << 0, kRxEop = 1u << 1, kRxL3L4Checked = 1u << 3;
constexpr unsigned kRxErrShift = 19, kRxPtypeShift = 30, kRxLenShift = 38;
constexpr std::uint64_t kRxErrIpe = 1u << 3, kRxErrL4e = 1u << 4;  // within the error field

struct rte_mempool *g_pool = nullptr;

alignas(64) TxDesc g_tx[kRing];
struct rte_mbuf *g_tx_sw[kRing];
unsigned g_tx_tail = 0, g_tx_next_dd = kBurst - 1, g_tx_free = kRing - 1, g_tx_clean = 0;
volatile std::uint32_t g_tx_tail_reg = 0;  // stands for the tail register (an MMIO store)
struct rte_mbuf *g_tx_stage[kMaxBurst];
unsigned g_tx_staged = 0;

alignas(64) RxDesc g_rx[kRing];
struct rte_mbuf *g_rx_sw[kRing];
unsigned g_rx_head = 0;  // next descriptor the driver looks at
unsigned g_rx_card = 0;  // next descriptor the card fills
volatile std::uint32_t g_rx_tail_reg = 0;
struct rte_mbuf *g_rx_out[kRing];
unsigned g_rx_got = 0;

// Hardware packet type to DPDK's, as a PMD's lookup table does.
std::array<std::uint32_t, 256> g_ptypes{};

void InitRxMbuf(struct rte_mbuf *m) {
  m->data_off = RTE_PKTMBUF_HEADROOM;
  m->nb_segs = 1;
  m->next = nullptr;
  m->port = 0;
  rte_mbuf_refcnt_set(m, 1);
}

}  // namespace

bool Init(std::string *error) {
  g_pool = rte_pktmbuf_pool_create("ring", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   static_cast<int>(rte_socket_id()));
  if (g_pool == nullptr) {
    *error = std::string("rte_pktmbuf_pool_create: ") + rte_strerror(rte_errno);
    return false;
  }
  g_ptypes[24] = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4_EXT_UNKNOWN | RTE_PTYPE_L4_UDP;
  g_ptypes[26] = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4_EXT_UNKNOWN | RTE_PTYPE_L4_TCP;
  // A buffer in every slot: the driver refills each slot as it empties it, so the emulated card
  // (which never overtakes the driver by more than a burst) always finds one.
  if (rte_mempool_get_bulk(g_pool, reinterpret_cast<void **>(g_rx_sw), kRing) != 0) {
    *error = "no mbufs for the receive ring";
    return false;
  }
  for (unsigned i = 0; i < kRing; ++i) {
    InitRxMbuf(g_rx_sw[i]);
    g_rx[i].read.pkt_addr = rte_mbuf_data_iova_default(g_rx_sw[i]);
    g_rx[i].read.hdr_addr = 0;
  }
  g_rx_tail_reg = kRing - 1;
  return true;
}

void TxPrepare(int n, const std::uint8_t *frame, int len, bool csum) {
  if (rte_pktmbuf_alloc_bulk(g_pool, g_tx_stage, static_cast<unsigned>(n)) != 0) {
    g_tx_staged = 0;
    return;
  }
  for (int i = 0; i < n; ++i) {
    struct rte_mbuf *m = g_tx_stage[i];
    std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(len)), frame,
                static_cast<std::size_t>(len));
    if (csum) {
      m->l2_len = 14;
      m->l3_len = 20;
      m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
    }
  }
  g_tx_staged = static_cast<unsigned>(n);
}

int TxBurst() {
  const unsigned n = g_tx_staged < g_tx_free ? g_tx_staged : g_tx_free;
  unsigned tail = g_tx_tail;
  for (unsigned i = 0; i < n; ++i) {
    struct rte_mbuf *m = g_tx_stage[i];
    std::uint64_t cmd = kTxCmdEop | kTxCmdIcrc;
    std::uint64_t off = (m->l2_len >> 1);  // MAC header in 2-byte words
    const std::uint64_t fl = m->ol_flags;
    if (fl & RTE_MBUF_F_TX_IP_CKSUM) {
      cmd |= kTxCmdIpv4Csum;
      off |= static_cast<std::uint64_t>(m->l3_len >> 2) << 7;
    }
    switch (fl & RTE_MBUF_F_TX_L4_MASK) {
      case RTE_MBUF_F_TX_TCP_CKSUM:
        cmd |= kTxCmdL4Tcp;
        off |= std::uint64_t{20 >> 2} << 14;
        break;
      case RTE_MBUF_F_TX_UDP_CKSUM:
        cmd |= kTxCmdL4Udp;
        off |= std::uint64_t{8 >> 2} << 14;
        break;
      default:
        break;
    }
    if ((tail & (kBurst - 1)) == kBurst - 1) cmd |= kTxCmdRs;  // report status once a burst
    g_tx_sw[tail] = m;
    g_tx[tail].addr = rte_mbuf_data_iova(m);
    g_tx[tail].cmd_type_offset_bsz = kTxTypeData | (cmd << kTxCmdShift) | (off << kTxOffShift) |
                                     (std::uint64_t{m->data_len} << kTxSizeShift);
    tail = (tail + 1) & (kRing - 1);
  }
  // Packets the ring had no room for go back (the bench never lets that happen).
  if (n < g_tx_staged) rte_pktmbuf_free_bulk(&g_tx_stage[n], g_tx_staged - n);
  g_tx_tail = tail;
  g_tx_free -= n;
  rte_wmb();
  g_tx_tail_reg = tail;  // the doorbell
  g_tx_staged = 0;
  return static_cast<int>(n);
}

void TxCardDone() {
  for (unsigned i = g_tx_clean; i != g_tx_tail; i = (i + 1) & (kRing - 1)) {
    g_tx[i].cmd_type_offset_bsz = (g_tx[i].cmd_type_offset_bsz & ~std::uint64_t{0xF}) | kTxTypeDone;
  }
}

int TxClean() {
  int freed = 0;
  // A burst is done when the card has written back its report-status descriptor.
  while (kRing - 1 - g_tx_free >= kBurst &&
         (g_tx[g_tx_next_dd].cmd_type_offset_bsz & 0xF) == kTxTypeDone) {
    rte_pktmbuf_free_bulk(&g_tx_sw[g_tx_clean], kBurst);
    g_tx_clean = (g_tx_clean + kBurst) & (kRing - 1);
    g_tx_next_dd = (g_tx_next_dd + kBurst) & (kRing - 1);
    g_tx_free += kBurst;
    freed += static_cast<int>(kBurst);
  }
  return freed;
}

void RxCardFill(int n, const std::uint8_t *frame, int len) {
  for (int i = 0; i < n; ++i) {
    RxDesc &d = g_rx[g_rx_card];
    auto *dst = static_cast<std::uint8_t *>(g_rx_sw[g_rx_card]->buf_addr) + RTE_PKTMBUF_HEADROOM;
    std::memcpy(dst, frame, static_cast<std::size_t>(len));
    d.wb.rss_and_tags = 0;
    d.wb.status_error_len = kRxDone | kRxEop | kRxL3L4Checked |
                            (std::uint64_t{24} << kRxPtypeShift) |
                            (std::uint64_t(len) << kRxLenShift);
    g_rx_card = (g_rx_card + 1) & (kRing - 1);
  }
}

int RxBurst(int max) {
  // The frames the card has finished, then as many fresh buffers (a bulk get) before any is
  // handed over: without replacements the frames stay on the ring.
  unsigned n = 0;
  unsigned head = g_rx_head;
  while (n < static_cast<unsigned>(max) && n < kMaxBurst &&
         (g_rx[head].wb.status_error_len & kRxDone) != 0) {
    ++n;
    head = (head + 1) & (kRing - 1);
  }
  if (n == 0) return 0;
  struct rte_mbuf *fresh[kMaxBurst];
  if (rte_mempool_get_bulk(g_pool, reinterpret_cast<void **>(fresh), n) != 0) return 0;
  rte_rmb();
  unsigned slot = g_rx_head;
  for (unsigned i = 0; i < n; ++i) {
    const std::uint64_t qw1 = g_rx[slot].wb.status_error_len;
    struct rte_mbuf *m = g_rx_sw[slot];
    const std::uint16_t len = static_cast<std::uint16_t>((qw1 >> kRxLenShift) & 0x3fff);
    m->data_len = len;
    m->pkt_len = len;
    m->packet_type = g_ptypes[(qw1 >> kRxPtypeShift) & 0xff];
    std::uint64_t fl = 0;
    if (qw1 & kRxL3L4Checked) {
      const std::uint64_t err = (qw1 >> kRxErrShift) & 0xff;
      fl |= (err & kRxErrIpe) ? RTE_MBUF_F_RX_IP_CKSUM_BAD : RTE_MBUF_F_RX_IP_CKSUM_GOOD;
      fl |= (err & kRxErrL4e) ? RTE_MBUF_F_RX_L4_CKSUM_BAD : RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    }
    m->ol_flags = fl;
    g_rx_out[g_rx_got + i] = m;
    InitRxMbuf(fresh[i]);
    g_rx_sw[slot] = fresh[i];
    g_rx[slot].read.pkt_addr = rte_mbuf_data_iova_default(fresh[i]);
    g_rx[slot].read.hdr_addr = 0;
    slot = (slot + 1) & (kRing - 1);
  }
  g_rx_head = head;
  g_rx_got += n;
  rte_wmb();
  g_rx_tail_reg = (head - 1) & (kRing - 1);  // the doorbell
  return static_cast<int>(n);
}

void RxConsume() {
  rte_pktmbuf_free_bulk(g_rx_out, g_rx_got);
  g_rx_got = 0;
}

}  // namespace dpdk_ring
