#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Time per call of hooked kernel functions under the function-graph
tracer, and the part of it spent inside xlock (issue 15 item 2, issue 11
item 7). Used by proto_bench.py, and run alone inside the guest by
e2e/scenarios/bench-persist.sh:

usage: fgraph.py --out FILE --key KEY --nlm PATH --secs S [--trace FILE]
                 [--funcs nlmsvc_lock,nlmsvc_unlock]

runs NLM lock+unlock round trips (bench/nlm_rate.py) on PATH for S seconds
with the tracer on the functions and appends to FILE, per function,
"percall_NAME_KEY calls=N,median_ns=T[,paired=P,in_xlock_median_ns=X]".

With xlock loaded a hooked function's entry runs xlock's wrapper, which
calls the original through its call stub call_NAME (entering the original
past its ftrace site, so the original is not traced again): with xlock
the stubs are traced too, and the trace shows call_NAME one level deeper.
Time inside xlock = outer call - inner call (paired calls only); without
xlock there is no inner call and no such figure.
"""
import argparse
import os
import re
import statistics
import sys

import nlm_rate  # bench/, this file's own folder (sys.path[0])

TRACING = "/sys/kernel/tracing"
STUB = "call_"
GRAPH_LINE = re.compile(r"^\s*(\d+)\)\s*[-+!#*@$ ]*\s([\d.]+) us\s*\|(\s*)(\S.*?)\s*$")


def tr(name, value):
    with open(os.path.join(TRACING, name), "w") as f:
        f.write(value)


def graph_calls(text):
    """(name, depth, cpu, us) of every finished call in a function_graph
    trace, in order; depth from the indentation (0: called from outside
    the filter; 1: called inside a traced call, i.e. the original a
    wrapper of xlock's called)."""
    out = []
    for line in text.splitlines():
        m = GRAPH_LINE.match(line)
        if not m:
            continue
        cpu, us, indent, body = m.groups()
        name = None
        if body.endswith("();"):
            name = body[:-3]
        elif body.startswith("}"):
            t = re.search(r"/\* (.+?) \*/", body)
            name = t.group(1) if t else None
        if name:
            # A module's function is shown as "name [module]".
            name = re.sub(r"\s*\[\S+\]$", "", name)
            out.append((name, (len(indent) - 2) // 2, int(cpu), float(us)))
    return out


def traced(funcs, workload, save=None, extra=()):
    """Run workload() with the tracer on funcs (and on extra, functions
    xlock does not hook); the calls it recorded (graph_calls). The raw
    trace goes to save if given."""
    tr("tracing_on", "0")
    tr("current_tracer", "nop")
    tr("buffer_size_kb", "8192")
    # xlock's call stubs (call_NAME), only while xlock is loaded.
    if os.path.exists("/sys/module/xlock"):
        funcs = list(funcs) + [STUB + f for f in funcs]
    tr("set_ftrace_filter", "\n".join(list(funcs) + list(extra)) + "\n")
    for opt, v in (("funcgraph-tail", "1"), ("funcgraph-irqs", "0")):
        if os.path.exists(os.path.join(TRACING, "options", opt)):
            tr("options/" + opt, v)
    tr("trace", "")
    tr("current_tracer", "function_graph")
    try:
        tr("tracing_on", "1")
        workload()
        tr("tracing_on", "0")
        with open(os.path.join(TRACING, "trace")) as f:
            text = f.read()
    finally:
        tr("tracing_on", "0")
        tr("current_tracer", "nop")
        tr("set_ftrace_filter", "")
    if save:
        with open(save, "w") as f:
            f.write(text)
    return graph_calls(text)


def per_call(funcs, calls, paired=True):
    """{name: "calls=N,median_ns=T[,paired=P,in_xlock_median_ns=X]"}; the
    in_xlock figures only if paired (xlock was loaded)."""
    inner = {}
    per = {}
    for name, depth, cpu, us in calls:
        if name.startswith(STUB):
            if depth < 1:
                continue    # a call of xlock's own, not a wrapper's
            name = name[len(STUB):]
        if depth >= 1:
            inner[(cpu, name)] = us
            continue
        d = per.setdefault(name, {"outer": [], "self": []})
        d["outer"].append(us)
        i = inner.pop((cpu, name), None)
        if paired and i is not None:
            d["self"].append(us - i)
    out = {}
    for name in funcs:
        d = per.get(name)
        if not d:
            out[name] = "calls=0"
            continue
        v = "calls=%d,median_ns=%.0f" % (len(d["outer"]), 1000 * statistics.median(d["outer"]))
        if d["self"]:
            v += ",paired=%d,in_xlock_median_ns=%.0f" % (
                len(d["self"]), 1000 * statistics.median(d["self"]))
        out[name] = v
    return out


def original_outside(funcs, calls, child):
    """{name: median us} per hooked function in funcs: its original's time
    (the call stub's call, xlock loaded) minus the calls to child (traced
    too, see traced's extra) it made: stock code xlock does not run, to
    set beside the time inside xlock on the same calls."""
    acc = {}
    per = {f: [] for f in funcs}
    for name, depth, cpu, us in calls:
        if name == child and depth >= 2:
            acc[cpu] = acc.get(cpu, 0.0) + us
        elif name.startswith(STUB) and depth == 1 and name[len(STUB):] in per:
            per[name[len(STUB):]].append(us - acc.pop(cpu, 0.0))
        elif depth == 0:
            acc.pop(cpu, None)
    return {f: statistics.median(v) for f, v in per.items() if v}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--nlm", required=True)
    p.add_argument("--secs", type=float, default=5)
    p.add_argument("--trace")
    p.add_argument("--funcs", default="nlmsvc_lock,nlmsvc_unlock")
    a = p.parse_args()
    funcs = a.funcs.split(",")
    calls = traced(funcs, lambda: nlm_rate.rate(a.nlm, a.secs), a.trace)
    with open(a.out, "a") as f:
        for name, v in per_call(funcs, calls).items():
            line = "percall_%s_%s %s" % (name, a.key, v)
            f.write(line + "\n")
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
