// Packet-header helpers, mbuf-semantics.md 3.4: m_move_pkthdr, m_dup_pkthdr, m_demote_pkthdr,
// m_demote, m_length, m_fixhdr and m_sanity.  Every test runs under a LeakCheck (a fixture
// member), so a header or tag that is lost or freed twice fails the test.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

class PkthdrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    mbufnic_fault_reset();
  }
  void TearDown() override { mbufnic_fault_reset(); }
  LeakCheck leaks_;
};
using PkthdrDeathTest = PkthdrTest;

// Adds a tag whose payload is `len` bytes of `fill` at the head of m's list.
struct m_tag *AddTag(struct mbuf *m, uint16_t type, int len, uint8_t fill, uint32_t cookie = 7) {
  struct m_tag *t = m_tag_alloc(cookie, type, len, M_WAITOK);
  EXPECT_NE(t, nullptr);
  std::memset(t + 1, fill, len);
  m_tag_prepend(m, t);
  return t;
}

// Tag ids in list order.
std::vector<int> TagIds(struct mbuf *m) {
  std::vector<int> ids;
  for (struct m_tag *t = m_tag_first(m); t != nullptr; t = m_tag_next(m, t))
    ids.push_back(t->m_tag_id);
  return ids;
}

// A header mbuf with recognisable header fields, flags and two tags (ids 1 then 2).
struct mbuf *RichHeader() {
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  m->m_flags |= M_BCAST | M_EOR | M_VLANTAG | M_PROTO1;
  m->m_pkthdr.len = 0;
  m->m_pkthdr.flowid = 0x1234;
  m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_TCP;
  m->m_pkthdr.ether_vtag = 42;
  m->m_pkthdr.rcvif = reinterpret_cast<struct ifnet *>(0x1000);
  AddTag(m, 2, 8, 0x22);
  AddTag(m, 1, 4, 0x11);
  return m;
}

// ---- m_move_pkthdr ----

TEST_F(PkthdrTest, MovePkthdrMovesHeaderFlagsAndTheTagsThemselves) {
  struct mbuf *from = RichHeader();
  struct m_tag *first = m_tag_first(from);
  const uint64_t tags = mbufnic_tags_in_use();
  struct mbuf *to = m_get(M_WAITOK, MT_DATA);
  m_move_pkthdr(to, from);
  EXPECT_EQ(to->m_flags, static_cast<uint32_t>(M_PKTHDR | M_BCAST | M_EOR | M_VLANTAG | M_PROTO1));
  EXPECT_EQ(to->m_data, to->m_pktdat);
  EXPECT_EQ(to->m_pkthdr.flowid, 0x1234u);
  EXPECT_EQ(to->m_pkthdr.csum_flags, static_cast<uint32_t>(CSUM_IP | CSUM_IP_TCP));
  EXPECT_EQ(to->m_pkthdr.ether_vtag, 42);
  EXPECT_EQ(m_rcvif(to), reinterpret_cast<struct ifnet *>(0x1000));
  EXPECT_EQ(m_tag_first(to), first);  // moved, not copied
  EXPECT_EQ(TagIds(to), (std::vector<int>{1, 2}));
  EXPECT_EQ(mbufnic_tags_in_use(), tags);
  EXPECT_FALSE(from->m_flags & M_PKTHDR);
  EXPECT_TRUE(SLIST_EMPTY(&from->m_pkthdr.tags));
  m_free(from);
  m_free(to);
}

