/* SPDX-License-Identifier: GPL-2.0 */
/* The clients that own entries: NLM hosts, SMB clients (client.c). */
#ifndef _XLOCK_CLIENT_H
#define _XLOCK_CLIENT_H

#include <linux/rhashtable-types.h>
#include <linux/refcount.h>
#include <linux/socket.h>
#include <linux/types.h>

struct net;
struct nlm_host;

#include "rules.h"

/*
 * Compared as raw bytes by the client hash table: keep it zero-padded (no
 * hole between the fields). An NLM client is its caller name in one
 * network namespace: lockd keeps each namespace's hosts apart (m).
 */
struct xlock_client_key {
	u64 net;			/* NLM: the namespace's cookie, 0 for init_net */
	u8 proto;
	char id[XLOCK_NAME_MAX - 1];	/* NLM client id (below), SMB client GUID (hex) */
};

struct xlock_client {
	struct rhash_head node;
	struct xlock_client_key key;
	refcount_t ref;
	char display[XLOCK_NAME_MAX + 8]; /* "nlm:<name>" or "smb:<address>" */
	char addr[48];
	u8 guid[16];
	atomic_t nr_entries;
	atomic_t nr_admitted;		/* slots of requests decided, not yet recorded */
	struct rcu_head rcu;
};

struct xlock_client *xlock_client_get(u8 proto, const char *id, const char *addr,
				      const u8 *guid);
struct xlock_client *xlock_client_get_net(u8 proto, u64 net, const char *id,
					  const char *addr, const u8 *guid);
void xlock_client_put(struct xlock_client *c);
struct xlock_client *xlock_client_find(const char *name);
struct xlock_client *xlock_client_lookup(u8 proto, u64 net, const char *id);
u64 xlock_nlm_client_id(const struct net *net, const char *name, char *id, size_t len);
struct xlock_client *xlock_nlm_host_client(const struct nlm_host *host, bool create);
u64 xlock_clients_count(void);
void xlock_addr_str(const struct sockaddr *sa, char *buf, size_t len);
int xlock_clients_init(void);
void xlock_clients_exit(void);

#endif
