# SPDX-License-Identifier: GPL-2.0
# Benchmark (bench/run.sh, not part of make check): the lock table with 1M
# entries inside the module; results in bench-table.txt in the run's boot
# directory. The module is reloaded with test_api=1 and restored afterwards.
N=${XLOCK_BENCH_ENTRIES:-1000000}
xlock_unload
xlock_load test_api=1 || fail "insmod xlock test_api=1"
echo "$N" >/sys/module/xlock/parameters/bench_table || fail "bench_table write failed"
dmesg | sed -n 's/.*xlock: bench: //p' | tail -n 1 >/results/bench-table.txt
cat /results/bench-table.txt
xlock_unload
[ -s /results/bench-table.txt ] || fail "no bench line in dmesg"
