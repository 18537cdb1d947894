// The host driver: FreeBSD-style transmit and receive over the card's descriptor rings.
//
// A Nic attaches to a device::Device (the Verilated RTL, the C++ model, later a real card),
// checks the card's identity, brings up its transmit and receive queues with rings in DMA arena
// memory, and moves mbuf chains: Transmit() takes chains as if_transmit does and turns each into
// descriptors (one per non-empty mbuf, the frame's offload command on the first; a small frame
// is copied into a line-aligned bounce slot and sent with one: "Transmit copybreak" below),
// TxComplete() frees the chains the card has finished with, Receive() hands up the frames the
// card wrote into posted clusters, with the checksum results and VLAN tag in the packet header.
// The shape is that of iflib drivers (ixl, mlx5en): bursts, one doorbell per burst, completions
// found by their phase bit so the fast path never reads a CSR, and no heap allocation on it.
//
// The offload contract is FreeBSD's (../shared/reference/mbuf-semantics.md, section 5):
//
//   transmit  csum_flags CSUM_IP             fill the IPv4 header checksum (ip_sum)
//             CSUM_IP_UDP/TCP, CSUM_IP6_UDP/TCP  fill the L4 checksum at l2hlen + l3hlen +
//                                            csum_data; the stack has seeded the field with the
//                                            pseudo-header sum including the length
//             CSUM_IP_TSO / CSUM_IP6_TSO     segment at tso_segsz; the driver re-seeds th_sum
//                                            with the pseudo-header sum without the length, as
//                                            iflib does
//             M_VLANTAG                      insert the 802.1Q tag ether_vtag (in software: the
//                                            card has no tag insertion)
//   receive   CSUM_L3_CALC|CSUM_L3_VALID     IPv4 header checksum checked and good
//             CSUM_L3_CALC alone             checked and bad (ip_input drops it)
//             CSUM_L4_CALC|CSUM_L4_VALID     TCP/UDP checksum checked and good, csum_data 0xffff
//             (no L4 flag)                   not checked, or checked and bad: the stack checks
//                                            it in software and drops it, as with igb
//             M_VLANTAG, ether_vtag          the frame has an outer VLAN tag (the tag also
//                                            stays in the frame: FreeBSD's ether_input strips
//                                            an in-line tag itself and sets the same ether_vtag)
//
// Header lengths come from m_pkthdr.l2hlen/l3hlen/l4hlen when l2hlen is set, otherwise the
// driver parses Ethernet (up to two VLAN tags), IPv4 or IPv6 (extension headers) and TCP, as
// iflib_parse_header does.  An offload that is off (NicOptions, SetTxOffloads, or missing from
// the card's caps) is done in software: checksums with the host's in_cksum code, TSO with
// mbufnic_sw_tso, each segment sent as its own frame.
//
// Ring memory: each ring is one 16 KiB jumbo cluster of the mbuf runtime (contiguous in bus
// space, 64-byte aligned), which bounds a transmit ring at 512 descriptors and a receive ring at
// 1024 (kMaxTxRingSize, kMaxRxRingSize).
//
// Transmit copybreak: the card reads frame data in whole 64-byte lines, one a cycle, so a small
// frame costs it the lines its bytes touch, not its length: 64 bytes in an mbuf's internal
// storage (byte 96 of the mbuf, half a line in) are two lines, 128 bytes three, and 100 GbE at
// 64- and 128-byte frames needs them packed from a line boundary.  A frame of at most
// tx_copybreak bytes that would cost the card more than that (a chain of several mbufs, one
// buffer touching more lines than its length needs, or storage outside the DMA arena) is copied
// into a line-aligned bounce slot of its queue and sent with one descriptor; the chain is freed
// at once, as Linux drivers with a transmit copybreak do.  The offload command is the frame's
// (TxOffloadCommand, from the packet header before the copy), and the bytes on the wire are the
// same.  Slot i belongs to descriptor index i, so it is written again only after that descriptor
// completed.
//
// Threads: a Nic is driven by one thread at a time (as a FreeBSD queue is serviced under its
// lock); different Nics are independent.
#ifndef MBUFNIC_DRIVER_HPP_
#define MBUFNIC_DRIVER_HPP_

