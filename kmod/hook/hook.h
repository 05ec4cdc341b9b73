/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Function hooks and direct calls into other modules, IBT-safe.
 *
 * A hook redirects a function's ftrace entry to our wrapper. A call lets our
 * code run a resolved function without an indirect branch: we call a stub
 * of our own directly, and an ftrace op on the stub moves the instruction
 * pointer to the resolved function, which is entered by the trampoline's RET
 * (no ENDBR needed). A wrapper reaches "the original" the same way, entered
 * past its ftrace call site: the hook does not fire again (hook.c).
 */
#ifndef _XLOCK_HOOK_H
#define _XLOCK_HOOK_H

#include <linux/atomic.h>
#include <linux/ftrace.h>
#include <linux/types.h>

struct xlock_call {
	const char *sym;	/* "module:symbol" or a core symbol */
	unsigned long stub;	/* our stub, only ever called directly */
	unsigned long addr;	/* resolved target */
	unsigned long entry;	/* where the call enters it (hook.c) */
	bool fixed;		/* addr set by its owner, not looked up */
};

struct xlock_hook {
	const char *sym;
	unsigned long wrapper;
	unsigned long addr;
	atomic64_t hits;
};

/* Hooks and calls attached and detached as one unit (one per edge). */
struct xlock_hookset {
	const char *name;
	struct xlock_hook *hooks;
	unsigned int nr_hooks;
	struct xlock_call *calls;
	unsigned int nr_calls;
	struct ftrace_ops hook_ops;
	struct ftrace_ops call_ops;
	bool hooks_on;
	bool calls_on;
	atomic_t active;	/* tasks inside our wrappers */
};

#define XLOCK_CALL(name, symbol) { .sym = symbol, .stub = (unsigned long)(name) }
#define XLOCK_HOOK(symbol, fn) { .sym = symbol, .wrapper = (unsigned long)(fn) }

/*
 * A call stub is a real, traceable function of ours that the compiler must
 * neither inline, clone nor merge with another (GCC 12 does all three to a
 * plain static function). Its body runs only if the call op is not
 * registered, which the attach order rules out: it warns and fails safe.
 */
#define XLOCK_STUB __noipa

void xlock_call_unreachable(const char *name);

int xlock_hookset_attach(struct xlock_hookset *hs, char *why, size_t len);
void xlock_hookset_unhook(struct xlock_hookset *hs);
void xlock_hookset_detach(struct xlock_hookset *hs);

static inline void xlock_hook_enter(struct xlock_hookset *hs, struct xlock_hook *h)
{
	atomic_inc(&hs->active);
	atomic64_inc(&h->hits);
}

static inline void xlock_hook_exit(struct xlock_hookset *hs)
{
	if (atomic_dec_and_test(&hs->active))
		wake_up_var(&hs->active);
}

#endif
