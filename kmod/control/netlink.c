// SPDX-License-Identifier: GPL-2.0
/*
 * The "xlock" generic netlink family: see include/uapi/linux/xlock.h for
 * the protocol. Every command has its own strict policy; every error sets
 * an extended-ack message.
 */
#include <linux/module.h>
#include <linux/namei.h>
#include <net/genetlink.h>

#include "edge.h"
#include "grace.h"
#include "netlink.h"
#include "nl_entries.h"
#include "nl_events.h"
#include "nl_family.h"
#include "nl_grace.h"
#include "nl_test.h"
#include "stats.h"
#include "table.h"

static const struct netlink_range_validation limit_total_range = { .min = 1, .max = 1 << 26 };
static const struct netlink_range_validation limit_file_range = { .min = 1, .max = 1 << 20 };
static const struct netlink_range_validation timeout_range = { .min = 100, .max = 3600000 };

static const struct nla_policy config_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_LIMIT_TOTAL] = NLA_POLICY_FULL_RANGE(NLA_U32, &limit_total_range),
	[XLOCK_A_LIMIT_FILE] = NLA_POLICY_FULL_RANGE(NLA_U32, &limit_file_range),
	[XLOCK_A_LIMIT_CLIENT] = NLA_POLICY_FULL_RANGE(NLA_U32, &limit_total_range),
};

static const struct nla_policy share_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_SHARE_ID] = { .type = NLA_U32 },
	[XLOCK_A_PATH] = { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[XLOCK_A_NAME] = { .type = NLA_NUL_STRING, .len = XLOCK_NAME_MAX - 1 },
	[XLOCK_A_SHARE_FLAGS] = NLA_POLICY_MASK(NLA_U32, __XLOCK_SHARE_F_ALL),
	[XLOCK_A_BREAK_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &timeout_range),
	[XLOCK_A_GRACE_S] = NLA_POLICY_RANGE(NLA_U32, 1, 3600),
};

static const struct nla_policy share_id_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_SHARE_ID] = { .type = NLA_U32 },
};

/* --- replies ------------------------------------------------------------ */

static u8 grace_state(void)
{
	struct xlock_grace_info gi;

	xlock_grace_info(&gi);
	return gi.state;
}

static int put_edges(struct sk_buff *skb)
{
	struct nlattr *edges, *edge;
	unsigned int i;

	edges = nla_nest_start(skb, XLOCK_A_EDGES);
	if (!edges)
		return -EMSGSIZE;
	for (i = 0; i < xlock_edges_count(); i++) {
		const struct xlock_edge *e = xlock_edge_at(i);

		edge = nla_nest_start(skb, XLOCK_A_EDGE);
		if (!edge ||
		    nla_put_string(skb, XLOCK_A_NAME, e->module) ||
		    nla_put_u8(skb, XLOCK_A_EDGE_STATE, READ_ONCE(e->state)) ||
		    (READ_ONCE(e->state) != XLOCK_EDGE_ACTIVE &&
		     nla_put_string(skb, XLOCK_A_REASON, e->reason)))
			return -EMSGSIZE;
		nla_nest_end(skb, edge);
	}
	nla_nest_end(skb, edges);
	return 0;
}

static int put_stats(struct sk_buff *skb)
{
	struct nlattr *nest;
	unsigned int i;

	nest = nla_nest_start(skb, XLOCK_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 1; i <= XLOCK_STAT_MAX; i++)
		if (nla_put_u64_64bit(skb, i, xlock_stat_read(i), 0))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	nest = nla_nest_start(skb, XLOCK_A_BREAK_LATENCY);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < XLOCK_LATENCY_BUCKETS; i++)
		if (nla_put_u64_64bit(skb, i + 1, xlock_stat_latency_bucket(i), 0))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return nla_put_u64_64bit(skb, XLOCK_A_BREAK_TIME_NS, xlock_stat_latency_sum_ns(),
				 XLOCK_A_PAD);
}

