// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of the xlock netlink family, run in the guest with the module
 * loaded with test_api=1: every command, the dump cursor across thousands of
 * entries, unprivileged callers, malformed messages and events.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "nl.h"
#include "kselftest_harness.h"

#define N_MANY 5000

/* --- helpers ------------------------------------------------------------ */

struct status {
	uint64_t generation, entries, files, clients, limit_hits;
	uint32_t limit_file;
	char version[32];
	int edges, test_api;
};

static void status_reply(const struct attrs *t, void *arg)
{
	struct status *st = arg;
	const struct nlattr *e;
	int rem;

	st->generation = get_u64(t, XLOCK_A_GENERATION);
	st->entries = get_u64(t, XLOCK_A_NR_ENTRIES);
	st->files = get_u64(t, XLOCK_A_NR_FILES);
	st->clients = get_u64(t, XLOCK_A_NR_CLIENTS);
	st->limit_hits = get_u64(t, XLOCK_A_LIMIT_HITS);
	st->limit_file = get_u32(t, XLOCK_A_LIMIT_FILE);
	st->test_api = get_u8(t, XLOCK_A_TEST_API);
	snprintf(st->version, sizeof(st->version), "%s", get_str(t, XLOCK_A_VERSION) ?: "");
	st->edges = 0;
	if (t->a[XLOCK_A_EDGES])
		attr_for_each(e, attr_data(t->a[XLOCK_A_EDGES]),
			      (int)(t->a[XLOCK_A_EDGES]->nla_len - NLA_HDRLEN), rem)
			st->edges++;
}

static int get_status(struct nl *nl, struct status *st)
{
	struct msg m;

	memset(st, 0, sizeof(*st));
	msg_init(nl, &m, XLOCK_CMD_GET_STATUS, 0);
	return nl_xfer(nl, &m, status_reply, st);
}

static void id_reply(const struct attrs *t, void *arg)
{
	uint64_t *id = arg;

	if (t->a[XLOCK_A_ENTRY_ID])
		*id = get_u64(t, XLOCK_A_ENTRY_ID);
	if (t->a[XLOCK_A_SHARE_ID])
		*id = get_u32(t, XLOCK_A_SHARE_ID);
	if (t->a[XLOCK_A_NR_ENTRIES])
		*id = get_u64(t, XLOCK_A_NR_ENTRIES);
}

static int add_lock(struct nl *nl, const char *path, uint8_t proto, const char *client,
		    uint8_t mode, uint64_t start, uint64_t end, uint64_t *id)
{
	struct msg m;

	msg_init(nl, &m, XLOCK_CMD_TEST_ADD, 0);
	put_str(&m, XLOCK_A_PATH, path);
	put_u8(&m, XLOCK_A_PROTO, proto);
	put_u8(&m, XLOCK_A_KIND, XLOCK_KIND_LOCK);
	put_str(&m, XLOCK_A_CLIENT, client);
	put_u8(&m, XLOCK_A_MODE, mode);
	put_u64(&m, XLOCK_A_START, start);
	put_u64(&m, XLOCK_A_END, end);
	return nl_xfer(nl, &m, id_reply, id);
}

static int add_lease(struct nl *nl, const char *path, const char *client, uint8_t state,
		     uint64_t *id)
{
	static const uint8_t key[16] = { 1, 2, 3, 4 };
	struct msg m;

	msg_init(nl, &m, XLOCK_CMD_TEST_ADD, 0);
	put_str(&m, XLOCK_A_PATH, path);
	put_u8(&m, XLOCK_A_PROTO, XLOCK_PROTO_SMB);
	put_u8(&m, XLOCK_A_KIND, XLOCK_KIND_LEASE);
	put_str(&m, XLOCK_A_CLIENT, client);
	put_str(&m, XLOCK_A_CLIENT_ADDR, "192.0.2.7");
	put_u8(&m, XLOCK_A_LEASE_STATE, state);
	attr_put(&m, XLOCK_A_SMB_LEASE_KEY, key, sizeof(key));
	return nl_xfer(nl, &m, id_reply, id);
}

static int clear_client(struct nl *nl, const char *client, uint64_t *n)
{
	struct msg m;

	msg_init(nl, &m, XLOCK_CMD_CLEAR_CLIENT, 0);
	put_str(&m, XLOCK_A_CLIENT, client);
	*n = 0;
	return nl_xfer(nl, &m, id_reply, n);
}

struct dump {
	int n;
	uint64_t ids[N_MANY + 16];
	int nlm, smb_lease, smb_share;
	uint8_t lease_state;
};

static void dump_reply(const struct attrs *t, void *arg)
{
	struct dump *d = arg;

	if (d->n < N_MANY + 16)
		d->ids[d->n] = get_u64(t, XLOCK_A_ENTRY_ID);
	d->n++;
	if (get_u8(t, XLOCK_A_PROTO) == XLOCK_PROTO_NLM)
		d->nlm++;
	if (get_u8(t, XLOCK_A_KIND) == XLOCK_KIND_LEASE) {
		d->smb_lease++;
		d->lease_state = get_u8(t, XLOCK_A_LEASE_STATE);
	}
	if (get_u8(t, XLOCK_A_KIND) == XLOCK_KIND_SHARE)
		d->smb_share++;
}

static int dump_locks(struct nl *nl, struct dump *d, const char *path, const char *client)
{
	struct msg m;

	memset(d, 0, sizeof(*d));
	msg_init(nl, &m, XLOCK_CMD_GET_LOCKS, NLM_F_DUMP);
	if (path)
		put_str(&m, XLOCK_A_PATH, path);
	if (client)
		put_str(&m, XLOCK_A_CLIENT, client);
	return nl_xfer(nl, &m, dump_reply, d);
}

static void make_file(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY, 0644);

	if (fd >= 0)
		close(fd);
}

FIXTURE(xlock) {
	struct nl nl;
	char dir[64];
	char file[96];
	char file2[96];
};

FIXTURE_SETUP(xlock)
{
	struct status st;
	int ret = nl_open(&self->nl);

	if (ret == -ENOENT)
		SKIP(return, "xlock.ko is not loaded");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, get_status(&self->nl, &st));
	if (!st.test_api)
		SKIP(return, "xlock.ko loaded without test_api=1");
	strcpy(self->dir, "/tmp/xlock-selftest-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->file, sizeof(self->file), "%s/f1", self->dir);
	snprintf(self->file2, sizeof(self->file2), "%s/f2", self->dir);
	make_file(self->file);
	make_file(self->file2);
}

FIXTURE_TEARDOWN(xlock)
{
	static const char *const clients[] = { "c1", "c2", "c3", "many", "smb:smbc", "unpriv" };
	uint64_t n;
	unsigned int i;

	for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++)
		clear_client(&self->nl, clients[i], &n);
	unlink(self->file);
	unlink(self->file2);
	rmdir(self->dir);
	close(self->nl.fd);
}

/* --- commands ------------------------------------------------------------ */

TEST_F(xlock, status)
{
	struct status st;

	ASSERT_EQ(0, get_status(&self->nl, &st));
	EXPECT_STRNE("", st.version);
	EXPECT_EQ(3, st.edges);
	EXPECT_GT(st.limit_file, 0);
}

