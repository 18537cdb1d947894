/*
 * <sys/malloc.h>: the allocation wait flags shared by malloc(9), uma(9) and
 * mbuf(9).  Values are FreeBSD's (M_NOWAIT 0x1, M_WAITOK 0x2, M_ZERO 0x100).
 */
#ifndef MBUFNIC_COMPAT_SYS_MALLOC_H_
#define MBUFNIC_COMPAT_SYS_MALLOC_H_

#define M_NOWAIT 0x0001      /* do not block: may return NULL */
#define M_WAITOK 0x0002      /* may block until memory is free: never NULL */
#define M_ZERO 0x0100        /* zero the allocation */
#define M_NOVM 0x0200        /* do not ask the VM system for pages */
#define M_USE_RESERVE 0x0400 /* may dip into the reserve */

/* The 4.4BSD / FreeBSD <= 10 names, as mbuf(9) of FreeBSD 9.3 documents them. */
#define M_DONTWAIT M_NOWAIT
#define M_WAIT M_WAITOK
#define M_TRYWAIT M_WAITOK

#endif /* MBUFNIC_COMPAT_SYS_MALLOC_H_ */
