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
#include "netlink.h"
#include "stats.h"
#include "table.h"

bool xlock_test_api;
module_param_named(test_api, xlock_test_api, bool, 0444);
MODULE_PARM_DESC(test_api, "Enable XLOCK_CMD_TEST_ADD/DEL (selftests only)");

static struct genl_family xlock_family;

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

static const struct nla_policy locks_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_SHARE_ID] = { .type = NLA_U32 },
	[XLOCK_A_PATH] = { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[XLOCK_A_CLIENT] = { .type = NLA_NUL_STRING, .len = XLOCK_NAME_MAX + 7 },
};

static const struct nla_policy break_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_ENTRY_ID] = { .type = NLA_U64 },
	[XLOCK_A_LEASE_STATE] = NLA_POLICY_MASK(NLA_U8, XLOCK_LEASE_ALL),
};

static const struct nla_policy client_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_CLIENT] = { .type = NLA_NUL_STRING, .len = XLOCK_NAME_MAX + 7 },
};

static const struct nla_policy test_add_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_PATH] = { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[XLOCK_A_PROTO] = NLA_POLICY_RANGE(NLA_U8, XLOCK_PROTO_NLM, XLOCK_PROTO_SMB),
	[XLOCK_A_KIND] = NLA_POLICY_RANGE(NLA_U8, XLOCK_KIND_LOCK, XLOCK_KIND_SHARE),
	[XLOCK_A_CLIENT] = { .type = NLA_NUL_STRING, .len = XLOCK_NAME_MAX - 1 },
	[XLOCK_A_CLIENT_ADDR] = { .type = NLA_NUL_STRING, .len = 47 },
	[XLOCK_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, XLOCK_ENTRY_F_PENDING),
	[XLOCK_A_MODE] = NLA_POLICY_RANGE(NLA_U8, XLOCK_MODE_SHARED, XLOCK_MODE_EXCL),
	[XLOCK_A_START] = { .type = NLA_U64 },
	[XLOCK_A_END] = { .type = NLA_U64 },
	[XLOCK_A_LEASE_STATE] = NLA_POLICY_MASK(NLA_U8, XLOCK_LEASE_ALL),
	[XLOCK_A_SHARE_ACCESS] = NLA_POLICY_MASK(NLA_U8, XLOCK_SHARE_ALL),
	[XLOCK_A_SHARE_ALLOW] = NLA_POLICY_MASK(NLA_U8, XLOCK_SHARE_ALL),
	[XLOCK_A_NLM_SVID] = { .type = NLA_U32 },
	[XLOCK_A_SMB_GUID] = NLA_POLICY_EXACT_LEN(16),
	[XLOCK_A_SMB_LEASE_KEY] = NLA_POLICY_EXACT_LEN(16),
	[XLOCK_A_SMB_FID] = { .type = NLA_U64 },
};

static const struct nla_policy entry_id_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_ENTRY_ID] = { .type = NLA_U64 },
};

/* --- replies ------------------------------------------------------------ */

static const char *const attr_names[XLOCK_A_MAX + 1] = {
	[XLOCK_A_PATH] = "path",
	[XLOCK_A_SHARE_ID] = "share id",
	[XLOCK_A_ENTRY_ID] = "entry id",
	[XLOCK_A_CLIENT] = "client",
	[XLOCK_A_PROTO] = "protocol",
	[XLOCK_A_KIND] = "kind",
	[XLOCK_A_MODE] = "mode",
	[XLOCK_A_START] = "start",
	[XLOCK_A_END] = "end",
	[XLOCK_A_LEASE_STATE] = "lease state",
	[XLOCK_A_SHARE_ACCESS] = "share access",
	[XLOCK_A_SHARE_ALLOW] = "share allow",
};

