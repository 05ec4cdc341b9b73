// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of kmod/rules/rules.c: every row of behaviour.md §1 (C1-C13) in both
 * directions, every lease state against every NFS-side request and every
 * NLM lock against every lease request, oplock levels, pending, breaking
 * and reserved entries, precedence and range edges.
 */
#include <stdio.h>
#include <string.h>

#include "../../kmod/rules/rules.h"
#include "tap.h"

#define R XLOCK_LEASE_R
#define H XLOCK_LEASE_H
#define W XLOCK_LEASE_W
#define SH XLOCK_MODE_SHARED
#define EX XLOCK_MODE_EXCL
#define NLM XLOCK_PROTO_NLM
#define SMB XLOCK_PROTO_SMB
#define MAXB XLOCK_END_MAX
#define NB XLOCK_NO_BREAK

static struct xlock_rule_entry ents[8];
static int nents;

static void reset(void)
{
	memset(ents, 0, sizeof(ents));
	nents = 0;
}

static struct xlock_rule_entry *add(int proto, int kind, int mode, int state,
				    unsigned long long start, unsigned long long end)
{
	struct xlock_rule_entry *e = &ents[nents];

	e->proto = proto;
	e->kind = kind;
	e->mode = mode;
	e->state = state;
	e->start = start;
	e->end = end;
	e->brk_to = NB;
	if (nents)
		ents[nents - 1].next = e;
	nents++;
	return e;
}

static struct xlock_rule_entry *lock(int proto, int mode, unsigned long long s,
				     unsigned long long e)
{
	return add(proto, XLOCK_KIND_LOCK, mode, 0, s, e);
}

static struct xlock_rule_entry *lease(int state)
{
	return add(SMB, XLOCK_KIND_LEASE, 0, state, 0, MAXB);
}

static struct xlock_rule_entry *share(int access, int allow)
{
	return add(SMB, XLOCK_KIND_SHARE, access, allow, 0, MAXB);
}

static struct xlock_verdict decide(int op, int mode, int state,
				   unsigned long long s, unsigned long long e)
{
	struct xlock_rule_req req = {
		.op = op, .mode = mode, .state = state, .start = s, .end = e,
	};
	struct xlock_verdict v;

	xlock_rules_decide(&req, nents ? &ents[0] : NULL, &v);
	return v;
}

static const char *st(int s)
{
	static char buf[8][8];
	static int i;
	char *p = buf[i++ % 8];

	if (s == NB)
		return "-";
	snprintf(p, 8, "%s%s%s%s", s & R ? "R" : "", s & W ? "W" : "", s & H ? "H" : "",
		 s ? "" : "0");
	return p;
}

static const char *kind(int k)
{
	static const char *const n[] = { "?", "GRANT", "REDUCED", "DENY", "BREAK" };

	return k >= 1 && k <= 4 ? n[k] : "?";
}

/* --- one row: a lease of @state meets an NFS-side request ------------ */
struct nfs_row {
	const char *row;
	int op, mode, state;
	int kind, wait, to;
};

