// mbuf_tags(9), mbuf-semantics.md 3.8: allocation, lookup, deletion, copying, and what the chain
// operations do with a packet's tags (moved by m_move_pkthdr and m_prepend, deep-copied by
// m_copym at offset 0, m_copypacket, m_dup and m_defrag, dropped by m_split, freed by m_free).
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

class TagsTest : public ::testing::Test {
 protected:
  void SetUp() override { mbufnic_fault_reset(); }
  void TearDown() override { mbufnic_fault_reset(); }
  LeakCheck leaks_;
};

constexpr uint32_t kCookie = 0xC0FFEE;

struct m_tag *AddTag(struct mbuf *m, uint16_t type, int len, uint8_t fill,
                     uint32_t cookie = kCookie) {
  struct m_tag *t = m_tag_alloc(cookie, type, len, M_WAITOK);
  EXPECT_NE(t, nullptr);
  std::memset(t + 1, fill, len);
  m_tag_prepend(m, t);
  return t;
}

std::vector<int> TagIds(struct mbuf *m) {
  std::vector<int> ids;
  for (struct m_tag *t = m_tag_first(m); t != nullptr; t = m_tag_next(m, t))
    ids.push_back(t->m_tag_id);
  return ids;
}

// A header mbuf with tags 1, 2, 3 (in that order) whose payloads are 10, 20, 30 bytes of the id.
struct mbuf *Tagged() {
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  for (int id = 3; id >= 1; --id) AddTag(m, static_cast<uint16_t>(id), id * 10, uint8_t(id));
  return m;
}

// True when m's tags are ids 1, 2, 3 with the payloads Tagged() gave them.
bool HasTaggedTags(struct mbuf *m) {
  if (TagIds(m) != std::vector<int>{1, 2, 3}) return false;
  for (struct m_tag *t = m_tag_first(m); t != nullptr; t = m_tag_next(m, t)) {
    if (t->m_tag_cookie != kCookie || t->m_tag_len != t->m_tag_id * 10) return false;
    const auto *p = reinterpret_cast<const uint8_t *>(t + 1);
    for (int i = 0; i < t->m_tag_len; ++i)
      if (p[i] != t->m_tag_id) return false;
  }
  return true;
}

// ---- allocation ----

TEST_F(TagsTest, AllocFillsInTheTagAndCountsIt) {
  const uint64_t tags = mbufnic_tags_in_use(), bytes = mbufnic_tag_bytes_in_use();
  struct m_tag *t = m_tag_alloc(kCookie, PACKET_TAG_PF, 24, M_NOWAIT);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->m_tag_cookie, kCookie);
  EXPECT_EQ(t->m_tag_id, PACKET_TAG_PF);
  EXPECT_EQ(t->m_tag_len, 24);
  EXPECT_EQ(t->m_tag_free, &m_tag_free_default);
  std::memset(t + 1, 0xAB, 24);  // the payload follows the tag and is ours to write
  EXPECT_EQ(mbufnic_tags_in_use(), tags + 1);
  EXPECT_EQ(mbufnic_tag_bytes_in_use(), bytes + sizeof(struct m_tag) + 24);
  m_tag_free(t);
  EXPECT_EQ(mbufnic_tags_in_use(), tags);
  EXPECT_EQ(mbufnic_tag_bytes_in_use(), bytes);
}

TEST_F(TagsTest, AllocRejectsANegativeLengthAndAcceptsZero) {
  EXPECT_EQ(m_tag_alloc(kCookie, 1, -1, M_WAITOK), nullptr);
  EXPECT_EQ(m_tag_get(1, -100, M_NOWAIT), nullptr);
  struct m_tag *t = m_tag_alloc(kCookie, 1, 0, M_NOWAIT);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->m_tag_len, 0);
  m_tag_free(t);
}

TEST_F(TagsTest, AllocWithMZeroZeroesThePayload) {
  // Dirty a block of this size first, so that a reused block would show the old bytes.
  struct m_tag *t = m_tag_alloc(kCookie, 1, 300, M_NOWAIT);
  ASSERT_NE(t, nullptr);
  std::memset(t + 1, 0xEE, 300);
  m_tag_free(t);
  t = m_tag_alloc(kCookie, 1, 300, M_NOWAIT | M_ZERO);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->m_tag_len, 300);
  EXPECT_EQ(t->m_tag_free, &m_tag_free_default);
  const std::vector<uint8_t> zero(300, 0);
  EXPECT_EQ(std::memcmp(t + 1, zero.data(), zero.size()), 0);
  m_tag_free(t);
}

