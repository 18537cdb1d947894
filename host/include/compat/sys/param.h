/*
 * <sys/param.h> for FreeBSD-style code on glibc.
 *
 * glibc's <sys/param.h> (MIN, MAX, howmany, roundup, NBBY, ...) comes first;
 * the FreeBSD kernel constants network code needs are added: the mbuf and
 * cluster sizes (amd64 values, MSIZE 256, MCLBYTES 2048, page-size jumbo
 * 4096), page geometry and the rounding helpers glibc does not have.
 */
#ifndef MBUFNIC_COMPAT_SYS_PARAM_H_
#define MBUFNIC_COMPAT_SYS_PARAM_H_

#include_next <sys/param.h>

#include <sys/cdefs.h>
#include <sys/types.h>

#include <arpa/inet.h> /* htons() and friends, which the kernel's param.h brings in */

#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12
#endif
#ifndef PAGE_SIZE
#define PAGE_SIZE (1 << PAGE_SHIFT)
#endif
#ifndef PAGE_MASK
#define PAGE_MASK (PAGE_SIZE - 1)
#endif

#ifndef MSIZE
#define MSIZE 256 /* size of an mbuf */
#endif
#ifndef MCLSHIFT
#define MCLSHIFT 11 /* convert bytes to mbuf clusters */
#endif
#ifndef MCLBYTES
#define MCLBYTES (1 << MCLSHIFT) /* size of an mbuf cluster */
#endif
#if PAGE_SIZE < 2048
#define MJUMPAGESIZE MCLBYTES
#elif PAGE_SIZE <= 8192
#define MJUMPAGESIZE PAGE_SIZE
#else
#define MJUMPAGESIZE (8 * 1024)
#endif
#define MJUM9BYTES (9 * 1024)   /* jumbo cluster 9k */
#define MJUM16BYTES (16 * 1024) /* jumbo cluster 16k */

#ifndef roundup2
#define roundup2(x, y) (((x) + ((y)-1)) & (~((__typeof(x))(y)-1)))
#endif
#ifndef rounddown
#define rounddown(x, y) (((x) / (y)) * (y))
#endif
#ifndef rounddown2
#define rounddown2(x, y) ((x) & (~((__typeof(x))(y)-1)))
#endif
#ifndef nitems
#define nitems(x) (sizeof((x)) / sizeof((x)[0]))
#endif
#ifndef btoc
#define btoc(x) (((vm_offset_t)(x) + PAGE_MASK) >> PAGE_SHIFT)
#endif

#endif /* MBUFNIC_COMPAT_SYS_PARAM_H_ */
