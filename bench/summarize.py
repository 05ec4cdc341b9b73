#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise bench-proto.txt or bench-xlockd.txt ("KEY VALUE" lines in
recording order) into "key value" lines for bench/run.sh. Every ratio is
bench/ratio_ci.py's: median of the ABBA rounds' ratios and its bootstrap
95% interval.

usage: summarize.py FILE
Exit 1 (and no figures) if FILE says "aborted" or bench-proto did not
complete: a run whose module load, unload or checks failed is no evidence.
BENCH_PARTIAL=1 accepts a run cut short by a timeout (no "aborted" line):
its complete rounds count, and "partial 1" says so.
"""
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ratio_ci  # noqa: E402

# name in RESULTS.md: (base key, variant key)
PROTO = {
    "nlm": ("nlm_stock", "nlm_xlock"),
    "write": ("write_stock", "write_xlock"),
    "smbopen": ("smbopen_stock", "smbopen_xlock"),
    "smblock": ("smblock_stock", "smblock_xlock"),
    "brk": ("brk_native_stock", "brk_cross_xlock"),
    "extra": ("extra_native_stock", "extra_cross_xlock"),
    "note": ("note_native_stock", "note_cross_xlock"),
    "brknat": ("brk_native_stock", "brk_native_xlock"),
}
XLOCKD = {
    "churn": ("churn_stock", "churn_xlockd"),
}


def fmt(v):
    return "%.4g" % v


def main():
    text = open(sys.argv[1]).read()
    for line in text.splitlines():
        if line.startswith("aborted"):
            print("summarize.py: the run aborted: %s" % line[8:], file=sys.stderr)
            return 1
    vals = ratio_ci.values(sys.argv[1])
    proto = "config" in text
    out = {}
    if proto and "\ncomplete 1" not in "\n" + text:
        # Cut short (a timeout, not a failed module check): only with
        # BENCH_PARTIAL=1, from the complete rounds, and RESULTS.md says so.
        if os.environ.get("BENCH_PARTIAL") != "1":
            print("summarize.py: the run did not complete", file=sys.stderr)
            return 1
        out["partial"] = "1"
    for name, (bk, vk) in (PROTO if proto else XLOCKD).items():
        s = ratio_ci.summary(vals.get(bk, []), vals.get(vk, []))
        if s is None:
            continue
        out[name + "_base"] = fmt(s["base_median"])
        out[name + "_var"] = fmt(s["variant_median"])
        out[name + "_ratio"] = "%.3f" % s["ratio"]
        out[name + "_ci"] = "%.3f-%.3f" % (s["ci_low"], s["ci_high"])
        out[name + "_lo"] = "%.3f" % s["ci_low"]
        out[name + "_hi"] = "%.3f" % s["ci_high"]
        out[name + "_rounds"] = str(s["rounds"])
        out[name + "_ratios"] = ",".join("%.2f" % r for r in s["ratios"])
    if proto:
        for k in ("base_native_stock", "base_cross_xlock", "brk_native_xlock",
                  "note_native_xlock"):
            if vals.get(k):
                out[k] = fmt(statistics.median(vals[k]))
        trans = {}
        for line in text.splitlines():
            p = line.split()
            if len(p) == 2 and p[0].startswith("trans_"):
                trans.setdefault(p[0][6:], set()).add(p[1])
        out["trans"] = "; ".join("%s %s" % (k, ",".join(sorted(v))) for k, v in sorted(trans.items()))
        rounds = [line.split() for line in text.splitlines() if line.startswith("round ")]
        loads = [float(r[3].split("=")[1]) for r in rounds if len(r) > 3]
        if loads:
            out["guest_load"] = "%.1f / %.1f / %.1f" % (min(loads), statistics.median(loads), max(loads))
        if rounds:
            out["elapsed"] = rounds[-1][2].split("=")[1]
        for line in text.splitlines():
            p = line.split()
            if len(p) == 2 and p[0].startswith("percall_"):
                f = dict(kv.split("=", 1) for kv in p[1].split(",") if "=" in kv)
                for kv, v in f.items():
                    out["%s_%s" % (p[0], kv)] = v
            elif p and p[0] == "percall_failed":
                out["percall_failed"] = " ".join(p[1:])
            if p and p[0] == "stopped":
                out["stopped"] = re.sub(r"\D+", " ", p[1]).strip()
        out["config"] = next(line.split()[1] for line in text.splitlines()
                             if line.startswith("config "))
        out["raw"] = "; ".join("%s=%s" % (k, ",".join("%g" % v for v in vs))
                               for k, vs in sorted(vals.items()))
    keys = ["persisted_events_per_s", "commits", "durable_window_mean_ms",
            "durable_window_max_ms"]
    # recovery_<part>_s_<N>: one recovery of N persisted locks
    keys += sorted(k for k in vals if k.startswith("recovery_"))
    sizes = sorted({int(k.rsplit("_", 1)[1]) for k in vals
                    if re.fullmatch(r"recovery_total_s_\d+", k)})
    if sizes:
        out["recovery_sizes"] = " ".join(str(n) for n in sizes)
    for k in keys:
        if k in vals:
            v = vals[k][-1]
            out[k] = "%d" % v if v == int(v) else "%g" % v
    for k, v in out.items():
        print(k, v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
