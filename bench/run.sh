#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the benchmarks and write bench/RESULTS.md.
# usage: bench/run.sh [SECTION...]   (default: all)
#   rules    the conflict rules (host, checks/s)
#   table    the lock table with 1M entries (guest)
#   proto    protocol paths with and without xlock, lease breaks (guest)
#   xlockd   persistence and recovery (guest)
#   persist  NLM with xlockd attached (guest)
#   scale    lock round trips with 1-8 clients, on a crowded file (guest)
#   crowded  xlock's own time per NLM call on a crowded file (guest)
#   profile  where an NLM round trip's time goes: perf, per phase (guest)
#   floor    what the hook mechanism alone costs a lock round trip (guest)
#   journal  xlockd's journal (host disk)
# BENCH_OPTS=OPT,... passes guest options to the benchmark scenarios (e.g.
# rounds=3 for a short run; each section says how many rounds it had).
# The guest sections run in one QEMU/TCG boot; BENCH_REUSE=1 writes the
# figures from the last run's output (build/bench/guest) instead. Named
# sections replace their part of RESULTS.md and leave the others as they
# are; each section says when it was measured and under what load.
# Numbers from the guest are TCG (software emulation) figures: compare them
# with each other, not with native hardware.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
OUT=bench/RESULTS.md
ALL="rules table proto xlockd persist scale crowded profile floor journal"
SECTIONS=${*:-$ALL}
for s in $SECTIONS; do
	case " $ALL " in *" $s "*) ;; *) echo "run.sh: no section $s ($ALL)" >&2; exit 2 ;; esac
done
want() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }
mkdir -p build/bench
NOW=$(date -u '+%Y-%m-%d %H:%M UTC')

dir=build/bench/guest
scen=
for s in table proto xlockd persist scale crowded profile floor; do
	want $s && scen="$scen bench-$s"
done
if [ -n "$scen" ] && [ -z "${BENCH_REUSE:-}" ]; then
	make -s selftests
	rm -rf "$dir"
	mkdir -p "$dir"
	# The host's load while the guest runs (other guests share the cores).
	(while :; do
		echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1 /proc/loadavg) $(pgrep -c qemu-system || true)"
		sleep 30
	done) >"$dir/hostload.txt" &
	sampler=$!
	rc=0
	# shellcheck disable=SC2086
	./e2e/run.sh -q -n 0 -t 7200 ${BENCH_OPTS:+-o "$BENCH_OPTS"} -O "$dir" $scen || rc=$?
	kill "$sampler"
	[ "$rc" = 0 ] || { echo "run.sh: a benchmark scenario failed: no figures written" >&2; exit 1; }
fi
# Host load during the guest run: 1-minute load min/median/max, most QEMUs.
hostload() {
	[ -s "$dir/hostload.txt" ] || { echo "not recorded"; return; }
	sort -n -k2 "$dir/hostload.txt" | awk '{ l[NR] = $2; if ($3 > q) q = $3 }
		END { printf "1-minute load %s / %s / %s (min / median / max, 2 cores), up to %d QEMU guests at once", l[1], l[int((NR + 1) / 2)], l[NR], q }'
}
guestwhen() { # the guest run's date and host load
	echo "Measured $(date -u -r "$dir/boot1/results.txt" '+%Y-%m-%d %H:%M UTC' 2>/dev/null || echo '?')"
	echo "in one boot of $(e2e/kver.sh) under QEMU TCG; host: $(hostload)."
}

# kv TEXT KEY: KEY's value in TEXT's "key value" lines (ratio_ci.py's output).
kv() { echo "$1" | sed -n "s/^$2 //p"; }

# completed FILE: a guest benchmark's output that ran to its end (nothing
# aborted); else run.sh stops with no figures written.
completed() {
	! grep -q '^aborted\|^percall_failed' "$1" && grep -q '^complete 1$' "$1" && return 0
	echo "run.sh: $(basename "$1" .txt) did not complete: no figures" >&2
	exit 1
}

sec_rules() {
	gcc -O2 -Wall -Wextra -Werror -o build/bench/rules_bench bench/rules_bench.c kmod/rules/rules.c
	rules=$(./build/bench/rules_bench 1)
	echo "## Conflict rules (host, \`bench/rules_bench.c\`)"
	echo
	echo "Measured $NOW on the host. Target: at least 5M rule checks/s. A"
	echo "request mix (NLM lock, NLM TEST, SMB lease, NFS READ, SMB lock) against"
	echo "files holding N entries:"
	echo
	echo "| entries on the file | checks/s | ns/check |"
	echo "|---:|---:|---:|"
	echo "$rules" | tail -n +2 | awk '{ printf "| %s | %.1fM | %s |\n", $1, $2 / 1e6, $3 }'
}

