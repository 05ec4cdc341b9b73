// SPDX-License-Identifier: GPL-2.0
/*
 * Microbenchmark of the conflict rules (kmod/rules/rules.c) on the host: rule
 * checks per second for files holding 1 to 256 entries, with a request mix
 * of NLM locks, SMB lease requests and NFS I/O. Prints one line per size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../kmod/rules/rules.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void build(struct xlock_rule_entry *e, int n)
{
	int i;

	memset(e, 0, sizeof(*e) * n);
	for (i = 0; i < n; i++) {
		e[i].next = i + 1 < n ? &e[i + 1] : NULL;
		e[i].brk_to = XLOCK_NO_BREAK;
		switch (i % 4) {
		case 0:		/* NLM shared lock */
			e[i].proto = XLOCK_PROTO_NLM;
			e[i].kind = XLOCK_KIND_LOCK;
			e[i].mode = XLOCK_MODE_SHARED;
			e[i].start = i * 100ULL;
			e[i].end = i * 100ULL + 49;
			break;
		case 1:		/* SMB shared lock */
			e[i].proto = XLOCK_PROTO_SMB;
			e[i].kind = XLOCK_KIND_LOCK;
			e[i].mode = XLOCK_MODE_SHARED;
			e[i].start = i * 100ULL + 50;
			e[i].end = i * 100ULL + 99;
			break;
		case 2:		/* SMB read-handle lease */
			e[i].proto = XLOCK_PROTO_SMB;
			e[i].kind = XLOCK_KIND_LEASE;
			e[i].state = XLOCK_LEASE_R | XLOCK_LEASE_H;
			e[i].end = XLOCK_END_MAX;
			break;
		default:	/* SMB open sharing everything */
			e[i].proto = XLOCK_PROTO_SMB;
			e[i].kind = XLOCK_KIND_SHARE;
			e[i].mode = XLOCK_SHARE_READ;
			e[i].state = XLOCK_SHARE_ALL;
			e[i].end = XLOCK_END_MAX;
			break;
		}
	}
}

int main(int argc, char **argv)
{
	static const int sizes[] = { 1, 4, 16, 64, 256 };
	static struct xlock_rule_entry ents[256];
	struct xlock_rule_req reqs[5] = {
		{ .op = XLOCK_OP_NLM_LOCK, .mode = XLOCK_MODE_SHARED, .start = 10, .end = 20 },
		{ .op = XLOCK_OP_NLM_TEST, .mode = XLOCK_MODE_EXCL, .start = 1 << 30, .end = XLOCK_END_MAX },
		{ .op = XLOCK_OP_SMB_LEASE, .state = XLOCK_LEASE_ALL },
		{ .op = XLOCK_OP_NFS_READ },
		{ .op = XLOCK_OP_SMB_LOCK, .mode = XLOCK_MODE_SHARED, .start = 0, .end = 9 },
	};
	double secs = argc > 1 ? atof(argv[1]) : 0.5;
	unsigned int si;
	volatile unsigned int sink = 0;

	printf("entries_per_file checks_per_sec ns_per_check\n");
	for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		struct xlock_verdict v;
		unsigned long n = 0;
		double t0, t;

		build(ents, sizes[si]);
		t0 = now();
		do {
			int i;

			for (i = 0; i < 1000; i++) {
				xlock_rules_decide(&reqs[i % 5], ents, &v);
				sink += v.kind;
			}
			n += 1000;
			t = now() - t0;
		} while (t < secs);
		printf("%d %.0f %.1f\n", sizes[si], n / t, t * 1e9 / n);
	}
	return sink == 0xdeadbeef;
}
