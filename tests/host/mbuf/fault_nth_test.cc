// Every allocation point of every allocating mbuf(9) call, failed one at a time.
//
// For N = 1, 2, 3, ... the inputs are built (with M_WAITOK, which fault injection never touches),
// mbufnic_fault_fail_nth(N) arms a failure of the call's N-th M_NOWAIT allocation, and the call
// runs.  The loop stops at the first N the call never reaches (mbufnic_fault_alloc_count() < N
// afterwards): by then every allocation the call makes has failed once.  Each run checks the
// outcome FreeBSD documents for a failure at that point (mbuf-semantics.md section 3): the NULL
// or 0 return, whether the input chain was consumed (never touched again here) or kept with its
// bytes, packet header and tags intact, and, through a LeakCheck around each run (and
// LeakSanitizer in the ASan build), that no partial result is left behind.  The run that is not
// hit checks the successful result.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

using Bytes = std::vector<uint8_t>;

// More allocation points than any case here needs: reaching it means the loop never ends.
constexpr uint64_t kMaxPoints = 64;

// One run of the call under test with its n-th M_NOWAIT allocation failing.
class Nth {
 public:
  explicit Nth(uint64_t n) : n_(n) {}
  uint64_t n() const { return n_; }
  // Arm the fault: call after the inputs are built and right before the call under test.
  void Arm() { mbufnic_fault_fail_nth(n_); }
  // Disarm right after the call; true when the call reached its n-th allocation (which failed).
  bool Disarm() {
    hit_ = mbufnic_fault_alloc_count() >= n_;
    mbufnic_fault_reset();
    return hit_;
  }
  bool hit() const { return hit_; }

 private:
  uint64_t n_;
  bool hit_ = false;
};

// Run `one` with its first, second, ... allocation failing until a run that is not hit, each
// run inside its own LeakCheck.  Returns the number of allocation points failed.
int FailEachAllocation(const std::function<void(Nth &)> &one) {
  for (uint64_t n = 1; n <= kMaxPoints; ++n) {
    SCOPED_TRACE(::testing::Message() << "failing allocation #" << n);
    bool hit;
    {
      LeakCheck leaks;
      Nth nth(n);
      one(nth);
      hit = nth.hit();
      mbufnic_fault_reset();
    }
    if (::testing::Test::HasFatalFailure() || !hit) return static_cast<int>(n - 1);
  }
  ADD_FAILURE() << "more than " << kMaxPoints << " allocation points: the loop never ends";
  return static_cast<int>(kMaxPoints);
}

// ---- building inputs ----

enum class St { kInternal, kCluster, kPacket, kJumbo9 };

// One mbuf of a chain: `len` bytes of the given storage, starting `lead` bytes into its buffer.
struct Seg {
  int len;
  St st = St::kInternal;
  int lead = 0;
};

struct mbuf *NewMbuf(St st, bool hdr) {
  struct mbuf *m = nullptr;
  switch (st) {
    case St::kInternal:
      m = hdr ? m_gethdr(M_WAITOK, MT_DATA) : m_get(M_WAITOK, MT_DATA);
      break;
    case St::kCluster:
      m = hdr ? m_gethdr(M_WAITOK, MT_DATA) : m_get(M_WAITOK, MT_DATA);
      EXPECT_NE(m_clget(m, M_WAITOK), 0);
      break;
    case St::kPacket:
      m = m_getcl(M_WAITOK, MT_DATA, hdr ? M_PKTHDR : 0);
      break;
    case St::kJumbo9:
      m = m_getjcl(M_WAITOK, MT_DATA, hdr ? M_PKTHDR : 0, MJUM9BYTES);
      break;
  }
  EXPECT_NE(m, nullptr);
  return m;
}

// A chain holding `bytes` cut as `segs` say; a packet header with pkthdr.len on the head if asked.
struct mbuf *Build(const Bytes &bytes, const std::vector<Seg> &segs, bool pkthdr = true) {
  struct mbuf *head = nullptr, **tailp = &head;
  size_t off = 0;
  for (const Seg &s : segs) {
    struct mbuf *m = NewMbuf(s.st, pkthdr && head == nullptr);
    // A segment that does not fit is a broken test: report it and truncate, never overrun.
    const int room = static_cast<int>(M_TRAILINGSPACE(m));
    EXPECT_LE(s.lead + s.len, room) << "segment does not fit";
    const int lead = std::min(s.lead, room);
    const int len = std::min(s.len, room - lead);
    m->m_data += lead;
    std::copy_n(bytes.begin() + off, len, mtod(m, uint8_t *));
    m->m_len = len;
    off += s.len;
    *tailp = m;
    tailp = &m->m_next;
  }
  EXPECT_EQ(off, bytes.size()) << "segment sizes do not add up";
  if (pkthdr) head->m_pkthdr.len = static_cast<int>(off);
  return head;
}


Bytes Concat(Bytes a, const Bytes &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ---- tags ----

constexpr uint32_t kCookie = 0x4d424e43;  // "MBNC"

struct TagInfo {
  uint32_t cookie;
  uint16_t id;
  Bytes payload;
  bool operator==(const TagInfo &) const = default;
};

struct m_tag *NewTag(uint16_t id, int len) {
  struct m_tag *t = m_tag_alloc(kCookie, id, len, M_WAITOK);
  EXPECT_NE(t, nullptr);
  const Bytes p = Pattern(len, id);
  std::copy(p.begin(), p.end(), reinterpret_cast<uint8_t *>(t + 1));
  return t;
}

// Add `count` tags (ids 10, 11, ...; payload lengths 5, 13, 21, ...) so the list reads 10, 11, ...
void AddTags(struct mbuf *m, int count) {
  for (int i = count - 1; i >= 0; --i) m_tag_prepend(m, NewTag(10 + i, 5 + 8 * i));
}

std::vector<TagInfo> Tags(const struct mbuf *m) {
  std::vector<TagInfo> v;
  const struct m_tag *t;
  SLIST_FOREACH(t, &m->m_pkthdr.tags, m_tag_link) {
    const auto *p = reinterpret_cast<const uint8_t *>(t + 1);
    v.push_back({t->m_tag_cookie, t->m_tag_id, Bytes(p, p + t->m_tag_len)});
  }
  return v;
}



class FaultNth : public ::testing::Test {
 protected:
  void SetUp() override { mbufnic_fault_reset(); }
  void TearDown() override { mbufnic_fault_reset(); }
};

// =============================================================================================
// Allocation.
// =============================================================================================

TEST_F(FaultNth, GetAndGethdrReturnNull) {
  for (bool hdr : {false, true}) {
    const int points = FailEachAllocation([&](Nth &nth) {
      nth.Arm();
      struct mbuf *m = hdr ? m_gethdr(M_NOWAIT, MT_DATA) : m_get(M_NOWAIT, MT_DATA);
      if (nth.Disarm()) {
        EXPECT_EQ(m, nullptr);
        m_freem(m);
        return;
      }
      ASSERT_NE(m, nullptr);
      EXPECT_EQ(!!(m->m_flags & M_PKTHDR), hdr);
      m_freem(m);
    });
    EXPECT_EQ(points, 1) << "hdr " << hdr;
  }
}

TEST_F(FaultNth, GetclNeverReturnsHalfAPair) {
  const int points = FailEachAllocation([](Nth &nth) {
    nth.Arm();
    struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
    if (nth.Disarm()) {
      EXPECT_EQ(m, nullptr);
      m_freem(m);
      return;
    }
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->m_flags & (M_EXT | M_PKTHDR), M_EXT | M_PKTHDR);
    EXPECT_EQ(m->m_ext.ext_type, EXT_PACKET);
    EXPECT_EQ(m->m_ext.ext_size, static_cast<uint32_t>(MCLBYTES));
    EXPECT_EQ(m->m_data, m->m_ext.ext_buf);
    EXPECT_EQ(m->m_len, 0);
    m_freem(m);
  });
  EXPECT_GE(points, 1);
}

