#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Static checks of the built xlock.ko that the IBT-safe design holds (see
# kmod/hook/hook.h and README, Architecture). A resolved kernel address
# (hooked, lockd/nfsd/ksmbd-internal, kallsyms) is only ever reached
# through a call stub, called directly; xlock's own functions may be called
# through a pointer, since their address is taken and they keep ENDBR. So:
#  1. an indirect call or jump appears only in an ops_* function: the
#     dispatchers through which one layer calls the functions a higher
#     layer registered (edge, table, grace, arbiter, teardown ops);
#  2. no tail call into a call stub (it would re-enter the hook forever);
#  3. every call stub is traceable (it starts with a call to __fentry__,
#     which its ftrace op needs);
#  4. every ops struct of xlock's (a read-only *_ops object) points only at
#     functions and data of xlock.ko itself, never at a kernel symbol: so
#     what an ops_* dispatcher calls is one of xlock's own functions.
# Paravirt calls through pv_ops (inlined irq save/restore) are the kernel's
# own: patched into plain instructions at load time, and their targets keep
# ENDBR since pv_ops takes their address. So are the tracepoint iterators
# (__traceiter_xlock_*, made by <trace/define_trace.h>): they call the
# probes the tracing core registered, whose address it took. TAP output.
set -u
KO=${1:-xlock.ko}
[ -f "$KO" ] || { echo "1..0 # SKIP $KO not built"; exit 0; }
dis=$(objdump -dr --no-show-raw-insn "$KO")
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }

echo 1..4
bad=$(echo "$dis" | grep -A1 -E '^[0-9a-f]+ <.*>:$|(call|jmp)[q]?[[:space:]]+\*|__x86_indirect_' |
	awk '/^[0-9a-f]+ <.*>:$/ { fn = $2; tp = index(fn, "<__traceiter_xlock_") == 1
				  ops = fn ~ /^<ops_[a-z0-9_]+(\.[a-z]+\.[0-9]+)*>:$/; next }
	     tp || ops { next }
	     /(call|jmp)q?[[:space:]]+\*/ { insn = fn " " $0; next }
	     insn && /R_X86_64_PC32[[:space:]]+pv_ops\+/ { insn = ""; next }
	     insn { print insn; insn = "" }
	     /__x86_indirect_/ { print fn " " $0 }
	     END { if (insn) print insn }' || true)
nops=$(echo "$dis" | grep -c -E '^[0-9a-f]+ <ops_[a-z0-9_.]+>:$')
[ -z "$bad" ]; ok $? "indirect calls only in the $nops ops_* dispatchers${bad:+: $(echo "$bad" | head -n 3 | tr '\n' ' ')}"

bad=$(echo "$dis" | grep -E 'jmp[[:space:]]+[0-9a-f]+ <(xlock_)?call_[a-z0-9_]+>$' || true)
[ -z "$bad" ]; ok $? "no tail call into a call stub${bad:+: $bad}"

stubs=$(echo "$dis" | sed -n 's/^[0-9a-f]* <\(\(xlock_\)\{0,1\}call_[a-z0-9_]*\)>:$/\1/p')
missing=
for s in $stubs; do
	echo "$dis" | awk -v f="<$s>:" '$0 ~ f { on = 1; next } on && /R_X86_64_PLT32/ { print; exit }' |
		grep -q '__fentry__' || missing="$missing $s"
done
[ -n "$stubs" ] && [ -z "$missing" ]; ok $? "$(echo $stubs | wc -w) call stubs, all traceable${missing:+; not traceable:$missing}"
bad=$(python3 - "$KO" <<'PY'
import re
import subprocess
import sys

ko = sys.argv[1]


def readelf(*args):
    return subprocess.run(['readelf', '-W'] + list(args) + [ko], capture_output=True,
                          text=True, check=True).stdout.splitlines()


secs = {}
for line in readelf('-S'):
    m = re.match(r'\s*\[\s*(\d+)\]\s+(\S+)\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S*)', line)
    if m:
        secs[m.group(1)] = (m.group(2), m.group(3))
objs, undefined = [], set()
for line in readelf('-s'):
    f = line.split()
    if len(f) < 8 or not f[0].endswith(':'):
        continue
    if f[6] == 'UND':
        undefined.add(f[7])
    elif f[3] == 'OBJECT' and f[7].endswith('_ops') and f[6] in secs and \
            'W' not in secs[f[6]][1]:
        objs.append((f[7], secs[f[6]][0], int(f[1], 16), int(f[2])))
relocs, cur = {}, None
for line in readelf('-r'):
    m = re.match(r"Relocation section '\.rela(\S+)'", line)
    if m:
        cur = relocs.setdefault(m.group(1), [])
        continue
    f = line.split()
    if cur is not None and len(f) >= 5 and re.match(r'^[0-9a-f]{16}$', f[0]):
        cur.append((int(f[0], 16), f[4]))
print(len(objs))
for name, sec, start, size in objs:
    for off, sym in relocs.get(sec, []):
        if start <= off < start + size and sym in undefined:
            print('%s -> %s' % (name, sym))
PY
)
nobj=$(echo "$bad" | head -n 1)
bad=$(echo "$bad" | sed 1d)
[ -z "$bad" ]; ok $? "$nobj *_ops objects point only at xlock's own functions and data${bad:+: $(echo "$bad" | head -n 3 | tr '\n' ' ')}"
exit $fail
