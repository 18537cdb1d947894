// mbuf-semantics.md 3.4 (m_move_pkthdr, m_dup_pkthdr, m_demote, m_demote_pkthdr, m_fixhdr,
// m_length, m_sanity) and 3.8 (mbuf_tags(9)).  Every case runs under a LeakCheck, which also
// counts tags, so a tag leaked or freed twice fails the test.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

using Bytes = std::vector<uint8_t>;

class SemPkthdrTags : public ::testing::Test {
 protected:
  void SetUp() override { mbufnic_fault_reset(); }
  void TearDown() override { mbufnic_fault_reset(); }
  LeakCheck leaks_;
};

struct ifnet *FakeIfp(uintptr_t v) { return reinterpret_cast<struct ifnet *>(v); }

struct m_tag *AddTag(struct mbuf *m, uint32_t cookie, uint16_t type, int len, uint8_t fill) {
  struct m_tag *t = m_tag_alloc(cookie, type, len, M_WAITOK);
  EXPECT_NE(t, nullptr);
  if (t == nullptr) return nullptr;
  memset(t + 1, fill, len);
  m_tag_prepend(m, t);
  return t;
}
std::vector<struct m_tag *> Tags(struct mbuf *m) {
  std::vector<struct m_tag *> v;
  for (struct m_tag *t = m_tag_first(m); t; t = m_tag_next(m, t)) v.push_back(t);
  return v;
}
struct TagKey {
  uint32_t cookie;
  uint16_t id;
  uint16_t len;
  uint8_t first;
  bool operator==(const TagKey &) const = default;
};
std::vector<TagKey> Keys(struct mbuf *m) {
  std::vector<TagKey> v;
  for (struct m_tag *t : Tags(m))
    v.push_back({t->m_tag_cookie, t->m_tag_id, t->m_tag_len,
                 t->m_tag_len ? reinterpret_cast<uint8_t *>(t + 1)[0] : uint8_t{0}});
  return v;
}
void FillHeader(struct mbuf *m) {
  m->m_pkthdr.rcvif = FakeIfp(0x5000);
  m->m_pkthdr.flowid = 0xF10;
  m->m_pkthdr.csum_flags = CSUM_IP | CSUM_TCP;
  m->m_pkthdr.csum_data = 0xFFFF;
  m->m_pkthdr.ether_vtag = 42;
  m->m_pkthdr.fibnum = 3;
  M_HASHTYPE_SET(m, M_HASHTYPE_RSS_TCP_IPV4);
}

// ---------------------------------------------------------------------------------------------
// m_move_pkthdr / M_MOVE_PKTHDR
// ---------------------------------------------------------------------------------------------

TEST_F(SemPkthdrTags, MovePkthdrMovesHeaderFlagsAndTags) {
  struct mbuf *from = MakeChain(Pattern(100), {100});
  FillHeader(from);
  from->m_flags |= M_BCAST | M_VLANTAG | M_PROTO1 | M_EOR;
  AddTag(from, 1, 10, 4, 0xA1);
  AddTag(from, 2, 20, 8, 0xB2);
  const auto keys = Keys(from);
  const auto ptrs = Tags(from);
  const uint64_t tags0 = mbufnic_tags_in_use();
  struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
  to->m_flags |= M_MCAST;  // replaced, not merged
  to->m_data += 8;
  m_move_pkthdr(to, from);
  EXPECT_EQ(to->m_flags, static_cast<uint32_t>(M_PKTHDR | M_BCAST | M_VLANTAG | M_PROTO1 | M_EOR));
  EXPECT_EQ(to->m_data, to->m_pktdat);  // no M_EXT: reset to m_pktdat
  EXPECT_EQ(to->m_pkthdr.len, 100);
  EXPECT_EQ(to->m_pkthdr.rcvif, FakeIfp(0x5000));
  EXPECT_EQ(to->m_pkthdr.flowid, 0xF10u);
  EXPECT_EQ(to->m_pkthdr.csum_flags, static_cast<uint32_t>(CSUM_IP | CSUM_TCP));
  EXPECT_EQ(to->m_pkthdr.csum_data, 0xFFFFu);
  EXPECT_EQ(to->m_pkthdr.ether_vtag, 42);
  EXPECT_EQ(Tags(to), ptrs);  // the same tags, moved
  EXPECT_EQ(Keys(to), keys);
  EXPECT_EQ(mbufnic_tags_in_use(), tags0);
  EXPECT_FALSE(from->m_flags & M_PKTHDR);
  EXPECT_TRUE(SLIST_EMPTY(&from->m_pkthdr.tags));
  m_freem(to);
  m_freem(from);
}

