#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The include/call graph between xlock's units, and its rules (issue 12).

A unit is a .c file with the .h of the same name beside it (a .h without a
.c is a unit of its own). Unit A uses unit B when A's files #include one of
B's files, or A's object refers to a symbol B's object defines (nm: calls,
data, tracepoints). Every unit belongs to a group, and a group may use only
the groups it is allowed to:

  kmod/        the module: the folders are layers, bottom up; a unit uses
               only its own layer and the layers below it (main.c, at the
               top, wires them all).
  userspace/   shared units (userspace/Makefile's SHARED_SRCS) use only
               shared units; xlockctl's and xlockd's own units use their
               own and the shared ones, never each other's.

Within a group the graph must have no circle. TAP output; usage:
tests/host/layers.py [kmod|userspace]... (default both), run from the top.
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
# kmod's layers, bottom up; "" is kmod/ itself (main.c).
KMOD_LAYERS = ['rules', 'core', 'hook', 'edges', 'control', '']

n = 0
failed = False


def ok(cond, what, detail=''):
    global n, failed
    n += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', n, what))
    if not cond:
        failed = True
        for line in detail.rstrip('\n').split('\n'):
            print('#   ' + line)


def unit_of(path):
    return os.path.splitext(path)[0]


def includes(path, dirs):
    """The quoted #includes of @path that resolve to a file under @dirs."""
    out = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            for d in [os.path.dirname(path)] + dirs:
                p = os.path.normpath(os.path.join(d, m.group(1)))
                if os.path.isfile(p):
                    out.append(p)
                    break
    return out


def nm(obj):
    """(defined, undefined) global symbols of @obj."""
    res = subprocess.run(['nm', obj], capture_output=True, text=True, check=True)
    defined, undefined = set(), set()
    for line in res.stdout.splitlines():
        f = line.split()
        if len(f) == 2 and f[0] == 'U':
            undefined.add(f[1])
        elif len(f) == 3 and f[1] in 'TDBRCGSV':
            defined.add(f[2])
    return defined, undefined


def graph(units, files, objs, dirs):
    """Edges unit -> {unit: [why, ...]} from includes and symbols."""
    owner = {}
    for u, fs in files.items():
        for p in fs:
            owner[p] = u
    edges = {u: {} for u in units}
    for u, fs in files.items():
        for p in fs:
            for inc in includes(p, dirs):
                v = owner.get(inc)
                if v and v != u:
                    edges[u].setdefault(v, []).append(
                        '%s includes %s' % (os.path.relpath(p, TOP), os.path.relpath(inc, TOP)))
    defs, undefs = {}, {}
    for u, o in objs.items():
        d, und = nm(o)
        undefs[u] = und
        for s in d:
            defs[s] = u
    for u, und in undefs.items():
        for s in sorted(und):
            v = defs.get(s)
            if v and v != u:
                edges[u].setdefault(v, []).append('uses %s' % s)
    return edges


def circles(units, edges):
    """Strongly connected components of more than one unit (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(units):
        if v not in index:
            visit(v)
    return out


def explain(edges, comp):
    lines = []
    for u in comp:
        for v in comp:
            if v in edges[u]:
                lines.append('%s -> %s: %s' % (rel(u), rel(v), ', '.join(edges[u][v][:4])))
    return '\n'.join(lines)


def rel(u):
    return os.path.relpath(u, TOP)


def check(name, units, files, objs, dirs, group, allowed):
    edges = graph(units, files, objs, dirs)
    bad = []
    for u in sorted(units):
        for v in sorted(edges[u]):
            if group[v] not in allowed[group[u]]:
                bad.append('%s (%s) -> %s (%s): %s' % (rel(u), group[u] or 'top', rel(v),
                                                      group[v] or 'top',
                                                      ', '.join(edges[u][v][:4])))
    ok(not bad, '%s: %d units, %d edges, none upward or across groups' %
       (name, len(units), sum(len(e) for e in edges.values())), '\n'.join(bad))
    comps = circles(units, edges)
    ok(not comps, '%s: no circle between units' % name,
       '\n'.join('circle: ' + ' '.join(rel(u) for u in c) + '\n' + explain(edges, c)
                 for c in comps))
    return edges


def check_kmod():
    root = os.path.join(TOP, 'kmod')
    files, objs, group = {}, {}, {}
    for d, subdirs, fs in os.walk(root):
        subdirs[:] = [s for s in subdirs if s != 'generated']
        for f in fs:
            if not f.endswith(('.c', '.h')):
                continue
            p = os.path.join(d, f)
            u = unit_of(p)
            files.setdefault(u, []).append(p)
            layer = os.path.relpath(d, root).split(os.sep)[0]
            group[u] = '' if layer == '.' else layer
    # Test-only units (Kbuild's XLOCK_TEST) are built in the test module's copy.
    test_copy = os.path.join(TOP, 'build', 'test-module')
    for u in files:
        if u + '.c' not in files[u]:
            continue
        for o in (u + '.o', os.path.join(test_copy, os.path.relpath(u, TOP) + '.o')):
            if os.path.isfile(o):
                objs[u] = o
                break
    missing = [rel(u) for u in files if u + '.c' in files[u] and u not in objs]
    if missing:
        ok(False, 'kmod: objects built (make module test-module)',
           'missing: ' + ' '.join(sorted(missing)))
        return
    unknown = sorted(rel(u) for u in files if group[u] not in KMOD_LAYERS or
                     (group[u] == '' and os.path.basename(u) != 'main'))
    ok(not unknown, 'kmod: every unit in a layer folder (%s)' % ' '.join(l or 'kmod/' for l in KMOD_LAYERS),
       'not in a layer: ' + ' '.join(unknown))
    rank = {l: i for i, l in enumerate(KMOD_LAYERS)}
    allowed = {l: {m for m in KMOD_LAYERS if rank[m] <= rank[l]} for l in KMOD_LAYERS}
    for u in files:
        if group[u] not in rank:
            group[u] = ''
    # Kbuild puts every layer folder on the include path (-I).
    dirs = [root] + [os.path.join(root, l) for l in KMOD_LAYERS if l]
    check('kmod', set(files), files, objs, dirs, group, allowed)
    # One header per .c: what a unit offers is in its own header (a unit
    # that offers no symbol, a module parameter only, needs none).
    nohdr = sorted(rel(u) for u in files
                   if u + '.c' in files[u] and u + '.h' not in files[u] and group[u] != '' and
                   nm(objs[u])[0])
    ok(not nohdr, 'kmod: every .c that offers a symbol has its own header',
       'no header: ' + ' '.join(nohdr))


def check_userspace():
    root = os.path.join(TOP, 'userspace')
    res = subprocess.run(['make', '-s', '--no-print-directory', '-C', root, 'units'],
                         capture_output=True, text=True, check=True)
    group = {}
    for line in res.stdout.splitlines():
        g, srcs = line.split(':', 1)
        for s in srcs.split():
            group[unit_of(os.path.join(root, s))] = g.strip()
    files = {}
    for f in sorted(os.listdir(root)):
        if f.endswith(('.c', '.h')):
            u = unit_of(os.path.join(root, f))
            files.setdefault(u, []).append(os.path.join(root, f))
    orphans = sorted(rel(u) for u in files if u not in group and u + '.c' in files[u])
    ok(not orphans, 'userspace: every .c in a group of userspace/Makefile',
       'in no group: ' + ' '.join(orphans))
    for u in files:
        if u not in group:
            # A header without a .c: of the group of the units that include it
            # would hide a crossing; call it shared, so it may include only
            # shared headers itself.
            group[u] = 'shared'
    cflags = ['-std=gnu11', '-D_GNU_SOURCE', '-DXLOCK_VERSION="x"',
              '-I' + os.path.join(TOP, 'include/uapi')]
    cflags += shlex.split(subprocess.run(['pkg-config', '--cflags', 'libnl-3.0', 'libnl-genl-3.0'],
                                         capture_output=True, text=True).stdout)
    objs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for u in files:
            if u + '.c' in files[u]:
                o = os.path.join(tmp, os.path.basename(u) + '.o')
                r = subprocess.run(['gcc', '-c', '-o', o, u + '.c'] + cflags,
                                   capture_output=True, text=True)
                if r.returncode:
                    ok(False, 'userspace: %s compiles' % rel(u + '.c'), r.stderr)
                    return
                objs[u] = o
        allowed = {'shared': {'shared'}, 'xlockd': {'xlockd', 'shared'},
                   'xlockctl': {'xlockctl', 'shared'}}
        check('userspace', set(files), files, objs, [root], group, allowed)


def main():
    what = sys.argv[1:] or ['kmod', 'userspace']
    for w in what:
        {'kmod': check_kmod, 'userspace': check_userspace}[w]()
    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