TEST_F(TagsTest, AllocTruncatesTheLengthToSixteenBits) {
  struct m_tag *t = m_tag_alloc(kCookie, 1, 65536 + 12, M_WAITOK);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->m_tag_len, 12);
  m_tag_free(t);
}

TEST_F(TagsTest, NowaitAllocationFailsUnderFaultInjectionWaitokNever) {
  const uint64_t tags = mbufnic_tags_in_use();
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_tag_alloc(kCookie, 1, 8, M_NOWAIT), nullptr);
  EXPECT_EQ(mbufnic_tags_in_use(), tags);
  mbufnic_fault_fail_nth(1);
  struct m_tag *t = m_tag_alloc(kCookie, 1, 8, M_WAITOK);
  EXPECT_NE(t, nullptr);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);  // M_WAITOK is not even counted
  m_tag_free(t);
}

TEST_F(TagsTest, GetAndFindUseTheCompatCookie) {
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  EXPECT_EQ(m_tag_find(m, PACKET_TAG_DIVERT, nullptr), nullptr);  // empty list
  struct m_tag *t = m_tag_get(PACKET_TAG_DIVERT, 4, M_NOWAIT);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->m_tag_cookie, static_cast<uint32_t>(MTAG_ABI_COMPAT));
  m_tag_prepend(m, t);
  AddTag(m, PACKET_TAG_DIVERT, 4, 0);  // same id, other cookie: not an OpenBSD-style tag
  EXPECT_EQ(m_tag_find(m, PACKET_TAG_DIVERT, nullptr), t);
  EXPECT_EQ(m_tag_find(m, PACKET_TAG_DIVERT, t), nullptr);
  EXPECT_EQ(m_tag_find(m, PACKET_TAG_PF, nullptr), nullptr);
  m_freem(m);
}

// ---- list handling and lookup ----

TEST_F(TagsTest, PrependPutsTheTagFirstAndFirstNextWalkInOrder) {
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  EXPECT_EQ(m_tag_first(m), nullptr);
  struct m_tag *a = AddTag(m, 1, 1, 0);
  struct m_tag *b = AddTag(m, 2, 1, 0);
  EXPECT_EQ(m_tag_first(m), b);
  EXPECT_EQ(m_tag_next(m, b), a);
  EXPECT_EQ(m_tag_next(m, a), nullptr);
  m_freem(m);
}

TEST_F(TagsTest, LocateMatchesCookieAndIdAndSearchesAfterTheGivenTag) {
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  struct m_tag *c = AddTag(m, 5, 1, 0, 1);
  struct m_tag *b = AddTag(m, 5, 1, 0, 2);  // same id, other cookie
  struct m_tag *a = AddTag(m, 5, 1, 0, 1);  // list: a(1,5) b(2,5) c(1,5)
  EXPECT_EQ(m_tag_locate(m, 1, 5, nullptr), a);
  EXPECT_EQ(m_tag_locate(m, 1, 5, a), c);
  EXPECT_EQ(m_tag_locate(m, 1, 5, c), nullptr);
  EXPECT_EQ(m_tag_locate(m, 2, 5, nullptr), b);
  EXPECT_EQ(m_tag_locate(m, 2, 5, b), nullptr);
  EXPECT_EQ(m_tag_locate(m, 1, 6, nullptr), nullptr);
  EXPECT_EQ(m_tag_locate(m, 3, 5, nullptr), nullptr);
  m_freem(m);
}

TEST_F(TagsTest, UnlinkKeepsTheTagDeleteFreesIt) {
  struct mbuf *m = Tagged();
  const uint64_t tags = mbufnic_tags_in_use();
  struct m_tag *two = m_tag_locate(m, kCookie, 2, nullptr);
  m_tag_unlink(m, two);
  EXPECT_EQ(TagIds(m), (std::vector<int>{1, 3}));
  EXPECT_EQ(mbufnic_tags_in_use(), tags);
  m_tag_prepend(m, two);
  EXPECT_EQ(TagIds(m), (std::vector<int>{2, 1, 3}));
  m_tag_delete(m, m_tag_locate(m, kCookie, 1, nullptr));
  EXPECT_EQ(TagIds(m), (std::vector<int>{2, 3}));
  EXPECT_EQ(mbufnic_tags_in_use(), tags - 1);
  m_freem(m);
}