TEST_F(xlock, entries_of_each_kind_on_one_file)
{
	struct status before, after;
	uint64_t id1 = 0, id2 = 0, id3 = 0, n;
	struct dump d;
	struct msg m;

	ASSERT_EQ(0, get_status(&self->nl, &before));
	ASSERT_EQ(0, add_lock(&self->nl, self->file, XLOCK_PROTO_NLM, "c1",
			      XLOCK_MODE_EXCL, 0, 99, &id1));
	ASSERT_EQ(0, add_lease(&self->nl, self->file, "smbc", XLOCK_LEASE_R | XLOCK_LEASE_H, &id2));
	msg_init(&self->nl, &m, XLOCK_CMD_TEST_ADD, 0);
	put_str(&m, XLOCK_A_PATH, self->file);
	put_u8(&m, XLOCK_A_PROTO, XLOCK_PROTO_SMB);
	put_u8(&m, XLOCK_A_KIND, XLOCK_KIND_SHARE);
	put_str(&m, XLOCK_A_CLIENT, "smbc");
	put_u8(&m, XLOCK_A_SHARE_ACCESS, XLOCK_SHARE_READ);
	put_u8(&m, XLOCK_A_SHARE_ALLOW, XLOCK_SHARE_READ);
	ASSERT_EQ(0, nl_xfer(&self->nl, &m, id_reply, &id3));
	EXPECT_NE(id1, id2);
	EXPECT_NE(id2, id3);
	ASSERT_EQ(0, add_lock(&self->nl, self->file2, XLOCK_PROTO_SMB, "smbc",
			      XLOCK_MODE_SHARED, 5, 9, &n));

	/* GetAllLocksOnFile: all three protocols' entries on file 1, nothing else. */
	ASSERT_EQ(0, dump_locks(&self->nl, &d, self->file, NULL));
	EXPECT_EQ(3, d.n);
	EXPECT_EQ(1, d.nlm);
	EXPECT_EQ(1, d.smb_lease);
	EXPECT_EQ(1, d.smb_share);
	ASSERT_EQ(0, dump_locks(&self->nl, &d, NULL, "nlm:c1"));
	EXPECT_EQ(1, d.n);
	ASSERT_EQ(0, dump_locks(&self->nl, &d, self->file2, NULL));
	EXPECT_EQ(1, d.n);

	ASSERT_EQ(0, get_status(&self->nl, &after));
	EXPECT_EQ(before.entries + 4, after.entries);
	EXPECT_EQ(before.files + 2, after.files);
	EXPECT_GT(after.generation, before.generation);

	/* TEST_DEL of one, clear-client of the rest. */
	msg_init(&self->nl, &m, XLOCK_CMD_TEST_DEL, 0);
	put_u64(&m, XLOCK_A_ENTRY_ID, id1);
	ASSERT_EQ(0, nl_xfer(&self->nl, &m, NULL, NULL));
	ASSERT_EQ(-ENOENT, nl_xfer(&self->nl, &m, NULL, NULL));
	EXPECT_STREQ("no such entry", self->nl.extack);
	ASSERT_EQ(0, clear_client(&self->nl, "smb:smbc", &n));
	EXPECT_EQ(3, n);
	ASSERT_EQ(0, get_status(&self->nl, &after));
	EXPECT_EQ(before.entries, after.entries);
	EXPECT_EQ(before.files, after.files);
}

TEST_F(xlock, dump_cursor_across_thousands)
{
	uint64_t id, first = 0, last = 0;
	static struct dump d;
	int i, seen_twice = 0;

	for (i = 0; i < N_MANY; i++) {
		ASSERT_EQ(0, add_lock(&self->nl, i % 2 ? self->file : self->file2,
				      XLOCK_PROTO_NLM, "many", XLOCK_MODE_SHARED,
				      i * 10, i * 10 + 9, &id));
		if (!i)
			first = id;
		last = id;
	}
	ASSERT_EQ(0, dump_locks(&self->nl, &d, NULL, "nlm:many"));
	EXPECT_EQ(N_MANY, d.n);
	EXPECT_GT(self->nl.batches, 3) TH_LOG("a dump of %d entries fit in %d batches",
					       N_MANY, self->nl.batches);
	EXPECT_EQ(0, self->nl.dump_intr);
	for (i = 1; i < d.n && i < N_MANY; i++)
		if (d.ids[i] <= d.ids[i - 1])
			seen_twice++;
	EXPECT_EQ(0, seen_twice);
	EXPECT_EQ(first, d.ids[0]);
	EXPECT_EQ(last, d.ids[N_MANY - 1]);
	ASSERT_EQ(0, clear_client(&self->nl, "many", &id));
	EXPECT_EQ(N_MANY, id);
}

/* A dump that sees the table change in the middle says so (NLM_F_DUMP_INTR). */
TEST_F(xlock, dump_interrupted_by_a_change)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static unsigned char rbuf[4096];
	struct nl other;
	int i, intr = 0, done = 0;
	uint64_t id;
	struct msg m;

	for (i = 0; i < 500; i++)
		ASSERT_EQ(0, add_lock(&self->nl, self->file, XLOCK_PROTO_NLM, "c2",
				      XLOCK_MODE_SHARED, i, i, &id));
	ASSERT_EQ(0, nl_open(&other));
	msg_init(&self->nl, &m, XLOCK_CMD_GET_LOCKS, NLM_F_DUMP);
	msg_hdr(&m)->nlmsg_len = m.len;
	msg_hdr(&m)->nlmsg_seq = 4242;
	ASSERT_LT(0, sendto(self->nl.fd, m.buf, m.len, 0, (struct sockaddr *)&sa, sizeof(sa)));
	/* Read the dump in small pieces and change the table after the first. */
	while (!done) {
		ssize_t n = recv(self->nl.fd, rbuf, sizeof(rbuf), 0);
		struct nlmsghdr *r;
		int rem = n;

		ASSERT_LT(0, n);
		for (r = (struct nlmsghdr *)rbuf; NLMSG_OK(r, rem); r = NLMSG_NEXT(r, rem)) {
			if (r->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = 1;
			if (r->nlmsg_type == NLMSG_DONE || r->nlmsg_type == NLMSG_ERROR)
				done = 1;
		}
		if (!done)
			add_lock(&other, self->file2, XLOCK_PROTO_NLM, "c2",
				 XLOCK_MODE_SHARED, 0, 0, &id);
	}
	EXPECT_EQ(1, intr);
	close(other.fd);
}

