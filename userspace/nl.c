// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink plumbing for the "xlock" family: see nl.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "nl.h"
#include "nlattr.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Room for a PATH_MAX path plus every other attribute of any request. */
#define REQ_SIZE 8192

/* What replies may carry; libnl checks each present attribute's size. */
static struct nla_policy reply_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_VERSION] = { .type = NLA_STRING },
	[XLOCK_A_GENERATION] = { .type = NLA_U64 },
	[XLOCK_A_EDGES] = { .type = NLA_NESTED },
	[XLOCK_A_EDGE] = { .type = NLA_NESTED },
	[XLOCK_A_NAME] = { .type = NLA_STRING },
	[XLOCK_A_EDGE_STATE] = { .type = NLA_U8 },
	[XLOCK_A_REASON] = { .type = NLA_STRING },
	[XLOCK_A_NR_ENTRIES] = { .type = NLA_U64 },
	[XLOCK_A_NR_FILES] = { .type = NLA_U64 },
	[XLOCK_A_NR_CLIENTS] = { .type = NLA_U64 },
	[XLOCK_A_NR_NLM_LOCKS] = { .type = NLA_U64 },
	[XLOCK_A_NR_SMB_LOCKS] = { .type = NLA_U64 },
	[XLOCK_A_NR_LEASES] = { .type = NLA_U64 },
	[XLOCK_A_NR_SHARE_MODES] = { .type = NLA_U64 },
	[XLOCK_A_NR_DELEGS] = { .type = NLA_U64 },
	[XLOCK_A_LIMIT_TOTAL] = { .type = NLA_U32 },
	[XLOCK_A_LIMIT_FILE] = { .type = NLA_U32 },
	[XLOCK_A_LIMIT_CLIENT] = { .type = NLA_U32 },
	[XLOCK_A_LIMIT_HITS] = { .type = NLA_U64 },
	[XLOCK_A_PERSIST] = { .type = NLA_U8 },
	[XLOCK_A_TEST_API] = { .type = NLA_U8 },
	[XLOCK_A_SHARE_ID] = { .type = NLA_U32 },
	[XLOCK_A_PATH] = { .type = NLA_STRING },
	[XLOCK_A_SHARE_FLAGS] = { .type = NLA_U32 },
	[XLOCK_A_BREAK_TIMEOUT_MS] = { .type = NLA_U32 },
	[XLOCK_A_GRACE_S] = { .type = NLA_U32 },
	[XLOCK_A_ENTRY_ID] = { .type = NLA_U64 },
	[XLOCK_A_PROTO] = { .type = NLA_U8 },
	[XLOCK_A_KIND] = { .type = NLA_U8 },
	[XLOCK_A_FLAGS] = { .type = NLA_U32 },
	[XLOCK_A_DEV] = { .type = NLA_U64 },
	[XLOCK_A_INO] = { .type = NLA_U64 },
	[XLOCK_A_CLIENT] = { .type = NLA_STRING },
	[XLOCK_A_CLIENT_ADDR] = { .type = NLA_STRING },
	[XLOCK_A_AGE_MS] = { .type = NLA_U64 },
	[XLOCK_A_MODE] = { .type = NLA_U8 },
	[XLOCK_A_START] = { .type = NLA_U64 },
	[XLOCK_A_END] = { .type = NLA_U64 },
	[XLOCK_A_LEASE_STATE] = { .type = NLA_U8 },
	[XLOCK_A_BREAK_TO] = { .type = NLA_U8 },
	[XLOCK_A_SHARE_ACCESS] = { .type = NLA_U8 },
	[XLOCK_A_SHARE_ALLOW] = { .type = NLA_U8 },
	[XLOCK_A_NLM_SVID] = { .type = NLA_U32 },
	[XLOCK_A_SMB_FID] = { .type = NLA_U64 },
	[XLOCK_A_EVENT] = { .type = NLA_U8 },
	[XLOCK_A_REQ_CLIENT] = { .type = NLA_STRING },
	[XLOCK_A_OUTCOME] = { .type = NLA_U8 },
	[XLOCK_A_NLM_OH] = { .type = NLA_U64 },
	[XLOCK_A_SMB_GUID] = { .minlen = 16 },
	[XLOCK_A_SMB_LEASE_KEY] = { .minlen = 16 },
	[XLOCK_A_STATS] = { .type = NLA_NESTED },
	[XLOCK_A_BREAK_LATENCY] = { .type = NLA_NESTED },
	[XLOCK_A_INSTANCE] = { .type = NLA_U64 },
	[XLOCK_A_GRACE_STATE] = { .type = NLA_U8 },
	[XLOCK_A_GRACE_LEFT_MS] = { .type = NLA_U64 },
	[XLOCK_A_NR_RECLAIMED] = { .type = NLA_U64 },
	[XLOCK_A_CLIENTS] = { .type = NLA_NESTED },
	[XLOCK_A_CLIENT_RECLAIM] = { .type = NLA_NESTED },
	[XLOCK_A_BREAK_TIME_NS] = { .type = NLA_U64 },
};

