/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XLOCK_BTFGEN_H
#define _XLOCK_BTFGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BTFGEN_MAX_MODS 8

struct btf_type;

struct btfgen_btf {
	const struct btfgen_btf *base;
	const unsigned char *data;
	size_t len;
	const char *strs;
	uint32_t str_len;
	uint32_t str_start;	/* first string offset of this blob */
	uint32_t first_id;	/* first type id of this blob */
	uint32_t nr_types;
	const struct btf_type **types;
};

int btfgen_find_btf(const unsigned char *img, size_t len,
		    const unsigned char **sec, size_t *sec_len);
int btfgen_parse(struct btfgen_btf *b, const unsigned char *data, size_t len,
		 const struct btfgen_btf *base);
void btfgen_free(struct btfgen_btf *b);
const struct btf_type *btfgen_type(const struct btfgen_btf *b, uint32_t id);
const char *btfgen_str(const struct btfgen_btf *b, uint32_t off);
uint32_t btfgen_find(const struct btfgen_btf *b, const char *name, int kind);
void btfgen_render(const struct btfgen_btf *b, uint32_t id, char *buf, size_t sz);
int btfgen_func_proto(const struct btfgen_btf *b, const char *name, char *buf, size_t sz);
long btfgen_member_offset(const struct btfgen_btf *b, const char *sname, const char *field);
long btfgen_member(const struct btfgen_btf *b, const char *sname, const char *field,
		   char *type, size_t sz);
int btfgen_enum_value(const struct btfgen_btf *b, const char *name, long long *val);
long btfgen_struct_size(const struct btfgen_btf *b, const char *sname);
uint32_t btfgen_crc32(const unsigned char *p, size_t len);
int btfgen_run(FILE *spec, const struct btfgen_btf *base, const char *moddir,
	       const char *kver, FILE *f);

#endif
