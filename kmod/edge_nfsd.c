// SPDX-License-Identifier: GPL-2.0
/*
 * The nfsd edge: NFSv3 REMOVE and RENAME as knfsd serves them.
 * nfsd's own structures are private; here they are only passed through.
 */
#include <linux/module.h>
#include <linux/sunrpc/svc.h>

#include "edge.h"
#include "generated/btf.h"

struct svc_fh;

enum { H_UNLINK, H_RENAME };

static XLOCK_STUB __be32 call_nfsd_unlink(struct svc_rqst *rqstp, struct svc_fh *fhp,
					  int type, char *fname, int flen)
{
	xlock_call_unreachable(__func__);
	return cpu_to_be32(10008); /* NFS3ERR_JUKEBOX: client retries */
}

static XLOCK_STUB __be32 call_nfsd_rename(struct svc_rqst *rqstp, struct svc_fh *ffhp,
					  char *fname, int flen, struct svc_fh *tfhp,
					  char *tname, int tlen)
{
	xlock_call_unreachable(__func__);
	return cpu_to_be32(10008);
}

static struct xlock_hook nfsd_hooks[];
#define HS (&xlock_edge_nfsd.hs)

static __be32 wrap_nfsd_unlink(struct svc_rqst *rqstp, struct svc_fh *fhp, int type,
			       char *fname, int flen)
{
	__be32 ret;

	xlock_hook_enter(HS, &nfsd_hooks[H_UNLINK]);
	ret = call_nfsd_unlink(rqstp, fhp, type, fname, flen);
	xlock_hook_exit(HS);
	return ret;
}

static __be32 wrap_nfsd_rename(struct svc_rqst *rqstp, struct svc_fh *ffhp, char *fname,
			       int flen, struct svc_fh *tfhp, char *tname, int tlen)
{
	__be32 ret;

	xlock_hook_enter(HS, &nfsd_hooks[H_RENAME]);
	ret = call_nfsd_rename(rqstp, ffhp, fname, flen, tfhp, tname, tlen);
	xlock_hook_exit(HS);
	return ret;
}

static struct xlock_hook nfsd_hooks[] = {
	[H_UNLINK] = XLOCK_HOOK("nfsd:nfsd_unlink", wrap_nfsd_unlink),
	[H_RENAME] = XLOCK_HOOK("nfsd:nfsd_rename", wrap_nfsd_rename),
};

static struct xlock_call nfsd_calls[] = {
	XLOCK_CALL(call_nfsd_unlink, "nfsd:nfsd_unlink"),
	XLOCK_CALL(call_nfsd_rename, "nfsd:nfsd_rename"),
};

struct xlock_edge xlock_edge_nfsd = {
	.module = "nfsd",
	.hs = {
		.name = "nfsd",
		.hooks = nfsd_hooks,
		.nr_hooks = ARRAY_SIZE(nfsd_hooks),
		.calls = nfsd_calls,
		.nr_calls = ARRAY_SIZE(nfsd_calls),
	},
	.btf_crc = XLOCK_BTF_nfsd_CRC,
	.btf_err = XLOCK_BTF_nfsd_ERR,
};