#include <sys/mbuf.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mbufnic/device.hpp"
#include "mbufnic/hw/nic_hw.h"
#include "mbufnic/offload_map.hpp"

namespace mbufnic::driver {

// Raised by the Nic constructor when the card cannot be driven (unknown id, too few queues,
// bad options), with a message a user can act on.
class DriverError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Largest rings: one 16 KiB cluster of 32-byte transmit or 16-byte receive descriptors.
inline constexpr int kMaxTxRingSize = MJUM16BYTES / static_cast<int>(hw::TxDesc::kBytes);
inline constexpr int kMaxRxRingSize = MJUM16BYTES / static_cast<int>(hw::RxDesc::kBytes);
// Largest tx_copybreak: a bounce slot is the threshold rounded up to 64, 128 or 256 bytes, so a
// 512-entry ring takes at most 128 KiB (eight 16 KiB clusters) of bounce memory per queue.
inline constexpr int kMaxTxCopybreak = 256;

struct NicOptions {
  int tx_queues = 1;        // 1 to the card's queues.tx
  int rx_queues = 1;        // 1 to the card's queues.rx
  int tx_ring_size = 512;   // power of two, more than twice the card's tx_max_descs
  int rx_ring_size = 1024;  // power of two, more than the card's rx_max_bufs
  // Receive buffer: MCLBYTES (m_getcl) or MJUMPAGESIZE / MJUM9BYTES / MJUM16BYTES (m_getjcl).
  int rx_buf_size = MCLBYTES;
  // Offloads on the card; off (or missing from the card's caps) means done in software.
  bool tx_csum = true;
  bool tso = true;
  bool rx_csum = true;
  int rx_steer_queue = 0;  // port.ctrl.rx_queue: the receive queue every frame goes to
  // The card's MTU, set through its firmware at attach: the port drops received frames longer
  // than mtu + 18 bytes.  0: the largest the card takes (jumbo frames pass), as ifconfig's
  // `mtu` would set it for a stack that sends them.
  std::uint32_t mtu = 0;
  // Interrupt moderation of every queue (irq.pkts, irq_time.cycles).
  std::uint16_t irq_pkts = 1;
  std::uint32_t irq_cycles = 0;
  int poll_rx_budget = 256;  // frames Poll() takes from one receive queue per call
  // Transmit copybreak (see above): frames of at most this many bytes whose lines or descriptors
  // the card would read more of than their length needs are copied into a line-aligned bounce
  // slot.  0 turns it off (and allocates no bounce memory); at most kMaxTxCopybreak.
  int tx_copybreak = 128;
  // Detach: card cycles to wait for the frames on the transmit rings to complete before the
  // queues are disabled (0: disable at once, dropping them), then cycles to let pass after the
  // disable, for the frame in flight.
  std::uint64_t quiesce_cycles = 200000;
  std::uint64_t drain_cycles = 20000;
};

// Driver-side statistics of one queue (the card keeps its own counters in the txq/rxq blocks).
struct TxQueueStats {
  std::uint64_t packets = 0;  // frames completed without error
  std::uint64_t bytes = 0;    // m_pkthdr.len of those frames (a TSO request counts once)
  std::uint64_t errors = 0;   // error completions, and requests refused before the ring
  // The error completions by their tx_err code (index hw::TxErr: desc_len, desc_count, dma, seg).
  std::array<std::uint64_t, 1u << hw::kTxErrWidth> by_tx_err{};
  std::uint64_t drops = 0;      // chains freed unsent: no memory, nothing to send, too long
  std::uint64_t collapses = 0;  // chains shortened by m_collapse
  std::uint64_t defrags = 0;    // chains copied by m_defrag (or into 16 KiB clusters)
  std::uint64_t sw_csum = 0;    // packets whose checksums the driver computed
  std::uint64_t sw_tso = 0;     // packets segmented by the driver
  std::uint64_t full = 0;       // Transmit calls that stopped at a full ring
  std::uint64_t copies = 0;     // frames sent from a bounce slot (copybreak), chain freed at once
};

struct RxQueueStats {
  std::uint64_t packets = 0;      // frames handed up
  std::uint64_t bytes = 0;        // their bytes
  std::uint64_t errors = 0;       // err_dma and err_desc completions
  std::uint64_t drops = 0;        // frames dropped because no replacement buffer could be had
  std::uint64_t csum_l3_bad = 0;  // IPv4 header checksum checked and wrong
  std::uint64_t csum_l4_bad = 0;  // TCP/UDP checksum checked and wrong
};

// The offload mapping both ways (HeaderLengths, TxHeaderLengths, TxOffloadCommand, RxCsumFlags)
// lives with the software offloads, where OpenNIC's metadata header uses it too; the driver's
// names for it are these.
class AdminQueue;  // <mbufnic/admin.hpp>

using mbufnic::HeaderLengths;
using mbufnic::RxCsumFlags;
using mbufnic::TxHeaderLengths;
using mbufnic::TxOffloadCommand;

class Nic {
 public:
  // Takes ownership of nothing: `dev` must outlive the Nic.  Throws DriverError.
  Nic(device::Device &dev, const NicOptions &options = {});
  // Detaches: waits up to quiesce_cycles for the transmit rings to empty, disables every queue,
  // lets drain_cycles pass, frees every chain, buffer and ring.
  ~Nic();
  Nic(const Nic &) = delete;
  Nic &operator=(const Nic &) = delete;

