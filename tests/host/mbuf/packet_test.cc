// The C++ owning handle: ownership rules (no leak, no double free), segment iteration and views.
#include "mbufnic/packet.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "mbuf_test_util.h"

namespace mbufnic {
namespace {

using test::LeakCheck;
using test::Pattern;

std::vector<std::byte> Bytes(const std::vector<uint8_t> &v) {
  std::vector<std::byte> b(v.size());
  if (!v.empty()) std::memcpy(b.data(), v.data(), v.size());
  return b;
}

std::vector<std::byte> Gather(SegmentRange r) {
  std::vector<std::byte> out;
  for (std::span<const std::byte> s : r) out.insert(out.end(), s.begin(), s.end());
  return out;
}

TEST(Packet, FromBytesHoldsTheBytesAndFreesOnDestruction) {
  LeakCheck leaks;
  for (size_t n : {0ul, 1ul, 160ul, 161ul, 2048ul, 9000ul, 65535ul}) {
    const auto want = Bytes(Pattern(n, static_cast<uint32_t>(n)));
    auto p = Packet::FromBytes(want);
    ASSERT_TRUE(p.has_value()) << n;
    EXPECT_EQ(p->Length(), static_cast<int>(n));
    EXPECT_EQ(m_length(p->get(), nullptr), n);
    EXPECT_EQ(Gather(p->Segments()), want) << n;
  }
}

TEST(Packet, MoveTransfersOwnershipExactlyOnce) {
  LeakCheck leaks;
  auto a = Packet::FromBytes(Bytes(Pattern(3000)));
  ASSERT_TRUE(a);
  Packet b = std::move(*a);
  EXPECT_TRUE(a->empty());  // NOLINT(bugprone-use-after-move): moved-from is documented empty
  EXPECT_EQ(b.Length(), 3000);
  Packet c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.Length(), 3000);
  struct mbuf *raw = c.Release();
  EXPECT_TRUE(c.empty());
  m_freem(raw);
}

TEST(Packet, ViewClipsToTheRangeAcrossSegments) {
  LeakCheck leaks;
  const auto bytes = Pattern(500);
  // Four mbufs with an empty one in the middle: views must cross and skip them.
  struct mbuf *m = test::MakeChain(bytes, {100, 0, 200, 200});
  Packet p(m);
  EXPECT_EQ(p.SegmentCount(), 4);
  const auto all = Bytes(bytes);
  for (auto [off, len] : std::vector<std::pair<int, int>>{
           {0, 500}, {0, 0}, {99, 2}, {100, 200}, {250, 250}, {499, 1}, {450, 100}, {600, 10}}) {
    const int o = std::min(off, 500), l = std::max(0, std::min(len, 500 - o));
    std::vector<std::byte> want(all.begin() + o, all.begin() + o + l);
    EXPECT_EQ(Gather(p.View(off, len)), want) << off << "+" << len;
  }
  int pieces = 0;
  for (auto s : p.Segments()) pieces += s.empty() ? 100 : 1;  // empty mbufs are not yielded
  EXPECT_EQ(pieces, 3);
}

TEST(Packet, PrependAppendAdjPullup) {
  LeakCheck leaks;
  auto p = Packet::FromBytes(Bytes(Pattern(1000, 7)));
  ASSERT_TRUE(p);
  const auto hdr = Bytes(Pattern(54, 9));
  ASSERT_TRUE(p->Prepend(hdr));
  EXPECT_EQ(p->Length(), 1054);
  const auto tail = Bytes(Pattern(300, 11));
  ASSERT_TRUE(p->Append(tail));
  EXPECT_EQ(p->Length(), 1354);
  auto head = p->Pullup(54);
  ASSERT_TRUE(head.has_value());
  EXPECT_TRUE(std::equal(head->begin(), head->end(), hdr.begin()));
  p->Adj(54);
  p->Adj(-300);
  EXPECT_EQ(p->Length(), 1000);
  std::vector<std::byte> out(1000);
  ASSERT_TRUE(p->CopyOut(0, out));
  EXPECT_EQ(out, Bytes(Pattern(1000, 7)));
  EXPECT_FALSE(p->CopyOut(1, out));  // one byte past the end: refused, nothing read
}

TEST(Packet, CloneSharesAndIsReadOnlyDupIsWritable) {
  LeakCheck leaks;
  auto p = Packet::FromBytes(Bytes(Pattern(4000)));
  ASSERT_TRUE(p);
  auto c = p->Clone();
  ASSERT_TRUE(c);
  EXPECT_EQ(Gather(c->Segments()), Gather(p->Segments()));
  EXPECT_FALSE(M_WRITABLE(c->get()));  // clusters are shared
  auto d = p->Dup();
  ASSERT_TRUE(d);
  for (struct mbuf *m = d->get(); m; m = m->m_next) EXPECT_TRUE(M_WRITABLE(m));
  EXPECT_EQ(Gather(d->Segments()), Gather(p->Segments()));
}

TEST(Packet, PrependFailureEmptiesTheHandleWithoutLeaking) {
  LeakCheck leaks;
  auto p = Packet::FromBytes(Bytes(Pattern(100)));
  ASSERT_TRUE(p);
  // No leading space in a fresh mbuf with 100 bytes at its start: M_PREPEND must allocate.
  mbufnic_fault_fail_nth(1);
  EXPECT_FALSE(p->Prepend(Bytes(Pattern(14))));
  mbufnic_fault_reset();
  EXPECT_TRUE(p->empty());
}

TEST(Packet, DefragPacksIntoFewerSegments) {
  LeakCheck leaks;
  const auto bytes = Pattern(3000);
  std::vector<int> sizes(30, 100);
  Packet p(test::MakeChain(bytes, sizes));
  ASSERT_TRUE(p.Defrag());
  EXPECT_LE(p.SegmentCount(), 2);
  EXPECT_EQ(Gather(p.Segments()), Bytes(bytes));
}

}  // namespace
}  // namespace mbufnic