static const struct nfs_row nfs_rows[] = {
	/* C4: W lease, NLM lock of either kind: break, wait for the ack */
	{ "C4 RWH vs NLM shared", XLOCK_OP_NLM_LOCK, SH, R | W | H, XLOCK_V_BREAK, 1, R | H },
	{ "C4 RW vs NLM shared", XLOCK_OP_NLM_LOCK, SH, R | W, XLOCK_V_BREAK, 1, R },
	{ "C4 RWH vs NLM excl", XLOCK_OP_NLM_LOCK, EX, R | W | H, XLOCK_V_BREAK, 1, 0 },
	{ "C4 RW vs NLM excl", XLOCK_OP_NLM_LOCK, EX, R | W, XLOCK_V_BREAK, 1, 0 },
	/* C7: R only, exclusive lock: break, no wait; shared: nothing to do */
	{ "C7 R vs NLM excl", XLOCK_OP_NLM_LOCK, EX, R, XLOCK_V_BREAK, 0, 0 },
	{ "C7 RH vs NLM excl", XLOCK_OP_NLM_LOCK, EX, R | H, XLOCK_V_BREAK, 0, 0 },
	{ "C7 R vs NLM shared", XLOCK_OP_NLM_LOCK, SH, R, XLOCK_V_GRANT, 0, NB },
	{ "C7 RH vs NLM shared", XLOCK_OP_NLM_LOCK, SH, R | H, XLOCK_V_GRANT, 0, NB },
	/* C8: H lease, REMOVE/RENAME: break H, wait */
	{ "C8 RWH vs REMOVE", XLOCK_OP_NFS_REMOVE, 0, R | W | H, XLOCK_V_BREAK, 1, R | W },
	{ "C8 RH vs REMOVE", XLOCK_OP_NFS_REMOVE, 0, R | H, XLOCK_V_BREAK, 1, R },
	{ "C8 RW vs REMOVE", XLOCK_OP_NFS_REMOVE, 0, R | W, XLOCK_V_GRANT, 0, NB },
	{ "C8 R vs REMOVE", XLOCK_OP_NFS_REMOVE, 0, R, XLOCK_V_GRANT, 0, NB },
	/* C9: W lease, READ (and attribute replies): break W, wait */
	{ "C9 RWH vs READ", XLOCK_OP_NFS_READ, 0, R | W | H, XLOCK_V_BREAK, 1, R | H },
	{ "C9 RW vs READ", XLOCK_OP_NFS_READ, 0, R | W, XLOCK_V_BREAK, 1, R },
	{ "C9 RH vs READ", XLOCK_OP_NFS_READ, 0, R | H, XLOCK_V_GRANT, 0, NB },
	{ "C9 R vs READ", XLOCK_OP_NFS_READ, 0, R, XLOCK_V_GRANT, 0, NB },
	/* C10: R or W lease, WRITE/SETATTR size/CREATE-truncate: break both */
	{ "C10 RWH vs WRITE", XLOCK_OP_NFS_WRITE, 0, R | W | H, XLOCK_V_BREAK, 1, 0 },
	{ "C10 RW vs WRITE", XLOCK_OP_NFS_WRITE, 0, R | W, XLOCK_V_BREAK, 1, 0 },
	{ "C10 RH vs WRITE", XLOCK_OP_NFS_WRITE, 0, R | H, XLOCK_V_BREAK, 0, 0 },
	{ "C10 R vs WRITE", XLOCK_OP_NFS_WRITE, 0, R, XLOCK_V_BREAK, 0, 0 },
	/* C12: TEST never breaks; a W lease denies it, R alone does not */
	{ "C12 RWH vs NLM TEST excl", XLOCK_OP_NLM_TEST, EX, R | W | H, XLOCK_V_DENY, 0, NB },
	{ "C12 RW vs NLM TEST shared", XLOCK_OP_NLM_TEST, SH, R | W, XLOCK_V_DENY, 0, NB },
	{ "C12 RH vs NLM TEST excl", XLOCK_OP_NLM_TEST, EX, R | H, XLOCK_V_GRANT, 0, NB },
	{ "C12 R vs NLM TEST shared", XLOCK_OP_NLM_TEST, SH, R, XLOCK_V_GRANT, 0, NB },
};

static void test_nfs_rows(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(nfs_rows) / sizeof(nfs_rows[0]); i++) {
		const struct nfs_row *t = &nfs_rows[i];
		struct xlock_verdict v;
		struct xlock_rule_entry *l;
		int to;

		reset();
		l = lease(t->state);
		v = decide(t->op, t->mode, 0, 0, 99);
		to = xlock_rules_break_to(&v, l);
		tap_ok(v.kind == t->kind && v.wait == t->wait && to == t->to &&
		       (t->kind != XLOCK_V_DENY || v.holder == l),
		       "%s: %s wait=%d to=%s (expected %s wait=%d to=%s)", t->row,
		       kind(v.kind), v.wait, st(to), kind(t->kind), t->wait, st(t->to));
	}
}

