// SPDX-License-Identifier: GPL-2.0
/*
 * xlockd's journal on the host's disk: records appended and made durable
 * with one fdatasync per batch (group commit), for batch sizes from 1 (a
 * commit per event) up. Prints "batch records/s fdatasyncs/s".
 *
 * usage: journal_bench DIR RECORDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../userspace/journal.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const unsigned int batches[] = { 1, 16, 256, 4096 };
	struct store st, old;
	struct journal j;
	struct pentry e;
	unsigned long n, i, k;
	double t0, dt;
	uint64_t oi;

	if (argc != 3)
		return 2;
	n = strtoul(argv[2], NULL, 10);
	memset(&e, 0, sizeof(e));
	e.proto = 1;
	e.kind = 1;
	e.mode = 2;
	strcpy(e.client, "bench-client");
	e.path = "/srv/export/some/directory/file.dat";
	printf("batch records/s fdatasyncs/s\n");
	for (k = 0; k < sizeof(batches) / sizeof(batches[0]); k++) {
		store_init(&st);
		store_init(&old);
		if (journal_load(&j, argv[1], false, &st, &old, &oi) || journal_snapshot(&j, &st, NULL, 1)) {
			fprintf(stderr, "journal_bench: %s\n", j.err);
			return 1;
		}
		t0 = now();
		for (i = 0; i < n; i++) {
			e.id = i;
			e.start = i * 16;
			e.end = e.start + 15;
			journal_add_entry(&j, &e);
			if ((i + 1) % batches[k] == 0 && journal_commit(&j)) {
				fprintf(stderr, "journal_bench: %s\n", j.err);
				return 1;
			}
		}
		journal_commit(&j);
		dt = now() - t0;
		printf("%u %.0f %.0f\n", batches[k], n / dt, n / batches[k] / dt);
		journal_close(&j);
	}
	return 0;
}
