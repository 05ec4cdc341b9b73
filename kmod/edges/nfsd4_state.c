// SPDX-License-Identifier: GPL-2.0
/*
 * nfsd's NFSv4 state, read where nfsd keeps it: nothing of it is copied
 * into the table, so nothing can outlive a CLOSE, an unlock or a client's
 * expiry. Its byte-range locks and delegations are in the VFS lists (with
 * nfsd's lock manager operations), its opens in its nfs4_file table.
 * SMB lease requests (V2, I1) and opens (V6) are decided against them, and
 * `xlockctl locks --path` lists them.
 */
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nfs4.h>
#include <linux/rhashtable.h>

#include "arbiter.h"
#include "generated/btf.h"
#include "grace.h"
#include "edge.h"
#include "ksym.h"
#include "nfsd4.h"
#include "nfsd4_grace.h"
#include "nfsd4_state.h"
#include "stats.h"
#include "table.h"

/* The nfsd edge, handed over at its attach and never unset (see edge.h). */
static struct xlock_edge *nfsd_edge;

static bool nfs4_opens_decide(struct inode *inode, const struct xlock_rule_req *req,
			      struct xlock_rule_entry *e, struct xlock_verdict *v);

/*
 * V2 (C1, C3): NFSv4 byte-range locks are not in the table; nfsd's locks
 * are the VFS posix locks carrying nfsd's lock manager operations. Any of
 * them takes W from an SMB lease asked for on the file (the cifs client
 * would keep its own locks local under W), an exclusive one R as well.
 * I1: an NFSv4 open for write (nfsd's open stateids) takes W too.
 * The rules decide, with the locks and opens as NFS-side entries.
 */
u8 xlock_nfs4_lease_cap(struct xlock_file *f, struct inode *inode, u8 want)
{
	struct xlock_rule_entry e[3] = {
		{ .proto = XLOCK_PROTO_NLM, .kind = XLOCK_KIND_LOCK, .mode = XLOCK_MODE_SHARED,
		  .end = XLOCK_END_MAX, .brk_to = XLOCK_NO_BREAK },
		{ .proto = XLOCK_PROTO_NLM, .kind = XLOCK_KIND_LOCK, .mode = XLOCK_MODE_EXCL,
		  .end = XLOCK_END_MAX, .brk_to = XLOCK_NO_BREAK },
		{ .proto = XLOCK_PROTO_NFS4, .kind = XLOCK_KIND_SHARE,
		  .end = XLOCK_END_MAX, .brk_to = XLOCK_NO_BREAK },
	};
	struct xlock_rule_req req = { .op = XLOCK_OP_SMB_LEASE, .state = want };
	struct xlock_verdict v = { .kind = XLOCK_V_GRANT };
	struct xlock_rule_entry *head = NULL;
	struct file_lock_context *ctx;
	bool shared = false, excl = false;
	struct file_lock *fl;
	struct module *mod;

	ctx = locks_inode_context(inode);
	if (!want || !xlock_edge_get(READ_ONCE(nfsd_edge)))
		return want;
	mod = READ_ONCE(nfsd_edge)->mod;
	if (ctx) {
		spin_lock(&ctx->flc_lock);
		list_for_each_entry(fl, &ctx->flc_posix, c.flc_list) {
			if (!fl->fl_lmops || !within_module((unsigned long)fl->fl_lmops, mod))
				continue;
			if (fl->c.flc_type == F_WRLCK)
				excl = true;
			else
				shared = true;
		}
		spin_unlock(&ctx->flc_lock);
	}
	xlock_edge_put(READ_ONCE(nfsd_edge));
	if (excl) {
		e[1].next = head;
		head = &e[1];
	}
	if (shared) {
		e[0].next = head;
		head = &e[0];
	}
	if (head) {
		xlock_rules_decide(&req, head, &v);
		if (v.kind == XLOCK_V_REDUCED) {
			xlock_lease_reduced(f, want, v.state, NULL,
					    excl ? "NFSv4 exclusive lock" : "NFSv4 shared lock");
			req.state = v.state;
		}
	}
	if (req.state & XLOCK_LEASE_W && nfs4_opens_decide(inode, &req, &e[2], &v) &&
	    v.kind == XLOCK_V_REDUCED) {
		xlock_lease_reduced(f, req.state, v.state, NULL, "NFSv4 open for write");
		req.state = v.state;
	}
	return req.state;
}

