// Fail every allocation point of every allocating call, one at a time, and check FreeBSD's
// documented outcome each time: which calls free the chain on failure, which keep it intact, that
// no partial result leaks (LeakCheck around every case, LeakSanitizer in the ASan build) and
// that nothing is corrupted (content compared byte for byte).
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

using Bytes = std::vector<uint8_t>;

// Count the M_NOWAIT allocations `attempt` makes when nothing fails, then run it once more for
// each of them with exactly that allocation failing (so every allocation point fails once), and
// finally once with no failure.  Returns the number of allocation points.
int ForEachAllocationPoint(const std::function<void(uint64_t n, bool faulted)> &attempt) {
  mbufnic_fault_fail_nth(UINT64_MAX);  // count, never fail
  attempt(0, false);
  const uint64_t points = mbufnic_fault_alloc_count();
  mbufnic_fault_reset();
  for (uint64_t n = 1; n <= points; ++n) {
    mbufnic_fault_fail_nth(n);
    attempt(n, true);
    mbufnic_fault_reset();
  }
  return static_cast<int>(points);
}

// A packet mixing internal and shared (read-only) cluster storage: 4 mbufs, 3400 bytes.
struct mbuf *MixedChain(const Bytes &bytes, struct mbuf **holder) {
  struct mbuf *h = m_gethdr(M_WAITOK, MT_DATA);
  std::memcpy(mtod(h, void *), bytes.data(), 100);
  h->m_len = 100;
  struct mbuf *c1 = m_getcl(M_WAITOK, MT_DATA, 0);
  std::memcpy(mtod(c1, void *), bytes.data() + 100, 1500);
  c1->m_len = 1500;
  struct mbuf *i2 = m_get(M_WAITOK, MT_DATA);
  std::memcpy(mtod(i2, void *), bytes.data() + 1600, 200);
  i2->m_len = 200;
  struct mbuf *c3 = m_getcl(M_WAITOK, MT_DATA, 0);
  std::memcpy(mtod(c3, void *), bytes.data() + 1800, 1600);
  c3->m_len = 1600;
  h->m_next = c1;
  c1->m_next = i2;
  i2->m_next = c3;
  h->m_pkthdr.len = 3400;
  *holder = m_copypacket(h, M_WAITOK);  // shares c1 and c3: they are read-only now
  return h;
}

class FaultEveryAlloc : public ::testing::Test {
 protected:
  void TearDown() override { mbufnic_fault_reset(); }
  LeakCheck leaks_;
  const Bytes bytes_ = Pattern(3400, 77);
};

// ---- calls that free the chain on failure ----

TEST_F(FaultEveryAlloc, PrependFreesOnFailure) {
  const int points = ForEachAllocationPoint([&](uint64_t, bool faulted) {
    struct mbuf *m = MakeChain(bytes_, {160, 2000, 1240}, true, Storage::kPacket);
    M_PREPEND(m, 54, M_NOWAIT);  // no leading space in a fresh packet: needs a new mbuf
    if (faulted) {
      EXPECT_EQ(m, nullptr);  // freed, and LeakCheck proves it
    } else {
      ASSERT_NE(m, nullptr);
      EXPECT_EQ(m->m_pkthdr.len, 3454);
      m_freem(m);
    }
  });
  EXPECT_EQ(points, 1);
}

TEST_F(FaultEveryAlloc, PullupAndCopyupFreeOnFailure) {
  EXPECT_EQ(ForEachAllocationPoint([&](uint64_t, bool faulted) {
              struct mbuf *m = MakeChain(bytes_, {10, 1000, 1390, 1000}, true, Storage::kCluster);
              m = m_pullup(m, 120);
              EXPECT_EQ(m == nullptr, faulted);
              if (m) {
                EXPECT_EQ(Flatten(m), bytes_);
                EXPECT_GE(m->m_len, 120);
              }
              m_freem(m);
            }),
            1);
  EXPECT_EQ(ForEachAllocationPoint([&](uint64_t, bool faulted) {
              struct mbuf *m = MakeChain(bytes_, {10, 1000, 1390, 1000}, true, Storage::kCluster);
              m = m_copyup(m, 100, 16);
              EXPECT_EQ(m == nullptr, faulted);
              if (m) {
                EXPECT_EQ(Flatten(m), bytes_);
                EXPECT_EQ(M_LEADINGSPACE(m), 16);
              }
              m_freem(m);
            }),
            1);
}

