// SPDX-License-Identifier: GPL-2.0
/*
 * Edge lifetime: attach when lockd, nfsd or ksmbd is live, detach before it
 * goes, in any load order. An edge attaches only if the module is the very
 * build xlock was checked against at build time (same BTF); anything else
 * leaves the edge refused with one log line, never half attached.
 */
#include <linux/crc32.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "edge.h"
#include "ksym.h"

/* The edges main.c hands in (xlock_edges_init), each with its own ops. */
static struct xlock_edge *const *edges;
static unsigned int nr_edges;

/* Serialises attach/detach of every edge (notifier vs. init scan vs. exit). */
static DEFINE_MUTEX(edge_lock);

static const char *const state_names[] = {
	[XLOCK_EDGE_ABSENT] = "absent",
	[XLOCK_EDGE_ACTIVE] = "active",
	[XLOCK_EDGE_REFUSED] = "refused",
};

unsigned int xlock_edges_count(void)
{
	return nr_edges;
}

const struct xlock_edge *xlock_edge_at(unsigned int i)
{
	return i < nr_edges ? edges[i] : NULL;
}

bool xlock_edge_active(const struct xlock_edge *e)
{
	return READ_ONCE(e->state) == XLOCK_EDGE_ACTIVE;
}

/*
 * Pin @e's module for work done outside its hooks (a lease break on our
 * workqueue). Edges drain such work before they detach, so ->mod is valid
 * here; a module on its way out refuses the reference.
 */
/* A reference on @e (NULL: an edge not handed over yet) while it is active. */
bool xlock_edge_get(struct xlock_edge *e)
{
	return e && xlock_edge_active(e) && try_module_get(e->mod);
}

void xlock_edge_put(struct xlock_edge *e)
{
	module_put(e->mod);
}

/*
 * The edges' ops, each called from one function of its own: check-ibt.sh
 * allows indirect calls only in ops_* functions (xlock's own ops structs).
 */
static noinline int ops_attached(const struct xlock_edge_ops *ops, struct xlock_edge *e)
{
	return ops->attached(e);
}

static noinline void ops_detaching(const struct xlock_edge_ops *ops, struct xlock_edge *e)
{
	ops->detaching(e);
}

static noinline void ops_unhooked(const struct xlock_edge_ops *ops, struct xlock_edge *e)
{
	ops->unhooked(e);
}

/* CRC32 of the live module's BTF, as /sys/kernel/btf/<module> shows it. */
static int btf_crc(const char *module, u32 *crc, char *why, size_t len)
{
	char path[64];
	struct file *f;
	loff_t pos = 0;
	ssize_t n;
	size_t size;
	void *buf;
	int ret;

	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", module);
	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
		goto err;
	}
	size = i_size_read(file_inode(f));
	ret = -EFBIG;
	if (!size || size > SZ_64M)
		goto err_file;
	ret = -ENOMEM;
	buf = kvmalloc(size, GFP_KERNEL);
	if (!buf)
		goto err_file;
	/* sysfs hands out binary attributes a page at a time. */
	while (pos < size) {
		n = kernel_read(f, buf + pos, size - pos, &pos);
		ret = n < 0 ? n : -EIO;
		if (n <= 0)
			goto err_buf;
	}
	*crc = ~crc32_le(~0U, buf, size);
	kvfree(buf);
	fput(f);
	return 0;

err_buf:
	kvfree(buf);
err_file:
	fput(f);
err:
	snprintf(why, len, "cannot read %s (%d) to check the module build", path, ret);
	return ret;
}

static int btf_check(struct xlock_edge *e)
{
	u32 crc;
	int ret;

	ret = btf_crc(e->module, &crc, e->reason, sizeof(e->reason));
	if (ret)
		return ret;
	if (crc != e->btf_crc) {
		snprintf(e->reason, sizeof(e->reason),
			 "%s.ko is not the build xlock was made for (BTF crc %08x, expected %08x): rebuild xlock for this kernel",
			 e->module, crc, e->btf_crc);
		return -EPROTO;
	}
	return 0;
}

static void edge_attach(struct xlock_edge *e, struct module *mod)
{
	int ret;

	lockdep_assert_held(&edge_lock);
	if (e->state == XLOCK_EDGE_ACTIVE)
		return;
	e->reason[0] = '\0';
	if (e->btf_err) {
		snprintf(e->reason, sizeof(e->reason), "%s", e->btf_err);
		ret = -EPROTO;
		goto refuse;
	}
	ret = btf_check(e);
	if (ret)
		goto refuse;
	ret = xlock_ksym_attach(&e->hs, e->reason, sizeof(e->reason));
	if (ret)
		goto refuse;
	e->mod = mod;
	WRITE_ONCE(e->state, XLOCK_EDGE_ACTIVE);
	ret = e->ops->attached ? ops_attached(e->ops, e) : 0;
	if (ret) {
		WRITE_ONCE(e->state, XLOCK_EDGE_REFUSED);
		xlock_hookset_detach(&e->hs);
		goto refuse;
	}
	pr_info("edge %s active (%u hooks)\n", e->module, e->hs.nr_hooks);
	return;

refuse:
	WRITE_ONCE(e->state, XLOCK_EDGE_REFUSED);
	pr_warn("edge %s inactive: %s\n", e->module, e->reason);
}

