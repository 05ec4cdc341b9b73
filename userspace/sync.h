/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The store kept equal to the kernel's table: a dump at start and after lost
 * events, then one record per event (sync.c).
 */
#ifndef XLOCKD_SYNC_H
#define XLOCKD_SYNC_H

#include "daemon.h"

int sync_dump(struct xlockd *d);
int sync_on_event(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg);
void sync_split_kept(struct xlockd *d);

#endif