TEST_F(xlock, shares)
{
	uint64_t sid = 0, id;
	struct msg m;

	msg_init(&self->nl, &m, XLOCK_CMD_ADD_SHARE, 0);
	put_str(&m, XLOCK_A_PATH, self->dir);
	put_str(&m, XLOCK_A_NAME, "selftest");
	put_u32(&m, XLOCK_A_BREAK_TIMEOUT_MS, 5000);
	put_u32(&m, XLOCK_A_GRACE_S, 10);
	ASSERT_EQ(0, nl_xfer(&self->nl, &m, id_reply, &sid));
	ASSERT_NE(0, sid);
	ASSERT_EQ(-EEXIST, nl_xfer(&self->nl, &m, NULL, NULL));
	EXPECT_STRNE("", self->nl.extack);

	msg_init(&self->nl, &m, XLOCK_CMD_SET_SHARE, 0);
	put_u32(&m, XLOCK_A_SHARE_ID, sid);
	put_u32(&m, XLOCK_A_SHARE_FLAGS, 0);
	ASSERT_EQ(0, nl_xfer(&self->nl, &m, NULL, NULL));

	/* A file under the share belongs to it; the share cannot go while used. */
	ASSERT_EQ(0, add_lock(&self->nl, self->file, XLOCK_PROTO_NLM, "c3",
			      XLOCK_MODE_EXCL, 0, 0, &id));
	msg_init(&self->nl, &m, XLOCK_CMD_DEL_SHARE, 0);
	put_u32(&m, XLOCK_A_SHARE_ID, sid);
	ASSERT_EQ(-EBUSY, nl_xfer(&self->nl, &m, NULL, NULL));
	ASSERT_EQ(0, clear_client(&self->nl, "c3", &id));
	ASSERT_EQ(0, nl_xfer(&self->nl, &m, NULL, NULL));
	ASSERT_EQ(-ENOENT, nl_xfer(&self->nl, &m, NULL, NULL));

	msg_init(&self->nl, &m, XLOCK_CMD_DEL_SHARE, 0);
	put_u32(&m, XLOCK_A_SHARE_ID, 0);
	ASSERT_EQ(-EINVAL, nl_xfer(&self->nl, &m, NULL, NULL));
	EXPECT_STREQ("the default share cannot be removed", self->nl.extack);

	msg_init(&self->nl, &m, XLOCK_CMD_GET_SHARES, NLM_F_DUMP);
	ASSERT_EQ(0, nl_xfer(&self->nl, &m, NULL, NULL));
}

TEST_F(xlock, break_and_limits)
{
	struct status before, after;
	uint64_t id, lid, n;
	struct dump d;
	struct msg m;

	ASSERT_EQ(0, add_lease(&self->nl, self->file, "smbc",
			       XLOCK_LEASE_R | XLOCK_LEASE_W | XLOCK_LEASE_H, &id));
	msg_init(&self->nl, &m, XLOCK_CMD_BREAK, 0);
	put_u64(&m, XLOCK_A_ENTRY_ID, id);
	put_u8(&m, XLOCK_A_LEASE_STATE, XLOCK_LEASE_R | XLOCK_LEASE_H);
	ASSERT_EQ(0, nl_xfer(&self->nl, &m, NULL, NULL));
	ASSERT_EQ(0, dump_locks(&self->nl, &d, self->file, NULL));
	EXPECT_EQ(XLOCK_LEASE_R | XLOCK_LEASE_H, d.lease_state);
	ASSERT_EQ(-EALREADY, nl_xfer(&self->nl, &m, NULL, NULL));

	ASSERT_EQ(0, add_lock(&self->nl, self->file, XLOCK_PROTO_NLM, "c1",
			      XLOCK_MODE_EXCL, 0, 0, &lid));
	msg_init(&self->nl, &m, XLOCK_CMD_BREAK, 0);
	put_u64(&m, XLOCK_A_ENTRY_ID, lid);
	ASSERT_EQ(-EINVAL, nl_xfer(&self->nl, &m, NULL, NULL));
	EXPECT_STREQ("entry is not a lease", self->nl.extack);

	/* Per-file limit: refused with a clear error, nothing else lost. */
	ASSERT_EQ(0, get_status(&self->nl, &before));
	msg_init(&self->nl, &m, XLOCK_CMD_SET_CONFIG, 0);
	put_u32(&m, XLOCK_A_LIMIT_FILE, 2);
	ASSERT_EQ(0, nl_xfer(&self->nl, &m, NULL, NULL));
	ASSERT_EQ(-ENOSPC, add_lock(&self->nl, self->file, XLOCK_PROTO_NLM, "c1",
				    XLOCK_MODE_SHARED, 5, 5, &n));
	EXPECT_STREQ("this file holds too many entries (limit_file)", self->nl.extack);
	ASSERT_EQ(0, get_status(&self->nl, &after));
	EXPECT_EQ(before.entries, after.entries);
	EXPECT_EQ(before.limit_hits + 1, after.limit_hits);
	msg_init(&self->nl, &m, XLOCK_CMD_SET_CONFIG, 0);
	put_u32(&m, XLOCK_A_LIMIT_FILE, before.limit_file);
	ASSERT_EQ(0, nl_xfer(&self->nl, &m, NULL, NULL));
	ASSERT_EQ(0, dump_locks(&self->nl, &d, self->file, NULL));
	EXPECT_EQ(2, d.n);
}

TEST_F(xlock, events)
{
	static unsigned char rbuf[65536];
	int grp = self->nl.mcgrp_events, got = 0;
	struct nl ev;
	struct pollfd pfd;
	uint64_t id;

	ASSERT_NE(0, grp);
	ASSERT_EQ(0, nl_open(&ev));
	ASSERT_EQ(0, setsockopt(ev.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)));
	ASSERT_EQ(0, add_lock(&self->nl, self->file, XLOCK_PROTO_NLM, "c1",
			      XLOCK_MODE_SHARED, 0, 9, &id));
	/* Events come from the module's worker, batched: wait for them. */
	pfd.fd = ev.fd;
	pfd.events = POLLIN;
	while (!got && poll(&pfd, 1, 5000) > 0) {
		ssize_t n = recv(ev.fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		struct nlmsghdr *r;
		int rem = n;

		if (n <= 0)
			break;
		for (r = (struct nlmsghdr *)rbuf; NLMSG_OK(r, rem); r = NLMSG_NEXT(r, rem)) {
			struct attrs t;

			attrs_parse(&t, (char *)NLMSG_DATA(r) + GENL_HDRLEN,
				    r->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
			if (get_u8(&t, XLOCK_A_EVENT) == XLOCK_EVENT_GRANT &&
			    get_u64(&t, XLOCK_A_ENTRY_ID) == id)
				got = 1;
		}
	}
	EXPECT_EQ(1, got);
	close(ev.fd);
}

/*
 * What a listener rebuilds from the events is the table: events coalesce
 * while queued (a grant and release in one batch go both, a change folds
 * into the event still queued), never into a release without its grant,
 * a change of an entry never granted, or a grant that outlives its entry.
 */
#define REPLAY_N 240

struct replay {
	uint64_t id[REPLAY_N + 1];
	uint8_t state[REPLAY_N + 1];
	int live[REPLAY_N + 1], n, events, bad;
	char why[128];
};

static int replay_slot(struct replay *r, uint64_t id)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->id[i] == id)
			return i;
	return -1;
}

