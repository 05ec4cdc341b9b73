/* SPDX-License-Identifier: GPL-2.0 */
/* The lockd side: blocked NLM requests xlock grants itself (nlm_pending.c). */
#ifndef _XLOCK_NLM_PENDING_H
#define _XLOCK_NLM_PENDING_H

#include <linux/types.h>

struct file;
struct inode;
struct nlm_cookie;
struct nlm_file;
struct nlm_host;
struct nlm_lock;
struct nlm_rqst;
struct rpc_call_ops;
struct xlock_client;
struct xlock_file;

/* Call stubs (nlm_pending.c) the lockd edge's hookset attaches (kmod/hook/hook.h). */
struct nlm_rqst *xlock_call_nlm_alloc_call(struct nlm_host *host);
int xlock_call_nlm_async_call(struct nlm_rqst *req, u32 proc, const struct rpc_call_ops *ops);
struct nlm_host *xlock_call_nlm_get_host(struct nlm_host *host);
void xlock_call_nlmsvc_release_host(struct nlm_host *host);
void xlock_call_nlm_release_file(struct nlm_file *file);

int xlock_nlm_pending_add(struct xlock_file *f, struct nlm_file *file, struct nlm_host *host,
			  struct nlm_lock *lock);
void xlock_nlm_pending_kick(struct xlock_file *f);
void xlock_nlm_pending_forget(const struct nlm_host *host, const struct inode *inode,
			      const struct nlm_lock *lock, bool cancel);
void xlock_nlm_pending_forget_host(const struct nlm_host *host);
bool xlock_nlm_pending_reply(const struct nlm_cookie *cookie, __be32 status);
void xlock_nlm_pendings_start(const struct rpc_call_ops *callback_ops);
void xlock_nlm_pendings_stop(void);
int xlock_nlm_pendings_init(void);
void xlock_nlm_pendings_exit(void);

#endif
