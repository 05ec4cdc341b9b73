// SPDX-License-Identifier: GPL-2.0
/*
 * The lockd edge: NLM LOCK, TEST, UNLOCK and CANCEL as lockd serves them.
 * Wrappers run on lockd's single service thread and must never sleep long.
 */
#include <linux/lockd/lockd.h>
#include <linux/module.h>

#include "edge.h"
#include "generated/btf.h"

enum { H_LOCK, H_TEST, H_UNLOCK, H_CANCEL };

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

static struct xlock_hook lockd_hooks[];
#define HS (&xlock_edge_lockd.hs)

static __be32 wrap_nlmsvc_lock(struct svc_rqst *rqstp, struct nlm_file *file,
			       struct nlm_host *host, struct nlm_lock *lock, int wait,
			       struct nlm_cookie *cookie, int reclaim)
{
	__be32 ret;

	xlock_hook_enter(HS, &lockd_hooks[H_LOCK]);
	ret = call_nlmsvc_lock(rqstp, file, host, lock, wait, cookie, reclaim);
	xlock_hook_exit(HS);
	return ret;
}

static __be32 wrap_nlmsvc_testlock(struct svc_rqst *rqstp, struct nlm_file *file,
				   struct nlm_host *host, struct nlm_lock *lock,
				   struct nlm_lock *conflock, struct nlm_cookie *cookie)
{
	__be32 ret;

	xlock_hook_enter(HS, &lockd_hooks[H_TEST]);
	ret = call_nlmsvc_testlock(rqstp, file, host, lock, conflock, cookie);
	xlock_hook_exit(HS);
	return ret;
}

static __be32 wrap_nlmsvc_unlock(struct net *net, struct nlm_file *file,
				 struct nlm_lock *lock)
{
	__be32 ret;

	xlock_hook_enter(HS, &lockd_hooks[H_UNLOCK]);
	ret = call_nlmsvc_unlock(net, file, lock);
	xlock_hook_exit(HS);
	return ret;
}

static __be32 wrap_nlmsvc_cancel_blocked(struct net *net, struct nlm_file *file,
					 struct nlm_lock *lock)
{
	__be32 ret;

	xlock_hook_enter(HS, &lockd_hooks[H_CANCEL]);
	ret = call_nlmsvc_cancel_blocked(net, file, lock);
	xlock_hook_exit(HS);
	return ret;
}

static struct xlock_hook lockd_hooks[] = {
	[H_LOCK] = XLOCK_HOOK("lockd:nlmsvc_lock", wrap_nlmsvc_lock),
	[H_TEST] = XLOCK_HOOK("lockd:nlmsvc_testlock", wrap_nlmsvc_testlock),
	[H_UNLOCK] = XLOCK_HOOK("lockd:nlmsvc_unlock", wrap_nlmsvc_unlock),
	[H_CANCEL] = XLOCK_HOOK("lockd:nlmsvc_cancel_blocked", wrap_nlmsvc_cancel_blocked),
};

static struct xlock_call lockd_calls[] = {
	XLOCK_CALL(call_nlmsvc_lock, "lockd:nlmsvc_lock"),
	XLOCK_CALL(call_nlmsvc_testlock, "lockd:nlmsvc_testlock"),
	XLOCK_CALL(call_nlmsvc_unlock, "lockd:nlmsvc_unlock"),
	XLOCK_CALL(call_nlmsvc_cancel_blocked, "lockd:nlmsvc_cancel_blocked"),
};

struct xlock_edge xlock_edge_lockd = {
	.module = "lockd",
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