/* --- the other direction: an NLM lock meets an SMB lease request ----- */
static void test_lease_requests(void)
{
	static const struct { int lock, want, kind, got; } rows[] = {
		{ 0, R | W | H, XLOCK_V_GRANT, R | W | H },
		{ SH, R | W | H, XLOCK_V_REDUCED, R | H },	/* C1 */
		{ SH, R | W, XLOCK_V_REDUCED, R },		/* C1 */
		{ SH, R | H, XLOCK_V_GRANT, R | H },
		{ SH, R, XLOCK_V_GRANT, R },
		{ EX, R | W | H, XLOCK_V_REDUCED, 0 },		/* C3: H alone is no lease */
		{ EX, R | W, XLOCK_V_REDUCED, 0 },		/* C1 + C3 */
		{ EX, R | H, XLOCK_V_REDUCED, 0 },		/* C3 */
		{ EX, R, XLOCK_V_REDUCED, 0 },			/* C3 */
	};
	unsigned int i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct xlock_verdict v;

		reset();
		if (rows[i].lock)
			lock(NLM, rows[i].lock, 100, 199);
		v = decide(XLOCK_OP_SMB_LEASE, 0, rows[i].want, 0, MAXB);
		tap_ok(v.kind == rows[i].kind && v.state == rows[i].got,
		       "C1/C3 NLM %s lock, SMB asks %s: %s %s (expected %s %s)",
		       rows[i].lock == EX ? "excl" : rows[i].lock ? "shared" : "no",
		       st(rows[i].want), kind(v.kind), st(v.state),
		       kind(rows[i].kind), st(rows[i].got));
	}
}

/* --- byte-range locks across protocols: C2, C11, C12 ------------------ */
static void test_locks(void)
{
	struct xlock_rule_entry *e;
	struct xlock_verdict v;

	reset();
	e = lock(NLM, EX, 0, 9);
	v = decide(XLOCK_OP_SMB_LOCK, SH, 0, 5, 15);
	tap_ok(v.kind == XLOCK_V_DENY && v.holder == e && !v.sharing,
	       "C2 SMB shared lock over an NLM exclusive lock: denied, holder is the NLM lock");
	v = decide(XLOCK_OP_SMB_LOCK, EX, 0, 10, 19);
	tap_ok(v.kind == XLOCK_V_GRANT, "C2 adjacent ranges do not overlap (end is inclusive)");
	reset();
	lock(NLM, SH, 0, 9);
	v = decide(XLOCK_OP_SMB_LOCK, SH, 0, 0, 9);
	tap_ok(v.kind == XLOCK_V_GRANT, "C2 shared SMB lock over a shared NLM lock: granted");
	v = decide(XLOCK_OP_SMB_LOCK, EX, 0, 9, 9);
	tap_ok(v.kind == XLOCK_V_DENY, "C2 exclusive SMB lock over a shared NLM lock: denied");

	reset();
	e = lock(SMB, EX, 100, MAXB);
	v = decide(XLOCK_OP_NLM_LOCK, SH, 0, 0, 100);
	tap_ok(v.kind == XLOCK_V_DENY && v.holder == e,
	       "C11/C12 NLM lock over an SMB exclusive lock to EOF: denied, holder the SMB lock");
	v = decide(XLOCK_OP_NLM_TEST, SH, 0, 200, 300);
	tap_ok(v.kind == XLOCK_V_DENY && v.holder == e, "C12 NLM TEST reports the SMB lock");
	v = decide(XLOCK_OP_NLM_TEST, SH, 0, 0, 99);
	tap_ok(v.kind == XLOCK_V_GRANT, "C12 NLM TEST on a free range: granted");

	reset();
	lock(NLM, EX, 0, MAXB);
	v = decide(XLOCK_OP_NLM_LOCK, EX, 0, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT, "C11 NLM vs NLM is left to lockd and the VFS");
	reset();
	lock(SMB, EX, 0, MAXB);
	lease(R | W | H);
	v = decide(XLOCK_OP_SMB_LOCK, EX, 0, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT, "C11 SMB vs SMB is left to ksmbd");
	v = decide(XLOCK_OP_SMB_LEASE, 0, R | W | H, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT && v.state == (R | W | H),
	       "SMB lease vs SMB lease is left to ksmbd");

	reset();
	e = lock(SMB, SH, 0, 9);
	lease(R | W | H);
	v = decide(XLOCK_OP_NLM_LOCK, EX, 0, 0, 0);
	tap_ok(v.kind == XLOCK_V_DENY && v.holder == e,
	       "a conflicting lock denies at once, no lease is broken for nothing");
	reset();
	lease(R | W | H);
	e = lock(SMB, SH, 0, 9);
	v = decide(XLOCK_OP_NLM_LOCK, EX, 0, 5, 5);
	tap_ok(v.kind == XLOCK_V_DENY && v.holder == e, "... whatever the list order");
	v = decide(XLOCK_OP_NLM_LOCK, EX, 0, 10, 20);
	tap_ok(v.kind == XLOCK_V_BREAK && v.wait && v.nbreak == 1,
	       "C4 after the pushed SMB lock, a free range still needs the W break");
	v = decide(XLOCK_OP_NFS_WRITE, 0, 0, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_BREAK, "NFS I/O is not refused by SMB byte-range locks");
}