TEST_F(SemPkthdrTags, MovePkthdrKeepsExtOfDestination) {
  struct mbuf *from = MakeChain(Pattern(100), {100}, true, Storage::kCluster);
  from->m_flags |= M_RDONLY;  // M_RDONLY is in M_COPYFLAGS
  struct mbuf *to = m_getcl(M_WAITOK, MT_DATA, 0);
  caddr_t d = to->m_data;
  M_MOVE_PKTHDR(to, from);
  EXPECT_TRUE(to->m_flags & M_EXT);
  EXPECT_TRUE(to->m_flags & M_PKTHDR);
  EXPECT_TRUE(to->m_flags & M_RDONLY);
  EXPECT_EQ(to->m_data, d);  // M_EXT: data pointer unchanged
  EXPECT_EQ(to->m_ext.ext_type, EXT_PACKET);
  EXPECT_EQ(to->m_pkthdr.len, 100);
  EXPECT_TRUE(from->m_flags & M_EXT);  // from keeps its storage flags
  EXPECT_FALSE(from->m_flags & M_PKTHDR);
  to->m_flags &= ~M_RDONLY;
  from->m_flags &= ~M_RDONLY;
  m_freem(to);
  m_freem(from);
}

// ---------------------------------------------------------------------------------------------
// m_dup_pkthdr
// ---------------------------------------------------------------------------------------------

