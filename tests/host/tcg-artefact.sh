#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# e2e/tcg.sh's tcg_artefact, on scripted console logs: which guest kernel
# problems are QEMU/TCG's (one more boot) and which are xlock's (fail).
# "Oops: int3" counts as TCG's with no xlock loaded or at a site xlock
# never patches; a double fault unless inside xlock; the kernel's
# single-step #DB warning (exc_debug_kernel) always. Anything else, an int3
# at a hooked function or in xlock, and a double fault in xlock fail.
# TAP.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sed -n '/^BAD=/p' "$TOP/e2e/run.sh" >"$T/f.sh"
. "$T/f.sh"
. "$TOP/e2e/tcg.sh"
# console DIR FIRST-PROBLEM RIP MODULES
console() {
	mkdir -p "$T/$1"
	printf '[ 31.6] xlock: loading out-of-tree module taints kernel.\r\n[ 35.1] %s\r\n[ 35.1] RIP: 0010:%s\r\n[ 35.2] Modules linked in: %s\r\n[ 35.3] Kernel panic - not syncing: Fatal exception\r\n' \
		"$2" "$3" "$4" >"$T/$1/console.log"
}
n=0
fail=0
case_() { # name expected(0 again, 1 failed) dir [problem]
	n=$((n + 1))
	if tcg_artefact "$T/$3/console.log" ${4:+"$4"}; then got=0; else got=1; fi
	if [ "$got" = "$2" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (got $got)"; fail=1; fi
}
echo 1..14
console a "Oops: int3: 0000 [#1] PREEMPT SMP NOPTI" "secure_tcp_seq_and_ts_off+0x38/0xf0" "sunrpc(+) xlock(OE) grace ext4"
case_ "int3 at a static key site xlock does not patch, xlock loaded: boot again" 0 a
console b "Oops: int3: 0000 [#1] PREEMPT SMP NOPTI" "nlmsvc_lock+0x4/0x2a0 [lockd]" "lockd xlock(OE) grace"
case_ "int3 at the entry of nlmsvc_lock, which xlock hooks: fail" 1 b
console c "Oops: int3: 0000 [#1] PREEMPT SMP NOPTI" "kernel_setlease+0x4/0x90" "nfsd xlock(OE)"
case_ "int3 at kernel_setlease (hooked, no module prefix): fail" 1 c
console d "Oops: int3: 0000 [#1] PREEMPT SMP NOPTI" "xlock_table_add+0x10/0x80 [xlock]" "xlock(OE) grace"
case_ "int3 inside xlock: fail" 1 d
console e "Oops: int3: 0000 [#1] PREEMPT SMP NOPTI" "jump_label_update+0x20/0x100" "overlay 9p"
case_ "int3 with no xlock loaded: boot again" 0 e
console f "BUG: kernel NULL pointer dereference, address: 0000000000000008" "secure_tcp_seq_and_ts_off+0x38/0xf0" "xlock(OE)"
case_ "another kernel problem first: fail" 1 f
console g "Oops: double fault: 0000 [#1] PREEMPT SMP NOPTI" "asm_exc_page_fault+0x0/0x30" "xlock(OE) ksmbd nfsd lockd"
case_ "double fault outside xlock: boot again" 0 g
console h "Oops: double fault: 0000 [#1] PREEMPT SMP NOPTI" "xlock_nlm_lock+0x2c/0x1a0 [xlock]" "xlock(OE) lockd"
case_ "double fault inside xlock: fail" 1 h
console hb 'Oops: double fault: 0000 [#1] PREEMPT SMP NOPTI comm a\\nb' "xlock_nlm_lock+0x2c/0x1a0 [xlock]" "xlock(OE) lockd"
case_ "double fault inside xlock, a backslash in its line: fail" 1 hb
console i "WARNING: CPU: 1 PID: 219 at arch/x86/kernel/traps.c:1120 exc_debug_kernel+0xca/0x160" "exc_debug_kernel+0xca/0x160" "grace ext4"
case_ "single-step #DB in kernel mode (exc_debug_kernel): boot again" 0 i
console j "WARNING: CPU: 0 PID: 412 at kmod/core/table.c:210 xlock_table_add+0x40/0x80 [xlock]" "xlock_table_add+0x40/0x80 [xlock]" "xlock(OE)"
case_ "another warning: fail" 1 j
# The problem named by the caller (run.sh: a scenario's first), not the log's first.
{ printf '[ 10.0] WARNING: CPU: 0 PID: 9 at mm/slub.c:1 kfree+0x1/0x2\r\n[ 10.0] RIP: 0010:kfree+0x1/0x2\r\n'; cat "$T/g/console.log"; } >"$T/k.log"
mkdir -p "$T/k" && mv "$T/k.log" "$T/k/console.log"
case_ "the scenario's problem, a double fault after an earlier warning: boot again" 0 k "[ 35.1] Oops: double fault: 0000 [#1] PREEMPT SMP NOPTI"
case_ "the log's first problem, that warning: fail" 1 k
[ -n "$HOOKED" ] && echo "$HOOKED" | grep -qx nfsd4_open
r=$?
n=$((n + 1))
[ $r = 0 ] && echo "ok $n - the hooked functions read from kmod/ (nfsd4_open among them)" ||
	{ echo "not ok $n - hooked functions: $(echo $HOOKED)"; fail=1; }
exit $fail
