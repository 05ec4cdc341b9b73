// SPDX-License-Identifier: GPL-2.0
/*
 * Attribute helpers of nl.h: reading parsed attributes and putting them
 * into requests. Apart from nl.c's sockets so that a test can put a fake
 * module in nl.c's place (tests/host/xlockd_test.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlattr.h"

void xnl_oom(void)
{
	fprintf(stderr, "%s: out of memory\n", program_invocation_short_name);
	exit(1);
}

uint64_t xnl_u64(struct nlattr *a, uint64_t def)
{
	return a ? nla_get_u64(a) : def;
}

uint32_t xnl_u32(struct nlattr *a, uint32_t def)
{
	return a ? nla_get_u32(a) : def;
}

uint8_t xnl_u8(struct nlattr *a, uint8_t def)
{
	return a ? nla_get_u8(a) : def;
}

char *xnl_strdup(struct nlattr *a)
{
	char *s;

	if (!a)
		return NULL;
	/* Not trusting the terminating NUL: copy at most the attribute's length. */
	s = strndup(nla_data(a), nla_len(a));
	if (!s)
		xnl_oom();
	return s;
}

static void put_check(int ret)
{
	if (ret < 0) {
		fprintf(stderr, "%s: netlink request too large\n", program_invocation_short_name);
		exit(1);
	}
}

void xnl_put_u8(struct nl_msg *m, int type, uint8_t v)
{
	put_check(nla_put_u8(m, type, v));
}

void xnl_put_u32(struct nl_msg *m, int type, uint32_t v)
{
	put_check(nla_put_u32(m, type, v));
}

void xnl_put_u64(struct nl_msg *m, int type, uint64_t v)
{
	put_check(nla_put_u64(m, type, v));
}

void xnl_put_str(struct nl_msg *m, int type, const char *s)
{
	put_check(nla_put_string(m, type, s));
}

void xnl_put_bin(struct nl_msg *m, int type, const void *p, int len)
{
	put_check(nla_put(m, type, len, p));
}
