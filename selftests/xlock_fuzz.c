// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink fuzz of the xlock family, run in the guest against a module loaded
 * with test_api=1: XLOCK_FUZZ_N (default 10000) random or malformed messages
 * from root and as many from an unprivileged user. Messages are built from
 * the family's own vocabulary (commands, attribute types, boundary values,
 * paths, reclaim records) and then damaged at random (lengths, flags,
 * padding, truncation). Every message must get a reply that is an ack, a
 * dump or a clean errno; unprivileged senders must change nothing. The seed
 * is printed; XLOCK_FUZZ_SEED repeats a run.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "nl.h"
#include "kselftest_harness.h"

struct fuzz {
	uint64_t rng;
	const char *file;
	const char *dir;
	uint32_t keep_shares[64];	/* shares that existed before: never deleted */
	int nr_keep;
	uint64_t ids[64];		/* entry ids the fuzz was given: BREAK them */
	unsigned int nr_ids, id_next;
	/* results */
	unsigned long sent, acked, errors, no_reply, bad_errno;
	unsigned long per_errno[136];
};

static uint64_t rnd(struct fuzz *f)
{
	/* xorshift64*: deterministic for a seed */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 0x2545F4914F6CDD1DULL;
}

static unsigned int below(struct fuzz *f, unsigned int n)
{
	return n ? (unsigned int)(rnd(f) % n) : 0;
}

static const uint64_t boundary[] = {
	0, 1, 2, 3, 7, 8, 15, 16, 0x7f, 0x80, 0xff, 0x100, 99, 100, 3600, 3601,
	35000, 3600000, 3600001, 0xffff, 0x10000, 1u << 20, (1u << 20) + 1, 1u << 26,
	(1u << 26) + 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	0x100000000ULL, 1ULL << 40, 0x7fffffffffffffffULL, ~0ULL - 1, ~0ULL,
};

static uint64_t value(struct fuzz *f)
{
	if (below(f, 3))
		return boundary[below(f, sizeof(boundary) / sizeof(boundary[0]))];
	return rnd(f) >> below(f, 64);
}

static bool kept_share(const struct fuzz *f, uint32_t id)
{
	int i;

	for (i = 0; i < f->nr_keep; i++)
		if (f->keep_shares[i] == id)
			return true;
	return false;
}

static void put_path(struct fuzz *f, struct msg *m, uint16_t type)
{
	static char big[PATH_MAX + 64];
	char buf[512];

	switch (below(f, 10)) {
	case 0:
		put_str(m, type, f->dir);
		break;
	case 1:
		put_str(m, type, "/");
		break;
	case 2:
		put_str(m, type, "relative/path");
		break;
	case 3:
		put_str(m, type, "/nonexistent/xlock-fuzz");
		break;
	case 4:
		memset(big, 'p', sizeof(big) - 1);
		big[0] = '/';
		big[below(f, sizeof(big) - 1) + 1] = '\0';
		put_str(m, type, big);
		break;
	case 5:
		attr_put(m, type, f->file, strlen(f->file));	/* no NUL */
		break;
	case 6:
		snprintf(buf, sizeof(buf), "%s/../%s", f->dir, strrchr(f->file, '/') + 1);
		put_str(m, type, buf);
		break;
	case 7:
		put_str(m, type, "/proc/self/fd/0");
		break;
	default:
		put_str(m, type, f->file);
		break;
	}
}

static void put_client(struct fuzz *f, struct msg *m, uint16_t type)
{
	static const char *const names[] = {
		"fz1", "nlm:fz2", "smb:fz3", "nlm:", "smb:", "", "nlm:127.0.0.1",
		"0123456789abcdef0123456789abcdef", "smb:192.0.2.1", "nlm:nfscli",
	};
	char buf[200];
	unsigned int n;

	if (below(f, 4)) {
		put_str(m, type, names[below(f, sizeof(names) / sizeof(names[0]))]);
		return;
	}
	n = below(f, sizeof(buf) - 1);
	memset(buf, 'a' + below(f, 26), n);
	buf[n] = '\0';
	if (n && below(f, 2))
		buf[below(f, n)] = (char)below(f, 256);
	put_str(m, type, buf);
}