/* --- share modes: C13 both directions -------------------------------- */
static void test_share_modes(void)
{
	static const struct { int op, mode, allow, kind; const char *what; } rows[] = {
		{ XLOCK_OP_NFS_WRITE, 0, XLOCK_SHARE_READ, XLOCK_V_DENY, "deny-write vs NFS WRITE" },
		{ XLOCK_OP_NFS_READ, 0, XLOCK_SHARE_READ, XLOCK_V_GRANT, "deny-write vs NFS READ" },
		{ XLOCK_OP_NFS_READ, 0, XLOCK_SHARE_WRITE, XLOCK_V_DENY, "deny-read vs NFS READ" },
		{ XLOCK_OP_NFS_REMOVE, 0, XLOCK_SHARE_READ | XLOCK_SHARE_WRITE, XLOCK_V_DENY,
		  "deny-delete vs NFS REMOVE" },
		{ XLOCK_OP_NFS_REMOVE, 0, XLOCK_SHARE_ALL, XLOCK_V_GRANT, "share-all vs NFS REMOVE" },
		{ XLOCK_OP_NLM_LOCK, EX, XLOCK_SHARE_READ, XLOCK_V_DENY, "deny-write vs NLM excl" },
		{ XLOCK_OP_NLM_LOCK, SH, XLOCK_SHARE_READ, XLOCK_V_GRANT, "deny-write vs NLM shared" },
		{ XLOCK_OP_NLM_LOCK, SH, XLOCK_SHARE_WRITE, XLOCK_V_DENY, "deny-read vs NLM shared" },
	};
	struct xlock_rule_entry *e;
	struct xlock_verdict v;
	unsigned int i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		reset();
		e = share(XLOCK_SHARE_READ | XLOCK_SHARE_WRITE, rows[i].allow);
		v = decide(rows[i].op, rows[i].mode, 0, 0, 9);
		tap_ok(v.kind == rows[i].kind &&
		       (v.kind != XLOCK_V_DENY || (v.sharing && v.holder == e)),
		       "C13 SMB open %s: %s", rows[i].what, kind(v.kind));
	}
	reset();
	e = lock(NLM, EX, 0, 0);
	v = decide(XLOCK_OP_SMB_OPEN, XLOCK_SHARE_READ, XLOCK_SHARE_READ, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_DENY && v.sharing && v.holder == e,
	       "C13 SMB open denying write while an NLM exclusive lock is held: sharing violation");
	v = decide(XLOCK_OP_SMB_OPEN, XLOCK_SHARE_READ, XLOCK_SHARE_READ | XLOCK_SHARE_WRITE, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT, "C13 SMB open sharing write with it: granted");
	reset();
	lock(NLM, SH, 0, 0);
	v = decide(XLOCK_OP_SMB_OPEN, XLOCK_SHARE_WRITE, XLOCK_SHARE_WRITE, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_DENY && v.sharing,
	       "C13 SMB open denying read while an NLM shared lock is held: sharing violation");
}

