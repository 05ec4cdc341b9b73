// SPDX-License-Identifier: GPL-2.0
/*
 * Entry and grace events to the event group, sent from a worker of our
 * own, never from the thread that changed the table: lockd's and ksmbd's
 * threads only copy the entry onto a queue. The worker takes the path
 * (d_path), packs many events into one skb and multicasts it, so xlockd
 * wakes once per batch instead of once per lock. Events keep the order in
 * which the table changed (a grant is queued under its file's lock, before
 * anything can remove the entry); a grace end follows the grants before it.
 *
 * While queued, an entry's events coalesce: a change rewrites the event
 * still queued for the entry, a release of an entry whose grant was not
 * sent yet takes both away. A batch's time starts at its first event, so
 * a lock held for less than a batch, while nothing else is queued, costs
 * no message, no wake-up and no journal record (issue 11 item 7).
 */
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>

#include "../../include/uapi/linux/xlock.h"
#include "grace.h"
#include "nl_entries.h"
#include "nl_events.h"
#include "nl_family.h"
#include "nl_grace.h"
#include "table.h"

/* Queued events, at most; beyond that they are dropped and xlockd re-reads the table. */
#define EVENTS_MAX	65536
/* Every attribute put_entry() may add, strings at their longest, but the path. */
#define EVENT_SIZE	768
/* One skb carries many events; a smaller one when memory is tight. */
#define BATCH_SKB	(16 * 1024)
/* Queued entry events by entry id, to coalesce with. */
#define QUEUED_BITS	8

struct xlock_nl_event {
	struct list_head node;
	struct hlist_node id_node;	/* in queued_ids while queued, if has_entry */
	u8 event;
	u64 n;				/* grace events: XLOCK_A_NR_ENTRIES */
	bool has_entry;
	struct xlock_entry e;		/* a copy; pins its file and client */
};

static DEFINE_SPINLOCK(queue_lock);	/* nests inside a file's lock */
static LIST_HEAD(queue);
static DEFINE_HASHTABLE(queued_ids, QUEUED_BITS);
static unsigned int queued;
static bool enabled, overflow;
static struct workqueue_struct *events_wq;
static struct delayed_work events_work;
static char *path_buf;			/* the worker's only: it is ordered */

/*
 * Events are collected this long before they go out: fewer, fuller
 * batches, and a grant released within it never reaches xlockd (the pair
 * cancels out). The time a grant takes to be durable grows by as much.
 */
static unsigned int events_batch_ms = 4;

static int batch_ms_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 1000);
}

static int batch_ms_get(char *buf, const struct kernel_param *kp)
{
	return param_get_uint(buf, kp);
}

static const struct kernel_param_ops batch_ms_ops = {
	.set = batch_ms_set,
	.get = batch_ms_get,
};

module_param_cb(events_batch_ms, &batch_ms_ops, &events_batch_ms, 0644);
MODULE_PARM_DESC(events_batch_ms,
		 "How long table events are collected before they are sent (ms, 1-1000; at least a jiffy)");

static unsigned long batch_delay(void)
{
	return max(1UL, msecs_to_jiffies(READ_ONCE(events_batch_ms)));
}

static bool listening(void)
{
	return READ_ONCE(enabled) && genl_has_listeners(&xlock_family, &init_net, 0);
}

/* A lost event: the worker drops what is queued and tells the listeners. */
static void lost(void)
{
	spin_lock(&queue_lock);
	if (enabled) {
		overflow = true;
		mod_delayed_work(events_wq, &events_work, 0);
	}
	spin_unlock(&queue_lock);
}

static struct xlock_nl_event *event_prepare(void)
{
	struct xlock_nl_event *ev;

	if (!listening())
		return NULL;
	ev = kmalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		lost();
	return ev;
}

static void event_free(struct xlock_nl_event *ev)
{
	if (ev->has_entry) {
		xlock_client_put(ev->e.client);
		xlock_file_put(ev->e.file);
	}
	kfree(ev);
}

