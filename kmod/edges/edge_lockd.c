// SPDX-License-Identifier: GPL-2.0
/*
 * The lockd edge: NLM LOCK, TEST, UNLOCK and CANCEL as lockd serves them.
 *
 * Wrappers run on lockd's single service thread: they wait for an SMB
 * client's lease ack only briefly (lockd_wait_ms). A blocking request that
 * the SMB side still holds up gets NLM4_BLOCKED and is granted later by a
 * GRANTED callback (C5, nlm_pending.c); a non-blocking one gets no reply
 * and is retransmitted by the client (C6), as knfsd does for delegations.
 * After every lock operation the table mirrors lockd's locks on the file.
 */
#include <linux/lockd/lockd.h>
#include <linux/module.h>

#include "arbiter.h"
#include "client.h"
#include "edge.h"
#include "generated/btf.h"
#include "edge_lockd.h"
#include "grace.h"
#include "ksym.h"
#include "nlm_pending.h"
#include "stats.h"
#include "table.h"
#include "teardown.h"
#include "vfs_sync.h"

static unsigned int lockd_wait_ms = 100;
module_param(lockd_wait_ms, uint, 0644);
MODULE_PARM_DESC(lockd_wait_ms,
		 "How long lockd's thread waits for an SMB lease ack before NLM4_BLOCKED (ms)");

enum { H_LOCK, H_TEST, H_UNLOCK, H_CANCEL, H_GRANT_REPLY, H_FREE_HOST, H_SHUTDOWN };

static XLOCK_STUB __be32 call_nlmsvc_lock(struct svc_rqst *rqstp, struct nlm_file *file,
					  struct nlm_host *host, struct nlm_lock *lock,
					  int wait, struct nlm_cookie *cookie,
					  int reclaim)
{
	xlock_call_unreachable(__func__);
	return nlm_lck_denied_nolocks;
}

static XLOCK_STUB __be32 call_nlmsvc_testlock(struct svc_rqst *rqstp,
					      struct nlm_file *file,
					      struct nlm_host *host,
					      struct nlm_lock *lock,
					      struct nlm_lock *conflock,
					      struct nlm_cookie *cookie)
{
	xlock_call_unreachable(__func__);
	return nlm_lck_denied_nolocks;
}

static XLOCK_STUB __be32 call_nlmsvc_unlock(struct net *net, struct nlm_file *file,
					    struct nlm_lock *lock)
{
	xlock_call_unreachable(__func__);
	return nlm_lck_denied_nolocks;
}

static XLOCK_STUB __be32 call_nlmsvc_cancel_blocked(struct net *net,
						    struct nlm_file *file,
						    struct nlm_lock *lock)
{
	xlock_call_unreachable(__func__);
	return nlm_lck_denied_nolocks;
}

static XLOCK_STUB void call_nlmsvc_grant_reply(struct nlm_cookie *cookie, __be32 status)
{
	xlock_call_unreachable(__func__);
}

static XLOCK_STUB void call_nlmsvc_free_host_resources(struct nlm_host *host)
{
	xlock_call_unreachable(__func__);
}

static XLOCK_STUB void call_nlm_shutdown_hosts_net(struct net *net)
{
	xlock_call_unreachable(__func__);
}

static struct xlock_hook lockd_hooks[];
#define HS (&xlock_edge_lockd.hs)

static void nlm_req(struct xlock_rule_req *req, u8 op, const struct nlm_lock *lock)
{
	req->op = op;
	req->mode = lock->fl.c.flc_type == F_WRLCK ? XLOCK_MODE_EXCL : XLOCK_MODE_SHARED;
	req->start = lock->fl.fl_start;
	req->end = lock->fl.fl_end == OFFSET_MAX ? XLOCK_END_MAX : lock->fl.fl_end;
}

/*
 * Mirror lockd's locks on @file that overlap [@ws, @we] into the table
 * (creating the file if it has any); @op: the operation, if it succeeded.
 */
