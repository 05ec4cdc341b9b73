/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Persisted state turned into a reclaim set and a grace period after a
 * restart (reclaim.c).
 */
#ifndef XLOCKD_RECLAIM_H
#define XLOCKD_RECLAIM_H

#include "daemon.h"

void reclaim_after_restart(struct xlockd *d);
void reclaim_resume(struct xlockd *d);
void reclaim_grace_ended(struct xlockd *d, uint64_t unclaimed);

#endif