TEST_F(FaultNth, GetjclFreesTheMbufWhenTheClusterFails) {
  for (int size : {MCLBYTES, MJUMPAGESIZE, MJUM9BYTES, MJUM16BYTES}) {
    const int points = FailEachAllocation([&](Nth &nth) {
      nth.Arm();
      struct mbuf *m = m_getjcl(M_NOWAIT, MT_DATA, M_PKTHDR, size);
      if (nth.Disarm()) {
        EXPECT_EQ(m, nullptr);
        m_freem(m);
        return;
      }
      ASSERT_NE(m, nullptr);
      EXPECT_TRUE(m->m_flags & M_EXT);
      EXPECT_TRUE(m->m_flags & M_PKTHDR);
      EXPECT_EQ(m->m_ext.ext_size, static_cast<uint32_t>(size));
      EXPECT_EQ(M_TRAILINGSPACE(m), size);
      m_freem(m);
    });
    EXPECT_GE(points, 1) << "size " << size;
  }
}

TEST_F(FaultNth, Get2PicksTheSmallestStorage) {
  struct Case {
    int size, flags;
    int ext_size;  // 0: no cluster
  } cases[] = {{-5, 0, 0},
               {100, M_PKTHDR, 0},
               {MHLEN, M_PKTHDR, 0},
               {200, 0, 0},
               {MLEN, 0, 0},
               {200, M_PKTHDR, MCLBYTES},
               {MCLBYTES, 0, MCLBYTES},
               {MCLBYTES + 1, M_PKTHDR, MJUMPAGESIZE},
               {MJUMPAGESIZE, 0, MJUMPAGESIZE}};
  for (const Case &c : cases) {
    const int points = FailEachAllocation([&](Nth &nth) {
      nth.Arm();
      struct mbuf *m = m_get2(c.size, M_NOWAIT, MT_DATA, c.flags);
      if (nth.Disarm()) {
        EXPECT_EQ(m, nullptr);
        m_freem(m);
        return;
      }
      ASSERT_NE(m, nullptr);
      EXPECT_EQ(m->m_flags & M_PKTHDR, c.flags & M_PKTHDR);
      if (c.ext_size == 0) {
        EXPECT_FALSE(m->m_flags & M_EXT);
      } else {
        ASSERT_TRUE(m->m_flags & M_EXT);
        EXPECT_EQ(m->m_ext.ext_size, static_cast<uint32_t>(c.ext_size));
      }
      EXPECT_GE(M_TRAILINGSPACE(m), std::max(c.size, 0));
      m_freem(m);
    });
    EXPECT_GE(points, 1) << "size " << c.size;
  }
  // Above MJUMPAGESIZE m_get2 returns NULL without trying (even with M_WAITOK).
  EXPECT_EQ(FailEachAllocation([](Nth &nth) {
              nth.Arm();
              struct mbuf *m = m_get2(MJUMPAGESIZE + 1, M_NOWAIT, MT_DATA, 0);
              nth.Disarm();
              EXPECT_EQ(m, nullptr);
              m_freem(m);
            }),
            0);
}

TEST_F(FaultNth, Get3GoesUpTo16k) {
  struct Case {
    int size, ext_size;
  } cases[] = {{100, 0},
               {MCLBYTES, MCLBYTES},
               {MJUMPAGESIZE, MJUMPAGESIZE},
               {5000, MJUM9BYTES},
               {MJUM16BYTES, MJUM16BYTES}};
  for (const Case &c : cases) {
    const int points = FailEachAllocation([&](Nth &nth) {
      nth.Arm();
      struct mbuf *m = m_get3(c.size, M_NOWAIT, MT_DATA, M_PKTHDR);
      if (nth.Disarm()) {
        EXPECT_EQ(m, nullptr);
        m_freem(m);
        return;
      }
      ASSERT_NE(m, nullptr);
      if (c.ext_size == 0) {
        EXPECT_FALSE(m->m_flags & M_EXT);
      } else {
        ASSERT_TRUE(m->m_flags & M_EXT);
        EXPECT_EQ(m->m_ext.ext_size, static_cast<uint32_t>(c.ext_size));
      }
      EXPECT_GE(M_TRAILINGSPACE(m), c.size);
      m_freem(m);
    });
    EXPECT_GE(points, 1) << "size " << c.size;
  }
  EXPECT_EQ(FailEachAllocation([](Nth &nth) {
              nth.Arm();
              EXPECT_EQ(m_get3(MJUM16BYTES + 1, M_NOWAIT, MT_DATA, 0), nullptr);
              nth.Disarm();
            }),
            0);
}

// m_cljget: a cluster of any size for an mbuf (left untouched on failure) or on its own.
TEST_F(FaultNth, CljgetKeepsTheMbuf) {
  for (int size : {MCLBYTES, MJUMPAGESIZE, MJUM9BYTES, MJUM16BYTES}) {
    const int points = FailEachAllocation([&](Nth &nth) {
      struct mbuf *m = m_get(M_WAITOK, MT_DATA);
      const caddr_t data = m->m_data;
      nth.Arm();
      void *cl = m_cljget(m, M_NOWAIT, size);
      if (nth.Disarm()) {
        EXPECT_EQ(cl, nullptr);
        EXPECT_FALSE(m->m_flags & M_EXT);
        EXPECT_EQ(m->m_data, data);
      } else {
        ASSERT_NE(cl, nullptr);
        ASSERT_TRUE(m->m_flags & M_EXT);
        EXPECT_EQ(m->m_ext.ext_buf, cl);
        EXPECT_EQ(m->m_ext.ext_size, static_cast<uint32_t>(size));
      }
      m_freem(m);
    });
    EXPECT_GE(points, 1) << "size " << size;
  }
  // A bare cluster, attached afterwards with m_cljset.
  const int points = FailEachAllocation([](Nth &nth) {
    nth.Arm();
    void *cl = m_cljget(nullptr, M_NOWAIT, MJUMPAGESIZE);
    if (nth.Disarm()) {
      EXPECT_EQ(cl, nullptr);
      return;
    }
    ASSERT_NE(cl, nullptr);
    struct mbuf *m = m_get(M_WAITOK, MT_DATA);
    m_cljset(m, cl, EXT_JUMBOP);
    EXPECT_EQ(m->m_ext.ext_size, static_cast<uint32_t>(MJUMPAGESIZE));
    m_freem(m);
  });
  EXPECT_GE(points, 1);
}

