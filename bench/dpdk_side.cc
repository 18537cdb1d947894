#include "dpdk_side.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <cstring>

namespace dpdk_side {
namespace {
struct rte_mempool *g_pool = nullptr;
}

bool Init(std::string *error) {
  static const char *args[] = {"bench_mbuf",        "--no-huge",   "--no-pci", "-l", "0",
                               "--log-level=error", "--no-shconf", "-m",       "512"};
  if (rte_eal_init(static_cast<int>(sizeof args / sizeof args[0]), const_cast<char **>(args)) < 0) {
    *error = std::string("rte_eal_init: ") + rte_strerror(rte_errno);
    return false;
  }
  g_pool = rte_pktmbuf_pool_create("bench", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   static_cast<int>(rte_socket_id()));
  if (g_pool == nullptr) {
    *error = std::string("rte_pktmbuf_pool_create: ") + rte_strerror(rte_errno);
    return false;
  }
  return true;
}

std::string Flags() { return MBUFNIC_DPDK_FLAGS; }

void AllocFree() {
  struct rte_mbuf *m = rte_pktmbuf_alloc(g_pool);
  rte_pktmbuf_free(m);
}

void Bulk32() {
  struct rte_mbuf *ms[32];
  if (rte_pktmbuf_alloc_bulk(g_pool, ms, 32) == 0) rte_pktmbuf_free_bulk(ms, 32);
}

Packet *MakePacket(const uint8_t *data, int len, int seg_size) {
  struct rte_mbuf *head = nullptr;
  int off = 0;
  do {
    struct rte_mbuf *m = rte_pktmbuf_alloc(g_pool);
    const int n = std::min(seg_size, len - off);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(n)), data + off, n);
    off += n;
    if (head == nullptr)
      head = m;
    else
      rte_pktmbuf_chain(head, m);
  } while (off < len);
  return head;
}

void FreePacket(Packet *p) { rte_pktmbuf_free(static_cast<struct rte_mbuf *>(p)); }

void PrependAdj(Packet *p) {
  auto *m = static_cast<struct rte_mbuf *>(p);
  char *h = rte_pktmbuf_prepend(m, 14);
  asm volatile("" : : "r"(h) : "memory");
  rte_pktmbuf_adj(m, 14);
}

void Chain9000(const uint8_t *data) {
  // A 2 KiB data room per mbuf, as the mbufnic side uses 2 KiB clusters.
  rte_pktmbuf_free(static_cast<struct rte_mbuf *>(MakePacket(data, 9000, 2048)));
}

void CloneFree(Packet *p) {
  rte_pktmbuf_free(rte_pktmbuf_clone(static_cast<struct rte_mbuf *>(p), g_pool));
}

void CopyFree(Packet *p) {
  rte_pktmbuf_free(rte_pktmbuf_copy(static_cast<struct rte_mbuf *>(p), g_pool, 0, UINT32_MAX));
}

uint16_t RawCksum(const void *buf, size_t len) { return rte_raw_cksum(buf, len); }

uint16_t RawCksumMbuf(Packet *p, uint32_t off, uint32_t len) {
  uint16_t sum = 0;
  rte_raw_cksum_mbuf(static_cast<struct rte_mbuf *>(p), off, len, &sum);
  return sum;
}

}  // namespace dpdk_side
