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
#include <string.h>
#include <sys/mbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The out-of-line, vectorised sums behind the two calls below (any length). */
uint16_t mbufnic_cksum_raw_ool(const void *buf, size_t len, uint32_t initial);
uint16_t mbufnic_cksum_mbuf_ool(const struct mbuf *m, int off, int len, uint32_t initial);

/* Up to 64 bytes (headers, small packets) the sum is computed inline, where a call and a
 * vector set-up would cost more than the sum: 64-bit words with their carries counted apart
 * (2^64 is 1 modulo 0xffff, so each carry is an end-around carry of 1). */
static inline uint16_t mbufnic_cksum_small_(const unsigned char *p, size_t len, uint64_t s) {
  uint64_t carries = 0, w;
  for (; len >= 8; p += 8, len -= 8) {
    memcpy(&w, p, 8);
    s += w;
    carries += (s < w);
  }
  w = 0;
  if (len) memcpy(&w, p, len); /* the last 0..7 bytes, zero-padded, as they lie in memory */
  s += w;
  carries += (s < w);
  s = (s & 0xffffffffu) + (s >> 32) + carries;
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return (uint16_t)((s & 0xffff) + (s >> 16));
}

/* Folded raw sum of len bytes at buf, plus `initial` (any 32-bit partial sum). */
static inline uint16_t mbufnic_cksum_raw(const void *buf, size_t len, uint32_t initial) {
  if (len <= 64) return mbufnic_cksum_small_((const unsigned char *)buf, len, initial);
  return mbufnic_cksum_raw_ool(buf, len, initial);
}
/* Folded raw sum of bytes [off, off + len) of a chain, plus `initial`.  The range must lie inside
 * the chain (it panics otherwise, like m_copydata). */
static inline uint16_t mbufnic_cksum_mbuf(const struct mbuf *m, int off, int len,
                                          uint32_t initial) {
  if (off >= 0 && len >= 0 && len <= 64 && off + len <= m->m_len)
    return mbufnic_cksum_small_((const unsigned char *)m->m_data + off, (size_t)len, initial);
  return mbufnic_cksum_mbuf_ool(m, off, len, initial);
}
/* Name of the vector implementation in use: "avx512vnni", "avx512bw", "avx2", "sse2" or
 * "scalar".  The environment variable MBUFNIC_CKSUM_IMPL (same names) forces one, if the CPU has
 * it, at first use. */
const char *mbufnic_cksum_impl(void);
/* Select an implementation by name for the rest of the process; 0 on success, -1 when the name
 * is unknown or the CPU lacks it.  Tests use it to check every implementation. */
int mbufnic_cksum_select(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* MBUFNIC_CKSUM_H_ */
