/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny JSON writer: compact output, commas placed by nesting level,
 * strings escaped and made valid UTF-8 (bad bytes become U+FFFD).
 */
#ifndef XLOCK_JSON_H
#define XLOCK_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH 8

struct json {
	FILE *f;
	int depth;
	bool first[JSON_DEPTH];
};

/*
 * Every call takes @key: the member name inside an object, NULL inside an
 * array or at the top level.
 */
void json_init(struct json *j, FILE *f);
void json_obj(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val);	/* NULL: null */
void json_u64(struct json *j, const char *key, uint64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* End of one document: a newline and a flush (one object per line). */
void json_end(struct json *j);

#endif
