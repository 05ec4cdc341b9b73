// SPDX-License-Identifier: GPL-2.0
/*
 * The hook engine: ftrace IPMODIFY redirects, attached per hookset.
 *
 * Nothing here calls a resolved address through a pointer. On 6.12 with
 * CONFIG_X86_KERNEL_IBT the ENDBR of any function whose address is never
 * taken is sealed, and an indirect call to it faults ("Missing ENDBR") on
 * IBT hardware. Entering a function through an ftrace redirect uses RET,
 * which IBT does not check; see hook.h.
 */
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <linux/wait_bit.h>
#include <asm/ibt.h>

#include "hook.h"

/* A hooked function and its ftrace location are at most this far apart. */
#define FENTRY_SLACK 16

void xlock_call_unreachable(const char *name)
{
	WARN_ONCE(1, "xlock: %s ran without its call op\n", name);
}

static bool near(unsigned long ip, unsigned long addr)
{
	return addr && ip >= addr && ip < addr + FENTRY_SLACK;
}

#ifdef XLOCK_TEST
/*
 * Benchmarks only (bench-floor): count a hooked call and let it run its
 * own code, to measure what the ftrace redirect costs without xlock's
 * wrappers. No conflict is decided: the module users load has no such switch.
 */
static bool bench_floor;
module_param(bench_floor, bool, 0444);
MODULE_PARM_DESC(bench_floor, "test module: hooks count calls, redirect none");
#else
#define bench_floor false
#endif

static void notrace redirect_hook(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct xlock_hookset *hs = container_of(ops, struct xlock_hookset, hook_ops);
	unsigned int i;

	/*
	 * Called from this module, through a stub of a call to a function
	 * another hookset hooks (entered at its start, see call_entry): run it.
	 */
	if (within_module(parent_ip, THIS_MODULE))
		return;
	for (i = 0; i < hs->nr_hooks; i++) {
		if (near(ip, hs->hooks[i].addr)) {
			if (bench_floor) {
				atomic64_inc(&hs->hooks[i].hits);
				return;
			}
			ftrace_regs_set_instruction_pointer(fregs, hs->hooks[i].wrapper);
			return;
		}
	}
}

static void notrace redirect_call(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct xlock_hookset *hs = container_of(ops, struct xlock_hookset, call_ops);
	unsigned int i;

	for (i = 0; i < hs->nr_calls; i++) {
		if (near(ip, hs->calls[i].stub)) {
			ftrace_regs_set_instruction_pointer(fregs, hs->calls[i].entry);
			return;
		}
	}
}

/*
 * Where a call enters @addr, a function this hookset hooks: past its ftrace
 * call site (after an ENDBR, 5 bytes: a NOP, or a call while traced), so
 * that the hook does not fire for the wrapper's own call. Why not tell the
 * wrapper's call apart by its return address: a tracer that hooks returns
 * (function_graph) replaces it, and the wrapper then ran itself again,
 * nested as deep as the tracer goes. Any other function is entered at
 * @addr: whatever else uses its ftrace site (a live patch) still applies.
 */
static unsigned long call_entry(const struct xlock_hookset *hs, unsigned long addr)
{
	static const u8 nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	struct ftrace_ops probe = {};
	unsigned long loc = addr;
	unsigned int i;
	u8 insn[5];
	u32 endbr;

	for (i = 0; i < hs->nr_hooks && hs->hooks[i].addr != addr; i++)
		;
	if (i == hs->nr_hooks)
		return addr;
	if (!copy_from_kernel_nofault(&endbr, (void *)addr, sizeof(endbr)) && is_endbr(endbr))
		loc += ENDBR_INSN_SIZE;
	/* A site ftrace knows, holding what ftrace puts there (int3: being patched). */
	if (copy_from_kernel_nofault(insn, (void *)loc, sizeof(insn)) ||
	    (memcmp(insn, nop5, sizeof(nop5)) && insn[0] != 0xe8 && insn[0] != 0xcc))
		return addr;
	if (ftrace_set_filter_ip(&probe, loc, 0, 0))
		return addr;
	ftrace_free_filter(&probe);
	return loc + MCOUNT_INSN_SIZE;
}

