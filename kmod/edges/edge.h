/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An edge is xlock's attachment to one protocol module (lockd, nfsd, ksmbd):
 * its hooks, attached while that module is live and detached before it goes.
 */
#ifndef _XLOCK_EDGE_H
#define _XLOCK_EDGE_H

#include "../../include/uapi/linux/xlock.h"
#include "hook.h"

/*
 * States (uapi enum xlock_edge_state): ABSENT, the module is not loaded;
 * ACTIVE, hooks attached; REFUSED, loaded but we cannot attach safely.
 */

struct xlock_edge;

/*
 * What an edge does around its hooks, called by edge.c: downward calls
 * would be upward here, so each edge hands in an ops struct of its own
 * functions (their address is taken, so they keep ENDBR: IBT-safe).
 * @attached: hooks are live; nonzero refuses the edge (e->reason says why).
 * @detaching: before unhooking: what goes with the module is teardown.
 * @unhooked: hooks off, before waiting for tasks inside the wrappers.
 */
struct xlock_edge_ops {
	int (*attached)(struct xlock_edge *e);
	void (*detaching)(struct xlock_edge *e);
	void (*unhooked)(struct xlock_edge *e);
};

struct xlock_edge {
	const char *module;
	const struct xlock_edge_ops *ops;
	struct xlock_hookset hs;
	u32 btf_crc;		/* CRC32 of the .BTF we were built against */
	const char *btf_err;	/* build-time refusal, NULL if none */

	enum xlock_edge_state state;
	struct module *mod;		/* while active (detached before it goes) */
	char reason[192];
};

/* Attach @list's edges now and whenever their modules come (in this order). */
int xlock_edges_init(struct xlock_edge *const *list, unsigned int n);
void xlock_edges_exit(void);
bool xlock_edge_active(const struct xlock_edge *e);
bool xlock_edge_get(struct xlock_edge *e);
void xlock_edge_put(struct xlock_edge *e);
unsigned int xlock_edges_count(void);
const struct xlock_edge *xlock_edge_at(unsigned int i);

#endif
