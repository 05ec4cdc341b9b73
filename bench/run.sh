#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the benchmarks and write bench/RESULTS.md. Host: the conflict rules
# (checks/s). Guest (one QEMU/TCG boot): the lock table with 1M entries.
# Numbers from the guest are TCG (software emulation) figures: compare them
# with each other, not with native hardware.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
OUT=bench/RESULTS.md
mkdir -p build/bench

gcc -O2 -Wall -Wextra -Werror -o build/bench/rules_bench bench/rules_bench.c kmod/rules.c
rules=$(./build/bench/rules_bench 1)
gcc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o build/bench/journal_bench bench/journal_bench.c \
	userspace/journal.c userspace/store.c userspace/log.c
rm -rf build/bench/journal && mkdir -p build/bench/journal
journal=$(./build/bench/journal_bench build/bench/journal 20000)
make -s selftests

dir=build/bench/guest
[ -n "${BENCH_REUSE:-}" ] || rm -rf "$dir"
[ -n "${BENCH_REUSE:-}" ] || ./e2e/run.sh -q -n 0 -t 2400 -O "$dir" bench-table bench-proto bench-xlockd bench-persist
table=$(cat "$dir"/boot1/bench-table.txt)
xd=$(/usr/bin/python3 bench/summarize.py "$dir"/boot1/bench-xlockd.txt)
xval() { echo "$xd" | sed -n "s/^$1 //p"; }
proto=$(/usr/bin/python3 bench/summarize.py "$dir"/boot1/bench-proto.txt)
pval() { echo "$proto" | sed -n "s/^$1 //p"; }
val() { echo "$table" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
pers=$(/usr/bin/python3 bench/ratio_ci.py "$dir"/boot1/bench-persist.txt || true)
rval() { echo "$pers" | sed -n "s/^$1 //p"; }

{
	echo "# xlock benchmark results"
	echo
	echo "Written by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores,"
	echo "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)."
	echo "Kernel in the guest: $(e2e/kver.sh) under QEMU TCG (software emulation,"
	echo "roughly 10-50x slower than hardware)."
	echo
	echo "## Conflict rules (host, \`bench/rules_bench.c\`)"
	echo
	echo "Target: at least 5M rule checks/s. A request mix (NLM lock, NLM TEST,"
	echo "SMB lease, NFS READ, SMB lock) against files holding N entries:"
	echo
	echo "| entries on the file | checks/s | ns/check |"
	echo "|---:|---:|---:|"
	echo "$rules" | tail -n +2 | awk '{ printf "| %s | %.1fM | %s |\n", $1, $2 / 1e6, $3 }'
	echo
	echo "## Lock table (guest, \`kmod/bench.c\` via \`e2e/scenarios/bench-table.sh\`)"
	echo
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
	echo "Method: one guest boot; \`echo N > /sys/module/xlock/parameters/bench_table\`"
	echo "(module loaded with test_api=1) runs the measurement in the kernel; slab"
	echo "memory is the change in the kernel's slab counters across the inserts."
	echo
	echo "## Protocol paths with and without xlock (guest, \`e2e/scenarios/bench-proto.sh\`)"
	echo
	echo "Same boot, xlock unloaded and loaded in alternating ABBA rounds; the ratio"
	echo "is the median of the per-round ratios (xlock / stock). Targets: NLM"
	echo "round trips >= 0.97x and NFS 4 KiB writes >= 0.98x of stock; a"
	echo "cross-protocol lease break <= 1.2x a native SMB->SMB break."
	echo
	echo "| measure | stock (median) | xlock (median) | ratio |"
	echo "|---|---:|---:|---:|"
	echo "| NLM lock+unlock round trips/s | $(pval nlm_stock) | $(pval nlm_xlock) | $(pval nlm_ratio) |"
	echo "| NFS 4 KiB O_DIRECT writes, MB/s | $(pval write_stock) | $(pval write_xlock) | $(pval write_ratio) |"
	echo
	echo "| lease break, RWH held by an SMB client that acks at once | median | ratio |"
	echo "|---|---:|---:|"
	echo "| NLM lock request -> granted (xlock breaks the lease) | $(pval break_nlm) s | $(pval break_ratio) |"
	echo "| native: a second SMB client's write open (ksmbd breaks it) | $(pval break_smb) s | 1 |"
	echo
	echo "Rounds: $(pval rounds); break trials: $(pval trials). Raw values:"
	echo "\`$(echo "$proto" | sed -n 's/^raw //p')\`"
	echo
	echo "## xlockd: persistence and recovery (guest, \`e2e/scenarios/bench-xlockd.sh\`)"
	echo
	echo "Targets: at least 50k persisted lock events/s with group commit; 1M"
	echo "persisted locks back in the module in under 2 s. Both are figures for"
	echo "hardware; these are TCG's."
	echo
	echo "| measure | value |"
	echo "|---|---:|"
	echo "| lock events/s through the module, no xlockd (median) | $(xval churn_stock) |"
	echo "| lock events/s through the module, xlockd attached (median) | $(xval churn_xlockd) |"
	echo "| ratio (median of per-round ratios) | $(xval churn_ratio) |"
	echo "| NLM lock+unlock round trips/s, no xlockd (median) | $(xval nlm_stock) |"
	echo "| NLM lock+unlock round trips/s, xlockd attached (median) | $(xval nlm_xlockd) |"
	echo "| ratio (median of per-round ratios) | $(xval nlm_ratio) |"
	echo "| persisted events/s: 30000 queued, drained, committed | $(xval persisted_events_per_s) |"
	echo "| group commits for those 30000 | $(xval commits) |"
	echo "| durable window under that burst: mean / max | $(xval durable_window_mean_ms) / $(xval durable_window_max_ms) ms |"
	echo "| recovery of $(xval recovery_entries) persisted locks: xlockd start to grace running | $(xval recovery_total_s) s |"
	echo "| of which: reading snapshot and journal | $(xval recovery_read_s) s |"
	echo "| of which: grouping by file and owner | $(xval recovery_build_s) s |"
	echo "| of which: RECLAIM_ADD into the module (1000 messages) | $(xval recovery_module_s) s |"
	echo "| then: saving the reclaim file (after grace started) | $(xval recovery_save_s) s |"
	echo
	echo "The lock events are test entries added and released over netlink"
	echo "(\`selftests/xlock_churn\`), the cheapest lock path the module has: an"
	echo "upper bound on what persistence costs; the NLM rows are the real path."
	echo "The recovery input is a state directory written by \`bench/mkstate\`:"
	echo "1M NLM locks of 100 clients on 1000 files."
	echo
	echo "## NLM with xlockd attached (guest, \`e2e/scenarios/bench-persist.sh\`)"
	echo
	echo "Issue 11 item 7: NLM lock+unlock round trips through the NFS mount with"
	echo "xlockd attached at least 0.97x of the same without xlockd. ABBA rounds"
	echo "(no xlockd, xlockd, xlockd, no xlockd) in one boot; per round the mean"
	echo "of its xlockd runs over the mean of the others; the median of those and"
	echo "a bootstrap 95% interval of the median (\`bench/ratio_ci.py\`)."
	echo
	echo "| measure | value |"
	echo "|---|---:|"
	echo "| rounds | $(rval rounds) |"
	echo "| round trips/s, no xlockd (median) | $(rval stock_median) |"
	echo "| round trips/s, xlockd attached (median) | $(rval xlockd_median) |"
	echo "| ratio (median of per-round ratios) | $(rval ratio) |"
	echo "| 95% interval of the ratio | $(rval ci_low) - $(rval ci_high) |"
	echo
	echo "Per-round ratios: \`$(rval ratios)\`"
	echo
	echo "## xlockd's journal (host disk, \`bench/journal_bench.c\`)"
	echo
	echo "Records appended and made durable with one fdatasync per batch: the"
	echo "batch is what arrived while the previous fdatasync ran."
	echo
	echo "| batch (records per fdatasync) | records/s | fdatasyncs/s |"
	echo "|---:|---:|---:|"
	echo "$journal" | tail -n +2 | awk '{ printf "| %s | %s | %s |\n", $1, $2, $3 }'
} >"$OUT"
cat "$OUT"