TEST_F(SemPkthdrTags, DupPkthdrDeepCopiesTagsInOrder) {
  struct mbuf *from = MakeChain(Pattern(100), {100});
  FillHeader(from);
  from->m_flags |= M_MCAST | M_PROTO3;
  AddTag(from, 1, 10, 4, 0xA1);
  AddTag(from, 2, 20, 8, 0xB2);
  AddTag(from, 3, 30, 0, 0);
  const uint64_t tags0 = mbufnic_tags_in_use();
  struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
  EXPECT_EQ(m_dup_pkthdr(to, from, M_NOWAIT), 1);
  EXPECT_EQ(to->m_flags, static_cast<uint32_t>(M_PKTHDR | M_MCAST | M_PROTO3));
  EXPECT_EQ(to->m_data, to->m_pktdat);
  EXPECT_EQ(to->m_pkthdr.len, 100);
  EXPECT_EQ(to->m_pkthdr.flowid, 0xF10u);
  EXPECT_EQ(to->m_pkthdr.rcvif, FakeIfp(0x5000));
  EXPECT_EQ(Keys(to), Keys(from));  // same order, same payloads
  const auto a = Tags(to), b = Tags(from);
  ASSERT_EQ(a.size(), 3u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NE(a[i], b[i]);
  EXPECT_EQ(mbufnic_tags_in_use(), tags0 + 3);
  EXPECT_TRUE(from->m_flags & M_PKTHDR);  // from is untouched
  EXPECT_EQ(Tags(from), b);
  memset(b[1] + 1, 0, b[1]->m_tag_len);  // independent payloads
  EXPECT_NE(Keys(to), Keys(from));
  m_freem(to);
  m_freem(from);
}

TEST_F(SemPkthdrTags, DupPkthdrIntoClusterKeepsData) {
  struct mbuf *from = MakeChain(Pattern(10), {10});
  struct mbuf *to = m_getcl(M_WAITOK, MT_DATA, M_PKTHDR);
  caddr_t d = to->m_data;
  EXPECT_EQ(m_dup_pkthdr(to, from, M_NOWAIT), 1);
  EXPECT_TRUE(to->m_flags & M_EXT);
  EXPECT_EQ(to->m_data, d);
  m_freem(to);
  m_freem(from);
}

TEST_F(SemPkthdrTags, DupPkthdrFailureReturnsZeroWithNoTags) {
  struct mbuf *from = MakeChain(Pattern(100), {100});
  AddTag(from, 1, 10, 4, 0xA1);
  AddTag(from, 2, 20, 8, 0xB2);
  AddTag(from, 3, 30, 8, 0xC3);
  for (uint64_t nth = 1; nth <= 3; ++nth) {
    const uint64_t tags0 = mbufnic_tags_in_use();
    struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
    mbufnic_fault_fail_nth(nth);
    EXPECT_EQ(m_dup_pkthdr(to, from, M_NOWAIT), 0) << nth;
    mbufnic_fault_reset();
    EXPECT_TRUE(to->m_flags & M_PKTHDR);
    EXPECT_TRUE(SLIST_EMPTY(&to->m_pkthdr.tags)) << nth;
    EXPECT_EQ(mbufnic_tags_in_use(), tags0) << "partial tag copies must be freed";
    EXPECT_EQ(Tags(from).size(), 3u);
    m_freem(to);
  }
  m_freem(from);
}

// ---------------------------------------------------------------------------------------------
// m_demote_pkthdr, m_demote
// ---------------------------------------------------------------------------------------------

TEST_F(SemPkthdrTags, DemotePkthdrDeletesTagsAndZeroesHeader) {
  const uint64_t tags0 = mbufnic_tags_in_use();
  struct mbuf *m = MakeChain(Pattern(100), {100});
  FillHeader(m);
  m->m_flags |= M_BCAST;
  AddTag(m, 1, 1, 4, 0);
  AddTag(m, 1, 2, 4, 0);
  m_demote_pkthdr(m);
  EXPECT_FALSE(m->m_flags & M_PKTHDR);
  EXPECT_TRUE(m->m_flags & M_BCAST);  // only M_PKTHDR is cleared here
  EXPECT_EQ(mbufnic_tags_in_use(), tags0);
  EXPECT_TRUE(SLIST_EMPTY(&m->m_pkthdr.tags));
  EXPECT_EQ(m->m_pkthdr.len, 0);
  EXPECT_EQ(m->m_pkthdr.rcvif, nullptr);
  EXPECT_EQ(m->m_pkthdr.flowid, 0u);
  EXPECT_EQ(m->m_pkthdr.csum_flags, 0u);
  EXPECT_EQ(m->m_pkthdr.rsstype, 0);
  EXPECT_EQ(m->m_len, 100);
  m_freem(m);
}

TEST_F(SemPkthdrTags, DemoteAllKeepsOnlyDemoteFlagsAndGivenFlags) {
  const uint64_t tags0 = mbufnic_tags_in_use();
  struct mbuf *m = MakeChain(Pattern(300), {100, 100, 100}, true, Storage::kCluster);
  m->m_flags |= M_BCAST | M_PROTO1 | M_PROTO2;
  m->m_next->m_flags |= M_EOR | M_PROTO1;
  m->m_next->m_next->m_flags |= M_RDONLY | M_MCAST;
  AddTag(m, 1, 1, 4, 0);
  m_demote(m, 1, M_PROTO1);
  EXPECT_EQ(m->m_flags, static_cast<uint32_t>(M_EXT | M_PROTO1));
  EXPECT_EQ(m->m_next->m_flags, static_cast<uint32_t>(M_EXT | M_PROTO1));
  EXPECT_EQ(m->m_next->m_next->m_flags, static_cast<uint32_t>(M_EXT | M_RDONLY));
  EXPECT_EQ(mbufnic_tags_in_use(), tags0);
  m->m_next->m_next->m_flags &= ~M_RDONLY;
  m_freem(m);
}

TEST_F(SemPkthdrTags, DemoteNotAllSkipsHead) {
  struct mbuf *m = MakeChain(Pattern(200), {100, 100});
  m->m_flags |= M_BCAST;
  AddTag(m, 1, 1, 4, 0);
  struct mbuf *n = MakeChain(Pattern(50), {50});  // a second header linked after the head
  AddTag(n, 2, 2, 4, 0);
  n->m_flags |= M_MCAST;
  m->m_next->m_next = n;
  m->m_next->m_flags |= M_EOR;
  m_demote(m, 0, 0);
  EXPECT_EQ(m->m_flags, static_cast<uint32_t>(M_PKTHDR | M_BCAST));
  EXPECT_EQ(Tags(m).size(), 1u);
  EXPECT_EQ(m->m_next->m_flags, 0u);
  EXPECT_EQ(n->m_flags, 0u);
  EXPECT_FALSE(n->m_flags & M_PKTHDR);
  m_fixhdr(m);
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

TEST_F(SemPkthdrTags, DemoteWithNextpktPanics) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        struct mbuf *m = MakeChain(Pattern(100), {50, 50});
        struct mbuf *other = m_gethdr(M_WAITOK, MT_DATA);
        m->m_next->m_nextpkt = other;
        m_demote(m, 1, 0);
      },
      "panic");
}

