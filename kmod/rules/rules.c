// SPDX-License-Identifier: GPL-2.0
/*
 * Cross-protocol conflict rules (behaviour.md §1, rows C1-C13, §1b V1-V7).
 *
 * Pure C: no kernel headers, no allocation, no global state. Given the
 * entries on one file and one request, say what the other protocol's
 * entries mean for it. The edges turn the verdict into wire answers.
 *
 * Precedence: a held lock or share mode of the other protocol that
 * conflicts denies the request outright (there is nothing to break);
 * otherwise leases of the other protocol that the request cannot live with
 * are broken, and the request waits for the acks only where the client has
 * dirty data or open handles to give back (W, or H for REMOVE/RENAME).
 *
 * Reserved entries (resv) are requests already decided whose server has not
 * answered yet: the other protocol must see them as held, or both could be
 * granted (issue 10 c). A reserved lease cannot be broken before ksmbd has
 * granted it, so a request it is in the way of waits for it.
 */
#include "rules.h"

#define R XLOCK_LEASE_R
#define H XLOCK_LEASE_H
#define W XLOCK_LEASE_W

int xlock_rules_op_proto(unsigned int op)
{
	switch (op) {
	case XLOCK_OP_SMB_LOCK:
	case XLOCK_OP_SMB_LEASE:
	case XLOCK_OP_SMB_OPEN:
		return XLOCK_PROTO_SMB;
	case XLOCK_OP_NLM_LOCK:
	case XLOCK_OP_NLM_TEST:
	case XLOCK_OP_NFS_READ:
	case XLOCK_OP_NFS_WRITE:
	case XLOCK_OP_NFS_REMOVE:
	case XLOCK_OP_NFS4_DELEG:
		return XLOCK_PROTO_NLM;
	}
	return 0;
}

/* SMB2 grants R, RH, RW or RWH: a lease that loses R is no lease at all. */
static unsigned char lease_valid(unsigned char state)
{
	return (state & R) ? state : 0;
}

static int overlaps(const struct xlock_rule_entry *e, const struct xlock_rule_req *req)
{
	return e->start <= req->end && req->start <= e->end;
}

static int locks_conflict(const struct xlock_rule_entry *e, const struct xlock_rule_req *req)
{
	return overlaps(e, req) &&
	       (e->mode == XLOCK_MODE_EXCL || req->mode == XLOCK_MODE_EXCL);
}

/* The share-allow bit an NLM lock needs from an SMB open: a writer or a reader. */
static unsigned char lock_needs(unsigned char mode)
{
	return mode == XLOCK_MODE_EXCL ? XLOCK_SHARE_WRITE : XLOCK_SHARE_READ;
}

/* Lease bits an NFS-side request can live with, and what it needs from share modes. */
static void nfs_side(const struct xlock_rule_req *req, unsigned char *keep,
		     unsigned char *need)
{
	switch (req->op) {
	case XLOCK_OP_NLM_LOCK:
	case XLOCK_OP_NLM_TEST:
		/* C4, C7: a shared lock keeps read caching, an exclusive one none. */
		*keep = req->mode == XLOCK_MODE_EXCL ? H : R | H;
		*need = lock_needs(req->mode);
		break;
	case XLOCK_OP_NFS_READ:
		*keep = R | H;				/* C9 */
		*need = XLOCK_SHARE_READ;
		break;
	case XLOCK_OP_NFS_WRITE:
		*keep = H;				/* C10 */
		*need = XLOCK_SHARE_WRITE;
		break;
	default:
		*keep = R | W;				/* C8 */
		*need = XLOCK_SHARE_DELETE;
		break;
	}
}

/* Does breaking @e for this request need the client's ack before deciding? */
static int must_wait(const struct xlock_rule_req *req, const struct xlock_rule_entry *e)
{
	if (req->op == XLOCK_OP_NFS_REMOVE)
		return 1;			/* handles must be closed (H) */
	return (e->state & W) != 0;		/* dirty data and cached locks */
}

static void deny(struct xlock_verdict *v, const struct xlock_rule_entry *e, int sharing)
{
	v->kind = XLOCK_V_DENY;
	v->holder = e;
	v->sharing = sharing;
}

/*
 * V4: nfsd grants no delegation an SMB client's state conflicts with: no
 * write delegation next to any SMB lease or share-mode open, no read
 * delegation next to W or an SMB open for write. Nothing is broken for a
 * delegation (it is an optimisation); the NFSv4 open just gets none.
 */
static void decide_deleg(const struct xlock_rule_req *req, const struct xlock_rule_entry *e,
			 struct xlock_verdict *v)
{
	int wdeleg = (req->state & W) != 0;

	for (; e; e = e->next) {
		if (e->proto != XLOCK_PROTO_SMB || e->pending)
			continue;
		if ((e->kind == XLOCK_KIND_LEASE && (wdeleg || (e->state & W))) ||
		    (e->kind == XLOCK_KIND_SHARE && (wdeleg || (e->mode & XLOCK_SHARE_WRITE)))) {
			deny(v, e, 0);
			return;
		}
	}
	v->kind = XLOCK_V_GRANT;
}

static void decide_nfs(const struct xlock_rule_req *req, const struct xlock_rule_entry *e,
		       struct xlock_verdict *v)
{
	unsigned char keep, need;

