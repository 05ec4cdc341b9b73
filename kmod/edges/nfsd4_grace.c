// SPDX-License-Identifier: GPL-2.0
/*
 * V8: nfsd ends its NFSv4 grace no earlier than xlock's, and SMB is held
 * back while nfsd is in NFSv4 grace (xlock_nfs4_in_grace). A hookset of
 * the nfsd edge, attached with its NFSv4 paths (edge_nfsd4.c).
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <net/netns/generic.h>

#include "edge.h"
#include "generated/btf.h"
#include "grace.h"
#include "ksym.h"
#include "nfsd4.h"
#include "nfsd4_grace.h"

/*
 * V8: one grace window. nfsd ends its NFSv4 grace on its own clock (its
 * laundromat, or the last client's RECLAIM_COMPLETE) and then tells its
 * client tracker that grace is done, which forgets the clients that have
 * not reclaimed yet: their reclaims fail, although xlock's grace still
 * holds every new lock back (lockd and nfsd ask the kernel's grace
 * manager, which xlock is part of). So while xlock's grace runs, nfsd's
 * end of grace in the initial net namespace (xlock's grace is that net's)
 * is put off; once xlock's grace is over, nfsd's laundromat is run at
 * once, which ends it, as `echo Y >/proc/fs/nfsd/v4_end_grace` would.
 * The other way round, xlock's grace does not end while nfsd's runs and
 * nfsd has not tried to end it (grace_pending): whichever would end
 * first waits for the other.
 */
struct nfsd_net;

static XLOCK_STUB void call_nfsd4_end_grace(struct nfsd_net *nn)
{
	xlock_call_unreachable(__func__);
}

static void wrap_nfsd4_end_grace(struct nfsd_net *nn);

static struct xlock_hook grace_hooks[] = {
	XLOCK_HOOK("nfsd:nfsd4_end_grace", wrap_nfsd4_end_grace),
};

static struct xlock_call grace_calls[] = {
	XLOCK_CALL(call_nfsd4_end_grace, "nfsd:nfsd4_end_grace"),
};

static struct xlock_hookset grace_hs = {
	.name = "nfsd4-grace",
	.hooks = grace_hooks,
	.nr_hooks = ARRAY_SIZE(grace_hooks),
	.calls = grace_calls,
	.nr_calls = ARRAY_SIZE(grace_calls),
};

static bool grace_on;
static bool grace_held;
static struct mutex *nfsd_mutex_p;
/* The nfsd edge, handed over at its attach and never unset (see edge.h). */
static struct xlock_edge *nfsd_edge;
static unsigned int *nfsd_net_id_p;
static struct workqueue_struct **laundry_wq_p;

static void grace_kick_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(grace_kick, grace_kick_fn);

static void *init_nn(void)
{
	return net_generic(&init_net, READ_ONCE(*nfsd_net_id_p));
}

static void wrap_nfsd4_end_grace(struct nfsd_net *nn)
{
	xlock_hook_enter(&grace_hs, &grace_hooks[0]);
	/* nfsd's laundromat calls it on every run, also once grace ended */
	if (xlock_grace_active() && (void *)nn == init_nn() &&
	    !test_bit(XLOCK_BTF_NFSD_NET_GRACE_ENDED,
		      &FIELD(nn, XLOCK_BTF_nfsd_net_flags, unsigned long))) {
		if (!xchg(&grace_held, true))
			pr_info("NFSv4 grace held until xlock's grace period ends\n");
		mod_delayed_work(system_wq, &grace_kick, HZ);
	} else {
		call_nfsd4_end_grace(nn);
	}
	xlock_hook_exit(&grace_hs);
}