sec_table() {
	table=$(cat "$dir"/boot1/bench-table.txt)
	val() { echo "$table" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	echo "## Lock table (guest, \`kmod/control/bench.c\` via \`e2e/scenarios/bench-table.sh\`)"
	echo
	guestwhen
	echo "$(val entries) NLM lock entries on $(val files) files (16 per file), inserted,"
	echo "looked up and removed through the table code the protocol edges use."
	echo "Target: at most 128 bytes per lock entry; a conflict check costs what"
	echo "that file holds, whatever the table size."
	echo
	echo "| measure | value |"
	echo "|---|---:|"
	echo "| insert, per entry | $(val insert_ns) ns |"
	echo "| random file lookup + conflict check | $(val lookup_check_ns) ns |"
	echo "| remove, per entry | $(val remove_ns) ns |"
	echo "| slab memory per entry (entry, file, xarray and hash share) | $(val slab_bytes_per_entry) bytes |"
	echo "| conflict check, file with 1 entry | $(val check_ns_1) ns |"
	echo "| conflict check, file with 16 entries | $(val check_ns_16) ns |"
	echo "| conflict check, file with 256 entries | $(val check_ns_256) ns |"
	echo "| conflict check, 16-entry file alone in an empty table | $(val check_ns_16_empty_table) ns |"
	echo
	echo "Method: \`echo N > /sys/module/xlock/parameters/bench_table\`"
	echo "(module loaded with test_api=1) runs the measurement in the kernel; slab"
	echo "memory is the change in the kernel's slab counters across the inserts."
}

sec_proto() {
	proto=$(/usr/bin/python3 bench/summarize.py "$dir"/boot1/bench-proto.txt)
	p() { kv "$proto" "$1"; }
	# verdict NAME TARGET ge|le: met only if the whole interval is on the
	# right side of the target, not met if the whole of it is on the wrong one.
	verdict() {
		echo "$(p "$1"_lo) $(p "$1"_hi) $2 $3" | awk '{
			if ($4 == "ge") v = $1 >= $3 ? "met" : $2 < $3 ? "NOT met" : "cannot tell"
			else v = $2 <= $3 ? "met" : $1 > $3 ? "NOT met" : "cannot tell"
			print v }'
	}
	row() { # name label [target ge|le]
		v=
		[ -z "${3:-}" ] || v=" $(verdict "$1" "$3" "$4") (target $([ "$4" = ge ] && echo ">=" || echo "<=") $3) |"
		echo "| $2 | $(p "$1"_base) | $(p "$1"_var) | $(p "$1"_ratio) | $(p "$1"_ci) |${v:- |}"
	}
	echo "## Protocol paths with and without xlock (guest, \`e2e/scenarios/bench-proto.sh\`)"
	echo
	guestwhen
	echo "The run: $(p config) ($(p elapsed) s of rounds); load inside the guest"
	echo "(1-minute, per round, min / median / max): $(p guest_load)."
	if [ -n "$(p stopped)" ]; then
		echo "**The run stopped at its time limit after $(p stopped) rounds** (it"
		echo "starts no round that may not end in time): fewer rounds than asked."
	fi
	if [ "$(p partial)" = 1 ]; then
		echo "**The run was cut short by the scenario's time limit** (a timeout, no"
		echo "failed module check): figures from its $(p nlm_rounds) complete rounds."
	fi
	echo
	echo "Method (\`bench/proto_bench.py\`, one process): ABBA rounds (stock, xlock,"
	echo "xlock, stock) in one boot; xlock is loaded and unloaded only between"
	echo "segments, and every segment checks the module is absent (stock) or live"
	echo "with its lockd, nfsd and ksmbd edges active and its hooks called"
	echo "(xlock); a failed load, unload or check aborts the run and no figure is"
	echo "written from it. Each segment takes one sample of each measure; a"
	echo "round's ratio is the mean of its two xlock samples over the mean of its"
	echo "two stock samples; the figure is the median of the rounds' ratios with"
	echo "a 95% bootstrap interval of that median (\`bench/ratio_ci.py\`). The SMB"
	echo "rows use the raw SMB client of the tests (impacket), one connection per"
	echo "sample made before the clock starts."
	echo
	echo "Targets: NLM round trips, SMB opens and SMB lock round trips >= 0.97x"
	echo "and NFS writes >= 0.98x of stock, at the interval's lower bound."
	echo
	echo "| measure (per second, median) | stock | xlock | ratio | 95% interval | target |"
	echo "|---|---:|---:|---:|---:|---|"
	row nlm "NLM lock+unlock round trips (NFS mount)" 0.97 ge
	row write "NFS 4 KiB O_DIRECT writes, MB/s" 0.98 ge
	row smbopen "SMB2 CREATE with an RWH lease + CLOSE" 0.97 ge
	row smblock "SMB2 LOCK + UNLOCK round trips on one open" 0.97 ge
	echo
	echo "Lease break latency. The lease holder is the same raw SMB client in"
	echo "both paths (holding RWH on a fresh file, acking each break at once, in"
	echo "a thread of the benchmark process); the conflicting request is timed in"
	echo "the same process from just before it is sent to its reply: natively a"
	echo "second raw SMB client's read+write open (ksmbd breaks RWH->RH), across"
	echo "protocols a shared fcntl lock through the NFS mount, i.e. an NLM lock"
	echo "from the kernel's NFS client (xlock breaks RWH->RH; no raw NLM client"
	echo "here can take the NLM_GRANTED callback a blocked lock needs). Each"
	echo "request includes its release (close, unlock). \"Without the break\" is"
	echo "the same request on the same file just before the holder opened it"
	echo "(median of 3), so \"added by the break\" leaves out the difference of the"
	echo "two client stacks. Native breaks are timed in the stock segments, the"
	echo "cross-protocol ones in the xlock segments of the same rounds. Target:"
	echo "cross-protocol <= 1.2x native, at the interval's upper bound."
	echo
	echo "| lease break (seconds, median) | native SMB->SMB (stock) | NFS->SMB (xlock) | ratio | 95% interval | target |"
	echo "|---|---:|---:|---:|---:|---|"
	row brk "request -> reply" 1.2 le
	row extra "added by the break (request -> reply minus without the break)" 1.2 le
	row note "request sent -> the holder has the break notification"
	echo "| request without the break | $(p base_native_stock) | $(p base_cross_xlock) | | | |"
	echo
	echo "Native SMB->SMB break with xlock loaded against the same without: median"
	echo "$(p brknat_var) s vs $(p brknat_base) s, ratio $(p brknat_ratio) ($(p brknat_ci))."
	echo "Break transitions seen by the holder: $(p trans)."
	echo
	echo "Time per call inside the hooked functions (issue 15 item 2), from the"
	echo "function-graph tracer in the same boot after the rounds (\`percall\` in"
	echo "\`bench/proto_bench.py\`): each workload for a few seconds with"
	echo "\`set_ftrace_filter\` on the hooked functions, once stock and once with"
	echo "xlock. With xlock a hooked entry runs xlock's wrapper, which calls the"
	echo "original through its call stub (\`call_NAME\`, traced too, one level"
	echo "deeper; the stub enters the original past its ftrace site): \"inside"
	echo "xlock\" is the outer call's time minus that stub call's, per call, so it"
	echo "includes one extra traced entry and exit (the tracer's own cost, large"
	echo "under TCG) and any wait xlock does (none here: no conflicts), not the"
	echo "stub's redirect into the original. Medians in ns, TCG."
	if [ -n "$(p percall_failed)" ]; then
		echo
		echo "Not measured: the tracer phase failed ($(p percall_failed))."
	elif [ -z "$(p percall_nlmsvc_lock_stock_calls)" ]; then
		echo
		echo "**Not measured in this run**: it did not reach the tracer phase (see"
		echo "above); the code has not run in a guest yet."
	else
		echo
		echo "| hooked function (call type) | stock: calls, median | xlock: calls, median | of which inside xlock (calls paired) |"
		echo "|---|---:|---:|---:|"
		for f in "nlmsvc_lock NLM lock" "nlmsvc_unlock NLM unlock" "nlmsvc_testlock NLM TEST" \
			"fh_verify nfsd I/O check" "smb_grant_oplock SMB create (lease)" "smb2_lock SMB lock" \
			"close_id_del_oplock SMB close"; do
			n=${f%% *}
			echo "| \`$n\` (${f#* }) | $(p percall_${n}_stock_calls), $(p percall_${n}_stock_median_ns) | $(p percall_${n}_xlock_calls), $(p percall_${n}_xlock_median_ns) | $(p percall_${n}_xlock_in_xlock_median_ns) ($(p percall_${n}_xlock_paired)) |"
		done
	fi
	echo
	echo "Per-round ratios: NLM \`$(p nlm_ratios)\`; writes \`$(p write_ratios)\`;"
	echo "SMB opens \`$(p smbopen_ratios)\`; SMB locks \`$(p smblock_ratios)\`;"
	echo "break \`$(p brk_ratios)\`; added by the break \`$(p extra_ratios)\`."
	echo
	echo "<details><summary>All samples of the run (bench-proto.txt, in order per key)</summary>"
	echo
	echo "\`$(p raw)\`"
	echo
	echo "</details>"
}

