// SPDX-License-Identifier: GPL-2.0
/*
 * Counters of cross-protocol decisions and the INFO line each conflict
 * gets (working as designed, not an error), rate-limited.
 */
#include <linux/atomic.h>
#include <linux/dcache.h>
#include <linux/kernel.h>
#include <linux/path.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>

#include "stats.h"

static atomic64_t stats[__XLOCK_STAT_MAX];
static atomic64_t latency[XLOCK_LATENCY_BUCKETS];
static atomic64_t latency_sum_ns;	/* every break's own time, not a bucket's bound */
static const u32 bounds_ms[] = XLOCK_LATENCY_BOUNDS_MS;

void xlock_stat_inc(unsigned int stat)
{
	if (stat < ARRAY_SIZE(stats))
		atomic64_inc(&stats[stat]);
}

u64 xlock_stat_read(unsigned int stat)
{
	return stat < ARRAY_SIZE(stats) ? atomic64_read(&stats[stat]) : 0;
}

void xlock_stat_latency(u64 ns)
{
	u64 ms = div_u64(ns, NSEC_PER_MSEC);
	unsigned int i;

	BUILD_BUG_ON(ARRAY_SIZE(bounds_ms) + 1 != XLOCK_LATENCY_BUCKETS);
	for (i = 0; i < ARRAY_SIZE(bounds_ms) && ms > bounds_ms[i]; i++)
		;
	atomic64_inc(&latency[i]);
	atomic64_add(ns, &latency_sum_ns);
}

u64 xlock_stat_latency_sum_ns(void)
{
	return atomic64_read(&latency_sum_ns);
}

u64 xlock_stat_latency_bucket(unsigned int i)
{
	return i < ARRAY_SIZE(latency) ? atomic64_read(&latency[i]) : 0;
}

static DEFINE_RATELIMIT_STATE(note_rs, 5 * HZ, 20);

/* One INFO line about a conflict on @path (file name first; none if NULL), rate-limited. */
void xlock_conflict_note(const struct path *path, const char *fmt, ...)
{
	struct va_format vaf;
	char *buf = NULL;
	const char *name = "?";
	va_list args;

	if (!__ratelimit(&note_rs))
		return;
	if (path && path->dentry) {
		buf = kmalloc(PATH_MAX, GFP_KERNEL);
		if (buf) {
			name = d_path(path, buf, PATH_MAX);
			if (IS_ERR(name))
				name = "?";
		}
	}
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (path)
		pr_info("conflict on %s: %pV\n", name, &vaf);
	else
		pr_info("%pV\n", &vaf);
	va_end(args);
	kfree(buf);
}
