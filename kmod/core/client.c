// SPDX-License-Identifier: GPL-2.0
/*
 * Clients: who owns entries. One per (protocol, identity): an NLM client by
 * its caller name in its network namespace, an SMB client by its client
 * GUID. Entries hold a reference; a client disappears with its last entry.
 */
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/lockd/lockd.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>

#include "client.h"

static struct rhashtable clients;
static atomic64_t nr_clients;

static const struct rhashtable_params client_params = {
	.key_len = sizeof(struct xlock_client_key),
	.key_offset = offsetof(struct xlock_client, key),
	.head_offset = offsetof(struct xlock_client, node),
	.automatic_shrinking = true,
};

/* A client address as people write it: IPv4-mapped IPv6 shown as IPv4. */
void xlock_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET6 && ipv6_addr_v4mapped(&sin6->sin6_addr))
		snprintf(buf, len, "%pI4", &sin6->sin6_addr.s6_addr32[3]);
	else
		snprintf(buf, len, "%pISc", sa);
}

u64 xlock_clients_count(void)
{
	return atomic64_read(&nr_clients);
}

static void client_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct xlock_client, rcu));
}

void xlock_client_put(struct xlock_client *c)
{
	if (!refcount_dec_and_test(&c->ref))
		return;
	rhashtable_remove_fast(&clients, &c->node, client_params);
	atomic64_dec(&nr_clients);
	call_rcu(&c->rcu, client_free_rcu);
}

static struct xlock_client *lookup(const struct xlock_client_key *key)
{
	struct xlock_client *c;

	rcu_read_lock();
	c = rhashtable_lookup(&clients, key, client_params);
	if (c && !refcount_inc_not_zero(&c->ref))
		c = NULL;
	rcu_read_unlock();
	return c;
}

/*
 * An NLM client's id in @net (into @id, @len bytes) and the key's net
 * cookie. In init_net the id is the caller name, as it always was (what
 * xlockd persists and reclaims match); in another namespace the same name
 * is another client (lockd's hosts are per namespace), shown and persisted
 * as "name@net:<inode number of the namespace>" (as lsns shows it).
 */
u64 xlock_nlm_client_id(const struct net *net, const char *name, char *id, size_t len)
{
	if (net_eq(net, &init_net)) {
		strscpy(id, name, len);
		return 0;
	}
	/* The name is cut, never the namespace: "@net:" and 10 digits. */
	snprintf(id, len, "%.*s@net:%u", (int)(len > 16 ? len - 16 : 0), name,
		 net->ns.inum);
	return net->net_cookie;
}

/*
 * The table's client for lockd's @host: its caller name in its namespace
 * (m); created if @create, else NULL when there is none. Its address is
 * formatted only to create it: every NLM lock and unlock looks it up.
 */
struct xlock_client *xlock_nlm_host_client(const struct nlm_host *host, bool create)
{
	char addr[48], id[XLOCK_NAME_MAX - 1];
	struct xlock_client *c;
	u64 net;

	net = xlock_nlm_client_id(host->net, host->h_name, id, sizeof(id));
	c = xlock_client_lookup(XLOCK_PROTO_NLM, net, id);
	if (c || !create)
		return c;
	xlock_addr_str((const struct sockaddr *)&host->h_addr, addr, sizeof(addr));
	return xlock_client_get_net(XLOCK_PROTO_NLM, net, id, addr, NULL);
}

/* The client (@proto, @net, @id) if it exists, with a reference. */
struct xlock_client *xlock_client_lookup(u8 proto, u64 net, const char *id)
{
	struct xlock_client_key key = { .net = net, .proto = proto };

	strscpy(key.id, id, sizeof(key.id));
	return lookup(&key);
}

/* The client (@proto, @id) of init_net (NLM) or of no namespace (SMB). */
struct xlock_client *xlock_client_get(u8 proto, const char *id, const char *addr,
				      const u8 *guid)
{
	return xlock_client_get_net(proto, 0, id, addr, guid);
}

/*
 * The client (@proto, @net, @id), created if new; @addr and @guid (may be
 * NULL) describe where it first connected from and are fixed from then on,
 * so that readers never see them change.
 */
struct xlock_client *xlock_client_get_net(u8 proto, u64 net, const char *id,
					  const char *addr, const u8 *guid)
{
	struct xlock_client_key key = { .net = net, .proto = proto };
	struct xlock_client *c, *old;

	strscpy(key.id, id, sizeof(key.id));
	for (;;) {
		c = lookup(&key);
		if (c)
			break;
		c = kzalloc(sizeof(*c), GFP_KERNEL);
		if (!c)
			return ERR_PTR(-ENOMEM);
		c->key = key;
		refcount_set(&c->ref, 1);
		if (addr)
			strscpy(c->addr, addr, sizeof(c->addr));
		if (guid)
			memcpy(c->guid, guid, sizeof(c->guid));
		if (proto == XLOCK_PROTO_SMB)
			snprintf(c->display, sizeof(c->display), "smb:%s",
				 c->addr[0] ? c->addr : c->key.id);
		else if (proto == XLOCK_PROTO_NFS4)
			snprintf(c->display, sizeof(c->display), "nfs4:%s", c->key.id);
		else
			snprintf(c->display, sizeof(c->display), "nlm:%s", c->key.id);
		rcu_read_lock();
		old = rhashtable_lookup_get_insert_fast(&clients, &c->node, client_params);
		rcu_read_unlock();
		if (!old) {
			atomic64_inc(&nr_clients);
			break;
		}
		kfree(c);
		if (IS_ERR(old))
			return ERR_CAST(old);
		cond_resched();
	}
	return c;
}

/*
 * The client shown as @name ("nlm:host", "smb:10.0.0.1"), or named by its
 * protocol and identity ("smb:<client GUID>"); a bare NLM caller name also
 * works (lockd knows clients by it).
 */
struct xlock_client *xlock_client_find(const char *name)
{
	struct xlock_client_key key = {};
	struct rhashtable_iter iter;
	struct xlock_client *c, *found = NULL;

	if (!strncmp(name, "nlm:", 4) || !strncmp(name, "smb:", 4)) {
		key.proto = name[0] == 'n' ? XLOCK_PROTO_NLM : XLOCK_PROTO_SMB;
		strscpy(key.id, name + 4, sizeof(key.id));
	} else {
		key.proto = XLOCK_PROTO_NLM;
		strscpy(key.id, name, sizeof(key.id));
	}
	found = lookup(&key);
	if (found)
		return found;

	rhashtable_walk_enter(&clients, &iter);
	rhashtable_walk_start(&iter);
	while ((c = rhashtable_walk_next(&iter))) {
		if (IS_ERR(c))
			continue;
		if (!strcmp(c->display, name) && refcount_inc_not_zero(&c->ref)) {
			found = c;
			break;
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	return found;
}

int xlock_clients_init(void)
{
	/* No hole in the key: it is hashed and compared as raw bytes. */
	BUILD_BUG_ON(offsetof(struct xlock_client_key, id) != sizeof(u64) + 1 ||
		     sizeof(struct xlock_client_key) != sizeof(u64) + XLOCK_NAME_MAX);
	return rhashtable_init(&clients, &client_params);
}

void xlock_clients_exit(void)
{
	rhashtable_destroy(&clients);
}