/*
 * V6: nfsd's table of nfs4_files, keyed by inode pointer. nfsd creates it
 * when its first server starts and destroys it when the last one stops,
 * both under nfsd_mutex with nfsd_users counting the servers, so it is
 * read under that mutex and only while nfsd_users says it exists. The
 * lookup is rhashtable's inline code with nfsd's own parameters (checked
 * at attach): no call into nfsd. NULL: V6 off.
 */
static struct rhltable *nfs4_files;
static struct mutex *nfsd_mutex_p;
static int *nfsd_users_p;

static const struct rhashtable_params nfs4_file_params = {
	.key_len = sizeof(struct inode *),
	.key_offset = XLOCK_BTF_nfs4_file_fi_inode,
	.head_offset = XLOCK_BTF_nfs4_file_fi_rlist,
};

/* An nfsd bmap of share bits (bit n set for share value n) as XLOCK_SHARE_* bits. */
static u8 bmap_share(u8 bmap)
{
	u8 share = 0;
	int n;

	for (n = NFS4_SHARE_ACCESS_READ; n <= NFS4_SHARE_ACCESS_BOTH; n++)
		if (bmap & BIT(n))
			share |= n;
	return share;
}

#define FI(fi, field, type) FIELD(fi, XLOCK_BTF_nfs4_file_##field, type)
#define ST(st, field, type) FIELD(st, XLOCK_BTF_nfs4_ol_stateid_##field, type)

/*
 * Between these two, nfsd's table of nfs4_files exists; its entries are
 * freed after an RCU grace period, so they are read under rcu_read_lock.
 * Caller holds the nfsd edge. False: nfsd has no table now.
 */
static bool nfs4_files_lock(void)
{
	if (!READ_ONCE(nfs4_files))
		return false;
	mutex_lock(nfsd_mutex_p);
	if (!READ_ONCE(*nfsd_users_p)) {
		mutex_unlock(nfsd_mutex_p);
		return false;
	}
	return true;
}

static void nfs4_files_unlock(void)
{
	mutex_unlock(nfsd_mutex_p);
}

/* @inode's nfs4_files: more than one when it has aliased file handles. */
static struct rhlist_head *nfs4_files_of(struct inode *inode)
{
	return rhltable_lookup(nfs4_files, &inode, nfs4_file_params);
}

#define fi_of(pos) ((void *)((char *)(pos) - XLOCK_BTF_nfs4_file_fi_rlist))

/* The nfsd client of an open or lock stateid. */
static void *st_client(void *st)
{
	return FIELD(st, XLOCK_BTF_nfs4_ol_stateid_st_stid + XLOCK_BTF_nfs4_stid_sc_client,
		     void *);
}

/*
 * A client whose lease ran out but whose state nfsd kept (a courtesy
 * client) gives way, as in nfsd's own deny-mode conflicts: it is marked
 * expirable, and nfsd's laundromat removes its state at its next run (I5:
 * a dead client's deny mode does not hold SMB off for nfsd's 24 hours).
 */
static bool client_expired(void *clp)
{
	unsigned int *state = &FIELD(clp, XLOCK_BTF_nfs4_client_cl_state, unsigned int);

	cmpxchg(state, XLOCK_BTF_NFSD4_COURTESY, XLOCK_BTF_NFSD4_EXPIRABLE);
	return READ_ONCE(*state) == XLOCK_BTF_NFSD4_EXPIRABLE;
}

/* What a walk over @inode's NFSv4 opens does with each (nfs4_opens_walk). */
struct nfs4_opens_ops {
	/* @st with its access and deny bits (XLOCK_SHARE_*); true: stop. */
	bool (*visit)(void *ctx, void *st, u8 access, u8 deny);
};

/* The one indirect call here: through a walk's ops (check-ibt.sh). */
static noinline bool ops_visit(const struct nfs4_opens_ops *ops, void *ctx, void *st,
			       u8 access, u8 deny)
{
	return ops->visit(ctx, st, access, deny);
}

/*
 * Each NFSv4 open of @inode, from each nfs4_file's stateids under its
 * fi_lock (CLOSE and a client's expiry take them off that list), until
 * @ops stops: true then. Lock stateids copy their open's bits and are
 * skipped. Caller holds the nfsd edge.
 */
