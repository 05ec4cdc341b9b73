#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Run whole smbtorture suites with a time limit per test.

usage: smbtorture_run.py [--timeout SECONDS] [--log FILE] UNC USER%PASS SUITE...

Lists every test of the suites (smbtorture --list) and runs them in as few
smbtorture processes as it can (one, if nothing hangs), reading the subunit
stream. A test that runs longer than --timeout is killed and counted as
"timeout"; a test whose process died under it counts as "crash"; the rest
of the list then goes on in a new process. Prints one line per test:
    TEST<TAB>pass|fail|skip|timeout|crash|notrun<TAB>SECONDS
and the full smbtorture output to --log. Exit status 2 if smbtorture cannot be run or lists
no test.
"""
import argparse
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

VERDICTS = {"success": "pass", "successful": "pass", "xfail": "fail",
            "failure": "fail", "fail": "fail", "error": "fail",
            "uxsuccess": "fail", "skip": "skip"}


def list_tests(suites):
    """Every test of SUITES as smbtorture --fullname names it."""
    out = subprocess.run(["smbtorture", "--list"] + suites, capture_output=True,
                         text=True, check=False).stdout
    tests = []
    for line in out.splitlines():
        if not any(line.startswith(s + ".") for s in suites):
            continue
        # "suite.case.test": a case of one test repeats its name.
        head, _, last = line.rpartition(".")
        if head.rpartition(".")[2] == last:
            line = head
        if line not in tests:
            tests.append(line)
    return tests


def run_batch(args, tests, log, results):
    """One smbtorture process over TESTS; fills RESULTS."""
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as f:
        f.write("\n".join(tests) + "\n")
        listfile = f.name
    suites = sorted({s for s in args.suites if any(t.startswith(s + ".") for t in tests)})
    cmd = ["smbtorture", args.unc, "-U", args.cred, "--format=subunit", "--fullname",
           "--option=torture:sharedelay=100000", "--load-list=" + listfile] + suites
    log.write("## %s\n" % " ".join(cmd[:2] + cmd[4:]))
    log.flush()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    cur = None
    t0 = time.monotonic()
    buf = b""
    killed = False
    while True:
        wait = 1.0
        limit = args.timeout
        if cur is not None:
            wait = max(0.0, min(wait, t0 + limit - time.monotonic()))
        ready = select.select([p.stdout], [], [], wait)[0]
        if not ready:
            if cur is not None and time.monotonic() >= t0 + limit:
                os.killpg(p.pid, signal.SIGKILL)
                results[cur] = ("timeout", time.monotonic() - t0)
                log.write("\n## %s: killed after %d s\n" % (cur, limit))
                cur = None
                killed = True
                break
            continue
        data = os.read(p.stdout.fileno(), 65536)
        if not data:
            break
        log.write(data.decode(errors="replace"))
        log.flush()
        buf += data
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            line = raw.decode(errors="replace")
            word, _, rest = line.partition(": ")
            name = rest.split(" [")[0].strip()
            if word == "test" and name in tests:
                cur, t0 = name, time.monotonic()
            elif word in VERDICTS and name in tests and name not in results:
                results[name] = (VERDICTS[word], time.monotonic() - t0)
                cur = None
    p.wait() if not killed else p.wait(timeout=30)
    os.unlink(listfile)
    if cur is not None and cur not in results:
        results[cur] = ("crash", time.monotonic() - t0)
        log.write("\n## %s: smbtorture exited (status %s) during it\n" % (cur, p.returncode))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--log", default="/dev/null")
    ap.add_argument("unc")
    ap.add_argument("cred")
    ap.add_argument("suites", nargs="+")
    args = ap.parse_args()
    try:
        tests = list_tests(args.suites)
    except OSError as e:
        print("smbtorture_run: %s" % e, file=sys.stderr)
        return 2
    if not tests:
        print("smbtorture_run: no test in %s" % " ".join(args.suites), file=sys.stderr)
        return 2
    results = {}
    with open(args.log, "a") as log:
        while True:
            todo = [t for t in tests if t not in results]
            if not todo:
                break
            n = len(results)
            run_batch(args, todo, log, results)
            if len(results) == n:
                # No progress: smbtorture ran none of them.
                for t in todo:
                    results[t] = ("notrun", 0.0)
    for t in tests:
        r, dt = results[t]
        print("%s\t%s\t%.1f" % (t, r, dt), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
