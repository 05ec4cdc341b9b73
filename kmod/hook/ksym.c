// SPDX-License-Identifier: GPL-2.0
/*
 * Symbol lookup for unexported kernel and module functions.
 *
 * kallsyms_lookup_name() is not exported; a kprobe resolves its address once
 * and from then on it is reached through a call stub (its ENDBR is sealed on
 * IBT kernels, so a plain function pointer call would fault). It accepts
 * "module:symbol" names, which keeps static functions of lockd, nfsd and
 * ksmbd apart from same-named symbols elsewhere.
 */
#include <linux/kprobes.h>
#include <linux/module.h>

#include "hook.h"
#include "ksym.h"

static XLOCK_STUB unsigned long call_kallsyms_lookup_name(const char *name)
{
	xlock_call_unreachable(__func__);
	return 0;
}

static XLOCK_STUB struct module *call_module_address(unsigned long addr)
{
	xlock_call_unreachable(__func__);
	return NULL;
}

static struct xlock_call kallsyms_calls[] = {
	XLOCK_CALL(call_kallsyms_lookup_name, "kallsyms_lookup_name"),
};

static struct xlock_call modaddr_calls[] = {
	XLOCK_CALL(call_module_address, "__module_address"),
};

static struct xlock_hookset kallsyms_set = {
	.name = "kallsyms",
	.calls = kallsyms_calls,
	.nr_calls = ARRAY_SIZE(kallsyms_calls),
};

static struct xlock_hookset modaddr_set = {
	.name = "modules",
	.calls = modaddr_calls,
	.nr_calls = ARRAY_SIZE(modaddr_calls),
};

unsigned long xlock_ksym_lookup(const char *name)
{
	return call_kallsyms_lookup_name(name);
}

/* The module that contains @addr, with a reference taken; NULL if none or going. */
struct module *xlock_ksym_module_get(unsigned long addr)
{
	struct module *mod;

	/* __module_address() needs preemption off; module memory outlives it. */
	preempt_disable();
	mod = call_module_address(addr);
	if (mod && !try_module_get(mod))
		mod = NULL;
	preempt_enable();
	return mod;
}

int xlock_ksym_init(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	char why[128];
	int ret;

	ret = register_kprobe(&kp);
	if (ret) {
		pr_err("cannot locate kallsyms_lookup_name through a kprobe (%d)\n", ret);
		return ret;
	}
	kallsyms_calls[0].addr = (unsigned long)kp.addr;
	kallsyms_calls[0].fixed = true;
	unregister_kprobe(&kp);

	ret = xlock_hookset_attach(&kallsyms_set, why, sizeof(why));
	if (ret)
		goto err_why;
	modaddr_calls[0].addr = xlock_ksym_lookup("__module_address");
	modaddr_calls[0].fixed = true;
	if (!modaddr_calls[0].addr) {
		snprintf(why, sizeof(why), "__module_address not found");
		ret = -ENOENT;
		goto err_kallsyms;
	}
	ret = xlock_hookset_attach(&modaddr_set, why, sizeof(why));
	if (ret)
		goto err_kallsyms;
	return 0;

err_kallsyms:
	xlock_hookset_detach(&kallsyms_set);
err_why:
	pr_err("symbol lookup unavailable: %s\n", why);
	return ret;
}

void xlock_ksym_exit(void)
{
	xlock_hookset_detach(&modaddr_set);
	xlock_hookset_detach(&kallsyms_set);
}

static int resolve(struct xlock_hookset *hs, char *why, size_t len)
{
	unsigned int i;

	for (i = 0; i < hs->nr_calls; i++) {
		struct xlock_call *c = &hs->calls[i];

		if (!c->fixed)
			c->addr = xlock_ksym_lookup(c->sym);
		if (!c->addr) {
			snprintf(why, len, "%s not found (renamed, inlined or removed)", c->sym);
			return -ENOENT;
		}
	}
	for (i = 0; i < hs->nr_hooks; i++) {
		struct xlock_hook *h = &hs->hooks[i];

		h->addr = xlock_ksym_lookup(h->sym);
		if (!h->addr) {
			snprintf(why, len, "%s not found (renamed, inlined or removed)", h->sym);
			return -ENOENT;
		}
	}
	return 0;
}

/* Resolve every call and hook of @hs by name, then attach them (hook.c). */
int xlock_ksym_attach(struct xlock_hookset *hs, char *why, size_t len)
{
	int ret = resolve(hs, why, len);

	return ret ?: xlock_hookset_attach(hs, why, len);
}