TEST_F(FaultEveryAlloc, PulldownFreesOnFailureOnEachAllocatingPath) {
  // Path 2: contiguous at a non-zero offset without offp -> the mbuf is cut (m_dup1).
  // Path 5: spanning two packet-zone clusters -> a new cluster takes both parts.
  struct Case {
    int off, len;
    bool offp;
  } cases[] = {{120, 100, false}, {1900, 300, true}, {1900, 300, false}};
  for (auto c : cases) {
    const int points = ForEachAllocationPoint([&](uint64_t, bool faulted) {
      struct mbuf *m = MakeChain(bytes_, {2000, 1400}, true, Storage::kPacket);
      int offp = -1;
      struct mbuf *n = m_pulldown(m, c.off, c.len, c.offp ? &offp : nullptr);
      EXPECT_EQ(n == nullptr, faulted);
      if (n == nullptr) return;  // m was freed
      const int at = c.offp ? offp : 0;
      EXPECT_EQ(std::memcmp(mtod(n, char *) + at, bytes_.data() + c.off, c.len), 0);
      EXPECT_EQ(Flatten(m), bytes_);
      m_freem(m);
    });
    EXPECT_EQ(points, 1) << c.off << "+" << c.len;
  }
}

TEST_F(FaultEveryAlloc, UnshareFreesOnFailure) {
  const int points = ForEachAllocationPoint([&](uint64_t, bool faulted) {
    struct mbuf *holder;
    struct mbuf *m = MixedChain(bytes_, &holder);
    m = m_unshare(m, M_NOWAIT);
    EXPECT_EQ(m == nullptr, faulted);
    if (m) {
      EXPECT_EQ(Flatten(m), bytes_);
      for (struct mbuf *k = m; k; k = k->m_next) EXPECT_TRUE(M_WRITABLE(k));
    }
    EXPECT_EQ(Flatten(holder), bytes_);  // the other reference never changes
    m_freem(m);
    m_freem(holder);
  });
  EXPECT_GE(points, 1);
}

// ---- calls that keep the chain ----

TEST_F(FaultEveryAlloc, DefragKeepsTheOriginal) {
  const int points = ForEachAllocationPoint([&](uint64_t, bool faulted) {
    std::vector<int> sizes(34, 100);
    struct mbuf *m = MakeChain(bytes_, sizes);
    struct mbuf *d = m_defrag(m, M_NOWAIT);
    EXPECT_EQ(d == nullptr, faulted);
    if (d == nullptr) {
      EXPECT_EQ(Flatten(m), bytes_);  // untouched
      EXPECT_EQ(ChainCount(m), 34);
      m_freem(m);
    } else {
      EXPECT_EQ(Flatten(d), bytes_);
      EXPECT_EQ(ChainCount(d), 2);
      m_freem(d);
    }
  });
  EXPECT_EQ(points, 2);  // the header cluster, then one more cluster
}

TEST_F(FaultEveryAlloc, CollapseKeepsAValidChain) {
  ForEachAllocationPoint([&](uint64_t, bool faulted) {
    struct mbuf *holder;
    struct mbuf *m = MixedChain(bytes_, &holder);
    struct mbuf *r = m_collapse(m, M_NOWAIT, 3);
    if (!faulted) {
      EXPECT_NE(r, nullptr);
    }
    if (r) {
      EXPECT_LE(ChainCount(r), 3);
    }
    EXPECT_EQ(Flatten(m), bytes_);  // valid and whole either way
    EXPECT_EQ(m_sanity(m, 0), 1);
    m_freem(m);
    m_freem(holder);
  });
}

