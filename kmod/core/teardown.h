/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Teardown: the entries a stopping server drops are marked as such (kept
 * for reclaim by xlockd), not released as a client's unlock. The task that
 * stops a server brackets it with begin/end; a server that stops on its own
 * (ksmbd's reset) is asked through the ops its edge registers.
 */
#ifndef _XLOCK_TEARDOWN_H
#define _XLOCK_TEARDOWN_H

#include <linux/types.h>

#include "../../include/uapi/linux/xlock.h"

void xlock_teardown_begin(u8 proto);
void xlock_teardown_end(u8 proto);
bool xlock_tearing_down(u8 proto);

/* Upward notification: an edge's own function (IBT-safe), or NULL. */
struct xlock_teardown_ops {
	bool (*stopping)(u8 proto);
};

void xlock_teardown_set_ops(const struct xlock_teardown_ops *ops);

#endif