// ---------------------------------------------------------------------------------------------
// m_fixhdr, m_length
// ---------------------------------------------------------------------------------------------

TEST_F(SemPkthdrTags, FixhdrSetsLenFromChain) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 0, 200});
  m->m_pkthdr.len = 5;
  EXPECT_EQ(m_fixhdr(m), 300u);
  EXPECT_EQ(m->m_pkthdr.len, 300);
  m->m_next->m_next->m_len = 150;
  EXPECT_EQ(m_fixhdr(m), 250u);
  EXPECT_EQ(m->m_pkthdr.len, 250);
  m_freem(m);
}

TEST_F(SemPkthdrTags, LengthReturnsSumAndLast) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 0, 200, 0}, false);
  struct mbuf *last = nullptr;
  EXPECT_EQ(m_length(m, &last), 300u);
  EXPECT_EQ(last, m->m_next->m_next->m_next);  // the last mbuf, even if empty
  EXPECT_EQ(m_length(m, nullptr), 300u);
  last = m;
  EXPECT_EQ(m_length(nullptr, &last), 0u);
  EXPECT_EQ(last, nullptr);
  struct mbuf *one = m_get(M_WAITOK, MT_DATA);
  EXPECT_EQ(m_length(one, &last), 0u);
  EXPECT_EQ(last, one);
  m_freem(one);
  m_freem(m);
}

// ---------------------------------------------------------------------------------------------
// m_sanity
// ---------------------------------------------------------------------------------------------

TEST_F(SemPkthdrTags, SanityAcceptsSaneChains) {
  struct mbuf *m = MakeChain(Pattern(3000), {1000, 0, 2000}, true, Storage::kCluster);
  AddTag(m, 1, 1, 4, 0);
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
  m = MakeChain(Pattern(300), {100, 200}, false);
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

TEST_F(SemPkthdrTags, SanityRejectsWrongPkthdrLen) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 200});
  m->m_pkthdr.len = 299;
  EXPECT_EQ(m_sanity(m, 0), 0);
  m->m_pkthdr.len = 300;
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