/* An event's refs on its entry's file and client: never the last ones. */
static void event_drop(struct xlock_nl_event *ev)
{
	if (ev->has_entry) {
		refcount_dec(&ev->e.client->ref);
		refcount_dec(&ev->e.file->ref);
	}
	kfree(ev);
}

static struct xlock_nl_event *queued_find(u32 id)
{
	struct xlock_nl_event *q;

	lockdep_assert_held(&queue_lock);
	hash_for_each_possible(queued_ids, q, id_node, id)
		if (q->e.id == id)
			return q;
	return NULL;
}

/*
 * Fold @ev into @q, the event queued for the same entry: 0, or -1 if
 * @ev must be queued after all. Only @ev's refs go (the caller holds
 * the entry's); the grant and release that cancel out go both.
 */
static int coalesce(struct xlock_nl_event *q, struct xlock_nl_event *ev,
		    struct xlock_nl_event **gone)
{
	lockdep_assert_held(&queue_lock);
	if (q->event == XLOCK_EVENT_RELEASE || ev->event == XLOCK_EVENT_GRANT)
		return -1;
	if (ev->event == XLOCK_EVENT_RELEASE && q->event == XLOCK_EVENT_GRANT) {
		/* xlockd keeps what the module's unload took away: to be reclaimed. */
		if (ev->e.flags & XLOCK_ENTRY_F_TEARDOWN)
			return -1;
		hash_del(&q->id_node);
		list_del(&q->node);
		queued--;
		*gone = q;
		return 0;
	}
	/* A change of a queued grant stays a grant; a release ends a change. */
	if (ev->event == XLOCK_EVENT_RELEASE)
		q->event = XLOCK_EVENT_RELEASE;
	q->e = ev->e;
	return 0;
}

static void enqueue(struct xlock_nl_event *ev)
{
	struct xlock_nl_event *q, *gone = NULL;

	spin_lock(&queue_lock);
	if (!enabled || queued >= EVENTS_MAX) {
		overflow |= enabled;
		spin_unlock(&queue_lock);
		event_drop(ev);
		return;
	}
	q = ev->has_entry ? queued_find(ev->e.id) : NULL;
	if (q && !coalesce(q, ev, &gone)) {
		/*
		 * Nothing left to send: no worker run for an empty batch, and
		 * the next batch's time starts at its own first event, so a
		 * lock held for less than a batch never straddles a send.
		 */
		if (list_empty(&queue) && !overflow)
			cancel_delayed_work(&events_work);
		spin_unlock(&queue_lock);
		event_drop(ev);
		if (gone)
			event_drop(gone);
		return;
	}
	/* Under the lock: once disabled, nothing queues work any more. */
	if (list_empty(&queue))
		queue_delayed_work(events_wq, &events_work, batch_delay());
	list_add_tail(&ev->node, &queue);
	if (ev->has_entry) {
		if (q)
			hash_del(&q->id_node);
		hash_add(queued_ids, &ev->id_node, ev->e.id);
	}
	queued++;
	spin_unlock(&queue_lock);
}

/* A prepared event that is not needed after all. */
static void event_cancel(struct xlock_nl_event *ev)
{
	kfree(ev);
}

/* May run under @e's file lock; consumes @ev (NULL: nothing to do). */
static void event_queue(struct xlock_nl_event *ev, u8 event, const struct xlock_entry *e)
{
	if (!ev)
		return;
	ev->event = event;
	ev->has_entry = true;
	ev->e = *e;
	refcount_inc(&ev->e.client->ref);
	refcount_inc(&ev->e.file->ref);
	enqueue(ev);
}

static void grace_event(u8 event, u64 n)
{
	struct xlock_nl_event *ev = event_prepare();

	if (!ev)
		return;
	ev->event = event;
	ev->n = n;
	ev->has_entry = false;
	enqueue(ev);
}

