// SPDX-License-Identifier: GPL-2.0
/*
 * Arbitration of one protocol request against the other protocol's state
 * on a file: decide with the rules, start the lease breaks the verdict asks
 * for, and wait a bounded time for their acks (a cifs client acks in
 * milliseconds: the retry paths, NLM4_BLOCKED or JUKEBOX, must stay the
 * rare path). The caller says how long it may wait: never long on lockd's
 * single thread.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/wait_bit.h>

#include "arbiter.h"
#include "stats.h"
#include "table.h"
#include "xlock_trace.h"

#define MAX_BREAKS 8

/*
 * For tests only: widen the window between a decision and its server's
 * grant, so that a scenario can race two protocols' requests reliably.
 */
static unsigned int race_window_ms;
module_param(race_window_ms, uint, 0644);
MODULE_PARM_DESC(race_window_ms,
		 "Testing: sleep this long between deciding a lock or lease and its grant (0: off)");
static unsigned int race_window_where = XLOCK_RACE_ALL;
module_param(race_window_where, uint, 0644);
MODULE_PARM_DESC(race_window_where,
		 "Testing: which decisions race_window_ms widens: 1 locks, 2 SMB leases, 4 NFSv4 OPENs, 8 SMB share modes, 16 lockd leaving a network namespace");

void xlock_race_window(unsigned int where)
{
	unsigned int ms = READ_ONCE(race_window_ms);

	if (unlikely(ms) && (READ_ONCE(race_window_where) & where))
		msleep(min(ms, 5000U));
}

static void note_nospace(struct xlock_file *f, const struct xlock_rule_req *req,
			 const char *who, const char *why)
{
	xlock_conflict_note(xlock_file_path(f),
			    "%s (%s) refused: %s", xlock_op_name(req->op), who, why);
}

struct pending_break {
	u32 id;
	u64 fp;
	u8 to;
};

/*
 * The SMB side's lease breaker (smb_break.c). Set before any edge attaches
 * and cleared after all have detached (main.c's order), so no arbitration
 * runs while it changes.
 */
static const struct xlock_breaker_ops *breaker;

void xlock_arbiter_set_breaker(const struct xlock_breaker_ops *b)
{
	WRITE_ONCE(breaker, b);
}

/* The one indirect call of the arbiter: through the registered ops (check-ibt.sh). */
static noinline void ops_lease_break(const struct xlock_breaker_ops *ops, struct xlock_file *f,
				     const struct pending_break *pb)
{
	ops->brk(f, pb->id, pb->fp, pb->to, READ_ONCE(f->share->break_timeout_ms));
}

static void lease_break(struct xlock_file *f, const struct pending_break *pb)
{
	const struct xlock_breaker_ops *ops = READ_ONCE(breaker);

	if (ops)
		ops_lease_break(ops, f, pb);
}

static const char *const op_names[] = {
	[XLOCK_OP_NLM_LOCK] = "NLM lock",
	[XLOCK_OP_NLM_TEST] = "NLM test",
	[XLOCK_OP_SMB_LOCK] = "SMB lock",
	[XLOCK_OP_SMB_LEASE] = "SMB lease",
	[XLOCK_OP_SMB_OPEN] = "SMB open",
	[XLOCK_OP_NFS_READ] = "NFS read",
	[XLOCK_OP_NFS_WRITE] = "NFS write",
	[XLOCK_OP_NFS_REMOVE] = "NFS remove/rename",
	[XLOCK_OP_NFS4_DELEG] = "NFSv4 delegation",
};

const char *xlock_op_name(unsigned int op)
{
	return op < ARRAY_SIZE(op_names) && op_names[op] ? op_names[op] : "?";
}

static const char *kind_name(u8 kind)
{
	switch (kind) {
	case XLOCK_KIND_LOCK:
		return "lock";
	case XLOCK_KIND_LEASE:
		return "lease";
	default:
		return "share mode";
	}
}

