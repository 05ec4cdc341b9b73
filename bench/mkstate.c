// SPDX-License-Identifier: GPL-2.0
/*
 * Write an xlockd state directory holding N persisted NLM locks spread over
 * FILES files (DIR/bench-K), as a server that crashed holding them would
 * leave it: the input of the recovery benchmark (bench-xlockd scenario).
 *
 * usage: mkstate STATE_DIR N FILES DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../userspace/journal.h"
#include "../userspace/log.h"

int main(int argc, char **argv)
{
	struct store st, old;
	struct journal j;
	struct pentry e;
	unsigned long n, files, i;
	uint64_t oi;
	char path[4096];

	if (argc != 5) {
		fprintf(stderr, "usage: mkstate STATE_DIR N FILES DIR\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	files = strtoul(argv[3], NULL, 10);
	store_init(&st);
	store_init(&old);
	if (!files || journal_load(&j, argv[1], false, &st, &old, &oi)) {
		fprintf(stderr, "mkstate: %s\n", files ? j.err : "FILES must be > 0");
		return 1;
	}
	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		e.id = i;
		e.proto = 1;		/* NLM */
		e.kind = 1;		/* lock */
		e.mode = 1;		/* shared */
		e.start = i / files * 16;
		e.end = e.start + 15;
		e.svid = 1 + i % 1000;
		snprintf(e.client, sizeof(e.client), "bench-client-%lu", i % 100);
		snprintf(path, sizeof(path), "%s/bench-%lu", argv[4], i % files);
		e.path = path;
		if (store_put(&st, &e))
			die("out of memory");
	}
	/* Instance 1: no module ever has it, so xlockd treats this as a restart. */
	if (journal_snapshot(&j, &st, NULL, 1)) {
		fprintf(stderr, "mkstate: %s\n", j.err);
		return 1;
	}
	journal_close(&j);
	printf("%lu entries on %lu files in %s\n", n, files, argv[1]);
	return 0;
}