TEST_F(TagsTest, DeleteChainFromATagDeletesItAndEverythingAfter) {
  struct mbuf *m = Tagged();
  const uint64_t tags = mbufnic_tags_in_use();
  m_tag_delete_chain(m, m_tag_locate(m, kCookie, 2, nullptr));
  EXPECT_EQ(TagIds(m), std::vector<int>{1});
  EXPECT_EQ(mbufnic_tags_in_use(), tags - 2);
  m_tag_delete_chain(m, nullptr);
  EXPECT_EQ(m_tag_first(m), nullptr);
  EXPECT_EQ(mbufnic_tags_in_use(), tags - 3);
  m_tag_delete_chain(m, nullptr);  // an empty list is fine
  m_freem(m);
}

TEST_F(TagsTest, DeleteNonpersistentKeepsOnlyPersistentTagsInOrder) {
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  AddTag(m, PACKET_TAG_PF, 4, 0);
  AddTag(m, PACKET_TAG_MACLABEL, 4, 0);
  AddTag(m, PACKET_TAG_DIVERT, 4, 0);
  AddTag(m, 7 | MTAG_PERSISTENT, 4, 0);
  AddTag(m, PACKET_TAG_CARP, 4, 0);
  m_tag_delete_nonpersistent(m);
  EXPECT_EQ(TagIds(m), (std::vector<int>{7 | MTAG_PERSISTENT, PACKET_TAG_MACLABEL}));
  m_freem(m);
}

int g_custom_frees = 0;
void CustomFree(struct m_tag *t) {
  ++g_custom_frees;
  m_tag_free_default(t);
}

TEST_F(TagsTest, ATagsOwnFreeRoutineRunsOnDeleteAndOnMFree) {
  g_custom_frees = 0;
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  AddTag(m, 1, 4, 0)->m_tag_free = CustomFree;
  AddTag(m, 2, 4, 0)->m_tag_free = CustomFree;
  m_tag_delete(m, m_tag_first(m));
  EXPECT_EQ(g_custom_frees, 1);
  m_freem(m);
  EXPECT_EQ(g_custom_frees, 2);
}

// ---- copying ----

TEST_F(TagsTest, CopyDuplicatesIdentityAndPayloadButNotTheFreeRoutine) {
  struct mbuf *m = Tagged();
  struct m_tag *t = m_tag_locate(m, kCookie, 3, nullptr);
  t->m_tag_free = CustomFree;
  struct m_tag *c = m_tag_copy(t, M_NOWAIT);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c, t);
  EXPECT_EQ(c->m_tag_cookie, kCookie);
  EXPECT_EQ(c->m_tag_id, 3);
  EXPECT_EQ(c->m_tag_len, 30);
  EXPECT_EQ(std::memcmp(c + 1, t + 1, 30), 0);
  EXPECT_EQ(c->m_tag_free, &m_tag_free_default);
  m_tag_free(c);
  t->m_tag_free = m_tag_free_default;
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_tag_copy(t, M_NOWAIT), nullptr);
  m_freem(m);
}

TEST_F(TagsTest, CopyChainReplacesTheTargetsTagsKeepingOrder) {
  struct mbuf *from = Tagged();
  struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
  AddTag(to, 9, 50, 9);
  EXPECT_EQ(m_tag_copy_chain(to, from, M_NOWAIT), 1);
  EXPECT_TRUE(HasTaggedTags(to));
  EXPECT_TRUE(HasTaggedTags(from));
  EXPECT_NE(m_tag_first(to), m_tag_first(from));
  m_freem(from);
  m_freem(to);
}

TEST_F(TagsTest, CopyChainFromATaglessPacketEmptiesTheTarget) {
  struct mbuf *from = m_gethdr(M_WAITOK, MT_DATA);
  struct mbuf *to = Tagged();
  EXPECT_EQ(m_tag_copy_chain(to, from, M_NOWAIT), 1);
  EXPECT_EQ(m_tag_first(to), nullptr);
  m_freem(from);
  m_freem(to);
}

TEST_F(TagsTest, CopyChainFailureLeavesTheTargetWithNoTagsAtAll) {
  struct mbuf *from = Tagged();
  for (uint64_t nth = 1; nth <= 3; ++nth) {
    struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
    AddTag(to, 9, 50, 9);  // lost even though the copy fails
    mbufnic_fault_fail_nth(nth);
    EXPECT_EQ(m_tag_copy_chain(to, from, M_NOWAIT), 0) << nth;
    mbufnic_fault_reset();
    EXPECT_EQ(m_tag_first(to), nullptr) << nth;
    m_freem(to);
  }
  EXPECT_TRUE(HasTaggedTags(from));
  m_freem(from);
}

// ---- tags through the chain operations ----