  // ---- What was found at attach.
  std::uint32_t card_id() const { return card_id_; }
  std::uint32_t caps() const { return caps_; }
  int card_tx_queues() const { return card_txq_; }
  int card_rx_queues() const { return card_rxq_; }
  int tx_max_descs() const { return tx_max_descs_; }
  int rx_max_bufs() const { return rx_max_bufs_; }
  std::uint32_t max_frame() const { return max_frame_; }
  int tx_queues() const { return static_cast<int>(tx_.size()); }
  int rx_queues() const { return static_cast<int>(rx_.size()); }
  // The csum_flags this Nic does on the card for queue q (FreeBSD's if_hwassist); every other
  // supported request is done in software.
  std::uint32_t HwAssist(int q) const;
  // Turns a transmit queue's card offloads on or off (off: software); an offload the card lacks
  // stays off.
  void SetTxOffloads(int q, bool tx_csum, bool tso);

  // ---- Data path.
  // Takes pkts[0..n) in order until the ring is full: each chain is queued (its descriptors
  // written) or, when it cannot be sent, dropped and counted (freed once).  pkts[i] may be
  // replaced on the way (VLAN insertion, a private copy of shared headers, m_collapse /
  // m_defrag); a chain not taken stays the caller's, at pkts[i], and the entries of the chains
  // taken are set to NULL.  Writes the doorbell once.  Returns the number of chains taken.
  int Transmit(int q, struct mbuf **pkts, int n);
  // Frees the chains of every completed frame; returns the frames completed.
  int TxComplete(int q);
  // Up to `max` received frames into out[] (the caller owns them); refills the ring and writes
  // the doorbell once.  Returns the number of frames.
  int Receive(int q, struct mbuf **out, int max);
  // Descriptors free on transmit queue q (a frame needs one per non-empty mbuf).
  int TxFree(int q) const;

  // ---- Interrupts.
  // Arms queue q's interrupt (irq.arm), then looks at its completion ring once more: true when a
  // completion is already waiting (the caller should service the queue again).
  bool ArmTx(int q);
  bool ArmRx(int q);
  // Receives a frame Poll() took off receive queue q; owns it.
  using RxHandler = std::function<void(int q, struct mbuf *m)>;
  // Lets the card run `cycles` cycles, then services the queues whose interrupts came in (and
  // those left pending by the budget last time): transmit completions are freed, received frames
  // go to `handler` (freed when it is empty), at most poll_rx_budget per queue; a queue that was
  // drained is armed again.  Returns the frames received plus transmit frames completed.
  int Poll(std::uint64_t cycles, const RxHandler &handler = {});

  // ---- Statistics.
  const TxQueueStats &tx_stats(int q) const { return tx_[q].stats; }
  const RxQueueStats &rx_stats(int q) const { return rx_[q].stats; }
  // Card-side status of a queue (status register: running, err); a CSR read, not for the fast
  // path.
  std::uint32_t TxQueueStatus(int q);
  std::uint32_t RxQueueStatus(int q);