static int status_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xlock_stats st;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = xlock_nl_reply_put(msg, info, XLOCK_CMD_GET_STATUS);
	if (!hdr)
		goto nospc;
	xlock_table_stats(&st);
	if (nla_put_string(msg, XLOCK_A_VERSION, THIS_MODULE->version ?: "") ||
	    nla_put_u64_64bit(msg, XLOCK_A_GENERATION, st.generation, XLOCK_A_PAD) ||
	    put_edges(msg) ||
	    nla_put_u64_64bit(msg, XLOCK_A_NR_ENTRIES, st.entries, XLOCK_A_PAD) ||
	    nla_put_u64_64bit(msg, XLOCK_A_NR_FILES, st.files, XLOCK_A_PAD) ||
	    nla_put_u64_64bit(msg, XLOCK_A_NR_CLIENTS, st.clients, XLOCK_A_PAD) ||
	    nla_put_u64_64bit(msg, XLOCK_A_NR_NLM_LOCKS, st.nlm_locks, XLOCK_A_PAD) ||
	    nla_put_u64_64bit(msg, XLOCK_A_NR_SMB_LOCKS, st.smb_locks, XLOCK_A_PAD) ||
	    nla_put_u64_64bit(msg, XLOCK_A_NR_LEASES, st.leases, XLOCK_A_PAD) ||
	    nla_put_u64_64bit(msg, XLOCK_A_NR_SHARE_MODES, st.share_modes, XLOCK_A_PAD) ||
	    nla_put_u64_64bit(msg, XLOCK_A_NR_DELEGS, st.delegs, XLOCK_A_PAD) ||
	    nla_put_u32(msg, XLOCK_A_LIMIT_TOTAL, READ_ONCE(xlock_limit_total)) ||
	    nla_put_u32(msg, XLOCK_A_LIMIT_FILE, READ_ONCE(xlock_limit_file)) ||
	    nla_put_u32(msg, XLOCK_A_LIMIT_CLIENT, READ_ONCE(xlock_limit_client)) ||
	    nla_put_u64_64bit(msg, XLOCK_A_LIMIT_HITS, st.limit_hits, XLOCK_A_PAD) ||
	    nla_put_u8(msg, XLOCK_A_PERSIST, xlock_nl_daemon_attached()) ||
	    nla_put_u8(msg, XLOCK_A_GRACE_STATE, grace_state()) ||
	    nla_put_u8(msg, XLOCK_A_TEST_API, xlock_test_api) ||
	    put_stats(msg))
		goto nospc;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospc:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int config_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;

	if (a[XLOCK_A_LIMIT_TOTAL])
		WRITE_ONCE(xlock_limit_total, nla_get_u32(a[XLOCK_A_LIMIT_TOTAL]));
	if (a[XLOCK_A_LIMIT_FILE])
		WRITE_ONCE(xlock_limit_file, nla_get_u32(a[XLOCK_A_LIMIT_FILE]));
	if (a[XLOCK_A_LIMIT_CLIENT])
		WRITE_ONCE(xlock_limit_client, nla_get_u32(a[XLOCK_A_LIMIT_CLIENT]));
	return 0;
}

/* --- shares ------------------------------------------------------------- */

static int fill_share(struct sk_buff *skb, u32 portid, u32 seq, int flags,
		      struct xlock_share *s, char *buf)
{
	void *hdr = genlmsg_put(skb, portid, seq, &xlock_family, flags, XLOCK_CMD_GET_SHARES);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, XLOCK_A_SHARE_ID, s->id) ||
	    nla_put_string(skb, XLOCK_A_NAME, s->name) ||
	    nla_put_u32(skb, XLOCK_A_SHARE_FLAGS, READ_ONCE(s->flags)) ||
	    nla_put_u32(skb, XLOCK_A_BREAK_TIMEOUT_MS, READ_ONCE(s->break_timeout_ms)) ||
	    nla_put_u32(skb, XLOCK_A_GRACE_S, READ_ONCE(s->grace_s)) ||
	    nla_put_u64_64bit(skb, XLOCK_A_NR_ENTRIES, atomic64_read(&s->nr_entries),
			      XLOCK_A_PAD))
		goto cancel;
	if (s->root.dentry) {
		char *p = d_path(&s->root, buf, PATH_MAX);

		if (!IS_ERR(p) && nla_put_string(skb, XLOCK_A_PATH, p))
			goto cancel;
	}
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

struct shares_ctx {
	u32 next_id;
	bool done;
};

static int shares_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct shares_ctx *ctx = (void *)cb->ctx;
	struct xlock_share *s;
	char *buf;

	NL_ASSERT_DUMP_CTX_FITS(struct shares_ctx);
	if (ctx->done)
		return 0;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	mutex_lock(xlock_share_mutex());
	list_for_each_entry(s, xlock_share_list(), node) {
		if (s->id < ctx->next_id)
			continue;
		if (fill_share(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			       NLM_F_MULTI, s, buf))
			goto out;
		ctx->next_id = s->id + 1;
	}
	ctx->done = true;
out:
	mutex_unlock(xlock_share_mutex());
	kfree(buf);
	return skb->len;
}

