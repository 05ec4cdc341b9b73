# SPDX-License-Identifier: GPL-2.0
# The harness itself: trace events switched on and off while the guest
# schedules hard (the selftests, trace and x-v5v7 scenarios switch events
# around their cases). With record-cmd on, each switch patches the
# scheduler's tracepoint jump labels and the TCG guest dies with "Oops:
# int3" within a few hundred switches (seen: CI of 3ba583d, selftests);
# e2e/guest/init.sh turns record-cmd and record-tgid off.
TR=/sys/kernel/tracing
mountpoint -q $TR || mount -t tracefs nodev $TR || fail "mount tracefs"
log "record-cmd $(cat $TR/options/record-cmd) record-tgid $(cat $TR/options/record-tgid)"
(while :; do /bin/true; done) &
p1=$!
(while :; do sleep 0.001; done) &
p2=$!
i=0
while [ $i -lt 400 ]; do
	echo 1 >$TR/events/module/module_load/enable || break
	echo 0 >$TR/events/module/module_load/enable || break
	i=$((i + 1))
done
kill $p1 $p2
wait 2>/dev/null
[ $i = 400 ] || fail "switching events/module/module_load failed after $i"
log "trace event switched on and off $i times"