// m_getm2: all or nothing, and the caller's chain is never freed.
TEST_F(FaultNth, Getm2FreesOnlyTheNewMbufs) {
  const Bytes bytes = Pattern(50, 3);
  for (int len : {100, 1000, 2500, 9000}) {
    bool jumbo_fault_absorbed = false;
    const int points = FailEachAllocation([&](Nth &nth) {
      struct mbuf *m = Build(bytes, {{50}});
      m->m_flags |= M_EOR;
      nth.Arm();
      struct mbuf *r = m_getm2(m, len, M_NOWAIT, MT_DATA, M_EOR);
      const bool hit = nth.Disarm();
      // For len > MCLBYTES the first try is a page-size jumbo cluster with M_NOWAIT, and m_getm2
      // falls back to a 2k cluster when it fails: such a failure is absorbed.
      if (r == nullptr) {
        EXPECT_TRUE(hit);
        EXPECT_EQ(m->m_next, nullptr) << "the caller's chain must be left alone";
        EXPECT_TRUE(m->m_flags & M_EOR);
        EXPECT_EQ(Flatten(m), bytes);
        m_freem(m);
        return;
      }
      if (hit) jumbo_fault_absorbed = true;
      EXPECT_TRUE(!hit || len > MCLBYTES) << "a failure at this length must fail the call";
      ASSERT_EQ(r, m);
      EXPECT_FALSE(m->m_flags & M_EOR) << "M_EOR moves to the new tail";
      int room = 0;
      for (struct mbuf *n = m->m_next; n; n = n->m_next) {
        EXPECT_EQ(n->m_len, 0);
        EXPECT_FALSE(n->m_flags & M_PKTHDR);
        EXPECT_EQ(!!(n->m_flags & M_EOR), n->m_next == nullptr);
        room += M_SIZE(n);
      }
      EXPECT_GE(room, len);
      EXPECT_EQ(Flatten(m), bytes);
      EXPECT_EQ(m->m_pkthdr.len, 50) << "m_getm2 does not set pkthdr.len";
      m_freem(m);
    });
    EXPECT_GE(points, 1) << "len " << len;
    if (len > MCLBYTES) {
      EXPECT_TRUE(jumbo_fault_absorbed) << "len " << len;
    }
  }
  // No chain given: the result is a new chain with the packet header on its head.
  for (int len : {100, 400, 5000}) {
    FailEachAllocation([&](Nth &nth) {
      nth.Arm();
      struct mbuf *r = m_getm2(nullptr, len, M_NOWAIT, MT_DATA, M_PKTHDR);
      nth.Disarm();
      if (r == nullptr) return;
      EXPECT_TRUE(r->m_flags & M_PKTHDR);
      int room = 0;
      for (struct mbuf *n = r; n; n = n->m_next) room += M_SIZE(n);
      EXPECT_GE(room, len);
      m_freem(r);
    });
  }
  EXPECT_EQ(FailEachAllocation([](Nth &nth) {
              nth.Arm();
              EXPECT_EQ(m_getm2(nullptr, 0, M_NOWAIT, MT_DATA, M_PKTHDR), nullptr);
              nth.Disarm();
            }),
            0);
}

TEST_F(FaultNth, ClgetKeepsTheMbuf) {
  const Bytes bytes = Pattern(20, 4);
  // FreeBSD's m_clget retries a failed M_NOWAIT cluster allocation once (after draining the
  // packet zone), so any single failure is absorbed.
  FailEachAllocation([&](Nth &nth) {
    struct mbuf *m = Build(bytes, {{20}});
    const caddr_t data = m->m_data;
    nth.Arm();
    const int r = m_clget(m, M_NOWAIT);
    const bool hit = nth.Disarm();
    if (r == 0) {
      EXPECT_FALSE(hit) << "a single failed cluster allocation should be retried once";
      EXPECT_FALSE(m->m_flags & M_EXT);
      EXPECT_EQ(m->m_data, data);
      EXPECT_EQ(Flatten(m), bytes);
    } else {
      EXPECT_TRUE(m->m_flags & M_EXT);
      EXPECT_EQ(m->m_ext.ext_type, EXT_CLUSTER);
      EXPECT_EQ(m->m_data, m->m_ext.ext_buf);
    }
    m_freem(m);
  });
  // Every allocation failing: 0, and the mbuf is untouched and still the caller's.
  LeakCheck leaks;
  struct mbuf *m = Build(bytes, {{20}});
  const caddr_t data = m->m_data;
  mbufnic_fault_set_alloc_failure_ppm(1000000);
  EXPECT_EQ(m_clget(m, M_NOWAIT), 0);
  mbufnic_fault_reset();
  EXPECT_FALSE(m->m_flags & M_EXT);
  EXPECT_EQ(m->m_data, data);
  EXPECT_EQ(m->m_len, 20);
  EXPECT_EQ(Flatten(m), bytes);
  m_freem(m);
}

// =============================================================================================
// Calls that free the chain when they fail.
// =============================================================================================

TEST_F(FaultNth, PrependFreesTheChain) {
  const Bytes bytes = Pattern(1200, 5);
  const Bytes hdr = Pattern(40, 6);
  // M_PREPEND on a packet with no leading space: m_prepend puts a new header mbuf in front.
  EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
              struct mbuf *m = Build(bytes, {{1000, St::kPacket}, {200}});
              AddTags(m, 1);
              const auto tags = Tags(m);
              nth.Arm();
              M_PREPEND(m, 40, M_NOWAIT);
              if (nth.Disarm()) {
                EXPECT_EQ(m, nullptr) << "M_PREPEND frees the chain and sets m to NULL";
                m_freem(m);
                return;
              }
              ASSERT_NE(m, nullptr);
              ASSERT_GE(m->m_len, 40);
              std::memcpy(mtod(m, void *), hdr.data(), 40);
              EXPECT_EQ(Flatten(m), Concat(hdr, bytes));
              EXPECT_EQ(m->m_pkthdr.len, 1240);
              EXPECT_EQ(Tags(m), tags) << "the packet header (and its tags) moves to the new head";
              EXPECT_FALSE(m->m_next->m_flags & M_PKTHDR);
              EXPECT_EQ(m_sanity(m, 0), 1);
              m_freem(m);
            }),
            1);
  // m_prepend on a chain without a packet header.
  EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
              struct mbuf *m = Build(bytes, {{1000, St::kCluster}, {200}}, false);
              nth.Arm();
              m = m_prepend(m, 40, M_NOWAIT);
              if (nth.Disarm()) {
                EXPECT_EQ(m, nullptr);
                m_freem(m);
                return;
              }
              ASSERT_NE(m, nullptr);
              EXPECT_EQ(m->m_len, 40);
              EXPECT_FALSE(m->m_flags & M_PKTHDR);
              std::memcpy(mtod(m, void *), hdr.data(), 40);
              EXPECT_EQ(Flatten(m), Concat(hdr, bytes));
              m_freem(m);
            }),
            1);
  // Enough leading space: no allocation at all.
  EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
              struct mbuf *m = Build(Slice(bytes, 0, 300), {{100, St::kInternal, 50}, {200}});
              nth.Arm();
              M_PREPEND(m, 40, M_NOWAIT);
              nth.Disarm();
              ASSERT_NE(m, nullptr);
              std::memcpy(mtod(m, void *), hdr.data(), 40);
              EXPECT_EQ(Flatten(m), Concat(hdr, Slice(bytes, 0, 300)));
              EXPECT_EQ(m->m_pkthdr.len, 340);
              m_freem(m);
            }),
            0);
}

