// SPDX-License-Identifier: GPL-2.0
/*
 * Lock-table churn for xlockd's tests and benchmark: adds test entries (the
 * module must be loaded with test_api=1) and releases some of them, as fast
 * as one netlink socket allows, so that every add and release is an event
 * xlockd persists.
 *
 * usage: xlock_churn [-n ADDS] [-r EVERY] [-f FILES] [-c CLIENT] DIR
 *   -n ADDS    test entries to add (default 10000)
 *   -r EVERY   release every EVERY-th entry right after adding it
 *              (default 2; 0 releases none)
 *   -f FILES   spread them over FILES files DIR/churn-N (default 16; each
 *              must exist)
 *   -c CLIENT  NLM client name (default churn)
 * Prints "adds A releases R seconds S events/s E" and, one per line, the
 * ids left held ("held ID").
 */
#include <stdlib.h>
#include <time.h>

#include "nl.h"

static void id_reply(const struct attrs *t, void *arg)
{
	if (t->a[XLOCK_A_ENTRY_ID])
		*(uint64_t *)arg = get_u64(t, XLOCK_A_ENTRY_ID);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long adds = 10000, every = 2, files = 16, i, released = 0;
	const char *client = "churn";
	char path[4096];
	uint64_t id, *held;
	size_t nheld = 0;
	struct nl nl;
	struct msg m;
	double t0, dt;
	int c, ret;

	while ((c = getopt(argc, argv, "n:r:f:c:")) != -1) {
		switch (c) {
		case 'n':
			adds = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			every = strtoul(optarg, NULL, 10);
			break;
		case 'f':
			files = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			client = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || !files)
		goto usage;
	held = calloc(adds + 1, sizeof(*held));
	if (!held || nl_open(&nl)) {
		fprintf(stderr, "xlock_churn: cannot reach the xlock family\n");
		return 1;
	}
	t0 = now();
	for (i = 0; i < adds; i++) {
		snprintf(path, sizeof(path), "%s/churn-%lu", argv[optind], i % files);
		msg_init(&nl, &m, XLOCK_CMD_TEST_ADD, 0);
		put_str(&m, XLOCK_A_PATH, path);
		put_u8(&m, XLOCK_A_PROTO, XLOCK_PROTO_NLM);
		put_u8(&m, XLOCK_A_KIND, XLOCK_KIND_LOCK);
		put_str(&m, XLOCK_A_CLIENT, client);
		put_u8(&m, XLOCK_A_MODE, XLOCK_MODE_SHARED);
		put_u64(&m, XLOCK_A_START, i * 16);
		put_u64(&m, XLOCK_A_END, i * 16 + 15);
		put_u32(&m, XLOCK_A_NLM_SVID, 1 + i % 1000);
		ret = nl_xfer(&nl, &m, id_reply, &id);
		if (ret) {
			fprintf(stderr, "xlock_churn: add %lu on %s: %s %s\n", i, path,
				strerror(-ret), nl.extack);
			return 1;
		}
		if (every && i % every == 0) {
			msg_init(&nl, &m, XLOCK_CMD_TEST_DEL, 0);
			put_u64(&m, XLOCK_A_ENTRY_ID, id);
			ret = nl_xfer(&nl, &m, NULL, NULL);
			if (ret) {
				fprintf(stderr, "xlock_churn: release %llu: %s %s\n",
					(unsigned long long)id, strerror(-ret), nl.extack);
				return 1;
			}
			released++;
		} else {
			held[nheld++] = id;
		}
	}
	dt = now() - t0;
	printf("adds %lu releases %lu seconds %.3f events/s %.0f\n", adds, released, dt,
	       (adds + released) / dt);
	for (i = 0; i < nheld; i++)
		printf("held %llu\n", (unsigned long long)held[i]);
	return 0;
usage:
	fprintf(stderr, "usage: xlock_churn [-n ADDS] [-r EVERY] [-f FILES] [-c CLIENT] DIR\n");
	return 2;
}