static void replay_one(struct replay *r, const struct attrs *t)
{
	uint64_t id = get_u64(t, XLOCK_A_ENTRY_ID);
	uint8_t ev = get_u8(t, XLOCK_A_EVENT);
	int i = replay_slot(r, id);

	r->events++;
	if (ev == XLOCK_EVENT_GRANT && (i < 0 || !r->live[i])) {
		if (i < 0 && r->n > REPLAY_N) {
			r->bad++;
			snprintf(r->why, sizeof(r->why), "more entries granted than made");
			return;
		}
		if (i < 0)
			i = r->n++;
		r->id[i] = id;
		r->live[i] = 1;
		r->state[i] = get_u8(t, XLOCK_A_LEASE_STATE);
		return;
	}
	if (i < 0 || !r->live[i]) {
		r->bad++;
		snprintf(r->why, sizeof(r->why), "event %u for entry %llu not granted",
			 ev, (unsigned long long)id);
		return;
	}
	if (ev == XLOCK_EVENT_GRANT) {
		r->bad++;
		snprintf(r->why, sizeof(r->why), "entry %llu granted twice",
			 (unsigned long long)id);
	} else if (ev == XLOCK_EVENT_RELEASE) {
		r->live[i] = 0;
	} else {
		r->state[i] = get_u8(t, XLOCK_A_LEASE_STATE);
	}
}

/* Read events of our clients until none came for a second: 0, or -errno. */
static int replay_read(int fd, struct replay *r)
{
	static unsigned char rbuf[65536];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (poll(&pfd, 1, 1000) > 0) {
		ssize_t n = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		struct nlmsghdr *h;
		int rem = n;

		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
			struct attrs t;
			const char *c;

			attrs_parse(&t, (char *)NLMSG_DATA(h) + GENL_HDRLEN,
				    h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
			c = get_str(&t, XLOCK_A_CLIENT);
			if (c && (!strcmp(c, "nlm:c2") || !strcmp(c, "smb:192.0.2.7")))
				replay_one(r, &t);
		}
	}
	return 0;
}

TEST_F(xlock, events_replay_is_the_table)
{
	static struct replay r;
	int grp = self->nl.mcgrp_events, ops = 0, held = 0, i, j, k;
	int rcvbuf = 16 << 20;
	uint64_t id, lease;
	static struct dump d;
	struct msg m;
	struct nl ev;

	ASSERT_EQ(0, nl_open(&ev));
	ASSERT_EQ(0, setsockopt(ev.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)));
	ASSERT_EQ(0, setsockopt(ev.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)));
	ASSERT_EQ(0, add_lease(&self->nl, self->file2, "smbc",
			       XLOCK_LEASE_R | XLOCK_LEASE_W | XLOCK_LEASE_H, &lease));
	ops++;
	for (i = 0; i < REPLAY_N - 1; i++) {
		ASSERT_EQ(0, add_lock(&self->nl, self->file, XLOCK_PROTO_NLM, "c2",
				      XLOCK_MODE_SHARED, i, i, &id));
		ops++;
		if (i % 4 == 0) {
			held++;
			continue;
		}
		/* A lease change between the add and the delete of a lock. */
		if (i == 1 || i == 5) {
			msg_init(&self->nl, &m, XLOCK_CMD_BREAK, 0);
			put_u64(&m, XLOCK_A_ENTRY_ID, lease);
			put_u8(&m, XLOCK_A_LEASE_STATE, i == 1 ? XLOCK_LEASE_R | XLOCK_LEASE_H :
				       XLOCK_LEASE_R);
			ASSERT_EQ(0, nl_xfer(&self->nl, &m, NULL, NULL));
			ops++;
		}
		msg_init(&self->nl, &m, XLOCK_CMD_TEST_DEL, 0);
		put_u64(&m, XLOCK_A_ENTRY_ID, id);
		ASSERT_EQ(0, nl_xfer(&self->nl, &m, NULL, NULL));
		ops++;
	}
	ASSERT_EQ(0, replay_read(ev.fd, &r));
	EXPECT_EQ(0, r.bad) TH_LOG("%s", r.why);
	ASSERT_EQ(0, dump_locks(&self->nl, &d, NULL, "nlm:c2"));
	EXPECT_EQ(held, d.n);
	for (k = 0, j = 0; j < r.n; j++)
		k += r.live[j];
	EXPECT_EQ(held + 1, k);
	for (j = 0; j < d.n; j++) {
		k = replay_slot(&r, d.ids[j]);
		EXPECT_TRUE(k >= 0 && r.live[k]) TH_LOG("entry %llu held, no grant seen",
							(unsigned long long)d.ids[j]);
	}
	ASSERT_EQ(0, dump_locks(&self->nl, &d, self->file2, NULL));
	ASSERT_EQ(1, d.n);
	k = replay_slot(&r, lease);
	ASSERT_TRUE(k >= 0 && r.live[k]);
	EXPECT_EQ(d.lease_state, r.state[k]);
	TH_LOG("%d table changes, %d events after coalescing", ops, r.events);
	close(ev.fd);
}

/* Events of @client until none came for a second (the batch is shorter). */
static int count_events(int fd, const char *client)
{
	static unsigned char rbuf[65536];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = 0;

	while (poll(&pfd, 1, 1000) > 0) {
		ssize_t len = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		struct nlmsghdr *h;
		int rem = len;

		if (len < 0)
			return -errno;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
			struct attrs t;
			const char *c;

			attrs_parse(&t, (char *)NLMSG_DATA(h) + GENL_HDRLEN,
				    h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
			c = get_str(&t, XLOCK_A_CLIENT);
			n += c && !strcmp(c, client);
		}
	}
	return n;
}

static int batch_ms_set(const char *val)
{
	int fd = open("/sys/module/xlock/parameters/events_batch_ms", O_WRONLY);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Locks held for 20 ms with 200 ms batches and nothing else queued: the
 * listener sees none of them. A batch's time starts at its first event;
 * with one timer running across the pairs (as before), about one pair per
 * batch straddled a send and went out as a grant and a release.
 */
TEST_F(xlock, events_short_lock_sends_nothing)
{
	int grp = self->nl.mcgrp_events, i, n;
	uint64_t id;
	struct msg m;
	struct nl ev;

	ASSERT_EQ(0, batch_ms_set("200"));
	usleep(500000);
	ASSERT_EQ(0, nl_open(&ev));
	ASSERT_EQ(0, setsockopt(ev.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)));
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, add_lock(&self->nl, self->file, XLOCK_PROTO_NLM, "c3",
				      XLOCK_MODE_EXCL, 0, 9, &id));
		usleep(20000);
		msg_init(&self->nl, &m, XLOCK_CMD_TEST_DEL, 0);
		put_u64(&m, XLOCK_A_ENTRY_ID, id);
		ASSERT_EQ(0, nl_xfer(&self->nl, &m, NULL, NULL));
		usleep(2000);
	}
	n = count_events(ev.fd, "nlm:c3");
	EXPECT_EQ(0, batch_ms_set("4"));
	EXPECT_EQ(0, n) TH_LOG("%d events for 40 locks of 20 ms", n);
	close(ev.fd);
}

/* --- unprivileged callers ------------------------------------------------ */

struct grace_seen {
	int replies, clients;
	uint64_t total;
	char name[64];
};