sec_xlockd() {
	xd=$(/usr/bin/python3 bench/summarize.py "$dir"/boot1/bench-xlockd.txt)
	x() { kv "$xd" "$1"; }
	echo "## xlockd: persistence and recovery (guest, \`e2e/scenarios/bench-xlockd.sh\`)"
	echo
	guestwhen
	echo "Targets: at least 50k persisted lock events/s with group commit; 1M"
	echo "persisted locks back in the module in under 2 s. Both are figures for"
	echo "hardware; these are TCG's."
	echo
	echo "| measure | value |"
	echo "|---|---:|"
	echo "| lock events/s through the module, no xlockd (median) | $(x churn_base) |"
	echo "| lock events/s through the module, xlockd attached (median) | $(x churn_var) |"
	echo "| ratio (median of per-round ratios, 95% interval) | $(x churn_ratio) ($(x churn_ci)) |"
	echo "| persisted events/s: 30000 grants queued, drained, committed | $(x persisted_events_per_s) |"
	echo "| group commits for those 30000 | $(x commits) |"
	echo "| durable window under that burst: mean / max | $(x durable_window_mean_ms) / $(x durable_window_max_ms) ms |"
	echo
	echo "Recovery (issue 15 item 6): N persisted locks back in the module as the"
	echo "reclaim set, from xlockd's start to the grace period running; the parts"
	echo "as xlockd times them. Linear if the last column stays put."
	echo
	echo "| persisted locks | start to grace running | reading snapshot and journal | grouping by file and owner | RECLAIM_ADD into the module | then: saving the reclaim file | total, us per lock |"
	echo "|---:|---:|---:|---:|---:|---:|---:|"
	for n in $(x recovery_sizes); do
		t=$(x "recovery_total_s_$n")
		echo "| $n | $t s | $(x "recovery_read_s_$n") s | $(x "recovery_build_s_$n") s | $(x "recovery_module_s_$n") s | $(x "recovery_save_s_$n") s | $(echo "$t * 1000000 / $n" | bc -l | cut -c1-5) |"
	done
	echo
	echo "The lock events are test entries added and released over netlink"
	echo "(\`selftests/xlock_churn\`), the cheapest lock path the module has: an"
	echo "upper bound on what persistence costs, in $(x churn_rounds) ABBA rounds. The real path,"
	echo "NLM round trips with xlockd attached, is the section after this one."
	echo "The recovery input is a state directory written by \`bench/mkstate\`:"
	echo "N NLM locks of 100 clients on 1000 files."
}