TEST_F(FaultEveryAlloc, SplitKeepsTheChain) {
  for (int at : {50, 160, 1000, 3000}) {
    const int points = ForEachAllocationPoint([&](uint64_t, bool faulted) {
      struct mbuf *m = MakeChain(bytes_, {160, 2000, 1240}, true, Storage::kCluster);
      struct mbuf *n = m_split(m, at, M_NOWAIT);
      EXPECT_EQ(n == nullptr, faulted);
      if (n == nullptr) {
        m_fixhdr(m);  // FreeBSD may already have changed pkthdr.len: the caller repairs it
        EXPECT_EQ(Flatten(m), bytes_);
      } else {
        EXPECT_EQ(Flatten(m), Bytes(bytes_.begin(), bytes_.begin() + at));
        EXPECT_EQ(Flatten(n), Bytes(bytes_.begin() + at, bytes_.end()));
        EXPECT_EQ(n->m_pkthdr.len, 3400 - at);
        m_freem(n);
      }
      m_freem(m);
    });
    EXPECT_GE(points, 1) << at;
  }
}

TEST_F(FaultEveryAlloc, AppendKeepsWhatFit) {
  ForEachAllocationPoint([&](uint64_t, bool faulted) {
    struct mbuf *m = MakeChain(Bytes(bytes_.begin(), bytes_.begin() + 100), {100});
    const int ok = m_append(m, 3300, reinterpret_cast<c_caddr_t>(bytes_.data() + 100));
    EXPECT_EQ(ok == 0, faulted);
    const Bytes got = Flatten(m);
    EXPECT_EQ(static_cast<int>(got.size()), m->m_pkthdr.len);
    EXPECT_EQ(got, Bytes(bytes_.begin(), bytes_.begin() + got.size()));  // a prefix, uncorrupted
    m_freem(m);
  });
}

TEST_F(FaultEveryAlloc, CopyingCallsLeaveTheOriginalAndLeakNoPartialCopy) {
  using Copier = std::function<struct mbuf *(struct mbuf *)>;
  const std::vector<std::pair<std::string, Copier>> copiers = {
      {"m_copym", [](struct mbuf *m) { return m_copym(m, 0, M_COPYALL, M_NOWAIT); }},
      {"m_copym-mid", [](struct mbuf *m) { return m_copym(m, 50, 3000, M_NOWAIT); }},
      {"m_copypacket", [](struct mbuf *m) { return m_copypacket(m, M_NOWAIT); }},
      {"m_dup", [](struct mbuf *m) { return m_dup(m, M_NOWAIT); }},
  };
  for (const auto &[name, copy] : copiers) {
    const int points = ForEachAllocationPoint([&](uint64_t, bool faulted) {
      struct mbuf *holder;
      struct mbuf *m = MixedChain(bytes_, &holder);
      // A tag, so that the header copy allocates too.
      struct m_tag *t = m_tag_alloc(42, 7, 16, M_WAITOK);
      m_tag_prepend(m, t);
      struct mbuf *c = copy(m);
      EXPECT_EQ(c == nullptr, faulted) << name;
      EXPECT_EQ(Flatten(m), bytes_) << name;
      if (c && (c->m_flags & M_PKTHDR)) {
        EXPECT_NE(m_tag_locate(c, 42, 7, nullptr), nullptr) << name;
      }
      m_freem(c);
      m_freem(m);
      m_freem(holder);
    });
    EXPECT_GE(points, 2) << name;
  }
}

