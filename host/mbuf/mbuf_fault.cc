// MBUF_STRESS_TEST knobs, kernel support globals (panic, max_linkhdr), and the small counters
// other parts report into (m_defrag, packet tags).
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "mbuf_internal.h"

int max_linkhdr = 16;                 // Ethernet header, rounded as FreeBSD does
int max_protohdr = 40;                // IPv4 + TCP without options
int max_hdr = 16 + 40;                // max_linkhdr + max_protohdr
int max_datalen = MHLEN - (16 + 40);  // MHLEN - max_hdr

extern "C" void vpanic(const char *fmt, va_list ap) {
  std::fflush(stdout);
  std::fputs("panic: ", stderr);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  std::fflush(stderr);
  std::abort();
}

extern "C" void panic(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vpanic(fmt, ap);
}

namespace mbufnic::internal {

std::atomic<bool> g_fault_active{false};

namespace {

// Fault state.
std::atomic<uint32_t> g_ppm{0};
std::atomic<uint64_t> g_nth{0};
std::atomic<uint64_t> g_count{0};
std::atomic<uint64_t> g_rng{0x9e3779b97f4a7c15ull};
std::atomic<bool> g_defrag_random{false};
std::atomic<int> g_frag_size{0};

std::atomic<uint64_t> g_defrag_packets{0}, g_defrag_bytes{0}, g_defrag_useless{0},
    g_defrag_failures{0};
std::atomic<int64_t> g_tags{0}, g_tag_bytes{0};

void UpdateActive() {
  g_fault_active.store(g_ppm.load() != 0 || g_nth.load() != 0, std::memory_order_release);
}

// splitmix64 over a shared atomic state: reproducible for a given seed in a single thread,
// race-free (if not reproducible) with several.
uint64_t NextRandom() {
  uint64_t z =
      g_rng.fetch_add(0x9e3779b97f4a7c15ull, std::memory_order_relaxed) + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

bool fault_should_fail(int how) {
  if (how & M_WAITOK) return false;
  if (!fault_active()) return false;
  const uint64_t n = g_count.fetch_add(1, std::memory_order_relaxed) + 1;
  const uint64_t nth = g_nth.load(std::memory_order_relaxed);
  if (nth != 0 && n == nth) return true;
  const uint32_t ppm = g_ppm.load(std::memory_order_relaxed);
  return ppm != 0 && NextRandom() % 1000000 < ppm;
}

uint64_t fault_random() { return NextRandom(); }

bool fault_defrag_should_fail() {
  return g_defrag_random.load(std::memory_order_relaxed) && (NextRandom() & 0xff) == 0xba;
}

void defrag_count(bool useless, bool failed, uint64_t bytes) {
  if (failed) {
    g_defrag_failures.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  g_defrag_packets.fetch_add(1, std::memory_order_relaxed);
  g_defrag_bytes.fetch_add(bytes, std::memory_order_relaxed);
  if (useless) g_defrag_useless.fetch_add(1, std::memory_order_relaxed);
}

void tags_account(int64_t count_delta, int64_t bytes_delta) {
  g_tags.fetch_add(count_delta, std::memory_order_relaxed);
  g_tag_bytes.fetch_add(bytes_delta, std::memory_order_relaxed);
}

}  // namespace mbufnic::internal

using namespace mbufnic::internal;

extern "C" {

void mbufnic_fault_seed(uint64_t seed) { g_rng.store(seed, std::memory_order_relaxed); }

void mbufnic_fault_set_alloc_failure_ppm(uint32_t ppm) {
  g_ppm.store(ppm > 1000000 ? 1000000 : ppm);
  UpdateActive();
}

void mbufnic_fault_fail_nth(uint64_t n) {
  g_count.store(0);
  g_nth.store(n);
  UpdateActive();
}

uint64_t mbufnic_fault_alloc_count(void) { return g_count.load(std::memory_order_relaxed); }

void mbufnic_fault_set_defrag_random_failures(int on) { g_defrag_random.store(on != 0); }

void mbufnic_fault_set_frag_size(int size) { g_frag_size.store(size < 0 ? 0 : size); }
int mbufnic_fault_get_frag_size(void) { return g_frag_size.load(); }

void mbufnic_fault_reset(void) {
  g_ppm.store(0);
  g_nth.store(0);
  g_count.store(0);
  g_defrag_random.store(false);
  g_frag_size.store(0);
  UpdateActive();
}

struct mbuf *m_stress_fragment(struct mbuf *m, int how) {
  const int size = g_frag_size.load(std::memory_order_relaxed);
  if (m == nullptr || size <= 0 || !(m->m_flags & M_PKTHDR) || m->m_pkthdr.len <= size) return m;
  return m_fragment(m, how, size);
}

void mbufnic_defrag_get_stats(struct mbufnic_defrag_stats *st) {
  st->packets = g_defrag_packets.load();
  st->bytes = g_defrag_bytes.load();
  st->useless = g_defrag_useless.load();
  st->failures = g_defrag_failures.load();
}

uint64_t mbufnic_tags_in_use(void) { return static_cast<uint64_t>(g_tags.load()); }
uint64_t mbufnic_tag_bytes_in_use(void) { return static_cast<uint64_t>(g_tag_bytes.load()); }

}  // extern "C"