/* A required attribute is absent: say which, by type and by name. */
static bool missing(struct genl_info *info, int type)
{
	if (info->attrs[type])
		return false;
	NL_SET_ERR_ATTR_MISS(info->extack, NULL, type);
	NL_SET_ERR_MSG_FMT(info->extack, "attribute required: %s",
			   attr_names[type] ?: "?");
	return true;
}

/* An error message made at run time (at most 79 characters), @attr may be NULL. */
static void set_err(struct netlink_ext_ack *extack, const struct nlattr *attr, const char *msg)
{
	NL_SET_ERR_MSG_FMT(extack, "%s", msg);
	if (attr)
		NL_SET_BAD_ATTR(extack, attr);
}

static void *reply_put(struct sk_buff *skb, struct genl_info *info, u8 cmd)
{
	return genlmsg_put(skb, info->snd_portid, info->snd_seq, &xlock_family, 0, cmd);
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
	return 0;
}

static int status_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xlock_stats st;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = reply_put(msg, info, XLOCK_CMD_GET_STATUS);
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
	    nla_put_u32(msg, XLOCK_A_LIMIT_TOTAL, READ_ONCE(xlock_limit_total)) ||
	    nla_put_u32(msg, XLOCK_A_LIMIT_FILE, READ_ONCE(xlock_limit_file)) ||
	    nla_put_u32(msg, XLOCK_A_LIMIT_CLIENT, READ_ONCE(xlock_limit_client)) ||
	    nla_put_u64_64bit(msg, XLOCK_A_LIMIT_HITS, st.limit_hits, XLOCK_A_PAD) ||
	    nla_put_u8(msg, XLOCK_A_PERSIST, 0) ||
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

	if (missing(info, XLOCK_A_PATH))
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
		set_err(info->extack, NULL, why);
		return ret;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = reply_put(msg, info, XLOCK_CMD_ADD_SHARE);
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

	if (missing(info, XLOCK_A_SHARE_ID))
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
		set_err(info->extack, a[XLOCK_A_SHARE_ID], why);
	return ret;
}

static int share_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	const char *why;
	int ret;

	if (missing(info, XLOCK_A_SHARE_ID))
		return -EINVAL;
	ret = xlock_share_del(nla_get_u32(info->attrs[XLOCK_A_SHARE_ID]), &why);
	if (ret)
		set_err(info->extack, info->attrs[XLOCK_A_SHARE_ID], why);
	return ret;
}

/* --- entries ------------------------------------------------------------ */

static int put_owner(struct sk_buff *skb, const struct xlock_entry *e)
{
	const struct xlock_client *c = e->client;

	if (nla_put_string(skb, XLOCK_A_CLIENT, c->display) ||
	    (c->addr[0] && nla_put_string(skb, XLOCK_A_CLIENT_ADDR, c->addr)))
		return -EMSGSIZE;
	if (e->r.proto == XLOCK_PROTO_NLM)
		return nla_put_u32(skb, XLOCK_A_NLM_SVID, e->owner.nlm.svid) ||
		       (e->owner.nlm.oh_hash &&
			nla_put_u64_64bit(skb, XLOCK_A_NLM_OH, e->owner.nlm.oh_hash, XLOCK_A_PAD));
	if (nla_put(skb, XLOCK_A_SMB_GUID, sizeof(c->guid), c->guid))
		return -EMSGSIZE;
	if (e->r.kind == XLOCK_KIND_LEASE)
		return nla_put(skb, XLOCK_A_SMB_LEASE_KEY, sizeof(e->owner.smb.lease_key),
			       e->owner.smb.lease_key);
	return 0;
}

