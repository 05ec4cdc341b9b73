# SPDX-License-Identifier: GPL-2.0
# Settings survive a restart: /etc/xlock/xlockd.conf (shares with their
# break timeouts, grace and enabled state, share 0's, the limits, lockd's
# and nfsd's waits) is in force once xlockd has started, again after the
# module was reloaded under it, after SIGHUP (undoing xlockctl's runtime
# changes, which say so, and picking up an edit), and after a restart of
# the whole server side, where its grace_s is the grace period's length.
# A mistake stops xlockd at start with the file and line; at SIGHUP it is
# logged and the settings in force stay. About 40 s.
X=$XLOCKCTL
C=/etc/xlock/xlockd.conf
S=/tmp/xlockd-config-state

xlock_unload || fail "cannot unload xlock"
xlock_load test_api=1 || fail "cannot load xlock"
mkdir -p "$EXPORT/cfg1" "$EXPORT/cfg2" "$EXPORT/cfg3" /etc/xlock
write_conf() { # cfg1's grace
	cat >"$C" <<EOF
# xlockd-config scenario
[global]
grace_s = 45
break_timeout_ms = 7000
limit_client = 5000
lockd_wait_ms = 150
nfsd_wait_ms = 1200

[share cfg1]
path = $EXPORT/cfg1
break_timeout_ms = 5000
grace_s = $1

[share cfg2]
path = $EXPORT/cfg2
enabled = no
EOF
}

# The file's settings, as the module reports them: nothing printed if all are.
differs() { # cfg1's grace
	"$X" --json shares >/tmp/cfg-shares.json || { echo "xlockctl shares failed"; return; }
	"$X" --json status >/tmp/cfg-status.json || { echo "xlockctl status failed"; return; }
	python3 - "$1" "$EXPORT" <<'EOF'
import json, sys
want_grace, export = int(sys.argv[1]), sys.argv[2]
sh = {s["name"]: s for s in json.load(open("/tmp/cfg-shares.json"))["shares"]}
st = json.load(open("/tmp/cfg-status.json"))
bad = []
def want(what, got, exp):
    if got != exp:
        bad.append("%s is %r, not %r" % (what, got, exp))
d = [s for s in sh.values() if s["id"] == 0][0]
want("share 0 break_timeout_ms", d["break_timeout_ms"], 7000)
want("share 0 grace_s", d["grace_s"], 45)
c1, c2 = sh.get("cfg1"), sh.get("cfg2")
if not c1 or not c2:
    bad.append("shares cfg1/cfg2 missing: %s" % sorted(sh))
else:
    want("cfg1 path", c1["path"], export + "/cfg1")
    want("cfg1 break_timeout_ms", c1["break_timeout_ms"], 5000)
    want("cfg1 grace_s", c1["grace_s"], want_grace)
    want("cfg1 enabled", c1["enabled"], True)
    want("cfg2 enabled", c2["enabled"], False)
extra = sorted(set(sh) - {"cfg1", "cfg2", d["name"]})
if extra:
    bad.append("shares not in the file: %s" % extra)
want("limit client", st["limits"]["client"], 5000)
for p, v in (("lockd_wait_ms", 150), ("nfsd_wait_ms", 1200)):
    want(p, int(open("/sys/module/xlock/parameters/" + p).read()), v)
print("; ".join(bad))
EOF
}

in_force() { # cfg1's grace
	[ -z "$(differs "$1")" ]
}

hup() { # reload and wait for the log line of this reload
	n=$(grep -c "SIGHUP\|xlockd.conf applied" "$XLOCKD_LOG")
	kill -HUP "$XLOCKD_PID"
	wait_for 10 sh -c "[ \$(grep -c 'SIGHUP\|xlockd.conf applied' '$XLOCKD_LOG') -gt $n ]" ||
		fail "no reaction to SIGHUP: $(tail -n 3 "$XLOCKD_LOG")"
}

# --- a mistake stops xlockd at start, naming the line -------------------------
write_conf 30
echo "grace_s = 0" >>"$C"
out=$(timeout 20 "$XLOCKD" --state-dir "$S" 2>&1) && fail "xlockd started with a broken config: $out"
printf '%s\n' "$out" | grep -q "$C:17: grace_s takes a number from 1 to 3600" ||
	fail "broken config at start: $out"