static bool nfs4_opens_walk(struct inode *inode, const struct nfs4_opens_ops *ops, void *ctx)
{
	struct list_head *l, *head;
	struct rhlist_head *pos;
	bool stop = false;
	void *st;

	if (!nfs4_files_lock())
		return false;
	rcu_read_lock();
	rhl_for_each_rcu(pos, nfs4_files_of(inode)) {
		void *fi = fi_of(pos);

		head = &FI(fi, fi_stateids, struct list_head);
		spin_lock(&FI(fi, fi_lock, spinlock_t));
		list_for_each(l, head) {
			st = (char *)l - XLOCK_BTF_nfs4_ol_stateid_st_perfile;
			if (ST(st, st_openstp, void *))
				continue;
			stop = ops_visit(ops, ctx, st, bmap_share(ST(st, st_access_bmap, u8)),
					 bmap_share(ST(st, st_deny_bmap, u8)));
			if (stop)
				break;
		}
		spin_unlock(&FI(fi, fi_lock, spinlock_t));
		if (stop)
			break;
	}
	rcu_read_unlock();
	nfs4_files_unlock();
	return stop;
}

static void grace_note(const struct inode *inode, const struct xlock_rule_req *req)
{
	xlock_conflict_note(NULL,
			    "SMB open of dev=%u:%u ino=%lu allowing %s%s%s held back: nfsd's NFSv4 clients may still reclaim (grace): STATUS_SHARING_VIOLATION",
			    MAJOR(inode->i_sb->s_dev), MINOR(inode->i_sb->s_dev), inode->i_ino,
			    req->state & XLOCK_SHARE_READ ? "r" : "",
			    req->state & XLOCK_SHARE_WRITE ? "w" : "",
			    req->state & XLOCK_SHARE_DELETE ? "d" : "");
}

/*
 * The rules on SMB request @req against each NFSv4 open of @inode, as an
 * NFSv4 share entry (its access, and the access its deny mode leaves to
 * others; deny none leaves all), until one is in the way (its verdict in
 * @v, the entry in @e: true). A courtesy client's opens give way
 * (client_expired).
 */
struct decide_ctx {
	const struct xlock_rule_req *req;
	struct xlock_rule_entry *e;
	struct xlock_verdict *v;
};

static bool decide_visit(void *ctx, void *st, u8 access, u8 deny)
{
	struct decide_ctx *d = ctx;

	d->e->mode = access;
	d->e->state = XLOCK_SHARE_ALL & ~deny;
	xlock_rules_decide(d->req, d->e, d->v);
	return d->v->kind != XLOCK_V_GRANT && !client_expired(st_client(st));
}

static const struct nfs4_opens_ops decide_ops = { .visit = decide_visit };

static bool nfs4_opens_decide(struct inode *inode, const struct xlock_rule_req *req,
			      struct xlock_rule_entry *e, struct xlock_verdict *v)
{
	struct decide_ctx d = { .req = req, .e = e, .v = v };
	bool found;

	if (!xlock_edge_get(READ_ONCE(nfsd_edge)))
		return false;
	found = nfs4_opens_walk(inode, &decide_ops, &d);
	xlock_edge_put(READ_ONCE(nfsd_edge));
	return found;
}

/*
 * V8: a delegation persisted before a restart and not reclaimed yet
 * (nfsd4_deleg.c) holds back the SMB opens it would be recalled for.
 */
static bool deleg_unreclaimed(struct inode *inode, const struct xlock_rule_req *req, bool again)
{
	struct xlock_fkey key;
	struct xlock_verdict v;

	xlock_fkey_of_inode(inode, &key);
	xlock_grace_decide(&key, req, "", &v);
	if (v.kind != XLOCK_V_DENY)
		return false;
	if (!again)
		xlock_conflict_note(NULL,
				    "SMB open of dev=%u:%u ino=%lu for %s%s%s held back: a delegation not reclaimed yet (grace): STATUS_SHARING_VIOLATION",
				    MAJOR(inode->i_sb->s_dev), MINOR(inode->i_sb->s_dev),
				    inode->i_ino,
				    req->mode & XLOCK_SHARE_READ ? "r" : "",
				    req->mode & XLOCK_SHARE_WRITE ? "w" : "",
				    req->mode & XLOCK_SHARE_DELETE ? "d" : "");
	return true;
}

/*
 * V6: does an NFSv4 open of @inode conflict with SMB open @req? The rules
 * decide, as among SMB opens. In nfsd's NFSv4 grace, the opens not
 * reclaimed yet count too (V8).
 * @again: the same open asked a second time (not counted nor logged).
 */
