// SPDX-License-Identifier: GPL-2.0
/*
 * The persistence side of the xlock family: the daemon's registration,
 * the reclaim set, the grace period and its events. One daemon at a time:
 * its registration lasts as long as its netlink socket.
 */
#include <linux/namei.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "grace.h"
#include "nl_family.h"
#include "nl_grace.h"
#include "table.h"

static DEFINE_SPINLOCK(daemon_lock);
static u32 daemon_portid;	/* 0: no daemon */
static struct net *daemon_net;

const struct nla_policy xlock_nl_grace_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_GRACE_S] = NLA_POLICY_RANGE(NLA_U32, 1, 3600),
};

const struct nla_policy xlock_nl_reclaim_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_PATH] = { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[XLOCK_A_CLIENT] = { .type = NLA_NUL_STRING, .len = XLOCK_NAME_MAX - 2 },
	[XLOCK_A_RECLAIM_RECS] = {
		.type = NLA_BINARY,
		.len = XLOCK_RECLAIM_RECS_MAX * sizeof(struct xlock_reclaim_rec),
	},
};

bool xlock_nl_daemon_attached(void)
{
	return READ_ONCE(daemon_portid) != 0;
}

int xlock_nl_daemon_register_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xlock_grace_info gi;
	struct sk_buff *msg;
	void *hdr;
	u32 other = 0;

	spin_lock(&daemon_lock);
	if (daemon_portid && daemon_portid != info->snd_portid) {
		other = daemon_portid;
	} else {
		daemon_portid = info->snd_portid;
		daemon_net = genl_info_net(info);
	}
	spin_unlock(&daemon_lock);
	if (other) {
		NL_SET_ERR_MSG_FMT(info->extack, "another xlockd is attached (netlink port %u)",
				   other);
		return -EBUSY;
	}
	pr_info("xlockd attached (netlink port %u): persistence on\n", info->snd_portid);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = xlock_nl_reply_put(msg, info, XLOCK_CMD_DAEMON_REGISTER);
	xlock_grace_info(&gi);
	if (!hdr ||
	    nla_put_u64_64bit(msg, XLOCK_A_INSTANCE, xlock_instance, XLOCK_A_PAD) ||
	    nla_put_u8(msg, XLOCK_A_GRACE_STATE, gi.state) ||
	    nla_put_u64_64bit(msg, XLOCK_A_GENERATION, xlock_table_generation(), XLOCK_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* The daemon's socket closed (exit, crash, kill -9): persistence is off. */
static int daemon_release(struct notifier_block *nb, unsigned long state, void *ptr)
{
	struct netlink_notify *n = ptr;
	bool gone = false;

	if (state != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;
	spin_lock(&daemon_lock);
	if (daemon_portid && n->portid == daemon_portid && n->net == daemon_net) {
		daemon_portid = 0;
		gone = true;
	}
	spin_unlock(&daemon_lock);
	if (gone)
		pr_info("xlockd detached: persistence off, coherence still enforced\n");
	return NOTIFY_DONE;
}

static struct notifier_block daemon_nb = {
	.notifier_call = daemon_release,
};

/* What is wrong with a record, or NULL: only what we can match is taken. */
static const char *rec_problem(const struct xlock_reclaim_rec *r)
{
	if (r->reserved)
		return "reserved field set";
	if (r->proto != XLOCK_PROTO_NLM && r->proto != XLOCK_PROTO_SMB &&
	    r->proto != XLOCK_PROTO_NFS4)
		return "unknown protocol";
	if (r->proto == XLOCK_PROTO_NFS4 ? r->kind != XLOCK_KIND_DELEG :
	    r->kind == XLOCK_KIND_DELEG)
		return "NFSv4 entries are delegations, and only NFSv4 holds them";
	if (r->kind == XLOCK_KIND_DELEG) {
		if (r->state != XLOCK_LEASE_R && r->state != (XLOCK_LEASE_R | XLOCK_LEASE_W))
			return "a delegation is R or RW";
		if (r->mode || r->svid || r->start || r->end != XLOCK_END_MAX ||
		    memchr_inv(r->lease_key, 0, sizeof(r->lease_key)))
			return "a delegation has no mode, svid, range or lease key";
		return NULL;
	}
	if (r->kind == XLOCK_KIND_LEASE) {
		if (r->proto != XLOCK_PROTO_SMB)
			return "only SMB holds leases";
		if (!(r->state & XLOCK_LEASE_R) || (r->state & ~XLOCK_LEASE_ALL))
			return "a lease is R, RH, RW or RWH";
		if (r->mode || r->svid || r->start || r->end != XLOCK_END_MAX)
			return "a lease has no mode, svid or range";
		return NULL;
	}
	if (r->kind != XLOCK_KIND_LOCK)
		return "only locks, leases and delegations are reclaimed";
	if (r->mode != XLOCK_MODE_SHARED && r->mode != XLOCK_MODE_EXCL)
		return "unknown lock mode";
	if (r->end < r->start)
		return "range ends before it starts";
	if (r->state || memchr_inv(r->lease_key, 0, sizeof(r->lease_key)))
		return "a lock has no lease state or key";
	if (r->proto == XLOCK_PROTO_SMB && r->svid)
		return "an SMB lock has no svid";
	return NULL;
}

static int check_recs(struct genl_info *info, const struct xlock_reclaim_rec *recs,
		      unsigned int n)
{
	const char *bad;
	unsigned int i;

	for (i = 0; i < n; i++) {
		bad = rec_problem(&recs[i]);
		if (bad) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, info->attrs[XLOCK_A_RECLAIM_RECS],
						"record %u: %s", i, bad);
			return -EINVAL;
		}
	}
	return 0;
}

int xlock_nl_reclaim_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	const struct xlock_reclaim_rec *recs;
	unsigned int n, total;
	const char *why = NULL;
	struct path path;
	int ret;

	if (xlock_nl_missing(info, XLOCK_A_PATH) ||
	    xlock_nl_missing(info, XLOCK_A_CLIENT) ||
	    xlock_nl_missing(info, XLOCK_A_RECLAIM_RECS))
		return -EINVAL;
	n = nla_len(a[XLOCK_A_RECLAIM_RECS]) / sizeof(*recs);
	if (!n || nla_len(a[XLOCK_A_RECLAIM_RECS]) % sizeof(*recs) ||
	    n > XLOCK_RECLAIM_RECS_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_RECLAIM_RECS],
				    "1 to XLOCK_RECLAIM_RECS_MAX struct xlock_reclaim_rec");
		return -EINVAL;
	}
	recs = nla_data(a[XLOCK_A_RECLAIM_RECS]);
	ret = check_recs(info, recs, n);
	if (ret)
		return ret;
	ret = kern_path(nla_data(a[XLOCK_A_PATH]), LOOKUP_FOLLOW, &path);
	if (ret) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_PATH],
				    "the file is gone: nothing to reclaim on it");
		return ret;
	}
	ret = xlock_reclaim_add(&path, nla_data(a[XLOCK_A_CLIENT]), recs, n, &total, &why);
	path_put(&path);
	if (ret) {
		xlock_nl_err(info->extack, NULL, why);
		return ret;
	}
	return xlock_nl_reply_count(info, XLOCK_CMD_RECLAIM_ADD, total);
}

