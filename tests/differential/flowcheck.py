#!/usr/bin/env python3
"""flowcheck.py - the flow log half of the differential test.

    flowcheck.py VPCEMU LAB.conf LAB

After `vpcemu test LAB.conf --name LAB` (which took the lab down, so its
flow logs wrote what they held), every REJECT record gen.py expects in
LAB.conf.rejects (a probe analyze says a group or an ACL blocks, on the ENI
whose rules it names) must be in a flow log of the lab, under
/var/log/vpcemu/LAB/. Prints one line per record missing; exits 1 if any,
and prints "flowcheck: N checked, M missing" last.
"""
import glob
import json
import subprocess
import sys


def main():
    vpcemu, conf, lab = sys.argv[1:4]
    with open(conf + ".rejects") as f:
        want = json.load(f)
    v = json.loads(subprocess.run([vpcemu, "validate", conf, "--name", lab,
                                   "--output", "json"], check=True,
                                  capture_output=True, text=True).stdout)
    eni = {r["name"]: r["id"] for r in v["resources"] if r["type"] == "eni"}
    seen = set()
    for path in glob.glob("/var/log/vpcemu/%s/*.log" % lab):
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) == 14 and w[12] == "REJECT" and w[13] == "OK":
                    seen.add((w[2], w[3], w[4], int(w[7])))
    missing = 0
    for r in want:
        key = (eni[r["instance"]], r["src"], r["dst"], r["proto"])
        if key not in seen:
            missing += 1
            print("flow log: no REJECT on %s (%s) %s -> %s proto %d for "
                  "%s (%s)" % (key[0], r["instance"], r["src"], r["dst"],
                               r["proto"], r["probe"], r["code"]))
    print("flowcheck: %d checked, %d missing" % (len(want), missing))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
