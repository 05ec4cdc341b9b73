// SPDX-License-Identifier: GPL-2.0
/*
 * btfgen: check the kernel internals xlock depends on against the BTF of the
 * exact modules it is built for, and write what it found as a C header.
 *
 * For every module named in the spec it records a CRC32 of the module's .BTF
 * section (the module compares it with /sys/kernel/btf/<module> before it
 * attaches an edge), verifies the prototype of every hooked function, and
 * emits the byte offset of every private struct member xlock reads. Nothing
 * here fails the build: a missing function, a changed prototype or a missing
 * member becomes the edge's refusal reason, which the module logs once and
 * shows as "refused" instead of attaching.
 *
 * usage: btfgen SPEC VMLINUX MODDIR KVER > header
 *   SPEC     lines "module func name proto" | "module member struct.field [type]"
 *            | "module size struct" | "module enum name"; '#' starts a comment
 *   VMLINUX  vmlinux ELF with a .BTF section, or raw BTF (base types)
 *   MODDIR   directory holding <module>.ko (uncompressed) for each module
 */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/btf.h>

#include "btfgen.h"

static int read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 20, n = 0, r;
	unsigned char *p;

	if (!f)
		return -errno;
	p = malloc(cap);
	while (p && (r = fread(p + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			unsigned char *q = realloc(p, cap * 2);

			if (!q) {
				free(p);
				p = NULL;
				break;
			}
			p = q;
			cap *= 2;
		}
	}
	fclose(f);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*len = n;
	return 0;
}

/* Find section @name in an ELF64 little-endian image; raw BTF is returned whole. */
int btfgen_find_btf(const unsigned char *img, size_t len,
		    const unsigned char **sec, size_t *sec_len)
{
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Shdr *sh, *strsh;
	unsigned int i;

	if (len >= 2 && img[0] == 0x9f && img[1] == 0xeb) {
		*sec = img;
		*sec_len = len;
		return 0;
	}
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64)
		return -EINVAL;
	if (eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > len ||
	    eh->e_shstrndx >= eh->e_shnum)
		return -EINVAL;
	sh = (const void *)(img + eh->e_shoff);
	strsh = &sh[eh->e_shstrndx];
	for (i = 0; i < eh->e_shnum; i++) {
		const char *name;

		if (sh[i].sh_name >= strsh->sh_size)
			continue;
		name = (const char *)img + strsh->sh_offset + sh[i].sh_name;
		if (strcmp(name, ".BTF"))
			continue;
		if (sh[i].sh_offset + sh[i].sh_size > len)
			return -EINVAL;
		*sec = img + sh[i].sh_offset;
		*sec_len = sh[i].sh_size;
		return 0;
	}
	return -ENOENT;
}

static size_t type_extra(const struct btf_type *t)
{
	unsigned int vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return vlen * sizeof(struct btf_enum64);
	default:
		return 0;
	}
}

/* Parse one BTF blob on top of @base (NULL for vmlinux). */
int btfgen_parse(struct btfgen_btf *b, const unsigned char *data, size_t len,
		 const struct btfgen_btf *base)
{
	const struct btf_header *h = (const void *)data;
	const unsigned char *p, *end;
	unsigned int n = 0, cap = 1024;

	memset(b, 0, sizeof(*b));
	if (len < sizeof(*h) || h->magic != BTF_MAGIC || h->version != BTF_VERSION ||
	    h->hdr_len > len ||
	    (uint64_t)h->hdr_len + h->type_off + h->type_len > len ||
	    (uint64_t)h->hdr_len + h->str_off + h->str_len > len)
		return -EINVAL;
	b->base = base;
	b->data = data;
	b->len = len;
	b->strs = (const char *)data + h->hdr_len + h->str_off;
	b->str_len = h->str_len;
	b->str_start = base ? base->str_start + base->str_len : 0;
	b->first_id = base ? base->first_id + base->nr_types : 1;
	b->types = malloc(cap * sizeof(*b->types));
	if (!b->types)
		return -ENOMEM;
	p = data + h->hdr_len + h->type_off;
	end = p + h->type_len;
	while (p + sizeof(struct btf_type) <= end) {
		const struct btf_type *t = (const void *)p;
		size_t sz = sizeof(*t) + type_extra(t);

		if (p + sz > end)
			return -EINVAL;
		if (n == cap) {
			const struct btf_type **q;

			cap *= 2;
			q = realloc(b->types, cap * sizeof(*b->types));
			if (!q)
				return -ENOMEM;
			b->types = q;
		}
		b->types[n++] = t;
		p += sz;
	}
	b->nr_types = n;
	return p == end ? 0 : -EINVAL;
}

