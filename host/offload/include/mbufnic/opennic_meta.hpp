// OpenNIC's in-band metadata headers: how the offload command reaches the card, and the receive
// checksum verdict comes back, when the card is the offload pipeline in OpenNIC shell's
// box_250mhz (rtl/opennic, docs/opennic.md).
//
// OpenNIC's QDMA streaming path has no descriptor field the host can fill per packet, so the
// host puts a 32-byte header in front of every frame it sends, and the card puts one in front
// of every frame it receives.  Both start with the same three bytes (magic, version, kind), so
// a buffer says what it is:
//
//   transmit (host -> card)            receive (card -> host)
//   0      magic 0x4D                  0      magic 0x4D
//   1      version 1                   1      version 1
//   2      kind 1 (transmit)           2      kind 2 (receive)
//   3..15  0                           3      0
//   16..31 tx_offload_cmd, the bytes   4..5   frame length after the header, little-endian
//          of hw::TxOffloadCmd (the    6..7   0
//          descriptor's cmd field)     8..15  rx_csum_result, the bytes of hw::RxCsumResult
//                                      16..31 0
//
// The layouts are opennic_tx_meta and opennic_rx_meta in hw/nic.toml (hw::OpennicTxMeta,
// hw::OpennicRxMeta here; nic_hw_pkg::opennic_tx_meta_t, opennic_rx_meta_t in the RTL).  The
// command and the result in them are exactly the descriptor-ring card's, and they are made and
// read by the same functions (<mbufnic/offload_map.hpp>), so a packet asks the OpenNIC card for
// what it would ask the descriptor-ring card, and gets the same flags back.
#ifndef MBUFNIC_OPENNIC_META_HPP_
#define MBUFNIC_OPENNIC_META_HPP_

#include <sys/mbuf.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "mbufnic/hw/nic_hw.h"

namespace mbufnic::opennic {

// Both headers are this long.
inline constexpr std::size_t kMetaBytes = hw::OpennicTxMeta::kBytes;
static_assert(hw::OpennicRxMeta::kBytes == kMetaBytes);

using Meta = std::array<std::uint8_t, kMetaBytes>;

// The transmit header carrying `cmd`.
Meta EncodeTxMeta(const hw::TxOffloadCmd &cmd);

// The transmit header for packet m (a packet header chain holding the frame as the card must
// send it), from its m_pkthdr offload fields through TxOffloadCommand.  0, or EINVAL when the
// request is one the card cannot express (*out then untouched).
int BuildTxMeta(const struct mbuf *m, Meta *out);

// Puts BuildTxMeta's header in front of *mp with M_PREPEND (m_pkthdr.len grows by 32).  The frame
// must already be what the card is to send, as for the descriptor rings: VLAN tag inserted
// (ether_vlanencap), a TSO request's th_sum seeded with the pseudo-header sum without the
// length.  0; EINVAL when the request cannot be expressed (chain untouched); ENOBUFS when
// M_PREPEND ran out of mbufs (the chain is then freed and *mp is NULL, as M_PREPEND does).
int PrependTxMeta(struct mbuf **mp, int how = M_NOWAIT);

// A receive header as the card writes it, for a frame of `frame_len` bytes.
Meta EncodeRxMeta(std::uint16_t frame_len, const hw::RxCsumResult &result);

struct RxMeta {
  std::uint16_t frame_len = 0;
  hw::RxCsumResult result{};
};

// Reads a receive header: false when `bytes` is shorter than a header or its magic, version or
// kind is not a receive header's.
bool ParseRxMeta(std::span<const std::uint8_t> bytes, RxMeta *out);

// What the driver does with a completion, for a frame the card wrote with its receive header in
// front: reads the header, removes it (m_adj) and sets csum_flags and csum_data from its result
// with RxCsumFlags.  0; EINVAL when the chain does not start with a receive header or its length
// disagrees with m_pkthdr.len (chain untouched).
int StripRxMeta(struct mbuf *m);

}  // namespace mbufnic::opennic

#endif  // MBUFNIC_OPENNIC_META_HPP_