TEST_F(PkthdrTest, MovePkthdrKeepsTheTargetsStorageAndNotTheSources) {
  // The source has a cluster: M_EXT does not travel with the header.
  struct mbuf *from = m_getcl(M_WAITOK, MT_DATA, M_PKTHDR);
  from->m_flags |= M_MCAST;
  struct mbuf *to = m_get(M_WAITOK, MT_DATA);
  m_move_pkthdr(to, from);
  EXPECT_EQ(to->m_flags, static_cast<uint32_t>(M_PKTHDR | M_MCAST));
  EXPECT_EQ(to->m_data, to->m_pktdat);
  EXPECT_EQ(M_SIZE(to), MHLEN);
  m_free(from);
  m_free(to);

  // The target has a cluster: it keeps it, and its data pointer stays where it was.
  from = m_gethdr(M_WAITOK, MT_DATA);
  to = m_getcl(M_WAITOK, MT_DATA, 0);
  to->m_data += 100;
  caddr_t data = to->m_data;
  m_move_pkthdr(to, from);
  EXPECT_EQ(to->m_flags, static_cast<uint32_t>(M_PKTHDR | M_EXT));
  EXPECT_EQ(to->m_data, data);
  EXPECT_EQ(to->m_ext.ext_type, static_cast<uint32_t>(EXT_PACKET));
  m_free(from);
  m_free(to);
}

TEST_F(PkthdrTest, MovePkthdrKeepsOnlyCopyFlags) {
  struct mbuf *from = m_gethdr(M_WAITOK, MT_DATA);
  from->m_flags |= M_RDONLY | M_PROMISC | M_TSTMP | M_TSTMP_HPREC | M_PROTO12;
  struct mbuf *to = m_get(M_WAITOK, MT_DATA);
  to->m_flags |= M_EOR;  // the target's own flags (other than storage) are replaced
  m_move_pkthdr(to, from);
  EXPECT_EQ(to->m_flags, static_cast<uint32_t>(M_PKTHDR | M_RDONLY | M_PROMISC | M_TSTMP |
                                               M_TSTMP_HPREC | M_PROTO12));
  EXPECT_EQ(to->m_flags & ~M_COPYFLAGS, 0u);
  m_free(from);
  m_free(to);
}

TEST_F(PkthdrTest, MovePkthdrOntoAHeaderMbufReplacesItsTagsWithoutLeaking) {
  struct mbuf *from = RichHeader();
  struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
  AddTag(to, 9, 16, 0x99);
  m_move_pkthdr(to, from);
  EXPECT_EQ(TagIds(to), (std::vector<int>{1, 2}));
  m_free(from);
  m_free(to);
}

TEST_F(PkthdrTest, MovePkthdrTakesTheSendTagAwayFromTheSource) {
  struct mbuf *from = m_gethdr(M_WAITOK, MT_DATA);
  auto *st = reinterpret_cast<struct m_snd_tag *>(0x2000);
  from->m_pkthdr.snd_tag = st;
  from->m_pkthdr.csum_flags = CSUM_SND_TAG | CSUM_IP;
  struct mbuf *to = m_get(M_WAITOK, MT_DATA);
  m_move_pkthdr(to, from);
  EXPECT_EQ(to->m_pkthdr.snd_tag, st);
  EXPECT_EQ(to->m_pkthdr.csum_flags, static_cast<uint32_t>(CSUM_SND_TAG | CSUM_IP));
  EXPECT_EQ(m_rcvif(to), nullptr);
  EXPECT_EQ(from->m_pkthdr.csum_flags, static_cast<uint32_t>(CSUM_IP));
  EXPECT_EQ(from->m_pkthdr.snd_tag, nullptr);
  to->m_pkthdr.csum_flags = 0;  // the fake tag must not reach any release path
  m_free(from);
  m_free(to);
}

TEST_F(PkthdrDeathTest, MovePkthdrFromANonHeaderMbufPanics) {
  struct mbuf *from = m_get(M_WAITOK, MT_DATA);
  struct mbuf *to = m_get(M_WAITOK, MT_DATA);
  EXPECT_DEATH(m_move_pkthdr(to, from), "panic: .*no packet header");
  m_free(from);
  m_free(to);
}

// ---- m_dup_pkthdr ----

