// SPDX-License-Identifier: GPL-2.0
/*
 * xlockd's event loop on the host, against a fake module: this file
 * provides the netlink layer xlockd uses (userspace/nl.h: requests, the
 * lock dump, events) from a scripted table and event queue, and takes the
 * place of write() and poll() (the program's own definitions win over
 * libc's for calls from xlockd's code) to fail state-file writes with
 * ENOSPC and to count the loop's passes. xlockd's real main() runs in a
 * child process (built with -Dmain=xlockd_main); the parent reads the
 * state directory and the ack log it leaves.
 *
 *  - M2: a resync whose dump fails half-way must leave the store as it was,
 *    not half-filled for the next snapshot to make durable;
 *  - M3: on a full disk with more than 65536 events pending, xlockd keeps
 *    reading events and retries its snapshot once a second, instead of
 *    spinning with the socket readable and a snapshot written every pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/genl.h>

#include "../../userspace/journal.h"
#include "../../userspace/nl.h"
#include "tap.h"

int xlockd_main(int argc, char **argv);

/* --- the script: what the fake module holds and sends ------------------- */

enum { EV_GRANT = 1, EV_RELEASE, EV_ENOBUFS, EV_FAIL_WRITES, EV_BREAK };

struct ev {
	int what;
	uint32_t id;		/* EV_GRANT, EV_RELEASE; EV_FAIL_WRITES: how many */
};

static struct ev *evq;		/* the child's copy, consumed by xnl_recv() */
static size_t evq_len, evq_pos;
static uint32_t table_n;	/* the table: entries 1..table_n */
static int dump_fail_from;	/* dumps from this one on (1 = the first) fail ... */
static uint32_t dump_fail_after;	/* ... after this many entries */
static int evfd = -1;		/* the event socket's fd: readable while events wait */
static char state_dir[64];

/* Shared with the parent: what it controls and what the child counts. */
struct ctl {
	volatile int disk_full;		/* state-file writes fail with ENOSPC */
	volatile int fail_writes;	/* ... or only this many more */
	volatile unsigned long enospc, polls, events, dumps;
};

static struct ctl *ctl;

/* --- write() and poll(), counted and failed ------------------------------ */

static bool state_fd(int fd)
{
	char l[64], t[PATH_MAX];
	ssize_t n;

	snprintf(l, sizeof(l), "/proc/self/fd/%d", fd);
	n = readlink(l, t, sizeof(t) - 1);
	if (n <= 0)
		return false;
	t[n] = '\0';
	return !strncmp(t, state_dir, strlen(state_dir));
}

ssize_t write(int fd, const void *buf, size_t n)
{
	if (ctl && (ctl->disk_full || ctl->fail_writes > 0) && state_fd(fd)) {
		if (!ctl->disk_full)
			ctl->fail_writes--;
		ctl->enospc++;
		errno = ENOSPC;
		return -1;
	}
	return syscall(SYS_write, fd, buf, n);
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (ctl)
		ctl->polls++;
	return syscall(SYS_poll, fds, n, timeout);
}

/* --- the netlink layer xlockd uses (userspace/nl.h), faked --------------- */

static char sock_tag;

int nl_socket_get_fd(const struct nl_sock *sk)
{
	(void)sk;
	return evfd;
}

int nl_socket_add_membership(struct nl_sock *sk, int group)
{
	(void)sk;
	(void)group;
	return 0;
}

int nl_socket_set_nonblocking(const struct nl_sock *sk)
{
	(void)sk;
	return 0;
}

int genl_ctrl_resolve_grp(struct nl_sock *sk, const char *family, const char *grp)
{
	(void)sk;
	(void)family;
	(void)grp;
	return 1;
}

int xnl_open(struct xnl *x)
{
	memset(x, 0, sizeof(*x));
	x->sk = (struct nl_sock *)&sock_tag;
	return 0;
}

void xnl_close(struct xnl *x)
{
	x->sk = NULL;
}

int xnl_join(struct xnl *x, const char *group)
{
	(void)x;
	(void)group;
	return 0;
}

struct nl_msg *xnl_new_size(struct xnl *x, uint8_t cmd, bool dump, size_t size)
{
	struct nl_msg *m = nlmsg_alloc_size(size);

	(void)x;
	(void)dump;
	if (!m || !nlmsg_put(m, 0, 0, cmd, 0, 0))
		abort();
	return m;
}

struct nl_msg *xnl_new(struct xnl *x, uint8_t cmd, bool dump)
{
	return xnl_new_size(x, cmd, dump, 65536);
}

int xnl_parse_nested(struct nlattr **tb, struct nlattr *nest)
{
	return nla_parse_nested(tb, XLOCK_A_MAX, nest, NULL) ? -EPROTO : 0;
}

/* Hand @fn one message of attributes @m (freed). */
static int deliver(struct nl_msg *m, xnl_fn fn, void *arg)
{
	struct nlattr *tb[XLOCK_A_MAX + 1];
	struct nlmsghdr *h = nlmsg_hdr(m);
	int ret;

	if (nlmsg_parse(h, 0, tb, XLOCK_A_MAX, NULL))
		abort();
	ret = fn(tb, h, arg);
	nlmsg_free(m);
	return ret;
}