/* One request in flight. */
struct req {
	struct xnl *x;
	xnl_fn fn;
	void *arg;
	bool done;
	bool intr;
};

int xnl_open(struct xnl *x)
{
	int one = 1, ret;

	memset(x, 0, sizeof(*x));
	x->sk = nl_socket_alloc();
	if (!x->sk)
		return -ENOMEM;
	if (genl_connect(x->sk)) {
		ret = errno ? -errno : -EIO;
		nl_socket_free(x->sk);
		x->sk = NULL;
		return ret;
	}
	/* libnl 3.7 has no helper; without it errors come without a reason. */
	setsockopt(nl_socket_get_fd(x->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	x->family = genl_ctrl_resolve(x->sk, XLOCK_GENL_NAME);
	if (x->family < 0) {
		ret = x->family == -NLE_OBJ_NOTFOUND ? -ENOENT : -EIO;
		xnl_close(x);
		return ret;
	}
	return 0;
}

void xnl_close(struct xnl *x)
{
	if (x->recv_cb)
		nl_cb_put(x->recv_cb);
	free(x->recv_req);
	x->recv_cb = NULL;
	x->recv_req = NULL;
	if (x->sk)
		nl_socket_free(x->sk);
	x->sk = NULL;
}

struct nl_msg *xnl_new(struct xnl *x, uint8_t cmd, bool dump)
{
	return xnl_new_size(x, cmd, dump, REQ_SIZE);
}

struct nl_msg *xnl_new_size(struct xnl *x, uint8_t cmd, bool dump, size_t size)
{
	struct nl_msg *m = nlmsg_alloc_size(size);

	if (!m || !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, x->family, 0,
			       dump ? NLM_F_DUMP : 0, cmd, XLOCK_GENL_VERSION))
		xnl_oom();
	return m;
}

/* Extended-ack attributes start @off bytes into @nlh, if it says it has any. */
static void parse_ext_ack(struct xnl *x, const struct nlmsghdr *nlh, size_t off)
{
	struct nlattr *a;
	int rem;

	x->msg[0] = '\0';
	x->miss_type = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= nlh->nlmsg_len)
		return;
	a = (struct nlattr *)((char *)nlh + off);
	rem = nlh->nlmsg_len - off;
	for (; nla_ok(a, rem); a = nla_next(a, &rem)) {
		if (nla_type(a) == NLMSGERR_ATTR_MSG && nla_len(a) > 0)
			snprintf(x->msg, sizeof(x->msg), "%.*s", nla_len(a), (char *)nla_data(a));
		else if (nla_type(a) == NLMSGERR_ATTR_MISS_TYPE && nla_len(a) >= 4)
			x->miss_type = nla_get_u32(a);
	}
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	/* libnl hands us the payload only; the header with the flags is just before it. */
	const struct nlmsghdr *nlh = (const void *)((char *)e - NLMSG_HDRLEN);
	struct req *r = arg;
	size_t off = sizeof(*e);

	(void)nla;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= NLMSG_HDRLEN)
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	r->x->err = e->error < 0 ? -e->error : EPROTO;
	parse_ext_ack(r->x, nlh, NLMSG_HDRLEN + NLMSG_ALIGN(off));
	r->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

/* The end of a dump; a dump that failed half way says so here. */
static int on_finish(struct nl_msg *msg, void *arg)
{
	const struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct req *r = arg;
	int err;

	r->done = true;
	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0) {
			r->x->err = -err;
			parse_ext_ack(r->x, nlh, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int)));
		}
	}
	return NL_STOP;
}