log "broken config at start: $out"

# --- in force once xlockd has started ------------------------------------------
write_conf 30
in_force 30 && fail "the module has the file's settings before xlockd started"
xlockd_start --state-dir "$S" --with-test-entries || fail "xlockd did not start"
wait_for 10 in_force 30 || fail "after start: $(differs 30)"
log "after start: $(grep 'xlockd.conf applied' "$XLOCKD_LOG" | tail -n 1)"

# --- xlockctl's changes are runtime changes, and say so; SIGHUP undoes them ----
out=$("$X" share set cfg1 --break-timeout 9000 2>&1) || fail "share set: $out"
printf '%s\n' "$out" | grep -q "a runtime change" || fail "share set did not say it is a runtime change: $out"
"$X" share add "$EXPORT/cfg3" --name cfg3 >/dev/null 2>&1 || fail "share add cfg3"
"$X" config --limit-client 777 >/dev/null 2>&1 || fail "config --limit-client"
in_force 30 && fail "runtime changes not seen"
log "runtime changes: $(differs 30)"
hup
wait_for 10 in_force 30 || fail "after SIGHUP: $(differs 30)"
log "SIGHUP restored the file's settings (cfg3 removed, cfg1 and the limit back)"

# --- an edit is picked up; a broken edit is logged and changes nothing -----------
write_conf 20
hup
wait_for 10 in_force 20 || fail "edited file after SIGHUP: $(differs 20)"
echo "no equals sign here" >>"$C"
hup
grep -q "SIGHUP: $C:17: expected \"key = value\"; the settings in force are kept" "$XLOCKD_LOG" ||
	fail "broken file at SIGHUP: $(tail -n 2 "$XLOCKD_LOG")"
in_force 20 || fail "a broken file at SIGHUP changed settings: $(differs 20)"
write_conf 20
log "edit picked up; broken edit refused: $(grep 'SIGHUP: ' "$XLOCKD_LOG" | tail -n 1)"

# --- the module reloaded under xlockd: it comes back with the defaults ---------
na=$(grep -c "attached to xlock" "$XLOCKD_LOG")
: >"$EXPORT/cfg1/f"
"$X" test add "$EXPORT/cfg1/f" --proto nlm --kind lock --client cfgclient --mode excl \
	--start 0 --len 10 >/dev/null || fail "test add"
wait_for 10 sh -c "'$XLOCKD' --print-state --state-dir '$S' | grep -q 'client=cfgclient'" ||
	fail "the test entry was not persisted"
xlock_unload || fail "rmmod under xlockd"
xlock_load test_api=1 || fail "insmod"
wait_for 60 sh -c "[ \$(grep -c 'attached to xlock' '$XLOCKD_LOG') -gt $na ]" ||
	fail "xlockd did not attach again: $(tail -n 3 "$XLOCKD_LOG")"
wait_for 10 in_force 20 || fail "after a module reload under xlockd: $(differs 20)"
# Grace: the file's share 0 grace_s (45 s), not the module's 90.
left=$("$X" --json grace | python3 -c "import json,sys; print(json.load(sys.stdin).get('left_ms', -1))")
[ "$left" -gt 30000 ] && [ "$left" -le 45000 ] || fail "grace after the reload: $("$X" grace)"
log "module reloaded under xlockd: settings in force, grace $left ms left of the file's 45 s"
"$X" grace end >/dev/null

# --- the whole server side restarted: xlockd stopped, module reloaded, started ---
xlockd_stop
xlock_unload || fail "rmmod"
xlock_load test_api=1 || fail "insmod"
in_force 20 && fail "a freshly loaded module has the file's settings without xlockd"
xlockd_start --state-dir "$S" --with-test-entries || fail "xlockd after the restart"
wait_for 10 in_force 20 || fail "after the restart: $(differs 20)"
log "after a restart of module and xlockd: settings in force"
xlockd_stop
rm -f "$C"
log "xlockd log:
$(cat "$XLOCKD_LOG")"