void btfgen_free(struct btfgen_btf *b)
{
	free(b->types);
	b->types = NULL;
}

const struct btf_type *btfgen_type(const struct btfgen_btf *b, uint32_t id)
{
	if (!id)
		return NULL;
	if (id < b->first_id)
		return b->base ? btfgen_type(b->base, id) : NULL;
	if (id - b->first_id >= b->nr_types)
		return NULL;
	return b->types[id - b->first_id];
}

const char *btfgen_str(const struct btfgen_btf *b, uint32_t off)
{
	if (off < b->str_start)
		return b->base ? btfgen_str(b->base, off) : "";
	off -= b->str_start;
	if (off >= b->str_len)
		return "";
	return b->strs + off;
}

/* Find a named type of @kind defined in @b itself (not its base). */
uint32_t btfgen_find(const struct btfgen_btf *b, const char *name, int kind)
{
	unsigned int i;

	for (i = 0; i < b->nr_types; i++) {
		const struct btf_type *t = b->types[i];

		if ((int)BTF_INFO_KIND(t->info) == kind &&
		    !strcmp(btfgen_str(b, t->name_off), name))
			return b->first_id + i;
	}
	return 0;
}

static void out(char *buf, size_t sz, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n >= sz)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, sz - n, fmt, ap);
	va_end(ap);
}

/* Render type @id the way the spec writes it: "struct x *", "const char *", "u64". */
void btfgen_render(const struct btfgen_btf *b, uint32_t id, char *buf, size_t sz)
{
	const struct btf_type *t = btfgen_type(b, id);
	const char *name;

	if (!t) {
		out(buf, sz, "void");
		return;
	}
	name = btfgen_str(b, t->name_off);
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_PTR: {
		const struct btf_type *to = btfgen_type(b, t->type);

		if (to && BTF_INFO_KIND(to->info) == BTF_KIND_FUNC_PROTO) {
			out(buf, sz, "fnptr");
			return;
		}
		btfgen_render(b, t->type, buf, sz);
		out(buf, sz, " *");
		return;
	}
	case BTF_KIND_CONST:
		out(buf, sz, "const ");
		btfgen_render(b, t->type, buf, sz);
		return;
	case BTF_KIND_VOLATILE:
		out(buf, sz, "volatile ");
		btfgen_render(b, t->type, buf, sz);
		return;
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		btfgen_render(b, t->type, buf, sz);
		return;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);

		btfgen_render(b, a->type, buf, sz);
		out(buf, sz, "[%u]", a->nelems);
		return;
	}
	case BTF_KIND_STRUCT:
		out(buf, sz, "struct %s", name);
		return;
	case BTF_KIND_UNION:
		out(buf, sz, "union %s", name);
		return;
	case BTF_KIND_FWD:
		out(buf, sz, "%s %s", BTF_INFO_KFLAG(t->info) ? "union" : "struct", name);
		return;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		out(buf, sz, "enum %s", name);
		return;
	default:
		out(buf, sz, "%s", name);
		return;
	}
}

/* Render function @name's prototype: "ret (arg, arg)". Returns 0 or -ENOENT. */
int btfgen_func_proto(const struct btfgen_btf *b, const char *name, char *buf, size_t sz)
{
	const struct btf_type *fn, *proto;
	const struct btf_param *par;
	uint32_t id = btfgen_find(b, name, BTF_KIND_FUNC);
	unsigned int i, vlen;

	buf[0] = '\0';
	fn = btfgen_type(b, id);
	if (!fn)
		return -ENOENT;
	proto = btfgen_type(b, fn->type);
	if (!proto || BTF_INFO_KIND(proto->info) != BTF_KIND_FUNC_PROTO)
		return -ENOENT;
	btfgen_render(b, proto->type, buf, sz);
	out(buf, sz, " (");
	vlen = BTF_INFO_VLEN(proto->info);
	par = (const void *)(proto + 1);
	for (i = 0; i < vlen; i++) {
		if (i)
			out(buf, sz, ", ");
		if (!par[i].type && i == vlen - 1)
			out(buf, sz, "...");
		else
			btfgen_render(b, par[i].type, buf, sz);
	}
	out(buf, sz, ")");
	return 0;
}