static void grace_reply(const struct attrs *t, void *arg)
{
	struct grace_seen *g = arg;
	const struct nlattr *c;
	struct attrs one;
	int rem;

	g->replies++;
	g->total = get_u64(t, XLOCK_A_NR_ENTRIES);
	if (!t->a[XLOCK_A_CLIENTS])
		return;
	attr_for_each(c, attr_data(t->a[XLOCK_A_CLIENTS]),
		      (int)(t->a[XLOCK_A_CLIENTS]->nla_len - NLA_HDRLEN), rem) {
		attrs_parse(&one, attr_data(c), (int)(c->nla_len - NLA_HDRLEN));
		g->clients++;
		snprintf(g->name, sizeof(g->name), "%s", get_str(&one, XLOCK_A_CLIENT) ?: "");
	}
}

static int get_grace(struct nl *nl, struct grace_seen *g)
{
	struct msg m;

	memset(g, 0, sizeof(*g));
	msg_init(nl, &m, XLOCK_CMD_GET_GRACE, 0);
	return nl_xfer(nl, &m, grace_reply, g);
}

/* The reclaim set's client names are for CAP_NET_ADMIN; the state for all. */
TEST_F(xlock, grace_clients_admin_only)
{
	struct xlock_reclaim_rec rec = {
		.start = 0, .end = 9, .svid = 7, .proto = XLOCK_PROTO_NLM,
		.kind = XLOCK_KIND_LOCK, .mode = XLOCK_MODE_EXCL,
	};
	struct grace_seen g;
	struct msg m;
	pid_t pid;
	int status;

	msg_init(&self->nl, &m, XLOCK_CMD_RECLAIM_ADD, 0);
	put_str(&m, XLOCK_A_PATH, self->file);
	put_str(&m, XLOCK_A_CLIENT, "secret-host");
	attr_put(&m, XLOCK_A_RECLAIM_RECS, &rec, sizeof(rec));
	ASSERT_EQ(0, nl_xfer(&self->nl, &m, NULL, NULL)) TH_LOG("%s", self->nl.extack);
	ASSERT_EQ(0, get_grace(&self->nl, &g));
	EXPECT_EQ(1, g.clients);
	EXPECT_STREQ("secret-host", g.name);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct nl nl;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		if (nl_open(&nl))
			_exit(11);
		if (get_grace(&nl, &g) || g.replies != 1)
			_exit(12);	/* the state is for everyone */
		if (g.clients)
			_exit(13);	/* the names are not */
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("unprivileged grace check %d failed",
						 WEXITSTATUS(status));
	/* The set was loaded, never started: grace end drops it. */
	msg_init(&self->nl, &m, XLOCK_CMD_GRACE_END, 0);
	EXPECT_EQ(0, nl_xfer(&self->nl, &m, NULL, NULL)) TH_LOG("%s", self->nl.extack);
}

/* RECLAIM_ADD takes NFSv4 delegations (V8), and only well-formed ones. */
TEST_F(xlock, reclaim_deleg_records)
{
	static const struct {
		uint8_t proto, kind, mode, state;
		uint64_t start;
		int ok;
	} recs[] = {
		{ XLOCK_PROTO_NFS4, XLOCK_KIND_DELEG, 0, XLOCK_LEASE_R | XLOCK_LEASE_W, 0, 1 },
		{ XLOCK_PROTO_NFS4, XLOCK_KIND_DELEG, 0, XLOCK_LEASE_R, 0, 1 },
		{ XLOCK_PROTO_NFS4, XLOCK_KIND_DELEG, 0, XLOCK_LEASE_W, 0, 0 },
		{ XLOCK_PROTO_NFS4, XLOCK_KIND_DELEG, 0, XLOCK_LEASE_R | XLOCK_LEASE_H, 0, 0 },
		{ XLOCK_PROTO_NFS4, XLOCK_KIND_DELEG, 0, XLOCK_LEASE_R, 5, 0 },
		{ XLOCK_PROTO_NFS4, XLOCK_KIND_DELEG, XLOCK_MODE_EXCL, XLOCK_LEASE_R, 0, 0 },
		{ XLOCK_PROTO_NFS4, XLOCK_KIND_LOCK, XLOCK_MODE_EXCL, 0, 0, 0 },
		{ XLOCK_PROTO_SMB, XLOCK_KIND_DELEG, 0, XLOCK_LEASE_R, 0, 0 },
		{ XLOCK_PROTO_NLM, XLOCK_KIND_DELEG, 0, XLOCK_LEASE_R, 0, 0 },
	};
	unsigned int i, added = 0;
	struct grace_seen g;
	struct msg m;

	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		struct xlock_reclaim_rec rec = {
			.start = recs[i].start, .end = UINT64_MAX, .proto = recs[i].proto,
			.kind = recs[i].kind, .mode = recs[i].mode, .state = recs[i].state,
		};
		int ret;

		msg_init(&self->nl, &m, XLOCK_CMD_RECLAIM_ADD, 0);
		put_str(&m, XLOCK_A_PATH, self->file);
		put_str(&m, XLOCK_A_CLIENT, "192.0.2.4");
		attr_put(&m, XLOCK_A_RECLAIM_RECS, &rec, sizeof(rec));
		ret = nl_xfer(&self->nl, &m, NULL, NULL);
		if (recs[i].ok) {
			EXPECT_EQ(0, ret) TH_LOG("record %u: %s", i, self->nl.extack);
			added += !ret;
		} else {
			EXPECT_EQ(-EINVAL, ret) TH_LOG("record %u taken", i);
			EXPECT_NE('\0', self->nl.extack[0]) TH_LOG("record %u: no message", i);
		}
	}
	ASSERT_EQ(0, get_grace(&self->nl, &g));
	EXPECT_EQ(added, g.total);
	msg_init(&self->nl, &m, XLOCK_CMD_GRACE_END, 0);
	EXPECT_EQ(0, nl_xfer(&self->nl, &m, NULL, NULL)) TH_LOG("%s", self->nl.extack);
}

TEST_F(xlock, unprivileged_refused)
{
	struct status before, after;
	pid_t pid;
	int status;

	ASSERT_EQ(0, get_status(&self->nl, &before));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		static const uint8_t cmds[] = {
			XLOCK_CMD_SET_CONFIG, XLOCK_CMD_ADD_SHARE, XLOCK_CMD_SET_SHARE,
			XLOCK_CMD_DEL_SHARE, XLOCK_CMD_BREAK, XLOCK_CMD_CLEAR_CLIENT,
			XLOCK_CMD_TEST_ADD, XLOCK_CMD_TEST_DEL,
		};
		struct status st;
		struct dump d;
		struct nl nl;
		struct msg m;
		uint64_t id;
		unsigned int i;
		int grp;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		if (nl_open(&nl))
			_exit(11);
		if (get_status(&nl, &st))
			_exit(12);	/* status is for everyone */
		for (i = 0; i < sizeof(cmds); i++) {
			msg_init(&nl, &m, cmds[i], 0);
			if (nl_xfer(&nl, &m, NULL, NULL) != -EPERM)
				_exit(20 + i);
		}
		if (add_lock(&nl, self->file, XLOCK_PROTO_NLM, "unpriv", XLOCK_MODE_EXCL,
			     0, 0, &id) != -EPERM)
			_exit(30);
		if (dump_locks(&nl, &d, NULL, NULL) != -EPERM)
			_exit(31);
		grp = nl.mcgrp_events;
		if (!setsockopt(nl.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)))
			_exit(32);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("unprivileged check %d failed",
						 WEXITSTATUS(status));
	ASSERT_EQ(0, get_status(&self->nl, &after));
	EXPECT_EQ(before.generation, after.generation);
	EXPECT_EQ(before.entries, after.entries);
}

