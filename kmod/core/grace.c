// SPDX-License-Identifier: GPL-2.0
/*
 * One grace period for NLM and SMB, and the reclaim set it verifies.
 *
 * After a restart xlockd loads what it persisted (the reclaim set) and
 * starts the grace period. xlock registers its own lock_manager with the
 * kernel's grace manager, so lockd and nfsd stay in grace as long as xlock
 * is: they hold back every non-reclaim lock themselves. xlock checks each
 * reclaim, NLM and SMB, against the set and refuses those that match
 * nothing, and keeps SMB requests off what is not reclaimed yet. Grace
 * ends after its time, when everything was reclaimed, or when the admin
 * ends it; what was not reclaimed is then forgotten. Its time being up or
 * everything reclaimed ends it only once no other server's grace that it
 * waits for is still running (nfsd's NFSv4 grace: one window for all).
 *
 * The set is loaded in chunks (one per RECLAIM_ADD message) and hashed by
 * file, so a million entries load in one allocation per thousand and a
 * reclaim only looks at its own file's.
 */
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "grace.h"
#include "stats.h"
#include "table.h"
#include "xlock_trace.h"

#define MAX_RECLAIMS	BIT(22)
#define MAX_CLIENTS	4096
#define HASH_BITS	16

struct reclaim {
	struct hlist_node node;
	struct xlock_fkey key;
	u64 start, end;
	u32 svid;
	u16 client;			/* index into clients[] */
	u8 proto, kind, mode, state;
	bool reclaimed;
	u8 lease_key[16];
};

struct chunk {
	struct list_head node;
	unsigned int n;
	struct reclaim r[];
};

static DEFINE_SPINLOCK(grace_lock);	/* everything below */
static struct hlist_head *buckets;
static LIST_HEAD(chunks);
static struct xlock_grace_client *clients;
static unsigned int nr_clients, nr_reclaims, nr_reclaimed;
static unsigned int nr_held;		/* matched reclaims lockd has not answered */
static u8 grace_state;			/* enum xlock_grace_state */
static unsigned long grace_ends;	/* jiffies */

static DEFINE_MUTEX(grace_mutex);	/* start/end, and the grace manager */
static struct lock_manager xlock_lm = {
	.list = LIST_HEAD_INIT(xlock_lm.list),
	.block_opens = true,
};

static void grace_end_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(grace_work, grace_end_fn);

/* A server's own grace that xlock's waits out (nfsd's NFSv4), if any. */
static const struct xlock_grace_wait_ops *grace_wait;
static bool grace_waiting;

void xlock_grace_set_wait(const struct xlock_grace_wait_ops *ops)
{
	WRITE_ONCE(grace_wait, ops);
}

/* grace.c's indirect calls: through the registered ops (check-ibt.sh). */
static noinline bool ops_grace_pending(const struct xlock_grace_wait_ops *ops)
{
	return ops->pending();
}

/* Who hears that a grace period started or ended (netlink), if anyone yet. */
static const struct xlock_grace_events *grace_events;

void xlock_grace_set_events(const struct xlock_grace_events *ev)
{
	WRITE_ONCE(grace_events, ev);
}

static noinline void ops_grace_event(const struct xlock_grace_events *ops, u8 event, u64 n)
{
	ops->grace(event, n);
}

static void grace_event(u8 event, u64 n)
{
	const struct xlock_grace_events *ops = READ_ONCE(grace_events);

	if (ops)
		ops_grace_event(ops, event, n);
}

u64 xlock_instance;

bool xlock_grace_active(void)
{
	return READ_ONCE(grace_state) == XLOCK_GRACE_RUNNING;
}

static struct hlist_head *bucket(const struct xlock_fkey *key)
{
	return &buckets[hash_64(key->dev ^ key->ino * GOLDEN_RATIO_64, HASH_BITS)];
}

static int client_index(const char *name, bool add)
{
	unsigned int i;

	lockdep_assert_held(&grace_lock);
	for (i = 0; i < nr_clients; i++)
		if (!strcmp(clients[i].client, name))
			return i;
	if (!add || nr_clients == MAX_CLIENTS)
		return -1;
	strscpy(clients[i].client, name, sizeof(clients[i].client));
	clients[i].total = 0;
	clients[i].reclaimed = 0;
	return nr_clients++;
}

/*
 * Add @n persisted entries of @client on @path to the reclaim set (before
 * grace starts); the records were checked by the caller.
 */
