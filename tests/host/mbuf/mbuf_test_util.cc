#include "mbuf_test_util.h"

#include <gtest/gtest.h>
#include <sys/systm.h>

#include <algorithm>
#include <string>

namespace mbufnic::test {

Bytes Slice(const Bytes &b, size_t off, size_t len) {
  return Bytes(b.begin() + off, b.begin() + off + len);
}

Bytes Cat(Bytes a, const Bytes &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

bool AllWritable(const struct mbuf *m) {
  for (; m; m = m->m_next)
    if (!M_WRITABLE(m)) return false;
  return true;
}

bool InChain(const struct mbuf *m, const struct mbuf *n) {
  for (; m; m = m->m_next)
    if (m == n) return true;
  return false;
}

std::vector<uint8_t> Pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    v[i] = static_cast<uint8_t>((x >> 16) ^ i);
  }
  return v;
}

struct mbuf *MakeChain(const std::vector<uint8_t> &bytes, const std::vector<int> &sizes,
                       bool pkthdr, Storage storage) {
  struct mbuf *head = nullptr, *tail = nullptr;
  size_t off = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const bool first = (i == 0);
    const int flags = (first && pkthdr) ? M_PKTHDR : 0;
    struct mbuf *m = nullptr;
    switch (storage) {
      case Storage::kInternal:
        m = flags ? m_gethdr(M_WAITOK, MT_DATA) : m_get(M_WAITOK, MT_DATA);
        break;
      case Storage::kCluster:
        m = flags ? m_gethdr(M_WAITOK, MT_DATA) : m_get(M_WAITOK, MT_DATA);
        EXPECT_NE(m_clget(m, M_WAITOK), 0);
        break;
      case Storage::kPacket:
        m = m_getcl(M_WAITOK, MT_DATA, flags);
        break;
    }
    EXPECT_NE(m, nullptr);
    // A size that does not fit is a broken test: report it and truncate rather than overrun.
    const int fit = std::min(sizes[i], static_cast<int>(M_TRAILINGSPACE(m)));
    EXPECT_EQ(fit, sizes[i]) << "segment " << i << " does not fit";
    if (fit > 0) memcpy(mtod(m, char *), bytes.data() + off, fit);
    m->m_len = fit;
    off += sizes[i];
    if (tail)
      tail->m_next = m;
    else
      head = m;
    tail = m;
  }
  EXPECT_EQ(off, bytes.size()) << "segment sizes do not add up";
  if (head && pkthdr) head->m_pkthdr.len = static_cast<int>(off);
  return head;
}

std::vector<uint8_t> Flatten(const struct mbuf *m) {
  int len = 0;
  for (const struct mbuf *n = m; n; n = n->m_next) len += n->m_len;
  std::vector<uint8_t> v(len);
  if (len) m_copydata(m, 0, len, reinterpret_cast<caddr_t>(v.data()));
  return v;
}

int ChainCount(const struct mbuf *m) {
  int n = 0;
  for (; m; m = m->m_next) ++n;
  return n;
}

ZoneUsage ZoneUsage::Now() {
  ZoneUsage u;
  for (int z = 0; z < MBUFNIC_ZONE_COUNT; ++z) {
    struct mbufnic_zone_stats st {};
    mbufnic_zone_get_stats(static_cast<mbufnic_zone_id>(z), &st);
    u.used[z] = st.used;
  }
  u.tags = mbufnic_tags_in_use();
  return u;
}

LeakCheck::LeakCheck() : before_(ZoneUsage::Now()) {}

LeakCheck::~LeakCheck() {
  const ZoneUsage after = ZoneUsage::Now();
  static const char *const kNames[] = {"mbuf", "cluster", "packet", "jumbop", "jumbo9", "jumbo16"};
  for (int z = 0; z < MBUFNIC_ZONE_COUNT; ++z)
    EXPECT_EQ(before_.used[z], after.used[z]) << "items in use changed in zone " << kNames[z];
  EXPECT_EQ(before_.tags, after.tags) << "tags in use changed";
}

}  // namespace mbufnic::test
