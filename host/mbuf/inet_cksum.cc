// The Internet checksum with run-time dispatch to the widest vector unit the CPU has.
//
// Every kernel adds the buffer's 16-bit words (in memory order) into wide accumulators and folds
// at the end; the ones'-complement sum is byte-order independent (RFC 1071 section 2), so no
// byte swapping happens in the loop.  The vector kernels split each 32-bit lane into its two
// 16-bit halves (mask and shift, which run on several ports, unlike shuffles) and add them into
// 32-bit lanes, spilling to 64-bit totals before a lane could overflow.
#include <immintrin.h>
#include <machine/in_cksum.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <atomic>
#include <iterator>
#include <cstdlib>
#include <cstring>

#include "mbuf_internal.h"
#include "mbufnic/cksum.h"

// GCC 12's AVX-512 headers build vectors from _mm512_undefined_*, which it then reports as
// (maybe) uninitialized at every use: a known false positive of the compiler's own headers.
// (clang, which the fuzz build uses, has no -Wmaybe-uninitialized and warns about the name.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace {

// Fold a 64-bit partial sum to 16 bits with end-around carries.
inline uint16_t Fold(uint64_t s) {
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// Sum of the bytes [p, p + n) as 16-bit memory-order words (a last odd byte is padded with a
// zero after it, in memory), unfolded.  Works on 64-bit words with the carries counted apart:
// 2^64 is 1 modulo 0xffff, so a 64-bit word stands for the sum of its four 16-bit words and each
// carry out of the 64-bit sum is an end-around carry of 1.
__attribute__((always_inline)) inline uint64_t SumTail(const uint8_t *p, size_t n) {
  uint64_t s = 0, carries = 0;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    s += w;
    carries += (s < w);
    p += 8;
    n -= 8;
  }
  uint64_t rest = 0;  // the last 0..7 bytes, zero-padded, placed as they lie in memory
  uint8_t *r = reinterpret_cast<uint8_t *>(&rest);
  if (n & 4) {
    std::memcpy(r, p, 4);
    r += 4;
    p += 4;
  }
  if (n & 2) {
    std::memcpy(r, p, 2);
    r += 2;
    p += 2;
  }
  if (n & 1) *r = *p;
  s += rest;
  carries += (s < rest);
  // Fold to at most 33 bits so that callers may add more to it.
  s = (s & 0xffffffffu) + (s >> 32) + carries;
  return (s & 0xffffffffu) + (s >> 32);
}

uint64_t SumScalar(const uint8_t *p, size_t n) {
  // Four independent accumulators of 32-bit words; each may take 2^32 additions.
  uint64_t a = 0, b = 0, c = 0, d = 0;
  while (n >= 32) {
    uint32_t w[8];
    std::memcpy(w, p, 32);
    a += static_cast<uint64_t>(w[0]) + w[4];
    b += static_cast<uint64_t>(w[1]) + w[5];
    c += static_cast<uint64_t>(w[2]) + w[6];
    d += static_cast<uint64_t>(w[3]) + w[7];
    p += 32;
    n -= 32;
  }
  const uint64_t s = Fold(a) + static_cast<uint64_t>(Fold(b)) + Fold(c) + Fold(d);
  return s + SumTail(p, n);
}

__attribute__((target("sse2"))) uint64_t SumSse2(const uint8_t *p, size_t n) {
  const __m128i mask = _mm_set1_epi32(0xffff);
  uint64_t total = 0;
  while (n >= 64) {
    // Each 32-bit lane gains at most 2 * 4 * 0xffff per iteration: spill before 2^32.
    size_t blocks = std::min<size_t>(n / 64, 8000);
    __m128i acc0 = _mm_setzero_si128(), acc1 = _mm_setzero_si128();
    n -= blocks * 64;
    while (blocks--) {
      for (int i = 0; i < 4; i += 2) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p) + i);
        const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p) + i + 1);
        acc0 = _mm_add_epi32(acc0, _mm_add_epi32(_mm_and_si128(x, mask), _mm_srli_epi32(x, 16)));
        acc1 = _mm_add_epi32(acc1, _mm_add_epi32(_mm_and_si128(y, mask), _mm_srli_epi32(y, 16)));
      }
      p += 64;
    }
    alignas(16) uint32_t lanes[8];
    _mm_store_si128(reinterpret_cast<__m128i *>(lanes), acc0);
    _mm_store_si128(reinterpret_cast<__m128i *>(lanes) + 1, acc1);
    for (uint32_t l : lanes) total += l;
  }
  return total + SumTail(p, n);
}

