/* SPDX-License-Identifier: GPL-2.0 */
/* Commands of the grace period and reclaim, xlockd's registration, grace events. */
#ifndef _XLOCK_NL_GRACE_H
#define _XLOCK_NL_GRACE_H

#include <net/genetlink.h>

#include "../../include/uapi/linux/xlock.h"

extern const struct nla_policy xlock_nl_reclaim_policy[XLOCK_A_MAX + 1];
extern const struct nla_policy xlock_nl_grace_policy[XLOCK_A_MAX + 1];
int xlock_nl_daemon_register_doit(struct sk_buff *skb, struct genl_info *info);
int xlock_nl_reclaim_add_doit(struct sk_buff *skb, struct genl_info *info);
int xlock_nl_grace_start_doit(struct sk_buff *skb, struct genl_info *info);
int xlock_nl_grace_end_doit(struct sk_buff *skb, struct genl_info *info);
int xlock_nl_get_grace_doit(struct sk_buff *skb, struct genl_info *info);
bool xlock_nl_daemon_attached(void);
int xlock_nl_daemon_init(void);
void xlock_nl_daemon_exit(void);

#endif