/* --- pending and breaking entries, several leases --------------------- */
static void test_states(void)
{
	struct xlock_rule_entry *a, *b;
	struct xlock_verdict v;

	reset();
	a = lock(NLM, EX, 0, MAXB);
	a->pending = 1;
	v = decide(XLOCK_OP_SMB_LEASE, 0, R | W | H, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT, "a blocked NLM request is not held: lease granted whole");
	v = decide(XLOCK_OP_SMB_LOCK, EX, 0, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT, "a blocked NLM request does not deny an SMB lock");

	reset();
	a = lease(R | W | H);
	a->brk_to = R | H;
	v = decide(XLOCK_OP_NLM_LOCK, SH, 0, 0, 0);
	tap_ok(v.kind == XLOCK_V_BREAK && v.wait && xlock_rules_break_to(&v, a) == NB,
	       "a break to RH in flight: a shared NLM lock waits for it, sends no new break");
	v = decide(XLOCK_OP_NLM_LOCK, EX, 0, 0, 0);
	tap_ok(v.kind == XLOCK_V_BREAK && xlock_rules_break_to(&v, a) == 0,
	       "a break to RH in flight: an exclusive NLM lock breaks further, to none");
	a->state = R | H;
	a->brk_to = NB;
	v = decide(XLOCK_OP_NLM_LOCK, SH, 0, 0, 0);
	tap_ok(v.kind == XLOCK_V_GRANT, "C4 once acked (RWH -> RH) the shared lock is granted");

	reset();
	a = lease(R | W | H);
	b = lease(R);
	v = decide(XLOCK_OP_NLM_LOCK, EX, 0, 0, 0);
	tap_ok(v.kind == XLOCK_V_BREAK && v.nbreak == 2 && v.wait &&
	       xlock_rules_break_to(&v, a) == 0 && xlock_rules_break_to(&v, b) == 0,
	       "two SMB leases, an exclusive NLM lock: both broken to none, wait for the W one");
	v = decide(XLOCK_OP_SMB_LEASE, 0, R | W | H, 0, MAXB);
	tap_ok(xlock_rules_break_to(&v, a) == NB, "break_to says nothing for a non-BREAK verdict");

	reset();
	v = decide(XLOCK_OP_NLM_LOCK, EX, 0, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT && !v.nbreak, "an empty file grants everything");
	v = decide(0, 0, 0, 0, 0);
	tap_ok(v.kind == XLOCK_V_GRANT && v.proto == 0, "an unknown request is not refused by xlock");
}