/* Append @ev to @skb: 0, or -EMSGSIZE when it does not fit (@skb unchanged). */
static int event_put(struct sk_buff *skb, const struct xlock_nl_event *ev)
{
	const struct xlock_entry *e = &ev->e;
	const char *path = NULL;
	void *hdr;

	hdr = genlmsg_put(skb, 0, 0, &xlock_family, 0, XLOCK_CMD_EVENT);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u8(skb, XLOCK_A_EVENT, ev->event))
		goto cancel;
	if (!ev->has_entry) {
		if (nla_put_u64_64bit(skb, XLOCK_A_NR_ENTRIES, ev->n, XLOCK_A_PAD))
			goto cancel;
		genlmsg_end(skb, hdr);
		return 0;
	}
	/* xlockd persists files by path: worth a d_path() only for it. */
	if (ev->event == XLOCK_EVENT_GRANT && path_buf && xlock_nl_daemon_attached() &&
	    e->file->path.dentry) {
		path = d_path(&e->file->path, path_buf, PATH_MAX);
		if (IS_ERR(path))
			path = NULL;
	}
	if (xlock_nl_put_entry(skb, e, e->id, path))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static struct sk_buff *batch_new(void)
{
	struct sk_buff *skb = genlmsg_new(BATCH_SKB, GFP_KERNEL | __GFP_NOWARN);

	return skb ?: genlmsg_new(EVENT_SIZE + PATH_MAX, GFP_KERNEL);
}

static void batch_send(struct sk_buff *skb)
{
	if (skb->len)
		genlmsg_multicast(&xlock_family, skb, 0, 0, GFP_KERNEL);
	else
		nlmsg_free(skb);
}

static void events_work_fn(struct work_struct *work)
{
	struct xlock_nl_event *ev, *tmp;
	struct sk_buff *skb = NULL;
	bool drop;
	LIST_HEAD(batch);

	spin_lock(&queue_lock);
	list_splice_init(&queue, &batch);
	hash_init(queued_ids);
	queued = 0;
	drop = overflow;
	overflow = false;
	spin_unlock(&queue_lock);

	list_for_each_entry_safe(ev, tmp, &batch, node) {
		list_del(&ev->node);
		if (!drop && !skb)
			skb = batch_new();
		if (!drop && skb && event_put(skb, ev)) {
			batch_send(skb);
			skb = batch_new();
			if (skb && event_put(skb, ev))
				drop = true;	/* cannot happen: one event fits an empty skb */
		}
		if (!skb)
			drop = true;
		event_free(ev);
	}
	if (skb)
		batch_send(skb);
	/* Listeners see ENOBUFS, as for an overrun: xlockd reads the table again. */
	if (drop)
		genl_set_err(&xlock_family, &init_net, 0, 0, ENOBUFS);
}

/* What the table and the grace period call (registered below: they are lower). */
static const struct xlock_table_events nl_table_ops = {
	.prepare = event_prepare,
	.queue = event_queue,
	.cancel = event_cancel,
};

static const struct xlock_grace_events nl_grace_ops = {
	.grace = grace_event,
};

int xlock_events_init(void)
{
	path_buf = kmalloc(PATH_MAX, GFP_KERNEL);
	events_wq = alloc_ordered_workqueue("xlock_events", 0);
	if (!path_buf || !events_wq) {
		kfree(path_buf);
		if (events_wq)
			destroy_workqueue(events_wq);
		return -ENOMEM;
	}
	INIT_DELAYED_WORK(&events_work, events_work_fn);
	WRITE_ONCE(enabled, true);
	xlock_table_set_events(&nl_table_ops);
	xlock_grace_set_events(&nl_grace_ops);
	return 0;
}

/* Before the family goes: nothing more is queued; what is, is freed unsent. */
void xlock_events_exit(void)
{
	struct xlock_nl_event *ev, *tmp;
	LIST_HEAD(left);

	xlock_grace_set_events(NULL);
	xlock_table_set_events(NULL);
	spin_lock(&queue_lock);
	WRITE_ONCE(enabled, false);
	spin_unlock(&queue_lock);
	cancel_delayed_work_sync(&events_work);
	destroy_workqueue(events_wq);
	spin_lock(&queue_lock);
	list_splice_init(&queue, &left);
	hash_init(queued_ids);
	queued = 0;
	spin_unlock(&queue_lock);
	list_for_each_entry_safe(ev, tmp, &left, node)
		event_free(ev);
	kfree(path_buf);
}
