// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel benchmark of the lock table, for bench/ only: writing N to
 * /sys/module/xlock/parameters/bench_table (module loaded with test_api=1)
 * fills the table with N lock entries on N/16 files through the same code
 * the protocol edges use, measures insert, lookup + conflict check and
 * remove, and the slab memory per entry, and logs one line of results.
 */
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/vmstat.h>

#include "nl_test.h"
#include "table.h"

#define PER_FILE 16
#define LOOKUPS 200000
#define BENCH_DEV 0xfffffff0ULL

static DEFINE_MUTEX(bench_lock);

static long slab_bytes(void)
{
	return (global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B) +
		global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B)) * PAGE_SIZE;
}

/* ns per conflict check on a file holding @k entries (an exclusive NLM lock asks). */
static u64 decide_ns(struct xlock_file *f)
{
	struct xlock_rule_req req = {
		.op = XLOCK_OP_NLM_LOCK, .mode = XLOCK_MODE_EXCL, .start = 1 << 30,
		.end = XLOCK_END_MAX,
	};
	struct xlock_verdict v;
	u64 t0 = ktime_get_ns();
	int i;

	for (i = 0; i < 20000; i++)
		xlock_file_decide(f, &req, &v, NULL);
	return (ktime_get_ns() - t0) / 20000;
}

static struct xlock_file *scale_file(struct xlock_client *c, u64 ino, int k)
{
	struct xlock_fkey key = { .dev = BENCH_DEV + 1, .ino = ino };
	struct xlock_entry_init init = {
		.proto = XLOCK_PROTO_NLM, .kind = XLOCK_KIND_LOCK, .mode = XLOCK_MODE_SHARED,
	};
	struct xlock_file *f = xlock_file_get_key(&key, NULL, true);
	const char *why;
	u32 id;
	int i;

	if (IS_ERR(f))
		return f;
	for (i = 0; i < k; i++) {
		init.start = i * 10;
		init.end = i * 10 + 9;
		if (xlock_entry_add(f, c, &init, &id, &why))
			break;
	}
	return f;
}

static int run(unsigned long n)
{
	struct xlock_entry_init init = {
		.proto = XLOCK_PROTO_NLM, .kind = XLOCK_KIND_LOCK, .mode = XLOCK_MODE_SHARED,
	};
	struct xlock_match mine = {};
	unsigned long nfiles = DIV_ROUND_UP(n, PER_FILE), i;
	u64 t_ins, t_look = 0, t_del, d1 = 0, d16 = 0, d256 = 0, d16_empty;
	unsigned int saved_client = xlock_limit_client, saved_total = xlock_limit_total;
	struct xlock_file **files, *f1, *f16, *f256;
	const char *why = NULL;
	struct xlock_client *c;
	struct rnd_state rnd;
	long mem0, mem1;
	u64 t0;
	u32 id;
	int ret = 0;

	files = kvcalloc(nfiles, sizeof(*files), GFP_KERNEL);
	if (!files)
		return -ENOMEM;
	c = xlock_client_get(XLOCK_PROTO_NLM, "bench", NULL, NULL);
	if (IS_ERR(c)) {
		kvfree(files);
		return PTR_ERR(c);
	}
	mine.client = c;
	f1 = ERR_PTR(-EINVAL);
	f16 = f1;
	f256 = f1;
	WRITE_ONCE(xlock_limit_client, max_t(unsigned int, saved_client, n + 1024));
	WRITE_ONCE(xlock_limit_total, max_t(unsigned int, saved_total, n + 1024));

	mem0 = slab_bytes();
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		struct xlock_fkey key = { .dev = BENCH_DEV, .ino = i / PER_FILE };

		if (!files[i / PER_FILE]) {
			files[i / PER_FILE] = xlock_file_get_key(&key, NULL, true);
			if (IS_ERR(files[i / PER_FILE])) {
				files[i / PER_FILE] = NULL;
				ret = -ENOMEM;
				break;
			}
		}
		init.start = (i % PER_FILE) * 100;
		init.end = init.start + 99;
		ret = xlock_entry_add(files[i / PER_FILE], c, &init, &id, &why);
		if (ret)
			break;
		if (!(i % 4096))
			cond_resched();
	}
	t_ins = ktime_get_ns() - t0;
	mem1 = slab_bytes();
	if (ret)
		goto out;

	prandom_seed_state(&rnd, 42);
	t0 = ktime_get_ns();
	for (i = 0; i < LOOKUPS; i++) {
		struct xlock_fkey key = {
			.dev = BENCH_DEV, .ino = prandom_u32_state(&rnd) % nfiles,
		};
		struct xlock_rule_req req = {
			.op = XLOCK_OP_SMB_LOCK, .mode = XLOCK_MODE_EXCL, .start = 50, .end = 60,
		};
		struct xlock_verdict v;
		struct xlock_file *f = xlock_file_lookup(&key);

		if (f) {
			xlock_file_decide(f, &req, &v, NULL);
			xlock_file_put(f);
		}
	}
	t_look = ktime_get_ns() - t0;

	f1 = scale_file(c, 1, 1);
	f16 = scale_file(c, 16, 16);
	f256 = scale_file(c, 256, 256);
	d1 = IS_ERR(f1) ? 0 : decide_ns(f1);
	d16 = IS_ERR(f16) ? 0 : decide_ns(f16);
	d256 = IS_ERR(f256) ? 0 : decide_ns(f256);