int xlock_reclaim_add(const struct path *path, const char *client,
		      const struct xlock_reclaim_rec *recs, unsigned int n,
		      unsigned int *total, const char **why)
{
	struct xlock_fkey key;
	struct chunk *c;
	unsigned int i;
	int ci, ret = 0;

	xlock_fkey_of_inode(d_inode(path->dentry), &key);
	c = kvzalloc(struct_size(c, r, n), GFP_KERNEL);
	if (!c) {
		*why = "out of memory";
		return -ENOMEM;
	}
	c->n = n;
	spin_lock(&grace_lock);
	ci = client_index(client, true);
	if (grace_state == XLOCK_GRACE_RUNNING) {
		*why = "grace has started: the reclaim set is closed";
		ret = -EBUSY;
	} else if (nr_reclaims + n > MAX_RECLAIMS) {
		*why = "the reclaim set is full";
		ret = -ENOSPC;
	} else if (ci < 0) {
		*why = "too many clients in the reclaim set";
		ret = -ENOSPC;
	}
	if (ret) {
		spin_unlock(&grace_lock);
		kvfree(c);
		return ret;
	}
	for (i = 0; i < n; i++) {
		struct reclaim *r = &c->r[i];

		r->key = key;
		r->client = ci;
		r->proto = recs[i].proto;
		r->kind = recs[i].kind;
		r->mode = recs[i].mode;
		r->state = recs[i].state;
		r->start = recs[i].start;
		r->end = recs[i].end;
		r->svid = recs[i].svid;
		memcpy(r->lease_key, recs[i].lease_key, sizeof(r->lease_key));
		hlist_add_head(&r->node, bucket(&key));
	}
	list_add_tail(&c->node, &chunks);
	clients[ci].total += n;
	nr_reclaims += n;
	*total = nr_reclaims;
	spin_unlock(&grace_lock);
	return 0;
}

/* Forget the set; returns how many of its entries were not reclaimed. */
static unsigned int drop_set(void)
{
	struct chunk *c, *tmp;
	unsigned int left;
	LIST_HEAD(gone);

	spin_lock(&grace_lock);
	list_splice_init(&chunks, &gone);
	memset(buckets, 0, sizeof(*buckets) << HASH_BITS);
	left = nr_reclaims - nr_reclaimed;
	nr_reclaims = 0;
	nr_reclaimed = 0;
	nr_clients = 0;
	spin_unlock(&grace_lock);
	list_for_each_entry_safe(c, tmp, &gone, node)
		kvfree(c);
	return left;
}

int xlock_grace_start(unsigned int secs, const char **why)
{
	unsigned int n;

	mutex_lock(&grace_mutex);
	if (xlock_grace_active()) {
		mutex_unlock(&grace_mutex);
		*why = "grace is already running";
		return -EALREADY;
	}
	locks_start_grace(&init_net, &xlock_lm);
	spin_lock(&grace_lock);
	WRITE_ONCE(grace_state, XLOCK_GRACE_RUNNING);
	WRITE_ONCE(grace_waiting, false);
	grace_ends = jiffies + secs * HZ;
	n = nr_reclaims;
	spin_unlock(&grace_lock);
	/* An empty set is reclaimed at once. */
	mod_delayed_work(system_wq, &grace_work, n ? secs * HZ : 0);
	mutex_unlock(&grace_mutex);
	trace_xlock_grace_start(secs, n, n);
	pr_info("grace period started: %u s, %u entries to reclaim\n", secs, n);
	grace_event(XLOCK_EVENT_GRACE_START, n);
	return 0;
}

/*
 * End grace now (@why for the log): returns how many entries went
 * unclaimed. Without grace, drops a set loaded but never started;
 * -ENOENT if there is none.
 */
int xlock_grace_end(const char *why)
{
	unsigned int left, total;
	bool was;

	mutex_lock(&grace_mutex);
	was = xlock_grace_active();
	if (!was && !READ_ONCE(nr_reclaims)) {
		mutex_unlock(&grace_mutex);
		return -ENOENT;
	}
	if (was) {
		WRITE_ONCE(grace_state, XLOCK_GRACE_OVER);
		locks_end_grace(&xlock_lm);
	}
	total = READ_ONCE(nr_reclaims);
	left = drop_set();
	mutex_unlock(&grace_mutex);
	cancel_delayed_work(&grace_work);
	if (!was) {
		pr_info("reclaim set of %u entries dropped before grace started\n", left);
		return left;
	}
	trace_xlock_grace_end(0, total, left);
	pr_info("grace period ended (%s): %u entries not reclaimed, forgotten\n", why, left);
	grace_event(XLOCK_EVENT_GRACE_END, left);
	return left;
}

/*
 * Time is up or everything was reclaimed. While nfsd's NFSv4 clients may
 * still reclaim on nfsd's own clock, grace goes on (and so do the SMB and
 * NLM reclaims it takes) until nfsd tries to end its grace, which xlock
 * holds until this end (edges/nfsd4_grace.c): one window, the longer.
 */
