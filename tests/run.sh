#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run every xlock test: host tests (TAP programs in build/tests and
# tests/host/*.sh), then the guest scenarios (e2e/scenarios) in the QEMU
# guest. The last line is "N passed, N failed, N skipped".
#
# usage: tests/run.sh [--host] [--guest] [SCENARIO...]
#   --host / --guest   only that half
#   SCENARIO...        only these guest scenarios
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
HOST=1
GUEST=1
case "${1:-}" in
--host) GUEST=; shift ;;
--guest) HOST=; shift ;;
esac
pass=0
fail=0
skip=0

TMP=$(mktemp)
FAILS=$(mktemp)
SKIPS=$(mktemp)
AGAINS=$(mktemp)
trap 'rm -f "$TMP" "$FAILS" "$SKIPS" "$AGAINS"' EXIT

# Run one TAP program; count its results. A program that exits non-zero
# without reporting a failure (a crash, a missing plan) counts as one.
tap() { # name command...
	name=$1
	shift
	"$@" >"$TMP" 2>&1
	rc=$?
	sed "s/^/[$name] /" "$TMP"
	s=$(grep -c '^ok .*# SKIP' "$TMP")
	p=$(grep '^ok ' "$TMP" | grep -vc '# SKIP')
	f=$(grep -c '^not ok ' "$TMP")
	# A whole program skipped ("1..0 # SKIP why") is one skip, shown.
	if grep -q '^1\.\.0 *# *SKIP' "$TMP"; then
		s=$((s + 1))
		echo "[$name] skipped: $(sed -n 's/^1\.\.0 *# *SKIP *//p' "$TMP" | head -n 1)" >>"$SKIPS"
	fi
	grep '^ok .*# SKIP' "$TMP" | sed "s/^/[$name] /" >>"$SKIPS"
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "[$name] not ok - exited with status $rc" | tee -a "$FAILS"
		f=1
	fi
	# Fewer results than planned, or none at all, is a failure too.
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$TMP" | head -n 1)
	if [ "$f" = 0 ] && { [ -z "$plan" ] || [ "$((p + s))" -lt "$plan" ]; } &&
	   ! grep -q '^1\.\.0 *# *SKIP' "$TMP"; then
		echo "[$name] not ok - $((p + s)) result(s) for plan '${plan:-none}'" | tee -a "$FAILS"
		f=1
	fi
	grep '^not ok ' "$TMP" | sed "s/^/[$name] /" >>"$FAILS"
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
}