TEST_F(SemPkthdrTags, SanityRejectsLenPastBuffer) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 200});
  m->m_next->m_len = MLEN + 1;
  m->m_pkthdr.len = 100 + MLEN + 1;
  EXPECT_EQ(m_sanity(m, 0), 0);
  m->m_next->m_len = 200;
  m->m_pkthdr.len = 300;
  m->m_next->m_data += MLEN - 100;  // data in range, but data + len past the end
  EXPECT_EQ(m_sanity(m, 0), 0);
  m->m_next->m_data -= MLEN - 100;
  EXPECT_EQ(m_sanity(m, 0), 1);
  m_freem(m);
}

TEST_F(SemPkthdrTags, SanityRejectsDataOutsideBuffer) {
  struct mbuf *m = MakeChain(Pattern(100), {100}, true, Storage::kCluster);
  caddr_t d = m->m_data;
  m->m_data = d - 1;
  EXPECT_EQ(m_sanity(m, 0), 0);
  m->m_data = d;
  m_freem(m);
}

TEST_F(SemPkthdrTags, SanityRejectsPkthdrOrNextpktOffHead) {
  // Cluster storage, so that setting M_PKTHDR does not move M_START (only that rule fires).
  struct mbuf *m = MakeChain(Pattern(300), {100, 200}, true, Storage::kCluster);
  m->m_next->m_flags |= M_PKTHDR;
  EXPECT_EQ(m_sanity(m, 0), 0);
  m->m_next->m_flags &= ~M_PKTHDR;
  struct mbuf *other = m_gethdr(M_WAITOK, MT_DATA);
  m->m_next->m_nextpkt = other;
  EXPECT_EQ(m_sanity(m, 0), 0);
  m->m_next->m_nextpkt = nullptr;
  m->m_nextpkt = other;  // allowed on the head
  EXPECT_EQ(m_sanity(m, 0), 1);
  m->m_nextpkt = nullptr;
  m_freem(other);
  m_freem(m);
}

// ---------------------------------------------------------------------------------------------
// mbuf_tags(9)
// ---------------------------------------------------------------------------------------------

TEST_F(SemPkthdrTags, TagAllocBasics) {
  EXPECT_EQ(m_tag_alloc(1, 1, -1, M_NOWAIT), nullptr);
  const uint64_t tags0 = mbufnic_tags_in_use();
  struct m_tag *t = m_tag_alloc(0xC00C1E, 77, 24, M_NOWAIT);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->m_tag_cookie, 0xC00C1Eu);
  EXPECT_EQ(t->m_tag_id, 77);
  EXPECT_EQ(t->m_tag_len, 24);
  EXPECT_NE(t->m_tag_free, nullptr);
  memset(t + 1, 0xEE, 24);  // the payload follows the header
  EXPECT_EQ(mbufnic_tags_in_use(), tags0 + 1);
  m_tag_free(t);
  EXPECT_EQ(mbufnic_tags_in_use(), tags0);
  t = m_tag_alloc(1, 1, 0, M_NOWAIT);  // empty payload is fine
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->m_tag_len, 0);
  m_tag_free(t);
}

TEST_F(SemPkthdrTags, TagAllocFailureReturnsNull) {
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_tag_alloc(1, 1, 8, M_NOWAIT), nullptr);
  mbufnic_fault_reset();
  struct mbufnic_zone_stats st {};
  (void)st;
}

TEST_F(SemPkthdrTags, TagBytesAccountingReturnsToBaseline) {
  const uint64_t bytes0 = mbufnic_tag_bytes_in_use();
  struct m_tag *t = m_tag_alloc(1, 1, 100, M_NOWAIT);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(mbufnic_tag_bytes_in_use(), bytes0 + 100 + sizeof(struct m_tag));
  m_tag_free(t);
  EXPECT_EQ(mbufnic_tag_bytes_in_use(), bytes0);
}

TEST_F(SemPkthdrTags, TagLenTruncatedToSixteenBits) {
  const uint64_t bytes0 = mbufnic_tag_bytes_in_use();
  struct m_tag *t = m_tag_alloc(1, 1, 70000, M_NOWAIT);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->m_tag_len, 70000 & 0xFFFF);
  m_tag_free(t);
  EXPECT_EQ(mbufnic_tag_bytes_in_use(), bytes0);
}