# percall_field KEY NAME FILE: NAME's value on FILE's "percall_KEY" line
# (bench/fgraph.py's "calls=N,median_ns=T,..."; median_ns is not
# in_xlock_median_ns).
percall_field() {
	sed -n "s/^percall_$1 \(.*[ ,]\)\{0,1\}$2=\([0-9]*\).*/\2/p" "$3"
}

sec_scale() {
	f=$dir/boot1/bench-scale.txt
	completed "$f"
	echo "## Clients and crowded files (guest, \`e2e/scenarios/bench-scale.sh\`)"
	echo
	guestwhen
	echo "Issue 15 item 5. $(sed -n 's/^config //p' "$f" | tr ',' ' '); ABBA rounds"
	echo "(stock, xlock, xlock, stock) in one boot with \`bench/proto_bench.py\`'s"
	echo "module checks (\`bench/scale_bench.py\`). Round trips/s (lock + unlock),"
	echo "summed over the clients, which start their clocks together: NLM through"
	echo "the NFS mount (one process per client), SMB2 LOCK on raw SMB"
	echo "connections; diff = each client on its own file, same = all on one file"
	echo "(own byte ranges). held N = NLM round trips on a file on which another"
	echo "owner holds N NLM locks. Ratio: median of the rounds' xlock/stock and"
	echo "its 95% bootstrap interval (\`bench/ratio_ci.py\`)."
	echo
	# The fewest and the most locks held (config's held=A:B:..): their medians.
	lo=$(sed -n 's/^config .*held=\([0-9]*\).*/\1/p' "$f")
	hi=$(sed -n 's/^config .*held=.*[:=]\([0-9]*\)$/\1/p' "$f")
	lo_med=''
	hi_med=''
	echo "| workload | stock | xlock | ratio | 95% interval |"
	echo "|---|---:|---:|---:|---:|"
	for k in $(sed -n 's/^\([a-z]*_[a-z]*_[0-9]*\|held_[0-9]*\)_stock .*/\1/p' "$f" | awk '!s[$0]++'); do
		r=$(/usr/bin/python3 bench/ratio_ci.py "$f" "${k}_stock" "${k}_xlock") || continue
		echo "| $(echo "$k" | tr '_' ' ') | $(kv "$r" base_median) | $(kv "$r" variant_median) | $(kv "$r" ratio) | $(kv "$r" ci_low)-$(kv "$r" ci_high) |"
		[ "$k" != "held_$lo" ] || lo_med="$(kv "$r" base_median) $(kv "$r" variant_median)"
		[ "$k" != "held_$hi" ] || hi_med="$(kv "$r" base_median) $(kv "$r" variant_median)"
	done
	# Target: a lock on a file of 10000 locks costs at most 2x one on a file of 10.
	[ "$lo" != "$hi" ] && [ -n "$lo_med" ] && [ -n "$hi_med" ] || return 0
	echo
	echo "Cost per NLM round trip on a file holding $hi locks against one holding"
	echo "$lo (from the median round trips/s; target for xlock: at most 2x):"
	echo "$lo_med $hi_med" | awk '{ printf "stock %.2fx, xlock %.2fx.\n", $1 / $3, $2 / $4 }'
	echo "xlock's own time on those files, which the rates' swings do not blur:"
	echo "the next section."
}

