// bench_mbuf: mbufnic's mbuf runtime against DPDK 22.11, the same operations in the same run.
//
// Cases come in pairs named <case>/mbufnic and <case>/dpdk so that a JSON report
// (--benchmark_format=json) matches them up.  The process is pinned to one core, so the CPU time
// Google Benchmark reports is that core's.  Checksum cases report bytes per second; memread/<size>
// is the ceiling: reading the same bytes and adding them up with the widest vector loads the
// CPU has.
#include <benchmark/benchmark.h>
#include <immintrin.h>
#include <sched.h>
#include <sys/mbuf.h>
#include <sys/param.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dpdk_side.h"
#include "mbufnic/cksum.h"

// GCC 12 reports its own AVX-512 headers' _mm512_undefined_* vectors as uninitialized.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace {

std::vector<uint8_t> Data(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 131 + 7);
  return v;
}

// A packet of `len` bytes in 2 KiB clusters (internal storage when it fits a header mbuf).
struct mbuf *MakePacket(const uint8_t *data, int len) {
  struct mbuf *m = m_getm2(nullptr, len, M_WAITOK, MT_DATA, M_PKTHDR);
  int off = 0;
  for (struct mbuf *n = m; n; n = n->m_next) {
    const int take = std::min<int>(len - off, M_TRAILINGSPACE(n));
    std::memcpy(mtod(n, void *), data + off, take);
    n->m_len = take;
    off += take;
  }
  m->m_pkthdr.len = len;
  return m;
}

// ---- allocation ----

void AllocFreeMbufnic(benchmark::State &state) {
  for (auto _ : state) {
    struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
    benchmark::DoNotOptimize(m);
    m_freem(m);
  }
}
void AllocFreeDpdk(benchmark::State &state) {
  for (auto _ : state) dpdk_side::AllocFree();
}

void Bulk32Mbufnic(benchmark::State &state) {
  struct mbuf *ms[32];
  for (auto _ : state) {
    for (auto &m : ms) m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
    benchmark::DoNotOptimize(ms);
    for (auto *m : ms) m_freem(m);
  }
  state.SetItemsProcessed(state.iterations() * 32);
}
void Bulk32Dpdk(benchmark::State &state) {
  for (auto _ : state) dpdk_side::Bulk32();
  state.SetItemsProcessed(state.iterations() * 32);
}

// ---- header manipulation ----

void PrependAdjMbufnic(benchmark::State &state) {
  const auto d = Data(1500);
  struct mbuf *m = m_getcl(M_WAITOK, MT_DATA, M_PKTHDR);
  m->m_data += 128;  // headroom, as DPDK's RTE_PKTMBUF_HEADROOM gives its mbufs
  std::memcpy(mtod(m, void *), d.data(), 1500);
  m->m_len = m->m_pkthdr.len = 1500;
  for (auto _ : state) {
    M_PREPEND(m, 14, M_NOWAIT);
    benchmark::DoNotOptimize(m->m_data);
    m_adj(m, 14);
  }
  m_freem(m);
}
void PrependAdjDpdk(benchmark::State &state) {
  const auto d = Data(1500);
  dpdk_side::Packet *p = dpdk_side::MakePacket(d.data(), 1500, 2048);
  for (auto _ : state) dpdk_side::PrependAdj(p);
  dpdk_side::FreePacket(p);
}

// ---- chains and copies ----

void Chain9000Mbufnic(benchmark::State &state) {
  const auto d = Data(9000);
  for (auto _ : state) {
    struct mbuf *head = nullptr, *tail = nullptr;
    for (int off = 0; off < 9000; off += MCLBYTES) {
      struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, head ? 0 : M_PKTHDR);
      const int n = std::min(MCLBYTES, 9000 - off);
      std::memcpy(mtod(m, void *), d.data() + off, n);
      m->m_len = n;
      if (tail)
        tail->m_next = m;
      else
        head = m;
      tail = m;
    }
    head->m_pkthdr.len = 9000;
    benchmark::DoNotOptimize(head);
    m_freem(head);
  }
  state.SetBytesProcessed(state.iterations() * 9000);
}
void Chain9000Dpdk(benchmark::State &state) {
  const auto d = Data(9000);
  for (auto _ : state) dpdk_side::Chain9000(d.data());
  state.SetBytesProcessed(state.iterations() * 9000);
}

void CloneMbufnic(benchmark::State &state) {
  const auto d = Data(1500);
  struct mbuf *m = MakePacket(d.data(), 1500);
  for (auto _ : state) {
    struct mbuf *c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
    benchmark::DoNotOptimize(c);
    m_freem(c);
  }
  m_freem(m);
}
void CloneDpdk(benchmark::State &state) {
  const auto d = Data(1500);
  dpdk_side::Packet *p = dpdk_side::MakePacket(d.data(), 1500, 2048);
  for (auto _ : state) dpdk_side::CloneFree(p);
  dpdk_side::FreePacket(p);
}

void CopyMbufnic(benchmark::State &state) {
  const auto d = Data(1500);
  struct mbuf *m = MakePacket(d.data(), 1500);
  for (auto _ : state) {
    struct mbuf *c = m_dup(m, M_NOWAIT);
    benchmark::DoNotOptimize(c);
    m_freem(c);
  }
  m_freem(m);
  state.SetBytesProcessed(state.iterations() * 1500);
}
void CopyDpdk(benchmark::State &state) {
  const auto d = Data(1500);
  dpdk_side::Packet *p = dpdk_side::MakePacket(d.data(), 1500, 2048);
  for (auto _ : state) dpdk_side::CopyFree(p);
  dpdk_side::FreePacket(p);
  state.SetBytesProcessed(state.iterations() * 1500);
}