TEST_F(PkthdrTest, DupPkthdrCopiesTheHeaderAndEveryTagDeeplyInOrder) {
  struct mbuf *from = RichHeader();
  from->m_flags |= M_EXT;  // pretend storage: must not be copied (restored below)
  struct mbuf *to = m_get(M_WAITOK, MT_DATA);
  const uint64_t tags = mbufnic_tags_in_use();
  EXPECT_EQ(m_dup_pkthdr(to, from, M_NOWAIT), 1);
  from->m_flags &= ~M_EXT;
  EXPECT_EQ(to->m_flags, static_cast<uint32_t>(M_PKTHDR | M_BCAST | M_EOR | M_VLANTAG | M_PROTO1));
  EXPECT_EQ(to->m_data, to->m_pktdat);
  EXPECT_EQ(to->m_pkthdr.flowid, 0x1234u);
  EXPECT_EQ(to->m_pkthdr.ether_vtag, 42);
  EXPECT_EQ(TagIds(to), (std::vector<int>{1, 2}));
  EXPECT_EQ(mbufnic_tags_in_use(), tags + 2);
  // Deep: different tags with the same payload; the source keeps its own.
  struct m_tag *a = m_tag_first(from), *b = m_tag_first(to);
  for (; a != nullptr && b != nullptr; a = m_tag_next(from, a), b = m_tag_next(to, b)) {
    EXPECT_NE(a, b);
    EXPECT_EQ(a->m_tag_len, b->m_tag_len);
    EXPECT_EQ(a->m_tag_cookie, b->m_tag_cookie);
    EXPECT_EQ(std::memcmp(a + 1, b + 1, a->m_tag_len), 0);
  }
  EXPECT_EQ(TagIds(from), (std::vector<int>{1, 2}));
  EXPECT_TRUE(from->m_flags & M_PKTHDR);
  m_free(from);
  m_free(to);
}

TEST_F(PkthdrTest, DupPkthdrWithoutTagsAllocatesNothing) {
  struct mbuf *from = m_gethdr(M_WAITOK, MT_DATA);
  struct mbuf *to = m_get(M_WAITOK, MT_DATA);
  mbufnic_fault_fail_nth(1000000);  // only to switch the allocation counter on
  EXPECT_EQ(m_dup_pkthdr(to, from, M_NOWAIT), 1);
  EXPECT_EQ(mbufnic_fault_alloc_count(), 0u);
  m_free(from);
  m_free(to);
}

TEST_F(PkthdrTest, DupPkthdrFailureReturnsZeroAndLeavesAHeaderWithoutTags) {
  struct mbuf *from = RichHeader();
  AddTag(from, 3, 1, 0x33);  // three tags: 3, 1, 2
  for (uint64_t nth = 1; nth <= 3; ++nth) {
    struct mbuf *to = m_get(M_WAITOK, MT_DATA);
    mbufnic_fault_fail_nth(nth);
    EXPECT_EQ(m_dup_pkthdr(to, from, M_NOWAIT), 0) << nth;
    mbufnic_fault_reset();
    EXPECT_TRUE(to->m_flags & M_PKTHDR);
    EXPECT_TRUE(SLIST_EMPTY(&to->m_pkthdr.tags));
    EXPECT_EQ(to->m_pkthdr.flowid, 0x1234u);
    m_free(to);
  }
  EXPECT_EQ(TagIds(from), (std::vector<int>{3, 1, 2}));
  m_free(from);
}

TEST_F(PkthdrTest, DupPkthdrWithWaitokNeverFails) {
  struct mbuf *from = RichHeader();
  struct mbuf *to = m_get(M_WAITOK, MT_DATA);
  mbufnic_fault_fail_nth(1);
  EXPECT_EQ(m_dup_pkthdr(to, from, M_WAITOK), 1);
  EXPECT_EQ(TagIds(to), (std::vector<int>{1, 2}));
  m_free(from);
  m_free(to);
}

TEST_F(PkthdrTest, DupPkthdrOntoAHeaderMbufReplacesItsTags) {
  struct mbuf *from = RichHeader();
  struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
  AddTag(to, 9, 16, 0x99);
  EXPECT_EQ(m_dup_pkthdr(to, from, M_NOWAIT), 1);
  EXPECT_EQ(TagIds(to), (std::vector<int>{1, 2}));
  m_free(from);
  m_free(to);
}

// ---- m_demote_pkthdr, m_demote ----