TEST_F(FaultNth, PullupFreesTheChain) {
  const Bytes bytes = Pattern(1200, 7);
  struct Case {
    const char *what;
    std::vector<Seg> segs;
    int len;
    int points;
  } cases[] = {
      // A cluster head is always copied into a new mbuf, even when it holds len bytes.
      {"cluster head", {{1000, St::kPacket}, {200}}, 100, 1},
      // An internal head without room for len bytes after its data.
      {"internal head without room", {{80, St::kInternal, 80}, {200}, {920, St::kCluster}}, 150, 1},
      // A single internal mbuf: there is no next mbuf, so a new one is taken.
      {"lone internal mbuf", {{160}}, 160, 1},
      // An internal head with room pulls the bytes in place: no allocation.
      {"internal head with room", {{50}, {200}, {950, St::kCluster}}, 120, 0},
  };
  for (const Case &c : cases) {
    int total = 0;
    for (const Seg &s : c.segs) total += s.len;
    const Bytes b = Slice(bytes, 0, total);
    const int points = FailEachAllocation([&](Nth &nth) {
      struct mbuf *m = Build(b, c.segs);
      AddTags(m, 2);
      const auto tags = Tags(m);
      nth.Arm();
      m = m_pullup(m, c.len);
      if (nth.Disarm()) {
        EXPECT_EQ(m, nullptr) << "m_pullup frees the chain when it fails";
        m_freem(m);
        return;
      }
      ASSERT_NE(m, nullptr);
      EXPECT_GE(m->m_len, c.len);
      EXPECT_EQ(Flatten(m), b);
      EXPECT_EQ(m->m_pkthdr.len, total);
      EXPECT_EQ(Tags(m), tags);
      EXPECT_EQ(m_sanity(m, 0), 1);
      m_freem(m);
    });
    EXPECT_EQ(points, c.points) << c.what;
  }
  // Failures that need no allocation free the chain too: too short, and too long for MHLEN.
  EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
              struct mbuf *m = Build(Slice(bytes, 0, 100), {{40}, {60}});
              nth.Arm();
              EXPECT_EQ(m_pullup(m, 101), nullptr);
              nth.Disarm();
            }),
            0);
  EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
              struct mbuf *m = Build(Slice(bytes, 0, 1000), {{1000, St::kPacket}});
              nth.Arm();
              EXPECT_EQ(m_pullup(m, MHLEN + 1), nullptr);
              nth.Disarm();
            }),
            0);
}

TEST_F(FaultNth, CopyupFreesTheChain) {
  const Bytes bytes = Pattern(1300, 8);
  EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
              struct mbuf *m = Build(bytes, {{100}, {200}, {1000, St::kPacket}});
              AddTags(m, 1);
              const auto tags = Tags(m);
              nth.Arm();
              m = m_copyup(m, 120, 16);
              if (nth.Disarm()) {
                EXPECT_EQ(m, nullptr);
                m_freem(m);
                return;
              }
              ASSERT_NE(m, nullptr);
              EXPECT_GE(m->m_len, 120);
              EXPECT_EQ(M_LEADINGSPACE(m), 16);
              EXPECT_EQ(Flatten(m), bytes);
              EXPECT_EQ(m->m_pkthdr.len, 1300);
              EXPECT_EQ(Tags(m), tags);
              EXPECT_EQ(m_sanity(m, 0), 1);
              m_freem(m);
            }),
            1);
  // len > MHLEN - dstoff fails (and frees) without allocating.
  EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
              struct mbuf *m = Build(bytes, {{100}, {200}, {1000, St::kPacket}});
              nth.Arm();
              EXPECT_EQ(m_copyup(m, MHLEN - 15, 16), nullptr);
              nth.Disarm();
            }),
            0);
}

TEST_F(FaultNth, PulldownFreesTheChainOnEachAllocatingPath) {
  const Bytes bytes = Pattern(3000, 9);
  struct Case {
    const char *what;
    std::vector<Seg> segs;
    int off, len;
    bool offp;
    int points;  // -1: at least one
  } cases[] = {
      // Region inside one mbuf at offset 0, or with offp: returned as is.
      {"in one mbuf, offp", {{150}, {1000, St::kPacket}}, 300, 200, true, 0},
      {"in one mbuf at 0", {{150}, {1000, St::kPacket}}, 150, 300, false, 0},
      // Region inside one mbuf but not at its start and no offp: its tail is cut into a new
      // mbuf (m_dup1): a plain mbuf for a short tail, a cluster for a long one.
      {"cut, short tail", {{150}, {200}}, 20, 30, false, 1},
      {"cut, long tail", {{100}, {1500, St::kPacket}}, 200, 50, false, -1},
      // Spanning mbufs, the first writable with trailing space: tail bytes copied in place.
      {"copy into trailing space", {{50}, {200}, {200}}, 30, 100, true, 0},
      // Spanning mbufs, the next one with leading space: head bytes moved back into it.
      {"move into leading space", {{150}, {100, St::kInternal, 100}}, 120, 100, true, 0},
      {"copy into a cluster's trailing space", {{1000, St::kCluster}, {200}}, 900, 200, true, 0},
      // Spanning mbufs with no room either side: a new mbuf, or a cluster when len > MLEN.
      {"new mbuf", {{150}, {200}, {100}}, 100, 100, true, 1},
      {"new cluster", {{150}, {1500, St::kPacket}}, 100, 400, true, -1},
      // Packet-zone clusters never count as writable in m_pulldown (EXT_CLUSTER only), so the
      // trailing space of this head is not used: a new mbuf takes both parts.
      {"packet-zone head", {{1500, St::kPacket}, {1500, St::kPacket}}, 1400, 200, true, 1},
  };
  for (const Case &c : cases) {
    int total = 0;
    for (const Seg &s : c.segs) total += s.len;
    const Bytes b = Slice(bytes, 0, total);
    const int points = FailEachAllocation([&](Nth &nth) {
      struct mbuf *m = Build(b, c.segs);
      // Pointers into the data before `off` must stay valid.
      int before_off = -1;
      struct mbuf *before = m_getptr(m, c.off - 1, &before_off);
      const uint8_t *before_ptr = before ? mtod(before, uint8_t *) + before_off : nullptr;
      int offp = -1;
      nth.Arm();
      struct mbuf *n = m_pulldown(m, c.off, c.len, c.offp ? &offp : nullptr);
      if (nth.Disarm()) {
        EXPECT_EQ(n, nullptr) << "m_pulldown frees the chain when it fails";
        return;
      }
      ASSERT_NE(n, nullptr);
      const int at = c.offp ? offp : 0;
      EXPECT_TRUE(InChain(m, n));
      EXPECT_GE(at, 0);
      EXPECT_GE(n->m_len - at, c.len);
      EXPECT_EQ(Bytes(mtod(n, uint8_t *) + at, mtod(n, uint8_t *) + at + c.len),
                Slice(b, c.off, c.len));
      if (before_ptr) {
        int o;
        struct mbuf *k = m_getptr(m, c.off - 1, &o);
        ASSERT_NE(k, nullptr);
        EXPECT_EQ(mtod(k, uint8_t *) + o, before_ptr) << "data before off moved";
      }
      EXPECT_EQ(Flatten(m), b);
      EXPECT_EQ(m->m_pkthdr.len, total);
      EXPECT_EQ(m_sanity(m, 0), 1);
      m_freem(m);
    });
    if (c.points >= 0)
      EXPECT_EQ(points, c.points) << c.what;
    else
      EXPECT_GE(points, 1) << c.what;
  }
  // Errors that need no allocation free the chain too.
  EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
              struct mbuf *m = Build(Slice(bytes, 0, 300), {{100}, {200}});
              nth.Arm();
              EXPECT_EQ(m_pulldown(m, 250, 51, nullptr), nullptr) << "chain too short";
              nth.Disarm();
            }),
            0);
  EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
              struct mbuf *m = Build(bytes, {{1500, St::kPacket}, {1500, St::kPacket}});
              nth.Arm();
              EXPECT_EQ(m_pulldown(m, 0, MCLBYTES + 1, nullptr), nullptr) << "len > MCLBYTES";
              nth.Disarm();
            }),
            0);
}

