// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests for scripts/btfgen: a base and a split BTF blob are built here
 * by hand, the way vmlinux and a module carry them, and the generator must
 * read offsets, prototypes and refusals out of them correctly.
 */
#define BTFGEN_NO_MAIN
#include "../../scripts/btfgen.c"

#include <unistd.h>

#include "tap.h"

struct blob {
	unsigned char buf[4096];
	uint32_t types[256];
	unsigned int ntypes;
	char strs[1024];
	unsigned int slen;
	uint32_t str_base;
};

static uint32_t str(struct blob *b, const char *s)
{
	uint32_t off = b->slen;

	if (!*s)
		return 0;
	memcpy(b->strs + b->slen, s, strlen(s) + 1);
	b->slen += strlen(s) + 1;
	return b->str_base + off;
}

static void word(struct blob *b, uint32_t w)
{
	b->types[b->ntypes++] = w;
}

static void type(struct blob *b, const char *name, int kind, int vlen, uint32_t size_or_type)
{
	word(b, str(b, name));
	word(b, ((uint32_t)kind << 24) | vlen);
	word(b, size_or_type);
}

static size_t finish(struct blob *b)
{
	struct btf_header h = {
		.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h),
		.type_off = 0, .type_len = b->ntypes * 4,
		.str_off = b->ntypes * 4, .str_len = b->slen,
	};

	memcpy(b->buf, &h, sizeof(h));
	memcpy(b->buf + sizeof(h), b->types, b->ntypes * 4);
	memcpy(b->buf + sizeof(h) + b->ntypes * 4, b->strs, b->slen);
	return sizeof(h) + b->ntypes * 4 + b->slen;
}

/*
 * base: 1 int, 2 struct file (fwd), 3 ptr->2, 4 typedef u64 -> 5, 5 long long unsigned int
 * split: 6 struct foo { int a@0; u64 b@8; union { int c; } @16; int bf:3 @20 },
 *        7 ptr->6, 8 proto int (int, struct foo *, struct file *), 9 func bar -> 8,
 *        10 proto void (u64, ...), 11 func vbar -> 10, 12 anon union { int c; }
 */
static void build(struct blob *base, size_t *blen, struct blob *mod, size_t *mlen)
{
	memset(base, 0, sizeof(*base));
	base->slen = 1;
	type(base, "int", BTF_KIND_INT, 0, 4);
	word(base, 32);
	type(base, "file", BTF_KIND_FWD, 0, 0);
	type(base, "", BTF_KIND_PTR, 0, 2);
	type(base, "u64", BTF_KIND_TYPEDEF, 0, 5);
	type(base, "long long unsigned int", BTF_KIND_INT, 0, 8);
	word(base, 64);
	*blen = finish(base);

	memset(mod, 0, sizeof(*mod));
	mod->slen = 1;
	mod->str_base = base->slen;
	type(mod, "foo", BTF_KIND_STRUCT, 4, 24);
	word(mod, str(mod, "a")); word(mod, 1); word(mod, 0);
	word(mod, str(mod, "b")); word(mod, 4); word(mod, 64);
	word(mod, 0); word(mod, 12); word(mod, 128);
	word(mod, str(mod, "bf")); word(mod, 1); word(mod, 160 + 3);
	type(mod, "", BTF_KIND_PTR, 0, 6);
	type(mod, "", BTF_KIND_FUNC_PROTO, 3, 1);
	word(mod, 0); word(mod, 1);
	word(mod, 0); word(mod, 7);
	word(mod, 0); word(mod, 3);
	type(mod, "bar", BTF_KIND_FUNC, 0, 8);
	type(mod, "", BTF_KIND_FUNC_PROTO, 2, 0);
	word(mod, 0); word(mod, 4);
	word(mod, 0); word(mod, 0);
	type(mod, "vbar", BTF_KIND_FUNC, 0, 10);
	type(mod, "", BTF_KIND_UNION, 1, 4);
	word(mod, str(mod, "c")); word(mod, 1); word(mod, 0);
	*mlen = finish(mod);
}

static FILE *spec_file(const char *text)
{
	return fmemopen((char *)text, strlen(text), "r");
}