static void put_recs(struct fuzz *f, struct msg *m)
{
	struct xlock_reclaim_rec r[8];
	unsigned int n = below(f, 9), i;
	size_t len;

	memset(r, 0, sizeof(r));
	for (i = 0; i < n; i++) {
		r[i].start = value(f);
		r[i].end = below(f, 2) ? ~0ULL : value(f);
		r[i].svid = (uint32_t)value(f);
		r[i].proto = below(f, 4);
		r[i].kind = below(f, 4);
		r[i].mode = below(f, 4);
		r[i].state = below(f, 16);
		if (!below(f, 8))
			r[i].reserved = value(f);
	}
	len = n * sizeof(r[0]);
	if (!below(f, 5) && len)
		len -= below(f, (unsigned int)len);	/* not a whole number of records */
	attr_put(m, XLOCK_A_RECLAIM_RECS, r, len);
}

static void put_typed(struct fuzz *f, struct msg *m, uint16_t type, uint64_t v);

/* One attribute: a well-typed value for its type, or noise. */
static void put_attr(struct fuzz *f, struct msg *m)
{
	uint16_t type = below(f, XLOCK_A_MAX + 4);
	unsigned char junk[80];
	uint64_t v = value(f);
	unsigned int i, n;

	if (!below(f, 16))
		type |= below(f, 2) ? NLA_F_NESTED : NLA_F_NET_BYTEORDER;
	switch (below(f, 8)) {
	case 0:
		n = below(f, sizeof(junk));
		for (i = 0; i < n; i++)
			junk[i] = (unsigned char)rnd(f);
		attr_put(m, type, junk, n);
		return;
	case 1:
		put_u8(m, type, (uint8_t)v);
		return;
	case 2:
		if ((type & NLA_TYPE_MASK) == XLOCK_A_SHARE_ID && kept_share(f, (uint32_t)v))
			v += 100000;
		put_u32(m, type, (uint32_t)v);
		return;
	case 3:
		put_u64(m, type, v);
		return;
	}
	put_typed(f, m, type, v);
}

/* A value of the type and range the family expects for @type, mostly. */
static void put_typed(struct fuzz *f, struct msg *m, uint16_t type, uint64_t v)
{
	unsigned char junk[20];
	unsigned int i;

	switch (type & NLA_TYPE_MASK) {
	case XLOCK_A_PATH:
		put_path(f, m, type);
		break;
	case XLOCK_A_CLIENT:
	case XLOCK_A_NAME:
	case XLOCK_A_CLIENT_ADDR:
		put_client(f, m, type);
		break;
	case XLOCK_A_RECLAIM_RECS:
		put_recs(f, m);
		break;
	case XLOCK_A_SMB_GUID:
	case XLOCK_A_SMB_LEASE_KEY:
		for (i = 0; i < 16; i++)
			junk[i] = (unsigned char)rnd(f);
		attr_put(m, type, junk, below(f, 4) ? 16 : below(f, 20));
		break;
	case XLOCK_A_SMB_FID:
		put_u64(m, type, v);
		break;
	case XLOCK_A_PROTO:
	case XLOCK_A_KIND:
	case XLOCK_A_MODE:
	case XLOCK_A_LEASE_STATE:
	case XLOCK_A_SHARE_ACCESS:
	case XLOCK_A_SHARE_ALLOW:
	case XLOCK_A_EVENT:
		put_u8(m, type, (uint8_t)below(f, 20));
		break;
	case XLOCK_A_SHARE_ID:
		v = below(f, 2) ? below(f, 8) : (uint32_t)v;
		if (kept_share(f, (uint32_t)v))
			v += 100000;
		put_u32(m, type, (uint32_t)v);
		break;
	case XLOCK_A_ENTRY_ID:
		if (f->nr_ids && below(f, 4))
			v = f->ids[below(f, f->nr_ids)];
		put_u64(m, type, below(f, 4) ? v : below(f, 64));
		break;
	case XLOCK_A_LIMIT_TOTAL:
	case XLOCK_A_LIMIT_FILE:
	case XLOCK_A_LIMIT_CLIENT:
		/* Low limits would make the rest of the run a limit test. */
		put_u32(m, type, below(f, 4) ? 4096 + below(f, 1u << 16) : (uint32_t)v);
		break;
	case XLOCK_A_BREAK_TIMEOUT_MS:
		put_u32(m, type, below(f, 2) ? 100 + below(f, 5000) : (uint32_t)v);
		break;
	case XLOCK_A_GRACE_S:
		put_u32(m, type, below(f, 2) ? 1 + below(f, 30) : (uint32_t)v);
		break;
	case XLOCK_A_START:
	case XLOCK_A_END:
	case XLOCK_A_DEV:
	case XLOCK_A_INO:
	case XLOCK_A_NLM_OH:
		put_u64(m, type, below(f, 2) ? below(f, 64) : v);
		break;
	default:
		put_u32(m, type, (uint32_t)v);
		break;
	}
}