static void edge_detach(struct xlock_edge *e, const char *why)
{
	lockdep_assert_held(&edge_lock);
	if (e->state == XLOCK_EDGE_ACTIVE) {
		WRITE_ONCE(e->state, XLOCK_EDGE_ABSENT);
		if (e->ops->detaching)
			ops_detaching(e->ops, e);
		xlock_hookset_unhook(&e->hs);
		if (e->ops->unhooked)
			ops_unhooked(e->ops, e);
		xlock_hookset_detach(&e->hs);
		pr_info("edge %s detached (%s)\n", e->module, why);
	}
	WRITE_ONCE(e->state, XLOCK_EDGE_ABSENT);
	snprintf(e->reason, sizeof(e->reason), "%s", why);
}

static struct xlock_edge *edge_of(const struct module *mod)
{
	unsigned int i;

	for (i = 0; i < nr_edges; i++)
		if (!strcmp(mod->name, edges[i]->module))
			return edges[i];
	return NULL;
}

static int edge_module_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	struct xlock_edge *e = edge_of(data);

	if (!e)
		return NOTIFY_DONE;
	mutex_lock(&edge_lock);
	if (action == MODULE_STATE_LIVE)
		edge_attach(e, data);
	else if (action == MODULE_STATE_GOING)
		edge_detach(e, "module unloaded");
	mutex_unlock(&edge_lock);
	return NOTIFY_DONE;
}

static struct notifier_block edge_nb = {
	.notifier_call = edge_module_notify,
};

/* Attach @e if its module is already loaded (xlock loaded after it). */
static void edge_scan(struct xlock_edge *e)
{
	struct module *mod;
	unsigned long addr;

	addr = xlock_ksym_lookup(e->hs.hooks[0].sym);
	if (!addr)
		return;
	/* The reference keeps the module from going while we attach. */
	mod = xlock_ksym_module_get(addr);
	if (!mod)
		return;
	mutex_lock(&edge_lock);
	if (mod->state != MODULE_STATE_GOING)
		edge_attach(e, mod);
	mutex_unlock(&edge_lock);
	module_put(mod);
}

int xlock_edges_init(struct xlock_edge *const *list, unsigned int n)
{
	unsigned int i;
	int ret;

	edges = list;
	nr_edges = n;
	for (i = 0; i < nr_edges; i++)
		snprintf(edges[i]->reason, sizeof(edges[i]->reason), "module not loaded");
	ret = register_module_notifier(&edge_nb);
	if (ret)
		return ret;
	for (i = 0; i < nr_edges; i++)
		edge_scan(edges[i]);
	return 0;
}

void xlock_edges_exit(void)
{
	unsigned int i;

	unregister_module_notifier(&edge_nb);
	mutex_lock(&edge_lock);
	for (i = 0; i < nr_edges; i++)
		edge_detach(edges[i], "xlock unloading");
	mutex_unlock(&edge_lock);
}

/* /sys/module/xlock/parameters/edges: "lockd=active nfsd=absent ksmbd=refused" */
static int edges_get(char *buf, const struct kernel_param *kp)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < nr_edges; i++)
		n += scnprintf(buf + n, PAGE_SIZE - n, "%s%s=%s", i ? " " : "",
			       edges[i]->module, state_names[READ_ONCE(edges[i]->state)]);
	n += scnprintf(buf + n, PAGE_SIZE - n, "\n");
	return n;
}

static const struct kernel_param_ops edges_ops = {
	.get = edges_get,
};
module_param_cb(edges, &edges_ops, NULL, 0444);
MODULE_PARM_DESC(edges, "State of each protocol edge (read-only)");

/* /sys/module/xlock/parameters/hits: "nlmsvc_lock=3 smb_grant_oplock=7 ..." */
static int hits_get(char *buf, const struct kernel_param *kp)
{
	unsigned int i, j;
	int n = 0;

	for (i = 0; i < nr_edges; i++) {
		const struct xlock_hookset *hs = &edges[i]->hs;

		for (j = 0; j < hs->nr_hooks; j++) {
			const char *sym = strchr(hs->hooks[j].sym, ':');

			n += scnprintf(buf + n, PAGE_SIZE - n, "%s%s=%lld", n ? " " : "",
				       sym ? sym + 1 : hs->hooks[j].sym,
				       atomic64_read(&hs->hooks[j].hits));
		}
	}
	n += scnprintf(buf + n, PAGE_SIZE - n, "\n");
	return n;
}

static const struct kernel_param_ops hits_ops = {
	.get = hits_get,
};
module_param_cb(hits, &hits_ops, NULL, 0444);
MODULE_PARM_DESC(hits, "Calls seen by each hook (read-only)");