static void sync_file(struct nlm_file *file, bool create, struct xlock_nlm_op *op,
		      u64 ws, u64 we)
{
	struct file *filp = nlmsvc_file_file(file);
	struct xlock_file *f = xlock_file_get(&filp->f_path, create);

	if (IS_ERR_OR_NULL(f))
		return;
	xlock_sync_nlm(f, filp, op, ws, we);
	xlock_file_put(f);
}

/* @lock as lockd was asked it, by the owner whose client is @c (may be NULL). */
static void nlm_op(struct xlock_nlm_op *op, struct xlock_client *c,
		   const struct nlm_lock *lock, bool unlock)
{
	struct xlock_rule_req req;

	nlm_req(&req, XLOCK_OP_NLM_LOCK, lock);
	op->client = c;
	op->resv = NULL;
	op->start = req.start;
	op->end = req.end;
	op->mode = req.mode;
	op->svid = lock->svid;
	op->unlock = unlock;
}

/* What a lock operation on @lock can change: its range and a byte each side. */
static void op_window(const struct nlm_lock *lock, u64 *ws, u64 *we)
{
	u64 end = lock->fl.fl_end == OFFSET_MAX ? XLOCK_END_MAX : lock->fl.fl_end;

	*ws = lock->fl.fl_start ? lock->fl.fl_start - 1 : 0;
	*we = end == XLOCK_END_MAX ? end : end + 1;
}

/*
 * In xlock's grace: an NLM reclaim is granted only if that lock was
 * persisted (caller name, svid, file, range and type). Grace then waits
 * for xlock_reclaim_done(): lockd refuses a reclaim out of grace.
 */
static bool reclaim_known(struct file *filp, struct nlm_host *host, struct nlm_lock *lock)
{
	struct xlock_reclaim_desc d = { .proto = XLOCK_PROTO_NLM, .kind = XLOCK_KIND_LOCK };
	struct xlock_rule_req req;
	struct xlock_fkey key = {
		.dev = file_inode(filp)->i_sb->s_dev, .ino = file_inode(filp)->i_ino,
	};

	nlm_req(&req, XLOCK_OP_NLM_LOCK, lock);
	d.mode = req.mode;
	d.start = req.start;
	d.end = req.end;
	d.svid = lock->svid;
	BUILD_BUG_ON(sizeof(d.client) != sizeof(((struct xlock_client_key *)0)->id));
	xlock_nlm_client_id(host->net, host->h_name, d.client, sizeof(d.client));
	if (!xlock_reclaim_match_held(&key, &d))
		return true;
	xlock_stat_inc(XLOCK_STAT_RECLAIM_REFUSED);
	xlock_conflict_note(NULL,
			    "NLM reclaim refused: nlm:%s svid %u [%llu-%llu] not held before the restart",
			    d.client, lock->svid, req.start, req.end);
	return false;
}

/* Issue 10 c: the lock as decided, held in the table until lockd answered. */
static struct xlock_entry *nlm_resv(struct xlock_client *c, const struct nlm_lock *lock,
				    const struct xlock_rule_req *req)
{
	struct xlock_entry_init init = {
		.proto = XLOCK_PROTO_NLM, .kind = XLOCK_KIND_LOCK, .mode = req->mode,
		.start = req->start, .end = req->end, .owner.nlm.svid = lock->svid,
	};

	return c ? xlock_resv_new(c, &init) : NULL;
}

static __be32 wrap_nlmsvc_lock(struct svc_rqst *rqstp, struct nlm_file *file,
			       struct nlm_host *host, struct nlm_lock *lock, int wait,
			       struct nlm_cookie *cookie, int reclaim)
{
	struct file *filp = nlmsvc_file_file(file);
	struct xlock_entry *resv = NULL;
	struct xlock_client *c = NULL;
	struct xlock_holder holder;
	struct xlock_rule_req req;
	struct xlock_nlm_op op;
	struct xlock_file *f;
	bool held = false;
	u64 ws, we;
	__be32 ret;
	int arb = XLOCK_ARB_GO;