/* Once xlock's grace is over, nfsd's laundromat ends nfsd's. */
static void grace_kick_fn(struct work_struct *w)
{
	unsigned long *flags;
	void *nn;

	if (xlock_grace_active()) {
		schedule_delayed_work(&grace_kick, HZ);
		return;
	}
	if (!xlock_edge_get(READ_ONCE(nfsd_edge)))
		return;
	/* nfsd starts and stops a net's NFSv4 state under nfsd_mutex */
	mutex_lock(nfsd_mutex_p);
	nn = init_nn();
	flags = &FIELD(nn, XLOCK_BTF_nfsd_net_flags, unsigned long);
	if (test_bit(XLOCK_BTF_NFSD_NET_UP, flags) &&
	    !test_bit(XLOCK_BTF_NFSD_NET_GRACE_ENDED, flags)) {
		pr_info("xlock's grace period is over: NFSv4 grace ends now\n");
		mod_delayed_work(READ_ONCE(*laundry_wq_p),
				 &FIELD(nn, XLOCK_BTF_nfsd_net_laundromat_work,
					struct delayed_work), 0);
	}
	mutex_unlock(nfsd_mutex_p);
	xlock_edge_put(READ_ONCE(nfsd_edge));
	WRITE_ONCE(grace_held, false);
}

static bool grace_pending(void)
{
	return READ_ONCE(grace_on) && !READ_ONCE(grace_held) && xlock_nfs4_in_grace();
}

static const struct xlock_grace_wait_ops grace_wait_ops = {
	.pending = grace_pending,
};

void xlock_nfs4_grace_attach(struct xlock_edge *nfsd)
{
	unsigned long id = xlock_ksym_lookup("nfsd:nfsd_net_id");
	unsigned long wq = xlock_ksym_lookup("nfsd:laundry_wq");
	char why[160];

	WRITE_ONCE(nfsd_edge, nfsd);
	nfsd_mutex_p = (struct mutex *)xlock_ksym_lookup("nfsd:nfsd_mutex");
	if (!id || !wq || !nfsd_mutex_p) {
		pr_warn("nfsd may end NFSv4 grace before xlock's: nfsd_net_id or laundry_wq not found\n");
		return;
	}
	WRITE_ONCE(nfsd_net_id_p, (unsigned int *)id);
	laundry_wq_p = (struct workqueue_struct **)wq;
	if (xlock_ksym_attach(&grace_hs, why, sizeof(why))) {
		pr_warn("nfsd may end NFSv4 grace before xlock's: %s\n", why);
		return;
	}
	WRITE_ONCE(grace_on, true);
	xlock_grace_set_wait(&grace_wait_ops);
}

void xlock_nfs4_grace_detach(void)
{
	xlock_grace_set_wait(NULL);
	if (grace_on)
		xlock_hookset_detach(&grace_hs);
	WRITE_ONCE(grace_on, false);
	cancel_delayed_work_sync(&grace_kick);
	grace_held = false;
}

/*
 * V8: is nfsd (initial net) in its NFSv4 grace, not ended by the admin?
 * Its clients may then still reclaim state xlock never saw (it persists
 * nothing of NFSv4), so an SMB request is held back as lockd and nfsd hold
 * back new NLM and NFSv4 ones. nfsd's grace lasts its own time (its rules,
 * its client tracker) or xlock's, whichever ends last (nfsd4_end_grace
 * above), so SMB waits out both.
 */
bool xlock_nfs4_in_grace(void)
{
	unsigned long *flags;
	bool in;

	if (!READ_ONCE(nfsd_net_id_p) || !xlock_edge_get(READ_ONCE(nfsd_edge)))
		return false;
	flags = &FIELD(init_nn(), XLOCK_BTF_nfsd_net_flags, unsigned long);
	in = test_bit(XLOCK_BTF_NFSD_NET_UP, flags) &&
	     !test_bit(XLOCK_BTF_NFSD_NET_GRACE_ENDED, flags) &&
	     !test_bit(XLOCK_BTF_NFSD_NET_GRACE_END_FORCED, flags);
	xlock_edge_put(READ_ONCE(nfsd_edge));
	return in;
}