TEST_F(PkthdrTest, DemotePkthdrDeletesTagsAndZeroesTheHeader) {
  struct mbuf *m = RichHeader();
  const uint64_t tags = mbufnic_tags_in_use();
  m_demote_pkthdr(m);
  EXPECT_EQ(mbufnic_tags_in_use(), tags - 2);
  EXPECT_FALSE(m->m_flags & M_PKTHDR);
  EXPECT_TRUE(m->m_flags & M_BCAST);  // m_demote_pkthdr itself leaves other flags alone
  const struct pkthdr zero {};
  EXPECT_EQ(std::memcmp(&m->m_pkthdr, &zero, sizeof(zero)), 0);
  m_free(m);
}

TEST_F(PkthdrDeathTest, DemotePkthdrPanicsWithoutAHeaderOrWithASendTag) {
  struct mbuf *m = m_get(M_WAITOK, MT_DATA);
  EXPECT_DEATH(m_demote_pkthdr(m), "panic: .*no packet header");
  m_free(m);
  m = m_gethdr(M_WAITOK, MT_DATA);
  m->m_pkthdr.csum_flags = CSUM_SND_TAG;
  m->m_pkthdr.snd_tag = reinterpret_cast<struct m_snd_tag *>(0x2000);
  EXPECT_DEATH(m_demote_pkthdr(m), "panic: .*send tag");
  m->m_pkthdr.csum_flags = 0;
  m_free(m);
}

// A chain whose head and third mbuf both carry headers with tags, and assorted flags.
struct mbuf *ChainWithStrayHeader() {
  struct mbuf *m = RichHeader();
  struct mbuf *b = m_getcl(M_WAITOK, MT_DATA, 0);
  b->m_flags |= M_EOR | M_RDONLY | M_PROTO2;
  struct mbuf *c = m_gethdr(M_WAITOK, MT_DATA);
  c->m_flags |= M_MCAST;
  AddTag(c, 5, 4, 0x55);
  m->m_next = b;
  b->m_next = c;
  return m;
}

TEST_F(PkthdrTest, DemoteAllCleansEveryMbufAndKeepsStorageFlags) {
  struct mbuf *m = ChainWithStrayHeader();
  const uint64_t tags = mbufnic_tags_in_use();
  m_demote(m, 1, 0);
  EXPECT_EQ(mbufnic_tags_in_use(), tags - 3);
  EXPECT_EQ(m->m_flags, 0u);
  EXPECT_EQ(m->m_next->m_flags, static_cast<uint32_t>(M_EXT | M_RDONLY));
  EXPECT_EQ(m->m_next->m_next->m_flags, 0u);
  m_freem(m);
}

TEST_F(PkthdrTest, DemoteNotAllSparesTheHeadAndKeepsRequestedFlags) {
  struct mbuf *m = ChainWithStrayHeader();
  const uint64_t tags = mbufnic_tags_in_use();
  m_demote(m, 0, M_EOR | M_MCAST);
  EXPECT_EQ(mbufnic_tags_in_use(), tags - 1);
  EXPECT_EQ(TagIds(m), (std::vector<int>{1, 2}));
  EXPECT_TRUE(m->m_flags & M_PKTHDR);
  EXPECT_TRUE(m->m_flags & M_BCAST);
  EXPECT_EQ(m->m_next->m_flags, static_cast<uint32_t>(M_EXT | M_RDONLY | M_EOR));
  EXPECT_EQ(m->m_next->m_next->m_flags, static_cast<uint32_t>(M_MCAST));
  m_freem(m);
}

TEST_F(PkthdrDeathTest, DemoteOfAMbufInAPacketQueuePanics) {
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  struct mbuf *other = m_gethdr(M_WAITOK, MT_DATA);
  m->m_nextpkt = other;
  EXPECT_DEATH(m_demote(m, 1, 0), "panic: .*m_nextpkt");
  m->m_nextpkt = nullptr;
  m_free(m);
  m_free(other);
}

// ---- m_length, m_fixhdr ----