int xlock_nl_grace_start_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xlock_share *s = xlock_share_get_id(0);
	unsigned int secs;
	const char *why;
	int ret;

	secs = s ? READ_ONCE(s->grace_s) : 90;
	if (s)
		xlock_share_put(s);
	if (info->attrs[XLOCK_A_GRACE_S])
		secs = nla_get_u32(info->attrs[XLOCK_A_GRACE_S]);
	ret = xlock_grace_start(secs, &why);
	if (ret)
		xlock_nl_err(info->extack, NULL, why);
	return ret;
}

int xlock_nl_grace_end_doit(struct sk_buff *skb, struct genl_info *info)
{
	int left = xlock_grace_end("ended by the administrator");

	if (left < 0) {
		NL_SET_ERR_MSG(info->extack,
			       "no grace period is running and no reclaim set is loaded");
		return left;
	}
	return xlock_nl_reply_count(info, XLOCK_CMD_GRACE_END, left);
}

#define MAX_SHOWN_CLIENTS 64

static int put_clients(struct sk_buff *msg)
{
	struct xlock_grace_client *c;
	struct nlattr *list, *one;
	unsigned int n, i;
	int ret = -EMSGSIZE;

	c = kcalloc(MAX_SHOWN_CLIENTS, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	n = xlock_grace_clients(c, MAX_SHOWN_CLIENTS);
	list = nla_nest_start(msg, XLOCK_A_CLIENTS);
	if (!list)
		goto out;
	for (i = 0; i < n; i++) {
		one = nla_nest_start(msg, XLOCK_A_CLIENT_RECLAIM);
		if (!one ||
		    nla_put_string(msg, XLOCK_A_CLIENT, c[i].client) ||
		    nla_put_u64_64bit(msg, XLOCK_A_NR_ENTRIES, c[i].total, XLOCK_A_PAD) ||
		    nla_put_u64_64bit(msg, XLOCK_A_NR_RECLAIMED, c[i].reclaimed, XLOCK_A_PAD))
			goto out;
		nla_nest_end(msg, one);
	}
	nla_nest_end(msg, list);
	ret = 0;
out:
	kfree(c);
	return ret;
}

/*
 * Any caller sees the grace period's state and counts; the clients of the
 * reclaim set (NLM host names, SMB client GUIDs) only CAP_NET_ADMIN, as for
 * the lock dump.
 */
int xlock_nl_get_grace_doit(struct sk_buff *skb, struct genl_info *info)
{
	bool admin = netlink_capable(skb, CAP_NET_ADMIN);
	struct xlock_grace_info gi;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = xlock_nl_reply_put(msg, info, XLOCK_CMD_GET_GRACE);
	xlock_grace_info(&gi);
	if (!hdr ||
	    nla_put_u8(msg, XLOCK_A_GRACE_STATE, gi.state) ||
	    nla_put_u64_64bit(msg, XLOCK_A_GRACE_LEFT_MS, gi.left_ms, XLOCK_A_PAD) ||
	    nla_put_u64_64bit(msg, XLOCK_A_NR_ENTRIES, gi.total, XLOCK_A_PAD) ||
	    nla_put_u64_64bit(msg, XLOCK_A_NR_RECLAIMED, gi.reclaimed, XLOCK_A_PAD) ||
	    (admin && put_clients(msg))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

int xlock_nl_daemon_init(void)
{
	return netlink_register_notifier(&daemon_nb);
}

void xlock_nl_daemon_exit(void)
{
	netlink_unregister_notifier(&daemon_nb);
}
