#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Ratios of ABBA rounds with a bootstrap confidence interval: the one
implementation every benchmark ratio in RESULTS.md goes through.

A round is four samples in time order: A, B, B, A (A the baseline, e.g.
stock or no xlockd; B the variant). The files list them as "KEY VALUE"
lines, so the baseline's samples 2r and 2r+1 and the variant's samples 2r
and 2r+1 belong to round r. The round's ratio is the mean of its B
samples over the mean of its A samples (drift that is linear over the
round cancels); the figure is the median of the rounds' ratios with a 95%
bootstrap interval of that median (10000 resamples of the rounds, fixed
seed, percentiles 2.5 and 97.5).

usage: ratio_ci.py FILE [BASE_KEY VARIANT_KEY]   (default nlm_stock nlm_xlockd)
Prints "key value" lines: rounds, base_median, variant_median, ratio,
ci_low, ci_high, ratios (comma-separated). Exit 1 if no complete round.
"""
import random
import statistics
import sys


def values(path):
    """All numeric "KEY VALUE" lines of PATH: {key: [values in order]}."""
    vals = {}
    for line in open(path):
        parts = line.split()
        if len(parts) != 2:
            continue
        try:
            v = float(parts[1])
        except ValueError:
            continue
        vals.setdefault(parts[0], []).append(v)
    return vals


def round_ratios(base, variant):
    n = min(len(base), len(variant)) // 2
    out = []
    for r in range(n):
        a = (base[2 * r] + base[2 * r + 1]) / 2
        b = (variant[2 * r] + variant[2 * r + 1]) / 2
        if a:
            out.append(b / a)
    return out


def summary(base, variant, resamples=10000, seed=11):
    """The figure for one pair of sample lists, or None without a round."""
    ratios = round_ratios(base, variant)
    if not ratios:
        return None
    rng = random.Random(seed)
    meds = sorted(statistics.median(rng.choices(ratios, k=len(ratios)))
                  for _ in range(resamples))
    return {
        "rounds": len(ratios),
        "base_median": statistics.median(base),
        "variant_median": statistics.median(variant),
        "ratio": statistics.median(ratios),
        "ci_low": meds[int(resamples * 0.025)],
        "ci_high": meds[int(resamples * 0.975) - 1],
        "ratios": ratios,
    }


def main():
    if len(sys.argv) not in (2, 4):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    bk, vk = sys.argv[2:4] if len(sys.argv) == 4 else ("nlm_stock", "nlm_xlockd")
    vals = values(sys.argv[1])
    s = summary(vals.get(bk, []), vals.get(vk, []))
    if s is None:
        print("rounds 0")
        return 1
    print("rounds %d" % s["rounds"])
    print("base_median %.4g" % s["base_median"])
    print("variant_median %.4g" % s["variant_median"])
    print("ratio %.3f" % s["ratio"])
    print("ci_low %.3f" % s["ci_low"])
    print("ci_high %.3f" % s["ci_high"])
    print("ratios %s" % ",".join("%.3f" % r for r in s["ratios"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
