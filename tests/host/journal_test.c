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

/*
 * Entries put in the slot order of another store (how a snapshot is
 * written, then loaded) must not pile up in long probe runs while the new
 * table is the smaller one: 300k of them took 2.3 s against 0.66 s.
 */
static void test_store_copy_order(void)
{
	struct store a, b;
	const struct pentry *p;
	struct pentry e;
	size_t i;
	uint32_t id;

	store_init(&a);
	store_init(&b);
	for (id = 0; id < 300000; id++) {
		entry(&e, id, "/srv/f");
		store_put(&a, &e);
	}
	for (i = 0; (p = store_next(&a, &i));)
		store_put(&b, p);
	tap_ok(b.count == a.count && b.probes < 8 * b.count,
	       "store: 300000 entries put in another store's slot order: %.2f slots past home per put",
	       (double)b.probes / (b.count ? b.count : 1));
	store_free(&a);
	store_free(&b);
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
	unlink(path_of("journal.keep"));
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

/* --- bytes of the files ---------------------------------------------------- */

static uint32_t peek32(const char *name, off_t off)
{
	unsigned char b[4];
	int fd = open(path_of(name), O_RDONLY);

	if (fd < 0 || pread(fd, b, 4, off) != 4)
		abort();
	close(fd);
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static void poke32(const char *name, off_t off, uint32_t v)
{
	unsigned char b[4] = { v, v >> 8, v >> 16, v >> 24 };

	poke(name, off, b, 4);
}

/* Change a version 2 header's seq, with a check that matches again. */
static void set_seq(const char *name, uint64_t seq)
{
	unsigned char h[40];
	int fd = open(path_of(name), O_RDONLY), i;

	if (fd < 0 || pread(fd, h, 40, 0) != 40)
		abort();
	close(fd);
	for (i = 0; i < 8; i++)
		h[24 + i] = seq >> (8 * i);
	poke(name, 0, h, 36);
	poke32(name, 36, crc32c(0, h, 36));
}

/* Give the version 2 record at @off of @name a check that matches again. */
static void reseal(const char *name, off_t off)
{
	unsigned char r[8 + 512];
	uint32_t n = peek32(name, off);
	int fd = open(path_of(name), O_RDONLY);

	if (fd < 0 || n > 512 || pread(fd, r, 8 + n, off) != 8 + n)
		abort();
	close(fd);
	poke32(name, off + 4, crc32c(crc32c(peek32(name, 36), r, 4), r + 8, n));
}

/* Offset of batch @n (from 1) of the journal, from the BATCH records. */
static off_t batch_off(int n)
{
	off_t off = 40;

	while (--n)
		off += 21 + peek32("journal", off + 8 + 9);
	return off;
}

static void copy_file(const char *from, const char *to)
{
	char a[256], cmd[600];

	snprintf(a, sizeof(a), "%s", path_of(from));
	snprintf(cmd, sizeof(cmd), "cp %s %s", a, path_of(to));
	if (system(cmd))
		abort();
}

/* Load; expect success and the entries of @model. */
static void loads_as(const char *what, const struct store *model)
{
	struct store st, old;
	struct journal j;
	int ret;

	ret = load(&j, &st, &old);
	tap_ok(!ret && same(&st, model), "%s (%s)", what, ret ? j.err : "loads the same entries");
	journal_close(&j);
	store_free(&st);
	store_free(&old);
}

/*
 * Load; expect an error starting "DIR/@name: offset @off:" and holding
 * @also (if not NULL), and @name left as it was.
 */
static void fails_at(const char *what, const char *name, off_t off, const char *also)
{
	struct store st, old;
	struct journal j;
	off_t size = size_of(name);
	char want[128];
	int ret;

	ret = load(&j, &st, &old);
	snprintf(want, sizeof(want), "%s/%s: offset %lld:", dir, name, (long long)off);
	tap_ok(ret == -1 && !strncmp(j.err, want, strlen(want)) && (!also || strstr(j.err, also)) &&
	       size_of(name) == size, "%s: error \"%s\"", what, j.err);
	journal_close(&j);
	store_free(&st);
	store_free(&old);
}

/* write_state()'s model as of its first batch: 1..5 not released yet. */
static void before_releases(struct store *model)
{
	struct pentry e;
	uint32_t id;

	for (id = 1; id <= 5; id++) {
		entry(&e, id, "/srv/share/a");
		store_put(model, &e);
	}
}

/* --- crash tails: the last batch only, and only when nothing follows ------ */

static void test_crash_tails(void)
{
	unsigned char zeros[4096] = { 0 };
	struct store model, st, old;
	struct journal j;
	struct pentry e;
	off_t full, b2;
	int ret;

	/* The last batch (5 releases) cut short: a crash during its write. */
	write_state(&model);
	full = size_of("journal");
	b2 = batch_off(2);
	cut("journal", full - 3);
	before_releases(&model);
	ret = load(&j, &st, &old);
	tap_ok(!ret && same(&st, &model),
	       "a last batch cut short is dropped whole, the batches before it kept (%s)",
	       ret ? j.err : "ok");
	tap_ok(size_of("journal") == b2, "... and cut off the file by the owner's load");
	/* The owner appends the next batch where the torn one was. */
	entry(&e, 70, "/srv/share/e");
	store_put(&model, &e);
	journal_add_entry(&j, &e);
	tap_ok(!journal_commit(&j) && peek32("journal", b2 + 9) == 2,
	       "... and writes the next batch there, numbered 2");
	journal_close(&j);
	store_free(&st);
	store_free(&old);
	loads_as("... which loads", &model);
	store_free(&model);

	/* M4: the BATCH record reached the disk, its records did not (zeros). */
	write_state(&model);
	before_releases(&model);
	poke("journal", b2 + 21, zeros, full - b2 - 21);
	loads_as("M4: a last batch whose BATCH record reached the disk and whose records are zeros is cut",
		 &model);
	/* ... or its records did, and its BATCH record did not. */
	write_state(&model);
	before_releases(&model);
	poke("journal", b2, zeros, 21);
	loads_as("a last batch whose BATCH record is zeros is cut", &model);
	/* ... or a later record did and an earlier one did not. */
	write_state(&model);
	before_releases(&model);
	poke("journal", b2 + 21, zeros, 13);
	loads_as("a last batch with a hole before its last record is dropped whole", &model);
	store_free(&model);

	/* Zeros after the last batch: the next write's length, not its data. */
	write_state(&model);
	poke("journal", full, zeros, sizeof(zeros));
	loads_as("a zero-filled tail after the last batch is cut off", &model);
	store_free(&model);
}

/* --- damage: an error naming file and offset, and the file left alone ----- */

static void test_damage(void)
{
	struct store model;
	off_t b2, size;
	uint32_t v;

	write_state(&model);
	b2 = batch_off(2);
	poke("snapshot", 0, "NOTXLOCK", 8);
	fails_at("snapshot with a foreign magic", "snapshot", 0, "bad magic");
	write_state(&model);
	poke("journal", 0, "XLOCKSNP", 8);
	fails_at("journal with a foreign magic", "journal", 0, "bad magic");
	write_state(&model);
	poke32("snapshot", 8, 7);
	fails_at("snapshot of another format version", "snapshot", 8, "version 7");
	write_state(&model);
	poke("snapshot", 20, "\x01", 1);
	fails_at("M1: a flipped byte in the snapshot's header (its instance)", "snapshot", 36,
		 "header checksum mismatch");
	write_state(&model);
	poke("journal", 25, "\x02", 1);
	fails_at("M1: a flipped byte in the journal's header (its seq)", "journal", 36,
		 "header checksum mismatch");
	write_state(&model);
	poke("snapshot", 40 + 8 + 20, "\x5a", 1);
	fails_at("a flipped byte in a snapshot record", "snapshot", 40, "checksum mismatch");
	write_state(&model);
	poke32("snapshot", 40, 1u << 30);
	fails_at("a record length past the end of a snapshot", "snapshot", 40, "bad record length");
	write_state(&model);
	size = size_of("snapshot") - 17;	/* the END record */
	cut("snapshot", size);
	fails_at("a snapshot cut before its END", "snapshot", size, "no END record (file truncated)");

	/* In the first batch, which the second follows: it was acknowledged. */
	write_state(&model);
	poke("journal", 40 + 21 + 8 + 30, "\x5a", 1);
	fails_at("a flipped byte in a record of the first of two batches", "journal", 40 + 21,
		 "damage, not a torn tail");
	write_state(&model);
	v = peek32("journal", 40 + 21);
	poke32("journal", 40 + 21, v ^ 0x10);
	fails_at("H2: a flipped bit in a record length in the middle", "journal", 40 + 21,
		 "damage, not a torn tail");
	write_state(&model);
	v = peek32("journal", 40 + 21);
	poke32("journal", 40 + 21, v ^ 0x40000000);
	fails_at("H2: a record length made huge in the middle", "journal", 40 + 21,
		 "damage, not a torn tail");
	write_state(&model);
	poke("journal", 40 + 9, "\x03", 1);
	fails_at("the first batch's BATCH record damaged, a batch after it", "journal", 40,
		 "but batch 2 follows");
	/* Records that check but do not fit: written wrong, never torn. */
	write_state(&model);
	poke32("journal", 40 + 9, 3);
	reseal("journal", 40);
	fails_at("a batch numbered 3 where batch 1 should be", "journal", 40,
		 "batch 3 where batch 1 should be");
	write_state(&model);
	poke32("journal", 40 + 13, 9);
	reseal("journal", 40);
	fails_at("a batch of 10 records that says 9", "journal", b2 - 81,
		 "record count and size disagree");
	store_free(&model);
}

/* --- the journal's seq against the snapshot's (M1) ------------------------ */

static void test_seq_rule(void)
{
	struct store model, st, old;
	struct journal j;
	struct pentry e;
	int ret;

	/* Compaction: a snapshot, then an empty journal with its seq. */
	write_state(&model);
	load(&j, &st, &old);
	journal_snapshot(&j, &st, NULL, 0x1234);
	tap_ok(size_of("journal") == 40 && j.seq == 2,
	       "compaction: a snapshot leaves an empty journal with the next seq");
	entry(&e, 99, "/srv/share/c");
	store_put(&st, &e);
	store_put(&model, &e);
	journal_add_entry(&j, &e);
	journal_commit(&j);
	journal_close(&j);
	store_free(&st);
	store_free(&old);
	loads_as("compaction: the state after it loads the same", &model);
	store_free(&model);

	/*
	 * A crash between the snapshot and its journal: the journal left is
	 * the previous snapshot's, its acknowledged records all in the new one.
	 */
	write_state(&model);
	copy_file("journal", "journal.keep");
	load(&j, &st, &old);
	journal_snapshot(&j, &st, NULL, 0x1234);
	journal_close(&j);
	store_free(&st);
	store_free(&old);
	copy_file("journal.keep", "journal");
	loads_as("a journal of seq S-1 beside snapshot S is the crash case: nothing acknowledged is lost",
		 &model);
	set_seq("journal", 0);
	fails_at("M1: a journal of seq S-2 is an error, not a stale journal", "journal", 16,
		 "does not belong to the snapshot");
	set_seq("journal", 3);
	fails_at("a journal of seq S+1 is an error", "journal", 16, "does not belong to the snapshot");
	unlink(path_of("journal"));
	ret = load(&j, &st, &old);
	tap_ok(ret == -1 && strstr(j.err, "journal: missing beside the snapshot of seq 2"),
	       "a missing journal beside snapshot 2 is an error: \"%s\"", j.err);
	journal_close(&j);
	store_free(&st);
	store_free(&old);
	write_state(&model);
	unlink(path_of("journal"));
	unlink(path_of("journal.keep"));
	/* (model holds the journal's entries too: compare with the snapshot's) */
	ret = load(&j, &st, &old);
	tap_ok(!ret && st.count == 10,
	       "the first snapshot without a journal (a crash in between) loads (%s)",
	       ret ? j.err : "ok");
	journal_close(&j);
	store_free(&st);
	store_free(&old);
	store_free(&model);
}

/* --- version 1 state ------------------------------------------------------ */

static void v1_put(FILE *f, const unsigned char *body, uint32_t n)
{
	unsigned char h[8];
	uint32_t c = crc32c(0, body, n);
	int i;

	for (i = 0; i < 4; i++) {
		h[i] = n >> (8 * i);
		h[4 + i] = c >> (8 * i);
	}
	fwrite(h, 1, 8, f);
	fwrite(body, 1, n, f);
}

static void v1_entry(FILE *f, uint32_t id, const char *path)
{
	struct pentry e;
	unsigned char b[256], *p = b;
	size_t cl, pl;

	entry(&e, id, path);
	cl = strlen(e.client);
	pl = strlen(path);
	*p++ = 1;
	memcpy(p, &e.id, 4);	/* (this test runs little-endian) */
	p += 4;
	*p++ = e.proto;
	*p++ = e.kind;
	*p++ = e.mode;
	*p++ = e.state;
	memcpy(p, &e.flags, 4);
	p += 4;
	memcpy(p, &e.start, 8);
	p += 8;
	memcpy(p, &e.end, 8);
	p += 8;
	memcpy(p, &e.svid, 4);
	p += 4;
	memcpy(p, e.lease_key, 16);
	p += 16;
	*p++ = cl;
	*p++ = 0;
	memcpy(p, e.client, cl);
	p += cl;
	*p++ = pl;
	*p++ = 0;
	memcpy(p, path, pl);
	p += pl;
	v1_put(f, b, p - b);
}

static FILE *v1_file(const char *name, const char *magic, uint64_t seq)
{
	unsigned char h[32] = { 0 };
	FILE *f = fopen(path_of(name), "w");
	uint64_t inst = 0x1234;

	if (!f)
		abort();
	memcpy(h, magic, 8);
	h[8] = 1;
	memcpy(h + 16, &inst, 8);
	memcpy(h + 24, &seq, 8);
	fwrite(h, 1, 32, f);
	return f;
}

/* write_state()'s state as xlockd 0.1 (format version 1) wrote it. */
static void write_v1_state(struct store *model, bool with_reclaim)
{
	unsigned char b[9] = { 3, 10 };
	uint32_t id;
	FILE *f;

	write_state(model);
	clean();
	f = v1_file("snapshot", "XLOCKSNP", 1);
	for (id = 1; id <= 10; id++)
		v1_entry(f, id, "/srv/share/a");
	v1_put(f, b, 9);
	fclose(f);
	f = v1_file("journal", "XLOCKJNL", 1);
	for (id = 11; id <= 20; id++)
		v1_entry(f, id, "/srv/share/b");
	for (id = 1; id <= 5; id++) {
		b[0] = 2;
		memcpy(b + 1, &id, 4);
		v1_put(f, b, 5);
	}
	fclose(f);
	if (with_reclaim) {
		f = v1_file("reclaim", "XLOCKSNP", 0);
		b[0] = 3;
		b[1] = 0;
		v1_put(f, b, 9);
		fclose(f);
	}
}

static void test_version1(void)
{
	unsigned char zeros[200] = { 0 };
	struct store model, st, old;
	struct journal j;
	uint64_t oi;
	off_t full;
	int ret;

	write_v1_state(&model, false);
	store_init(&st);
	store_init(&old);
	ret = journal_load(&j, dir, true, &st, &old, &oi);
	tap_ok(!ret && same(&st, &model) && peek32("journal", 8) == 1,
	       "v1: read (read-only, left as version 1) (%s)", ret ? j.err : "ok");
	load_done(&j, &st, &old);

	/* A v1 journal cut short, and M4 in v1: a record header, then zeros. */
	full = size_of("journal");
	cut("journal", full - 3);
	before_releases(&model);
	store_del(&model, 1);
	store_del(&model, 2);
	store_del(&model, 3);
	store_del(&model, 4);
	loads_as("v1: a last record cut short is cut off", &model);
	write_v1_state(&model, false);
	full = size_of("journal");
	poke32("journal", full, 81);
	poke32("journal", full + 4, 0xdeadbeef);
	poke("journal", full + 8, zeros, 81);
	store_init(&st);
	store_init(&old);
	ret = journal_load(&j, dir, true, &st, &old, &oi);
	tap_ok(!ret && same(&st, &model),
	       "M4, v1: a last record header whose body is zeros is a torn tail, not a checksum error (%s)",
	       ret ? j.err : "ok");
	load_done(&j, &st, &old);

	/* The owner rewrites it as version 2. */
	write_v1_state(&model, true);
	ret = load(&j, &st, &old);
	tap_ok(!ret && same(&st, &model) && peek32("snapshot", 8) == 2 &&
	       peek32("journal", 8) == 2 && peek32("reclaim", 8) == 2 && j.seq == 2,
	       "v1: xlockd's load rewrites snapshot, journal and reclaim file as version 2 (%s)",
	       ret ? j.err : "ok");
	load_done(&j, &st, &old);
	loads_as("v1: ... which loads the same entries", &model);
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
	tap_plan(49);
	test_crc();
	test_store();
	test_store_copy_order();
	test_round_trip();
	test_crash_tails();
	test_damage();
	test_seq_rule();
	test_version1();
	test_reclaim_file();
	test_readonly_while_writing();
	test_one_owner();
	clean();
	unlink(path_of("lock"));
	rmdir(dir);
	return tap_done();
}