static int put_entry(struct sk_buff *skb, const struct xlock_entry *e, u32 id,
		     const char *path)
{
	const struct xlock_rule_entry *r = &e->r;
	u64 age = jiffies64_to_msecs(get_jiffies_64() - e->created);
	u32 flags = e->flags & __XLOCK_ENTRY_F_ALL;

	if (r->brk_to != XLOCK_NO_BREAK)
		flags |= XLOCK_ENTRY_F_BREAKING;
	if (nla_put_u64_64bit(skb, XLOCK_A_ENTRY_ID, id, XLOCK_A_PAD) ||
	    nla_put_u8(skb, XLOCK_A_PROTO, r->proto) ||
	    nla_put_u8(skb, XLOCK_A_KIND, r->kind) ||
	    nla_put_u32(skb, XLOCK_A_FLAGS, flags) ||
	    nla_put_u64_64bit(skb, XLOCK_A_DEV, e->file->key.dev, XLOCK_A_PAD) ||
	    nla_put_u64_64bit(skb, XLOCK_A_INO, e->file->key.ino, XLOCK_A_PAD) ||
	    (path && nla_put_string(skb, XLOCK_A_PATH, path)) ||
	    nla_put_u32(skb, XLOCK_A_SHARE_ID, e->file->share->id) ||
	    nla_put_u64_64bit(skb, XLOCK_A_AGE_MS, age, XLOCK_A_PAD) ||
	    put_owner(skb, e))
		return -EMSGSIZE;
	switch (r->kind) {
	case XLOCK_KIND_LOCK:
		return nla_put_u8(skb, XLOCK_A_MODE, r->mode) ||
		       nla_put_u64_64bit(skb, XLOCK_A_START, r->start, XLOCK_A_PAD) ||
		       nla_put_u64_64bit(skb, XLOCK_A_END, r->end, XLOCK_A_PAD);
	case XLOCK_KIND_LEASE:
		return nla_put_u8(skb, XLOCK_A_LEASE_STATE, r->state) ||
		       (r->brk_to != XLOCK_NO_BREAK &&
			nla_put_u8(skb, XLOCK_A_BREAK_TO, r->brk_to));
	default:
		return nla_put_u8(skb, XLOCK_A_SHARE_ACCESS, r->mode) ||
		       nla_put_u8(skb, XLOCK_A_SHARE_ALLOW, r->state);
	}
}

/* The dump's cursor and filters, kept in the callback between batches. */
struct locks_ctx {
	u32 next_id;
	bool done;
	bool by_file;
	bool by_share;
	u32 share_id;
	struct xlock_fkey key;
	struct xlock_client *client;
	char *buf;
};

static int locks_start(struct netlink_callback *cb)
{
	struct nlattr **a = genl_info_dump(cb)->attrs;
	struct locks_ctx *ctx = (void *)cb->ctx;
	struct xlock_file *f;
	struct path path;
	int ret;

	NL_ASSERT_DUMP_CTX_FITS(struct locks_ctx);
	if (a[XLOCK_A_SHARE_ID]) {
		ctx->by_share = true;
		ctx->share_id = nla_get_u32(a[XLOCK_A_SHARE_ID]);
	}
	if (a[XLOCK_A_PATH]) {
		ret = kern_path(nla_data(a[XLOCK_A_PATH]), LOOKUP_FOLLOW, &path);
		if (ret) {
			NL_SET_ERR_MSG_ATTR(cb->extack, a[XLOCK_A_PATH], "no such file");
			return ret;
		}
		ctx->by_file = true;
		f = xlock_file_get(&path, false);
		path_put(&path);
		if (!f)
			ctx->done = true;	/* nothing held on it */
		else
			ctx->key = f->key;
		if (f)
			xlock_file_put(f);
	}
	if (a[XLOCK_A_CLIENT]) {
		ctx->client = xlock_client_find(nla_data(a[XLOCK_A_CLIENT]));
		if (!ctx->client)
			ctx->done = true;
	}
	ctx->buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!ctx->buf) {
		if (ctx->client)
			xlock_client_put(ctx->client);
		return -ENOMEM;
	}
	return 0;
}

static int locks_done(struct netlink_callback *cb)
{
	struct locks_ctx *ctx = (void *)cb->ctx;

	if (ctx->client)
		xlock_client_put(ctx->client);
	kfree(ctx->buf);
	return 0;
}

