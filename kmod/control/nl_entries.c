// SPDX-License-Identifier: GPL-2.0
/*
 * The entry commands of the xlock family: the lock dump (GetAllLocksOnFile
 * among its filters), break and clear-client; test_add/del are nl_test.c's.
 */
#include <linux/module.h>
#include <linux/namei.h>
#include <net/genetlink.h>

#include "admin.h"
#include "grace.h"
#include "nfsd4_state.h"
#include "nl_entries.h"
#include "nl_family.h"
#include "nl_grace.h"
#include "table.h"

const struct nla_policy xlock_nl_locks_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_SHARE_ID] = { .type = NLA_U32 },
	[XLOCK_A_PATH] = { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[XLOCK_A_CLIENT] = { .type = NLA_NUL_STRING, .len = XLOCK_NAME_MAX + 7 },
};

const struct nla_policy xlock_nl_break_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_ENTRY_ID] = { .type = NLA_U64 },
	[XLOCK_A_LEASE_STATE] = NLA_POLICY_MASK(NLA_U8, XLOCK_LEASE_ALL),
};

const struct nla_policy xlock_nl_client_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_CLIENT] = { .type = NLA_NUL_STRING, .len = XLOCK_NAME_MAX + 7 },
};

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
	if (e->r.proto == XLOCK_PROTO_NFS4)
		return 0;
	if (nla_put(skb, XLOCK_A_SMB_GUID, sizeof(c->guid), c->guid))
		return -EMSGSIZE;
	if (e->r.kind == XLOCK_KIND_LEASE)
		return nla_put(skb, XLOCK_A_SMB_LEASE_KEY, sizeof(e->owner.smb.lease_key),
			       e->owner.smb.lease_key);
	return 0;
}

int xlock_nl_put_entry(struct sk_buff *skb, const struct xlock_entry *e, u32 id,
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
	case XLOCK_KIND_DELEG:
		return nla_put_u8(skb, XLOCK_A_LEASE_STATE, r->state);
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
	bool nfs4_done;		/* the file's NFSv4 holders were sent */
	u32 share_id;
	u32 nfs4_next;		/* the next of them to send */
	struct xlock_fkey key;
	struct xlock_client *client;
	char *buf;
};

int xlock_nl_locks_start(struct netlink_callback *cb)
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

int xlock_nl_locks_done(struct netlink_callback *cb)
{
	struct locks_ctx *ctx = (void *)cb->ctx;

	if (ctx->client)
		xlock_client_put(ctx->client);
	kfree(ctx->buf);
	return 0;
}

/* A --path dump lists the file's delegations as nfsd holds them (dump_nfs4). */
static bool locks_match(const struct locks_ctx *ctx, const struct xlock_entry *e)
{
	return !(ctx->by_file && e->r.kind == XLOCK_KIND_DELEG) &&
	       (!ctx->by_share || e->file->share->id == ctx->share_id) &&
	       (!ctx->by_file || !memcmp(&e->file->key, &ctx->key, sizeof(ctx->key))) &&
	       (!ctx->client || e->client == ctx->client);
}

static int put_nfs4(struct sk_buff *skb, const struct xlock_nfs4_holder *h, u32 id,
		    const struct path *path, const char *name)
{
	char client[80];

	snprintf(client, sizeof(client), "nfs4:%016llx@%s", h->clientid, h->addr);
	if (nla_put_u64_64bit(skb, XLOCK_A_ENTRY_ID, id, XLOCK_A_PAD) ||
	    nla_put_u8(skb, XLOCK_A_PROTO, XLOCK_PROTO_NFS4) ||
	    nla_put_u8(skb, XLOCK_A_KIND, h->kind) ||
	    nla_put_u32(skb, XLOCK_A_FLAGS, 0) ||
	    nla_put_u64_64bit(skb, XLOCK_A_DEV, d_inode(path->dentry)->i_sb->s_dev, XLOCK_A_PAD) ||
	    nla_put_u64_64bit(skb, XLOCK_A_INO, d_inode(path->dentry)->i_ino, XLOCK_A_PAD) ||
	    (name && nla_put_string(skb, XLOCK_A_PATH, name)) ||
	    nla_put_string(skb, XLOCK_A_CLIENT, client) ||
	    (h->addr[0] && nla_put_string(skb, XLOCK_A_CLIENT_ADDR, h->addr)))
		return -EMSGSIZE;
	if (h->kind == XLOCK_KIND_DELEG)
		return nla_put_u8(skb, XLOCK_A_LEASE_STATE, h->mode);
	if (h->kind == XLOCK_KIND_SHARE)
		return nla_put_u8(skb, XLOCK_A_SHARE_ACCESS, h->mode) ||
		       nla_put_u8(skb, XLOCK_A_SHARE_ALLOW, h->allow);
	return nla_put_u8(skb, XLOCK_A_MODE, h->mode) ||
	       nla_put_u64_64bit(skb, XLOCK_A_START, h->start, XLOCK_A_PAD) ||
	       nla_put_u64_64bit(skb, XLOCK_A_END, h->end, XLOCK_A_PAD);
}