out:
	t0 = ktime_get_ns();
	for (i = 0; i < nfiles; i++) {
		if (!files[i])
			continue;
		xlock_file_del_matching(files[i], &mine);
		xlock_file_put(files[i]);
		if (!(i % 1024))
			cond_resched();
	}
	t_del = ktime_get_ns() - t0;
	if (!ret) {
		/* The same 16-entry file, now alone in the table. */
		d16_empty = IS_ERR(f16) ? 0 : decide_ns(f16);
		pr_info("bench: entries=%lu files=%lu insert_ns=%llu lookup_check_ns=%llu remove_ns=%llu slab_bytes_per_entry=%ld check_ns_1=%llu check_ns_16=%llu check_ns_256=%llu check_ns_16_empty_table=%llu\n",
			n, nfiles, t_ins / n, t_look / LOOKUPS, t_del / n,
			(mem1 - mem0) / (long)n, d1, d16, d256, d16_empty);
		if (!IS_ERR(f1)) {
			xlock_file_del_matching(f1, &mine);
			xlock_file_put(f1);
		}
		if (!IS_ERR(f16)) {
			xlock_file_del_matching(f16, &mine);
			xlock_file_put(f16);
		}
		if (!IS_ERR(f256)) {
			xlock_file_del_matching(f256, &mine);
			xlock_file_put(f256);
		}
	} else {
		pr_warn("bench: stopped after %lu entries: %s (%d)\n", i, why ?: "", ret);
	}
	WRITE_ONCE(xlock_limit_client, saved_client);
	WRITE_ONCE(xlock_limit_total, saved_total);
	xlock_client_put(c);
	kvfree(files);
	return ret;
}

static int bench_set(const char *val, const struct kernel_param *kp)
{
	unsigned long n;
	int ret;

	if (!xlock_test_api)
		return -EOPNOTSUPP;
	ret = kstrtoul(val, 0, &n);
	if (ret)
		return ret;
	if (!n || n > (1UL << 22))
		return -EINVAL;
	mutex_lock(&bench_lock);
	ret = run(n);
	mutex_unlock(&bench_lock);
	return ret;
}

static const struct kernel_param_ops bench_ops = {
	.set = bench_set,
};
module_param_cb(bench_table, &bench_ops, NULL, 0200);
MODULE_PARM_DESC(bench_table, "Write N to benchmark the table with N entries (test_api=1 only)");