__attribute__((target("avx2"))) uint64_t SumAvx2(const uint8_t *p, size_t n) {
  const __m256i mask = _mm256_set1_epi32(0xffff);
  uint64_t total = 0;
  while (n >= 128) {
    size_t blocks = std::min<size_t>(n / 128, 8000);
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    n -= blocks * 128;
    while (blocks--) {
      for (int i = 0; i < 4; i += 2) {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p) + i);
        const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p) + i + 1);
        acc0 = _mm256_add_epi32(
            acc0, _mm256_add_epi32(_mm256_and_si256(x, mask), _mm256_srli_epi32(x, 16)));
        acc1 = _mm256_add_epi32(
            acc1, _mm256_add_epi32(_mm256_and_si256(y, mask), _mm256_srli_epi32(y, 16)));
      }
      p += 128;
    }
    alignas(32) uint32_t lanes[16];
    _mm256_store_si256(reinterpret_cast<__m256i *>(lanes), acc0);
    _mm256_store_si256(reinterpret_cast<__m256i *>(lanes) + 1, acc1);
    for (uint32_t l : lanes) total += l;
  }
  return total + SumTail(p, n);
}

// AVX-512BW: vpmaddwd adds pairs of 16-bit words into 32-bit lanes in one instruction, but reads
// the words as signed.  Flipping each word's top bit first (x ^ 0x8000) turns every word u into
// the signed value u - 32768, so the true sum is the madd total plus 32768 for every word read.
// The tail is one masked load (zeroed bytes add nothing), so no scalar loop runs.
__attribute__((target("avx512f,avx512bw"))) uint64_t SumAvx512(const uint8_t *p, size_t n) {
  const __m512i flip = _mm512_set1_epi16(static_cast<short>(0x8000));
  const __m512i ones = _mm512_set1_epi16(1);
  int64_t total = 0;
  uint64_t vectors = 0;
  while (n > 0) {
    // Each madd lane is within [-65536, 65534]; 8192 iterations of 2 vectors per accumulator
    // stay far inside a signed 32-bit lane before the spill to 64 bits.
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    for (int i = 0; i < 8192 && n >= 128; ++i) {
      const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(p), flip);
      const __m512i y = _mm512_xor_si512(_mm512_loadu_si512(p + 64), flip);
      acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(x, ones));
      acc1 = _mm512_add_epi32(acc1, _mm512_madd_epi16(y, ones));
      p += 128;
      n -= 128;
      vectors += 2;
    }
    if (n < 128 && n > 0) {
      if (n >= 64) {
        const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(p), flip);
        acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(x, ones));
        p += 64;
        n -= 64;
        ++vectors;
      }
      if (n > 0) {
        const __mmask64 m = (n >= 64) ? ~__mmask64{0} : ((__mmask64{1} << n) - 1);
        const __m512i x = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, p), flip);
        acc1 = _mm512_add_epi32(acc1, _mm512_madd_epi16(x, ones));
        n = 0;
        ++vectors;
      }
    }
    const __m512i lo = _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(acc0)),
                                        _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(acc0, 1)));
    const __m512i hi = _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(acc1)),
                                        _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(acc1, 1)));
    total += _mm512_reduce_add_epi64(_mm512_add_epi64(lo, hi));
  }
  // 32 words per vector, each read 32768 low.
  return static_cast<uint64_t>(total + static_cast<int64_t>(vectors) * 32 * 32768);
}

// AVX-512 VNNI: the same sign-flipped word sums, with vpdpwssd doing the multiply-add and the
// accumulate in one instruction, four accumulators of 64 bytes each per 256-byte step.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) uint64_t SumAvx512Vnni(const uint8_t *p,
                                                                             size_t n) {
  const __m512i flip = _mm512_set1_epi16(static_cast<short>(0x8000));
  const __m512i ones = _mm512_set1_epi16(1);
  int64_t total = 0;
  uint64_t vectors = 0;
  while (n > 0) {
    // A lane gains at most 65536 in magnitude per vector: 4096 steps keep each accumulator under
    // 2^28 and their sum under 2^31.
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (int i = 0; i < 4096 && n >= 256; ++i) {
      a0 = _mm512_dpwssd_epi32(a0, _mm512_xor_si512(_mm512_loadu_si512(p), flip), ones);
      a1 = _mm512_dpwssd_epi32(a1, _mm512_xor_si512(_mm512_loadu_si512(p + 64), flip), ones);
      a2 = _mm512_dpwssd_epi32(a2, _mm512_xor_si512(_mm512_loadu_si512(p + 128), flip), ones);
      a3 = _mm512_dpwssd_epi32(a3, _mm512_xor_si512(_mm512_loadu_si512(p + 192), flip), ones);
      p += 256;
      n -= 256;
      vectors += 4;
    }
    if (n < 256) {
      while (n >= 64) {
        a0 = _mm512_dpwssd_epi32(a0, _mm512_xor_si512(_mm512_loadu_si512(p), flip), ones);
        p += 64;
        n -= 64;
        ++vectors;
      }
      if (n > 0) {
        const __mmask64 m = (__mmask64{1} << n) - 1;
        a1 = _mm512_dpwssd_epi32(a1, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, p), flip), ones);
        n = 0;
        ++vectors;
      }
    }
    const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3));
    total += _mm512_reduce_add_epi64(
        _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(sum)),
                         _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(sum, 1))));
  }
  return static_cast<uint64_t>(total + static_cast<int64_t>(vectors) * 32 * 32768);
}