	xlock_hook_enter(HS, &lockd_hooks[H_LOCK]);
	op_window(lock, &ws, &we);	/* before lockd may widen lock->fl by merging */
	if (reclaim && xlock_grace_active()) {
		if (!reclaim_known(filp, host, lock)) {
			ret = nlm_lck_denied;
			goto out_nofile;
		}
		held = true;
		/* Tests: between xlock's match and lockd's own grace check. */
		xlock_race_window(XLOCK_RACE_LOCK);
	}
	/* Created now: the decision is reserved on it (issue 10 c). */
	f = xlock_file_get(&filp->f_path, !reclaim);
	if (IS_ERR(f))
		f = NULL;
	c = xlock_nlm_host_client(host, true);
	if (IS_ERR(c))
		c = NULL;
	nlm_op(&op, c, lock, false);
	if (f && !reclaim) {
		nlm_req(&req, XLOCK_OP_NLM_LOCK, lock);
		resv = nlm_resv(c, lock, &req);
		/* A reservation has its client: named as it is shown ("nlm:<name>"). */
		arb = resv ? xlock_arbitrate_resv(f, &req, READ_ONCE(lockd_wait_ms), c->display,
						  &holder, resv) : XLOCK_ARB_NOSPACE;
	}
	switch (arb) {
	case XLOCK_ARB_NOSPACE:
		ret = nlm_lck_denied_nolocks;		/* issue 10 f */
		goto out;
	case XLOCK_ARB_SHARING:
		ret = nlm_lck_denied;			/* C13 */
		goto out;
	case XLOCK_ARB_WAIT:
		if (wait && !xlock_nlm_pending_add(f, file, host, lock))
			ret = nlm_lck_blocked;		/* C5: GRANTED follows */
		else
			ret = nlm_drop_reply;		/* C6: the client retries */
		goto out;
	case XLOCK_ARB_DENY:
		/*
		 * An SMB lock (C2), as the table has it: not lockd's to decide
		 * again. The VFS drops a lock on ksmbd's unlock before the
		 * table does, and lockd granting in between would skip the
		 * lease breaks the verdict hid (I1).
		 */
		if (wait) {
			/* Its unlock wakes us; else the client polls, as lockd's own. */
			xlock_nlm_pending_add(f, file, host, lock);
			ret = nlm_lck_blocked;
		} else {
			ret = nlm_lck_denied;
			xlock_nlm_pending_forget(host, file_inode(filp), lock, false);
		}
		goto out;
	}
	if (resv)
		xlock_race_window(XLOCK_RACE_LOCK);
	ret = call_nlmsvc_lock(rqstp, file, host, lock, wait, cookie, reclaim);
	if (ret == nlm_lck_blocked && wait && f) {
		/* Blocked by an SMB lock? Then its unlock wakes this request (C2). */
		nlm_req(&req, XLOCK_OP_NLM_TEST, lock);
		if (xlock_arbitrate(f, &req, 0, "nlm", &holder) == XLOCK_ARB_DENY)
			xlock_nlm_pending_add(f, file, host, lock);
	} else if (ret == nlm_granted || ret == nlm_lck_denied) {
		xlock_nlm_pending_forget(host, file_inode(filp), lock, false);
	}
	op.resv = resv;
	sync_file(file, ret == nlm_granted, ret == nlm_granted && c ? &op : NULL, ws, we);
	resv = op.resv;		/* NULL if it became the lock's entry */
out:
	xlock_resv_drop(resv);	/* after sync_file: the lock is in the table by now */
	if (f)
		xlock_file_put(f);
	if (c)
		xlock_client_put(c);
out_nofile:
	if (held)
		xlock_reclaim_done();
	xlock_hook_exit(HS);
	return ret;
}

/*
 * C12: a TEST that the SMB side denies names the SMB holder: oh is
 * "smb:<client>", the range is the SMB lock's, or all of the file for a
 * lease or share mode. A TEST_MSG reply is encoded later, in rpciod, from
 * the call's own copy of @conflock: the owner text lives in that same
 * struct, in conflock->fh (no holder encoding reads fh or caller).
 */