sec_persist() {
	pers=$(/usr/bin/python3 bench/ratio_ci.py "$dir"/boot1/bench-persist.txt nlm_stock nlm_xlockd)
	rval() { kv "$pers" "$1"; }
	echo "## NLM with xlockd attached (guest, \`e2e/scenarios/bench-persist.sh\`)"
	echo
	guestwhen
	echo "Issue 11 item 7: NLM lock+unlock round trips through the NFS mount with"
	echo "xlockd attached at least 0.97x of the same without xlockd. Rounds of"
	echo "no xlockd, listener, xlockd, xlockd, listener, no xlockd in one boot;"
	echo "per round the mean of its xlockd runs over the mean of its runs with no"
	echo "listener at all; the median of those and"
	echo "a bootstrap 95% interval of the median (\`bench/ratio_ci.py\`)."
	echo
	echo "| measure | value |"
	echo "|---|---:|"
	echo "| rounds | $(rval rounds) |"
	echo "| round trips/s, no xlockd (median) | $(rval base_median) |"
	echo "| round trips/s, xlockd attached (median) | $(rval variant_median) |"
	echo "| ratio (median of per-round ratios) | $(rval ratio) |"
	echo "| 95% interval of the ratio | $(rval ci_low) - $(rval ci_high) |"
	echo
	echo "Per-round ratios: \`$(rval ratios)\`"
	echo
	# The same rounds' bare listener runs: the module's event path alone.
	pers=$(/usr/bin/python3 bench/ratio_ci.py "$dir"/boot1/bench-persist.txt nlm_stock nlm_listener)
	echo "With only \`xlockctl events\` listening (the module's event path and a"
	echo "consumer that does nothing) in the same rounds: ratio $(rval ratio),"
	echo "95% interval $(rval ci_low) - $(rval ci_high)."
	f="$dir"/boot1/bench-persist.txt
	echo
	echo "The module collected events for events_batch_ms = $(sed -n 's/^events_batch_ms //p' "$f") ms before"
	echo "sending them (4 is its default)."
	sec_persist_percall "$f"
	grep -q '^nlm_xlockd_b2 ' "$f" || return 0
	# batch2=MS: two more xlockd runs per round with another batch time.
	pers=$(/usr/bin/python3 bench/ratio_ci.py "$f" nlm_stock nlm_xlockd_b2)
	echo "With xlockd and events_batch_ms = $(sed -n 's/^events_batch_ms_b2 //p' "$f") ms,"
	echo "in the middle of the same rounds' xlockd runs: ratio $(rval ratio),"
	echo "95% interval $(rval ci_low) - $(rval ci_high) (per round: \`$(rval ratios)\`)."
}