TEST_F(FaultNth, UnshareFreesTheOriginalButNotOtherReferences) {
  const Bytes bytes = Pattern(6800, 10);
  // A packet whose clusters are shared with a second reference (read-only): a 2k cluster, and a
  // 9k jumbo holding 5000 bytes, which m_unshare copies into three 2k clusters.
  const std::vector<Seg> segs = {{100}, {1500, St::kPacket}, {200}, {5000, St::kJumbo9}};
  const int points = FailEachAllocation([&](Nth &nth) {
    struct mbuf *m = Build(bytes, segs);
    AddTags(m, 1);
    const auto tags = Tags(m);
    struct mbuf *other = m_copypacket(m, M_WAITOK);
    ASSERT_NE(other, nullptr);
    nth.Arm();
    m = m_unshare(m, M_NOWAIT);
    if (nth.Disarm()) {
      EXPECT_EQ(m, nullptr) << "m_unshare frees the chain when it fails";
      m_freem(m);
    } else {
      ASSERT_NE(m, nullptr);
      EXPECT_EQ(Flatten(m), bytes);
      EXPECT_EQ(m->m_pkthdr.len, 6800);
      EXPECT_TRUE(AllWritable(m));
      EXPECT_EQ(Tags(m), tags);
      EXPECT_EQ(m_sanity(m, 0), 1);
      m_freem(m);
    }
    EXPECT_EQ(Flatten(other), bytes) << "the other reference must not change";
    EXPECT_EQ(Tags(other), tags);
    m_freem(other);
  });
  EXPECT_GE(points, 4) << "a 2k cluster copy and three clusters for the jumbo";
  // Nothing shared: nothing to copy, no allocation.
  EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
              struct mbuf *m = Build(bytes, segs);
              nth.Arm();
              struct mbuf *r = m_unshare(m, M_NOWAIT);
              nth.Disarm();
              EXPECT_EQ(r, m);
              EXPECT_EQ(Flatten(r), bytes);
              m_freem(r);
            }),
            0);
}

// =============================================================================================
// Calls that keep the chain when they fail.
// =============================================================================================

TEST_F(FaultNth, AppendKeepsWhatFitAndReturnsZero) {
  const Bytes bytes = Pattern(300, 11);
  const Bytes add = Pattern(1000, 12);
  struct Case {
    const char *what;
    std::vector<Seg> segs;
    int tail_room;  // M_TRAILINGSPACE of the tail
    bool shared;
  } cases[] = {
      {"internal tail", {{100}, {200}}, MLEN - 200, false},
      {"read-only cluster tail", {{100}, {200, St::kCluster}}, 0, true},
  };
  for (const Case &c : cases) {
    // New mbufs of MLEN bytes each (m_append never takes a cluster).
    const int need = (1000 - c.tail_room + MLEN - 1) / MLEN;
    const int points = FailEachAllocation([&](Nth &nth) {
      struct mbuf *m = Build(bytes, c.segs);
      struct mbuf *other = c.shared ? m_copypacket(m, M_WAITOK) : nullptr;
      nth.Arm();
      const int r = m_append(m, 1000, reinterpret_cast<c_caddr_t>(add.data()));
      const bool hit = nth.Disarm();
      const int got = static_cast<int>(m_length(m, nullptr)) - 300;
      if (hit) {
        EXPECT_EQ(r, 0);
        EXPECT_EQ(got, c.tail_room + static_cast<int>(nth.n() - 1) * MLEN)
            << "what fit before the failure stays";
      } else {
        EXPECT_EQ(r, 1);
        EXPECT_EQ(got, 1000);
      }
      EXPECT_EQ(Flatten(m), Concat(bytes, Slice(add, 0, got)));
      EXPECT_EQ(m->m_pkthdr.len, 300 + got) << "pkthdr.len grows by what was appended";
      EXPECT_EQ(m_sanity(m, 0), 1);
      if (other) {
        EXPECT_EQ(Flatten(other), bytes);
      }
      m_freem(m);
      m_freem(other);
    });
    EXPECT_EQ(points, need) << c.what;
  }
}