/*
 * After the table's entries of a --path dump: the file's NFSv4 holders,
 * which are nfsd's and not in the table (issue 13), read anew per batch;
 * ctx->nfs4_next is the cursor among them.
 */
static void dump_nfs4(struct sk_buff *skb, struct netlink_callback *cb, struct locks_ctx *ctx)
{
	struct nlattr **a = genl_info_dump(cb)->attrs;
	struct xlock_nfs4_holder *h;
	const char *name;
	struct path path;
	void *hdr;
	int i, n;

	h = kmalloc_array(XLOCK_NFS4_HOLDERS_MAX, sizeof(*h), GFP_KERNEL);
	if (!h)
		return;		/* the next batch tries again */
	if (kern_path(nla_data(a[XLOCK_A_PATH]), LOOKUP_FOLLOW, &path)) {
		ctx->nfs4_done = true;
		goto out;
	}
	n = xlock_nfs4_holders(d_inode(path.dentry), h, XLOCK_NFS4_HOLDERS_MAX);
	name = d_path(&path, ctx->buf, PATH_MAX);
	if (IS_ERR(name))
		name = NULL;
	for (i = ctx->nfs4_next; i < n; i++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &xlock_family, NLM_F_MULTI, XLOCK_CMD_GET_LOCKS);
		if (!hdr)
			break;
		if (put_nfs4(skb, &h[i], BIT(31) + i, &path, name)) {
			genlmsg_cancel(skb, hdr);
			break;	/* the skb is full: resume at this one */
		}
		genlmsg_end(skb, hdr);
		ctx->nfs4_next = i + 1;
	}
	if (i >= n)
		ctx->nfs4_done = true;
	path_put(&path);
out:
	kfree(h);
}

int xlock_nl_locks_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
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
			if (xlock_nl_put_entry(skb, &snap.e, snap.id, IS_ERR(path) ? NULL : path)) {
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
	if (ctx->done && ctx->by_file && !ctx->by_share && !ctx->nfs4_done &&
	    !genl_info_dump(cb)->attrs[XLOCK_A_CLIENT])
		dump_nfs4(skb, cb, ctx);
	return skb->len;
}

int xlock_nl_break_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	u8 to = 0;
	int ret;

	if (xlock_nl_missing(info, XLOCK_A_ENTRY_ID))
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

int xlock_nl_clear_client_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xlock_client *c;
	unsigned int n;

	if (xlock_nl_missing(info, XLOCK_A_CLIENT))
		return -EINVAL;
	c = xlock_client_find(nla_data(info->attrs[XLOCK_A_CLIENT]));
	if (!c) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[XLOCK_A_CLIENT],
				    "no such client holds anything");
		return -ENOENT;
	}
	n = xlock_client_clear(c);
	xlock_client_put(c);
	return xlock_nl_reply_count(info, XLOCK_CMD_CLEAR_CLIENT, n);
}

/* --- entries described by attributes ------------------------------------ */

/*
 * An entry described by attributes (TEST_ADD, RECLAIM_ADD): PROTO, KIND,
 * CLIENT and PATH present, the kind's own attributes checked here.
 */
int xlock_nl_parse_entry(struct genl_info *info, struct xlock_entry_init *init)
{
	struct nlattr **a = info->attrs;

	if (xlock_nl_missing(info, XLOCK_A_PATH) ||
	    xlock_nl_missing(info, XLOCK_A_PROTO) ||
	    xlock_nl_missing(info, XLOCK_A_KIND) ||
	    xlock_nl_missing(info, XLOCK_A_CLIENT))
		return -EINVAL;
	init->proto = nla_get_u8(a[XLOCK_A_PROTO]);
	init->kind = nla_get_u8(a[XLOCK_A_KIND]);
	init->flags = a[XLOCK_A_FLAGS] ? nla_get_u32(a[XLOCK_A_FLAGS]) : 0;
	if (init->proto == XLOCK_PROTO_NLM && init->kind != XLOCK_KIND_LOCK) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_KIND], "NLM only holds locks");
		return -EINVAL;
	}
	switch (init->kind) {
	case XLOCK_KIND_LOCK:
		if (xlock_nl_missing(info, XLOCK_A_MODE) ||
		    xlock_nl_missing(info, XLOCK_A_START) ||
		    xlock_nl_missing(info, XLOCK_A_END))
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
		if (xlock_nl_missing(info, XLOCK_A_LEASE_STATE))
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
		if (xlock_nl_missing(info, XLOCK_A_SHARE_ACCESS) ||
		    xlock_nl_missing(info, XLOCK_A_SHARE_ALLOW))
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