static bool locks_match(const struct locks_ctx *ctx, const struct xlock_entry *e)
{
	return (!ctx->by_share || e->file->share->id == ctx->share_id) &&
	       (!ctx->by_file || !memcmp(&e->file->key, &ctx->key, sizeof(ctx->key))) &&
	       (!ctx->client || e->client == ctx->client);
}

static int locks_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct locks_ctx *ctx = (void *)cb->ctx;
	struct xlock_entry_snap snap;
	const char *path;
	void *hdr;

	while (!ctx->done) {
		if (xlock_entry_snapshot(&ctx->next_id, &snap)) {
			ctx->done = true;
			break;
		}
		if (locks_match(ctx, &snap.e)) {
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
					  &xlock_family, NLM_F_MULTI, XLOCK_CMD_GET_LOCKS);
			if (!hdr) {
				xlock_entry_snapshot_put(&snap);
				break;
			}
			cb->seq = xlock_table_generation();
			genl_dump_check_consistent(cb, hdr);
			if (nla_put_u64_64bit(skb, XLOCK_A_GENERATION, cb->seq, XLOCK_A_PAD)) {
				genlmsg_cancel(skb, hdr);
				xlock_entry_snapshot_put(&snap);
				break;
			}
			path = snap.e.file->path.dentry ?
			       d_path(&snap.e.file->path, ctx->buf, PATH_MAX) : NULL;
			if (put_entry(skb, &snap.e, snap.id, IS_ERR(path) ? NULL : path)) {
				genlmsg_cancel(skb, hdr);
				xlock_entry_snapshot_put(&snap);
				break;	/* the skb is full: resume at this entry */
			}
			genlmsg_end(skb, hdr);
		}
		xlock_entry_snapshot_put(&snap);
		ctx->next_id = snap.id + 1;
		if (!ctx->next_id)
			ctx->done = true;
	}
	return skb->len;
}

static int break_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	u8 to = 0;
	int ret;

	if (missing(info, XLOCK_A_ENTRY_ID))
		return -EINVAL;
	if (a[XLOCK_A_LEASE_STATE])
		to = nla_get_u8(a[XLOCK_A_LEASE_STATE]);
	ret = xlock_lease_break_admin(nla_get_u64(a[XLOCK_A_ENTRY_ID]), to);
	switch (ret) {
	case 0:
		break;
	case -ENOENT:
		NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_ENTRY_ID], "no such entry");
		break;
	case -EINVAL:
		NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_ENTRY_ID], "entry is not a lease");
		break;
	case -EDOM:
		NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_LEASE_STATE],
				    "a break only removes bits, and keeps R unless it goes to none");
		ret = -EINVAL;
		break;
	case -EALREADY:
		NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_LEASE_STATE],
				    "the lease already holds no more than that");
		break;
	case -ENOTCONN:
		NL_SET_ERR_MSG(info->extack, "the ksmbd edge is not active");
		break;
	default:
		NL_SET_ERR_MSG(info->extack, "the break could not be started");
	}
	return ret;
}

static int reply_count(struct genl_info *info, u8 cmd, u64 n)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	void *hdr;

	if (!msg)
		return -ENOMEM;
	hdr = reply_put(msg, info, cmd);
	if (!hdr || nla_put_u64_64bit(msg, XLOCK_A_NR_ENTRIES, n, XLOCK_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int clear_client_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xlock_client *c;
	unsigned int n;

	if (missing(info, XLOCK_A_CLIENT))
		return -EINVAL;
	c = xlock_client_find(nla_data(info->attrs[XLOCK_A_CLIENT]));
	if (!c) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[XLOCK_A_CLIENT],
				    "no such client holds anything");
		return -ENOENT;
	}
	n = xlock_client_clear(c);
	xlock_client_put(c);
	return reply_count(info, XLOCK_CMD_CLEAR_CLIENT, n);
}

