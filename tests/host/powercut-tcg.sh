#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# e2e/powercut.sh boots again a boot whose kernel died of multi-threaded
# TCG's stale breakpoint (died_of_tcg): "Oops: int3" as the first kernel
# problem, with no xlock loaded or at a site xlock never patches. An int3
# in a function xlock hooks, or in xlock, and any other oops, fail the run.
# The function is taken from powercut.sh and run on scripted console logs.
# TAP.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sed -n -e '/^BAD=/p' -e '/^HOOKED=/p' -e '/^died_of_tcg() {/,/^}/p' "$TOP/e2e/powercut.sh" >"$T/f.sh"
. "$T/f.sh"
# console DIR FIRST-PROBLEM RIP MODULES
console() {
	mkdir -p "$T/$1"
	printf '[ 31.6] xlock: loading out-of-tree module taints kernel.\n[ 35.1] %s\n[ 35.1] RIP: 0010:%s\n[ 35.2] Modules linked in: %s\n[ 35.3] Kernel panic - not syncing: Fatal exception\n' \
		"$2" "$3" "$4" >"$T/$1/console.log"
}
n=0
fail=0
case_() { # name expected(0 retried, 1 failed) dir
	n=$((n + 1))
	if died_of_tcg "$T/$3"; then got=0; else got=1; fi
	if [ "$got" = "$2" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (got $got)"; fail=1; fi
}
echo 1..7
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
[ -n "$HOOKED" ] && echo "$HOOKED" | grep -qx nfsd4_open
r=$?
n=$((n + 1))
[ $r = 0 ] && echo "ok $n - the hooked functions read from kmod/ (nfsd4_open among them)" ||
	{ echo "not ok $n - hooked functions: $(echo $HOOKED)"; fail=1; }
exit $fail