static void count_conflict(const struct xlock_rule_req *req, u8 kind)
{
	if (xlock_rules_op_proto(req->op) == XLOCK_PROTO_SMB)
		xlock_stat_inc(XLOCK_STAT_SMB_VS_NLM);
	else if (kind == XLOCK_KIND_LEASE)
		xlock_stat_inc(XLOCK_STAT_NFS_VS_LEASE);
	else if (kind == XLOCK_KIND_LOCK)
		xlock_stat_inc(XLOCK_STAT_NFS_VS_SMB_LOCK);
	else
		xlock_stat_inc(XLOCK_STAT_NFS_VS_SHARE);
}

/* Mark what the verdict breaks (under the file lock); collect the new breaks. */
static unsigned int collect_breaks(struct xlock_file *f, const struct xlock_verdict *v,
				   struct pending_break *pb)
{
	struct xlock_rule_entry *r;
	unsigned int n = 0;

	lockdep_assert_held(&f->lock);
	for (r = f->head; r && n < MAX_BREAKS; r = r->next) {
		struct xlock_entry *e = container_of(r, struct xlock_entry, r);
		unsigned int to = xlock_rules_break_to(v, r);

		if (to == XLOCK_NO_BREAK)
			continue;
		r->brk_to = to;
		pb[n].id = e->id;
		pb[n].fp = e->owner.smb.fp;
		pb[n].to = to;
		n++;
	}
	return n;
}

int xlock_arbitrate(struct xlock_file *f, const struct xlock_rule_req *req,
		    unsigned int wait_ms, const char *who, struct xlock_holder *holder)
{
	return xlock_arbitrate_resv(f, req, wait_ms, who, holder, NULL);
}

/*
 * Arbitrate @req on @f, waiting at most @wait_ms for lease acks. @who names
 * the requester in log lines. On DENY, @holder (may be NULL) says what was
 * in the way. When the caller goes on to its server (GO, or DENY of a lock,
 * which the VFS decides again), @resv (may be NULL) is linked to @f under
 * the lock the decision was taken under (issue 10 c); NOSPACE if a table
 * limit leaves no room for it (issue 10 f).
 */
int xlock_arbitrate_resv(struct xlock_file *f, const struct xlock_rule_req *req,
			 unsigned int wait_ms, const char *who, struct xlock_holder *holder,
			 struct xlock_entry *resv)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(wait_ms);
	struct pending_break pb[MAX_BREAKS];
	struct xlock_holder h;
	struct xlock_verdict v;
	bool noted = false;
	const char *why;
	unsigned int n, i;
	long left;
	int seen;

	if (!(READ_ONCE(f->share->flags) & XLOCK_SHARE_F_ENABLED)) {
		if (!resv)
			return XLOCK_ARB_GO;
		spin_lock(&f->lock);
		n = xlock_resv_link(f, resv, &why);
		spin_unlock(&f->lock);
		if (!n)
			return XLOCK_ARB_GO;
		note_nospace(f, req, who, why);
		return XLOCK_ARB_NOSPACE;
	}
	trace_xlock_request(&f->key, req, who);
	for (;;) {
		spin_lock(&f->lock);
		xlock_rules_decide(req, xlock_file_rules(f, req), &v);
		if (v.kind == XLOCK_V_DENY) {
			const struct xlock_entry *e =
				container_of(v.holder, struct xlock_entry, r);

			h.proto = e->r.proto;
			h.kind = e->r.kind;
			h.mode = e->r.mode;
			h.state = e->r.state;
			h.start = e->r.start;
			h.end = e->r.end;
			strscpy(h.client, e->client->display, sizeof(h.client));
			if (resv && !v.sharing && xlock_resv_link(f, resv, &why)) {
				spin_unlock(&f->lock);
				note_nospace(f, req, who, why);
				return XLOCK_ARB_NOSPACE;
			}
			spin_unlock(&f->lock);
			count_conflict(req, h.kind);
			xlock_stat_inc(XLOCK_STAT_DENIED);
			xlock_conflict_note(xlock_file_path(f), "%s (%s) vs SMB %s (%s): denied",
					    xlock_op_name(req->op), who, kind_name(h.kind),
					    h.client);
			if (holder)
				*holder = h;
			trace_xlock_verdict(&f->key, req, &v, v.sharing ? XLOCK_ARB_SHARING :
					    XLOCK_ARB_DENY, h.client);
			return v.sharing ? XLOCK_ARB_SHARING : XLOCK_ARB_DENY;
		}
		/* Final: decided and reserved in one step, before any break goes out. */
		if (resv && (v.kind != XLOCK_V_BREAK || !v.wait) &&
		    xlock_resv_link(f, resv, &why)) {
			spin_unlock(&f->lock);
			note_nospace(f, req, who, why);
			return XLOCK_ARB_NOSPACE;
		}
		n = v.kind == XLOCK_V_BREAK ? collect_breaks(f, &v, pb) : 0;
		seen = atomic_read(&f->changes);
		spin_unlock(&f->lock);

		if (v.kind == XLOCK_V_BREAK && !noted) {
			count_conflict(req, XLOCK_KIND_LEASE);
			xlock_conflict_note(xlock_file_path(f),
					    "%s (%s) vs SMB lease: breaking %u lease(s)%s",
					    xlock_op_name(req->op), who, v.nbreak,
					    v.wait ? ", waiting for the ack" : "");
			noted = true;
		}
		for (i = 0; i < n; i++)
			lease_break(f, &pb[i]);
		if (v.kind != XLOCK_V_BREAK || !v.wait) {
			trace_xlock_verdict(&f->key, req, &v, XLOCK_ARB_GO, NULL);
			return XLOCK_ARB_GO;
		}
		left = (long)(deadline - jiffies);
		/* result -1: waiting for the acks, to decide again */
		trace_xlock_verdict(&f->key, req, &v, left <= 0 ? XLOCK_ARB_WAIT : -1, NULL);
		if (left <= 0)
			return XLOCK_ARB_WAIT;
		wait_var_event_timeout(f, atomic_read(&f->changes) != seen, left);
	}
}