using SumFn = uint64_t (*)(const uint8_t *, size_t);
struct Impl {
  const char *name;
  SumFn fn;
  bool (*supported)();
};
const Impl kImpls[] = {
    {"avx512vnni", SumAvx512Vnni,
     [] {
       return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vnni");
     }},
    {"avx512bw", SumAvx512,
     [] { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"); }},
    {"avx2", SumAvx2, [] { return static_cast<bool>(__builtin_cpu_supports("avx2")); }},
    {"sse2", SumSse2, [] { return static_cast<bool>(__builtin_cpu_supports("sse2")); }},
    {"scalar", SumScalar, [] { return true; }},
};

// Cold: runs once; kept out of line so callers' fast paths stay small.
__attribute__((noinline, cold)) const Impl *Choose() {
  __builtin_cpu_init();
  if (const char *want = std::getenv("MBUFNIC_CKSUM_IMPL"))
    for (const Impl &i : kImpls)
      if (std::strcmp(i.name, want) == 0 && i.supported()) return &i;
  for (const Impl &i : kImpls)
    if (i.supported()) return &i;
  return &kImpls[std::size(kImpls) - 1];
}

std::atomic<const Impl *> g_impl{nullptr};

inline const Impl *Current() {
  const Impl *i = g_impl.load(std::memory_order_acquire);
  if (__predict_false(i == nullptr)) {
    i = Choose();
    g_impl.store(i, std::memory_order_release);
  }
  return i;
}

inline uint16_t Swap16(uint16_t v) { return static_cast<uint16_t>((v >> 8) | (v << 8)); }

// Raw sum over bytes [off, off + len) of a chain.  A piece that starts at an odd offset of the
// range contributes its sum byte-swapped, since its bytes sit in the other half of each word.
uint64_t SumChain(const struct mbuf *m, int off, int len) {
  const SumFn fn = Current()->fn;
  uint64_t total = 0;
  bool odd = false;
  mbufnic::internal::ForEachPiece(m, off, len, "mbufnic_cksum_mbuf", [&](const char *data, int n) {
    const uint8_t *p = reinterpret_cast<const uint8_t *>(data);
    const uint16_t s = Fold(n < 128 ? SumTail(p, n) : fn(p, n));
    total += odd ? Swap16(s) : s;
    odd ^= (n & 1);
    return 0;
  });
  return total;
}

}  // namespace

extern "C" {

uint16_t mbufnic_cksum_raw_ool(const void *buf, size_t len, uint32_t initial) {
  // Headers and small packets: no vector set-up to amortise, so skip the dispatch.
  if (len < 128) return Fold(SumTail(static_cast<const uint8_t *>(buf), len) + initial);
  return Fold(Current()->fn(static_cast<const uint8_t *>(buf), len) + initial);
}

uint16_t mbufnic_cksum_mbuf_ool(const struct mbuf *m, int off, int len, uint32_t initial) {
  // The common case, a range inside the first mbuf, is a flat sum.
  if (off >= 0 && len >= 0 && off + len <= m->m_len)
    return mbufnic_cksum_raw(m->m_data + off, static_cast<size_t>(len), initial);
  return Fold(SumChain(m, off, len) + initial);
}

const char *mbufnic_cksum_impl(void) { return Current()->name; }

int mbufnic_cksum_select(const char *name) {
  for (const Impl &i : kImpls)
    if (std::strcmp(i.name, name) == 0) {
      if (!i.supported()) return -1;
      g_impl.store(&i, std::memory_order_release);
      return 0;
    }
  return -1;
}

u_short in_cksum_skip(struct mbuf *m, int len, int skip) {
  return static_cast<u_short>(~Fold(SumChain(m, skip, len - skip)) & 0xffff);
}

u_int in_cksum_hdr(const struct ip *ip) {
  // The header length is the low nibble of the first byte; read it as a byte so that a header
  // at any alignment works.
  const uint8_t vhl = *reinterpret_cast<const uint8_t *>(ip);
  return ~mbufnic_cksum_raw(ip, static_cast<size_t>(vhl & 0x0f) << 2, 0) & 0xffff;
}

}  // extern "C"