# bench-persist's tracer phase ($1: its output): time inside xlock per
# hooked call with no listener, the listener, xlockd.
sec_persist_percall() {
	grep -q '^percall_nlmsvc_lock_none ' "$1" || {
		echo
		echo "Per-call phase: not in this run."
		return 0
	}
	# field FUNC MODE NAME: one value of a percall line.
	field() { percall_field "$1_$2" "$3" "$4"; }
	echo
	echo "Time inside xlock per hooked call (\`bench/fgraph.py\`, the"
	echo "function-graph tracer, after the rounds in the same boot, a few seconds"
	echo "of round trips per mode): the outer call's time minus its call of the original,"
	echo "medians in ns under TCG, tracer cost included and the same in each mode."
	echo "The kernel's work differs between modes only by the event queue (a"
	echo "listener of any kind turns it on); xlockd's own work is in its process."
	echo
	echo "| hooked call: whole call / inside xlock (share) | no listener | \`xlockctl events\` | xlockd |"
	echo "|---|---:|---:|---:|"
	for fn in nlmsvc_lock nlmsvc_unlock; do
		row="| \`$fn\` |"
		for m in none listener xlockd; do
			row="$row $(echo "$(field $fn $m median_ns "$1") $(field $fn $m in_xlock_median_ns "$1")" |
				awk 'NF == 2 && $1 > 0 { printf "%d / %d (%.0f%%)", $1, $2, 100 * $2 / $1 }') |"
		done
		echo "$row"
	done
	echo
	echo "The modes run one after the other, a few seconds each: when the guest's"
	echo "speed changes between them (the original function's own time, whole"
	echo "call minus inside xlock, changes with it), compare the shares, not"
	echo "the times."
}

sec_profile() {
	f=$dir/boot1/bench-profile.txt
	[ -s "$f" ] || { echo "run.sh: bench-profile wrote nothing: no figures" >&2; exit 1; }
	pv() { sed -n "s/^$1 //p" "$f"; }
	echo "## Where an NLM round trip's time goes (guest, \`e2e/scenarios/bench-profile.sh\`)"
	echo
	guestwhen
	echo "Issues 11 item 7 and 15 items 1-2. NLM lock+unlock round trips"
	echo "(\`bench/nlm_rate.py\`) for $(pv secs) s per run, $(pv cpus) guest CPU(s), in four"
	echo "phases: stock (xlock not loaded), xlock loaded, xlock with a bare"
	echo "event listener (\`xlockctl events\`), xlock with xlockd. One run under"
	echo "\`perf record\` (cpu-clock: TCG has no hardware counters; the whole"
	echo "guest), one under \`perf stat\` counting the scheduler's wake-ups and"
	echo "switches, IPIs (call-function-single + reschedule) and queued works,"
	echo "per round trip. Single runs, not ABBA rounds: the rates here only"
	echo "label the counts; the ratios are in the sections above."
	echo
	ptable ""
	[ "$(pv held)" -gt 0 ] 2>/dev/null || return 0
	echo
	echo "The same four phases with another owner holding $(pv held) one-byte NLM"
	echo "locks on the file (taken after each phase's module state was set; the"
	echo "module's per-file limit raised above them), bench-scale's crowded file:"
	echo
	ptable held_
}

