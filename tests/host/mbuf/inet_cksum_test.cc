// The Internet checksum: every implementation the CPU offers against a byte-at-a-time reference,
// directed carry cases, chains with odd segments, and FreeBSD's in_cksum family on real headers.
#include <gtest/gtest.h>
#include <machine/in_cksum.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/cksum.h"

namespace mbufnic::test {
namespace {

// RFC 1071 by the book: 16-bit big-endian words, end-around carry, returned in network order
// as a host integer (so 0x1234 means bytes 12 34).
uint16_t Reference(const uint8_t *p, size_t n, uint32_t seed_net = 0) {
  uint64_t s = seed_net;
  for (size_t i = 0; i + 1 < n; i += 2) s += (p[i] << 8) | p[i + 1];
  if (n & 1) s += p[n - 1] << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}
// Our sums are in memory order: read the two bytes back as network order.
uint16_t AsNet(uint16_t mem) { return ntohs(mem); }

class CksumImpl : public ::testing::TestWithParam<const char *> {
 protected:
  void SetUp() override {
    saved_ = mbufnic_cksum_impl();
    if (mbufnic_cksum_select(GetParam()) != 0)
      GTEST_SKIP() << "this CPU has no " << GetParam() << " unit";
  }
  void TearDown() override { mbufnic_cksum_select(saved_.c_str()); }
  std::string saved_;
};

TEST_P(CksumImpl, MatchesTheReferenceForEveryLengthAndAlignment) {
  const auto buf = Pattern(2048 + 64, 3);
  for (size_t align = 0; align < 8; ++align)
    for (size_t n = 0; n <= 2048; ++n)
      ASSERT_EQ(AsNet(mbufnic_cksum_raw(buf.data() + align, n, 0)),
                Reference(buf.data() + align, n))
          << GetParam() << " len " << n << " align " << align;
}

TEST_P(CksumImpl, LargeBuffersAndCarryCorners) {
  for (size_t n : {65536ul, 65537ul, 1ul << 20, (1ul << 20) + 3}) {
    const auto buf = Pattern(n, static_cast<uint32_t>(n));
    EXPECT_EQ(AsNet(mbufnic_cksum_raw(buf.data(), n, 0)), Reference(buf.data(), n)) << n;
  }
  // All ones: every addition carries; the sum of any number of 0xffff words is 0xffff.
  for (size_t n : {2ul, 64ul, 1500ul, 9000ul, 65536ul, 4ul << 20}) {
    std::vector<uint8_t> ff(n, 0xff);
    EXPECT_EQ(mbufnic_cksum_raw(ff.data(), n, 0), 0xffff) << n;
  }
  // The end-around carry must ripple: ffff + ffff + 0001 = 1:ffff -> 0001 (checksum ~0001 = fffe).
  const uint8_t carry[] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x01};
  EXPECT_EQ(AsNet(mbufnic_cksum_raw(carry, sizeof carry, 0)), Reference(carry, sizeof carry));
  EXPECT_EQ(Reference(carry, sizeof carry), 0x0001);
  const uint8_t fe[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
  EXPECT_EQ(AsNet(mbufnic_cksum_raw(fe, sizeof fe, 0)), 0xfffe);
  // A seed adds in.
  const auto b = Pattern(100);
  EXPECT_EQ(AsNet(mbufnic_cksum_raw(b.data(), b.size(), htons(0x1234))),
            Reference(b.data(), b.size(), 0x1234));
}

TEST_P(CksumImpl, ChainsWithOddAndEmptySegments) {
  LeakCheck leaks;
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<int> sizes;
    int total = 0;
    const int nseg = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < nseg; ++i) {
      const int room = i == 0 ? MHLEN : MLEN;  // the head has a packet header
      const int s = static_cast<int>(rng() % 5 == 0 ? 0 : rng() % (room + 1));
      sizes.push_back(s);
      total += s;
    }
    const auto bytes = Pattern(total, trial);
    struct mbuf *m = MakeChain(bytes, sizes);
    const int off = total ? static_cast<int>(rng() % total) : 0;
    const int len = total - off ? static_cast<int>(rng() % (total - off + 1)) : 0;
    EXPECT_EQ(AsNet(mbufnic_cksum_mbuf(m, off, len, 0)), Reference(bytes.data() + off, len))
        << "trial " << trial;
    // FreeBSD's in_cksum_skip sums [skip, len) and complements.
    EXPECT_EQ(AsNet(in_cksum_skip(m, off + len, off)),
              static_cast<uint16_t>(~Reference(bytes.data() + off, len)));
    m_freem(m);
  }
}

INSTANTIATE_TEST_SUITE_P(All, CksumImpl, ::testing::Values("scalar", "sse2", "avx2", "avx512bw", "avx512vnni"),
                         [](const auto &info) { return std::string(info.param); });

TEST(Cksum, Ipv4HeaderKnownValue) {
  // The header of a real capture: 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7.
  uint8_t hdr[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                     0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  const auto *ip = reinterpret_cast<const struct ip *>(hdr);
  const uint16_t sum = static_cast<uint16_t>(in_cksum_hdr(ip));
  EXPECT_EQ(ntohs(sum), 0xb861);
  std::memcpy(hdr + 10, &sum, 2);
  EXPECT_EQ(in_cksum_hdr(ip), 0u);  // a correct header sums to zero
  EXPECT_NE(mbufnic_cksum_impl(), nullptr);
}

TEST(Cksum, InPseudoAndAddword) {
  // in_pseudo folds three 32-bit network-order words without complementing.
  const uint32_t src = htonl(0x0a000001), dst = htonl(0x0a000002);
  const uint16_t len_proto = htons(20 + IPPROTO_TCP);
  uint32_t ref = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 20 + IPPROTO_TCP;
  while (ref >> 16) ref = (ref & 0xffff) + (ref >> 16);
  EXPECT_EQ(ntohs(in_pseudo(src, dst, len_proto)), ref);
  EXPECT_EQ(in_addword(0xffff, 0x0001), 0x0001);
  EXPECT_EQ(in_addword(0x8000, 0x8000), 0x0001);
  EXPECT_EQ(in_pseudo(0xffffffffu, 0xffffffffu, 0xffffffffu), 0xffff);
}

}  // namespace
}  // namespace mbufnic::test