/* A message about entry @id of the table (an NLM lock of client "c<id%7>"). */
static struct nl_msg *entry_msg(uint32_t id, int event)
{
	struct nl_msg *m = xnl_new(NULL, XLOCK_CMD_EVENT, false);
	char client[32], path[64];

	snprintf(client, sizeof(client), "nlm:c%u", id % 7);
	snprintf(path, sizeof(path), "/srv/share/f%u", id % 13);
	if (event)
		nla_put_u8(m, XLOCK_A_EVENT, event);
	nla_put_u64(m, XLOCK_A_ENTRY_ID, id);
	if (event == XLOCK_EVENT_RELEASE)
		return m;
	nla_put_u8(m, XLOCK_A_PROTO, XLOCK_PROTO_NLM);
	nla_put_u8(m, XLOCK_A_KIND, XLOCK_KIND_LOCK);
	nla_put_u32(m, XLOCK_A_FLAGS, 0);
	nla_put_u8(m, XLOCK_A_MODE, XLOCK_MODE_EXCL);
	nla_put_u64(m, XLOCK_A_START, id * 10ull);
	nla_put_u64(m, XLOCK_A_END, id * 10ull + 9);
	nla_put_u32(m, XLOCK_A_NLM_SVID, id);
	nla_put_string(m, XLOCK_A_CLIENT, client);
	nla_put_string(m, XLOCK_A_PATH, path);
	return m;
}

int xnl_request(struct xnl *x, struct nl_msg *msg, xnl_fn fn, void *arg, bool *intr)
{
	int cmd = nlmsg_hdr(msg)->nlmsg_type, ret = 0;
	struct nl_msg *m;
	uint32_t id;

	nlmsg_free(msg);
	x->err = 0;
	x->msg[0] = '\0';
	if (intr)
		*intr = false;
	switch (cmd) {
	case XLOCK_CMD_DAEMON_REGISTER:
		m = xnl_new(x, cmd, false);
		nla_put_u64(m, XLOCK_A_INSTANCE, 0x1111);
		nla_put_u8(m, XLOCK_A_GRACE_STATE, XLOCK_GRACE_NONE);
		return fn ? deliver(m, fn, arg) : (nlmsg_free(m), 0);
	case XLOCK_CMD_GET_LOCKS:
		ctl->dumps++;
		for (id = 1; id <= table_n; id++) {
			if (dump_fail_from && (int)ctl->dumps >= dump_fail_from &&
			    id > dump_fail_after) {
				snprintf(x->msg, sizeof(x->msg), "fake: the dump fails here");
				x->err = EIO;
				return -EIO;
			}
			ret = deliver(entry_msg(id, 0), fn, arg);
			if (ret)
				return ret;
		}
		return 0;
	}
	return 0;
}

int xnl_recv(struct xnl *x, xnl_fn fn, void *arg)
{
	struct ev *e;
	uint64_t v;

	(void)x;
	while (evq_pos < evq_len) {
		e = &evq[evq_pos++];
		switch (e->what) {
		case EV_FAIL_WRITES:
			ctl->fail_writes = e->id;
			continue;
		case EV_BREAK:
			return -EAGAIN;	/* the fd stays readable: poll() returns at once */
		case EV_ENOBUFS:
			return -ENOBUFS;
		}
		ctl->events++;
		return deliver(entry_msg(e->id, e->what == EV_GRANT ? XLOCK_EVENT_GRANT :
					 XLOCK_EVENT_RELEASE), fn, arg);
	}
	if (read(evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		abort();
	return -EAGAIN;
}

/* --- running xlockd against the script ------------------------------------ */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts))
		;
}

/* Start xlockd on state_dir in a child (ack log @ack, log @log); its pid. */
static pid_t start(const char *ack, const char *log, bool disk_full)
{
	char *argv[] = { "xlockd", "--state-dir", state_dir, "--ack-log", (char *)ack, NULL };
	uint64_t one = 1;
	pid_t pid;

	memset((void *)ctl, 0, sizeof(*ctl));
	ctl->disk_full = disk_full;
	fflush(stdout);
	pid = fork();
	if (pid)
		return pid;
	evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (evfd < 0 || write(evfd, &one, sizeof(one)) != sizeof(one) ||
	    !freopen(log, "w", stderr))
		abort();
	_exit(xlockd_main(5, argv));
}