static int share_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	const char *why = NULL;
	struct sk_buff *msg;
	struct path path;
	u32 id;
	void *hdr;
	int ret;

	if (xlock_nl_missing(info, XLOCK_A_PATH))
		return -EINVAL;
	if (((char *)nla_data(a[XLOCK_A_PATH]))[0] != '/') {
		NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_PATH], "share path must be absolute");
		return -EINVAL;
	}
	ret = kern_path(nla_data(a[XLOCK_A_PATH]), LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &path);
	if (ret) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_PATH], "share path is not a directory");
		return ret;
	}
	ret = xlock_share_add(&path,
			      a[XLOCK_A_NAME] ? nla_data(a[XLOCK_A_NAME]) : "",
			      a[XLOCK_A_SHARE_FLAGS] ? nla_get_u32(a[XLOCK_A_SHARE_FLAGS]) :
						       XLOCK_SHARE_F_ENABLED,
			      a[XLOCK_A_BREAK_TIMEOUT_MS] ?
				nla_get_u32(a[XLOCK_A_BREAK_TIMEOUT_MS]) : 0,
			      a[XLOCK_A_GRACE_S] ? nla_get_u32(a[XLOCK_A_GRACE_S]) : 0,
			      &id, &why);
	path_put(&path);
	if (ret) {
		xlock_nl_err(info->extack, NULL, why);
		return ret;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = xlock_nl_reply_put(msg, info, XLOCK_CMD_ADD_SHARE);
	if (!hdr || nla_put_u32(msg, XLOCK_A_SHARE_ID, id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static const u32 *opt_u32(struct nlattr *attr, u32 *val)
{
	if (!attr)
		return NULL;
	*val = nla_get_u32(attr);
	return val;
}

static int share_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	u32 flags, timeout, grace;
	const char *why;
	int ret;

	if (xlock_nl_missing(info, XLOCK_A_SHARE_ID))
		return -EINVAL;
	if (a[XLOCK_A_PATH] || a[XLOCK_A_NAME]) {
		NL_SET_ERR_MSG(info->extack, "a share's path and name cannot change");
		return -EINVAL;
	}
	ret = xlock_share_set(nla_get_u32(a[XLOCK_A_SHARE_ID]),
			      opt_u32(a[XLOCK_A_SHARE_FLAGS], &flags),
			      opt_u32(a[XLOCK_A_BREAK_TIMEOUT_MS], &timeout),
			      opt_u32(a[XLOCK_A_GRACE_S], &grace), &why);
	if (ret)
		xlock_nl_err(info->extack, a[XLOCK_A_SHARE_ID], why);
	return ret;
}

static int share_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	const char *why;
	int ret;

	if (xlock_nl_missing(info, XLOCK_A_SHARE_ID))
		return -EINVAL;
	ret = xlock_share_del(nla_get_u32(info->attrs[XLOCK_A_SHARE_ID]), &why);
	if (ret)
		xlock_nl_err(info->extack, info->attrs[XLOCK_A_SHARE_ID], why);
	return ret;
}

/* --- family ------------------------------------------------------------- */

static const struct genl_ops xlock_ops[] = {
	{
		.cmd = XLOCK_CMD_GET_STATUS,
		.doit = status_doit,
	},
	{
		.cmd = XLOCK_CMD_SET_CONFIG,
		.doit = config_doit,
		.policy = config_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_GET_SHARES,
		.dumpit = shares_dumpit,
	},
	{
		.cmd = XLOCK_CMD_ADD_SHARE,
		.doit = share_add_doit,
		.policy = share_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_SET_SHARE,
		.doit = share_set_doit,
		.policy = share_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_DEL_SHARE,
		.doit = share_del_doit,
		.policy = share_id_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_GET_LOCKS,
		.start = xlock_nl_locks_start,
		.dumpit = xlock_nl_locks_dumpit,
		.done = xlock_nl_locks_done,
		.policy = xlock_nl_locks_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_BREAK,
		.doit = xlock_nl_break_doit,
		.policy = xlock_nl_break_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_CLEAR_CLIENT,
		.doit = xlock_nl_clear_client_doit,
		.policy = xlock_nl_client_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
#ifdef XLOCK_TEST
	{
		.cmd = XLOCK_CMD_TEST_ADD,
		.doit = xlock_nl_test_add_doit,
		.policy = xlock_nl_test_add_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_TEST_DEL,
		.doit = xlock_nl_test_del_doit,
		.policy = xlock_nl_entry_id_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
#endif
	{
		.cmd = XLOCK_CMD_DAEMON_REGISTER,
		.doit = xlock_nl_daemon_register_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_RECLAIM_ADD,
		.doit = xlock_nl_reclaim_add_doit,
		.policy = xlock_nl_reclaim_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_GRACE_START,
		.doit = xlock_nl_grace_start_doit,
		.policy = xlock_nl_grace_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_GRACE_END,
		.doit = xlock_nl_grace_end_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_GET_GRACE,
		.doit = xlock_nl_get_grace_doit,
	},
};

int __init xlock_genl_init(void)
{
	int ret = xlock_nl_daemon_init();

	if (ret)
		return ret;
	ret = xlock_events_init();
	if (ret)
		goto err_daemon;
	ret = xlock_nl_family_register(xlock_ops, ARRAY_SIZE(xlock_ops));
	if (ret)
		goto err_events;
	return 0;

err_events:
	xlock_events_exit();
err_daemon:
	xlock_nl_daemon_exit();
	return ret;
}

void xlock_genl_exit(void)
{
	xlock_events_exit();
	xlock_nl_family_unregister();
	xlock_nl_daemon_exit();
}

/*
 * No MODULE_ALIAS_GENL_FAMILY(): resolving the family would then load xlock
 * for any local user (xlockctl status, xlockd waiting after an unload),
 * hooking lockd, nfsd and ksmbd and possibly starting a grace period that
 * nobody asked for. xlockd.service loads the module.
 */