/* --- malformed messages -------------------------------------------------- */

struct malformed {
	const char *what;
	uint8_t cmd;
	uint16_t flags;
	void (*build)(struct msg *m, const char *file);
};

static void b_none(struct msg *m, const char *f) { (void)m; (void)f; }
static void b_unknown_attr(struct msg *m, const char *f) { (void)f; put_u32(m, XLOCK_A_MAX + 5, 1); }
static void b_status_attr(struct msg *m, const char *f) { (void)f; put_u32(m, XLOCK_A_SHARE_ID, 1); }
static void b_short_u32(struct msg *m, const char *f) { (void)f; put_u8(m, XLOCK_A_LIMIT_FILE, 1); }
static void b_limit_zero(struct msg *m, const char *f) { (void)f; put_u32(m, XLOCK_A_LIMIT_FILE, 0); }
static void b_limit_huge(struct msg *m, const char *f) { (void)f; put_u32(m, XLOCK_A_LIMIT_FILE, 1u << 30); }
static void b_limit_total_zero(struct msg *m, const char *f) { (void)f; put_u32(m, XLOCK_A_LIMIT_TOTAL, 0); }
static void b_limit_client_u64(struct msg *m, const char *f) { (void)f; put_u64(m, XLOCK_A_LIMIT_CLIENT, 5); }
static void b_config_foreign(struct msg *m, const char *f) { put_str(m, XLOCK_A_PATH, f); }
static void b_share_relative(struct msg *m, const char *f) { (void)f; put_str(m, XLOCK_A_PATH, "tmp"); }
static void b_share_missing(struct msg *m, const char *f) { (void)f; put_str(m, XLOCK_A_PATH, "/nonexistent/xlock"); }
static void b_share_file(struct msg *m, const char *f) { put_str(m, XLOCK_A_PATH, f); }
static void b_share_nonul(struct msg *m, const char *f) { (void)f; attr_put(m, XLOCK_A_PATH, "/tmp", 4); }
static void b_share_longname(struct msg *m, const char *f)
{
	char name[200];

	(void)f;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	put_str(m, XLOCK_A_PATH, "/tmp");
	put_str(m, XLOCK_A_NAME, name);
}
static void b_share_longpath(struct msg *m, const char *f)
{
	static char p[PATH_MAX + 10];

	(void)f;
	memset(p, 'a', sizeof(p) - 1);
	p[0] = '/';
	p[sizeof(p) - 1] = '\0';
	put_str(m, XLOCK_A_PATH, p);
}
static void b_share_flags(struct msg *m, const char *f) { (void)f; put_str(m, XLOCK_A_PATH, "/tmp"); put_u32(m, XLOCK_A_SHARE_FLAGS, 0x80); }
static void b_share_timeout_low(struct msg *m, const char *f) { (void)f; put_str(m, XLOCK_A_PATH, "/tmp"); put_u32(m, XLOCK_A_BREAK_TIMEOUT_MS, 5); }
static void b_share_timeout_high(struct msg *m, const char *f) { (void)f; put_str(m, XLOCK_A_PATH, "/tmp"); put_u32(m, XLOCK_A_BREAK_TIMEOUT_MS, 7200000); }
static void b_share_grace_zero(struct msg *m, const char *f) { (void)f; put_str(m, XLOCK_A_PATH, "/tmp"); put_u32(m, XLOCK_A_GRACE_S, 0); }
static void b_share_grace_u8(struct msg *m, const char *f) { (void)f; put_str(m, XLOCK_A_PATH, "/tmp"); put_u8(m, XLOCK_A_GRACE_S, 9); }
static void b_share_entry_attr(struct msg *m, const char *f) { (void)f; put_str(m, XLOCK_A_PATH, "/tmp"); put_u64(m, XLOCK_A_ENTRY_ID, 1); }
static void b_set_no_id(struct msg *m, const char *f) { (void)f; put_u32(m, XLOCK_A_GRACE_S, 9); }
static void b_set_unknown(struct msg *m, const char *f) { (void)f; put_u32(m, XLOCK_A_SHARE_ID, 999999); }
static void b_set_path(struct msg *m, const char *f) { (void)f; put_u32(m, XLOCK_A_SHARE_ID, 0); put_str(m, XLOCK_A_PATH, "/tmp"); }
static void b_del_unknown(struct msg *m, const char *f) { (void)f; put_u32(m, XLOCK_A_SHARE_ID, 424242); }
static void b_locks_relative(struct msg *m, const char *f) { (void)f; put_str(m, XLOCK_A_PATH, "rel/ative"); }
static void b_locks_lease_attr(struct msg *m, const char *f) { (void)f; put_u8(m, XLOCK_A_LEASE_STATE, 1); }
static void b_locks_missing(struct msg *m, const char *f) { (void)f; put_str(m, XLOCK_A_PATH, "/nonexistent/f"); }
static void b_break_huge_id(struct msg *m, const char *f) { (void)f; put_u64(m, XLOCK_A_ENTRY_ID, 1ULL << 40); }
static void b_break_unknown(struct msg *m, const char *f) { (void)f; put_u64(m, XLOCK_A_ENTRY_ID, 0xfffffff0); }
static void b_break_state(struct msg *m, const char *f) { (void)f; put_u64(m, XLOCK_A_ENTRY_ID, 1); put_u8(m, XLOCK_A_LEASE_STATE, 0x10); }
static void b_break_id_u32(struct msg *m, const char *f) { (void)f; put_u32(m, XLOCK_A_ENTRY_ID, 1); }
static void b_clear_unknown(struct msg *m, const char *f) { (void)f; put_str(m, XLOCK_A_CLIENT, "nlm:nobody-at-all"); }
static void b_clear_empty_attr(struct msg *m, const char *f) { (void)f; attr_put(m, XLOCK_A_CLIENT, NULL, 0); }