TEST_F(PkthdrTest, LengthSumsEveryMbufAndReportsTheLast) {
  const Bytes b = Pattern(600);
  struct mbuf *m = MakeChain(b, {100, 0, 300, 200, 0}, true, Storage::kCluster);
  struct mbuf *last = nullptr;
  EXPECT_EQ(m_length(m, &last), 600u);
  struct mbuf *tail = m;
  while (tail->m_next) tail = tail->m_next;
  EXPECT_EQ(last, tail);
  EXPECT_EQ(m_length(m, nullptr), 600u);
  m_freem(m);

  last = reinterpret_cast<struct mbuf *>(0x1);
  EXPECT_EQ(m_length(nullptr, &last), 0u);
  EXPECT_EQ(last, nullptr);
}

TEST_F(PkthdrTest, FixhdrRewritesThePacketLength) {
  const Bytes b = Pattern(250);
  struct mbuf *m = MakeChain(b, {50, 200});
  m->m_pkthdr.len = 7;
  EXPECT_EQ(m_fixhdr(m), 250u);
  EXPECT_EQ(m->m_pkthdr.len, 250);
  m->m_next->m_len = 0;
  EXPECT_EQ(m_fixhdr(m), 50u);
  EXPECT_EQ(m->m_pkthdr.len, 50);
  m_freem(m);
}

// ---- m_sanity ----

// m_sanity's result, and what it printed.
std::pair<int, std::string> Sanity(struct mbuf *m, int sanitize) {
  ::testing::internal::CaptureStderr();
  const int r = m_sanity(m, sanitize);
  return {r, ::testing::internal::GetCapturedStderr()};
}

TEST_F(PkthdrTest, SanityAcceptsWellFormedChainsSilently) {
  const Bytes b = Pattern(3000);
  for (Storage s : {Storage::kInternal, Storage::kCluster, Storage::kPacket}) {
    const std::vector<int> sizes =
        s == Storage::kInternal
            ? std::vector<int>{160, 0, 224, 224, 224, 224, 224, 224, 224, 224, 224, 224, 224, 224}
            : std::vector<int>{1000, 0, 2000};
    Bytes data = Slice(b, 0, s == Storage::kInternal ? 160 + 12 * 224 : 3000);
    struct mbuf *m = MakeChain(data, sizes, true, s);
    EXPECT_EQ(Sanity(m, 0), std::make_pair(1, std::string()));
    struct mbuf *nopkt = MakeChain(data, sizes, false, s);
    EXPECT_EQ(Sanity(nopkt, 0), std::make_pair(1, std::string()));
    m->m_nextpkt = nopkt;  // allowed on the head
    EXPECT_EQ(Sanity(m, 0).first, 1);
    m->m_nextpkt = nullptr;
    m_freem(m);
    m_freem(nopkt);
  }
  EXPECT_EQ(Sanity(nullptr, 0), std::make_pair(1, std::string()));
}

TEST_F(PkthdrTest, SanityReportsAWrongPacketLengthAndSanitizeZeroesIt) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  m->m_pkthdr.len = 299;
  auto [r, err] = Sanity(m, 0);
  EXPECT_EQ(r, 0);
  EXPECT_NE(err.find("m_pkthdr.len"), std::string::npos) << err;
  EXPECT_EQ(m->m_pkthdr.len, 299);  // reporting changes nothing
  EXPECT_EQ(Sanity(m, 1).first, 0);
  EXPECT_EQ(m->m_pkthdr.len, 0);  // FreeBSD's "garbling"
  m_freem(m);
}

TEST_F(PkthdrTest, SanityChecksTheLengthOfAnEmptyPacketToo) {
  // FreeBSD skips the check when the chain holds no data; this runtime does not.
  struct mbuf *m = m_gethdr(M_WAITOK, MT_DATA);
  m->m_pkthdr.len = 10;
  EXPECT_EQ(Sanity(m, 0).first, 0);
  m->m_pkthdr.len = 0;
  EXPECT_EQ(Sanity(m, 0).first, 1);
  m_free(m);
}

