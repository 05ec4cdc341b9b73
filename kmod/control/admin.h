/* SPDX-License-Identifier: GPL-2.0 */
/* Admin actions on the table (admin.c): break a lease, clear a client. */
#ifndef _XLOCK_ADMIN_H
#define _XLOCK_ADMIN_H

#include <linux/types.h>

struct xlock_client;

int xlock_lease_break_admin(u64 id, u8 to);
unsigned int xlock_client_clear(struct xlock_client *c);

#endif