/* Register one op over @ips; on a filter error *@bad is the failing index. */
static int fops_register(struct ftrace_ops *ops, ftrace_func_t func,
			 const unsigned long *ips, unsigned int n, int *bad)
{
	unsigned int i;
	int ret;

	memset(ops, 0, sizeof(*ops));
	ops->func = func;
	/*
	 * PERMANENT: ftrace cannot be switched off under us; a call stub
	 * whose op stopped firing would run its (unreachable) body. With
	 * DYNAMIC_FTRACE_WITH_ARGS (x86) the instruction pointer can be set
	 * without saving all registers, as livepatch does there.
	 */
	ops->flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT;
	if (!IS_ENABLED(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS))
		ops->flags |= FTRACE_OPS_FL_SAVE_REGS;
	for (i = 0; i < n; i++) {
		ret = ftrace_set_filter_ip(ops, ips[i], 0, 0);
		if (ret) {
			*bad = i;
			goto err_filter;
		}
	}
	ret = register_ftrace_function(ops);
	if (ret) {
		*bad = -1;
		goto err_filter;
	}
	return 0;

err_filter:
	ftrace_free_filter(ops);
	return ret;
}

static void describe(int ret, const char *what, char *why, size_t len)
{
	if (ret == -EBUSY)
		snprintf(why, len, "%s is already redirected by another ftrace user (livepatch?)",
			 what);
	else if (ret == -EINVAL || ret == -ENOENT)
		snprintf(why, len, "%s cannot be traced (notrace or not a function entry)", what);
	else
		snprintf(why, len, "ftrace refused %s (%d)", what, ret);
}

/*
 * Attach every call and hook of @hs, their addresses resolved (ksym.c);
 * on failure nothing stays attached and @why says what went wrong.
 */
int xlock_hookset_attach(struct xlock_hookset *hs, char *why, size_t len)
{
	unsigned long ips[24];
	unsigned int i;
	int ret, bad;

	if (hs->nr_hooks > ARRAY_SIZE(ips) || hs->nr_calls > ARRAY_SIZE(ips)) {
		snprintf(why, len, "more than %zu hooks or calls", ARRAY_SIZE(ips));
		return -E2BIG;
	}
	/* A call stub redirected to address 0 would jump there: refuse it. */
	for (i = 0; i < hs->nr_calls; i++) {
		if (!hs->calls[i].addr) {
			snprintf(why, len, "%s has no address (not resolved: xlock_ksym_attach)",
				 hs->calls[i].sym);
			return -ENOENT;
		}
	}
	for (i = 0; i < hs->nr_hooks; i++) {
		if (!hs->hooks[i].addr) {
			snprintf(why, len, "%s has no address (not resolved: xlock_ksym_attach)",
				 hs->hooks[i].sym);
			return -ENOENT;
		}
	}
	/* Calls first: a wrapper may use them as soon as the hooks fire. */
	for (i = 0; i < hs->nr_calls; i++) {
		hs->calls[i].entry = call_entry(hs, hs->calls[i].addr);
		ips[i] = hs->calls[i].stub;
	}
	if (hs->nr_calls) {
		ret = fops_register(&hs->call_ops, redirect_call, ips, hs->nr_calls, &bad);
		if (ret) {
			describe(ret, bad < 0 ? "call stubs" : hs->calls[bad].sym, why, len);
			return ret;
		}
		hs->calls_on = true;
	}

	for (i = 0; i < hs->nr_hooks; i++)
		ips[i] = hs->hooks[i].addr;
	if (hs->nr_hooks) {
		ret = fops_register(&hs->hook_ops, redirect_hook, ips, hs->nr_hooks, &bad);
		if (ret) {
			describe(ret, bad < 0 ? hs->name : hs->hooks[bad].sym, why, len);
			goto err_calls;
		}
		hs->hooks_on = true;
	}
	return 0;

err_calls:
	if (hs->calls_on) {
		unregister_ftrace_function(&hs->call_ops);
		ftrace_free_filter(&hs->call_ops);
		hs->calls_on = false;
	}
	return ret;
}

/* Stop redirecting (new calls run unhooked); wrappers running go on. */
void xlock_hookset_unhook(struct xlock_hookset *hs)
{
	if (hs->hooks_on) {
		/*
		 * Unregistering a dynamic op waits (RCU tasks) until no task
		 * is between the redirect and our wrapper's first line, so
		 * every task that was redirected is counted in ->active.
		 */
		unregister_ftrace_function(&hs->hook_ops);
		ftrace_free_filter(&hs->hook_ops);
		hs->hooks_on = false;
	}
}

void xlock_hookset_detach(struct xlock_hookset *hs)
{
	xlock_hookset_unhook(hs);
	/* Wrappers still running may use the calls: let them finish. */
	wait_var_event(&hs->active, !atomic_read(&hs->active));
	if (hs->calls_on) {
		unregister_ftrace_function(&hs->call_ops);
		ftrace_free_filter(&hs->call_ops);
		hs->calls_on = false;
	}
}