bool xlock_nfs4_open_refused(struct inode *inode, const struct xlock_rule_req *req, bool again)
{
	struct xlock_rule_entry e = {
		.proto = XLOCK_PROTO_NFS4, .kind = XLOCK_KIND_SHARE,
		.end = XLOCK_END_MAX, .brk_to = XLOCK_NO_BREAK,
	};
	struct xlock_verdict v;

	if (!S_ISREG(inode->i_mode))
		return false;
	if (xlock_grace_active() && deleg_unreclaimed(inode, req, again))
		return true;
	if (xlock_nfs4_in_grace()) {
		/*
		 * V8: opens nfsd's clients may still reclaim are unknown here
		 * (xlock persists no NFSv4 state); each is taken for what the
		 * Linux client holds, read and write denying nothing.
		 */
		e.mode = XLOCK_SHARE_READ | XLOCK_SHARE_WRITE;
		e.state = XLOCK_SHARE_ALL;
		xlock_rules_decide(req, &e, &v);
		if (v.kind == XLOCK_V_DENY) {
			if (!again)
				grace_note(inode, req);
			return true;
		}
	}
	if (!nfs4_opens_decide(inode, req, &e, &v) || v.kind != XLOCK_V_DENY)
		return false;
	if (again)
		return true;
	xlock_stat_inc(XLOCK_STAT_SMB_VS_NLM);
	xlock_conflict_note(NULL,
			    "SMB open of dev=%u:%u ino=%lu for %s%s%s allowing %s%s%s vs NFSv4 open for %s%s allowing %s%s%s: STATUS_SHARING_VIOLATION",
			    MAJOR(inode->i_sb->s_dev), MINOR(inode->i_sb->s_dev), inode->i_ino,
			    req->mode & XLOCK_SHARE_READ ? "r" : "",
			    req->mode & XLOCK_SHARE_WRITE ? "w" : "",
			    req->mode & XLOCK_SHARE_DELETE ? "d" : "",
			    req->state & XLOCK_SHARE_READ ? "r" : "",
			    req->state & XLOCK_SHARE_WRITE ? "w" : "",
			    req->state & XLOCK_SHARE_DELETE ? "d" : "",
			    e.mode & XLOCK_SHARE_READ ? "r" : "",
			    e.mode & XLOCK_SHARE_WRITE ? "w" : "",
			    e.state & XLOCK_SHARE_READ ? "r" : "",
			    e.state & XLOCK_SHARE_WRITE ? "w" : "",
			    e.state & XLOCK_SHARE_DELETE ? "d" : "");
	return true;
}

/* nfsd's params for its table, as ours: anything else and we read it wrong. */
static bool nfs4_params_same(const struct rhashtable_params *p)
{
	return p->key_len == nfs4_file_params.key_len &&
	       p->key_offset == nfs4_file_params.key_offset &&
	       p->head_offset == nfs4_file_params.head_offset &&
	       !p->hashfn && !p->obj_hashfn && !p->obj_cmpfn;
}

/* V6 on: nfsd's table of nfs4_files found as expected. */
void xlock_nfs4_state_attach(struct xlock_edge *nfsd)
{
	unsigned long tbl = xlock_ksym_lookup("nfsd:nfs4_file_rhltable");
	unsigned long params = xlock_ksym_lookup("nfsd:nfs4_file_rhash_params");
	unsigned long users = xlock_ksym_lookup("nfsd:nfsd_users");

	WRITE_ONCE(nfsd_edge, nfsd);
	nfsd_mutex_p = (struct mutex *)xlock_ksym_lookup("nfsd:nfsd_mutex");
	if (!tbl || !params || !users || !nfsd_mutex_p ||
	    !nfs4_params_same((const struct rhashtable_params *)params)) {
		pr_warn("SMB opens will not heed NFSv4 deny modes: nfsd's nfs4_file table not found as expected\n");
		return;
	}
	nfsd_users_p = (int *)users;
	WRITE_ONCE(nfs4_files, (struct rhltable *)tbl);
}

void xlock_nfs4_state_detach(void)
{
	WRITE_ONCE(nfs4_files, NULL);
}

/* nfsd's client of its delegation @dp (an nfs4_delegation). */
const void *xlock_nfs4_deleg_clp(const void *dp)
{
	return FIELD(dp, XLOCK_BTF_nfs4_delegation_dl_stid + XLOCK_BTF_nfs4_stid_sc_client, void *);
}

/* The NFSv4 client of an nfsd client struct: its client id and address. */
void xlock_nfs4_holder_client(struct xlock_nfs4_holder *h, const void *clp)
{
	h->clientid = 0;
	h->addr[0] = '\0';
	if (!clp)
		return;
	/* clientid_t: cl_boot, then cl_id */
	h->clientid = (u64)FIELD(clp, XLOCK_BTF_nfs4_client_cl_clientid, u32) << 32 |
		      FIELD(clp, XLOCK_BTF_nfs4_client_cl_clientid + 4, u32);
	xlock_addr_str((const struct sockaddr *)((const char *)clp +
						 XLOCK_BTF_nfs4_client_cl_addr),
		       h->addr, sizeof(h->addr));
}