/* What each command takes: half the messages are built from these. */
static const uint16_t takes[][12] = {
	[XLOCK_CMD_SET_CONFIG] = { XLOCK_A_LIMIT_TOTAL, XLOCK_A_LIMIT_FILE, XLOCK_A_LIMIT_CLIENT },
	[XLOCK_CMD_ADD_SHARE] = { XLOCK_A_PATH, XLOCK_A_NAME, XLOCK_A_SHARE_FLAGS,
				  XLOCK_A_BREAK_TIMEOUT_MS, XLOCK_A_GRACE_S },
	[XLOCK_CMD_SET_SHARE] = { XLOCK_A_SHARE_ID, XLOCK_A_SHARE_FLAGS,
				  XLOCK_A_BREAK_TIMEOUT_MS, XLOCK_A_GRACE_S },
	[XLOCK_CMD_DEL_SHARE] = { XLOCK_A_SHARE_ID },
	[XLOCK_CMD_GET_LOCKS] = { XLOCK_A_SHARE_ID, XLOCK_A_PATH, XLOCK_A_CLIENT },
	[XLOCK_CMD_BREAK] = { XLOCK_A_ENTRY_ID, XLOCK_A_LEASE_STATE },
	[XLOCK_CMD_CLEAR_CLIENT] = { XLOCK_A_CLIENT },
	[XLOCK_CMD_TEST_ADD] = { XLOCK_A_PATH, XLOCK_A_PROTO, XLOCK_A_KIND, XLOCK_A_CLIENT,
				 XLOCK_A_MODE, XLOCK_A_START, XLOCK_A_END, XLOCK_A_LEASE_STATE,
				 XLOCK_A_SHARE_ACCESS, XLOCK_A_SHARE_ALLOW, XLOCK_A_SMB_LEASE_KEY,
				 XLOCK_A_NLM_SVID },
	[XLOCK_CMD_TEST_DEL] = { XLOCK_A_ENTRY_ID },
	[XLOCK_CMD_RECLAIM_ADD] = { XLOCK_A_PATH, XLOCK_A_CLIENT, XLOCK_A_RECLAIM_RECS },
	[XLOCK_CMD_GRACE_START] = { XLOCK_A_GRACE_S },
	[XLOCK_CMD_GET_GRACE] = { 0 },
};

/* A message @cmd takes, each of its attributes present with odds 3/4. */
static void build_template(struct fuzz *f, struct msg *m, uint8_t cmd)
{
	unsigned int i;

	if (cmd >= sizeof(takes) / sizeof(takes[0]))
		return;
	for (i = 0; i < 12 && takes[cmd][i]; i++) {
		uint16_t t = takes[cmd][i];

		if (!below(f, 4))
			continue;
		if (t == XLOCK_A_PROTO)
			put_u8(m, t, 1 + below(f, 2));
		else if (t == XLOCK_A_KIND)
			put_u8(m, t, 1 + below(f, 3));
		else if (t == XLOCK_A_MODE)
			put_u8(m, t, 1 + below(f, 2));
		else if (t == XLOCK_A_LEASE_STATE)
			put_u8(m, t, below(f, 8));
		else if (t == XLOCK_A_SHARE_ACCESS || t == XLOCK_A_SHARE_ALLOW)
			put_u8(m, t, below(f, 8));
		else if (t == XLOCK_A_START)
			put_u64(m, t, below(f, 1000));
		else if (t == XLOCK_A_END)
			put_u64(m, t, below(f, 4) ? 1000 + below(f, 1000) : ~0ULL);
		else if (t == XLOCK_A_PATH && below(f, 2))
			put_str(m, t, f->file);
		else
			put_typed(f, m, t, value(f));
	}
}