static void grace_end_fn(struct work_struct *w)
{
	const struct xlock_grace_wait_ops *ops = READ_ONCE(grace_wait);

	if (!xlock_grace_active())
		return;
	if (ops && ops_grace_pending(ops)) {
		if (!xchg(&grace_waiting, true))
			pr_info("grace period goes on while nfsd's NFSv4 grace runs\n");
		schedule_delayed_work(&grace_work, HZ);
		return;
	}
	xlock_grace_end(READ_ONCE(nr_reclaimed) == READ_ONCE(nr_reclaims) ?
			"everything reclaimed" : "time is up");
}

static bool same_owner(const struct reclaim *r, const struct xlock_reclaim_desc *d)
{
	if (r->proto != d->proto || r->kind != d->kind)
		return false;
	if (d->kind == XLOCK_KIND_LEASE)
		return !memcmp(r->lease_key, d->lease_key, sizeof(d->lease_key));
	if (d->kind == XLOCK_KIND_DELEG)
		return true;	/* nfsd gives a client one per file */
	if (r->start != d->start || r->end != d->end || r->mode != d->mode)
		return false;
	return d->proto != XLOCK_PROTO_NLM || r->svid == d->svid;
}

/* Everything reclaimed and answered: grace may end now. */
static bool all_reclaimed(void)
{
	lockdep_assert_held(&grace_lock);
	return grace_state == XLOCK_GRACE_RUNNING && nr_reclaimed == nr_reclaims && !nr_held;
}

static int reclaim_match(const struct xlock_fkey *key, struct xlock_reclaim_desc *d, bool hold)
{
	struct reclaim *r, *found = NULL;
	bool all = false;
	int ci;

	spin_lock(&grace_lock);
	ci = client_index(d->client, false);
	hlist_for_each_entry(r, bucket(key), node) {
		if (r->client != ci || memcmp(&r->key, key, sizeof(*key)) || !same_owner(r, d))
			continue;
		found = r;
		if (!r->reclaimed)
			break;
	}
	if (found) {
		d->state = found->state;
		nr_held += hold;
	}
	if (found && !found->reclaimed) {
		found->reclaimed = true;
		clients[ci].reclaimed++;
		nr_reclaimed++;
		all = all_reclaimed();
	}
	spin_unlock(&grace_lock);
	if (all)
		mod_delayed_work(system_wq, &grace_work, 0);
	trace_xlock_reclaim(key, d->proto, d->kind, d->client, found ? 0 : -ENOENT);
	if (!found)
		return -ENOENT;
	xlock_stat_inc(XLOCK_STAT_RECLAIMED);
	return 0;
}

/*
 * Is @d, on the file @key, a reclaim of something persisted? Marks it
 * reclaimed, sets d->state to the persisted lease state and returns 0, or
 * -ENOENT. Only meaningful in grace. Grace ends once all are reclaimed.
 */
int xlock_reclaim_match(const struct xlock_fkey *key, struct xlock_reclaim_desc *d)
{
	return reclaim_match(key, d, false);
}

/*
 * As xlock_reclaim_match(), for a server that checks the grace period
 * itself after the match (lockd refuses a reclaim out of grace): grace
 * does not end before xlock_reclaim_done() says the server answered.
 * Ending it at the match let the last NLM reclaim be refused.
 */
int xlock_reclaim_match_held(const struct xlock_fkey *key, struct xlock_reclaim_desc *d)
{
	return reclaim_match(key, d, true);
}

/* The server answered a reclaim that xlock_reclaim_match_held() matched. */
void xlock_reclaim_done(void)
{
	bool all;

	spin_lock(&grace_lock);
	if (!WARN_ON_ONCE(!nr_held))
		nr_held--;
	all = all_reclaimed();
	spin_unlock(&grace_lock);
	if (all)
		mod_delayed_work(system_wq, &grace_work, 0);
}

/*
 * One batch of not yet reclaimed entries decides @req into @v; a reduced
 * lease state narrows *@state. True once the batches' verdict is a refusal.
 */
static bool grace_batch(const struct xlock_rule_req *req, const struct xlock_rule_entry *head,
			struct xlock_verdict *v, bool *reduced, u8 *state)
{
	xlock_rules_decide(req, head, v);
	if (v->kind == XLOCK_V_REDUCED) {
		*state = *reduced ? *state & v->state : v->state;
		*reduced = true;
		return false;
	}
	return v->kind != XLOCK_V_GRANT;
}

