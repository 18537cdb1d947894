/*
 * <sys/cdefs.h> for FreeBSD-style code on glibc.
 *
 * glibc's own <sys/cdefs.h> is included first (its system headers depend on
 * it); only the FreeBSD spellings it lacks are added, each behind #ifndef so
 * that nothing glibc defines is redefined.
 */
#ifndef MBUFNIC_COMPAT_SYS_CDEFS_H_
#define MBUFNIC_COMPAT_SYS_CDEFS_H_

#include_next <sys/cdefs.h>

#include <stddef.h>

#ifndef __predict_true
#define __predict_true(exp) __builtin_expect(!!(exp), 1)
#endif
#ifndef __predict_false
#define __predict_false(exp) __builtin_expect(!!(exp), 0)
#endif
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
#ifndef __used
#define __used __attribute__((__used__))
#endif
#ifndef __packed
#define __packed __attribute__((__packed__))
#endif
#ifndef __aligned
#define __aligned(x) __attribute__((__aligned__(x)))
#endif
#ifndef __dead2
#define __dead2 __attribute__((__noreturn__))
#endif
#ifndef __pure2
#define __pure2 __attribute__((__const__))
#endif
#ifndef __printflike
#define __printflike(fmtarg, firstvararg) \
  __attribute__((__format__(__printf__, fmtarg, firstvararg)))
#endif
#ifndef __DECONST
#define __DECONST(type, var) ((type)(uintptr_t)(const void *)(var))
#endif
#ifndef __DEVOLATILE
#define __DEVOLATILE(type, var) ((type)(uintptr_t)(volatile void *)(var))
#endif
#ifndef __containerof
/* The structure that holds member `field` at address x. */
#define __containerof(x, s, field) ((s *)(void *)((char *)(x) - offsetof(s, field)))
#endif
#ifndef __offsetof
#define __offsetof(type, field) offsetof(type, field)
#endif
#ifndef __FBSDID
#define __FBSDID(s) struct __hack
#endif
#ifndef __BEGIN_DECLS
#ifdef __cplusplus
#define __BEGIN_DECLS extern "C" {
#define __END_DECLS }
#else
#define __BEGIN_DECLS
#define __END_DECLS
#endif
#endif

#endif /* MBUFNIC_COMPAT_SYS_CDEFS_H_ */