  // The card's firmware, through the admin queue this Nic brought the card up with
  // (<mbufnic/admin.hpp>): the counters of the card and of transmit queue `txq` and receive
  // queue `rxq` (clear: set the card-wide ones to 0 after the read), and the MTU.
  device::Counters ReadStats(int txq = 0, int rxq = 0, bool clear = false);
  std::uint32_t mtu() const { return mtu_; }
  std::uint32_t mtu_min() const { return mtu_min_; }
  std::uint32_t mtu_max() const { return mtu_max_; }
  void SetMtu(std::uint32_t mtu);
  AdminQueue &admin() { return *admin_; }

 private:
  struct TxQueue {
    struct mbuf *desc_mem = nullptr;  // the clusters holding the rings
    struct mbuf *cpl_mem = nullptr;
    hw::TxDesc *desc = nullptr;
    hw::TxCpl *cpl = nullptr;
    std::vector<struct mbuf *> chains;  // by the index of the frame's last descriptor
    // Copybreak: m_pkthdr.len of a copied frame by its descriptor's index (its chain is already
    // freed; TxComplete counts it from here), 0 elsewhere.
    std::vector<std::uint32_t> copied_len;
    // Bounce slots, one per descriptor index: slot i is the (i & slot_mask)-th run of
    // 1 << slot_shift bytes in cluster i >> cluster_shift.  Empty when copybreak is off.
    std::vector<struct mbuf *> bounce_mem;
    std::vector<std::uint8_t *> bounce_va;
    std::vector<std::uint64_t> bounce_bus;
    int slot_shift = 0;
    int cluster_shift = 0;
    std::uint32_t slot_mask = 0;
    std::uint32_t mask = 0;
    std::uint32_t prod = 0;  // descriptors written (free-running)
    std::uint32_t cons = 0;  // descriptors given back by completions
    std::uint32_t cpl_head = 0;
    bool phase = true;
    bool pending = false;  // Poll: service without waiting for an interrupt
    bool hw_csum = false;
    bool hw_tso = false;
    bool up = false;         // created through the admin queue
    std::uint32_t base = 0;  // CSR block
    TxQueueStats stats;
  };
  struct RxQueue {
    struct mbuf *desc_mem = nullptr;
    struct mbuf *cpl_mem = nullptr;
    hw::RxDesc *desc = nullptr;
    hw::RxCpl *cpl = nullptr;
    std::vector<struct mbuf *> bufs;  // the buffer posted at each index
    std::uint32_t mask = 0;
    std::uint32_t prod = 0;  // buffers posted (free-running)
    std::uint32_t cons = 0;  // buffers completed
    std::uint32_t cpl_head = 0;
    bool phase = true;
    bool pending = false;
    bool up = false;
    std::uint32_t base = 0;
    RxQueueStats stats;
  };
  enum class Enq { kQueued, kDropped, kFull };

  void Attach();
  void Detach();
  void SetUpTx(int q);
  void SetUpRx(int q);
  Enq Enqueue(TxQueue &t, struct mbuf **mp);
  Enq EnqueueSwTso(TxQueue &t, struct mbuf **mp);
  Enq Place(TxQueue &t, struct mbuf **mp, const hw::TxOffloadCmd &cmd);
  bool WantsCopy(const struct mbuf *m) const;
  Enq PlaceCopy(TxQueue &t, struct mbuf **mp, const hw::TxOffloadCmd &cmd);
  struct mbuf *AllocRxBuf(int how);
  void PostRx(RxQueue &r, struct mbuf *m);
  bool TxCplReady(const TxQueue &t) const;
  bool RxCplReady(const RxQueue &r) const;

  device::Device &dev_;
  NicOptions opt_;
  std::unique_ptr<AdminQueue> admin_;
  std::uint32_t mtu_ = 0, mtu_min_ = 0, mtu_max_ = 0;
  std::uint32_t card_id_ = 0;
  std::uint32_t caps_ = 0;
  int card_txq_ = 0;
  int card_rxq_ = 0;
  int tx_max_descs_ = 0;
  int rx_max_bufs_ = 0;
  std::uint32_t max_frame_ = 0;
  std::vector<TxQueue> tx_;
  std::vector<RxQueue> rx_;
};

}  // namespace mbufnic::driver

#endif  // MBUFNIC_DRIVER_HPP_
