/*
 * <sys/systm.h>: the kernel support names FreeBSD network code calls.
 *
 * KASSERT checks its condition and panics, as in an INVARIANTS kernel (a
 * user-space runtime gains nothing from running on after a broken
 * invariant); define MBUFNIC_NO_INVARIANTS before including this header to
 * compile the checks out.  panic() prints its message and aborts.
 */
#ifndef MBUFNIC_COMPAT_SYS_SYSTM_H_
#define MBUFNIC_COMPAT_SYS_SYSTM_H_

#include <sys/cdefs.h>
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h> /* bcopy, bzero, bcmp */

__BEGIN_DECLS

/* Print "panic: <message>" to stderr and abort the process. */
void panic(const char *fmt, ...) __dead2 __printflike(1, 2);
/* panic() with a va_list. */
void vpanic(const char *fmt, va_list ap) __dead2;

/* Largest link-level and protocol header sizes (m_devget, m_pullup use them). */
extern int max_linkhdr;
extern int max_protohdr;
extern int max_hdr;
extern int max_datalen;

__END_DECLS

#ifdef MBUFNIC_NO_INVARIANTS
#define KASSERT(exp, msg) \
  do { \
  } while (0)
#else
#define KASSERT(exp, msg) \
  do { \
    if (__predict_false(!(exp))) panic msg; \
  } while (0)
#endif
#define MPASS(ex) KASSERT((ex), ("Assertion %s failed at %s:%d", #ex, __FILE__, __LINE__))
#define MPASS2(ex, what) KASSERT((ex), ("Assertion %s failed at %s:%d", what, __FILE__, __LINE__))
#ifndef CTASSERT
#define CTASSERT(x) _Static_assert(x, "compile-time assertion failed")
#endif

#define bcopy_nocheck(from, to, len) memmove((to), (from), (len))

static inline int imax(int a, int b) { return (a > b ? a : b); }
static inline int imin(int a, int b) { return (a < b ? a : b); }
static inline long lmax(long a, long b) { return (a > b ? a : b); }
static inline long lmin(long a, long b) { return (a < b ? a : b); }
static inline u_int umax(u_int a, u_int b) { return (a > b ? a : b); }
static inline u_int umin(u_int a, u_int b) { return (a < b ? a : b); }
static inline u_long ulmax(u_long a, u_long b) { return (a > b ? a : b); }
static inline u_long ulmin(u_long a, u_long b) { return (a < b ? a : b); }
#ifndef __cplusplus
/* FreeBSD's libkern min()/max(); left out of C++ where they would shadow std::min/max. */
static inline u_int max(u_int a, u_int b) { return (a > b ? a : b); }
static inline u_int min(u_int a, u_int b) { return (a < b ? a : b); }
#endif

#endif /* MBUFNIC_COMPAT_SYS_SYSTM_H_ */
