/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An edge is xlock's attachment to one protocol module (lockd, nfsd, ksmbd):
 * its hooks, attached while that module is live and detached before it goes.
 */
#ifndef _XLOCK_EDGE_H
#define _XLOCK_EDGE_H

#include "../include/uapi/linux/xlock.h"
#include "hook.h"

/*
 * States (uapi enum xlock_edge_state): ABSENT, the module is not loaded;
 * ACTIVE, hooks attached; REFUSED, loaded but we cannot attach safely.
 */

struct xlock_edge {
	const char *module;
	struct xlock_hookset hs;
	u32 btf_crc;		/* CRC32 of the .BTF we were built against */
	const char *btf_err;	/* build-time refusal, NULL if none */

	enum xlock_edge_state state;
	struct module *mod;		/* while active (detached before it goes) */
	char reason[192];
};

extern struct xlock_edge xlock_edge_lockd;
extern struct xlock_edge xlock_edge_nfsd;
extern struct xlock_edge xlock_edge_ksmbd;

int xlock_edges_init(void);
void xlock_edges_exit(void);
bool xlock_edge_active(const struct xlock_edge *e);
bool xlock_edge_get(struct xlock_edge *e);
void xlock_edge_put(struct xlock_edge *e);
unsigned int xlock_edges_count(void);
const struct xlock_edge *xlock_edge_at(unsigned int i);

/* Is @proto's server shutting down (its entries go, but may be reclaimed)? */
void xlock_teardown_begin(u8 proto);
void xlock_teardown_end(u8 proto);
bool xlock_tearing_down(u8 proto);

#endif
