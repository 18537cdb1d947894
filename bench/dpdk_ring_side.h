// The DPDK peer of bench_driver: what a DPDK poll-mode driver does on its rings for the same
// work as mbufnic's driver, written here in the shape of DPDK's simple (non-vector) Intel PMD
// paths, since there is no DPDK driver for this card.  Built with DPDK's own flags, like
// dpdk_side.cc; DPDK must already be up (dpdk_side::Init).
//
// Transmit (TxBurst, TxClean): one 16-byte descriptor per mbuf (bus address, length, EOP and
// report-status bits, checksum offload fields from the mbuf's l2_len/l3_len and ol_flags when
// asked), the mbuf kept in a software ring, one tail-register store per burst; then, once the
// "card" has set the done bit of the burst's last descriptor, the burst's mbufs freed with
// rte_pktmbuf_free_bulk.
// Receive (RxBurst): for each descriptor whose done bit the "card" set, the mbuf taken from the
// software ring with its length, packet type and checksum flags from the descriptor, a fresh
// mbuf from the pool (rte_mempool_get_bulk, a burst at a time) written into the descriptor, one
// tail store per burst.
// The "card" steps (TxCardDone, RxCardFill) and the stack's steps (TxPrepare, RxConsume) are not
// part of the measured work.
#ifndef MBUFNIC_BENCH_DPDK_RING_SIDE_H_
#define MBUFNIC_BENCH_DPDK_RING_SIDE_H_

#include <cstdint>
#include <string>

namespace dpdk_ring {

// Creates the pool and the two rings; false with a message when that fails.
bool Init(std::string *error);

// The stack: n packets of `len` bytes in fresh mbufs, with checksum offload asked or not.
void TxPrepare(int n, const std::uint8_t *frame, int len, bool csum);
// The driver: the prepared packets onto the ring, one tail store.  Returns the packets taken.
int TxBurst();
// The card: marks every descriptor written so far done.
void TxCardDone();
// The driver: frees the mbufs of the completed burst(s).  Returns the packets freed.
int TxClean();

// The card: n frames of `len` bytes written into the posted buffers, descriptors done.
void RxCardFill(int n, const std::uint8_t *frame, int len);
// The driver: up to n received packets handed over, ring refilled.  Returns the packets.
int RxBurst(int n);
// The stack: frees the packets RxBurst handed over.
void RxConsume();

}  // namespace dpdk_ring

#endif  // MBUFNIC_BENCH_DPDK_RING_SIDE_H_
