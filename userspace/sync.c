// SPDX-License-Identifier: GPL-2.0
/*
 * Keeping xlockd's store equal to the kernel's table: a full dump at start
 * and after lost events, then every grant, change and release as it comes.
 * Each change is queued for the journal; xlockd.c commits them in batches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/genl/genl.h>

#include "log.h"
#include "daemon.h"
#include "nlattr.h"
#include "reclaim.h"
#include "sync.h"

/* The owner's identity, as it will reclaim: NLM caller name, SMB client GUID, NFSv4 address. */
static void owner_id(struct nlattr **tb, uint8_t proto, char *out)
{
	const unsigned char *g;
	const char *c;
	int i;

	out[0] = '\0';
	if (proto == XLOCK_PROTO_SMB && tb[XLOCK_A_SMB_GUID]) {
		g = nla_data(tb[XLOCK_A_SMB_GUID]);
		for (i = 0; i < 16; i++)
			sprintf(out + 2 * i, "%02x", g[i]);
		return;
	}
	if (!tb[XLOCK_A_CLIENT])
		return;
	c = nla_data(tb[XLOCK_A_CLIENT]);
	if (!strncmp(c, "nlm:", 4))
		c += 4;
	else if (!strncmp(c, "nfs4:", 5))
		c += 5;
	snprintf(out, PENTRY_CLIENT_MAX + 1, "%.*s", nla_len(tb[XLOCK_A_CLIENT]), c);
}

/*
 * An entry as the kernel reports it, in a dump or an event: 0, or -1 for
 * what is not persisted (share modes and pending requests, which do not
 * outlive a restart; test entries unless asked to).
 */
static int entry_from(const struct xlockd *d, struct nlattr **tb, struct pentry *e)
{
	memset(e, 0, sizeof(*e));
	if (!tb[XLOCK_A_ENTRY_ID] || !tb[XLOCK_A_PROTO] || !tb[XLOCK_A_KIND])
		return -1;
	e->id = nla_get_u64(tb[XLOCK_A_ENTRY_ID]);
	e->proto = nla_get_u8(tb[XLOCK_A_PROTO]);
	e->kind = nla_get_u8(tb[XLOCK_A_KIND]);
	e->flags = xnl_u32(tb[XLOCK_A_FLAGS], 0);
	if (e->kind == XLOCK_KIND_SHARE || (e->flags & XLOCK_ENTRY_F_PENDING) ||
	    ((e->flags & XLOCK_ENTRY_F_TEST) && !d->with_test) || e->id >= KEPT_ID_BASE)
		return -1;
	/* A break in flight is not state: the reclaim asks for what it ends with. */
	e->flags &= XLOCK_ENTRY_F_TEST | XLOCK_ENTRY_F_TEARDOWN;
	if (e->kind == XLOCK_KIND_LEASE || e->kind == XLOCK_KIND_DELEG) {
		e->state = xnl_u8(tb[XLOCK_A_LEASE_STATE], 0);
		e->end = XLOCK_END_MAX;
		if (tb[XLOCK_A_SMB_LEASE_KEY])
			memcpy(e->lease_key, nla_data(tb[XLOCK_A_SMB_LEASE_KEY]), 16);
	} else {
		e->mode = xnl_u8(tb[XLOCK_A_MODE], 0);
		e->start = xnl_u64(tb[XLOCK_A_START], 0);
		e->end = xnl_u64(tb[XLOCK_A_END], 0);
	}
	if (e->proto == XLOCK_PROTO_NLM)
		e->svid = xnl_u32(tb[XLOCK_A_NLM_SVID], 0);
	owner_id(tb, e->proto, e->client);
	e->path = tb[XLOCK_A_PATH] ? nla_data(tb[XLOCK_A_PATH]) : "";
	return 0;
}

/* One more record in this batch; kernel ids go to the ack log. */
static void batch_note(struct xlockd *d, uint32_t id, bool released)
{
	if (!d->batch_n++)
		d->batch_first = now_s();
	d->records++;
	if (!d->ack || id >= KEPT_ID_BASE)
		return;
	if (d->batch_len == d->batch_cap) {
		d->batch_cap = d->batch_cap ? d->batch_cap * 2 : 4096;
		d->batch_ids = realloc(d->batch_ids, d->batch_cap * sizeof(*d->batch_ids));
		if (!d->batch_ids)
			die("out of memory");
	}
	d->batch_ids[d->batch_len++] = id | (released ? KEPT_ID_BASE : 0);
}

static struct store *store_for(struct xlockd *d, uint32_t id)
{
	return id >= KEPT_ID_BASE ? &d->kept : &d->st;
}

static void persist_put(struct xlockd *d, const struct pentry *e)
{
	struct store *st = store_for(d, e->id);

	if (store_put(st, e))
		die("out of memory for %zu entries", st->count);
	if (!d->need_snapshot)
		journal_add_entry(&d->j, store_get(st, e->id));
	batch_note(d, e->id, false);
}

