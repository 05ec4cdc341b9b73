#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""What the hook mechanism alone costs an NLM round trip (issue 15: the
cause of the NLM gap). Run inside the guest by e2e/scenarios/bench-floor.sh
with both servers up and /mnt/nfs mounted.

usage: floor_bench.py --ko TEST_XLOCK_KO --out FILE [--rounds N] [--secs S]

Three arms, each round A B C C B A in one boot:
  stock  xlock not loaded
  floor  the test module loaded with bench_floor=1: every hook's ftrace op
         is registered and fires (it counts the call) but redirects
         nothing, so the hooked functions run their own code; xlock's
         wrappers, call stubs and table are not on the path
  full   the same test module without the switch: xlock as users run it
The module is loaded and unloaded between segments only; every segment
checks the module's state (absent, or live with its edges active and
bench_floor as the arm needs) and, loaded, that the NLM hooks counted its
calls. A failed load, unload or check aborts the run ("aborted REASON").
Each segment takes one NLM lock+unlock round trips/s sample (nlm_ARM).
"""
import os
import subprocess
import sys

import proto_bench
from proto_bench import Abort

ORDER = ("stock", "floor", "full", "full", "floor", "stock")


class Floor(proto_bench.Bench):
    def __init__(self, a):
        super().__init__(a)
        self.arm = "stock"

    def floor_param(self):
        with open("/sys/module/xlock/parameters/bench_floor") as f:
            return f.read().strip() == "Y"

    def mode(self, m):
        if m == self.arm and (m == "stock") != self.loaded():
            self.hits0 = self.param("hits") if m != "stock" else None
            return
        self.unload()
        if m == "stock":
            self.arm = m
            return
        subprocess.run(["modprobe", "grace"], check=False)
        r = subprocess.run(["insmod", self.a.ko, "bench_floor=%d" % (m == "floor")],
                           capture_output=True, text=True)
        if r.returncode:
            raise Abort("insmod failed: " + (r.stderr or r.stdout).strip())
        self.load()     # live, edges active, hits counted from here
        if self.floor_param() != (m == "floor"):
            raise Abort("bench_floor is not %s in the %s arm" % (m == "floor", m))
        self.arm = m

    def segment(self, m, secs):
        self.mode(m)
        if m == "stock" and self.loaded():
            raise Abort("xlock loaded in a stock segment")
        self.rec("nlm_" + m, self.nlm(secs))
        if m != "stock":
            self.check_hooks(need=("nlmsvc_lock", "nlmsvc_unlock"))

    def run(self):
        self.rec("config", "rounds=%d,secs=%g" % (self.a.rounds, self.a.secs))
        self.mode("stock")
        self.nlm(1)     # warm-up, not recorded
        for r in range(self.a.rounds):
            for m in ORDER:
                self.segment(m, self.a.secs)
            self.rec("round", r + 1)
        self.mode("stock")
        self.rec("complete", 1)


def main():
    a = proto_bench.arg_parser(secs=3).parse_args()
    if not os.path.exists(a.ko):
        print("no module %s" % a.ko, file=sys.stderr)
        return 2
    return proto_bench.run_bench(Floor(a))


if __name__ == "__main__":
    sys.exit(main())