TEST_F(FaultNth, CopybackPastTheEndStopsSilently) {
  const Bytes bytes = Pattern(324, 13);
  const Bytes data = Pattern(700, 14);
  // Write 700 bytes at 524 into a 324-byte packet whose tail is full: a 200-byte zero gap, then
  // the data, in new mbufs.
  Bytes want = bytes;
  want.resize(524, 0);
  want.insert(want.end(), data.begin(), data.end());
  int last = 323;
  const int points = FailEachAllocation([&](Nth &nth) {
    struct mbuf *m = Build(bytes, {{100}, {MLEN}});
    nth.Arm();
    m_copyback(m, 524, 700, reinterpret_cast<c_caddr_t>(data.data()));
    const bool hit = nth.Disarm();
    const int len = static_cast<int>(m_length(m, nullptr));
    if (hit) {
      EXPECT_LT(len, 1224);
      EXPECT_GE(len, 324);
    } else {
      EXPECT_EQ(len, 1224);
    }
    EXPECT_GT(len, last) << "a later failure must leave more written";
    last = len;
    EXPECT_EQ(Flatten(m), Slice(want, 0, len)) << "the gap is zeros, the write a prefix";
    EXPECT_EQ(m->m_pkthdr.len, len) << "pkthdr.len is raised to what the chain spans";
    EXPECT_EQ(m_sanity(m, 0), 1);
    m_freem(m);
  });
  EXPECT_GE(points, 5);
  // Inside the chain: no allocation.
  EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
              struct mbuf *m = Build(bytes, {{100}, {MLEN}});
              nth.Arm();
              m_copyback(m, 50, 274, reinterpret_cast<c_caddr_t>(data.data()));
              nth.Disarm();
              EXPECT_EQ(Flatten(m), Concat(Slice(bytes, 0, 50), Slice(data, 0, 274)));
              EXPECT_EQ(m->m_pkthdr.len, 324);
              m_freem(m);
            }),
            0);
}

TEST_F(FaultNth, SplitKeepsTheChainOnEachPath) {
  const Bytes bytes = Pattern(2000, 15);
  struct Case {
    const char *what;
    std::vector<Seg> segs;
    bool pkthdr;
    int at;
    int points;  // -1: at least one
  } cases[] = {
      {"inside the internal head", {{150}, {200}}, true, 100, 1},
      {"inside a cluster (shared)", {{100}, {1500, St::kPacket}}, true, 600, -1},
      // Inside an internal mbuf with more than MHLEN bytes after the point: an empty header
      // mbuf, then a recursive split of that mbuf (two allocations).
      {"inside an internal mbuf, long remainder", {{100}, {220}}, true, 110, 2},
      {"on a boundary", {{100}, {200}}, true, 100, 1},
      {"at the end", {{100}, {200}}, true, 300, 1},
      {"at 0", {{100}, {200}}, true, 0, 1},
      {"no pkthdr, inside", {{200}, {100}}, false, 50, 1},
      {"no pkthdr, inside a cluster", {{200}, {1000, St::kCluster}}, false, 500, 1},
      {"no pkthdr, on a boundary", {{200}, {100}}, false, 200, 0},
      {"past the end", {{100}, {200}}, true, 301, 0},
  };
  for (const Case &c : cases) {
    int total = 0;
    for (const Seg &s : c.segs) total += s.len;
    const Bytes b = Slice(bytes, 0, total);
    const int points = FailEachAllocation([&](Nth &nth) {
      struct mbuf *m = Build(b, c.segs, c.pkthdr);
      if (c.pkthdr) AddTags(m, 1);
      nth.Arm();
      struct mbuf *n = m_split(m, c.at, M_NOWAIT);
      const bool hit = nth.Disarm();
      if (hit || c.at > total) {
        EXPECT_EQ(n, nullptr);
        EXPECT_EQ(Flatten(m), b) << "m_split keeps the chain whole when it fails";
        if (c.pkthdr) {
          // FreeBSD sets m0's pkthdr.len to len0 before the recursive split, and does not undo
          // it when that split fails (mbuf-semantics.md 3.5).
          const bool quirk = c.at == 110 && nth.n() == 2;
          EXPECT_EQ(m->m_pkthdr.len, quirk ? c.at : total);
          m_fixhdr(m);
        }
        EXPECT_EQ(m_sanity(m, 0), 1);
        m_freem(m);
        m_freem(n);
        return;
      }
      if (!c.pkthdr && c.at == total) {
        EXPECT_EQ(n, nullptr);
      } else {
        ASSERT_NE(n, nullptr);
      }
      EXPECT_EQ(Flatten(m), Slice(b, 0, c.at));
      EXPECT_EQ(Flatten(n), Slice(b, c.at, total - c.at));
      if (c.pkthdr) {
        EXPECT_EQ(m->m_pkthdr.len, c.at);
        EXPECT_TRUE(n->m_flags & M_PKTHDR);
        EXPECT_EQ(n->m_pkthdr.len, total - c.at);
        EXPECT_TRUE(Tags(n).empty()) << "m_split does not copy tags";
        EXPECT_EQ(Tags(m).size(), 1u);
        EXPECT_EQ(m_sanity(m, 0), 1);
        EXPECT_EQ(m_sanity(n, 0), 1);
      } else if (n) {
        EXPECT_FALSE(n->m_flags & M_PKTHDR);
      }
      m_freem(m);
      m_freem(n);
    });
    if (c.points >= 0)
      EXPECT_EQ(points, c.points) << c.what;
    else
      EXPECT_GE(points, 1) << c.what;
  }
}

TEST_F(FaultNth, CollapseKeepsAValidChain) {
  const Bytes bytes = Pattern(5400, 16);
  // Six read-only 900-byte clusters: nothing merges in place, so pairs are copied into new
  // clusters (two of them to get down to four fragments).
  const std::vector<Seg> segs(6, Seg{900, St::kPacket});
  int failures = 0;
  const int points = FailEachAllocation([&](Nth &nth) {
    struct mbuf *m = Build(bytes, segs);
    struct mbuf *other = m_copypacket(m, M_WAITOK);
    nth.Arm();
    struct mbuf *r = m_collapse(m, M_NOWAIT, 4);
    const bool hit = nth.Disarm();
    if (hit) {
      EXPECT_EQ(r, nullptr);
      ++failures;
    } else {
      EXPECT_EQ(r, m);
      EXPECT_LE(ChainCount(m), 4);
    }
    // Either way the chain is the caller's, valid and whole (possibly rearranged).
    EXPECT_EQ(Flatten(m), bytes);
    EXPECT_EQ(m->m_pkthdr.len, 5400);
    EXPECT_EQ(m_sanity(m, 0), 1);
    EXPECT_EQ(Flatten(other), bytes);
    m_freem(m);
    m_freem(other);
  });
  EXPECT_GE(points, 2);
  EXPECT_EQ(failures, points);
}

TEST_F(FaultNth, DefragKeepsTheOriginal) {
  const Bytes bytes = Pattern(3400, 17);
  const std::vector<Seg> segs = {{100}, {1500, St::kPacket}, {200}, {1600, St::kCluster}};
  const int points = FailEachAllocation([&](Nth &nth) {
    struct mbuf *m = Build(bytes, segs);
    AddTags(m, 2);
    const auto tags = Tags(m);
    nth.Arm();
    struct mbuf *d = m_defrag(m, M_NOWAIT);
    if (nth.Disarm()) {
      EXPECT_EQ(d, nullptr);
      // The original is intact and still the caller's.
      EXPECT_EQ(Flatten(m), bytes);
      EXPECT_EQ(ChainCount(m), 4);
      EXPECT_EQ(m->m_pkthdr.len, 3400);
      EXPECT_EQ(Tags(m), tags);
      m_freem(m);
      m_freem(d);
      return;
    }
    // Success freed the original: only d may be touched.
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(Flatten(d), bytes);
    EXPECT_EQ(d->m_pkthdr.len, 3400);
    EXPECT_EQ(ChainCount(d), 2) << "the shortest chain of 2k clusters";
    EXPECT_TRUE(AllWritable(d));
    EXPECT_EQ(Tags(d), tags);
    EXPECT_EQ(m_sanity(d, 0), 1);
    m_freem(d);
  });
  EXPECT_GE(points, 4) << "two clusters and two tag copies";
  // A chain without a packet header comes back unchanged, without allocating.
  EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
              struct mbuf *m = Build(bytes, segs, false);
              nth.Arm();
              EXPECT_EQ(m_defrag(m, M_NOWAIT), m);
              nth.Disarm();
              EXPECT_EQ(Flatten(m), bytes);
              m_freem(m);
            }),
            0);
}