TEST_F(PkthdrTest, SanityReportsDataOutsideItsBufferAndCannotRepairIt) {
  const Bytes b = Pattern(100);
  struct mbuf *m = MakeChain(b, {100}, false);
  caddr_t data = m->m_data;
  m->m_data = data - 1;
  EXPECT_EQ(Sanity(m, 1).first, 0);
  EXPECT_EQ(m->m_data, data - 1);
  m->m_data = data + MLEN + 1;
  EXPECT_EQ(Sanity(m, 0).first, 0);
  m->m_data = data + MLEN - 99;  // 100 bytes from here run one past the end
  EXPECT_EQ(Sanity(m, 0).first, 0);
  m->m_data = data;
  m->m_len = -1;
  EXPECT_EQ(Sanity(m, 0).first, 0);
  m->m_len = MLEN;
  EXPECT_EQ(Sanity(m, 0).first, 1);
  m_free(m);

  // A cluster is checked against the cluster, not the mbuf.
  m = MakeChain(b, {100}, false, Storage::kCluster);
  m->m_len = MCLBYTES;
  EXPECT_EQ(Sanity(m, 0).first, 1);
  m->m_data += 1;
  EXPECT_EQ(Sanity(m, 0).first, 0);
  m->m_data -= 1;
  m_free(m);
}

TEST_F(PkthdrTest, SanityReportsAnInChainHeaderAndSanitizeDemotesIt) {
  struct mbuf *m = ChainWithStrayHeader();
  m->m_pkthdr.len = 0;
  auto [r, err] = Sanity(m, 0);
  EXPECT_EQ(r, 0);
  EXPECT_NE(err.find("M_PKTHDR"), std::string::npos) << err;
  EXPECT_NE(err.find("tags"), std::string::npos) << err;
  const uint64_t tags = mbufnic_tags_in_use();
  EXPECT_EQ(Sanity(m, 1).first, 0);
  EXPECT_EQ(mbufnic_tags_in_use(), tags - 1);
  EXPECT_FALSE(m->m_next->m_next->m_flags & M_PKTHDR);
  EXPECT_EQ(Sanity(m, 0).first, 1);  // repaired
  m_freem(m);
}

TEST_F(PkthdrTest, SanityReportsAnInChainNextpktAndSanitizeFreesThatPacket) {
  const Bytes b = Pattern(300);
  struct mbuf *m = MakeChain(b, {100, 200});
  struct mbuf *stray = MakeChain(b, {100, 200});
  m->m_next->m_nextpkt = stray;
  EXPECT_EQ(Sanity(m, 0).first, 0);
  EXPECT_EQ(m->m_next->m_nextpkt, stray);
  EXPECT_EQ(Sanity(m, 1).first, 0);  // frees stray (the LeakCheck sees it go)
  EXPECT_EQ(m->m_next->m_nextpkt, nullptr);
  EXPECT_EQ(Sanity(m, 0).first, 1);
  m_freem(m);
}

TEST_F(PkthdrTest, SanityAcceptsWhatTheChainOperationsProduce) {
  const Bytes b = Pattern(5000);
  struct mbuf *m = MakeChain(b, {100, 0, 2000, 2000, 900}, true, Storage::kCluster);
  struct mbuf *copy = m_copypacket(m, M_WAITOK);
  struct mbuf *tail = m_split(copy, 1234, M_WAITOK);
  ASSERT_NE(tail, nullptr);
  EXPECT_EQ(m_sanity(copy, 0), 1);
  EXPECT_EQ(m_sanity(tail, 0), 1);
  m_adj(tail, 10);
  m_adj(tail, -10);
  EXPECT_EQ(m_sanity(tail, 0), 1);
  struct mbuf *d = m_dup(m, M_WAITOK);
  EXPECT_EQ(m_sanity(d, 0), 1);
  d = m_pullup(d, 100);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(m_sanity(d, 0), 1);
  m_freem(copy);
  m_freem(tail);
  m_freem(d);
  m_freem(m);
}

}  // namespace
}  // namespace mbufnic::test