static uint32_t skip_mods(const struct btfgen_btf *b, uint32_t id)
{
	const struct btf_type *t;

	while ((t = btfgen_type(b, id))) {
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			continue;
		}
		break;
	}
	return id;
}

/*
 * Byte offset of @field in struct @sname (anonymous unions and structs are
 * searched too). Returns -ENOENT if absent, -EINVAL for a bit field.
 */
static long member_off(const struct btfgen_btf *b, uint32_t sid, const char *field,
		       uint32_t *type)
{
	const struct btf_type *st = btfgen_type(b, sid);
	const struct btf_member *m;
	unsigned int i, vlen;

	if (!st || (BTF_INFO_KIND(st->info) != BTF_KIND_STRUCT &&
		    BTF_INFO_KIND(st->info) != BTF_KIND_UNION))
		return -ENOENT;
	vlen = BTF_INFO_VLEN(st->info);
	m = (const void *)(st + 1);
	for (i = 0; i < vlen; i++) {
		uint32_t bits = BTF_INFO_KFLAG(st->info) ?
				BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
		uint32_t bsize = BTF_INFO_KFLAG(st->info) ?
				 BTF_MEMBER_BITFIELD_SIZE(m[i].offset) : 0;
		const char *mname = btfgen_str(b, m[i].name_off);

		if (!*mname) {
			long sub = member_off(b, skip_mods(b, m[i].type), field, type);

			if (sub >= 0)
				return (long)(bits / 8) + sub;
			continue;
		}
		if (strcmp(mname, field))
			continue;
		if (bsize || bits % 8)
			return -EINVAL;
		*type = m[i].type;
		return bits / 8;
	}
	return -ENOENT;
}

long btfgen_member_offset(const struct btfgen_btf *b, const char *sname, const char *field)
{
	char type[8];

	return btfgen_member(b, sname, field, type, sizeof(type));
}

/* Offset of @sname.@field; its type rendered into @type. */
long btfgen_member(const struct btfgen_btf *b, const char *sname, const char *field,
		   char *type, size_t sz)
{
	uint32_t sid = btfgen_find(b, sname, BTF_KIND_STRUCT), tid = 0;
	long off;

	type[0] = '\0';
	if (!sid)
		return -ESRCH;
	off = member_off(b, sid, field, &tid);
	if (off >= 0)
		btfgen_render(b, tid, type, sz);
	return off;
}

/* Value of enumerator @name, searched in @b and then its base. */
int btfgen_enum_value(const struct btfgen_btf *b, const char *name, long long *val)
{
	unsigned int i, j;

	for (i = 0; i < b->nr_types; i++) {
		const struct btf_type *t = b->types[i];
		unsigned int vlen = BTF_INFO_VLEN(t->info);

		if (BTF_INFO_KIND(t->info) == BTF_KIND_ENUM) {
			const struct btf_enum *e = (const void *)(t + 1);

			for (j = 0; j < vlen; j++) {
				if (!strcmp(btfgen_str(b, e[j].name_off), name)) {
					*val = e[j].val;
					return 0;
				}
			}
		} else if (BTF_INFO_KIND(t->info) == BTF_KIND_ENUM64) {
			const struct btf_enum64 *e = (const void *)(t + 1);

			for (j = 0; j < vlen; j++) {
				if (!strcmp(btfgen_str(b, e[j].name_off), name)) {
					*val = (long long)(((uint64_t)e[j].val_hi32 << 32) | e[j].val_lo32);
					return 0;
				}
			}
		}
	}
	return b->base ? btfgen_enum_value(b->base, name, val) : -ENOENT;
}

