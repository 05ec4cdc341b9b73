// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoints (kmod/core/xlock_trace.h) and the keyed hash that stands for
 * a client in them.
 */
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/string.h>

#include "trace.h"

#define CREATE_TRACE_POINTS
#include "xlock_trace.h"

static siphash_key_t trace_key __read_mostly;

void xlock_trace_init(void)
{
	get_random_bytes(&trace_key, sizeof(trace_key));
}

u32 xlock_trace_hash(const char *client)
{
	if (!client)
		return 0;
	return (u32)siphash(client, strlen(client), &trace_key);
}