	if (req->op == XLOCK_OP_NFS4_DELEG) {
		decide_deleg(req, e, v);
		return;
	}
	nfs_side(req, &keep, &need);
	v->keep = keep;
	for (; e; e = e->next) {
		if (e->proto != XLOCK_PROTO_SMB || e->pending)
			continue;
		switch (e->kind) {
		case XLOCK_KIND_LOCK:
			/* C11: SMB locks meet NLM requests; NFS I/O ignores them. */
			if ((req->op == XLOCK_OP_NLM_LOCK || req->op == XLOCK_OP_NLM_TEST) &&
			    locks_conflict(e, req)) {
				deny(v, e, 0);
				return;
			}
			break;
		case XLOCK_KIND_SHARE:
			if (!(e->state & need)) {	/* C13 */
				deny(v, e, 1);
				return;
			}
			break;
		case XLOCK_KIND_LEASE:
			if (lease_valid(e->state & keep) == e->state)
				break;
			/* C12: TEST never breaks; a lease with W holds it off. */
			if (req->op == XLOCK_OP_NLM_TEST) {
				if ((e->state & W) && !v->holder)
					v->holder = e;
				break;
			}
			v->nbreak++;
			if (e->resv || must_wait(req, e))
				v->wait = 1;
			break;
		}
	}
	if (v->holder) {
		deny(v, v->holder, 0);
		return;
	}
	v->kind = v->nbreak ? XLOCK_V_BREAK : XLOCK_V_GRANT;
}

static void decide_smb(const struct xlock_rule_req *req, const struct xlock_rule_entry *e,
		       struct xlock_verdict *v)
{
	unsigned char allowed = R | H | W;

	for (; e; e = e->next) {
		if (e->proto == XLOCK_PROTO_SMB || e->pending)
			continue;
		/*
		 * V6: an NFSv4 open's deny mode refuses the access it denies,
		 * and the SMB open's share mode the access an NFSv4 open
		 * holds (deny none included), as among SMB opens; an
		 * attribute-only SMB open meets no share mode.
		 */
		if (e->kind == XLOCK_KIND_SHARE && req->op == XLOCK_OP_SMB_OPEN &&
		    ((req->mode & ~e->state) || (req->mode && (e->mode & ~req->state)))) {
			deny(v, e, 1);
			return;
		}
		/* I1: no W beside another protocol's open for write. */
		if (e->kind == XLOCK_KIND_SHARE && req->op == XLOCK_OP_SMB_LEASE &&
		    (e->mode & XLOCK_SHARE_WRITE))
			allowed &= ~W;
		if (e->kind != XLOCK_KIND_LOCK)
			continue;
		switch (req->op) {
		case XLOCK_OP_SMB_LOCK:
			if (locks_conflict(e, req)) {	/* C2 */
				deny(v, e, 0);
				return;
			}
			break;
		case XLOCK_OP_SMB_OPEN:
			if (!(req->state & lock_needs(e->mode))) {	/* C13 */
				deny(v, e, 1);
				return;
			}
			break;
		case XLOCK_OP_SMB_LEASE:
			allowed &= ~W;				/* C1 */
			if (e->mode == XLOCK_MODE_EXCL)
				allowed &= ~R;			/* C3 */
			break;
		}
	}
	if (req->op == XLOCK_OP_SMB_LEASE) {
		v->state = lease_valid(req->state & allowed);
		v->kind = v->state == req->state ? XLOCK_V_GRANT : XLOCK_V_REDUCED;
		return;
	}
	v->kind = XLOCK_V_GRANT;
}

void xlock_rules_decide(const struct xlock_rule_req *req,
			const struct xlock_rule_entry *head,
			struct xlock_verdict *v)
{
	*v = (struct xlock_verdict){ .proto = xlock_rules_op_proto(req->op) };
	if (v->proto == XLOCK_PROTO_SMB)
		decide_smb(req, head, v);
	else if (v->proto == XLOCK_PROTO_NLM)
		decide_nfs(req, head, v);
	else
		v->kind = XLOCK_V_GRANT;
}

/*
 * The state to break @e to for a BREAK verdict, or XLOCK_NO_BREAK when @e is
 * not in the way or a break far enough is already in flight (then the
 * request only waits for it).
 */
unsigned int xlock_rules_break_to(const struct xlock_verdict *v,
				  const struct xlock_rule_entry *e)
{
	unsigned char to;

	if (v->kind != XLOCK_V_BREAK || e->proto == v->proto ||
	    e->kind != XLOCK_KIND_LEASE || e->pending || e->resv)
		return XLOCK_NO_BREAK;
	to = lease_valid(e->state & v->keep);
	if (to == e->state)
		return XLOCK_NO_BREAK;
	if (e->brk_to != XLOCK_NO_BREAK) {
		if (!(e->brk_to & ~to))
			return XLOCK_NO_BREAK;
		to = lease_valid(to & e->brk_to);
	}
	return to;
}

/* Oplocks are leases by another name: batch = RWH, exclusive = RW, II = R. */
unsigned char xlock_rules_oplock_state(unsigned char level)
{
	switch (level) {
	case XLOCK_OPLOCK_BATCH:
		return R | W | H;
	case XLOCK_OPLOCK_EXCL:
		return R | W;
	case XLOCK_OPLOCK_II:
		return R;
	}
	return 0;
}

unsigned char xlock_rules_state_oplock(unsigned char state)
{
	if ((state & (R | W | H)) == (R | W | H))
		return XLOCK_OPLOCK_BATCH;
	if ((state & (R | W)) == (R | W))
		return XLOCK_OPLOCK_EXCL;
	if (state & R)
		return XLOCK_OPLOCK_II;
	return XLOCK_OPLOCK_NONE;
}