static void test_holder(struct nlm_lock *conflock, const struct xlock_holder *h)
{
	char *oh = (char *)conflock->fh.data;

	BUILD_BUG_ON(sizeof(conflock->fh.data) < sizeof(h->client));
	strscpy(oh, h->client, sizeof(conflock->fh.data));
	conflock->fh.size = 0;
	conflock->caller = oh;
	conflock->len = strlen(oh);
	conflock->oh.data = oh;
	conflock->oh.len = strlen(oh);
	conflock->svid = 0;
	conflock->fl.c.flc_type = h->kind == XLOCK_KIND_LOCK && h->mode == XLOCK_MODE_SHARED ?
				  F_RDLCK : F_WRLCK;
	conflock->fl.fl_start = h->kind == XLOCK_KIND_LOCK ? h->start : 0;
	conflock->fl.fl_end = h->kind == XLOCK_KIND_LOCK && h->end != XLOCK_END_MAX ?
			      h->end : OFFSET_MAX;
}

/*
 * Stock lockd (6.12) tests every TEST as a shared lock: nlmsvc_testlock()
 * zeroes conflock->fl (0 is F_RDLCK) and never sets the asked type, so an
 * exclusive TEST is granted over another owner's shared lock (I2). Test
 * such a TEST again as exclusive, on lockd's file and owner, and answer
 * a conflict as lockd answers one (no owner handle, svid from the pid).
 */
static __be32 test_excl_again(struct nlm_file *file, struct nlm_lock *lock,
			      struct nlm_lock *conflock)
{
	struct file *filp = lock->fl.c.flc_file ?: nlmsvc_file_file(file);
	struct file_lock *fl = &conflock->fl;

	if (lock->fl.c.flc_type != F_WRLCK)
		return nlm_granted;
	locks_init_lock(fl);
	fl->c.flc_type = F_WRLCK;
	fl->c.flc_file = filp;
	fl->c.flc_owner = lock->fl.c.flc_owner;
	fl->fl_start = lock->fl.fl_start;
	fl->fl_end = lock->fl.fl_end;
	if (vfs_test_lock(filp, fl) || fl->c.flc_type == F_UNLCK)
		return nlm_granted;
	conflock->caller = "somehost";
	conflock->len = strlen(conflock->caller);
	conflock->oh.len = 0;
	conflock->svid = fl->c.flc_pid;
	locks_release_private(fl);
	return nlm_lck_denied;
}

static __be32 wrap_nlmsvc_testlock(struct svc_rqst *rqstp, struct nlm_file *file,
				   struct nlm_host *host, struct nlm_lock *lock,
				   struct nlm_lock *conflock, struct nlm_cookie *cookie)
{
	struct file *filp = nlmsvc_file_file(file);
	struct xlock_holder h;
	struct xlock_rule_req req;
	struct xlock_file *f;
	__be32 ret;

	xlock_hook_enter(HS, &lockd_hooks[H_TEST]);
	ret = call_nlmsvc_testlock(rqstp, file, host, lock, conflock, cookie);
	/* Anything else (grace, no locks) stands as lockd answered it. */
	if (ret != nlm_granted && ret != nlm_lck_denied)
		goto out;
	if (ret == nlm_granted)
		ret = test_excl_again(file, lock, conflock);
	f = xlock_file_get(&filp->f_path, false);
	if (IS_ERR_OR_NULL(f))
		goto out;
	nlm_req(&req, XLOCK_OP_NLM_TEST, lock);
	if (xlock_arbitrate(f, &req, 0, "nlm test", &h) != XLOCK_ARB_GO) {
		test_holder(conflock, &h);
		ret = nlm_lck_denied;
	}
	xlock_file_put(f);
out:
	xlock_hook_exit(HS);
	return ret;
}