/*
 * The SMB lease state an NLM lock leaves an SMB lease request (C1, C3).
 * @resv (may be NULL) is reserved with that state under the same file lock
 * (issue 10 c); past a table limit no lease is granted (issue 10 f).
 */
u8 xlock_arbitrate_lease(struct xlock_file *f, u8 want, const char *who,
			 struct xlock_entry *resv)
{
	struct xlock_rule_req req = { .op = XLOCK_OP_SMB_LEASE, .state = want };
	struct xlock_verdict v = { .kind = XLOCK_V_GRANT };
	const char *why = NULL;
	bool enabled;
	u8 got;

	enabled = READ_ONCE(f->share->flags) & XLOCK_SHARE_F_ENABLED;
	if (enabled)
		trace_xlock_request(&f->key, &req, who);
	spin_lock(&f->lock);
	if (enabled)
		xlock_rules_decide(&req, xlock_file_rules(f, &req), &v);
	got = v.kind == XLOCK_V_REDUCED ? v.state : want;
	if (resv && got) {
		resv->r.state = got;
		if (xlock_resv_link(f, resv, &why))
			got = 0;
	}
	v.holder = NULL;	/* not valid once the lock is dropped */
	spin_unlock(&f->lock);
	if (enabled)
		trace_xlock_verdict(&f->key, &req, &v, -1, NULL);
	if (why) {
		xlock_conflict_note(xlock_file_path(f),
				    "SMB lease request (%s) granted none: %s", who, why);
		return 0;
	}
	if (v.kind != XLOCK_V_REDUCED)
		return want;
	xlock_lease_reduced(f, want, v.state, who, "NLM lock");
	return v.state;
}

/*
 * An SMB lease request of @want (by @who, may be NULL) got only @got
 * because of a lock of the other protocol (@against): counted and noted.
 */
void xlock_lease_reduced(struct xlock_file *f, u8 want, u8 got, const char *who,
			 const char *against)
{
	xlock_stat_inc(XLOCK_STAT_SMB_VS_NLM);
	xlock_stat_inc(XLOCK_STAT_REDUCED);
	xlock_conflict_note(xlock_file_path(f),
			    "SMB lease request %s%s%s%s%s%s vs %s: granted %s%s%s",
			    want & XLOCK_LEASE_R ? "R" : "", want & XLOCK_LEASE_W ? "W" : "",
			    want & XLOCK_LEASE_H ? "H" : "", who ? " (" : "", who ? who : "",
			    who ? ")" : "", against, got ? "" : "none",
			    got & XLOCK_LEASE_R ? "R" : "", got & XLOCK_LEASE_H ? "H" : "");
}
