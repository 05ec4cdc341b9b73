/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XLOCK_NETLINK_H
#define _XLOCK_NETLINK_H

#include <linux/types.h>

int xlock_genl_init(void);
void xlock_genl_exit(void);

#endif