/*
 * V6: the NFSv4 opens of @inode with a deny mode, at most @max. Deny-none
 * opens (every Linux client open) are not listed: they can refuse an SMB
 * open all the same, which the INFO line of that refusal names. Caller
 * holds the nfsd edge.
 */
struct holders_ctx {
	struct xlock_nfs4_holder *h;
	int n, max;
};

static bool holders_visit(void *ctx, void *st, u8 access, u8 deny)
{
	struct holders_ctx *c = ctx;
	struct xlock_nfs4_holder *h = &c->h[c->n];

	if (!deny)
		return false;
	xlock_nfs4_holder_client(h, st_client(st));
	h->kind = XLOCK_KIND_SHARE;
	h->mode = access;
	h->allow = XLOCK_SHARE_ALL & ~deny;
	h->start = 0;
	h->end = XLOCK_END_MAX;
	return ++c->n == c->max;
}

static const struct nfs4_opens_ops holders_ops = { .visit = holders_visit };

static int nfs4_deny_holders(struct inode *inode, struct xlock_nfs4_holder *h, int max)
{
	struct holders_ctx c = { .h = h, .max = max };

	if (max <= 0 || !S_ISREG(inode->i_mode))
		return 0;
	nfs4_opens_walk(inode, &holders_ops, &c);
	return c.n;
}

/*
 * `xlockctl locks --path` (issue 13): NFSv4 state is nfsd's own, not in the
 * table, so the NFSv4 holders of @inode are read from the VFS lists under
 * their lock: nfsd's byte-range locks (posix locks with its lock manager)
 * and its delegations (FL_DELEG leases it set), with their nfsd client.
 * nfsd frees a lock owner or a delegation only after taking its lock or
 * lease off these lists. At most @max; the number found.
 */
int xlock_nfs4_holders(struct inode *inode, struct xlock_nfs4_holder *h, int max)
{
	struct file_lock_context *ctx = locks_inode_context(inode);
	struct file_lease *fl;
	struct file_lock *lk;
	struct module *mod;
	int n = 0;

	if (!xlock_edge_get(READ_ONCE(nfsd_edge)))
		return 0;
	if (!ctx) {
		n = nfs4_deny_holders(inode, h, max);
		xlock_edge_put(READ_ONCE(nfsd_edge));
		return n;
	}
	mod = READ_ONCE(nfsd_edge)->mod;
	spin_lock(&ctx->flc_lock);
	list_for_each_entry(lk, &ctx->flc_posix, c.flc_list) {
		if (n == max)
			break;
		if (!lk->fl_lmops || !within_module((unsigned long)lk->fl_lmops, mod) ||
		    !lk->c.flc_owner)
			continue;
		xlock_nfs4_holder_client(&h[n], FIELD(lk->c.flc_owner,
						      XLOCK_BTF_nfs4_lockowner_lo_owner +
						      XLOCK_BTF_nfs4_stateowner_so_client, void *));
		h[n].kind = XLOCK_KIND_LOCK;
		h[n].mode = lk->c.flc_type == F_WRLCK ? XLOCK_MODE_EXCL : XLOCK_MODE_SHARED;
		h[n].start = lk->fl_start;
		h[n].end = lk->fl_end == OFFSET_MAX ? XLOCK_END_MAX : lk->fl_end;
		n++;
	}
	list_for_each_entry(fl, &ctx->flc_lease, c.flc_list) {
		if (n == max)
			break;
		if (!(fl->c.flc_flags & FL_DELEG) || !fl->fl_lmops ||
		    !within_module((unsigned long)fl->fl_lmops, mod) || !fl->c.flc_owner)
			continue;
		xlock_nfs4_holder_client(&h[n], xlock_nfs4_deleg_clp(fl->c.flc_owner));
		h[n].kind = XLOCK_KIND_DELEG;
		h[n].mode = fl->c.flc_type == F_WRLCK ? XLOCK_LEASE_R | XLOCK_LEASE_W :
							XLOCK_LEASE_R;
		h[n].start = 0;
		h[n].end = XLOCK_END_MAX;
		n++;
	}
	spin_unlock(&ctx->flc_lock);
	n += nfs4_deny_holders(inode, h + n, max - n);
	xlock_edge_put(READ_ONCE(nfsd_edge));
	return n;
}