TEST_F(FaultEveryAlloc, DupPkthdrAndTagCopies) {
  ForEachAllocationPoint([&](uint64_t, bool faulted) {
    struct mbuf *from = m_gethdr(M_WAITOK, MT_DATA);
    for (int i = 0; i < 3; ++i)
      m_tag_prepend(from, m_tag_alloc(1, static_cast<uint16_t>(i), 8, M_WAITOK));
    struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
    const int ok = m_dup_pkthdr(to, from, M_NOWAIT);
    EXPECT_EQ(ok == 0, faulted);
    if (!ok) {
      EXPECT_TRUE(SLIST_EMPTY(&to->m_pkthdr.tags));  // no half-copied list
    }
    for (int i = 0; ok && i < 3; ++i) {
      EXPECT_NE(m_tag_locate(to, 1, static_cast<uint16_t>(i), nullptr), nullptr);
    }
    m_freem(to);
    m_freem(from);
  });
}

TEST_F(FaultEveryAlloc, TagCopyChainDropsTheDestinationTagsFirst) {
  const int points = ForEachAllocationPoint([&](uint64_t, bool faulted) {
    struct mbuf *from = m_gethdr(M_WAITOK, MT_DATA);
    for (int i = 0; i < 3; ++i)
      m_tag_prepend(from, m_tag_alloc(1, static_cast<uint16_t>(i), 8, M_WAITOK));
    struct mbuf *to = m_gethdr(M_WAITOK, MT_DATA);
    m_tag_prepend(to, m_tag_alloc(9, 9, 4, M_WAITOK));
    const int ok = m_tag_copy_chain(to, from, M_NOWAIT);
    EXPECT_EQ(ok == 0, faulted);
    EXPECT_EQ(m_tag_locate(to, 9, 9, nullptr), nullptr);  // gone whether or not the copy worked
    if (!ok) {
      EXPECT_TRUE(SLIST_EMPTY(&to->m_pkthdr.tags));
    }
    m_freem(to);
    m_freem(from);
  });
  EXPECT_EQ(points, 3);
}

TEST_F(FaultEveryAlloc, CopybackPastTheEndStopsSilently) {
  ForEachAllocationPoint([&](uint64_t, bool) {
    struct mbuf *m = MakeChain(Bytes(bytes_.begin(), bytes_.begin() + 100), {100});
    m_copyback(m, 500, 1000, reinterpret_cast<c_caddr_t>(bytes_.data()));
    EXPECT_EQ(m_sanity(m, 0), 1);
    const Bytes got = Flatten(m);
    EXPECT_EQ(Bytes(got.begin(), got.begin() + 100), Bytes(bytes_.begin(), bytes_.begin() + 100));
    m_freem(m);
  });
}

TEST_F(FaultEveryAlloc, DevgetFragmentAndAllocators) {
  EXPECT_EQ(ForEachAllocationPoint([&](uint64_t, bool faulted) {
              struct mbuf *m =
                  m_devget(reinterpret_cast<char *>(const_cast<uint8_t *>(bytes_.data())), 3400, 2,
                           nullptr, nullptr);
              EXPECT_EQ(m == nullptr, faulted);
              if (m) {
                EXPECT_EQ(Flatten(m), bytes_);
              }
              m_freem(m);
            }),
            2);
  ForEachAllocationPoint([&](uint64_t, bool faulted) {
    struct mbuf *m = MakeChain(bytes_, {160, 2000, 1240}, true, Storage::kCluster);
    struct mbuf *f = m_fragment(m, M_NOWAIT, 500);
    if (faulted) {
      EXPECT_EQ(f, m);  // the original comes back untouched
    }
    EXPECT_EQ(Flatten(f), bytes_);
    if (!faulted) {
      EXPECT_EQ(ChainCount(f), 7);
    }
    m_freem(f);
  });
  for (int size : {MCLBYTES, MJUMPAGESIZE, MJUM9BYTES, MJUM16BYTES}) {
    const int points = ForEachAllocationPoint([&](uint64_t, bool faulted) {
      struct mbuf *m = m_getjcl(M_NOWAIT, MT_DATA, M_PKTHDR, size);
      EXPECT_EQ(m == nullptr, faulted);
      m_freem(m);
    });
    EXPECT_EQ(points, size == MCLBYTES ? 1 : 2) << size;
  }
}

}  // namespace
}  // namespace mbufnic::test
