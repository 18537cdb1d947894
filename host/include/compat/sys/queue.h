/*
 * <sys/queue.h> for FreeBSD-style code on glibc.
 *
 * glibc ships the 4.4BSD queue(3) macros; FreeBSD added the _SAFE iterators,
 * STAILQ_LAST and a few helpers that struct mbuf, struct mbufq and the m_tag
 * list rely on.  glibc's header is used as is and only the missing macros
 * are defined here.
 */
#ifndef MBUFNIC_COMPAT_SYS_QUEUE_H_
#define MBUFNIC_COMPAT_SYS_QUEUE_H_

#include_next <sys/queue.h>

#include <stddef.h>

#ifndef SLIST_FOREACH_SAFE
#define SLIST_FOREACH_SAFE(var, head, field, tvar) \
  for ((var) = SLIST_FIRST((head)); (var) && ((tvar) = SLIST_NEXT((var), field), 1); (var) = (tvar))
#endif
#ifndef SLIST_REMOVE_AFTER
#define SLIST_REMOVE_AFTER(elm, field) \
  do { \
    SLIST_NEXT(elm, field) = SLIST_NEXT(SLIST_NEXT(elm, field), field); \
  } while (0)
#endif
#ifndef STAILQ_FOREACH_SAFE
#define STAILQ_FOREACH_SAFE(var, head, field, tvar) \
  for ((var) = STAILQ_FIRST((head)); (var) && ((tvar) = STAILQ_NEXT((var), field), 1); \
       (var) = (tvar))
#endif
#ifndef STAILQ_LAST
/* The last element, found from the tail pointer (which points at its next field). */
#define STAILQ_LAST(head, type, field) \
  (STAILQ_EMPTY((head)) ? NULL \
                        : ((struct type *)(void *)((char *)((head)->stqh_last) - \
                                                   offsetof(struct type, field))))
#endif
#ifndef STAILQ_REMOVE_AFTER
#define STAILQ_REMOVE_AFTER(head, elm, field) \
  do { \
    if ((STAILQ_NEXT(elm, field) = STAILQ_NEXT(STAILQ_NEXT(elm, field), field)) == NULL) \
      (head)->stqh_last = &STAILQ_NEXT((elm), field); \
  } while (0)
#endif
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar) \
  for ((var) = TAILQ_FIRST((head)); (var) && ((tvar) = TAILQ_NEXT((var), field), 1); (var) = (tvar))
#endif
#ifndef LIST_FOREACH_SAFE
#define LIST_FOREACH_SAFE(var, head, field, tvar) \
  for ((var) = LIST_FIRST((head)); (var) && ((tvar) = LIST_NEXT((var), field), 1); (var) = (tvar))
#endif

#endif /* MBUFNIC_COMPAT_SYS_QUEUE_H_ */
