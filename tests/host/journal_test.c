// SPDX-License-Identifier: GPL-2.0
/*
 * xlockd's store and state files, on the host: the store against a plain
 * array under random operations; the journal's round trip, group commit,
 * snapshot and compaction; what a crash leaves (a cut or zero-filled tail:
 * cut off, nothing acknowledged lost); and every kind of damage giving an
 * error that names the file and offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../userspace/journal.h"
#include "../../userspace/store.h"
#include "tap.h"

#define NIDS 4096

static char dir[] = "/tmp/xlockd-test-XXXXXX";

/* What log.h declares; the journal reports through them. */
void log_info(const char *fmt, ...)
{
	(void)fmt;
}

void log_warn(const char *fmt, ...)
{
	(void)fmt;
}

void die(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

static void entry(struct pentry *e, uint32_t id, const char *path)
{
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->proto = 1 + id % 2;
	e->kind = 1;
	e->mode = 1 + id % 2;
	e->start = id * 10;
	e->end = id * 10 + 9;
	e->svid = id % 2 ? id : 0;
	snprintf(e->client, sizeof(e->client), "client-%u", id % 7);
	e->path = (char *)path;
}

static bool same(const struct store *a, const struct store *b)
{
	const struct pentry *e, *f;
	size_t i = 0;

	if (a->count != b->count)
		return false;
	while ((e = store_next(a, &i))) {
		f = store_get(b, e->id);
		if (!f || !pentry_same(e, f) || e->state != f->state || e->flags != f->flags)
			return false;
	}
	return true;
}

static void test_store(void)
{
	static bool ref[NIDS];
	struct store st;
	struct pentry e;
	size_t i, n = 0, seen = 0;
	bool ok = true;
	uint32_t id;

	store_init(&st);
	srand(1);
	for (i = 0; i < 200000; i++) {
		id = rand() % NIDS;
		if (rand() % 3) {
			entry(&e, id, "/srv/f");
			n += !ref[id];
			ref[id] = true;
			store_put(&st, &e);
		} else {
			n -= ref[id];
			ref[id] = false;
			store_del(&st, id);
		}
	}
	for (id = 0; id < NIDS; id++)
		if (!!store_get(&st, id) != ref[id])
			ok = false;
	for (i = 0; store_next(&st, &i);)
		seen++;
	tap_ok(ok && st.count == n && seen == n,
	       "store: 200000 random puts and deletes agree with a plain array (%zu left)", n);
	store_free(&st);
}

static char *path_of(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void clean(void)
{
	unlink(path_of("snapshot"));
	unlink(path_of("journal"));
	unlink(path_of("reclaim"));
}

static off_t size_of(const char *name)
{
	struct stat sb;

	return stat(path_of(name), &sb) ? -1 : sb.st_size;
}

static void poke(const char *name, off_t off, const void *buf, size_t len)
{
	int fd = open(path_of(name), O_WRONLY);

	if (fd < 0 || pwrite(fd, buf, len, off) != (ssize_t)len)
		abort();
	close(fd);
}

static void cut(const char *name, off_t size)
{
	if (truncate(path_of(name), size))
		abort();
}

/* Load into fresh stores; returns journal_load's result, j left for the caller. */
static int load(struct journal *j, struct store *st, struct store *old)
{
	uint64_t oi;

	store_init(st);
	store_init(old);
	return journal_load(j, dir, false, st, old, &oi);
}

/* Write a state: snapshot of ids 1..10, then a journal with 11..20 granted, 1..5 released. */
static void write_state(struct store *model)
{
	struct journal j;
	struct store st, old;
	struct pentry e;
	uint32_t id;

	clean();
	load(&j, &st, &old);
	store_init(model);
	for (id = 1; id <= 10; id++) {
		entry(&e, id, "/srv/share/a");
		store_put(model, &e);
	}
	journal_snapshot(&j, model, NULL, 0x1234);
	for (id = 11; id <= 20; id++) {
		entry(&e, id, "/srv/share/b");
		store_put(model, &e);
		journal_add_entry(&j, &e);
	}
	journal_commit(&j);
	for (id = 1; id <= 5; id++) {
		store_del(model, id);
		journal_add_release(&j, id);
	}
	journal_commit(&j);
	journal_close(&j);
	store_free(&st);
	store_free(&old);
}

static void test_round_trip(void)
{
	struct store model, st, old;
	struct journal j;
	int ret;

	write_state(&model);
	ret = load(&j, &st, &old);
	tap_ok(!ret && same(&st, &model) && j.instance == 0x1234,
	       "journal: snapshot + journal load back to the same 15 entries, instance kept");
	tap_ok(!old.count, "journal: no reclaim file, no reclaim set");
	journal_close(&j);
	store_free(&st);
	store_free(&old);
	store_free(&model);
}

static void test_crash_tails(void)
{
	struct store model, st, old;
	struct journal j;
	off_t full;
	unsigned char zeros[300] = { 0 };
	int ret;

	write_state(&model);
	full = size_of("journal");
	/* A record cut short: what kill -9 during a write leaves. */
	cut("journal", full - 3);
	ret = load(&j, &st, &old);
	/* The last record was "release 5": cut off, so entry 5 is back. */
	tap_ok(!ret && st.count == model.count + 1 && store_get(&st, 5),
	       "journal: a cut last record is dropped, everything before it kept (%s)",
	       ret ? j.err : "ok");
	journal_close(&j);
	tap_ok(size_of("journal") == full - 13,
	       "journal: the cut record is removed from the file when loaded");
	store_free(&st);
	store_free(&old);

	/* A zero-filled tail: what a crash can leave after an extending write. */
	write_state(&model);
	poke("journal", full, zeros, sizeof(zeros));
	ret = load(&j, &st, &old);
	tap_ok(!ret && same(&st, &model), "journal: a zero-filled tail is cut off");
	journal_close(&j);
	store_free(&st);
	store_free(&old);
	store_free(&model);
}

/* Damage @name at @off with @len bytes of @b; expect an error naming file and offset. */
static void damaged(const char *what, const char *name, off_t off, const void *b, size_t len,
		    const char *want_off)
{
	struct store model, st, old;
	struct journal j;
	char want[64];
	int ret;

	write_state(&model);
	poke(name, off, b, len);
	ret = load(&j, &st, &old);
	snprintf(want, sizeof(want), "%s/%s: offset %s", dir, name, want_off);
	tap_ok(ret == -1 && !strncmp(j.err, want, strlen(want)), "%s: error \"%s\"", what, j.err);
	journal_close(&j);
	store_free(&st);
	store_free(&old);
	store_free(&model);
}

static void test_damage(void)
{
	unsigned char x = 0x5a;
	uint32_t ver = 7, big = 1u << 30;

	damaged("snapshot with a foreign magic", "snapshot", 0, "NOTXLOCK", 8, "0:");
	damaged("journal with a foreign magic", "journal", 0, "XLOCKSNP", 8, "0:");
	damaged("snapshot of another format version", "snapshot", 8, &ver, 4, "8:");
	damaged("a flipped byte in a snapshot record", "snapshot", 32 + 8 + 20, &x, 1, "32:");
	damaged("a flipped byte in a journal record", "journal", 32 + 8 + 20, &x, 1, "32:");
	damaged("a record length past the end of a snapshot", "snapshot", 32, &big, 4,
		"32:");
	damaged("a journal of another snapshot", "journal", 24, "\x09", 1, "16:");
	{
		struct store model, st, old;
		struct journal j;
		int ret;

		write_state(&model);
		cut("snapshot", size_of("snapshot") - 17);
		ret = load(&j, &st, &old);
		tap_ok(ret == -1 && strstr(j.err, "snapshot: offset") && strstr(j.err, "truncated"),
		       "a truncated snapshot is an error, not a shorter state: \"%s\"", j.err);
		journal_close(&j);
		store_free(&st);
		store_free(&old);
		store_free(&model);
	}
}

static void test_compaction_and_stale_journal(void)
{
	struct store model, st, old;
	struct journal j;
	struct pentry e;
	int ret;

	write_state(&model);
	load(&j, &st, &old);
	journal_snapshot(&j, &st, NULL, 0x1234);
	tap_ok(size_of("journal") == 32 && j.seq == 2,
	       "compaction: a snapshot leaves an empty journal with the next seq");
	entry(&e, 99, "/srv/share/c");
	store_put(&st, &e);
	journal_add_entry(&j, &e);
	journal_commit(&j);
	journal_close(&j);
	store_put(&model, &e);
	store_free(&st);
	store_free(&old);
	ret = load(&j, &st, &old);
	tap_ok(!ret && same(&st, &model), "compaction: state after it loads the same");
	journal_close(&j);
	store_free(&st);
	store_free(&old);

	/* A crash after the new snapshot but before its journal: the old journal is stale. */
	{
		unsigned char seq1[8] = { 1 };

		poke("journal", 24, seq1, 8);
		ret = load(&j, &st, &old);
		tap_ok(!ret && st.count == model.count - 1,
		       "a journal older than the snapshot is ignored (its records are in it)");
		journal_close(&j);
		store_free(&st);
		store_free(&old);
	}
	store_free(&model);
}

static void test_reclaim_file(void)
{
	struct store model, st, old;
	struct journal j;
	uint64_t oi;
	int ret;

	write_state(&model);
	store_init(&st);
	store_init(&old);
	journal_load(&j, dir, false, &st, &old, &oi);
	journal_save_reclaim(&j, &st, 0x1234);
	journal_close(&j);
	store_free(&st);
	store_free(&old);
	store_init(&st);
	store_init(&old);
	ret = journal_load(&j, dir, false, &st, &old, &oi);
	tap_ok(!ret && same(&old, &model) && oi == 0x1234,
	       "reclaim file: saved and loaded back with its instance");
	journal_drop_reclaim(&j);
	journal_close(&j);
	tap_ok(size_of("reclaim") == -1, "reclaim file: dropped at grace end");
	store_free(&st);
	store_free(&old);
	store_free(&model);
}

/* Read-only, for xlockd --print-state: into fresh stores. */
static int load_ro(struct journal *j, struct store *st, struct store *old)
{
	uint64_t oi;

	store_init(st);
	store_init(old);
	return journal_load(j, dir, true, st, old, &oi);
}

static void load_done(struct journal *j, struct store *st, struct store *old)
{
	journal_close(j);
	store_free(st);
	store_free(old);
}

/*
 * H1: --print-state while xlockd appends. The reader sees a record half
 * written; it must not cut it, or the writer's rest lands after a hole and
 * the journal no longer loads.
 */
static void test_readonly_while_writing(void)
{
	struct store model, st, old, st2, old2;
	struct journal w, r;
	unsigned char rec[512];
	struct pentry e;
	off_t a, b;
	size_t half;
	int fd, ret;

	write_state(&model);
	load(&w, &st, &old);
	a = size_of("journal");
	entry(&e, 50, "/srv/share/d");
	store_put(&model, &e);
	journal_add_entry(&w, &e);
	journal_commit(&w);
	b = size_of("journal");
	/* Take the record back off the file: it is "being written" again. */
	fd = open(path_of("journal"), O_RDWR);
	if (fd < 0 || b - a > (off_t)sizeof(rec) || pread(fd, rec, b - a, a) != b - a ||
	    ftruncate(fd, a))
		abort();
	half = (b - a) / 2;
	if (pwrite(fd, rec, half, a) != (ssize_t)half)
		abort();
	ret = load_ro(&r, &st2, &old2);
	tap_ok(!ret && size_of("journal") == a + (off_t)half,
	       "read-only load: a half-written record is left as it is (%s)", ret ? r.err : "ok");
	load_done(&r, &st2, &old2);
	/* The writer's write goes on where it was, then it appends more. */
	if (pwrite(fd, rec + half, b - a - half, a + half) != (ssize_t)(b - a - half))
		abort();
	close(fd);
	entry(&e, 51, "/srv/share/d");
	store_put(&model, &e);
	journal_add_entry(&w, &e);
	journal_commit(&w);
	load_done(&w, &st, &old);
	ret = load(&w, &st, &old);
	tap_ok(!ret && same(&st, &model),
	       "the writer's records after it are all there (%s)", ret ? w.err : "ok");
	load_done(&w, &st, &old);
	store_free(&model);
}

/* H1: one owner per state directory; a second is refused; a crash frees it. */
static void test_one_owner(void)
{
	struct store model, st, old, st2, old2;
	struct journal j1, j2;
	char want[128];
	int pfd[2], ret;
	pid_t pid;
	char c;

	write_state(&model);
	ret = load(&j1, &st, &old);
	tap_ok(!ret, "owner: loads the state (%s)", ret ? j1.err : "ok");
	ret = load(&j2, &st2, &old2);
	snprintf(want, sizeof(want), "in use by another xlockd (pid %d)", (int)getpid());
	tap_ok(ret == -EBUSY && strstr(j2.err, want),
	       "a second owner is refused before reading anything: \"%s\"", j2.err);
	load_done(&j2, &st2, &old2);
	ret = load_ro(&j2, &st2, &old2);
	tap_ok(!ret && same(&st2, &model), "a read-only load works beside the owner (%s)",
	       ret ? j2.err : "ok");
	load_done(&j2, &st2, &old2);
	load_done(&j1, &st, &old);

	/* An owner that dies (kill -9) leaves the directory free. */
	if (pipe(pfd))
		abort();
	pid = fork();
	if (!pid) {
		ret = load(&j1, &st, &old);
		if (write(pfd[1], ret ? "n" : "y", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ret = read(pfd[0], &c, 1) == 1 && c == 'y' ? load(&j2, &st2, &old2) : -1;
	load_done(&j2, &st2, &old2);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	tap_ok(ret == -EBUSY, "owner in another process: refused");
	ret = load(&j2, &st2, &old2);
	tap_ok(!ret, "after that process was killed -9 the directory is free (%s)",
	       ret ? j2.err : "ok");
	load_done(&j2, &st2, &old2);
	close(pfd[0]);
	close(pfd[1]);
	store_free(&model);
}

static void test_crc(void)
{
	unsigned char buf[1000];
	bool same = true;
	size_t i;

	/* RFC 3720's check value for CRC32C. */
	tap_ok(crc32c(0, "123456789", 9) == 0xe3069283 &&
	       crc32c_sw(0, "123456789", 9) == 0xe3069283, "crc32c check value");
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i * 7 + (i >> 3);
	for (i = 0; i < sizeof(buf); i++)
		same &= crc32c(5, buf + i, sizeof(buf) - i) == crc32c_sw(5, buf + i, sizeof(buf) - i);
	tap_ok(same, "crc32c: the CPU's and the table's agree at every length and alignment");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	tap_plan(28);
	test_crc();
	test_store();
	test_round_trip();
	test_crash_tails();
	test_damage();
	test_compaction_and_stale_journal();
	test_reclaim_file();
	test_readonly_while_writing();
	test_one_owner();
	clean();
	unlink(path_of("lock"));
	rmdir(dir);
	return tap_done();
}
