#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise bench-proto.txt ("name value" lines, in recording order) into
"key value" lines for bench/run.sh: medians and median per-round ratios."""
import statistics
import sys


def main():
    vals = {}
    for line in open(sys.argv[1]):
        parts = line.split()
        if len(parts) == 2:
            try:
                vals.setdefault(parts[0], []).append(float(parts[1]))
            except ValueError:
                pass
    out = {}
    for name, key in (("nlm_rate", "nlm"), ("write_mbs", "write")):
        s, x = vals.get(name + "_stock", []), vals.get(name + "_xlock", [])
        ratios = [b / a for a, b in zip(s, x) if a]
        out[key + "_stock"] = "%.1f" % statistics.median(s) if s else "n/a"
        out[key + "_xlock"] = "%.1f" % statistics.median(x) if x else "n/a"
        out[key + "_ratio"] = "%.3f" % statistics.median(ratios) if ratios else "n/a"
    bn, bs = vals.get("break_nlm_s", []), vals.get("break_smb_s", [])
    out["break_nlm"] = "%.3f" % statistics.median(bn) if bn else "n/a"
    out["break_smb"] = "%.3f" % statistics.median(bs) if bs else "n/a"
    out["break_ratio"] = ("%.2f" % (statistics.median(bn) / statistics.median(bs))
                          if bn and bs else "n/a")
    for key in ("churn", "nlm"):
        cs, cx = vals.get(key + "_stock", []), vals.get(key + "_xlockd", [])
        if not cs or not cx:
            continue
        # ABBA rounds: stock, xlockd, xlockd, stock; pair each round's means.
        pairs = [((cs[i] + cs[i + 1]) / 2, (cx[i] + cx[i + 1]) / 2)
                 for i in range(0, min(len(cs), len(cx)) - 1, 2)]
        out[key + "_stock"] = "%.1f" % statistics.median(cs)
        out[key + "_xlockd"] = "%.1f" % statistics.median(cx)
        out[key + "_ratio"] = "%.3f" % statistics.median([b / a for a, b in pairs])
    for k in ("persisted_events_per_s", "commits", "durable_window_mean_ms",
              "durable_window_max_ms", "recovery_entries", "recovery_total_s",
              "recovery_read_s", "recovery_build_s", "recovery_module_s",
              "recovery_save_s"):
        if k in vals:
            v = vals[k][-1]
            out[k] = "%d" % v if v == int(v) else "%g" % v
    out["rounds"] = str(len(vals.get("nlm_rate_stock", [])))
    out["trials"] = str(len(bn))
    out["raw"] = "; ".join("%s=%s" % (k, ",".join("%g" % v for v in vs))
                           for k, vs in sorted(vals.items()))
    for k, v in out.items():
        print(k, v)


if __name__ == "__main__":
    sys.exit(main())