/* --- test entries ------------------------------------------------------- */

static int test_init(struct genl_info *info, struct xlock_entry_init *init)
{
	struct nlattr **a = info->attrs;

	init->proto = nla_get_u8(a[XLOCK_A_PROTO]);
	init->kind = nla_get_u8(a[XLOCK_A_KIND]);
	init->flags = XLOCK_ENTRY_F_TEST |
		      (a[XLOCK_A_FLAGS] ? nla_get_u32(a[XLOCK_A_FLAGS]) : 0);
	if (init->proto == XLOCK_PROTO_NLM && init->kind != XLOCK_KIND_LOCK) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_KIND], "NLM only holds locks");
		return -EINVAL;
	}
	switch (init->kind) {
	case XLOCK_KIND_LOCK:
		if (missing(info, XLOCK_A_MODE) ||
		    missing(info, XLOCK_A_START) ||
		    missing(info, XLOCK_A_END))
			return -EINVAL;
		init->mode = nla_get_u8(a[XLOCK_A_MODE]);
		init->start = nla_get_u64(a[XLOCK_A_START]);
		init->end = nla_get_u64(a[XLOCK_A_END]);
		if (init->end < init->start) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_END],
					    "range ends before it starts");
			return -EINVAL;
		}
		break;
	case XLOCK_KIND_LEASE:
		if (missing(info, XLOCK_A_LEASE_STATE))
			return -EINVAL;
		init->state = nla_get_u8(a[XLOCK_A_LEASE_STATE]);
		if (init->state && !(init->state & XLOCK_LEASE_R)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_LEASE_STATE],
					    "a lease is R, RH, RW or RWH");
			return -EINVAL;
		}
		init->start = 0;
		init->end = XLOCK_END_MAX;
		break;
	default:
		if (missing(info, XLOCK_A_SHARE_ACCESS) ||
		    missing(info, XLOCK_A_SHARE_ALLOW))
			return -EINVAL;
		init->mode = nla_get_u8(a[XLOCK_A_SHARE_ACCESS]);
		init->state = nla_get_u8(a[XLOCK_A_SHARE_ALLOW]);
		init->end = XLOCK_END_MAX;
		break;
	}
	if (init->proto == XLOCK_PROTO_NLM && a[XLOCK_A_NLM_SVID])
		init->owner.nlm.svid = nla_get_u32(a[XLOCK_A_NLM_SVID]);
	else if (init->kind == XLOCK_KIND_LEASE && a[XLOCK_A_SMB_LEASE_KEY])
		nla_memcpy(init->owner.smb.lease_key, a[XLOCK_A_SMB_LEASE_KEY],
			   sizeof(init->owner.smb.lease_key));
	if (init->proto == XLOCK_PROTO_SMB && a[XLOCK_A_SMB_FID])
		init->owner.smb.fp = nla_get_u64(a[XLOCK_A_SMB_FID]);
	return 0;
}