TEST_F(TagsTest, MFreeAndMFreemReleaseAPacketsTags) {
  const uint64_t tags = mbufnic_tags_in_use();
  struct mbuf *m = Tagged();
  m->m_next = m_get(M_WAITOK, MT_DATA);
  m_freem(m);
  EXPECT_EQ(mbufnic_tags_in_use(), tags);
  m = Tagged();
  EXPECT_EQ(m_free(m), nullptr);
  EXPECT_EQ(mbufnic_tags_in_use(), tags);
}

TEST_F(TagsTest, PrependMovesTheTagsToTheNewHead) {
  struct mbuf *m = Tagged();
  struct m_tag *first = m_tag_first(m);
  struct mbuf *old = m;  // a fresh header mbuf has no leading space: a new mbuf goes in front
  M_PREPEND(m, 14, M_NOWAIT);
  ASSERT_NE(m, nullptr);
  EXPECT_NE(m, old);
  EXPECT_EQ(m_tag_first(m), first);
  EXPECT_TRUE(HasTaggedTags(m));
  EXPECT_FALSE(old->m_flags & M_PKTHDR);
  m_freem(m);
}

TEST_F(TagsTest, CopiesOfAWholePacketCarryCopiesOfItsTags) {
  const Bytes b = Pattern(3000);
  struct mbuf *m = MakeChain(b, {100, 2000, 900}, true, Storage::kCluster);
  for (int id = 3; id >= 1; --id) AddTag(m, static_cast<uint16_t>(id), id * 10, uint8_t(id));
  const uint64_t tags = mbufnic_tags_in_use();

  struct mbuf *c = m_copym(m, 0, 500, M_NOWAIT);
  struct mbuf *p = m_copypacket(m, M_NOWAIT);
  struct mbuf *d = m_dup(m, M_NOWAIT);
  struct mbuf *tail = m_copym(m, 1, M_COPYALL, M_NOWAIT);  // not from offset 0: no header
  ASSERT_TRUE(c && p && d && tail);
  for (struct mbuf *x : {c, p, d}) {
    EXPECT_TRUE(HasTaggedTags(x));
    EXPECT_NE(m_tag_first(x), m_tag_first(m));
  }
  EXPECT_FALSE(tail->m_flags & M_PKTHDR);
  EXPECT_EQ(mbufnic_tags_in_use(), tags + 9);
  m_freem(c);
  m_freem(p);
  m_freem(tail);

  struct mbuf *f = m_defrag(d, M_NOWAIT);  // frees d, keeps (copies) its tags
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(HasTaggedTags(f));
  EXPECT_EQ(mbufnic_tags_in_use(), tags + 3);
  m_freem(f);
  EXPECT_TRUE(HasTaggedTags(m));
  m_freem(m);
}

TEST_F(TagsTest, SplitLeavesTheTagsWithTheHeadOnly) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  for (int id = 3; id >= 1; --id) AddTag(m, static_cast<uint16_t>(id), id * 10, uint8_t(id));
  struct mbuf *tail = m_split(m, 150, M_NOWAIT);
  ASSERT_NE(tail, nullptr);
  EXPECT_TRUE(tail->m_flags & M_PKTHDR);
  EXPECT_EQ(m_tag_first(tail), nullptr);
  EXPECT_TRUE(HasTaggedTags(m));
  m_freem(tail);
  m_freem(m);
}

TEST_F(TagsTest, PullupAndUnshareMoveTheTagsWithTheHeader) {
  const Bytes b = Pattern(3000);
  struct mbuf *m = MakeChain(b, {1000, 2000}, true, Storage::kCluster);
  for (int id = 3; id >= 1; --id) AddTag(m, static_cast<uint16_t>(id), id * 10, uint8_t(id));
  struct mbuf *copy = m_copypacket(m, M_NOWAIT);
  struct m_tag *first = m_tag_first(copy);
  struct mbuf *old_head = copy;
  copy = m_unshare(copy, M_NOWAIT);  // the shared head cluster is replaced, header and all
  ASSERT_NE(copy, nullptr);
  EXPECT_NE(copy, old_head);
  EXPECT_EQ(m_tag_first(copy), first);
  EXPECT_TRUE(HasTaggedTags(copy));
  EXPECT_EQ(Flatten(copy), b);
  m_freem(copy);

  first = m_tag_first(m);
  old_head = m;
  m = m_pullup(m, 40);  // a cluster head is always copied into a new header mbuf
  ASSERT_NE(m, nullptr);
  EXPECT_NE(m, old_head);
  EXPECT_EQ(m_tag_first(m), first);
  EXPECT_TRUE(HasTaggedTags(m));
  m_freem(m);
}

}  // namespace
}  // namespace mbufnic::test
