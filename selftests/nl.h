/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A raw generic-netlink client for the selftests: it must be able to send
 * any bytes at all (the malformed-message tests), so no libnl here.
 */
#ifndef _XLOCK_SELFTEST_NL_H
#define _XLOCK_SELFTEST_NL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "../include/uapi/linux/xlock.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

struct nl {
	int fd;
	int family;
	int mcgrp_events;
	uint32_t seq;
	char extack[256];	/* message of the last error, if any */
	int dump_intr;		/* NLM_F_DUMP_INTR seen in the last dump */
	int batches;		/* recv() calls the last request needed */
};

struct msg {
	unsigned char buf[16384];
	size_t len;
};

/* Parsed attributes of one reply message. */
struct attrs {
	const struct nlattr *a[XLOCK_A_MAX + 1];
};

static inline struct nlmsghdr *msg_hdr(struct msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

static inline void msg_init_raw(struct msg *m, uint16_t type, uint16_t flags, uint8_t cmd)
{
	struct nlmsghdr *h = msg_hdr(m);
	struct genlmsghdr *g;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = XLOCK_GENL_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

static inline void msg_init(struct nl *nl, struct msg *m, uint8_t cmd, uint16_t flags)
{
	msg_init_raw(m, nl->family, flags, cmd);
}

static inline struct nlattr *attr_put(struct msg *m, uint16_t type, const void *data,
				      size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	m->len += NLA_HDRLEN + NLA_ALIGN(len);
	return a;
}

static inline void put_u8(struct msg *m, uint16_t t, uint8_t v) { attr_put(m, t, &v, 1); }
static inline void put_u32(struct msg *m, uint16_t t, uint32_t v) { attr_put(m, t, &v, 4); }
static inline void put_u64(struct msg *m, uint16_t t, uint64_t v) { attr_put(m, t, &v, 8); }
static inline void put_str(struct msg *m, uint16_t t, const char *s)
{
	attr_put(m, t, s, strlen(s) + 1);
}

static inline const struct nlattr *attr_next(const struct nlattr *a, int *rem)
{
	*rem -= NLA_ALIGN(a->nla_len);
	return (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
}

#define attr_for_each(a, head, len, rem) \
	for ((a) = (const struct nlattr *)(head), (rem) = (len); (rem) >= (int)NLA_HDRLEN && \
	     (a)->nla_len >= NLA_HDRLEN && (a)->nla_len <= (rem); (a) = attr_next((a), &(rem)))

static inline void attrs_parse(struct attrs *out, const void *data, int len)
{
	const struct nlattr *a;
	int rem;

	memset(out, 0, sizeof(*out));
	attr_for_each(a, data, len, rem)
		if ((a->nla_type & NLA_TYPE_MASK) <= XLOCK_A_MAX)
			out->a[a->nla_type & NLA_TYPE_MASK] = a;
}

static inline const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static inline uint64_t get_u64(const struct attrs *t, int type)
{
	uint64_t v = 0;

	if (t->a[type])
		memcpy(&v, attr_data(t->a[type]), 8);
	return v;
}

static inline uint32_t get_u32(const struct attrs *t, int type)
{
	uint32_t v = 0;

	if (t->a[type])
		memcpy(&v, attr_data(t->a[type]), 4);
	return v;
}

static inline uint8_t get_u8(const struct attrs *t, int type)
{
	return t->a[type] ? *(const uint8_t *)attr_data(t->a[type]) : 0;
}

static inline const char *get_str(const struct attrs *t, int type)
{
	return t->a[type] ? attr_data(t->a[type]) : NULL;
}

typedef void (*reply_fn)(const struct attrs *t, void *arg);

/* Extended ack: copy the error message of an NLMSG_ERROR, if it has one. */
static inline void extack_parse(struct nl *nl, const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = sizeof(*e);
	const struct nlattr *a;
	int rem;

	nl->extack[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (NLMSG_HDRLEN + off >= h->nlmsg_len)
		return;
	attr_for_each(a, (const char *)e + off, (int)(h->nlmsg_len - NLMSG_HDRLEN - off), rem)
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(nl->extack, sizeof(nl->extack), "%s", (const char *)attr_data(a));
}

/*
 * Send @len raw bytes and collect replies until the ack (or the end of a
 * dump). Returns 0 or the negative errno the kernel answered with.
 */
static inline int nl_xfer_raw(struct nl *nl, void *buf, size_t len, reply_fn fn, void *arg)
{
	static unsigned char rbuf[65536];
	struct nlmsghdr *h = buf;
	uint32_t seq = ++nl->seq;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (len >= NLMSG_HDRLEN)
		h->nlmsg_seq = seq;
	nl->extack[0] = '\0';
	nl->dump_intr = 0;
	nl->batches = 0;
	if (sendto(nl->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(nl->fd, rbuf, sizeof(rbuf), 0);
		struct nlmsghdr *r;
		int rem;

		if (n < 0)
			return -errno;
		nl->batches++;
		rem = n;
		for (r = (struct nlmsghdr *)rbuf; NLMSG_OK(r, rem); r = NLMSG_NEXT(r, rem)) {
			if (r->nlmsg_seq != seq)
				continue;
			if (r->nlmsg_flags & NLM_F_DUMP_INTR)
				nl->dump_intr = 1;
			if (r->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(r);

				extack_parse(nl, r);
				return e->error;
			}
			if (r->nlmsg_type == NLMSG_DONE)
				return 0;
			if (fn && r->nlmsg_len > NLMSG_HDRLEN + GENL_HDRLEN) {
				struct attrs t;

				attrs_parse(&t, (char *)NLMSG_DATA(r) + GENL_HDRLEN,
					    r->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
				fn(&t, arg);
			}
		}
	}
}

static inline int nl_xfer(struct nl *nl, struct msg *m, reply_fn fn, void *arg)
{
	msg_hdr(m)->nlmsg_len = m->len;
	return nl_xfer_raw(nl, m->buf, m->len, fn, arg);
}

static void family_reply(const struct attrs *t, void *arg)
{
	(void)t;
	(void)arg;
}

/* Resolve the "xlock" family and its event group through nlctrl. */
static inline int nl_open(struct nl *nl)
{
	static unsigned char rbuf[8192];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, rem;
	struct msg m;
	struct nlmsghdr *r;
	ssize_t n;

	(void)family_reply;
	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0 || bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	msg_init_raw(&m, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
	((struct genlmsghdr *)(m.buf + NLMSG_HDRLEN))->version = 1;
	attr_put(&m, CTRL_ATTR_FAMILY_NAME, XLOCK_GENL_NAME, sizeof(XLOCK_GENL_NAME));
	msg_hdr(&m)->nlmsg_len = m.len;
	msg_hdr(&m)->nlmsg_flags = NLM_F_REQUEST;
	if (send(nl->fd, m.buf, m.len, 0) < 0)
		return -errno;
	n = recv(nl->fd, rbuf, sizeof(rbuf), 0);
	if (n < 0)
		return -errno;
	rem = n;
	for (r = (struct nlmsghdr *)rbuf; NLMSG_OK(r, rem); r = NLMSG_NEXT(r, rem)) {
		const struct nlattr *a, *g, *ga;
		int arem, grem, garem;

		if (r->nlmsg_type == NLMSG_ERROR)
			return ((struct nlmsgerr *)NLMSG_DATA(r))->error;
		attr_for_each(a, (char *)NLMSG_DATA(r) + GENL_HDRLEN,
			      (int)(r->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN), arem) {
			if (a->nla_type == CTRL_ATTR_FAMILY_ID)
				nl->family = *(const uint16_t *)attr_data(a);
			if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
				continue;
			attr_for_each(g, attr_data(a), (int)(a->nla_len - NLA_HDRLEN), grem) {
				uint32_t id = 0;
				const char *name = NULL;

				attr_for_each(ga, attr_data(g), (int)(g->nla_len - NLA_HDRLEN), garem) {
					if (ga->nla_type == CTRL_ATTR_MCAST_GRP_ID)
						id = *(const uint32_t *)attr_data(ga);
					if (ga->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
						name = attr_data(ga);
				}
				if (name && !strcmp(name, XLOCK_GENL_MCGRP_EVENTS))
					nl->mcgrp_events = id;
			}
		}
	}
	return nl->family ? 0 : -ENOENT;
}

#endif