static void test_base(struct msg *m, const char *f, uint8_t proto, uint8_t kind)
{
	put_str(m, XLOCK_A_PATH, f);
	put_u8(m, XLOCK_A_PROTO, proto);
	put_u8(m, XLOCK_A_KIND, kind);
	put_str(m, XLOCK_A_CLIENT, "c1");
}
static void b_t_no_path(struct msg *m, const char *f) { (void)f; put_u8(m, XLOCK_A_PROTO, 1); put_u8(m, XLOCK_A_KIND, 1); put_str(m, XLOCK_A_CLIENT, "c1"); }
static void b_t_no_client(struct msg *m, const char *f) { put_str(m, XLOCK_A_PATH, f); put_u8(m, XLOCK_A_PROTO, 1); put_u8(m, XLOCK_A_KIND, 1); }
static void b_t_proto(struct msg *m, const char *f) { test_base(m, f, 7, XLOCK_KIND_LOCK); }
static void b_t_kind(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_NLM, 9); }
static void b_t_nlm_lease(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_NLM, XLOCK_KIND_LEASE); put_u8(m, XLOCK_A_LEASE_STATE, 1); }
static void b_t_lock_no_mode(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_NLM, XLOCK_KIND_LOCK); put_u64(m, XLOCK_A_START, 0); put_u64(m, XLOCK_A_END, 1); }
static void b_t_lock_bad_mode(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_NLM, XLOCK_KIND_LOCK); put_u8(m, XLOCK_A_MODE, 3); put_u64(m, XLOCK_A_START, 0); put_u64(m, XLOCK_A_END, 1); }
static void b_t_lock_backwards(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_NLM, XLOCK_KIND_LOCK); put_u8(m, XLOCK_A_MODE, 1); put_u64(m, XLOCK_A_START, 10); put_u64(m, XLOCK_A_END, 1); }
static void b_t_lock_no_end(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_NLM, XLOCK_KIND_LOCK); put_u8(m, XLOCK_A_MODE, 1); put_u64(m, XLOCK_A_START, 10); }
static void b_t_lock_start_u32(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_NLM, XLOCK_KIND_LOCK); put_u8(m, XLOCK_A_MODE, 1); put_u32(m, XLOCK_A_START, 10); put_u64(m, XLOCK_A_END, 11); }
static void b_t_lease_h_only(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_SMB, XLOCK_KIND_LEASE); put_u8(m, XLOCK_A_LEASE_STATE, XLOCK_LEASE_H); }
static void b_t_lease_bits(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_SMB, XLOCK_KIND_LEASE); put_u8(m, XLOCK_A_LEASE_STATE, 0x21); }
static void b_t_lease_none(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_SMB, XLOCK_KIND_LEASE); }
static void b_t_lease_key_len(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_SMB, XLOCK_KIND_LEASE); put_u8(m, XLOCK_A_LEASE_STATE, 1); attr_put(m, XLOCK_A_SMB_LEASE_KEY, "short", 5); }
static void b_t_guid_len(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_SMB, XLOCK_KIND_LEASE); put_u8(m, XLOCK_A_LEASE_STATE, 1); attr_put(m, XLOCK_A_SMB_GUID, "0123456789abcdefXX", 18); }
static void b_t_share_bits(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_SMB, XLOCK_KIND_SHARE); put_u8(m, XLOCK_A_SHARE_ACCESS, 8); put_u8(m, XLOCK_A_SHARE_ALLOW, 1); }
static void b_t_share_missing(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_SMB, XLOCK_KIND_SHARE); put_u8(m, XLOCK_A_SHARE_ACCESS, 1); }
static void b_t_flags(struct msg *m, const char *f) { test_base(m, f, XLOCK_PROTO_NLM, XLOCK_KIND_LOCK); put_u8(m, XLOCK_A_MODE, 1); put_u64(m, XLOCK_A_START, 0); put_u64(m, XLOCK_A_END, 1); put_u32(m, XLOCK_A_FLAGS, XLOCK_ENTRY_F_TEST); }
static void b_t_missing_file(struct msg *m, const char *f) { (void)f; test_base(m, "/nonexistent/zz", XLOCK_PROTO_NLM, XLOCK_KIND_LOCK); put_u8(m, XLOCK_A_MODE, 1); put_u64(m, XLOCK_A_START, 0); put_u64(m, XLOCK_A_END, 1); }
static void b_t_long_client(struct msg *m, const char *f)
{
	char c[100];

	memset(c, 'c', sizeof(c) - 1);
	c[sizeof(c) - 1] = '\0';
	put_str(m, XLOCK_A_PATH, f);
	put_u8(m, XLOCK_A_PROTO, 1);
	put_u8(m, XLOCK_A_KIND, 1);
	put_str(m, XLOCK_A_CLIENT, c);
}
static void b_t_nested(struct msg *m, const char *f)
{
	static const unsigned char junk[8] = { 8, 0, 5, 0, 'a', 'b', 'c', 'd' };

	(void)f;
	attr_put(m, XLOCK_A_EDGES | NLA_F_NESTED, junk, sizeof(junk));
}
static void b_del_no_id(struct msg *m, const char *f) { (void)f; }
static void b_del_real(struct msg *m, const char *f) { (void)f; put_u64(m, XLOCK_A_ENTRY_ID, 0xfffffffe); }
static void b_trailing(struct msg *m, const char *f) { (void)f; m->buf[m->len++] = 0xff; m->buf[m->len++] = 0xff; }
static void b_short_attr(struct msg *m, const char *f)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);

	(void)f;
	a->nla_type = XLOCK_A_SHARE_ID;
	a->nla_len = 2;		/* shorter than the attribute header */
	m->len += 4;
}
static void b_overlong_attr(struct msg *m, const char *f)
{
	struct nlattr *a = attr_put(m, XLOCK_A_SHARE_ID, "\1\0\0\0", 4);

	(void)f;
	a->nla_len = 200;	/* runs past the end of the message */
}