static __be32 wrap_nlmsvc_unlock(struct net *net, struct nlm_file *file,
				 struct nlm_lock *lock)
{
	/* lockd's own owner (nlmsvc_locks_init_private), its host the caller's. */
	const struct nlm_lockowner *lo = lock->fl.c.flc_owner;
	struct xlock_client *c;
	struct xlock_nlm_op op;
	u64 ws, we;
	__be32 ret;

	xlock_hook_enter(HS, &lockd_hooks[H_UNLOCK]);
	/*
	 * Only the owner's locks overlapping the range and a byte each side
	 * can change (a split leaves pieces touching it). The whole file was
	 * read and sorted on every unlock: a file of 10000 locks cost 34x one
	 * of 10 (bench-scale held_N).
	 */
	op_window(lock, &ws, &we);
	c = lo ? xlock_nlm_host_client(lo->host, false) : NULL;	/* a lookup: never an error */
	nlm_op(&op, c, lock, true);
	ret = call_nlmsvc_unlock(net, file, lock);
	sync_file(file, false, lo && ret == nlm_granted ? &op : NULL, ws, we);
	if (op.client)
		xlock_client_put(op.client);
	xlock_hook_exit(HS);
	return ret;
}

static __be32 wrap_nlmsvc_cancel_blocked(struct net *net, struct nlm_file *file,
					 struct nlm_lock *lock)
{
	struct nlm_lockowner *lo = lock->fl.c.flc_owner;
	__be32 ret;

	xlock_hook_enter(HS, &lockd_hooks[H_CANCEL]);
	ret = call_nlmsvc_cancel_blocked(net, file, lock);
	if (lo)
		xlock_nlm_pending_forget(lo->host, file_inode(nlmsvc_file_file(file)), lock,
					 true);
	xlock_hook_exit(HS);
	return ret;
}

static void wrap_nlmsvc_grant_reply(struct nlm_cookie *cookie, __be32 status)
{
	xlock_hook_enter(HS, &lockd_hooks[H_GRANT_REPLY]);
	if (!xlock_nlm_pending_reply(cookie, status))
		call_nlmsvc_grant_reply(cookie, status);
	xlock_hook_exit(HS);
}

/*
 * FREE_ALL, the client rebooted, or lockd leaves the namespace: lockd drops
 * this host's locks, and the table follows for this host only: the same
 * caller name in another namespace is another client (m).
 */
static void wrap_nlmsvc_free_host_resources(struct nlm_host *host)
{
	char id[XLOCK_NAME_MAX - 1];
	struct xlock_client *c;
	u64 net;

	xlock_hook_enter(HS, &lockd_hooks[H_FREE_HOST]);
	xlock_nlm_pending_forget_host(host);
	call_nlmsvc_free_host_resources(host);
	net = xlock_nlm_client_id(host->net, host->h_name, id, sizeof(id));
	c = xlock_client_lookup(XLOCK_PROTO_NLM, net, id);
	/*
	 * Another host of the same client (another address, or UDP beside
	 * TCP) may still hold locks where this one's went.
	 */
	if (c) {
		xlock_client_nlm_sync(c, false);
		xlock_client_put(c);
	}
	xlock_hook_exit(HS);
}

/*
 * lockd stops serving a network namespace (nfsd stopped): the locks it
 * drops now were not released by their owners, who reclaim them once
 * the server is back. Mark them as teardown for xlockd.
 */
static void wrap_nlm_shutdown_hosts_net(struct net *net)
{
	xlock_hook_enter(HS, &lockd_hooks[H_SHUTDOWN]);
	xlock_teardown_begin(XLOCK_PROTO_NLM);
	xlock_race_window(XLOCK_RACE_TEARDOWN);
	call_nlm_shutdown_hosts_net(net);
	xlock_teardown_end(XLOCK_PROTO_NLM);
	xlock_hook_exit(HS);
}