# median KEY FILE: the median of FILE's "percall_KEY" lines' in_xlock_median_ns.
percall_median() {
	percall_field "$1" in_xlock_median_ns "$2" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.0f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

sec_crowded() {
	f=$dir/boot1/bench-crowded.txt
	completed "$f"
	sizes=$(sed -n 's/^config .*held=\([0-9:]*\).*/\1/p' "$f" | tr ':' ' ')
	lo=${sizes%% *}
	hi=${sizes##* }
	r=$(/usr/bin/python3 bench/ratio_ci.py "$f" "percall_rt_held$lo" "percall_rt_held$hi")
	echo "## xlock's own time per NLM call on a crowded file (guest, \`e2e/scenarios/bench-crowded.sh\`)"
	echo
	guestwhen
	echo "Issue 15 item 5: with xlock, NLM lock+unlock round trips on a file on"
	echo "which another owner holds N one-byte NLM locks, under the function-graph"
	echo "tracer (\`bench/scale_bench.py --percall\`, \`bench/fgraph.py\`): per call,"
	echo "the hooked call's time minus its call stub's (the original lockd"
	echo "function), medians in ns under TCG, the tracer's cost included and the"
	echo "same for every file. $(kv "$r" rounds) rounds of the sizes ascending then"
	echo "descending in one boot, $(sed -n 's/^percall_config .*secs=\([0-9.]*\).*/\1/p' "$f") s of round trips per sample;"
	echo "the table has the medians over the samples."
	echo
	echo "| locks held on the file | \`nlmsvc_lock\` | \`nlmsvc_unlock\` |"
	echo "|---:|---:|---:|"
	for n in $sizes; do
		echo "| $n | $(percall_median "nlmsvc_lock_held$n" "$f") | $(percall_median "nlmsvc_unlock_held$n" "$f") |"
	done
	echo
	echo "xlock's own time per round trip (lock + unlock) on the $hi-lock file"
	echo "over its time on the $lo-lock file, median of the rounds' ratios and its"
	echo "95% bootstrap interval (\`bench/ratio_ci.py\`; target: at most 2x):"
	echo "**$(kv "$r" ratio)x ($(kv "$r" ci_low)-$(kv "$r" ci_high))**."
	echo
	echo "Per-round ratios: \`$(kv "$r" ratios)\`"
	grep -q "^percall_lockd_rt_held$lo " "$f" || return 0
	c=$(/usr/bin/python3 bench/ratio_ci.py "$f" "percall_lockd_rt_held$lo" "percall_lockd_rt_held$hi")
	echo
	echo "The control, from the same calls: lockd's own code outside"
	echo "\`vfs_lock_file\` (the original's time, through xlock's call stub, minus"
	echo "its \`vfs_lock_file\` calls, traced too), code that walks none of the"
	echo "file's locks either; per round trip $(kv "$c" base_median | awk '{ printf "%.0f", $1 }') ns on the $lo-lock file,"
	echo "$(kv "$c" variant_median | awk '{ printf "%.0f", $1 }') ns on the $hi-lock file: **$(kv "$c" ratio)x ($(kv "$c" ci_low)-$(kv "$c" ci_high))**."
	echo
	echo "Per-round ratios of the control: \`$(kv "$c" ratios)\`"
	# Each sample's xlock time over its control's: what the guest's speed
	# of the moment does to both cancels out.
	awk '/^percall_rt_held/ { x[$1] = $2 } /^percall_lockd_rt_held/ {
		k = $1; sub(/lockd_/, "", k); if ($2 > 0) printf "norm_%s %.4f\n", k, x[k] / $2 }' \
		"$f" >"$dir/crowded-norm.txt"
	nr=$(/usr/bin/python3 bench/ratio_ci.py "$dir/crowded-norm.txt" \
		"norm_percall_rt_held$lo" "norm_percall_rt_held$hi")
	echo
	echo "Per sample, xlock's time over the control's: $(kv "$nr" base_median) on the $lo-lock"
	echo "file, $(kv "$nr" variant_median) on the $hi-lock file; the $hi-lock file's over the"
	echo "$lo-lock file's, as above: **$(kv "$nr" ratio)x ($(kv "$nr" ci_low)-$(kv "$nr" ci_high))**."
}

sec_floor() {
	f=$dir/boot1/bench-floor.txt
	completed "$f"
	# A run before the SMB measures took NLM round trips alone.
	measures=$(sed -n 's/^config .*measures=\([a-z:]*\).*/\1/p' "$f" | tr ':' ' ')
	fr() { # measure base variant: "ratio low high base_median variant_median"
		/usr/bin/python3 bench/ratio_ci.py "$f" "$1_$2" "$1_$3" | awk '
			{ v[$1] = $2 } END { print v["ratio"], v["ci_low"], v["ci_high"], v["base_median"], v["variant_median"] }'
	}
	ci() { echo "$1" | awk '{ printf "%s (%s-%s)", $1, $2, $3 }'; }
	label() {
		case $1 in
		nlm) echo "NLM lock+unlock round trips" ;;
		smblock) echo "SMB2 LOCK+UNLOCK round trips" ;;
		smbopen) echo "SMB2 CREATE (RWH lease) + CLOSE" ;;
		esac
	}
	echo "## What the hook mechanism alone costs a lock round trip (guest, \`e2e/scenarios/bench-floor.sh\`)"
	echo
	guestwhen
	echo "Issue 15, the NLM and SMB gaps' cause. $(sed -n 's/^config //p' "$f" | tr ',' ' '); rounds"
	echo "stock, floor, full, full, floor, stock in one boot (\`bench/floor_bench.py\`):"
	echo "stock without xlock; floor the test module loaded with \`bench_floor=1\`,"
	echo "every hook's ftrace op registered and firing (it counts the call) but"
	echo "redirecting nothing, so xlock's wrappers, call stubs and table are off"
	echo "the path; full the same module as users run it. Per second: NLM"
	echo "lock+unlock round trips through the NFS mount (\`bench/nlm_rate.py\`), and"
	echo "the protocol section's SMB2 LOCK+UNLOCK round trips and SMB2 CREATE with"
	echo "an RWH lease + CLOSE (raw SMB client, one connection per sample); ratios"
	echo "as in the sections above (\`bench/ratio_ci.py\`, median of the rounds"
	echo "with a 95% bootstrap interval)."
	echo
	echo "| per second (median) | stock | floor | full | floor / stock: the ftrace ops alone | full / stock: xlock | full / floor: xlock's wrappers and work |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for m in ${measures:-nlm}; do
		floor=$(fr "$m" stock floor)
		full=$(fr "$m" stock full)
		step=$(fr "$m" floor full)
		echo "$floor $full" | awk -v l="$(label "$m")" '{ printf "| %s | %s | %s | %s ", l, $4, $5, $10 }'
		echo "| $(ci "$floor") | $(ci "$full") | $(ci "$step") |"
	done
	echo
	echo "From the medians, per round trip (or open) under TCG:"
	echo
	for m in ${measures:-nlm}; do
		echo "$(fr "$m" stock floor) $(fr "$m" stock full)" | awk -v l="$(label "$m")" '
			{ $1 = $4; $2 = $5; $4 = $10 } $1 > 0 && $2 > 0 && $4 > 0 {
			per = 1e6 / $2 - 1e6 / $1; tot = 1e6 / $4 - 1e6 / $1
			printf "- %s: %.0f us stock; the ftrace ops alone add %.0f us, xlock as a whole %.0f us.\n", l, 1e6 / $1, per, tot }'
	done
	echo
	echo "(A negative difference: that arm's median was faster than stock's.)"
}

