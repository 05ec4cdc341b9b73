/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the files of the xlock netlink family (netlink.c, nl_*.c). */
#ifndef _XLOCK_NL_PRIV_H
#define _XLOCK_NL_PRIV_H

#include <net/genetlink.h>

extern struct genl_family xlock_family;

bool xlock_nl_missing(struct genl_info *info, int type);
void xlock_nl_err(struct netlink_ext_ack *extack, const struct nlattr *attr,
		  const char *msg);
void *xlock_nl_reply_put(struct sk_buff *skb, struct genl_info *info, u8 cmd);
int xlock_nl_reply_count(struct genl_info *info, u8 cmd, u64 n);

/* nl_entries.c */
extern const struct nla_policy xlock_nl_locks_policy[XLOCK_A_MAX + 1];
extern const struct nla_policy xlock_nl_break_policy[XLOCK_A_MAX + 1];
extern const struct nla_policy xlock_nl_client_policy[XLOCK_A_MAX + 1];
extern const struct nla_policy xlock_nl_test_add_policy[XLOCK_A_MAX + 1];
extern const struct nla_policy xlock_nl_entry_id_policy[XLOCK_A_MAX + 1];
int xlock_nl_locks_start(struct netlink_callback *cb);
int xlock_nl_locks_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int xlock_nl_locks_done(struct netlink_callback *cb);
int xlock_nl_break_doit(struct sk_buff *skb, struct genl_info *info);
int xlock_nl_clear_client_doit(struct sk_buff *skb, struct genl_info *info);
int xlock_nl_test_add_doit(struct sk_buff *skb, struct genl_info *info);
int xlock_nl_test_del_doit(struct sk_buff *skb, struct genl_info *info);
struct xlock_entry;
int xlock_nl_put_entry(struct sk_buff *skb, const struct xlock_entry *e, u32 id,
		       const char *path);
struct xlock_entry_init;
int xlock_nl_parse_entry(struct genl_info *info, struct xlock_entry_init *init);

/* nl_grace.c */
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

/* nl_events.c */
int xlock_events_init(void);
void xlock_events_exit(void);

#endif