long btfgen_struct_size(const struct btfgen_btf *b, const char *sname)
{
	const struct btf_type *t = btfgen_type(b, btfgen_find(b, sname, BTF_KIND_STRUCT));

	return t ? (long)t->size : -ESRCH;
}

uint32_t btfgen_crc32(const unsigned char *p, size_t len)
{
	uint32_t crc = 0xffffffff;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
	}
	return ~crc;
}

/* Collapse white space to single blanks and trim both ends. */
static void squeeze(char *s)
{
	char *d = s, *r = s;
	int gap = 0;

	for (; *r; r++) {
		if (isspace((unsigned char)*r)) {
			gap = d != s;
			continue;
		}
		if (gap)
			*d++ = ' ';
		gap = 0;
		*d++ = *r;
	}
	*d = '\0';
}

/* One module's results, collected while the spec is read. */
struct modres {
	char name[64];
	struct btfgen_btf btf;
	uint32_t crc;
	char err[512];
	int loaded;
	unsigned char *img;
};

static void set_err(struct modres *m, const char *fmt, ...)
{
	va_list ap;

	if (m->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
}

static void c_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static struct modres *get_mod(struct modres *mods, int *nmods, const char *name,
			      const char *moddir, const struct btfgen_btf *base)
{
	const unsigned char *sec;
	char path[4096];
	size_t len = 0, sec_len;
	struct modres *m;
	int i, err;

	for (i = 0; i < *nmods; i++)
		if (!strcmp(mods[i].name, name))
			return &mods[i];
	if (*nmods == BTFGEN_MAX_MODS)
		return NULL;
	m = &mods[(*nmods)++];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s.ko", moddir, name);
	err = read_file(path, &m->img, &len);
	if (err) {
		set_err(m, "%s.ko not found for this kernel", name);
		return m;
	}
	if (btfgen_find_btf(m->img, len, &sec, &sec_len)) {
		set_err(m, "%s.ko has no BTF", name);
		return m;
	}
	if (btfgen_parse(&m->btf, sec, sec_len, base)) {
		set_err(m, "%s.ko has unreadable BTF", name);
		return m;
	}
	m->crc = btfgen_crc32(sec, sec_len);
	m->loaded = 1;
	return m;
}

/*
 * Process the spec and write the header to @f. Returns 0, or -errno for a
 * problem with the inputs themselves (unreadable spec, bad vmlinux BTF).
 */
int btfgen_run(FILE *spec, const struct btfgen_btf *base, const char *moddir,
	       const char *kver, FILE *f)
{
	struct modres mods[BTFGEN_MAX_MODS];
	static char body[65536];
	char line[1024];
	int nmods = 0, lineno = 0, i;

	body[0] = '\0';
	while (fgets(line, sizeof(line), spec)) {
		char mod[64], kind[16], arg[256], want[512] = "", have[512] = "";
		struct modres *m;
		char *hash = strchr(line, '#');
		int n, consumed = 0;

		lineno++;
		if (hash)
			*hash = '\0';
		n = sscanf(line, "%63s %15s %255s %n", mod, kind, arg, &consumed);
		if (n <= 0)
			continue;
		if (n != 3) {
			fprintf(stderr, "btfgen: spec line %d: need 'module kind name'\n", lineno);
			return -EINVAL;
		}
		m = get_mod(mods, &nmods, mod, moddir, base);
		if (!m)
			return -E2BIG;
		snprintf(want, sizeof(want), "%s", line + consumed);
		want[strcspn(want, "\n")] = '\0';
		squeeze(want);
		if (!strcmp(kind, "func")) {
			if (!m->loaded)
				continue;
			if (btfgen_func_proto(&m->btf, arg, have, sizeof(have)))
				set_err(m, "%s: no BTF for %s (missing, renamed or inlined)", mod, arg);
			else if (strcmp(have, want))
				set_err(m, "%s: %s is '%s', xlock expects '%s'", mod, arg, have, want);
		} else if (!strcmp(kind, "enum")) {
			long long val = 0;

			if (m->loaded && btfgen_enum_value(&m->btf, arg, &val))
				set_err(m, "%s: no enumerator %s", mod, arg);
			out(body, sizeof(body), "#define XLOCK_BTF_%s %lld\n", arg, val);
		} else if (!strcmp(kind, "member") || !strcmp(kind, "size")) {
			char sname[256], field[256] = "", macro[600], type[256] = "";
			long off;

			if (!strcmp(kind, "member") &&
			    sscanf(arg, "%255[^.].%255s", sname, field) != 2) {
				fprintf(stderr, "btfgen: spec line %d: member needs struct.field\n",
					lineno);
				return -EINVAL;
			}
			if (!strcmp(kind, "size"))
				snprintf(sname, sizeof(sname), "%s", arg);
			off = !m->loaded ? -ENOENT :
			      field[0] ? btfgen_member(&m->btf, sname, field, type, sizeof(type)) :
			      btfgen_struct_size(&m->btf, sname);
			if (m->loaded && off == -ESRCH)
				set_err(m, "%s: no struct %s", mod, sname);
			else if (m->loaded && off < 0)
				set_err(m, "%s: struct %s has no usable member %s", mod, sname, field);
			else if (m->loaded && field[0] && want[0] && strcmp(type, want))
				set_err(m, "%s: %s.%s is '%s', xlock expects '%s'", mod, sname, field,
					type, want);
			snprintf(macro, sizeof(macro), "XLOCK_BTF_%s%s%s", sname,
				 field[0] ? "_" : "_SIZE", field);
			/* Kernel style has no CamelCase: ClientGUID -> clientguid. */
			for (char *c = macro + strlen("XLOCK_BTF_") + strlen(sname); field[0] && *c; c++)
				*c = tolower((unsigned char)*c);
			out(body, sizeof(body), "#define %s %ld\n", macro, off < 0 ? 0 : off);
		} else {
			fprintf(stderr, "btfgen: spec line %d: unknown kind '%s'\n", lineno, kind);
			return -EINVAL;
		}
	}

	fprintf(f, "/* SPDX-License-Identifier: GPL-2.0 */\n");
	fprintf(f, "/* Generated by scripts/btfgen for %s: do not edit. */\n", kver);
	fprintf(f, "#ifndef _XLOCK_BTF_GEN_H\n#define _XLOCK_BTF_GEN_H\n\n");
	fprintf(f, "#define XLOCK_BTF_KVER ");
	c_string(f, kver);
	fprintf(f, "\n\n");
	for (i = 0; i < nmods; i++) {
		fprintf(f, "#define XLOCK_BTF_%s_CRC 0x%08xU\n", mods[i].name, mods[i].crc);
		fprintf(f, "#define XLOCK_BTF_%s_ERR ", mods[i].name);
		if (mods[i].err[0])
			c_string(f, mods[i].err);
		else
			fprintf(f, "NULL");
		fprintf(f, "\n");
		if (mods[i].err[0])
			fprintf(stderr, "btfgen: warning: %s\n", mods[i].err);
		btfgen_free(&mods[i].btf);
		free(mods[i].img);
	}
	fprintf(f, "\n%s\n#endif\n", body);
	return 0;
}

#ifndef BTFGEN_NO_MAIN
int main(int argc, char **argv)
{
	const unsigned char *sec;
	struct btfgen_btf base;
	unsigned char *img;
	size_t len, sec_len;
	FILE *spec;
	int err;

	if (argc != 5) {
		fprintf(stderr, "usage: btfgen SPEC VMLINUX MODDIR KVER\n");
		return 2;
	}
	spec = fopen(argv[1], "r");
	if (!spec) {
		fprintf(stderr, "btfgen: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = read_file(argv[2], &img, &len);
	if (err) {
		fprintf(stderr, "btfgen: %s: %s\n", argv[2], strerror(-err));
		return 1;
	}
	if (btfgen_find_btf(img, len, &sec, &sec_len) ||
	    btfgen_parse(&base, sec, sec_len, NULL)) {
		fprintf(stderr, "btfgen: %s: no usable vmlinux BTF\n", argv[2]);
		return 1;
	}
	err = btfgen_run(spec, &base, argv[3], argv[4], stdout);
	fclose(spec);
	btfgen_free(&base);
	free(img);
	return err ? 1 : 0;
}
#endif
