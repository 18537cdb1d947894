/*
 * <sys/types.h> for FreeBSD-style code on glibc.
 *
 * glibc's header comes first and stays authoritative.  The BSD short names
 * (u_char, u_int, caddr_t, ...) are only visible from glibc under
 * _DEFAULT_SOURCE, so they are declared here when a strict -std= mode hid
 * them, using glibc's own "already defined" guards.  FreeBSD kernel-only
 * types (vm_paddr_t, bus_addr_t, ...) are added.
 */
#ifndef MBUFNIC_COMPAT_SYS_TYPES_H_
#define MBUFNIC_COMPAT_SYS_TYPES_H_

#include_next <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#ifndef __u_char_defined
typedef unsigned char u_char;
typedef unsigned short u_short;
typedef unsigned int u_int;
typedef unsigned long u_long;
#define __u_char_defined
#endif
#ifndef __daddr_t_defined
typedef char *caddr_t;
#define __daddr_t_defined
#endif
#ifndef __BIT_TYPES_DEFINED__
typedef uint8_t u_int8_t;
typedef uint16_t u_int16_t;
typedef uint32_t u_int32_t;
typedef uint64_t u_int64_t;
#endif

typedef const char *c_caddr_t;
typedef uint64_t vm_paddr_t;
typedef uintptr_t vm_offset_t;
typedef uint64_t bus_addr_t;
typedef uint64_t bus_size_t;
typedef int64_t sbintime_t;

#endif /* MBUFNIC_COMPAT_SYS_TYPES_H_ */