if [ -n "$HOST" ]; then
	echo "== host tests"
	# Every host test program that has a source must have been built:
	# a missing one fails (make host-tests), it is never skipped silently.
	for c in tests/host/*_test.c; do
		t=build/tests/$(basename "$c" .c)
		if [ -x "$t" ]; then
			tap "$(basename "$t")" "$t"
		else
			echo "[$(basename "$t")] not ok - $t not built (make host-tests)" | tee -a "$FAILS"
			fail=$((fail + 1))
		fi
	done
	for t in tests/host/*.sh; do
		tap "$(basename "$t" .sh)" "$t"
	done
fi

if [ -n "$GUEST" ]; then
	echo "== guest tests ($(e2e/kver.sh))"
	# deploy-12 and deploy-13 are the deployment lane (e2e/deploy/lane.sh),
	# run only when named: it has not passed yet (README, Tests).
	deploy=$(for s in "$@"; do case $s in deploy-*) echo "${s#deploy-}" ;; esac; done)
	all=
	if [ $# -eq 0 ]; then
		all=y
		# bench-* scenarios are benchmarks (bench/run.sh), not tests.
		set -- $(ls e2e/scenarios/ | sed -n 's/\.sh$//p' | grep -v '^bench-')
		# A scenario with "# e2e-default: no REASON" runs only when named
		# (a known bug keeps it red until its fix lands): say so.
		for s in "$@"; do
			shift
			why=$(sed -n 's/^# e2e-default: no *//p' "e2e/scenarios/$s.sh")
			if [ -n "$why" ]; then
				echo "not in the default list: $s ($why)"
				echo "[guest] $s: not in the default list ($why)" >>"$SKIPS"
				skip=$((skip + 1))
			else
				set -- "$@" "$s"
			fi
		done
	else
		set -- $(for s in "$@"; do case $s in deploy-*) ;; *) echo "$s" ;; esac; done)
	fi
	# nfs4-matrix (in the default list, or named): the x-c scenarios again
	# with xlock, /mnt/nfs mounted NFSv4.2 (-o nfs4), in units of 7, and
	# again without xlock over NFSv4.2 (the stock gap).
	nfs4=$(for s in "$@"; do [ "$s" != nfs4-matrix ] || echo y; done)
	nfs4=${nfs4:-$all}
	set -- $(for s in "$@"; do [ "$s" = nfs4-matrix ] || echo "$s"; done)
	# One torture seed for both lanes (SEED=N replays one).
	SEED=${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	export SEED
	echo "torture seed $SEED"
	# The guest work in units of one e2e run (a lane and its scenarios):
	# the xlock lane in chunks of 7 scenarios; power cuts (XLOCK_POWERCUTS,
	# default 20, in XLOCK_POWERCUT_CHAINS chains of boots side by side,
	# default 2: e2e/powercut.sh boots, cuts and reboots by itself); the
	# cross-protocol scenarios again without xlock, where each must show the
	# stock kernel's gap; torture in a unit of its own per lane, the same
	# seed in both, without xlock it must show stock's I1, I2 and
	# I4 violations.
	UNITS=$(mktemp -d)
	trap 'rm -rf "$TMP" "$FAILS" "$SKIPS" "$AGAINS" "$UNITS"' EXIT
	n=0
	unit() { # lane scenario...
		n=$((n + 1))
		echo "$*" >"$UNITS/$n.unit"
	}
	chunks() { # lane scenario...: units of at most 7 scenarios
		l=$1
		shift
		chunk=
		c=0
		for s in "$@"; do
			chunk="$chunk $s"
			c=$((c + 1))
			[ "$c" -lt 7 ] || { unit "$l" $chunk; chunk=; c=0; }
		done
		[ -z "$chunk" ] || unit "$l" $chunk
	}
	# The longest unit first, so that no worker is left alone at the end.
	for s in "$@"; do
		[ "$s" != powercut ] || unit powercut
	done
	# torture: a unit of its own in each lane (a boot each), next after
	# the power cuts, so the other guest works through the rest beside it.
	for s in "$@"; do
		[ "$s" != torture ] || { unit xlock torture; unit noxlock torture; }
	done
	chunks xlock $(for s in "$@"; do case $s in powercut|torture) ;; *) echo "$s" ;; esac; done)
	chunks noxlock $(for s in "$@"; do case $s in x-*) echo "$s" ;; esac; done)
	[ -z "$nfs4" ] || chunks nfs4 $(ls e2e/scenarios/ | sed -n 's/^\(x-c.*\)\.sh$/\1/p')
	[ -z "$nfs4" ] || chunks nfs4stock $(ls e2e/scenarios/ | sed -n 's/^\(x-c.*\)\.sh$/\1/p')
	# XLOCK_GUEST_JOBS guests at a time (default 2), each taking the next
	# unit not yet taken: most of a scenario's time is spent waiting
	# (grace, break and lock timeouts), so two TCG guests on two cores take
	# much less than twice as long as one.
	jobs=${XLOCK_GUEST_JOBS:-2}
	[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
	e2e/run.sh -P || { echo "e2e/run.sh -P failed" >>"$FAILS"; fail=$((fail + 1)); }
	worker() {
		u=1
		while [ "$u" -le "$n" ]; do
			if mkdir "$UNITS/$u.taken" 2>/dev/null; then
				set -- $(cat "$UNITS/$u.unit")
				lane=$1
				shift
				case $lane in
				xlock) e2e/run.sh "$@" ;;
				noxlock) e2e/run.sh -o noxlock "$@" ;;
				nfs4) e2e/run.sh -o nfs4 "$@" ;;
				nfs4stock) e2e/run.sh -o noxlock,nfs4 "$@" ;;
				powercut) e2e/powercut.sh -q -c "${XLOCK_POWERCUTS:-20}" -j "${XLOCK_POWERCUT_CHAINS:-2}" ;;
				esac >"$UNITS/$u.out" 2>&1
			fi
			u=$((u + 1))
		done
	}
	j=0
	while [ "$j" -lt "$jobs" ]; do
		worker &
		j=$((j + 1))
	done
	wait
	u=1
	while [ "$u" -le "$n" ]; do
		prev=${lane:-}
		lane=$(cut -d' ' -f1 "$UNITS/$u.unit")
		[ "$lane" = "$prev" ] ||
			case $lane in
			powercut) echo "== power cuts (e2e/powercut.sh)" ;;
			xlock) echo "== scenarios with xlock" ;;
			noxlock) echo "== the same cross-protocol scenarios without xlock (stock gap expected)" ;;
			nfs4) echo "== the x-c scenarios with xlock over an NFSv4.2 mount (nfs4-matrix)" ;;
			nfs4stock) echo "== the same without xlock over NFSv4.2 (stock gap expected)" ;;
			esac
		out=$(cat "$UNITS/$u.out" 2>/dev/null)
		echo "$out"
		echo "$out" | grep '^e2e: FAIL ' | sed "s/^/[$lane] /" >>"$FAILS"
		p=$(echo "$out" | grep -c '^e2e: PASS ' || true); pass=$((pass + p))
		p=$(echo "$out" | grep -c '^e2e: FAIL ' || true); fail=$((fail + p))
		p=$(echo "$out" | grep -c '^e2e: SKIP ' || true); skip=$((skip + p))
		echo "$out" | grep '^e2e: SKIP ' | sed "s/^/[$lane] /" >>"$SKIPS"
		echo "$out" | grep '^e2e: AGAIN ' | sed "s/^/[$lane] /" >>"$AGAINS"
		if ! echo "$out" | grep -q '^e2e: [0-9]* passed'; then
			fail=$((fail + 1))
			echo "[$lane] e2e run ended without a summary: $(cat "$UNITS/$u.unit")" >>"$FAILS"
		fi
		u=$((u + 1))
	done
	if [ -n "$deploy" ]; then
		echo "== deployment lane (systemd-booted Debian roots, packages, reboot)"
		# shellcheck disable=SC2086
		out=$(e2e/deploy/lane.sh $deploy 2>&1)
		echo "$out"
		for r in $deploy; do
			if echo "$out" | grep -q "^deploy-$r: PASS "; then
				pass=$((pass + 1))
			else
				fail=$((fail + 1))
				echo "[deploy] $(echo "$out" | grep "^deploy-$r: " || echo "deploy-$r: no result")" >>"$FAILS"
			fi
		done
	fi
fi

# The skips and failures again, next to the totals, so a log's tail names them.
if [ -s "$SKIPS" ]; then
	echo "== skipped"
	cat "$SKIPS"
fi
if [ -s "$AGAINS" ]; then
	echo "== booted again after a TCG artefact (e2e/tcg.sh; the later boot's result counts)"
	cat "$AGAINS"
fi
if [ -s "$FAILS" ]; then
	echo "== failures"
	cat "$FAILS"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
