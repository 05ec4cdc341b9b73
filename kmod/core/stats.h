/* SPDX-License-Identifier: GPL-2.0 */
/* Counters of cross-protocol decisions, and their log lines. */
#ifndef _XLOCK_STATS_H
#define _XLOCK_STATS_H

#include <linux/types.h>

#include "../../include/uapi/linux/xlock.h"

struct path;

void xlock_stat_inc(unsigned int stat);
u64 xlock_stat_read(unsigned int stat);
void xlock_stat_latency(u64 ns);
u64 xlock_stat_latency_bucket(unsigned int i);
u64 xlock_stat_latency_sum_ns(void);

__printf(2, 3)
void xlock_conflict_note(const struct path *path, const char *fmt, ...);

#endif