static struct xlock_hook lockd_hooks[] = {
	[H_LOCK] = XLOCK_HOOK("lockd:nlmsvc_lock", wrap_nlmsvc_lock),
	[H_TEST] = XLOCK_HOOK("lockd:nlmsvc_testlock", wrap_nlmsvc_testlock),
	[H_UNLOCK] = XLOCK_HOOK("lockd:nlmsvc_unlock", wrap_nlmsvc_unlock),
	[H_CANCEL] = XLOCK_HOOK("lockd:nlmsvc_cancel_blocked", wrap_nlmsvc_cancel_blocked),
	[H_GRANT_REPLY] = XLOCK_HOOK("lockd:nlmsvc_grant_reply", wrap_nlmsvc_grant_reply),
	[H_FREE_HOST] = XLOCK_HOOK("lockd:nlmsvc_free_host_resources",
				   wrap_nlmsvc_free_host_resources),
	[H_SHUTDOWN] = XLOCK_HOOK("lockd:nlm_shutdown_hosts_net", wrap_nlm_shutdown_hosts_net),
};

static struct xlock_call lockd_calls[] = {
	XLOCK_CALL(call_nlmsvc_lock, "lockd:nlmsvc_lock"),
	XLOCK_CALL(call_nlmsvc_testlock, "lockd:nlmsvc_testlock"),
	XLOCK_CALL(call_nlmsvc_unlock, "lockd:nlmsvc_unlock"),
	XLOCK_CALL(call_nlmsvc_cancel_blocked, "lockd:nlmsvc_cancel_blocked"),
	XLOCK_CALL(call_nlmsvc_grant_reply, "lockd:nlmsvc_grant_reply"),
	XLOCK_CALL(call_nlmsvc_free_host_resources, "lockd:nlmsvc_free_host_resources"),
	XLOCK_CALL(call_nlm_shutdown_hosts_net, "lockd:nlm_shutdown_hosts_net"),
	XLOCK_CALL(xlock_call_nlm_alloc_call, "lockd:nlm_alloc_call"),
	XLOCK_CALL(xlock_call_nlm_async_call, "lockd:nlm_async_call"),
	XLOCK_CALL(xlock_call_nlm_get_host, "lockd:nlm_get_host"),
	XLOCK_CALL(xlock_call_nlmsvc_release_host, "lockd:nlmsvc_release_host"),
	XLOCK_CALL(xlock_call_nlm_release_file, "lockd:nlm_release_file"),
};

/* lockd's data we hand back to it: its lock manager ops and RPC callback ops. */
static int lockd_attached(struct xlock_edge *e)
{
	unsigned long lmops = xlock_ksym_lookup("lockd:nlmsvc_lock_operations");
	unsigned long cbops = xlock_ksym_lookup("lockd:nlmsvc_callback_ops");

	if (!lmops || !cbops) {
		snprintf(e->reason, sizeof(e->reason),
			 "lockd:nlmsvc_lock_operations or nlmsvc_callback_ops not found");
		return -ENOENT;
	}
	xlock_sync_set_lockd((const void *)lmops);
	xlock_nlm_pendings_start((const struct rpc_call_ops *)cbops);
	return 0;
}

/* What goes with lockd was not released by its owners: teardown. */
static void lockd_detaching(struct xlock_edge *e)
{
	struct xlock_match m = { .proto = XLOCK_PROTO_NLM, .real = true };

	xlock_teardown_begin(XLOCK_PROTO_NLM);
	xlock_nlm_pendings_stop();
	xlock_sync_set_lockd(NULL);
	xlock_table_del_matching(&m);
	xlock_teardown_end(XLOCK_PROTO_NLM);
}

static const struct xlock_edge_ops lockd_edge_ops = {
	.attached = lockd_attached,
	.detaching = lockd_detaching,
};

struct xlock_edge xlock_edge_lockd = {
	.module = "lockd",
	.ops = &lockd_edge_ops,
	.hs = {
		.name = "lockd",
		.hooks = lockd_hooks,
		.nr_hooks = ARRAY_SIZE(lockd_hooks),
		.calls = lockd_calls,
		.nr_calls = ARRAY_SIZE(lockd_calls),
	},
	.btf_crc = XLOCK_BTF_lockd_CRC,
	.btf_err = XLOCK_BTF_lockd_ERR,
};
