/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink plumbing for the "xlock" family, shared by xlockctl and
 * xlockd: one socket with extended acks, requests (do and dump) whose
 * replies are parsed against the family's attribute policy, multicast.
 */
#ifndef XLOCK_NL_H
#define XLOCK_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <linux/xlock.h>

struct xnl {
	struct nl_sock *sk;
	int family;		/* the family id "xlock" resolved to */
	int err;		/* errno of the last failed request, 0 if none */
	char msg[256];		/* the kernel's extended-ack message, or "" */
	uint32_t miss_type;	/* attribute the kernel said was missing, or 0 */
	/* Called for messages of other families (may be NULL); < 0 stops. */
	int (*other)(const struct nlmsghdr *nlh, void *arg);
	struct nl_cb *recv_cb;	/* xnl_recv()'s, made on first use */
	void *recv_req;
};

/*
 * Called once per reply message, @tb indexed by XLOCK_A_* and checked
 * against the reply policy. Return 0 to go on, a negative errno to stop.
 */
typedef int (*xnl_fn)(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg);

/* 0, -ENOENT if the family is not registered (module not loaded), -errno. */
int xnl_open(struct xnl *x);
void xnl_close(struct xnl *x);

/* A request for @cmd; exits the program if out of memory. */
struct nl_msg *xnl_new(struct xnl *x, uint8_t cmd, bool dump);
struct nl_msg *xnl_new_size(struct xnl *x, uint8_t cmd, bool dump, size_t size);

/*
 * Send @msg (always freed) and feed every reply to @fn (may be NULL) until
 * the kernel acks, ends the dump or fails. Returns 0 or -errno; x->err and
 * x->msg describe a failure. For dumps, *@intr (if not NULL) tells whether
 * any message had NLM_F_DUMP_INTR (the table changed during the dump).
 */
int xnl_request(struct xnl *x, struct nl_msg *msg, xnl_fn fn, void *arg, bool *intr);

/* Join multicast group @group of the family; 0 or -errno. */
int xnl_join(struct xnl *x, const char *group);

/*
 * Receive what is queued (blocking if nothing is) and feed each message to
 * @fn. 0, -ENOBUFS if the kernel dropped messages (overrun), or -errno.
 */
int xnl_recv(struct xnl *x, xnl_fn fn, void *arg);

/* Parse nested attribute @nest into @tb (XLOCK_A_MAX + 1 slots); 0 or -EPROTO. */
int xnl_parse_nested(struct nlattr **tb, struct nlattr *nest);

#endif
