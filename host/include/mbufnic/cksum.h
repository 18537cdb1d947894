/*
 * The Internet checksum (RFC 1071) over flat buffers and mbuf chains, vectorised with run-time
 * CPU dispatch: the build assumes nothing about the CPU it runs on.
 *
 * Sums are 16-bit ones'-complement sums in memory (network) byte order: store the value as a
 * uint16_t into a header and the bytes are right on any host.  "Raw" sums are not complemented;
 * a checksum field takes the complement of the raw sum.
 */
#ifndef MBUFNIC_CKSUM_H_
#define MBUFNIC_CKSUM_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mbuf;

/* Folded raw sum of len bytes at buf, plus `initial` (any 32-bit partial sum). */
uint16_t mbufnic_cksum_raw(const void *buf, size_t len, uint32_t initial);
/* Folded raw sum of bytes [off, off + len) of a chain, plus `initial`.  The range must lie inside
 * the chain (it panics otherwise, like m_copydata). */
uint16_t mbufnic_cksum_mbuf(const struct mbuf *m, int off, int len, uint32_t initial);
/* Name of the implementation in use: "avx512vnni", "avx512bw", "avx2", "sse2" or "scalar".  The environment
 * variable MBUFNIC_CKSUM_IMPL (same names) forces one, if the CPU has it, at first use. */
const char *mbufnic_cksum_impl(void);
/* Select an implementation by name for the rest of the process; 0 on success, -1 when the name
 * is unknown or the CPU lacks it.  Tests use it to check every implementation. */
int mbufnic_cksum_select(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* MBUFNIC_CKSUM_H_ */
