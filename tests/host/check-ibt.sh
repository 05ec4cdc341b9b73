#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Static checks of the built xlock.ko that the IBT-safe design holds (see
# kmod/hook.h): no indirect branch anywhere in the module, no tail call into
# a call stub (it would re-enter the hook forever), and every call stub is
# traceable (it starts with a call to __fentry__, which its ftrace op needs).
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

echo 1..3
bad=$(echo "$dis" | grep -A1 -E '^[0-9a-f]+ <.*>:$|(call|jmp)[q]?[[:space:]]+\*|__x86_indirect_' |
	awk '/^[0-9a-f]+ <.*>:$/ { tp = index($2, "<__traceiter_xlock_") == 1; next }
	     tp { next }
	     /(call|jmp)q?[[:space:]]+\*/ { insn = $0; next }
	     insn && /R_X86_64_PC32[[:space:]]+pv_ops\+/ { insn = ""; next }
	     insn { print insn; insn = "" }
	     /__x86_indirect_/ { print }
	     END { if (insn) print insn }' || true)
[ -z "$bad" ]; ok $? "no indirect call or jump in xlock.ko${bad:+: $(echo "$bad" | head -n 3 | tr '\n' ' ')}"

bad=$(echo "$dis" | grep -E 'jmp[[:space:]]+[0-9a-f]+ <(xlock_)?call_[a-z0-9_]+>$' || true)
[ -z "$bad" ]; ok $? "no tail call into a call stub${bad:+: $bad}"

stubs=$(echo "$dis" | sed -n 's/^[0-9a-f]* <\(\(xlock_\)\{0,1\}call_[a-z0-9_]*\)>:$/\1/p')
missing=
for s in $stubs; do
	echo "$dis" | awk -v f="<$s>:" '$0 ~ f { on = 1; next } on && /R_X86_64_PLT32/ { print; exit }' |
		grep -q '__fentry__' || missing="$missing $s"
done
[ -n "$stubs" ] && [ -z "$missing" ]; ok $? "$(echo $stubs | wc -w) call stubs, all traceable${missing:+; not traceable:$missing}"
exit $fail