TEST_F(FaultNth, FragmentReturnsTheOriginal) {
  const Bytes bytes = Pattern(3400, 18);
  const std::vector<Seg> segs = {{100}, {1500, St::kPacket}, {200}, {1600, St::kCluster}};
  const int points = FailEachAllocation([&](Nth &nth) {
    struct mbuf *m = Build(bytes, segs);
    AddTags(m, 2);
    const auto tags = Tags(m);
    nth.Arm();
    struct mbuf *r = m_fragment(m, M_NOWAIT, 1000);
    if (nth.Disarm()) {
      EXPECT_EQ(r, m) << "m_fragment returns the original chain when it fails";
      EXPECT_EQ(Flatten(m), bytes);
      EXPECT_EQ(ChainCount(m), 4);
      EXPECT_EQ(Tags(m), tags);
      m_freem(m);
      if (r != m) m_freem(r);
      return;
    }
    ASSERT_NE(r, m);
    EXPECT_EQ(Flatten(r), bytes);
    EXPECT_EQ(r->m_pkthdr.len, 3400);
    EXPECT_EQ(Tags(r), tags);
    std::vector<int> lens;
    for (struct mbuf *k = r; k; k = k->m_next) lens.push_back(k->m_len);
    EXPECT_EQ(lens, (std::vector<int>{1000, 1000, 1000, 400}));
    m_freem(r);
  });
  EXPECT_GE(points, 6) << "four clusters and two tag copies";
}

// =============================================================================================
// Copies: a failure frees the partial copy and leaves the original alone.
// =============================================================================================

class FaultNthCopy : public FaultNth {
 protected:
  // 3400 bytes: internal head (32 bytes in), shared-able packet cluster, internal, cluster.
  const std::vector<Seg> segs_ = {
      {100, St::kInternal, 32}, {1500, St::kPacket}, {200}, {1600, St::kCluster}};
  const Bytes bytes_ = Pattern(3400, 19);

  struct mbuf *Original() {
    struct mbuf *m = Build(bytes_, segs_);
    m->m_flags |= M_BCAST;
    m->m_pkthdr.flowid = 0x1234;
    m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_TCP;
    AddTags(m, 2);
    return m;
  }
  // The original after a copy attempt: same bytes, header and tags, and once the copy is gone
  // its clusters are writable again (no reference leaked).
  void ExpectOriginal(struct mbuf *m, bool copy_alive) {
    EXPECT_EQ(Flatten(m), bytes_);
    EXPECT_EQ(m->m_pkthdr.len, 3400);
    EXPECT_EQ(Tags(m).size(), 2u);
    EXPECT_EQ(m_sanity(m, 0), 1);
    if (!copy_alive) {
      EXPECT_TRUE(AllWritable(m)) << "a failed copy left a cluster reference";
    }
  }
};

TEST_F(FaultNthCopy, Copym) {
  struct Case {
    int off, len;
  } cases[] = {{0, M_COPYALL}, {0, 1700}, {150, 3000}, {1650, 100}, {3399, M_COPYALL}};
  for (const Case &c : cases) {
    const int want_len = c.len == M_COPYALL ? 3400 - c.off : c.len;
    const int points = FailEachAllocation([&](Nth &nth) {
      struct mbuf *m = Original();
      const auto tags = Tags(m);
      nth.Arm();
      struct mbuf *n = m_copym(m, c.off, c.len, M_NOWAIT);
      if (nth.Disarm()) {
        EXPECT_EQ(n, nullptr);
        m_freem(n);
        ExpectOriginal(m, false);
        m_freem(m);
        return;
      }
      ASSERT_NE(n, nullptr);
      EXPECT_EQ(Flatten(n), Slice(bytes_, c.off, want_len));
      if (c.off == 0) {
        EXPECT_TRUE(n->m_flags & M_PKTHDR);
        EXPECT_TRUE(n->m_flags & M_BCAST);
        EXPECT_EQ(n->m_pkthdr.len, want_len);
        EXPECT_EQ(n->m_pkthdr.flowid, 0x1234u);
        EXPECT_EQ(Tags(n), tags) << "off 0 copies the packet header with its tags";
        EXPECT_EQ(m_sanity(n, 0), 1);
      } else {
        EXPECT_FALSE(n->m_flags & M_PKTHDR);
      }
      for (struct mbuf *k = n; k; k = k->m_next) {
        if (k->m_flags & M_EXT) {
          EXPECT_FALSE(M_WRITABLE(k)) << "cluster data is shared";
        }
      }
      ExpectOriginal(m, true);
      m_freem(n);
      ExpectOriginal(m, false);
      m_freem(m);
    });
    EXPECT_GE(points, 1) << c.off << "+" << c.len;
  }
  // Nothing to copy: NULL without allocating.
  for (const Case &c : {Case{0, 0}, Case{3400, M_COPYALL}, Case{3400, 0}}) {
    EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
                struct mbuf *m = Original();
                nth.Arm();
                EXPECT_EQ(m_copym(m, c.off, c.len, M_NOWAIT), nullptr);
                nth.Disarm();
                m_freem(m);
              }),
              0);
  }
}

TEST_F(FaultNthCopy, Copypacket) {
  const int points = FailEachAllocation([&](Nth &nth) {
    struct mbuf *m = Original();
    const auto tags = Tags(m);
    nth.Arm();
    struct mbuf *n = m_copypacket(m, M_NOWAIT);
    if (nth.Disarm()) {
      EXPECT_EQ(n, nullptr);
      m_freem(n);
      ExpectOriginal(m, false);
      m_freem(m);
      return;
    }
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(Flatten(n), bytes_);
    EXPECT_EQ(n->m_pkthdr.len, 3400);
    EXPECT_EQ(n->m_pkthdr.csum_flags, static_cast<uint32_t>(CSUM_IP | CSUM_IP_TCP));
    EXPECT_EQ(Tags(n), tags);
    EXPECT_EQ(M_LEADINGSPACE(n), 32) << "internal data keeps its offset (room to prepend)";
    EXPECT_EQ(m_sanity(n, 0), 1);
    ExpectOriginal(m, true);
    m_freem(m);  // the copy outlives the original
    EXPECT_EQ(Flatten(n), bytes_);
    m_freem(n);
  });
  EXPECT_GE(points, 6) << "four mbufs and two tags";
}