/*
 * Build one message into @m: a command (mostly known ones), flags, up to 12
 * attributes (half the time those the command takes), then maybe damage
 * it. Returns the length to send.
 */
static size_t build(struct fuzz *f, struct nl *nl, struct msg *m)
{
	uint8_t cmd = below(f, 8) ? 1 + below(f, XLOCK_CMD_MAX) : (uint8_t)rnd(f);
	uint16_t flags = 0;
	unsigned int i, n = below(f, 13);
	struct nlmsghdr *h;

	if (cmd == XLOCK_CMD_GET_LOCKS || cmd == XLOCK_CMD_GET_SHARES || !below(f, 10))
		flags |= NLM_F_DUMP;
	msg_init(nl, m, cmd, flags);
	if (!below(f, 20))
		((struct genlmsghdr *)(m->buf + NLMSG_HDRLEN))->version = (uint8_t)rnd(f);
	if (!below(f, 30))
		((struct genlmsghdr *)(m->buf + NLMSG_HDRLEN))->reserved = (uint16_t)rnd(f);
	if (below(f, 2))
		build_template(f, m, cmd);
	else
		for (i = 0; i < n && m->len < sizeof(m->buf) - PATH_MAX - 256; i++)
			put_attr(f, m);
	h = msg_hdr(m);
	h->nlmsg_len = m->len;
	switch (below(f, 16)) {
	case 0:		/* truncated in the middle of an attribute */
		if (m->len > NLMSG_HDRLEN + GENL_HDRLEN + 1)
			m->len -= 1 + below(f, (unsigned int)(m->len - NLMSG_HDRLEN - GENL_HDRLEN - 1));
		h->nlmsg_len = m->len;
		break;
	case 1:		/* an attribute length that lies */
		if (m->len >= NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN) {
			struct nlattr *a = (struct nlattr *)(m->buf + NLMSG_HDRLEN + GENL_HDRLEN);

			a->nla_len = (uint16_t)rnd(f);
		}
		break;
	case 2:		/* trailing junk after the attributes */
		for (i = below(f, 7) + 1; i; i--)
			m->buf[m->len++] = (unsigned char)rnd(f);
		h->nlmsg_len = m->len;
		break;
	case 3:		/* no genetlink header at all */
		m->len = NLMSG_HDRLEN + below(f, GENL_HDRLEN);
		h->nlmsg_len = m->len;
		break;
	}
	return m->len;
}

static void count_reply(struct fuzz *f, int ret)
{
	if (ret == 0) {
		f->acked++;
	} else if (ret == -EAGAIN) {
		f->no_reply++;
	} else if (ret < 0 && ret > -(int)(sizeof(f->per_errno) / sizeof(f->per_errno[0]))) {
		f->errors++;
		f->per_errno[-ret]++;
	} else {
		f->bad_errno++;
	}
}

static void id_reply(const struct attrs *t, void *arg)
{
	struct fuzz *f = arg;

	if (!t->a[XLOCK_A_ENTRY_ID] || t->a[XLOCK_A_PROTO])
		return;		/* not a TEST_ADD answer */
	f->ids[f->id_next++ % 64] = get_u64(t, XLOCK_A_ENTRY_ID);
	if (f->nr_ids < 64)
		f->nr_ids++;
}

/* Send @iters messages and count how each was answered. */
static void fuzz_run(struct fuzz *f, struct nl *nl, unsigned long iters)
{
	static struct msg m;
	struct timeval tv = { .tv_sec = 5 };
	unsigned long i;

	setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < iters; i++) {
		size_t len = build(f, nl, &m);
		int ret;

		f->sent++;
		ret = nl_xfer_raw(nl, m.buf, len, id_reply, f);
		/*
		 * A message netlink itself cannot frame (too short for its
		 * header) is dropped without a reply: that is the one case
		 * where silence is the right answer.
		 */
		if (ret == -EAGAIN && len < NLMSG_HDRLEN + GENL_HDRLEN)
			ret = -EINVAL;
		count_reply(f, ret);
	}
}

static uint64_t seed_from_env(void)
{
	const char *s = getenv("XLOCK_FUZZ_SEED");
	struct timespec ts;

	if (s && *s)
		return strtoull(s, NULL, 0) ?: 1;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec ^ 0x9e3779b97f4a7c15ULL;
}

