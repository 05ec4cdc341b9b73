/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XLOCK_NETLINK_H
#define _XLOCK_NETLINK_H

#include <linux/types.h>

struct xlock_entry;
struct xlock_nl_event;

extern bool xlock_test_api;

int xlock_genl_init(void);
void xlock_genl_exit(void);
/* Events are queued here and sent by a worker (nl_events.c). */
struct xlock_nl_event *xlock_event_prepare(void);
void xlock_event_queue(struct xlock_nl_event *ev, u8 event, const struct xlock_entry *e);
void xlock_event_cancel(struct xlock_nl_event *ev);
void xlock_nl_entry_event(u8 event, const struct xlock_entry *e);
void xlock_nl_grace_event(u8 event, u64 n);

#endif