TEST_F(SemPkthdrTags, PrependAndLocateByCookieTypeWithStart) {
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  EXPECT_EQ(m_tag_first(m), nullptr);
  EXPECT_EQ(m_tag_locate(m, 1, 1, nullptr), nullptr);
  struct m_tag *a = AddTag(m, 100, 5, 4, 0xA);
  struct m_tag *b = AddTag(m, 200, 5, 4, 0xB);
  struct m_tag *c = AddTag(m, 100, 5, 4, 0xC);
  struct m_tag *d = AddTag(m, 100, 6, 4, 0xD);
  // Prepend inserts at the head: d, c, b, a.
  EXPECT_EQ(Tags(m), (std::vector<struct m_tag *>{d, c, b, a}));
  EXPECT_EQ(m_tag_first(m), d);
  EXPECT_EQ(m_tag_next(m, d), c);
  EXPECT_EQ(m_tag_locate(m, 100, 5, nullptr), c);
  EXPECT_EQ(m_tag_locate(m, 100, 5, c), a);  // searches after start
  EXPECT_EQ(m_tag_locate(m, 100, 5, a), nullptr);
  EXPECT_EQ(m_tag_locate(m, 200, 5, nullptr), b);
  EXPECT_EQ(m_tag_locate(m, 200, 5, b), nullptr);
  EXPECT_EQ(m_tag_locate(m, 100, 6, nullptr), d);
  EXPECT_EQ(m_tag_locate(m, 200, 6, nullptr), nullptr);
  EXPECT_EQ(m_tag_locate(m, 300, 5, nullptr), nullptr);
  m_freem(m);  // frees all four tags
}

TEST_F(SemPkthdrTags, OpenBsdGetFindUseCompatCookie) {
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  EXPECT_EQ(m_tag_find(m, PACKET_TAG_PF, nullptr), nullptr);  // empty list
  struct m_tag *x = AddTag(m, 0xBEEF, PACKET_TAG_PF, 4, 1);  // same type, other cookie
  struct m_tag *t1 = m_tag_get(PACKET_TAG_PF, 16, M_NOWAIT);
  ASSERT_NE(t1, nullptr);
  EXPECT_EQ(t1->m_tag_cookie, static_cast<uint32_t>(MTAG_ABI_COMPAT));
  EXPECT_EQ(t1->m_tag_id, PACKET_TAG_PF);
  EXPECT_EQ(t1->m_tag_len, 16);
  m_tag_prepend(m, t1);
  struct m_tag *t2 = m_tag_get(PACKET_TAG_PF, 4, M_NOWAIT);
  ASSERT_NE(t2, nullptr);
  m_tag_prepend(m, t2);
  EXPECT_EQ(m_tag_find(m, PACKET_TAG_PF, nullptr), t2);
  EXPECT_EQ(m_tag_find(m, PACKET_TAG_PF, t2), t1);
  EXPECT_EQ(m_tag_find(m, PACKET_TAG_PF, t1), nullptr);  // x has another cookie
  EXPECT_EQ(m_tag_find(m, PACKET_TAG_CARP, nullptr), nullptr);
  EXPECT_EQ(m_tag_locate(m, 0xBEEF, PACKET_TAG_PF, nullptr), x);
  EXPECT_EQ(m_tag_get(PACKET_TAG_PF, -1, M_NOWAIT), nullptr);
  m_freem(m);
}

