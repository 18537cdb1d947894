// The DPDK half of bench_mbuf.  DPDK's headers never meet <sys/mbuf.h>, and DPDK's code is built
// with the flags its pkg-config file gives, so everything DPDK lives behind these plain functions
// in dpdk_side.cc.  Each function is one benchmark operation, written as DPDK's own examples
// write it.
#ifndef MBUFNIC_BENCH_DPDK_SIDE_H_
#define MBUFNIC_BENCH_DPDK_SIDE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace dpdk_side {

// Start the EAL (no hugepages, no PCI, one lcore) and create the mbuf pool; false with a
// message in *error when that fails.
bool Init(std::string *error);
std::string Flags();  // the compile flags this file was built with

using Packet = void;  // an rte_mbuf chain, opaque here

void AllocFree();  // rte_pktmbuf_alloc + rte_pktmbuf_free
void Bulk32();     // alloc_bulk 32 + free_bulk 32
Packet *MakePacket(const uint8_t *data, int len, int seg_size);  // chain of seg_size pieces
void FreePacket(Packet *p);
void PrependAdj(Packet *p);                      // prepend 14, adj 14
void Chain9000(const uint8_t *data);             // 9000 bytes into chained mbufs, freed
void CloneFree(Packet *p);                       // rte_pktmbuf_clone + free
void CopyFree(Packet *p);                        // rte_pktmbuf_copy + free
uint16_t RawCksum(const void *buf, size_t len);  // rte_raw_cksum
uint16_t RawCksumMbuf(Packet *p, uint32_t off, uint32_t len);  // rte_raw_cksum_mbuf

}  // namespace dpdk_side

#endif  // MBUFNIC_BENCH_DPDK_SIDE_H_