static int on_intr(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	(void)msg;
	r->intr = true;
	return NL_OK;	/* keep reading: the dump must be drained before a retry */
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[XLOCK_A_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct req *r = arg;
	int ret;

	if (nlh->nlmsg_type != r->x->family) {
		/* Another family's message on a shared socket (nlctrl's notices). */
		if (r->x->other && r->x->other(nlh, r->arg) < 0) {
			r->done = true;
			return NL_STOP;
		}
		return NL_OK;
	}
	if (!r->fn)
		return NL_OK;
	if (genlmsg_parse(nlh, 0, tb, XLOCK_A_MAX, reply_policy)) {
		r->x->err = EPROTO;
		snprintf(r->x->msg, sizeof(r->x->msg), "malformed message from the kernel");
		r->done = true;
		return NL_STOP;
	}
	ret = r->fn(tb, nlh, r->arg);
	if (ret < 0) {
		r->x->err = -ret;
		r->x->msg[0] = '\0';
		r->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

static struct nl_cb *req_cb(struct xnl *x, struct req *r)
{
	struct nl_cb *cb = nl_cb_clone(nl_socket_get_cb(x->sk));

	if (!cb)
		xnl_oom();
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, r);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_intr, r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, r);
	return cb;
}

/*
 * A failure that is not an error message from the kernel: a system call's
 * errno (whose text says it all), or else libnl's own description.
 */
static int local_error(struct xnl *x, int nlerr)
{
	x->err = errno ? errno : EIO;
	if (!errno)
		snprintf(x->msg, sizeof(x->msg), "%s", nl_geterror(nlerr));
	return -x->err;
}

int xnl_request(struct xnl *x, struct nl_msg *msg, xnl_fn fn, void *arg, bool *intr)
{
	struct req r = { .x = x, .fn = fn, .arg = arg };
	struct nl_cb *cb = req_cb(x, &r);
	int ret;

	x->err = 0;
	x->msg[0] = '\0';
	x->miss_type = 0;
	errno = 0;
	ret = nl_send_auto(x->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		nl_cb_put(cb);
		return local_error(x, ret);
	}
	while (!r.done) {
		errno = 0;
		ret = nl_recvmsgs(x->sk, cb);
		if (ret < 0 && !x->err)
			local_error(x, ret);
		if (x->err)
			break;
	}
	nl_cb_put(cb);
	if (intr)
		*intr = r.intr;
	return -x->err;
}

int xnl_join(struct xnl *x, const char *group)
{
	int grp = genl_ctrl_resolve_grp(x->sk, XLOCK_GENL_NAME, group);
	int ret;

	if (grp < 0) {
		x->err = ENOENT;
		snprintf(x->msg, sizeof(x->msg), "the kernel has no group \"%s\"", group);
		return -ENOENT;
	}
	errno = 0;
	ret = nl_socket_add_membership(x->sk, grp);
	if (ret < 0)
		return local_error(x, ret);
	/* Room for bursts (a client cleared with thousands of entries); capped by rmem_max. */
	nl_socket_set_buffer_size(x->sk, 1 << 20, 0);
	/* One recvmsg() per event, not a peek for its size first. */
	nl_socket_disable_msg_peek(x->sk);
	nl_socket_set_msg_buf_size(x->sk, 65536);
	/* Events are not answers: they carry sequence number 0. */
	nl_socket_disable_seq_check(x->sk);
	return 0;
}

int xnl_recv(struct xnl *x, xnl_fn fn, void *arg)
{
	struct req r = { .x = x, .fn = fn, .arg = arg };
	int ret;

	/* One callback set for the socket's life: this runs once per event. */
	if (!x->recv_cb) {
		x->recv_req = malloc(sizeof(r));
		if (!x->recv_req)
			xnl_oom();
		x->recv_cb = req_cb(x, x->recv_req);
	}
	*(struct req *)x->recv_req = r;
	x->err = 0;
	x->msg[0] = '\0';
	errno = 0;
	ret = nl_recvmsgs(x->sk, x->recv_cb);
	if (ret < 0 && !x->err)
		local_error(x, ret);
	return -x->err;
}

int xnl_parse_nested(struct nlattr **tb, struct nlattr *nest)
{
	return nla_parse_nested(tb, XLOCK_A_MAX, nest, reply_policy) ? -EPROTO : 0;
}