/*
 * A not yet reclaimed entry @r as the rules see it for @req into @e; false
 * if it does not count. No server knows them during grace, SMB's own
 * included, so the rules see them as NFS-side state: a lock as an NLM
 * lock, a write-caching lease (for a lease request only) as a shared lock
 * of the whole file, and an NFSv4 delegation (for an SMB open only, as
 * opens are the requests a delegation is recalled for) as the open its
 * client may hold under it: for write denying all else, or for read
 * denying write.
 */
static bool grace_entry(const struct reclaim *r, const struct xlock_rule_req *req,
			struct xlock_rule_entry *e)
{
	*e = (struct xlock_rule_entry){
		.proto = XLOCK_PROTO_NLM, .kind = XLOCK_KIND_LOCK, .mode = r->mode,
		.start = r->start, .end = r->end, .brk_to = XLOCK_NO_BREAK,
	};
	if (r->kind == XLOCK_KIND_DELEG) {
		if (req->op != XLOCK_OP_SMB_OPEN)
			return false;
		e->proto = XLOCK_PROTO_NFS4;
		e->kind = XLOCK_KIND_SHARE;
		e->mode = XLOCK_SHARE_READ;
		e->state = XLOCK_SHARE_READ | XLOCK_SHARE_DELETE;
		if (r->state & XLOCK_LEASE_W) {
			e->mode |= XLOCK_SHARE_WRITE;
			e->state = 0;
		}
		return true;
	}
	if (req->op == XLOCK_OP_SMB_OPEN)
		return false;
	if (r->kind == XLOCK_KIND_LEASE) {
		if (req->op != XLOCK_OP_SMB_LEASE || !(r->state & XLOCK_LEASE_W))
			return false;
		e->mode = XLOCK_MODE_SHARED;
	}
	return true;
}

/*
 * What the not yet reclaimed entries of @key (other than @client's) say
 * about @req, each as grace_entry() has it. They are decided in batches
 * (under the spinlock, on the stack): every one counts.
 */
void xlock_grace_decide(const struct xlock_fkey *key, const struct xlock_rule_req *req,
			const char *client, struct xlock_verdict *v)
{
	struct xlock_rule_entry few[8], *head = NULL;
	bool reduced = false;
	unsigned int n = 0;
	struct reclaim *r;
	u8 state = 0;
	int ci;

	spin_lock(&grace_lock);
	ci = client_index(client, false);
	hlist_for_each_entry(r, bucket(key), node) {
		if (r->reclaimed || r->client == ci || memcmp(&r->key, key, sizeof(*key)) ||
		    !grace_entry(r, req, &few[n]))
			continue;
		few[n].next = head;
		head = &few[n++];
		if (n < ARRAY_SIZE(few))
			continue;
		if (grace_batch(req, head, v, &reduced, &state))
			goto out;
		head = NULL;
		n = 0;
	}
	if (grace_batch(req, head, v, &reduced, &state))
		goto out;
	if (reduced) {
		v->kind = XLOCK_V_REDUCED;
		v->state = state;
	}
out:
	v->holder = NULL;
	spin_unlock(&grace_lock);
	trace_xlock_grace_verdict(key, req, v, -1, NULL);
}

/* For GET_GRACE and DAEMON_REGISTER. */
void xlock_grace_info(struct xlock_grace_info *gi)
{
	spin_lock(&grace_lock);
	gi->state = grace_state;
	gi->left_ms = grace_state == XLOCK_GRACE_RUNNING && time_before(jiffies, grace_ends) ?
		      jiffies_to_msecs(grace_ends - jiffies) : 0;
	gi->total = nr_reclaims;
	gi->reclaimed = nr_reclaimed;
	spin_unlock(&grace_lock);
}

/* The reclaim set's clients (at most @max) with their counts; returns how many. */
unsigned int xlock_grace_clients(struct xlock_grace_client *out, unsigned int max)
{
	unsigned int n;

	spin_lock(&grace_lock);
	n = min(nr_clients, max);
	memcpy(out, clients, n * sizeof(*out));
	spin_unlock(&grace_lock);
	return n;
}

int xlock_grace_init(void)
{
	buckets = kvcalloc(1U << HASH_BITS, sizeof(*buckets), GFP_KERNEL);
	if (!buckets)
		return -ENOMEM;
	clients = kvcalloc(MAX_CLIENTS, sizeof(*clients), GFP_KERNEL);
	if (!clients) {
		kvfree(buckets);
		return -ENOMEM;
	}
	get_random_bytes(&xlock_instance, sizeof(xlock_instance));
	return 0;
}

void xlock_grace_exit(void)
{
	cancel_delayed_work_sync(&grace_work);
	/* A grace period left open would WARN in grace_exit_net. */
	if (xlock_grace_active())
		locks_end_grace(&xlock_lm);
	drop_set();
	kvfree(clients);
	kvfree(buckets);
}