# One table of the profile's four phases, their keys prefixed with $1.
ptable() {
	echo "| phase | round trips/s (profiled / counted) | idle % | in xlock's functions % | wake-ups | switches | IPIs | works queued |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	for p in stock loaded listener xlockd; do
		p=$1$p
		ipi=$(echo "$(pv "${p}_call_function_single_entry") $(pv "${p}_reschedule_entry")" |
			awk '{ printf "%.2f", $1 + $2 }')
		echo "| $p | $(pv "nlm_$p") / $(pv "nlm_${p}_counted") | $(pv "${p}_idle_pct") | $(pv "${p}_xlock_pct") | $(pv "${p}_sched_wakeup") | $(pv "${p}_sched_switch") | $ipi | $(pv "${p}_workqueue_queue_work") |"
	done
}

sec_journal() {
	gcc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o build/bench/journal_bench bench/journal_bench.c \
		userspace/journal.c userspace/store.c userspace/log.c
	rm -rf build/bench/journal && mkdir -p build/bench/journal
	journal=$(./build/bench/journal_bench build/bench/journal 20000)
	echo "## xlockd's journal (host disk, \`bench/journal_bench.c\`)"
	echo
	echo "Measured $NOW. Records appended and made durable with one fdatasync"
	echo "per batch: the batch is what arrived while the previous fdatasync ran."
	echo
	echo "| batch (records per fdatasync) | records/s | fdatasyncs/s |"
	echo "|---:|---:|---:|"
	echo "$journal" | tail -n +2 | awk '{ printf "| %s | %s | %s |\n", $1, $2, $3 }'
}

# Each section goes between "<!-- section NAME -->" markers; a section not
# run keeps its text from the current RESULTS.md.
rm -rf build/bench/sections
mkdir -p build/bench/sections
for s in $SECTIONS; do
	{ echo "<!-- section $s -->"; "sec_$s"; echo; } >build/bench/sections/$s.md
done
/usr/bin/python3 - "$OUT" build/bench/sections $ALL <<'PY'
import os, re, sys
out, secdir, names = sys.argv[1], sys.argv[2], sys.argv[3:]
old = open(out).read() if os.path.exists(out) else ""
parts = re.split(r"(?m)^(?=<!-- section \w+ -->$)", old)
have = {}
for p in parts[1:]:
    have[re.match(r"<!-- section (\w+) -->", p).group(1)] = p
head = ("# xlock benchmark results\n\nWritten by `bench/run.sh` (`make bench`): each section says when\n"
        "and under what load it was measured. Guest figures are QEMU TCG (software\n"
        "emulation, roughly 10-50x slower than hardware) on a %d-core host.\n\n" % os.cpu_count())
text = head
for n in names:
    f = os.path.join(secdir, n + ".md")
    if os.path.exists(f):
        text += open(f).read()
    elif n in have:
        text += have[n]
open(out, "w").write(text.rstrip("\n") + "\n")
PY
cat "$OUT"
