#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# e2e/run.sh with a scripted stand-in for QEMU: a scenario whose kernel met
# a TCG artefact (e2e/tcg.sh) gets one more boot and counts by that boot's
# result; the same artefact twice, more than two in a run, or a problem of
# xlock's, fail. TAP.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/top/e2e/scenarios" "$T/top/kmod" "$T/bin"
cp "$TOP/e2e/run.sh" "$TOP/e2e/tcg.sh" "$T/top/e2e/"
printf '#!/bin/sh\necho 6.12.0-fake\n' >"$T/top/e2e/kver.sh"
printf '#!/bin/sh\n: >"$2"\n' >"$T/top/e2e/mkinitramfs.sh"
chmod +x "$T/top/e2e/kver.sh" "$T/top/e2e/mkinitramfs.sh"
: >"$T/top/e2e/initramfs-init"
: >"$T/top/xlock.ko"
for s in a b c; do : >"$T/top/e2e/scenarios/$s.sh"; done
# The stand-in: boot N runs the named scenarios as $T/plan says, one line
# "N SCENARIO pass|df|dfx|db" each (default pass): df a double fault outside
# xlock, dfx one inside it (both kill the guest), db the single-step #DB
# warning (the scenario still passes).
cat >"$T/bin/qemu-system-x86_64" <<'QEOF'
#!/bin/sh
T=${0%/bin/*}
con= res= run=
while [ $# -gt 0 ]; do
	case $1 in
	-serial) con=${2#file:}; shift ;;
	-fsdev) case $2 in *id=res,*) res=${2#*path=}; res=${res%%,*} ;; esac; shift ;;
	-append) run=${2#*xlock_run=}; run=${run%% *}; shift ;;
	esac
	shift
done
echo x >>"$T/boots"
b=$(wc -l <"$T/boots")
: >"$res/guest.log"
for s in $(echo "$run" | tr ',' ' '); do
	echo "START $s" >>"$res/results.txt"
	printf 'xlock-e2e: scenario %s\r\n' "$s" >>"$con"
	what=$(awk -v b="$b" -v s="$s" '$1 == b && $2 == s { print $3 }' "$T/plan")
	case $what in
	df | dfx)
		[ "$what" = df ] && rip="asm_exc_page_fault+0x0/0x30" || rip="xlock_nlm_lock+0x2c/0x1a0 [xlock]"
		printf '[ 88.6] Oops: double fault: 0000 [#1] PREEMPT SMP NOPTI\r\n[ 88.6] RIP: 0010:%s\r\n[ 88.7] Kernel panic - not syncing: Fatal exception\r\n' "$rip" >>"$con"
		exit 0 ;;
	db)
		printf '[ 28.2] WARNING: CPU: 1 PID: 219 at arch/x86/kernel/traps.c:1120 exc_debug_kernel+0xca/0x160\r\n[ 28.2] RIP: 0010:exc_debug_kernel+0xca/0x160\r\n' >>"$con" ;;
	esac
	echo "PASS $s - ok" >>"$res/results.txt"
done
QEOF
chmod +x "$T/bin/qemu-system-x86_64"
n=0
fail=0
# case_ NAME EXPECTED-SUMMARY EXPECTED-AGAINS BOOTS SCENARIOS...; $T/plan set before
case_() {
	name=$1 want=$2 wagain=$3 wboots=$4
	shift 4
	n=$((n + 1))
	rm -rf "$T/out" "$T/boots"
	out=$(PATH="$T/bin:$PATH" sh "$T/top/e2e/run.sh" -q -n 0 -O "$T/out" "$@" 2>&1)
	sum=$(echo "$out" | sed -n 's/^e2e: \([0-9]* passed, [0-9]* failed\).*/\1/p')
	ag=$(echo "$out" | grep -c '^e2e: AGAIN ')
	bo=$(wc -l <"$T/boots")
	if [ "$sum" = "$want" ] && [ "$ag" = "$wagain" ] && [ "$bo" = "$wboots" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (got '$sum', $ag again, $bo boots)"
		echo "$out" | sed 's/^/# /'
		fail=1
	fi
}
echo 1..6
printf '1 a df\n' >"$T/plan"
case_ "a double fault outside xlock: the scenario and the rest boot again, both pass" \
	"2 passed, 0 failed" 1 2 a b
printf '1 a df\n2 a df\n' >"$T/plan"
case_ "the same artefact twice: the scenario fails" "1 passed, 1 failed" 1 3 a b
printf '1 a dfx\n' >"$T/plan"
case_ "a double fault inside xlock: fails at once" "1 passed, 1 failed" 0 2 a b
printf '1 a db\n' >"$T/plan"
case_ "the single-step #DB warning in a scenario that passed: it runs again and passes" \
	"2 passed, 0 failed" 1 2 a b
printf '1 a db\n1 b db\n2 a pass\n' >"$T/plan"
case_ "two warnings in one boot: both run again" "2 passed, 0 failed" 2 2 a b
printf '1 a df\n2 b df\n3 c df\n' >"$T/plan"
case_ "a third artefact in one run fails" "2 passed, 1 failed" 2 3 a b c
exit $fail
