#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The xlockd-attached ratio of bench-persist.txt: per ABBA round (stock,
xlockd, xlockd, stock) the mean of the xlockd runs over the mean of the
stock runs; their median and a bootstrap 95% confidence interval of the
median (10000 resamples of the rounds, fixed seed).

usage: ratio_ci.py bench-persist.txt
Prints "key value" lines: rounds, stock_median, xlockd_median, ratio,
ci_low, ci_high, ratios (comma-separated).
"""
import random
import statistics
import sys


def main():
    vals = {"nlm_stock": [], "nlm_xlockd": []}
    for line in open(sys.argv[1]):
        k, _, v = line.strip().partition(" ")
        if k in vals:
            vals[k].append(float(v))
    s, x = vals["nlm_stock"], vals["nlm_xlockd"]
    n = min(len(s), len(x)) // 2
    ratios = []
    for r in range(n):
        a = (s[2 * r] + s[2 * r + 1]) / 2
        b = (x[2 * r] + x[2 * r + 1]) / 2
        if a:
            ratios.append(b / a)
    if not ratios:
        print("rounds 0")
        return 1
    rng = random.Random(11)
    meds = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(10000))
    print("rounds %d" % len(ratios))
    print("stock_median %.1f" % statistics.median(s))
    print("xlockd_median %.1f" % statistics.median(x))
    print("ratio %.3f" % statistics.median(ratios))
    print("ci_low %.3f" % meds[249])
    print("ci_high %.3f" % meds[9749])
    print("ratios %s" % ",".join("%.3f" % r for r in ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
