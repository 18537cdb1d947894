// OpenNIC's in-band metadata headers (<mbufnic/opennic_meta.hpp>): the byte layout, and the
// mbuf side of it.  The offload contract itself is TxOffloadCommand / RxCsumFlags.
#include "mbufnic/opennic_meta.hpp"

#include <errno.h>
#include <sys/mbuf.h>

#include <algorithm>
#include <cstring>

#include "mbufnic/offload_map.hpp"

namespace mbufnic::opennic {

Meta EncodeTxMeta(const hw::TxOffloadCmd &cmd) {
  hw::OpennicTxMeta h{};
  h.set_magic(hw::OpennicMagic::kMeta)
      .set_version(hw::OpennicVersion::kV1)
      .set_kind(hw::OpennicKind::kTx)
      .set_cmd(cmd);
  return h.bytes;
}

int BuildTxMeta(const struct mbuf *m, Meta *out) {
  hw::TxOffloadCmd cmd;
  if (const int err = TxOffloadCommand(m, &cmd); err != 0) return err;
  *out = EncodeTxMeta(cmd);
  return 0;
}

int PrependTxMeta(struct mbuf **mp, int how) {
  // The command comes from the frame as it is: its length and, when l2hlen is 0, its headers.
  Meta meta;
  if (const int err = BuildTxMeta(*mp, &meta); err != 0) return err;
  M_PREPEND(*mp, static_cast<int>(kMetaBytes), how);
  if (*mp == nullptr) return ENOBUFS;
  // M_PREPEND leaves the header's bytes in the first mbuf (kMetaBytes < MHLEN).
  std::memcpy(mtod(*mp, std::uint8_t *), meta.data(), kMetaBytes);
  return 0;
}

Meta EncodeRxMeta(std::uint16_t frame_len, const hw::RxCsumResult &result) {
  hw::OpennicRxMeta h{};
  h.set_magic(hw::OpennicMagic::kMeta)
      .set_version(hw::OpennicVersion::kV1)
      .set_kind(hw::OpennicKind::kRx)
      .set_frame_len(frame_len)
      .set_result(result);
  return h.bytes;
}

bool ParseRxMeta(std::span<const std::uint8_t> bytes, RxMeta *out) {
  if (bytes.size() < kMetaBytes) return false;
  hw::OpennicRxMeta h;
  std::copy_n(bytes.begin(), kMetaBytes, h.bytes.begin());
  if (h.magic() != hw::OpennicMagic::kMeta || h.version() != hw::OpennicVersion::kV1 ||
      h.kind() != hw::OpennicKind::kRx) {
    return false;
  }
  out->frame_len = h.frame_len();
  out->result = h.result();
  return true;
}

int StripRxMeta(struct mbuf *m) {
  if (m == nullptr || (m->m_flags & M_PKTHDR) == 0) return EINVAL;
  Meta meta;
  if (CopyPrefix(m, meta.data(), static_cast<int>(kMetaBytes)) != static_cast<int>(kMetaBytes)) {
    return EINVAL;
  }
  RxMeta rx;
  if (!ParseRxMeta(meta, &rx) ||
      static_cast<int>(rx.frame_len) + static_cast<int>(kMetaBytes) != m->m_pkthdr.len) {
    return EINVAL;
  }
  m_adj(m, static_cast<int>(kMetaBytes));
  std::uint32_t data = 0;
  m->m_pkthdr.csum_flags = RxCsumFlags(rx.result, &data);
  m->m_pkthdr.csum_data = data;
  return 0;
}

}  // namespace mbufnic::opennic