static int stop(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Load the state directory read-only: entries persisted, or -1. */
static long persisted(struct store *st)
{
	struct store old;
	struct journal j;
	uint64_t oi;
	int ret;

	store_init(st);
	store_init(&old);
	ret = journal_load(&j, state_dir, true, st, &old, &oi);
	journal_close(&j);
	store_free(&old);
	return ret ? -1 : (long)st->count;
}

/* Ids acknowledged as granted (last line "+id") that @st does not hold. */
static long acked_missing(const char *ack, const struct store *st, long *acked)
{
	static char last[200001];
	char line[64];
	long missing = 0;
	uint32_t id;
	FILE *f = fopen(ack, "r");

	memset(last, 0, sizeof(last));
	*acked = 0;
	while (f && fgets(line, sizeof(line), f)) {
		id = strtoul(line + 1, NULL, 10);
		if (id < sizeof(last))
			last[id] = line[0];
	}
	if (f)
		fclose(f);
	for (id = 0; id < sizeof(last); id++) {
		*acked += last[id] == '+';
		missing += last[id] == '+' && !store_get(st, id);
	}
	return missing;
}

static char base[] = "/tmp/xlockd-loop-XXXXXX";
static char ack[128], logf[128];

/* A scenario's files: base/NAME/s (the state), base/NAME/ack, base/NAME/log. */
static void scenario(const char *name)
{
	snprintf(state_dir, sizeof(state_dir), "%s/%s", base, name);
	mkdir(state_dir, 0700);
	snprintf(ack, sizeof(ack), "%s/ack", state_dir);
	snprintf(logf, sizeof(logf), "%s/log", state_dir);
	strcat(state_dir, "/s");
}

/*
 * M2: the table holds 1..100. A grant (101) whose commit fails makes a
 * snapshot due; then events overrun and every dump after the first fails
 * half-way. The snapshot xlockd writes must hold 1..101.
 */
static void test_failed_resync(void)
{
	struct ev script[] = {
		{ EV_FAIL_WRITES, 1 }, { EV_GRANT, 101 }, { EV_BREAK, 0 },
		{ EV_ENOBUFS, 0 }, { EV_BREAK, 0 },
	};
	struct store st;
	long n, acked, missing;
	pid_t pid;

	scenario("m2");
	table_n = 100;
	dump_fail_from = 2;
	dump_fail_after = 50;
	evq = script;
	evq_len = sizeof(script) / sizeof(script[0]);
	evq_pos = 0;
	pid = start(ack, logf, false);
	sleep_s(2.5);	/* the snapshot retry comes after 1 s */
	stop(pid);
	n = persisted(&st);
	missing = acked_missing(ack, &st, &acked);
	tap_ok(ctl->dumps >= 2 && ctl->enospc >= 1,
	       "M2 setup: %lu dumps (the later ones fail half-way), %lu failed writes",
	       ctl->dumps, ctl->enospc);
	tap_ok(n == 101 && store_get(&st, 100) && store_get(&st, 101),
	       "M2: after a failed resync the snapshot holds all 101 entries (%ld persisted)", n);
	tap_ok(acked >= 1 && !missing, "M2: every acknowledged id is persisted (%ld acked, %ld missing)",
	       acked, missing);
	store_free(&st);
}

/*
 * M3: the disk is full from the start, 70000 grants arrive (more than
 * BATCH_MAX). xlockd must read them all and try a snapshot about once a
 * second, not spin; when the disk has room again it persists all of them.
 */
static void test_full_disk(void)
{
	const uint32_t n = 70000;
	struct store st;
	unsigned long tries, polls, events;
	long got, acked, missing;
	double t0, dt;
	uint32_t i;
	pid_t pid;

	scenario("m3");
	table_n = 0;
	dump_fail_from = 0;
	evq = calloc(n, sizeof(*evq));
	for (i = 0; i < n; i++)
		evq[i] = (struct ev){ EV_GRANT, i + 1 };
	evq_len = n;
	evq_pos = 0;
	pid = start(ack, logf, true);
	t0 = now();
	/* At least 3 s; longer if a loaded machine reads them more slowly. */
	sleep_s(3);
	while (ctl->events < n && now() - t0 < 60)
		sleep_s(0.5);
	dt = now() - t0;
	tries = ctl->enospc;
	polls = ctl->polls;
	events = ctl->events;
	tap_ok(events == n, "M3: on a full disk xlockd reads all %u events (read %lu in %.1f s)", n,
	       events, dt);
	tap_ok(tries <= dt + 2 && polls <= 7 * dt,
	       "M3: ... and retries its snapshot about once a second: %lu tries, %lu polls in %.1f s",
	       tries, polls, dt);
	ctl->disk_full = 0;
	sleep_s(1.5);
	stop(pid);
	got = persisted(&st);
	missing = acked_missing(ack, &st, &acked);
	tap_ok(got == n && acked == n && !missing,
	       "M3: once there is room, all %u are persisted (%ld) and acknowledged (%ld, %ld missing)",
	       n, got, acked, missing);
	store_free(&st);
	free(evq);
}

int main(void)
{
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED || !mkdtemp(base))
		return 1;
	tap_plan(6);
	test_failed_resync();
	test_full_disk();
	snprintf(state_dir, sizeof(state_dir), "rm -rf %s", base);
	if (!tap_failed && system(state_dir))
		return 1;
	if (tap_failed)
		printf("# xlockd's logs are in %s/*/log\n", base);
	return tap_done();
}