static const struct malformed cases[] = {
	{ "status with an unknown attribute type", XLOCK_CMD_GET_STATUS, 0, b_unknown_attr },
	{ "status with an attribute it does not take", XLOCK_CMD_GET_STATUS, 0, b_status_attr },
	{ "status with trailing bytes", XLOCK_CMD_GET_STATUS, 0, b_trailing },
	{ "unknown command", XLOCK_CMD_MAX + 3, 0, b_none },
	{ "command 0", XLOCK_CMD_UNSPEC, 0, b_none },
	{ "EVENT sent by userspace", XLOCK_CMD_EVENT, 0, b_none },
	{ "config: u8 for a u32", XLOCK_CMD_SET_CONFIG, 0, b_short_u32 },
	{ "config: limit_file 0", XLOCK_CMD_SET_CONFIG, 0, b_limit_zero },
	{ "config: limit_file too large", XLOCK_CMD_SET_CONFIG, 0, b_limit_huge },
	{ "config: limit_total 0", XLOCK_CMD_SET_CONFIG, 0, b_limit_total_zero },
	{ "config: u64 for a u32", XLOCK_CMD_SET_CONFIG, 0, b_limit_client_u64 },
	{ "config: path attribute", XLOCK_CMD_SET_CONFIG, 0, b_config_foreign },
	{ "config: attribute shorter than its header", XLOCK_CMD_SET_CONFIG, 0, b_short_attr },
	{ "config: attribute longer than the message", XLOCK_CMD_SET_CONFIG, 0, b_overlong_attr },
	{ "add share: no path", XLOCK_CMD_ADD_SHARE, 0, b_none },
	{ "add share: relative path", XLOCK_CMD_ADD_SHARE, 0, b_share_relative },
	{ "add share: missing directory", XLOCK_CMD_ADD_SHARE, 0, b_share_missing },
	{ "add share: a file, not a directory", XLOCK_CMD_ADD_SHARE, 0, b_share_file },
	{ "add share: path without NUL", XLOCK_CMD_ADD_SHARE, 0, b_share_nonul },
	{ "add share: name too long", XLOCK_CMD_ADD_SHARE, 0, b_share_longname },
	{ "add share: path longer than PATH_MAX", XLOCK_CMD_ADD_SHARE, 0, b_share_longpath },
	{ "add share: unknown flag", XLOCK_CMD_ADD_SHARE, 0, b_share_flags },
	{ "add share: timeout below range", XLOCK_CMD_ADD_SHARE, 0, b_share_timeout_low },
	{ "add share: timeout above range", XLOCK_CMD_ADD_SHARE, 0, b_share_timeout_high },
	{ "add share: grace 0", XLOCK_CMD_ADD_SHARE, 0, b_share_grace_zero },
	{ "add share: u8 grace", XLOCK_CMD_ADD_SHARE, 0, b_share_grace_u8 },
	{ "add share: entry id attribute", XLOCK_CMD_ADD_SHARE, 0, b_share_entry_attr },
	{ "set share: no id", XLOCK_CMD_SET_SHARE, 0, b_set_no_id },
	{ "set share: unknown id", XLOCK_CMD_SET_SHARE, 0, b_set_unknown },
	{ "set share: path cannot change", XLOCK_CMD_SET_SHARE, 0, b_set_path },
	{ "del share: no id", XLOCK_CMD_DEL_SHARE, 0, b_none },
	{ "del share: unknown id", XLOCK_CMD_DEL_SHARE, 0, b_del_unknown },
	{ "locks: relative path", XLOCK_CMD_GET_LOCKS, NLM_F_DUMP, b_locks_relative },
	{ "locks: attribute it does not take", XLOCK_CMD_GET_LOCKS, NLM_F_DUMP, b_locks_lease_attr },
	{ "locks: missing file", XLOCK_CMD_GET_LOCKS, NLM_F_DUMP, b_locks_missing },
	{ "locks: unknown attribute type", XLOCK_CMD_GET_LOCKS, NLM_F_DUMP, b_unknown_attr },
	{ "shares dump with an attribute", XLOCK_CMD_GET_SHARES, NLM_F_DUMP, b_status_attr },
	{ "break: no id", XLOCK_CMD_BREAK, 0, b_none },
	{ "break: id beyond 32 bits", XLOCK_CMD_BREAK, 0, b_break_huge_id },
	{ "break: unknown id", XLOCK_CMD_BREAK, 0, b_break_unknown },
	{ "break: unknown lease bits", XLOCK_CMD_BREAK, 0, b_break_state },
	{ "break: u32 id", XLOCK_CMD_BREAK, 0, b_break_id_u32 },
	{ "clear client: no client", XLOCK_CMD_CLEAR_CLIENT, 0, b_none },
	{ "clear client: unknown client", XLOCK_CMD_CLEAR_CLIENT, 0, b_clear_unknown },
	{ "clear client: empty string attribute", XLOCK_CMD_CLEAR_CLIENT, 0, b_clear_empty_attr },
	{ "test add: no path", XLOCK_CMD_TEST_ADD, 0, b_t_no_path },
	{ "test add: no client", XLOCK_CMD_TEST_ADD, 0, b_t_no_client },
	{ "test add: unknown protocol", XLOCK_CMD_TEST_ADD, 0, b_t_proto },
	{ "test add: unknown kind", XLOCK_CMD_TEST_ADD, 0, b_t_kind },
	{ "test add: NLM lease", XLOCK_CMD_TEST_ADD, 0, b_t_nlm_lease },
	{ "test add: lock without mode", XLOCK_CMD_TEST_ADD, 0, b_t_lock_no_mode },
	{ "test add: lock mode 3", XLOCK_CMD_TEST_ADD, 0, b_t_lock_bad_mode },
	{ "test add: range ends before it starts", XLOCK_CMD_TEST_ADD, 0, b_t_lock_backwards },
	{ "test add: lock without end", XLOCK_CMD_TEST_ADD, 0, b_t_lock_no_end },
	{ "test add: u32 start", XLOCK_CMD_TEST_ADD, 0, b_t_lock_start_u32 },
	{ "test add: lease H alone", XLOCK_CMD_TEST_ADD, 0, b_t_lease_h_only },
	{ "test add: unknown lease bits", XLOCK_CMD_TEST_ADD, 0, b_t_lease_bits },
	{ "test add: lease without state", XLOCK_CMD_TEST_ADD, 0, b_t_lease_none },
	{ "test add: short lease key", XLOCK_CMD_TEST_ADD, 0, b_t_lease_key_len },
	{ "test add: long client GUID", XLOCK_CMD_TEST_ADD, 0, b_t_guid_len },
	{ "test add: unknown share bits", XLOCK_CMD_TEST_ADD, 0, b_t_share_bits },
	{ "test add: share without allow", XLOCK_CMD_TEST_ADD, 0, b_t_share_missing },
	{ "test add: TEST flag from userspace", XLOCK_CMD_TEST_ADD, 0, b_t_flags },
	{ "test add: missing file", XLOCK_CMD_TEST_ADD, 0, b_t_missing_file },
	{ "test add: client name too long", XLOCK_CMD_TEST_ADD, 0, b_t_long_client },
	{ "test add: nested garbage", XLOCK_CMD_TEST_ADD, 0, b_t_nested },
	{ "test del: no id", XLOCK_CMD_TEST_DEL, 0, b_del_no_id },
	{ "test del: unknown id", XLOCK_CMD_TEST_DEL, 0, b_del_real },
};

TEST_F(xlock, malformed_messages)
{
	struct status before, after;
	unsigned int i, with_msg = 0;
	uint64_t id;

	/* Something in the table, so that a stray change would show. */
	ASSERT_EQ(0, add_lease(&self->nl, self->file, "smbc", XLOCK_LEASE_R, &id));
	ASSERT_EQ(0, get_status(&self->nl, &before));
	ASSERT_LE(50, sizeof(cases) / sizeof(cases[0]));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msg m;
		int ret;

		msg_init(&self->nl, &m, cases[i].cmd, cases[i].flags);
		cases[i].build(&m, self->file);
		ret = nl_xfer(&self->nl, &m, NULL, NULL);
		EXPECT_GT(0, ret) TH_LOG("%s: accepted", cases[i].what);
		if (self->nl.extack[0])
			with_msg++;
		else
			TH_LOG("%s: %d, no extack message", cases[i].what, ret);
	}
	/* Bare framing errors: a truncated header and a lying length. */
	{
		unsigned char raw[64] = { 0 };
		struct nlmsghdr *h = (struct nlmsghdr *)raw;

		h->nlmsg_len = NLMSG_HDRLEN + 2;
		h->nlmsg_type = self->nl.family;
		h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		EXPECT_GT(0, nl_xfer_raw(&self->nl, raw, h->nlmsg_len, NULL, NULL));
		h->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN;
		((struct genlmsghdr *)NLMSG_DATA(h))->cmd = XLOCK_CMD_GET_STATUS;
		((struct genlmsghdr *)NLMSG_DATA(h))->reserved = 7;
		EXPECT_GT(0, nl_xfer_raw(&self->nl, raw, h->nlmsg_len, NULL, NULL));
	}
	ASSERT_EQ(0, get_status(&self->nl, &after));
	EXPECT_EQ(before.generation, after.generation);
	EXPECT_EQ(before.entries, after.entries);
	EXPECT_EQ(before.files, after.files);
	EXPECT_LE(sizeof(cases) / sizeof(cases[0]) * 9 / 10, with_msg);
}

TEST_HARNESS_MAIN
