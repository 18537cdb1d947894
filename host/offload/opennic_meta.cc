// OpenNIC's in-band metadata headers (<mbufnic/opennic_meta.hpp>): the byte layout, and the
// mbuf side of it.  The offload contract itself is TxOffloadCommand / RxCsumFlags.
#include "mbufnic/opennic_meta.hpp"

#include <errno.h>
#include <sys/mbuf.h>

#include <algorithm>
#include <cstring>

#include "mbufnic/offload_map.hpp"

namespace mbufnic::opennic {
namespace {

Meta Start(std::uint8_t kind) {
  Meta m{};
  m[kMagicOffset] = kMetaMagic;
  m[kVersionOffset] = kMetaVersion;
  m[kKindOffset] = kind;
  return m;
}

static_assert(kTxCmdOffset + hw::TxOffloadCmd::kBytes <= kMetaBytes);
static_assert(kRxResultOffset + hw::RxCsumResult::kBytes <= kMetaBytes);

}  // namespace

Meta EncodeTxMeta(const hw::TxOffloadCmd &cmd) {
  Meta m = Start(kMetaKindTx);
  std::copy(cmd.bytes.begin(), cmd.bytes.end(), m.begin() + kTxCmdOffset);
  return m;
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
  Meta m = Start(kMetaKindRx);
  m[kRxLenOffset] = static_cast<std::uint8_t>(frame_len);
  m[kRxLenOffset + 1] = static_cast<std::uint8_t>(frame_len >> 8);
  std::copy(result.bytes.begin(), result.bytes.end(), m.begin() + kRxResultOffset);
  return m;
}

bool ParseRxMeta(std::span<const std::uint8_t> bytes, RxMeta *out) {
  if (bytes.size() < kMetaBytes || bytes[kMagicOffset] != kMetaMagic ||
      bytes[kVersionOffset] != kMetaVersion || bytes[kKindOffset] != kMetaKindRx) {
    return false;
  }
  out->frame_len = static_cast<std::uint16_t>(bytes[kRxLenOffset] | bytes[kRxLenOffset + 1] << 8);
  std::copy_n(bytes.begin() + kRxResultOffset, hw::RxCsumResult::kBytes, out->result.bytes.begin());
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