/* --- reservations: decided, the server not done yet (issue 10 c) ----- */
static void test_reservations(void)
{
	struct xlock_rule_entry *a, *b;
	struct xlock_verdict v;

	reset();
	a = lock(NLM, EX, 0, MAXB);
	a->resv = 1;
	v = decide(XLOCK_OP_SMB_LEASE, 0, R | W | H, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_REDUCED && v.state == 0,
	       "a reserved exclusive NLM lock is held for SMB: RWH lease request gets none");
	a->mode = SH;
	v = decide(XLOCK_OP_SMB_LEASE, 0, R | W | H, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_REDUCED && v.state == (R | H),
	       "a reserved shared NLM lock: RWH lease request gets RH");
	v = decide(XLOCK_OP_SMB_LOCK, EX, 0, 10, 19);
	tap_ok(v.kind == XLOCK_V_DENY, "a reserved NLM lock denies a conflicting SMB lock");

	reset();
	a = lease(R | W | H);
	a->resv = 1;
	v = decide(XLOCK_OP_NLM_LOCK, EX, 0, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_BREAK && v.wait && v.nbreak == 1 &&
	       xlock_rules_break_to(&v, a) == NB,
	       "a reserved RWH lease, NLM exclusive lock: wait for the grant, no break yet");
	a->state = R;
	v = decide(XLOCK_OP_NLM_LOCK, EX, 0, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_BREAK && v.wait && xlock_rules_break_to(&v, a) == NB,
	       "a reserved R lease, NLM exclusive lock: waits too (an R lease would outlive a no-wait break)");
	v = decide(XLOCK_OP_NLM_LOCK, SH, 0, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT, "a reserved R lease, NLM shared lock: granted");
	a->state = R | W;
	v = decide(XLOCK_OP_NLM_TEST, EX, 0, 0, 0);
	tap_ok(v.kind == XLOCK_V_DENY && v.holder == a,
	       "C12 TEST against a reserved W lease names it as the holder");
	v = decide(XLOCK_OP_NFS_READ, 0, 0, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_BREAK && v.wait && xlock_rules_break_to(&v, a) == NB,
	       "C9 READ against a reserved W lease waits for its grant");

	reset();
	a = lease(R | W | H);
	b = lease(R | W | H);
	b->resv = 1;
	v = decide(XLOCK_OP_NLM_LOCK, SH, 0, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_BREAK && v.wait && v.nbreak == 2 &&
	       xlock_rules_break_to(&v, a) == (R | H) && xlock_rules_break_to(&v, b) == NB,
	       "a granted and a reserved lease: the granted one is broken, the reserved one waited for");
}

static void test_oplocks(void)
{
	tap_ok(xlock_rules_oplock_state(XLOCK_OPLOCK_BATCH) == (R | W | H) &&
	       xlock_rules_oplock_state(XLOCK_OPLOCK_EXCL) == (R | W) &&
	       xlock_rules_oplock_state(XLOCK_OPLOCK_II) == R &&
	       xlock_rules_oplock_state(XLOCK_OPLOCK_NONE) == 0,
	       "oplocks as leases: batch = RWH, exclusive = RW, level II = R");
	tap_ok(xlock_rules_state_oplock(R | W | H) == XLOCK_OPLOCK_BATCH &&
	       xlock_rules_state_oplock(R | W) == XLOCK_OPLOCK_EXCL &&
	       xlock_rules_state_oplock(R | H) == XLOCK_OPLOCK_II &&
	       xlock_rules_state_oplock(R) == XLOCK_OPLOCK_II &&
	       xlock_rules_state_oplock(0) == XLOCK_OPLOCK_NONE,
	       "lease states back to oplock levels");
	reset();
	add(SMB, XLOCK_KIND_LEASE, 0, xlock_rules_oplock_state(XLOCK_OPLOCK_BATCH), 0, MAXB);
	{
		struct xlock_verdict v = decide(XLOCK_OP_NLM_LOCK, SH, 0, 0, 0);

		tap_ok(v.kind == XLOCK_V_BREAK && v.wait &&
		       xlock_rules_state_oplock(xlock_rules_break_to(&v, &ents[0])) ==
		       XLOCK_OPLOCK_II,
		       "C4 with a batch oplock: broken to level II for a shared NLM lock");
	}
}

/*
 * V4: an NFSv4 delegation is refused (DENY, nothing broken) next to SMB
 * state it conflicts with; NLM state and pending entries never refuse one.
 */
