/* SPDX-License-Identifier: GPL-2.0 */
/* The "xlock" family and its reply helpers, for its command files (nl_family.c). */
#ifndef _XLOCK_NL_FAMILY_H
#define _XLOCK_NL_FAMILY_H

#include <net/genetlink.h>

#include "../../include/uapi/linux/xlock.h"

extern struct genl_family xlock_family;

bool xlock_nl_missing(struct genl_info *info, int type);
void xlock_nl_err(struct netlink_ext_ack *extack, const struct nlattr *attr,
		  const char *msg);
void *xlock_nl_reply_put(struct sk_buff *skb, struct genl_info *info, u8 cmd);
int xlock_nl_reply_count(struct genl_info *info, u8 cmd, u64 n);

int xlock_nl_family_register(const struct genl_ops *ops, unsigned int n);
void xlock_nl_family_unregister(void);

#endif