static unsigned long iters_from_env(void)
{
	const char *s = getenv("XLOCK_FUZZ_N");

	return s && *s ? strtoul(s, NULL, 0) : 10000;
}

/* --- table snapshots ------------------------------------------------------ */

struct snap {
	uint64_t generation, entries;
	uint32_t limit_total, limit_file, limit_client;
};

static void snap_reply(const struct attrs *t, void *arg)
{
	struct snap *s = arg;

	s->generation = get_u64(t, XLOCK_A_GENERATION);
	s->entries = get_u64(t, XLOCK_A_NR_ENTRIES);
	s->limit_total = get_u32(t, XLOCK_A_LIMIT_TOTAL);
	s->limit_file = get_u32(t, XLOCK_A_LIMIT_FILE);
	s->limit_client = get_u32(t, XLOCK_A_LIMIT_CLIENT);
}

static int snap_take(struct nl *nl, struct snap *s)
{
	struct msg m;

	memset(s, 0, sizeof(*s));
	msg_init(nl, &m, XLOCK_CMD_GET_STATUS, 0);
	return nl_xfer(nl, &m, snap_reply, s);
}

static void share_reply(const struct attrs *t, void *arg)
{
	struct fuzz *f = arg;

	if (f->nr_keep < 64)
		f->keep_shares[f->nr_keep++] = get_u32(t, XLOCK_A_SHARE_ID);
}

struct idlist {
	uint64_t id[4096];
	int n;
};

static void test_entry_reply(const struct attrs *t, void *arg)
{
	struct idlist *l = arg;

	if ((get_u32(t, XLOCK_A_FLAGS) & XLOCK_ENTRY_F_TEST) && l->n < 4096)
		l->id[l->n++] = get_u64(t, XLOCK_A_ENTRY_ID);
}

static void new_share_reply(const struct attrs *t, void *arg)
{
	struct fuzz *f = arg;
	uint32_t id = get_u32(t, XLOCK_A_SHARE_ID);

	if (!kept_share(f, id) && f->nr_keep < 64)
		f->keep_shares[f->nr_keep++] = id;
}

/* Undo what root's fuzzing changed: test entries, shares, grace, limits. */
static void fuzz_cleanup(struct nl *nl, struct fuzz *f, const struct snap *before)
{
	static struct idlist l;
	struct msg m;
	int i, kept = f->nr_keep;

	msg_init(nl, &m, XLOCK_CMD_GRACE_END, 0);
	nl_xfer(nl, &m, NULL, NULL);
	l.n = 0;
	msg_init(nl, &m, XLOCK_CMD_GET_LOCKS, NLM_F_DUMP);
	nl_xfer(nl, &m, test_entry_reply, &l);
	for (i = 0; i < l.n; i++) {
		msg_init(nl, &m, XLOCK_CMD_TEST_DEL, 0);
		put_u64(&m, XLOCK_A_ENTRY_ID, l.id[i]);
		nl_xfer(nl, &m, NULL, NULL);
	}
	msg_init(nl, &m, XLOCK_CMD_GET_SHARES, NLM_F_DUMP);
	nl_xfer(nl, &m, new_share_reply, f);
	for (i = kept; i < f->nr_keep; i++) {
		msg_init(nl, &m, XLOCK_CMD_DEL_SHARE, 0);
		put_u32(&m, XLOCK_A_SHARE_ID, f->keep_shares[i]);
		nl_xfer(nl, &m, NULL, NULL);
	}
	f->nr_keep = kept;
	msg_init(nl, &m, XLOCK_CMD_SET_CONFIG, 0);
	put_u32(&m, XLOCK_A_LIMIT_TOTAL, before->limit_total);
	put_u32(&m, XLOCK_A_LIMIT_FILE, before->limit_file);
	put_u32(&m, XLOCK_A_LIMIT_CLIENT, before->limit_client);
	nl_xfer(nl, &m, NULL, NULL);
}

static void report(struct __test_metadata *_metadata, const char *who, const struct fuzz *f)
{
	char top[256] = "";
	size_t off = 0;
	unsigned int e;

	for (e = 1; e < sizeof(f->per_errno) / sizeof(f->per_errno[0]); e++)
		if (f->per_errno[e] && off < sizeof(top) - 32)
			off += snprintf(top + off, sizeof(top) - off, " %s:%lu",
					strerrorname_np(e) ?: "?", f->per_errno[e]);
	TH_LOG("%s: %lu sent, %lu ok, %lu errors, %lu unanswered, %lu bad errno;%s",
	       who, f->sent, f->acked, f->errors, f->no_reply, f->bad_errno, top);
}

