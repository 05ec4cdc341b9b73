/* SPDX-License-Identifier: GPL-2.0 */
/* Commands on entries (dump, break, clear client, test entries) and entry events. */
#ifndef _XLOCK_NL_ENTRIES_H
#define _XLOCK_NL_ENTRIES_H

#include <net/genetlink.h>

#include "../../include/uapi/linux/xlock.h"

extern const struct nla_policy xlock_nl_locks_policy[XLOCK_A_MAX + 1];
extern const struct nla_policy xlock_nl_break_policy[XLOCK_A_MAX + 1];
extern const struct nla_policy xlock_nl_client_policy[XLOCK_A_MAX + 1];
int xlock_nl_locks_start(struct netlink_callback *cb);
int xlock_nl_locks_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int xlock_nl_locks_done(struct netlink_callback *cb);
int xlock_nl_break_doit(struct sk_buff *skb, struct genl_info *info);
int xlock_nl_clear_client_doit(struct sk_buff *skb, struct genl_info *info);
struct xlock_entry_init;
int xlock_nl_parse_entry(struct genl_info *info, struct xlock_entry_init *init);
struct xlock_entry;
int xlock_nl_put_entry(struct sk_buff *skb, const struct xlock_entry *e, u32 id,
		       const char *path);

#endif