static void test_delegations(void)
{
	static const struct {
		const char *what;
		int kind, mode, state, deleg, verdict;
	} rows[] = {
		{ "V4 read deleg vs SMB R lease", XLOCK_KIND_LEASE, 0, R, R, XLOCK_V_GRANT },
		{ "V4 read deleg vs SMB RH lease", XLOCK_KIND_LEASE, 0, R | H, R, XLOCK_V_GRANT },
		{ "V4 read deleg vs SMB RW lease", XLOCK_KIND_LEASE, 0, R | W, R, XLOCK_V_DENY },
		{ "V4 read deleg vs SMB RWH lease", XLOCK_KIND_LEASE, 0, R | W | H, R, XLOCK_V_DENY },
		{ "V4 write deleg vs SMB R lease", XLOCK_KIND_LEASE, 0, R, R | W, XLOCK_V_DENY },
		{ "V4 write deleg vs SMB RH lease", XLOCK_KIND_LEASE, 0, R | H, R | W, XLOCK_V_DENY },
		{ "V4 read deleg vs SMB read open (deny write)", XLOCK_KIND_SHARE,
		  XLOCK_SHARE_READ, XLOCK_SHARE_READ, R, XLOCK_V_GRANT },
		{ "V4 read deleg vs SMB write open", XLOCK_KIND_SHARE,
		  XLOCK_SHARE_WRITE, XLOCK_SHARE_WRITE, R, XLOCK_V_DENY },
		{ "V4 write deleg vs SMB read open", XLOCK_KIND_SHARE,
		  XLOCK_SHARE_READ, XLOCK_SHARE_ALL, R | W, XLOCK_V_DENY },
	};
	struct xlock_verdict v;
	unsigned int i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		reset();
		add(SMB, rows[i].kind, rows[i].mode, rows[i].state, 0, MAXB);
		v = decide(XLOCK_OP_NFS4_DELEG, 0, rows[i].deleg, 0, MAXB);
		tap_ok(v.kind == rows[i].verdict && v.nbreak == 0 &&
		       (v.kind != XLOCK_V_DENY || v.holder == &ents[0]), "%s", rows[i].what);
	}
	reset();
	v = decide(XLOCK_OP_NFS4_DELEG, 0, R | W, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT, "V4 write deleg on a file without SMB state");
	reset();
	lock(NLM, EX, 0, MAXB);
	v = decide(XLOCK_OP_NFS4_DELEG, 0, R | W, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT, "V4 NLM locks do not refuse a delegation (same side)");
	reset();
	lease(R | W | H)->pending = 1;
	v = decide(XLOCK_OP_NFS4_DELEG, 0, R | W, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT, "V4 a pending SMB entry does not refuse a delegation");
	/* The other direction: SMB requests never see a delegation in the table. */
	reset();
	lock(NLM, SH, 0, 9);
	v = decide(XLOCK_OP_SMB_OPEN, XLOCK_SHARE_READ, XLOCK_SHARE_ALL, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT && xlock_rules_op_proto(XLOCK_OP_NFS4_DELEG) == NLM,
	       "V4 delegations are decided on the NFS side");
}

/*
 * V6: an NFSv4 open (an NFS4 share entry: its access, and what its deny
 * mode allows others; deny none allows all) refuses SMB opens asking for
 * the access it denies, and SMB opens whose share mode denies the access
 * it holds (as ksmbd among its own opens); an attribute-only SMB open is
 * no conflict. Nothing else of SMB's and nothing on the NFS side heeds it.
 */