FIXTURE(fuzz) {
	struct nl nl;
	char dir[64];
	char file[96];
	struct fuzz f;
};

FIXTURE_SETUP(fuzz)
{
	struct snap s;
	struct msg m;
	int ret = nl_open(&self->nl), fd;

	if (ret == -ENOENT)
		SKIP(return, "xlock.ko is not loaded");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, snap_take(&self->nl, &s));
	strcpy(self->dir, "/tmp/xlock-fuzz-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->file, sizeof(self->file), "%s/f", self->dir);
	fd = open(self->file, O_CREAT | O_WRONLY, 0644);
	ASSERT_LE(0, fd);
	close(fd);
	memset(&self->f, 0, sizeof(self->f));
	self->f.rng = seed_from_env();
	self->f.file = self->file;
	self->f.dir = self->dir;
	msg_init(&self->nl, &m, XLOCK_CMD_GET_SHARES, NLM_F_DUMP);
	ASSERT_EQ(0, nl_xfer(&self->nl, &m, share_reply, &self->f));
	TH_LOG("seed 0x%llx (XLOCK_FUZZ_SEED repeats it), %d shares kept",
	       (unsigned long long)self->f.rng, self->f.nr_keep);
}

FIXTURE_TEARDOWN(fuzz)
{
	unlink(self->file);
	rmdir(self->dir);
	close(self->nl.fd);
}

TEST_F_TIMEOUT(fuzz, root, 1800)
{
	unsigned long n = iters_from_env();
	struct snap before, after;
	struct nl nl;
	int i;

	ASSERT_EQ(0, snap_take(&self->nl, &before));
	/* A socket of its own: it may become the daemon, or be left mid-dump. */
	ASSERT_EQ(0, nl_open(&nl));
	fuzz_run(&self->f, &nl, n);
	report(_metadata, "root", &self->f);
	close(nl.fd);
	EXPECT_EQ(0, self->f.bad_errno);
	EXPECT_EQ(0, self->f.no_reply);
	EXPECT_EQ(n, self->f.sent);
	/* Some of the fuzz must get through the policies, or it is not testing. */
	EXPECT_LT(0, self->f.acked);
	EXPECT_LT(n / 2, self->f.errors);
	for (i = 0; i < 50; i++) {	/* the daemon socket's release is async */
		fuzz_cleanup(&self->nl, &self->f, &before);
		ASSERT_EQ(0, snap_take(&self->nl, &after));
		if (after.entries == before.entries)
			break;
		usleep(100000);
	}
	EXPECT_EQ(before.entries, after.entries);
	EXPECT_EQ(before.limit_total, after.limit_total);
	EXPECT_EQ(before.limit_file, after.limit_file);
}

TEST_F_TIMEOUT(fuzz, unprivileged, 1800)
{
	unsigned long n = iters_from_env();
	struct snap before, after;
	int p[2], status;
	pid_t pid;

	ASSERT_EQ(0, snap_take(&self->nl, &before));
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct nl nl;

		close(p[0]);
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		if (nl_open(&nl))
			_exit(11);
		fuzz_run(&self->f, &nl, n);
		if (write(p[1], &self->f, sizeof(self->f)) != sizeof(self->f))
			_exit(12);
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(sizeof(self->f), read(p[0], &self->f, sizeof(self->f)));
	close(p[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	report(_metadata, "unprivileged", &self->f);
	EXPECT_EQ(0, self->f.bad_errno);
	EXPECT_EQ(0, self->f.no_reply);
	EXPECT_EQ(n, self->f.sent);
	EXPECT_LT(n / 2, self->f.per_errno[EPERM]);
	ASSERT_EQ(0, snap_take(&self->nl, &after));
	EXPECT_EQ(before.generation, after.generation);
	EXPECT_EQ(before.entries, after.entries);
	EXPECT_EQ(before.limit_total, after.limit_total);
	EXPECT_EQ(before.limit_file, after.limit_file);
	EXPECT_EQ(before.limit_client, after.limit_client);
}

TEST_HARNESS_MAIN