TEST_F(SemPkthdrTags, DeleteUnlinkAndFree) {
  const uint64_t tags0 = mbufnic_tags_in_use();
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  struct m_tag *a = AddTag(m, 1, 1, 4, 0);
  struct m_tag *b = AddTag(m, 1, 2, 4, 0);
  struct m_tag *c = AddTag(m, 1, 3, 4, 0);
  m_tag_delete(m, b);  // from the middle
  EXPECT_EQ(Tags(m), (std::vector<struct m_tag *>{c, a}));
  EXPECT_EQ(mbufnic_tags_in_use(), tags0 + 2);
  m_tag_unlink(m, c);  // unlinked but still allocated
  EXPECT_EQ(Tags(m), (std::vector<struct m_tag *>{a}));
  EXPECT_EQ(mbufnic_tags_in_use(), tags0 + 2);
  m_tag_free(c);
  EXPECT_EQ(mbufnic_tags_in_use(), tags0 + 1);
  m_tag_delete(m, a);
  EXPECT_EQ(m_tag_first(m), nullptr);
  EXPECT_EQ(mbufnic_tags_in_use(), tags0);
  m_freem(m);
}

TEST_F(SemPkthdrTags, DeleteChainAllOrFromTag) {
  const uint64_t tags0 = mbufnic_tags_in_use();
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  struct m_tag *a = AddTag(m, 1, 1, 4, 0);
  struct m_tag *b = AddTag(m, 1, 2, 4, 0);
  struct m_tag *c = AddTag(m, 1, 3, 4, 0);
  struct m_tag *d = AddTag(m, 1, 4, 4, 0);
  (void)a;
  (void)c;
  m_tag_delete_chain(m, b);  // b and everything after it (a)
  EXPECT_EQ(Tags(m), (std::vector<struct m_tag *>{d, c}));
  EXPECT_EQ(mbufnic_tags_in_use(), tags0 + 2);
  m_tag_delete_chain(m, nullptr);  // all
  EXPECT_EQ(m_tag_first(m), nullptr);
  EXPECT_EQ(mbufnic_tags_in_use(), tags0);
  m_tag_delete_chain(m, nullptr);  // empty list: no-op
  m_freem(m);
}

TEST_F(SemPkthdrTags, DeleteNonpersistentKeepsPersistentIds) {
  const uint64_t tags0 = mbufnic_tags_in_use();
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  AddTag(m, MTAG_ABI_COMPAT, PACKET_TAG_PF, 4, 1);
  struct m_tag *mac = AddTag(m, MTAG_ABI_COMPAT, PACKET_TAG_MACLABEL, 4, 2);
  AddTag(m, 7, PACKET_TAG_DUMMYNET, 4, 3);
  struct m_tag *p = AddTag(m, 9, MTAG_PERSISTENT | 5, 4, 4);
  AddTag(m, 9, 5, 4, 5);
  m_tag_delete_nonpersistent(m);
  EXPECT_EQ(Tags(m), (std::vector<struct m_tag *>{p, mac}));
  EXPECT_EQ(mbufnic_tags_in_use(), tags0 + 2);
  m_freem(m);
}

TEST_F(SemPkthdrTags, TagCopyCopiesPayload) {
  struct m_tag *t = m_tag_alloc(55, 66, 32, M_NOWAIT);
  ASSERT_NE(t, nullptr);
  for (int i = 0; i < 32; ++i) reinterpret_cast<uint8_t *>(t + 1)[i] = static_cast<uint8_t>(i);
  struct m_tag *c = m_tag_copy(t, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c, t);
  EXPECT_EQ(c->m_tag_cookie, 55u);
  EXPECT_EQ(c->m_tag_id, 66);
  EXPECT_EQ(c->m_tag_len, 32);
  EXPECT_EQ(memcmp(c + 1, t + 1, 32), 0);
  m_tag_free(c);
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_tag_copy(t, M_NOWAIT), nullptr);
  mbufnic_fault_reset();
  m_tag_free(t);
}