// ---- checksum ----

void CksumContigMbufnic(benchmark::State &state) {
  const auto d = Data(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(mbufnic_cksum_raw(d.data(), d.size(), 0));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
void CksumContigDpdk(benchmark::State &state) {
  const auto d = Data(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(dpdk_side::RawCksum(d.data(), d.size()));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
void CksumChainMbufnic(benchmark::State &state) {
  const int len = static_cast<int>(state.range(0));
  const auto d = Data(len);
  struct mbuf *m = MakePacket(d.data(), len);
  for (auto _ : state) benchmark::DoNotOptimize(mbufnic_cksum_mbuf(m, 0, len, 0));
  m_freem(m);
  state.SetBytesProcessed(state.iterations() * len);
}
void CksumChainDpdk(benchmark::State &state) {
  const int len = static_cast<int>(state.range(0));
  const auto d = Data(len);
  // The same segmentation as the mbufnic chain: a 160-byte head when the packet fits one,
  // otherwise 2 KiB pieces.
  dpdk_side::Packet *p = dpdk_side::MakePacket(d.data(), len, 2048);
  for (auto _ : state) benchmark::DoNotOptimize(dpdk_side::RawCksumMbuf(p, 0, len));
  dpdk_side::FreePacket(p);
  state.SetBytesProcessed(state.iterations() * len);
}

// The read-bandwidth ceiling: add up 64-bit lanes with the widest loads available.
__attribute__((target("avx512f"))) uint64_t ReadAvx512(const uint8_t *p, size_t n) {
  __m512i a = _mm512_setzero_si512(), b = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    a = _mm512_add_epi64(a, _mm512_loadu_si512(p + i));
    b = _mm512_add_epi64(b, _mm512_loadu_si512(p + i + 64));
  }
  return _mm512_reduce_add_epi64(_mm512_add_epi64(a, b)) + i;
}
__attribute__((target("avx2"))) uint64_t ReadAvx2(const uint8_t *p, size_t n) {
  __m256i a = _mm256_setzero_si256(), b = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    a = _mm256_add_epi64(a, _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + i)));
    b = _mm256_add_epi64(b, _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + i + 32)));
  }
  alignas(32) uint64_t l[4];
  _mm256_store_si256(reinterpret_cast<__m256i *>(l), _mm256_add_epi64(a, b));
  return l[0] + l[1] + l[2] + l[3] + i;
}
uint64_t ReadScalar(const uint8_t *p, size_t n) {
  uint64_t s = 0;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    s += w;
  }
  return s;
}
void MemRead(benchmark::State &state) {
  const auto d = Data(state.range(0));
  auto fn = __builtin_cpu_supports("avx512f") ? ReadAvx512
            : __builtin_cpu_supports("avx2")  ? ReadAvx2
                                              : ReadScalar;
  for (auto _ : state) benchmark::DoNotOptimize(fn(d.data(), d.size()));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void Register() {
  benchmark::RegisterBenchmark("alloc_free/mbufnic", AllocFreeMbufnic);
  benchmark::RegisterBenchmark("alloc_free/dpdk", AllocFreeDpdk);
  benchmark::RegisterBenchmark("bulk32/mbufnic", Bulk32Mbufnic);
  benchmark::RegisterBenchmark("bulk32/dpdk", Bulk32Dpdk);
  benchmark::RegisterBenchmark("prepend_adj/mbufnic", PrependAdjMbufnic);
  benchmark::RegisterBenchmark("prepend_adj/dpdk", PrependAdjDpdk);
  benchmark::RegisterBenchmark("chain9000/mbufnic", Chain9000Mbufnic);
  benchmark::RegisterBenchmark("chain9000/dpdk", Chain9000Dpdk);
  benchmark::RegisterBenchmark("clone/mbufnic", CloneMbufnic);
  benchmark::RegisterBenchmark("clone/dpdk", CloneDpdk);
  benchmark::RegisterBenchmark("copy/mbufnic", CopyMbufnic);
  benchmark::RegisterBenchmark("copy/dpdk", CopyDpdk);
  for (int size : {64, 1500, 9000, 65536}) {
    const std::string s = std::to_string(size);
    benchmark::RegisterBenchmark(("cksum/" + s + "/contig/mbufnic").c_str(), CksumContigMbufnic)
        ->Arg(size);
    benchmark::RegisterBenchmark(("cksum/" + s + "/contig/dpdk").c_str(), CksumContigDpdk)
        ->Arg(size);
    benchmark::RegisterBenchmark(("cksum/" + s + "/chain/mbufnic").c_str(), CksumChainMbufnic)
        ->Arg(size);
    benchmark::RegisterBenchmark(("cksum/" + s + "/chain/dpdk").c_str(), CksumChainDpdk)->Arg(size);
    benchmark::RegisterBenchmark(("memread/" + s).c_str(), MemRead)->Arg(size);
  }
}

}  // namespace

int main(int argc, char **argv) {
  // One core: CPU time is that core's time, and both sides see the same caches.
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) std::perror("bench_mbuf: sched_setaffinity");
  std::string error;
  if (!dpdk_side::Init(&error)) {
    std::fprintf(stderr, "bench_mbuf: DPDK would not start: %s\n", error.c_str());
    return 1;
  }
  benchmark::AddCustomContext("mbufnic_flags", MBUFNIC_CXX_FLAGS);
  benchmark::AddCustomContext("dpdk_flags", dpdk_side::Flags());
  benchmark::AddCustomContext("mbufnic_cksum_impl", mbufnic_cksum_impl());
  Register();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