TEST_F(FaultNthCopy, Dup) {
  const int points = FailEachAllocation([&](Nth &nth) {
    struct mbuf *m = Original();
    const auto tags = Tags(m);
    nth.Arm();
    struct mbuf *n = m_dup(m, M_NOWAIT);
    if (nth.Disarm()) {
      EXPECT_EQ(n, nullptr);
      m_freem(n);
      ExpectOriginal(m, false);
      m_freem(m);
      return;
    }
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(Flatten(n), bytes_);
    EXPECT_EQ(n->m_pkthdr.len, 3400);
    EXPECT_TRUE(AllWritable(n)) << "m_dup makes a writable deep copy";
    EXPECT_EQ(Tags(n), tags);
    EXPECT_EQ(m_sanity(n, 0), 1);
    ExpectOriginal(m, false);  // nothing shared
    m_freem(n);
    m_freem(m);
  });
  EXPECT_GE(points, 4) << "two clusters and two tags";
}

TEST_F(FaultNth, DupPkthdrLeavesNoTagsOnFailure) {
  const int points = FailEachAllocation([&](Nth &nth) {
    struct mbuf *from = m_gethdr(M_WAITOK, MT_DATA);
    from->m_flags |= M_MCAST;
    from->m_pkthdr.flowid = 77;
    AddTags(from, 3);
    const auto tags = Tags(from);
    struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
    nth.Arm();
    const int r = m_dup_pkthdr(to, from, M_NOWAIT);
    if (nth.Disarm()) {
      EXPECT_EQ(r, 0) << "m_dup_pkthdr returns 0 on failure";
      EXPECT_TRUE(to->m_flags & M_PKTHDR) << "to keeps M_PKTHDR";
      EXPECT_TRUE(Tags(to).empty()) << "but has no tags";
    } else {
      EXPECT_EQ(r, 1);
      EXPECT_EQ(Tags(to), tags);
      EXPECT_TRUE(to->m_flags & M_MCAST);
      EXPECT_EQ(to->m_pkthdr.flowid, 77u);
    }
    EXPECT_EQ(Tags(from), tags);
    m_freem(to);
    m_freem(from);
  });
  EXPECT_EQ(points, 3);
}

TEST_F(FaultNth, Devget) {
  const Bytes bytes = Pattern(5000, 20);
  struct Case {
    int totlen, off;
  } cases[] = {{100, 0}, {100, 8}, {300, 2}, {5000, 2}, {1000, MHLEN}};
  for (const Case &c : cases) {
    const int points = FailEachAllocation([&](Nth &nth) {
      int ifp_storage = 0;
      auto *ifp = reinterpret_cast<struct ifnet *>(&ifp_storage);
      nth.Arm();
      struct mbuf *m = m_devget(reinterpret_cast<char *>(const_cast<uint8_t *>(bytes.data())),
                                c.totlen, c.off, ifp, nullptr);
      if (nth.Disarm()) {
        EXPECT_EQ(m, nullptr) << "m_devget frees what it built";
        m_freem(m);
        return;
      }
      ASSERT_NE(m, nullptr);
      EXPECT_EQ(Flatten(m), Slice(bytes, 0, c.totlen));
      EXPECT_EQ(m->m_pkthdr.len, c.totlen);
      EXPECT_EQ(m->m_pkthdr.rcvif, ifp);
      EXPECT_GE(M_LEADINGSPACE(m), c.off);
      EXPECT_EQ(m_sanity(m, 0), 1);
      m_freem(m);
    });
    EXPECT_GE(points, 1) << c.totlen << "@" << c.off;
  }
  // Bad arguments: NULL without allocating.
  for (const Case &c : {Case{0, 0}, Case{-1, 0}, Case{100, MHLEN + 1}, Case{100, -1}}) {
    EXPECT_EQ(FailEachAllocation([&](Nth &nth) {
                nth.Arm();
                EXPECT_EQ(m_devget(reinterpret_cast<char *>(const_cast<uint8_t *>(bytes.data())),
                                   c.totlen, c.off, nullptr, nullptr),
                          nullptr);
                nth.Disarm();
              }),
              0);
  }
}

// =============================================================================================
// Tags.
// =============================================================================================

TEST_F(FaultNth, TagAllocAndCopy) {
  EXPECT_EQ(FailEachAllocation([](Nth &nth) {
              nth.Arm();
              struct m_tag *t = m_tag_alloc(kCookie, 42, 24, M_NOWAIT);
              if (nth.Disarm()) {
                EXPECT_EQ(t, nullptr);
                if (t) m_tag_free(t);
                return;
              }
              ASSERT_NE(t, nullptr);
              EXPECT_EQ(t->m_tag_cookie, kCookie);
              EXPECT_EQ(t->m_tag_id, 42);
              EXPECT_EQ(t->m_tag_len, 24);
              m_tag_free(t);
            }),
            1);
  EXPECT_EQ(FailEachAllocation([](Nth &nth) {
              nth.Arm();
              EXPECT_EQ(m_tag_alloc(kCookie, 42, -1, M_NOWAIT), nullptr);
              nth.Disarm();
            }),
            0);
  EXPECT_EQ(FailEachAllocation([](Nth &nth) {
              struct m_tag *t = NewTag(7, 30);
              nth.Arm();
              struct m_tag *c = m_tag_copy(t, M_NOWAIT);
              if (nth.Disarm()) {
                EXPECT_EQ(c, nullptr);
              } else {
                ASSERT_NE(c, nullptr);
                EXPECT_NE(c, t);
                EXPECT_EQ(c->m_tag_cookie, kCookie);
                EXPECT_EQ(c->m_tag_id, 7);
                EXPECT_EQ(c->m_tag_len, 30);
                EXPECT_EQ(std::memcmp(c + 1, t + 1, 30), 0);
              }
              if (c) m_tag_free(c);
              m_tag_free(t);
            }),
            1);
}

TEST_F(FaultNth, TagCopyChainDeletesTheOldTagsEvenOnFailure) {
  const int points = FailEachAllocation([](Nth &nth) {
    struct mbuf *from = m_gethdr(M_WAITOK, MT_DATA);
    AddTags(from, 3);
    const auto tags = Tags(from);
    struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
    m_tag_prepend(to, NewTag(90, 4));
    m_tag_prepend(to, NewTag(91, 4));
    nth.Arm();
    const int r = m_tag_copy_chain(to, from, M_NOWAIT);
    if (nth.Disarm()) {
      EXPECT_EQ(r, 0);
      EXPECT_TRUE(Tags(to).empty()) << "to's tags are deleted first, and the partial copy too";
    } else {
      EXPECT_EQ(r, 1);
      EXPECT_EQ(Tags(to), tags) << "same tags, same order";
    }
    EXPECT_EQ(Tags(from), tags);
    m_freem(to);
    m_freem(from);
  });
  EXPECT_EQ(points, 3);
}

}  // namespace
}  // namespace mbufnic::test
