/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XLOCK_NETLINK_H
#define _XLOCK_NETLINK_H

#include <linux/types.h>

struct xlock_entry;

extern bool xlock_test_api;

int xlock_genl_init(void);
void xlock_genl_exit(void);
void xlock_nl_entry_event(u8 event, const struct xlock_entry *e);
void xlock_nl_grace_event(u8 event, u64 n);

#endif