TEST_F(SemPkthdrTags, TagCopyChainReplacesDestinationTags) {
  const uint64_t tags0 = mbufnic_tags_in_use();
  struct mbuf *from = m_gethdr(M_WAITOK, MT_DATA);
  AddTag(from, 1, 1, 4, 0x11);
  AddTag(from, 2, 2, 8, 0x22);
  AddTag(from, 3, 3, 2, 0x33);
  struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
  AddTag(to, 9, 9, 4, 0x99);  // deleted first
  EXPECT_EQ(m_tag_copy_chain(to, from, M_NOWAIT), 1);
  EXPECT_EQ(Keys(to), Keys(from));  // order preserved
  EXPECT_EQ(m_tag_locate(to, 9, 9, nullptr), nullptr);
  EXPECT_EQ(mbufnic_tags_in_use(), tags0 + 6);
  m_freem(to);
  m_freem(from);
}

TEST_F(SemPkthdrTags, TagCopyChainFailureLeavesDestinationWithoutTags) {
  struct mbuf *from = m_gethdr(M_WAITOK, MT_DATA);
  AddTag(from, 1, 1, 4, 0x11);
  AddTag(from, 2, 2, 8, 0x22);
  AddTag(from, 3, 3, 2, 0x33);
  for (uint64_t nth = 1; nth <= 3; ++nth) {
    const uint64_t tags0 = mbufnic_tags_in_use();
    struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
    AddTag(to, 9, 9, 4, 0x99);
    mbufnic_fault_fail_nth(nth);
    EXPECT_EQ(m_tag_copy_chain(to, from, M_NOWAIT), 0) << nth;
    mbufnic_fault_reset();
    EXPECT_EQ(m_tag_first(to), nullptr) << nth;  // even the old tag is gone
    EXPECT_EQ(mbufnic_tags_in_use(), tags0) << nth;
    EXPECT_EQ(Tags(from).size(), 3u);
    m_freem(to);
  }
  m_freem(from);
}

TEST_F(SemPkthdrTags, TagCopyChainFromEmptyClearsDestination) {
  struct mbuf *from = m_gethdr(M_WAITOK, MT_DATA);
  struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
  AddTag(to, 9, 9, 4, 0x99);
  EXPECT_EQ(m_tag_copy_chain(to, from, M_NOWAIT), 1);
  EXPECT_EQ(m_tag_first(to), nullptr);
  m_freem(to);
  m_freem(from);
}

int g_custom_frees = 0;
void CustomTagFree(struct m_tag *t) {
  ++g_custom_frees;
  m_tag_free_default(t);
}

TEST_F(SemPkthdrTags, MfreeRunsTagFreeRoutine) {
  g_custom_frees = 0;
  struct mbuf *m = MakeChain(Pattern(300), {100, 200}, true, Storage::kPacket);
  struct m_tag *t = AddTag(m, 1, 1, 4, 0);
  t->m_tag_free = CustomTagFree;
  AddTag(m, 1, 2, 4, 0)->m_tag_free = CustomTagFree;
  m_freem(m);
  EXPECT_EQ(g_custom_frees, 2);
  g_custom_frees = 0;
  m = m_gethdr(M_WAITOK, MT_DATA);
  AddTag(m, 1, 1, 4, 0)->m_tag_free = CustomTagFree;
  EXPECT_EQ(m_free(m), nullptr);  // m_free returns m_next
  EXPECT_EQ(g_custom_frees, 1);
}

TEST_F(SemPkthdrTags, MfreeReturnsNext) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 200});
  struct mbuf *second = m->m_next;
  EXPECT_EQ(m_free(m), second);
  m_freem(second);
  m_freem(nullptr);
}

TEST_F(SemPkthdrTags, TagsSurviveMoveThroughPrependAndDefrag) {
  struct mbuf *m = MakeChain(Pattern(300), {100, 200});
  AddTag(m, 4, 4, 4, 0x44);
  AddTag(m, 5, 5, 4, 0x55);
  const auto keys = Keys(m);
  M_PREPEND(m, 20, M_NOWAIT);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(Keys(m), keys);
  struct mbuf *d = m_defrag(m, M_NOWAIT);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(Keys(d), keys);
  m_freem(d);
}

}  // namespace
}  // namespace mbufnic::test
