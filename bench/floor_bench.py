#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""What the hook mechanism alone costs a lock round trip (issue 15: the
cause of the NLM and SMB gaps). Run inside the guest by
e2e/scenarios/bench-floor.sh with both servers up and /mnt/nfs mounted.

usage: floor_bench.py --ko TEST_XLOCK_KO --out FILE [--rounds N] [--secs S]
                      [--measures nlm,smblock,smbopen]

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
Each segment takes one sample of each measure (MEASURE_ARM): NLM
lock+unlock round trips/s through the NFS mount (nlm), SMB2 LOCK+UNLOCK
round trips/s on one open (smblock), SMB2 CREATE with an RWH lease +
CLOSE/s (smbopen), as bench/proto_bench.py takes them.
"""
import os
import sys

import proto_bench
from proto_bench import Abort

ORDER = ("stock", "floor", "full", "full", "floor", "stock")
# The hook each measure must have run through in a loaded segment.
NEEDS = {"nlm": ("nlmsvc_lock", "nlmsvc_unlock"), "smblock": ("smb2_lock",),
         "smbopen": ("smb_grant_oplock", "close_id_del_oplock")}


class Floor(proto_bench.Bench):
    def __init__(self, a):
        super().__init__(a)
        self.arm = "stock"

    def floor_param(self):
        with open("/sys/module/xlock/parameters/bench_floor") as f:
            return f.read().strip() == "Y"

    def mode(self, m):
        # The arm's second segment: its module state still holds.
        if m == self.arm and self.loaded() == (m != "stock"):
            self.hits0 = self.param("hits") if m != "stock" else None
            return
        self.unload()
        if m != "stock":
            self.load(("bench_floor=%d" % (m == "floor"),))
            if self.floor_param() != (m == "floor"):
                raise Abort("bench_floor is not %s in the %s arm" % (m == "floor", m))
        self.arm = m

    def segment(self, m, secs):
        self.mode(m)
        if m == "stock" and self.loaded():
            raise Abort("xlock loaded in a stock segment")
        for meas in self.a.measures:
            self.rec("%s_%s" % (meas, m), getattr(self, meas)(secs))
        if m != "stock":
            self.check_hooks(need=sum((NEEDS[meas] for meas in self.a.measures), ()))

    def run(self):
        self.rec("config", "rounds=%d,secs=%g,measures=%s" % (
            self.a.rounds, self.a.secs, ":".join(self.a.measures)))
        self.mode("stock")
        for meas in self.a.measures:
            getattr(self, meas)(1)  # warm-up, not recorded
        for r in range(self.a.rounds):
            for m in ORDER:
                self.segment(m, self.a.secs)
            self.rec("round", r + 1)
        self.mode("stock")
        self.rec("complete", 1)


def main():
    p = proto_bench.arg_parser(secs=3)
    p.add_argument("--measures", default="nlm,smblock,smbopen")
    a = p.parse_args()
    a.measures = a.measures.split(",")
    bad = [m for m in a.measures if m not in NEEDS]
    if bad:
        print("unknown measure %s (%s)" % (bad[0], ",".join(NEEDS)), file=sys.stderr)
        return 2
    if not os.path.exists(a.ko):
        print("no module %s" % a.ko, file=sys.stderr)
        return 2
    return proto_bench.run_bench(Floor(a))


if __name__ == "__main__":
    sys.exit(main())
