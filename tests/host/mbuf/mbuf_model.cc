// The reference model of the mbuf chain operations (mbuf_model.h): a random packet and a random
// sequence of operations applied to it and to a flat byte vector, checked after every step.
#include "mbuf_model.h"

#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test::model {
namespace {

// The source of the case being run (RunCase sets it).
Source *g_src = nullptr;

// A failed check ends the case through the source: RapidCheck shrinks it, a fuzzer aborts.
[[noreturn]] void Fail(int line, const std::string &what) {
  g_src->Fail("mbuf_model.cc:" + std::to_string(line) + ": " + what);
}
#define MODEL_FAIL(msg) Fail(__LINE__, (msg))
#define MODEL_ASSERT(cond)                 \
  do {                                     \
    if (!(cond)) Fail(__LINE__, "" #cond); \
  } while (0)

// One line of the case's log: what each step did, shown with a failure.
class Log {
 public:
  ~Log() { g_src->Log(s_.str()); }
  template <typename T>
  Log &operator<<(const T &v) {
    s_ << v;
    return *this;
  }

 private:
  std::ostringstream s_;
};

// Growth stops here, so that a case stays small and fast (under ASan too).
constexpr int kMaxLen = 12000;
// Extra references kept alive at once (copies made along the way, the sources of shared data).
constexpr size_t kMaxHolders = 6;

// ---- small helpers ----

// Pointer checks read as sentences in a failure message.
bool IsNull(const void *p) { return p == nullptr; }
bool NotNull(const void *p) { return p != nullptr; }

// In [lo, hi] (lo when the range is empty); a source may favour small values here (RapidCheck's
// size grows over a run, so the first cases are small).
int Pick(int lo, int hi) { return hi <= lo ? lo : g_src->Sized(lo, hi); }
// Uniform over all of [lo, hi] whatever the size: choices of operation, storage and the like.
int PickAny(int lo, int hi) { return hi <= lo ? lo : g_src->Any(lo, hi); }
bool Coin() { return g_src->Any(0, 1) == 1; }
// One of the values given, uniformly.
template <typename T, typename... Ts>
T OneOf(T first, Ts... rest) {
  const T all[] = {first, rest...};
  return all[PickAny(0, sizeof...(rest))];
}
// True with probability 1/n.
bool OneIn(int n) { return PickAny(1, n) == 1; }

// A pointer to b's bytes that is never null, even for an empty b (the calls take a pointer and
// a length, and a null pointer with length 0 is still not a valid memcpy source).
const uint8_t *Ptr(const Bytes &b) {
  static const uint8_t none = 0;
  return b.empty() ? &none : b.data();
}
c_caddr_t CPtr(const Bytes &b) { return reinterpret_cast<c_caddr_t>(Ptr(b)); }

void ExpectBytes(const Bytes &got, const Bytes &want, const std::string &what) {
  if (got == want) return;
  std::ostringstream s;
  s << what << ": " << got.size() << " bytes, expected " << want.size();
  const size_t n = std::min(got.size(), want.size());
  for (size_t i = 0; i < n; ++i) {
    if (got[i] != want[i]) {
      s << "; first difference at byte " << i << " (" << int(got[i]) << " vs " << int(want[i])
        << ")";
      break;
    }
  }
  MODEL_FAIL(s.str());
}

// Allocations denied so far, over all zones (injected failures included).  Tag allocations are
// not counted here; calls that copy tags are allowed to fail whenever the packet has tags.
uint64_t Denials() {
  uint64_t n = 0;
  for (int z = 0; z < MBUFNIC_ZONE_COUNT; ++z) {
    struct mbufnic_zone_stats st {};
    mbufnic_zone_get_stats(static_cast<mbufnic_zone_id>(z), &st);
    n += st.failures;
  }
  return n;
}

struct Freem {
  void operator()(struct mbuf *m) const { m_freem(m); }
};
using Chain = std::unique_ptr<struct mbuf, Freem>;

// ---- tags ----

struct TagInfo {
  uint32_t cookie;
  uint16_t id;
  Bytes payload;
  bool operator==(const TagInfo &) const = default;
};

std::vector<TagInfo> Tags(const struct mbuf *m) {
  std::vector<TagInfo> v;
  const struct m_tag *t;
  SLIST_FOREACH(t, &m->m_pkthdr.tags, m_tag_link) {
    const auto *p = reinterpret_cast<const uint8_t *>(t + 1);
    v.push_back({t->m_tag_cookie, t->m_tag_id, Bytes(p, p + t->m_tag_len)});
  }
  return v;
}

void AddTag(struct mbuf *m, uint16_t id, int len) {
  struct m_tag *t = m_tag_alloc(0x4d424e43, id, len, M_WAITOK);
  MODEL_ASSERT(NotNull(t));
  const Bytes p = Pattern(len, id);
  std::copy(p.begin(), p.end(), reinterpret_cast<uint8_t *>(t + 1));
  m_tag_prepend(m, t);
}

// ---- the operations, counted to show what the runs exercised ----

enum Op {
  kPrepend,
  kAdjHead,
  kAdjTail,
  kAppend,
  kCopyback,
  kCat,
  kCatpkt,
  kSplit,
  kPullup,
  kPulldown,
  kCopym,
  kCopypacket,
  kDup,
  kDefrag,
  kCollapse,
  kUnshare,
  kFragment,
  kCopydata,
  kApply,
  kGetptr,
  kCopyup,
  kGetm2,
  kDropHolder,
  kOpCount
};
const char *const kOpNames[kOpCount] = {
    "M_PREPEND", "m_adj(+)", "m_adj(-)",   "m_append",   "m_copyback",     "m_cat",
    "m_catpkt",  "m_split",  "m_pullup",   "m_pulldown", "m_copym",        "m_copypacket",
    "m_dup",     "m_defrag", "m_collapse", "m_unshare",  "m_fragment",     "m_copydata",
    "m_apply",   "m_getptr", "m_copyup",   "m_getm2",    "(free a holder)"};

struct OpStats {
  uint64_t runs = 0, failed = 0;  // failed: the call reported an allocation failure
};
std::array<OpStats, kOpCount> g_stats;

// ---- packet header fields every operation keeps on the head ----

// The fields and flags a packet header carries besides len and tags.  Moving the header
// (M_PREPEND, m_pullup, m_copyup, m_unshare) and copying it (m_dup_pkthdr: m_copym at offset 0,
// m_copypacket, m_dup, m_defrag, m_fragment) keep them all.
struct HdrFields {
  // m_flags & M_COPYFLAGS, less M_RDONLY (m_dup clears it) and M_EOR (which marks the tail
  // mbuf, so that m_getm2, for one, moves it).
  uint32_t flags;
  struct ifnet *rcvif;
  uint32_t flowid, csum_flags, csum;
  uint16_t vtag, segsz;
  uint8_t rsstype;
  bool operator==(const HdrFields &) const = default;
};

HdrFields Fields(const struct mbuf *m) {
  return {static_cast<uint32_t>(m->m_flags & M_COPYFLAGS & ~(M_RDONLY | M_EOR)),
          m->m_pkthdr.rcvif,
          m->m_pkthdr.flowid,
          m->m_pkthdr.csum_flags,
          m->m_pkthdr.csum_data,
          m->m_pkthdr.ether_vtag,
          m->m_pkthdr.tso_segsz,
          m->m_pkthdr.rsstype};
}

// Random values for them (no send tag: CSUM_SND_TAG stays clear).
void SetFields(struct mbuf *m) {
  static int fake_ifnet;
  if (Coin()) m->m_flags |= OneOf(M_BCAST, M_MCAST, M_PROMISC, M_PROTO1);
  if (Coin()) {
    m->m_flags |= M_VLANTAG;
    m->m_pkthdr.ether_vtag = static_cast<uint16_t>(PickAny(1, 4094));
  }
  m->m_pkthdr.rcvif = reinterpret_cast<struct ifnet *>(&fake_ifnet);
  m->m_pkthdr.flowid = static_cast<uint32_t>(g_src->Bits());
  m->m_pkthdr.csum_flags = static_cast<uint32_t>(g_src->Bits()) & ~CSUM_SND_TAG;
  m->m_pkthdr.csum_data = static_cast<uint32_t>(g_src->Bits());
  m->m_pkthdr.tso_segsz = static_cast<uint16_t>(g_src->Bits());
  m->m_pkthdr.rsstype = M_HASHTYPE_RSS_TCP_IPV4;
}

// ---- the world of one case: the chain under test, its model, and the other references ----

// A reference to (some of) the chain's clusters, with the bytes it must keep reading.
struct Holder {
  Chain m;
  Bytes want;
  bool dirty = false;  // m_copyback wrote through shared storage: contents no longer known
};

struct World {
  Chain m;  // the chain under test (null once a call consumed it)
  Bytes model;
  std::vector<TagInfo> tags;
  HdrFields fields{};
  std::vector<Holder> holders;
  bool has_tags() const { return !tags.empty(); }

  void Hold(struct mbuf *c, Bytes want) {
    if (holders.size() < kMaxHolders)
      holders.push_back({Chain(c), std::move(want)});
    else
      m_freem(c);
  }
};

enum class St { kInternal, kCluster, kPacket };

struct mbuf *NewMbuf(St st, bool hdr) {
  struct mbuf *m = nullptr;
  switch (st) {
    case St::kInternal:
      m = hdr ? m_gethdr(M_WAITOK, MT_DATA) : m_get(M_WAITOK, MT_DATA);
      break;
    case St::kCluster:
      m = hdr ? m_gethdr(M_WAITOK, MT_DATA) : m_get(M_WAITOK, MT_DATA);
      MODEL_ASSERT(m_clget(m, M_WAITOK) != 0);
      break;
    case St::kPacket:
      m = m_getcl(M_WAITOK, MT_DATA, hdr ? M_PKTHDR : 0);
      break;
  }
  MODEL_ASSERT(NotNull(m));
  return m;
}

// A random chain (built with M_WAITOK: fault injection never touches it) of one to three groups
// of mbufs, each group of one storage kind, some groups shared with a holder in `w` through
// m_copym (so their clusters are read-only).  Its bytes go to *bytes.
struct mbuf *GenChain(World &w, bool pkthdr, int max_len, Bytes *bytes) {
  bytes->clear();
  Chain head;
  struct mbuf *tail = nullptr;
  const int groups = PickAny(1, 3);
  for (int g = 0; g < groups; ++g) {
    const bool hdr = pkthdr && g == 0;
    const St st = OneOf(St::kInternal, St::kCluster, St::kPacket);
    const int nseg = PickAny(1, 4);
    Bytes gbytes;
    Chain group;
    struct mbuf **tailp = nullptr;
    for (int i = 0; i < nseg; ++i) {
      struct mbuf *m = NewMbuf(st, hdr && i == 0);
      const int room = static_cast<int>(M_TRAILINGSPACE(m));
      int len = 0;
      switch (PickAny(0, 3)) {
        case 0:
          len = 0;  // an empty mbuf
          break;
        case 1:
          len = Pick(1, 64);
          break;
        default:
          len = Pick(0, room);
      }
      len = std::min(len, std::max(0, max_len - static_cast<int>(bytes->size() + gbytes.size())));
      const int lead = OneIn(3) ? Pick(0, room - len) : 0;
      m->m_data += lead;
      const Bytes b = Pattern(len, static_cast<uint32_t>(PickAny(0, (1 << 20) - 1)));
      std::copy(b.begin(), b.end(), mtod(m, uint8_t *));
      m->m_len = len;
      gbytes.insert(gbytes.end(), b.begin(), b.end());
      if (!group) {
        group.reset(m);
      } else {
        *tailp = m;
      }
      tailp = &m->m_next;
    }
    if (hdr) group->m_pkthdr.len = static_cast<int>(gbytes.size());
    // Share the clusters of this group with another reference: the chain gets the copy.
    if (st != St::kInternal && !gbytes.empty() && OneIn(3)) {
      struct mbuf *copy =
          hdr ? m_copypacket(group.get(), M_WAITOK) : m_copym(group.get(), 0, M_COPYALL, M_WAITOK);
      MODEL_ASSERT(NotNull(copy));
      w.Hold(group.release(), gbytes);
      group.reset(copy);
    }
    struct mbuf *first = group.release();
    if (tail == nullptr)
      head.reset(first);
    else
      tail->m_next = first;
    for (tail = first; tail->m_next; tail = tail->m_next) {
    }
    bytes->insert(bytes->end(), gbytes.begin(), gbytes.end());
  }
  if (pkthdr) head->m_pkthdr.len = static_cast<int>(bytes->size());
  return head.release();
}

// ---- checks ----

void CheckHolders(const World &w) {
  for (size_t i = 0; i < w.holders.size(); ++i) {
    if (w.holders[i].dirty) continue;
    ExpectBytes(
        Flatten(w.holders[i].m.get()), w.holders[i].want,
        "another reference to the chain's storage changed (holder " + std::to_string(i) + ")");
  }
}

void CheckChain(const World &w) {
  struct mbuf *m = w.m.get();
  const int size = static_cast<int>(w.model.size());
  ExpectBytes(Flatten(m), w.model, "chain contents");
  struct mbuf *last = nullptr;
  MODEL_ASSERT(m_length(m, &last) == static_cast<u_int>(size));
  MODEL_ASSERT(NotNull(last));
  MODEL_ASSERT(IsNull(last->m_next));
  MODEL_ASSERT((m->m_flags & M_PKTHDR) != 0);
  MODEL_ASSERT(m->m_pkthdr.len == size);
  MODEL_ASSERT(m_sanity(m, 0) == 1);
  MODEL_ASSERT(Tags(m) == w.tags);
  MODEL_ASSERT(Fields(m) == w.fields);
  CheckHolders(w);
}

// The checks every successful copy of the whole packet must pass.
void CheckPacketCopy(const World &w, struct mbuf *c) {
  ExpectBytes(Flatten(c), w.model, "copy contents");
  MODEL_ASSERT((c->m_flags & M_PKTHDR) != 0);
  MODEL_ASSERT(c->m_pkthdr.len == static_cast<int>(w.model.size()));
  MODEL_ASSERT(m_sanity(c, 0) == 1);
  MODEL_ASSERT(Tags(c) == w.tags);
  MODEL_ASSERT(Fields(c) == w.fields);
}

struct ApplyAcc {
  Bytes seen;
  uint64_t sum = 0;
  size_t stop_after = 0;  // 0: never stop
  size_t calls_after_stop = 0;
};

int ApplyFn(void *arg, void *data, u_int len) {
  auto *acc = static_cast<ApplyAcc *>(arg);
  if (acc->stop_after && acc->seen.size() >= acc->stop_after) ++acc->calls_after_stop;
  const auto *p = static_cast<const uint8_t *>(data);
  for (u_int i = 0; i < len; ++i) {
    acc->sum += uint64_t{p[i]} * (acc->seen.size() + 1);
    acc->seen.push_back(p[i]);
  }
  return acc->stop_after && acc->seen.size() >= acc->stop_after ? 7 : 0;
}

// ---- one step ----

// Apply one random operation to w.m and to the model.  Leaves w.m null when the call consumed
// the chain (its documented failure outcome).
void Step(World &w, int step) {
  const int size = static_cast<int>(w.model.size());
  const uint64_t denials_before = Denials();
  // A call may report an allocation failure only when one was denied (or, for calls that copy
  // tags, when there are tags: tag allocations are not in the zone counters).
  auto denied = [&] { return Denials() != denials_before; };
  auto denied_or_tags = [&] { return denied() || w.has_tags(); };
  const int op = PickAny(0, kOpCount - 1);
  OpStats &stats = g_stats[op];
  ++stats.runs;
  const uint32_t seed = 1000 + step;
  switch (op) {
    case kPrepend: {
      const int n = Pick(0, MHLEN);
      Log() << step << ": M_PREPEND " << n << "\n";
      struct mbuf *m = w.m.release();
      M_PREPEND(m, n, M_NOWAIT);
      if (m == nullptr) {  // freed with the chain
        MODEL_ASSERT(denied());
        ++stats.failed;
        return;
      }
      w.m.reset(m);
      MODEL_ASSERT(m->m_len >= n);
      const Bytes hdr = Pattern(n, seed);
      std::copy(hdr.begin(), hdr.end(), mtod(m, uint8_t *));
      w.model.insert(w.model.begin(), hdr.begin(), hdr.end());
      break;
    }
    case kAdjHead: {
      const int n = Pick(0, size + 20);
      Log() << step << ": m_adj " << n << "\n";
      m_adj(w.m.get(), n);
      w.model.erase(w.model.begin(), w.model.begin() + std::min(n, size));
      break;
    }
    case kAdjTail: {
      const int n = Pick(1, size + 20);
      Log() << step << ": m_adj -" << n << "\n";
      m_adj(w.m.get(), -n);
      w.model.resize(size - std::min(n, size));
      break;
    }
    case kAppend: {
      const int len = Pick(0, std::min(3000, kMaxLen - size));
      Log() << step << ": m_append " << len << "\n";
      const Bytes add = Pattern(len, seed);
      const int r = m_append(w.m.get(), len, CPtr(add));
      const int got = static_cast<int>(m_length(w.m.get(), nullptr)) - size;
      if (r == 1) {
        MODEL_ASSERT(got == len);
      } else {
        // Partial data stays, and only a denied allocation can stop it.
        MODEL_ASSERT(r == 0);
        MODEL_ASSERT(got >= 0);
        MODEL_ASSERT(got < len);
        MODEL_ASSERT(denied());
        ++stats.failed;
      }
      w.model.insert(w.model.end(), add.begin(), add.begin() + got);
      break;
    }
    case kCopyback: {
      const int off = Pick(0, std::min(size + 300, kMaxLen));
      // A zero-length write past the end is left out: FreeBSD then extends the chain without
      // raising pkthdr.len, an edge the semantics leave undocumented.
      const int len = Pick(off > size ? 1 : 0, std::max(1, std::min(600, kMaxLen - off)));
      Log() << step << ": m_copyback " << off << "+" << len << "\n";
      const Bytes data = Pattern(len, seed);
      Bytes want = w.model;
      if (off + len > size) want.resize(off + len, 0);
      std::copy(data.begin(), data.end(), want.begin() + off);
      m_copyback(w.m.get(), off, len, CPtr(data));
      // It writes straight through shared clusters (no writability check).
      if (off < size && len > 0)
        for (Holder &h : w.holders) h.dirty = true;
      const int got = static_cast<int>(m_length(w.m.get(), nullptr));
      MODEL_ASSERT(got >= size);
      MODEL_ASSERT(got <= static_cast<int>(want.size()));
      if (got < static_cast<int>(want.size())) {  // stopped silently on a failure
        MODEL_ASSERT(denied());
        ++stats.failed;
      }
      want.resize(got);
      w.model = want;
      break;
    }
    case kCat:
    case kCatpkt: {
      const bool pkt = op == kCatpkt;
      Bytes b2;
      Chain n2(GenChain(w, pkt, kMaxLen - size, &b2));
      if (pkt && OneIn(2)) AddTag(n2.get(), 77, 3);  // m_catpkt's m_demote deletes it
      Log() << step << ": " << kOpNames[op] << " " << b2.size() << " bytes\n";
      const int before = w.m->m_pkthdr.len;
      if (pkt) {
        m_catpkt(w.m.get(), n2.release());
      } else {
        m_cat(w.m.get(), n2.release());
        MODEL_ASSERT(w.m->m_pkthdr.len == before);  // m_cat does not maintain pkthdr.len
        MODEL_ASSERT(m_fixhdr(w.m.get()) == static_cast<u_int>(size + b2.size()));
      }
      w.model.insert(w.model.end(), b2.begin(), b2.end());
      break;
    }
    case kSplit: {
      const int at = OneIn(8) ? size + Pick(1, 10) : Pick(0, size);
      Log() << step << ": m_split " << at << " + m_catpkt\n";
      Chain n2(m_split(w.m.get(), at, M_NOWAIT));
      if (at > size) {  // no such byte: NULL, nothing touched
        MODEL_ASSERT(IsNull(n2.get()));
        break;
      }
      if (n2 == nullptr) {
        // The chain stays whole.  FreeBSD may already have set pkthdr.len to `at` (when the
        // recursive split of an internal mbuf fails): the caller repairs it.
        MODEL_ASSERT(denied());
        ++stats.failed;
        MODEL_ASSERT(w.m->m_pkthdr.len == size || w.m->m_pkthdr.len == at);
        m_fixhdr(w.m.get());
        break;
      }
      ExpectBytes(Flatten(w.m.get()), Slice(w.model, 0, at), "head part of m_split");
      ExpectBytes(Flatten(n2.get()), Slice(w.model, at, size - at), "tail part of m_split");
      MODEL_ASSERT(w.m->m_pkthdr.len == at);
      MODEL_ASSERT((n2->m_flags & M_PKTHDR) != 0);
      MODEL_ASSERT(n2->m_pkthdr.len == size - at);
      // m_split gives the tail a new header with only rcvif: no tags, flags or offload fields.
      MODEL_ASSERT(Tags(n2.get()).empty());
      MODEL_ASSERT((n2->m_pkthdr.rcvif == w.fields.rcvif));
      MODEL_ASSERT(n2->m_pkthdr.flowid == 0u);
      MODEL_ASSERT(n2->m_pkthdr.csum_flags == 0u);
      MODEL_ASSERT((n2->m_flags & (M_BCAST | M_MCAST | M_PROMISC | M_PROTO1 | M_VLANTAG)) == 0u);
      MODEL_ASSERT(m_sanity(w.m.get(), 0) == 1);
      MODEL_ASSERT(m_sanity(n2.get(), 0) == 1);
      CheckHolders(w);
      m_catpkt(w.m.get(), n2.release());
      break;
    }
    case kPullup: {
      const bool too_long = OneIn(20);
      const int len = too_long ? size + Pick(1, 20) : Pick(1, std::max(1, std::min(MHLEN, size)));
      if (!too_long && size == 0) break;
      Log() << step << ": m_pullup " << len << "\n";
      struct mbuf *r = m_pullup(w.m.release(), len);
      if (r == nullptr) {  // the chain was freed
        MODEL_ASSERT(too_long || denied());
        if (!too_long) ++stats.failed;
        return;
      }
      MODEL_ASSERT(!too_long);
      w.m.reset(r);
      MODEL_ASSERT(r->m_len >= len);
      break;
    }
    case kPulldown: {
      const bool too_long = OneIn(20);
      if (size == 0 && !too_long) break;
      const int off = too_long ? Pick(0, size) : Pick(0, size - 1);
      const int len = too_long ? size - off + Pick(1, 20) : Pick(1, std::min(MCLBYTES, size - off));
      const bool use_offp = Coin();
      Log() << step << ": m_pulldown " << off << "+" << len << (use_offp ? " offp" : "") << "\n";
      // Data before off never moves: remember where byte off - 1 lives.
      const uint8_t *before = nullptr;
      if (off > 0) {
        int o;
        struct mbuf *k = m_getptr(w.m.get(), off - 1, &o);
        MODEL_ASSERT(NotNull(k));
        before = mtod(k, uint8_t *) + o;
      }
      // FreeBSD's m_pulldown also fails when the region lies in one mbuf, not at its start, with
      // no offp, and that mbuf holds more than MCLBYTES from off on: m_dup1 will not copy that
      // much (a jumbo cluster filled by m_cat or m_append after m_getm2 can get there).
      bool dup1_too_long = false;
      if (!too_long && !use_offp) {
        struct mbuf *k = w.m.get();
        int o = off;
        for (; k != nullptr && o > 0 && !(k->m_len > o); k = k->m_next) o -= k->m_len;
        while (k != nullptr && k->m_len == 0) k = k->m_next;
        dup1_too_long = k != nullptr && o != 0 && len <= k->m_len - o && k->m_len - o > MCLBYTES;
      }
      int offp = -1;
      struct mbuf *n = m_pulldown(w.m.get(), off, len, use_offp ? &offp : nullptr);
      if (n == nullptr) {  // the chain was freed
        (void)w.m.release();
        MODEL_ASSERT(too_long || dup1_too_long || denied());
        if (!too_long) ++stats.failed;
        return;
      }
      MODEL_ASSERT(!too_long);
      MODEL_ASSERT(!dup1_too_long);
      const int at = use_offp ? offp : 0;
      MODEL_ASSERT(InChain(w.m.get(), n));
      MODEL_ASSERT(at >= 0);
      MODEL_ASSERT(n->m_len - at >= len);
      ExpectBytes(Bytes(mtod(n, uint8_t *) + at, mtod(n, uint8_t *) + at + len),
                  Slice(w.model, off, len), "m_pulldown region");
      if (before) {
        int o;
        struct mbuf *k = m_getptr(w.m.get(), off - 1, &o);
        MODEL_ASSERT(NotNull(k));
        MODEL_ASSERT((mtod(k, uint8_t *) + o == before));
      }
      break;
    }
    case kCopym: {
      const int off = Pick(0, size);
      const int len = OneIn(3) ? M_COPYALL : Pick(0, size - off);
      const int eff = len == M_COPYALL ? size - off : len;
      Log() << step << ": m_copym " << off << "+" << len << "\n";
      // Nothing to copy gives NULL, except that M_COPYALL copies every mbuf from where the
      // offset ends, empty ones included (FreeBSD's loop); that is a copy of no bytes.
      bool copies_empty_mbufs = false;
      if (eff == 0 && len == M_COPYALL) {
        struct mbuf *k = w.m.get();
        for (int o = off; o > 0 && !(o < k->m_len); k = k->m_next) o -= k->m_len;
        copies_empty_mbufs = k != nullptr;
      }
      struct mbuf *c = m_copym(w.m.get(), off, len, M_NOWAIT);
      if (eff == 0 && !copies_empty_mbufs) {
        MODEL_ASSERT(IsNull(c));
        break;
      }
      if (c == nullptr) {
        MODEL_ASSERT((off == 0 ? denied_or_tags() : denied()));
        ++stats.failed;
        break;
      }
      Chain copy(c);
      ExpectBytes(Flatten(c), Slice(w.model, off, eff), "m_copym contents");
      if (off == 0) {
        MODEL_ASSERT((c->m_flags & M_PKTHDR) != 0);
        MODEL_ASSERT(c->m_pkthdr.len == eff);
        MODEL_ASSERT(Tags(c) == w.tags);
        MODEL_ASSERT(Fields(c) == w.fields);
        MODEL_ASSERT(m_sanity(c, 0) == 1);
      } else {
        MODEL_ASSERT((c->m_flags & M_PKTHDR) == 0);
      }
      for (struct mbuf *k = c; k; k = k->m_next) {
        if (k->m_flags & M_EXT) MODEL_ASSERT(!M_WRITABLE(k));  // shared, so read-only
      }
      w.Hold(copy.release(), Slice(w.model, off, eff));
      break;
    }
    case kCopypacket: {
      const bool swap = Coin();
      Log() << step << ": m_copypacket" << (swap ? " (continue with the copy)" : "") << "\n";
      struct mbuf *c = m_copypacket(w.m.get(), M_NOWAIT);
      if (c == nullptr) {
        MODEL_ASSERT(denied_or_tags());
        ++stats.failed;
        break;
      }
      Chain copy(c);
      CheckPacketCopy(w, c);
      if (swap) {  // go on with the read-only copy; the original becomes another reference
        struct mbuf *orig = w.m.release();
        w.m = std::move(copy);
        if (w.holders.size() < kMaxHolders) {
          w.holders.push_back({Chain(orig), w.model});
        } else {
          m_freem(orig);
        }
      } else {
        w.Hold(copy.release(), w.model);
      }
      break;
    }
    case kDup: {
      const bool swap = Coin();
      Log() << step << ": m_dup" << (swap ? " (continue with the copy)" : "") << "\n";
      struct mbuf *d = m_dup(w.m.get(), M_NOWAIT);
      if (d == nullptr) {
        MODEL_ASSERT(denied_or_tags());
        ++stats.failed;
        break;
      }
      Chain dup(d);
      CheckPacketCopy(w, d);
      MODEL_ASSERT(AllWritable(d));  // a deep, writable copy
      if (swap) w.m = std::move(dup);
      break;
    }
    case kDefrag: {
      Log() << step << ": m_defrag\n";
      struct mbuf *d = m_defrag(w.m.get(), M_NOWAIT);
      if (d == nullptr) {  // the original stays, intact
        MODEL_ASSERT(denied_or_tags());
        ++stats.failed;
        break;
      }
      (void)w.m.release();  // freed by m_defrag unless it is d itself
      w.m.reset(d);
      const int want = size <= MHLEN ? 1 : (size + MCLBYTES - 1) / MCLBYTES;
      MODEL_ASSERT(ChainCount(d) == want);  // the shortest chain of 2k clusters
      MODEL_ASSERT(AllWritable(d));
      break;
    }
    case kCollapse: {
      const int maxfrags = PickAny(2, 8);
      Log() << step << ": m_collapse " << maxfrags << "\n";
      struct mbuf *r = m_collapse(w.m.get(), M_NOWAIT, maxfrags);
      if (r != nullptr) {
        MODEL_ASSERT((r == w.m.get()));
        MODEL_ASSERT(ChainCount(r) <= maxfrags);
      } else {
        // Not necessarily an allocation failure (nothing may be mergeable); the chain is still
        // the caller's, whole, and checked below.
        if (denied()) ++stats.failed;
      }
      break;
    }
    case kUnshare: {
      Log() << step << ": m_unshare\n";
      struct mbuf *r = m_unshare(w.m.release(), M_NOWAIT);
      if (r == nullptr) {  // the chain was freed
        MODEL_ASSERT(denied());
        ++stats.failed;
        return;
      }
      w.m.reset(r);
      MODEL_ASSERT(AllWritable(r));
      break;
    }
    case kFragment: {
      int length = OneIn(4) ? -PickAny(1, 2) : Pick(1, 400);
      if (size == 0 && length < 0) length = 100;  // FreeBSD divides by the length then
      if (length > 0 && size / length > 64) length = size / 64 + 1;
      Log() << step << ": m_fragment " << length << "\n";
      struct mbuf *r = m_fragment(w.m.get(), M_NOWAIT, length);
      if (r == w.m.get()) {  // the original comes back on failure
        MODEL_ASSERT(denied_or_tags());
        ++stats.failed;
        break;
      }
      (void)w.m.release();  // freed by m_fragment
      w.m.reset(r);
      std::vector<int> lens;
      for (struct mbuf *k = r; k; k = k->m_next) lens.push_back(k->m_len);
      for (size_t i = 0; i + 1 < lens.size(); ++i) {
        if (length > 0) MODEL_ASSERT(lens[i] == std::min(length, MCLBYTES));
        if (length == -1) MODEL_ASSERT(lens[i] == lens[0]);
        MODEL_ASSERT(lens[i] >= 1 && lens[i] <= (length > 0 ? MCLBYTES : 255));
      }
      if (length > 0)
        MODEL_ASSERT(lens.size() == static_cast<size_t>(std::max(1, (size + length - 1) / length)));
      break;
    }
    case kCopydata: {
      const int off = Pick(0, size);
      const int len = Pick(0, size - off);
      Log() << step << ": m_copydata " << off << "+" << len << "\n";
      Bytes buf(len);
      m_copydata(w.m.get(), off, len, reinterpret_cast<caddr_t>(const_cast<uint8_t *>(Ptr(buf))));
      ExpectBytes(buf, Slice(w.model, off, len), "m_copydata");
      break;
    }
    case kApply: {
      const int off = Pick(0, size);
      const int len = Pick(0, size - off);
      ApplyAcc acc;
      if (len > 0 && OneIn(3)) acc.stop_after = Pick(1, len);
      Log() << step << ": m_apply " << off << "+" << len << " stop " << acc.stop_after << "\n";
      const int r = m_apply(w.m.get(), off, len, ApplyFn, &acc);
      const Bytes want = Slice(w.model, off, len);
      if (acc.stop_after == 0) {
        MODEL_ASSERT(r == 0);
        ExpectBytes(acc.seen, want, "m_apply");
        uint64_t sum = 0;
        for (size_t i = 0; i < want.size(); ++i) sum += uint64_t{want[i]} * (i + 1);
        MODEL_ASSERT(acc.sum == sum);
      } else {
        // It stops at the first non-zero return and passes that value back.
        MODEL_ASSERT(r == 7);
        MODEL_ASSERT(acc.calls_after_stop == 0u);
        MODEL_ASSERT(acc.seen.size() >= acc.stop_after);
        ExpectBytes(acc.seen, Slice(want, 0, static_cast<int>(acc.seen.size())),
                    "m_apply (stopped)");
      }
      break;
    }
    case kGetptr: {
      int loc;
      switch (PickAny(0, 5)) {
        case 0:
          loc = size;
          break;
        case 1:
          loc = size + Pick(1, 10);
          break;
        case 2:
          loc = -Pick(1, 5);
          break;
        default:
          loc = Pick(0, size);
      }
      Log() << step << ": m_getptr " << loc << "\n";
      int off = -1;
      struct mbuf *n = m_getptr(w.m.get(), loc, &off);
      if (loc < 0 || loc > size) {
        MODEL_ASSERT(IsNull(n));
      } else if (loc == size) {  // the end of the data, in the last mbuf
        MODEL_ASSERT(NotNull(n));
        MODEL_ASSERT(IsNull(n->m_next));
        MODEL_ASSERT(off == n->m_len);
      } else {
        MODEL_ASSERT(NotNull(n));
        MODEL_ASSERT(off >= 0 && off < n->m_len);
        int before = 0;
        for (struct mbuf *k = w.m.get(); k != n; k = k->m_next) before += k->m_len;
        MODEL_ASSERT(before + off == loc);
        MODEL_ASSERT(mtod(n, uint8_t *)[off] == w.model[loc]);
      }
      break;
    }
    case kCopyup: {
      const int dstoff = PickAny(0, 3) == 0 ? 0 : Pick(0, 64);
      const bool too_long = OneIn(20);
      const int len = too_long ? MHLEN - dstoff + Pick(1, 8)
                               : Pick(1, std::max(1, std::min(MHLEN - dstoff, size)));
      if (!too_long && size == 0) break;
      Log() << step << ": m_copyup " << len << " " << dstoff << "\n";
      struct mbuf *r = m_copyup(w.m.release(), len, dstoff);
      if (r == nullptr) {  // the chain was freed
        MODEL_ASSERT(too_long || denied());
        if (!too_long) ++stats.failed;
        return;
      }
      MODEL_ASSERT(!too_long);
      w.m.reset(r);
      MODEL_ASSERT(r->m_len >= len);
      MODEL_ASSERT(M_LEADINGSPACE(r) == dstoff);
      break;
    }
    case kGetm2: {
      // Empty mbufs (plain, cluster or jumbo) appended to the chain; its bytes do not change.
      const int len = Pick(0, 6000);
      const int count = ChainCount(w.m.get());
      Log() << step << ": m_getm2 " << len << "\n";
      struct mbuf *r = m_getm2(w.m.get(), len, M_NOWAIT, MT_DATA, 0);
      if (r == nullptr) {  // nothing appended; the chain is still the caller's
        MODEL_ASSERT(denied());
        MODEL_ASSERT(ChainCount(w.m.get()) == count);
        ++stats.failed;
        break;
      }
      MODEL_ASSERT((r == w.m.get()));
      if (len == 0) {
        MODEL_ASSERT(ChainCount(r) == count);
      } else {
        MODEL_ASSERT(ChainCount(r) > count);
      }
      break;
    }
    case kDropHolder: {
      // Another reference goes away (it may hold the reference count of shared storage).
      if (w.holders.empty()) break;
      const int i = PickAny(0, static_cast<int>(w.holders.size()) - 1);
      Log() << step << ": free holder " << i << "\n";
      w.holders.erase(w.holders.begin() + i);
      break;
    }
  }
}

// One case: a random packet, a random sequence, then everything freed and counted.
void RunCase(uint32_t ppm) {
  const ZoneUsage before = ZoneUsage::Now();
  {
    World w;
    w.m.reset(GenChain(w, true, kMaxLen, &w.model));
    if (OneIn(3)) {
      AddTag(w.m.get(), 20, 6);
      if (Coin()) AddTag(w.m.get(), 21, 0);
      w.tags = Tags(w.m.get());
    }
    if (Coin()) SetFields(w.m.get());
    w.fields = Fields(w.m.get());
    CheckChain(w);
    struct FaultsOn {
      FaultsOn(uint64_t seed, uint32_t ppm) {
        mbufnic_fault_seed(seed);
        mbufnic_fault_set_alloc_failure_ppm(ppm);
      }
      ~FaultsOn() { mbufnic_fault_reset(); }
    } faults(g_src->Bits(), ppm);
    for (int step = 0; w.m && g_src->Continue(step); ++step) {
      Step(w, step);
      if (w.m)
        CheckChain(w);
      else
        CheckHolders(w);
    }
  }  // frees the chain and every other reference
  const ZoneUsage after = ZoneUsage::Now();
  for (int z = 0; z < MBUFNIC_ZONE_COUNT; ++z) MODEL_ASSERT(after.used[z] == before.used[z]);
  MODEL_ASSERT(after.tags == before.tags);
}

}  // namespace

void RunCase(Source &src, uint32_t ppm) {
  g_src = &src;
  RunCase(ppm);
  g_src = nullptr;
}

void PrintOpStats(std::FILE *out) {
  std::fprintf(out, "operations run (reported allocation failures):\n");
  for (int i = 0; i < kOpCount; ++i)
    std::fprintf(out, "  %-13s %8llu (%llu)\n", kOpNames[i],
                 static_cast<unsigned long long>(g_stats[i].runs),
                 static_cast<unsigned long long>(g_stats[i].failed));
}

}  // namespace mbufnic::test::model