static int test_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct xlock_entry_init init = {};
	struct xlock_client *c;
	struct xlock_file *f;
	struct sk_buff *msg;
	const char *why;
	struct path path;
	void *hdr;
	u32 id;
	int ret;

	if (!xlock_test_api) {
		NL_SET_ERR_MSG(info->extack, "test entries need the module parameter test_api=1");
		return -EOPNOTSUPP;
	}
	if (missing(info, XLOCK_A_PATH) ||
	    missing(info, XLOCK_A_PROTO) ||
	    missing(info, XLOCK_A_KIND) ||
	    missing(info, XLOCK_A_CLIENT))
		return -EINVAL;
	ret = test_init(info, &init);
	if (ret)
		return ret;
	ret = kern_path(nla_data(a[XLOCK_A_PATH]), LOOKUP_FOLLOW, &path);
	if (ret) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_PATH], "no such file");
		return ret;
	}
	f = xlock_file_get(&path, true);
	path_put(&path);
	if (IS_ERR(f)) {
		NL_SET_ERR_MSG(info->extack, "out of memory");
		return PTR_ERR(f);
	}
	c = xlock_client_get(init.proto, nla_data(a[XLOCK_A_CLIENT]),
			     a[XLOCK_A_CLIENT_ADDR] ? nla_data(a[XLOCK_A_CLIENT_ADDR]) : NULL,
			     a[XLOCK_A_SMB_GUID] ? nla_data(a[XLOCK_A_SMB_GUID]) : NULL);
	if (IS_ERR(c)) {
		ret = PTR_ERR(c);
		NL_SET_ERR_MSG(info->extack, "out of memory");
		goto out_file;
	}
	ret = xlock_entry_add(f, c, &init, &id, &why);
	xlock_client_put(c);
	if (ret) {
		set_err(info->extack, NULL, why);
		goto out_file;
	}
	xlock_file_put(f);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = reply_put(msg, info, XLOCK_CMD_TEST_ADD);
	if (!hdr || nla_put_u64_64bit(msg, XLOCK_A_ENTRY_ID, id, XLOCK_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_file:
	xlock_file_put(f);
	return ret;
}

static int test_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	u64 id;
	int ret;

	if (!xlock_test_api) {
		NL_SET_ERR_MSG(info->extack, "test entries need the module parameter test_api=1");
		return -EOPNOTSUPP;
	}
	if (missing(info, XLOCK_A_ENTRY_ID))
		return -EINVAL;
	id = nla_get_u64(info->attrs[XLOCK_A_ENTRY_ID]);
	ret = id > U32_MAX ? -ENOENT : xlock_entry_del_id(id, XLOCK_ENTRY_F_TEST);
	if (ret == -ENOENT) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[XLOCK_A_ENTRY_ID], "no such entry");
	} else if (ret == -EPERM) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[XLOCK_A_ENTRY_ID],
				    "not a test entry");
		ret = -EINVAL;
	}
	return ret;
}

/* --- events ------------------------------------------------------------- */

void xlock_nl_entry_event(u8 event, const struct xlock_entry *e)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&xlock_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &xlock_family, 0, XLOCK_CMD_EVENT);
	if (!hdr || nla_put_u8(msg, XLOCK_A_EVENT, event) || put_entry(msg, e, e->id, NULL)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&xlock_family, msg, 0, 0, GFP_KERNEL);
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
		.start = locks_start,
		.dumpit = locks_dumpit,
		.done = locks_done,
		.policy = locks_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_BREAK,
		.doit = break_doit,
		.policy = break_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_CLEAR_CLIENT,
		.doit = clear_client_doit,
		.policy = client_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_TEST_ADD,
		.doit = test_add_doit,
		.policy = test_add_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = XLOCK_CMD_TEST_DEL,
		.doit = test_del_doit,
		.policy = entry_id_policy,
		.maxattr = XLOCK_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group xlock_mcgrps[] = {
	{ .name = XLOCK_GENL_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family xlock_family __ro_after_init = {
	.name = XLOCK_GENL_NAME,
	.version = XLOCK_GENL_VERSION,
	.module = THIS_MODULE,
	.ops = xlock_ops,
	.n_ops = ARRAY_SIZE(xlock_ops),
	.mcgrps = xlock_mcgrps,
	.n_mcgrps = ARRAY_SIZE(xlock_mcgrps),
	/*
	 * No family-wide policy or maxattr: a command without a policy of
	 * its own then gets genetlink's reject-all policy.
	 */
};

int __init xlock_genl_init(void)
{
	return genl_register_family(&xlock_family);
}

void xlock_genl_exit(void)
{
	genl_unregister_family(&xlock_family);
}

MODULE_ALIAS_GENL_FAMILY(XLOCK_GENL_NAME);