static void test_nfs4_deny(void)
{
	enum { SR = XLOCK_SHARE_READ, SW = XLOCK_SHARE_WRITE, SD = XLOCK_SHARE_DELETE,
	       SALL = XLOCK_SHARE_ALL };
	static const struct {
		const char *what;
		int access, allow, req, share, verdict;
	} rows[] = {
		{ "V6 deny-write open vs SMB read open", SR, SR | SD, SR, SALL, XLOCK_V_GRANT },
		{ "V6 deny-write open vs SMB write open", SR, SR | SD, SW, SALL, XLOCK_V_DENY },
		{ "V6 deny-write open vs SMB read-write open", SR, SR | SD, SR | SW, SALL,
		  XLOCK_V_DENY },
		{ "V6 deny-read open vs SMB read open", SW, SW | SD, SR, SALL, XLOCK_V_DENY },
		{ "V6 deny-read open vs SMB write open", SW, SW | SD, SW, SALL, XLOCK_V_GRANT },
		{ "V6 deny-both open vs SMB delete-only open", SR, SD, SD, SALL, XLOCK_V_GRANT },
		{ "V6 deny-both open vs SMB attribute-only open", SR, SD, 0, SALL, XLOCK_V_GRANT },
		{ "V6 deny-none write open vs SMB read open denying write", SW, SALL, SR, SR,
		  XLOCK_V_DENY },
		{ "V6 deny-none write open vs SMB read open sharing all", SW, SALL, SR, SALL,
		  XLOCK_V_GRANT },
		{ "V6 deny-none write open vs SMB read open denying read", SW, SALL, SR, SW | SD,
		  XLOCK_V_GRANT },
		{ "V6 deny-none read open vs SMB read open denying read", SR, SALL, SR, SW | SD,
		  XLOCK_V_DENY },
		{ "V6 deny-none read open vs SMB write open denying write", SR, SALL, SW, SR | SD,
		  XLOCK_V_GRANT },
		{ "V6 deny-none read-write open vs SMB delete open sharing delete only",
		  SR | SW, SALL, SD, SD, XLOCK_V_DENY },
		{ "V6 deny-none read-write open vs SMB attribute-only open sharing none",
		  SR | SW, SALL, 0, 0, XLOCK_V_GRANT },
		{ "V6 deny-write open vs SMB read open denying write", SR, SR | SD, SR, SR,
		  XLOCK_V_GRANT },
	};
	struct xlock_verdict v;
	unsigned int i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		reset();
		add(XLOCK_PROTO_NFS4, XLOCK_KIND_SHARE, rows[i].access, rows[i].allow, 0, MAXB);
		v = decide(XLOCK_OP_SMB_OPEN, rows[i].req, rows[i].share, 0, MAXB);
		tap_ok(v.kind == rows[i].verdict &&
		       (v.kind != XLOCK_V_DENY || (v.holder == &ents[0] && v.sharing)),
		       "%s", rows[i].what);
	}
	reset();
	add(XLOCK_PROTO_NFS4, XLOCK_KIND_SHARE, XLOCK_SHARE_READ, XLOCK_SHARE_DELETE, 0, MAXB);
	v = decide(XLOCK_OP_SMB_LOCK, EX, 0, 0, 9);
	tap_ok(v.kind == XLOCK_V_GRANT, "V6 a deny mode is no byte-range lock for SMB LOCK");
	v = decide(XLOCK_OP_SMB_LEASE, 0, R | W | H, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT && v.state == (R | W | H),
	       "V6 a deny mode cuts no SMB lease");
	reset();
	add(XLOCK_PROTO_NFS4, XLOCK_KIND_SHARE, XLOCK_SHARE_WRITE, XLOCK_SHARE_ALL, 0, MAXB);
	v = decide(XLOCK_OP_SMB_LEASE, 0, R | W | H, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_REDUCED && v.state == (R | H),
	       "I1 an NFSv4 open for write takes W from an SMB lease");
	ents[0].resv = 1;
	v = decide(XLOCK_OP_SMB_LEASE, 0, R | W, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_REDUCED && v.state == R,
	       "I1 an NFSv4 OPEN for write reserved takes W from an SMB lease");
	v = decide(XLOCK_OP_NFS_WRITE, 0, 0, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT, "V6 NFS-side requests leave NFSv4 deny modes to nfsd");
	ents[0].pending = 1;
	v = decide(XLOCK_OP_SMB_OPEN, XLOCK_SHARE_READ, XLOCK_SHARE_ALL, 0, MAXB);
	tap_ok(v.kind == XLOCK_V_GRANT, "V6 a pending entry refuses nothing");
}

int main(void)
{
	tap_plan(24 + 9 + 14 + 11 + 9 + 9 + 3 + 13 + 21);
	test_nfs_rows();
	test_lease_requests();
	test_locks();
	test_share_modes();
	test_states();
	test_reservations();
	test_oplocks();
	test_delegations();
	test_nfs4_deny();
	return tap_done();
}
