# SPDX-License-Identifier: GPL-2.0
# Sourced by e2e/run.sh and e2e/powercut.sh (TOP and BAD set): which guest
# kernel deaths are QEMU/TCG's own and get one more boot, never a pass.
#
# Seen in this harness with no xlock code on the path:
#  - "Oops: int3" at a site the kernel itself was live-patching (jump
#    labels at boot with no module loaded, a static key in
#    secure_tcp_seq_and_ts_off): multi-threaded TCG does not keep x86's
#    cross-modifying-code guarantee text_poke_bp() relies on;
#  - "Oops: double fault" (in start_kernel, before any module; once in
#    the fault suite, single-threaded TCG, in a CI run of 5f28b32);
#  - the kernel's warning for a single-step #DB taken in kernel mode
#    (exc_debug_kernel, DR_STEP): the kernel sets TF only for user tasks
#    under ptrace and xlock never touches TF or the debug registers; the
#    kernel names an emulator leaking #DB as the known cause (a CI run of
#    5f28b32, a power-cut boot before xlock's load).
# An int3 at a function xlock hooks or inside xlock, and a double fault
# inside xlock, are xlock's: they fail like any other kernel problem.

# The kernel functions whose entries xlock's ftrace hooks patch.
HOOKED=$(grep -rhoE 'XLOCK_HOOK\("[^"]+"' "$TOP/kmod" | sed 's/.*"\(.*:\)\{0,1\}\([^":]*\)"$/\2/' | sort -u)

# tcg_artefact CONSOLE [PROBLEM]: true if PROBLEM (a line of CONSOLE; by
# default its first kernel problem) is one of the deaths above.
tcg_artefact() {
	k1=${2:-}
	[ -n "$k1" ] || k1=$(grep -E -m 1 "$BAD" "$1" 2>/dev/null) || return 1
	# The report that follows the problem line: its RIP and modules (the
	# line through the environment: awk -v would read its backslashes).
	rep=$(K=$k1 awk 'f || index($0, ENVIRON["K"]) { f = 1; print }' "$1" 2>/dev/null)
	rip=$(echo "$rep" | grep -m 1 'RIP: 0010:' || true)
	case $k1 in
	*"Oops: int3"*)
		m1=$(echo "$rep" | grep -m 1 'Modules linked in:') || return 1
		case $m1 in *xlock*) ;; *) return 0 ;; esac
		case $rip in "" | *"[xlock]"*) return 1 ;; esac
		fn=$(echo "$rip" | sed -n 's/.*RIP: 0010:\([A-Za-z0-9_.]*\)+.*/\1/p')
		[ -n "$fn" ] && ! echo "$HOOKED" | grep -qx "$fn"
		;;
	*"Oops: double fault"*)
		case $rip in *"[xlock]"*) return 1 ;; esac
		return 0
		;;
	*"WARNING: "*" at arch/x86/kernel/traps.c:"*" exc_debug_kernel+"*)
		return 0
		;;
	*)
		return 1
		;;
	esac
}