int main(void)
{
	static struct blob base, mod;
	struct btfgen_btf bb, mb;
	size_t blen, mlen;
	char buf[256];

	tap_plan(16);
	build(&base, &blen, &mod, &mlen);
	tap_ok(!btfgen_parse(&bb, base.buf, blen, NULL) && bb.nr_types == 5,
	       "base BTF parses (5 types)");
	tap_ok(!btfgen_parse(&mb, mod.buf, mlen, &bb) && mb.first_id == 6 && mb.nr_types == 7,
	       "split BTF continues the base's type ids");
	tap_ok(btfgen_member_offset(&mb, "foo", "b") == 8, "member offset from bits");
	tap_ok(btfgen_member_offset(&mb, "foo", "c") == 16, "member inside an anonymous union");
	tap_ok(btfgen_member_offset(&mb, "foo", "bf") == -EINVAL, "bit field refused");
	tap_ok(btfgen_member_offset(&mb, "foo", "zz") == -ENOENT &&
	       btfgen_member_offset(&mb, "nope", "a") == -ESRCH, "missing member and struct");
	tap_ok(btfgen_struct_size(&mb, "foo") == 24, "struct size");
	btfgen_func_proto(&mb, "bar", buf, sizeof(buf));
	tap_ok(!strcmp(buf, "int (int, struct foo *, struct file *)"),
	       "prototype rendered with base and split types: %s", buf);
	btfgen_func_proto(&mb, "vbar", buf, sizeof(buf));
	tap_ok(!strcmp(buf, "void (u64, ...)"), "void, typedef and varargs: %s", buf);
	tap_ok(btfgen_func_proto(&mb, "missing", buf, sizeof(buf)) == -ENOENT,
	       "missing function reported");
	tap_ok(btfgen_crc32((const unsigned char *)"123456789", 9) == 0xcbf43926,
	       "crc32 matches the kernel's crc32_le convention");

	{
		char dir[] = "/tmp/btfgen-test-XXXXXX", path[300], *out = NULL;
		size_t outlen = 0;
		FILE *f, *spec, *o;

		if (!mkdtemp(dir))
			return 1;
		snprintf(path, sizeof(path), "%s/m.ko", dir);
		f = fopen(path, "wb");
		fwrite(mod.buf, 1, mlen, f);
		fclose(f);
		spec = spec_file("m func bar   int (int, struct foo *,\tstruct file *)  # comment\n"
				 "m member foo.b\nm size foo\n");
		o = open_memstream(&out, &outlen);
		btfgen_run(spec, &bb, dir, "test", o);
		fclose(o);
		tap_ok(strstr(out, "#define XLOCK_BTF_m_ERR NULL") &&
		       strstr(out, "#define XLOCK_BTF_foo_b 8") &&
		       strstr(out, "#define XLOCK_BTF_foo_SIZE 24"), "spec that matches: no refusal");
		free(out);
		fclose(spec);
		spec = spec_file("m func bar int (long)\nm member foo.q\n");
		o = open_memstream(&out, &outlen);
		btfgen_run(spec, &bb, dir, "test", o);
		fclose(o);
		tap_ok(strstr(out, "XLOCK_BTF_m_ERR \"m: bar is 'int (int, struct foo *, struct file *)', xlock expects 'int (long)'\"") != NULL,
		       "changed prototype becomes the edge's refusal");
		tap_ok(strstr(out, "#define XLOCK_BTF_foo_q 0") != NULL,
		       "a missing member still defines its macro (edge refused anyway)");
		free(out);
		fclose(spec);
		spec = spec_file("m member foo.b u64\nm member foo.a long\n");
		o = open_memstream(&out, &outlen);
		btfgen_run(spec, &bb, dir, "test", o);
		fclose(o);
		tap_ok(strstr(out, "XLOCK_BTF_m_ERR \"m: foo.a is 'int', xlock expects 'long'\"") &&
		       strstr(out, "#define XLOCK_BTF_foo_b 8"),
		       "member types are checked: u64 matches, int is not long");
		free(out);
		fclose(spec);
		spec = spec_file("m enum NOPE\n");
		o = open_memstream(&out, &outlen);
		btfgen_run(spec, &bb, dir, "test", o);
		fclose(o);
		tap_ok(strstr(out, "XLOCK_BTF_m_ERR \"m: no enumerator NOPE\"") != NULL,
		       "a missing enumerator refuses the edge");
		free(out);
		fclose(spec);
		unlink(path);
		rmdir(dir);
	}
	btfgen_free(&mb);
	btfgen_free(&bb);
	return tap_done();
}
