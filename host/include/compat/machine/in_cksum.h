/*
 * <machine/in_cksum.h>: FreeBSD's kernel Internet checksum routines over mbufs.
 *
 *   in_cksum(m, len)              complemented checksum of the first len bytes of the chain
 *   in_cksum_skip(m, len, skip)   the same over bytes [skip, len)
 *   in_cksum_hdr(ip)              complemented checksum of an IPv4 header (ip_hl words)
 *   in_pseudo(a, b, c)            folded sum of three 32-bit words (pseudo-header seed), not
 *                                 complemented
 *   in_addword(a, b)              ones'-complement sum of two 16-bit words
 *
 * All values are in network byte order as they sit in the packet.
 */
#ifndef MBUFNIC_COMPAT_MACHINE_IN_CKSUM_H_
#define MBUFNIC_COMPAT_MACHINE_IN_CKSUM_H_

#include <sys/types.h>

#include <mbufnic/cksum.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ip;
struct mbuf;

u_short in_cksum_skip(struct mbuf *m, int len, int skip);
u_int in_cksum_hdr(const struct ip *ip);

#define in_cksum(m, len) in_cksum_skip((m), (len), 0)

static inline u_short in_addword(u_short sum, u_short b) {
  u_int s = (u_int)sum + b;
  return (u_short)((s & 0xffff) + (s >> 16));
}

static inline u_short in_pseudo(u_int a, u_int b, u_int c) {
  uint64_t s = (uint64_t)a + b + c;
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return (u_short)((s & 0xffff) + (s >> 16));
}

#ifdef __cplusplus
}
#endif

#endif /* MBUFNIC_COMPAT_MACHINE_IN_CKSUM_H_ */