static void persist_del(struct xlockd *d, uint32_t id)
{
	store_del(store_for(d, id), id);
	if (!d->need_snapshot)
		journal_add_release(&d->j, id);
	batch_note(d, id, true);
}

/* An owner holds again what a shutdown took from it: forget the kept copy. */
static void drop_kept_like(struct xlockd *d, const struct pentry *e)
{
	const struct pentry *k;
	uint32_t ids[64];
	size_t i = 0, n = 0;

	while ((k = store_next(&d->kept, &i)) && n < 64)
		if (pentry_same(k, e))
			ids[n++] = k->id;
	while (n--)
		persist_del(d, ids[n]);
}

/* The server dropped @id while shutting down: keep it, for its owner to reclaim. */
static void keep(struct xlockd *d, uint32_t id)
{
	struct pentry *p = store_get(&d->st, id), k;

	if (!p)
		return;
	k = *p;
	k.path = strdup(p->path);
	if (!k.path)
		die("out of memory");
	k.id = d->next_kept_id++;
	k.flags |= XLOCK_ENTRY_F_TEARDOWN;
	persist_del(d, id);
	persist_put(d, &k);
	free(k.path);
}

/* After loading: move the kept entries (ids of our own) to their store. */
void sync_split_kept(struct xlockd *d)
{
	const struct pentry *e;
	uint32_t *ids;
	size_t i = 0, n = 0;

	ids = malloc((d->st.count + 1) * sizeof(*ids));
	if (!ids)
		die("out of memory");
	while ((e = store_next(&d->st, &i))) {
		if (e->id < KEPT_ID_BASE)
			continue;
		if (store_put(&d->kept, e))
			die("out of memory");
		if (e->id >= d->next_kept_id)
			d->next_kept_id = e->id + 1;
		ids[n++] = e->id;
	}
	while (n--)
		store_del(&d->st, ids[n]);
	free(ids);
}

struct dump_ctx {
	struct xlockd *d;
	struct store *st;
};

static int on_dump(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg)
{
	struct dump_ctx *c = arg;
	struct pentry e;

	(void)nlh;
	if (entry_from(c->d, tb, &e))
		return 0;
	if (store_put(c->st, &e))
		die("out of memory for %zu entries", c->st->count);
	return 0;
}

/*
 * Replace the store's kernel entries by a dump of the table. Events since
 * the dump began are queued on the event socket and applied after it. The
 * dump goes to a store of its own: if it fails half-way, the store is
 * what it was (what the journal and the acks so far agree with), never a
 * half-filled one that a snapshot would then make durable.
 */
int sync_dump(struct xlockd *d)
{
	struct store fresh;
	struct dump_ctx c = { .d = d, .st = &fresh };
	int ret;

	store_init(&fresh);
	ret = xnl_request(&d->req, xnl_new(&d->req, XLOCK_CMD_GET_LOCKS, true), on_dump, &c,
			  NULL);
	if (ret) {
		log_err("reading the lock table: %s%s%s", strerror(-ret),
			d->req.msg[0] ? ": " : "", d->req.msg);
		store_free(&fresh);
		return ret;
	}
	store_free(&d->st);
	d->st = fresh;
	return 0;
}

int sync_on_event(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg)
{
	struct xlockd *d = arg;
	struct pentry e, *p;
	uint8_t ev;

	(void)nlh;
	if (!tb[XLOCK_A_EVENT])
		return 0;
	ev = nla_get_u8(tb[XLOCK_A_EVENT]);
	d->events++;
	switch (ev) {
	case XLOCK_EVENT_GRANT:
		if (entry_from(d, tb, &e))
			break;
		if (d->kept.count)
			drop_kept_like(d, &e);
		persist_put(d, &e);
		break;
	case XLOCK_EVENT_CHANGE:
		if (entry_from(d, tb, &e))
			break;
		p = store_get(&d->st, e.id);
		if (!p || (p->state == e.state && p->flags == e.flags))
			break;
		e.path = p->path;
		persist_put(d, &e);
		break;
	case XLOCK_EVENT_RELEASE:
		if (!tb[XLOCK_A_ENTRY_ID])
			break;
		e.id = nla_get_u64(tb[XLOCK_A_ENTRY_ID]);
		if (!store_get(&d->st, e.id))
			break;
		if (xnl_u32(tb[XLOCK_A_FLAGS], 0) & XLOCK_ENTRY_F_TEARDOWN)
			keep(d, e.id);
		else
			persist_del(d, e.id);
		break;
	case XLOCK_EVENT_GRACE_START:
		d->grace_state = XLOCK_GRACE_RUNNING;
		log_info("grace period started: %llu entries to reclaim",
			 (unsigned long long)xnl_u64(tb[XLOCK_A_NR_ENTRIES], 0));
		break;
	case XLOCK_EVENT_GRACE_END:
		d->grace_state = XLOCK_GRACE_OVER;
		reclaim_grace_ended(d, xnl_u64(tb[XLOCK_A_NR_ENTRIES], 0));
		break;
	}
	return 0;
}
