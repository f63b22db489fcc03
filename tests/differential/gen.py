#!/usr/bin/env python3
"""gen.py - a random valid lab and its probes, for the differential test.

    gen.py VPCEMU SEED OUT.conf

and OUT.conf.rejects, the REJECT records the lab's flow logs must hold
once `vpcemu test` has run (tests/differential/flowcheck.py).

Writes a lab (VPCs, subnets, peerings in several states, route tables with
peering, transitive and blackhole routes, groups with CIDR and group
references, network ACLs with allow/deny entries, instances; an internet
gateway, an internet host and a NAT gateway in some labs) whose content
depends only on SEED, then asks `VPCEMU analyze` about random probes and
appends one expect line per probe carrying analyze's verdict (and, when
blocked, its code as the REASON). `vpcemu test OUT.conf` then sends the real
packets: every FAIL is a disagreement between analyze and the data plane.
Each VPC has a flow log of its rejects: a probe that analyze says a group
or an ACL blocks must leave a REJECT record on the ENI whose rules analyze
names (R-14.5).

Ports and ACL ranges are picked so that the verdict never depends on which
ephemeral port the kernel gives the client (32768-60999): an ACL range
either covers all of it or none of it.
"""
import json
import random
import subprocess
import sys

RULES = ["icmp", "tcp 22", "tcp 80", "udp 53"]
ACL_RULES = ["all", "icmp", "tcp 22", "tcp 80", "udp 53", "tcp 1024-65535",
             "udp 1024-65535", "tcp 1024-30000", "tcp 32768-65535"]


def gen(seed):
    r = random.Random(seed)
    out = ["# differential seed %d (tests/differential/gen.py)" % seed]
    nv = r.randint(2, 3)
    vpcs = ["V%d" % i for i in range(nv)]
    subnets, insts, sgs = {}, [], []
    status, rtab = {}, {}
    for i, v in enumerate(vpcs):
        out.append("vpc %s { cidr 10.%d.0.0/16 }" % (v, i + 1))
        subnets[v] = []
        for k in range(r.randint(1, 2)):
            sn = "%s-S%d" % (v, k)
            out.append("subnet %s { vpc %s; cidr 10.%d.%d.0/24 }"
                       % (sn, v, i + 1, k + 1))
            subnets[v].append((sn, "10.%d.%d" % (i + 1, k + 1)))
    peerings = []
    for a in range(nv):
        for b in range(a + 1, nv):
            if r.random() < 0.7:
                st = r.choice(["active"] * 4 + ["pending-acceptance",
                                                "rejected"])
                name = "P%d%d" % (a, b)
                out.append("peering %s { requester %s; accepter %s; "
                           "status %s }" % (name, vpcs[a], vpcs[b], st))
                peerings.append((name, a, b))
                status[name] = st
    internet = r.random() < 0.4
    if internet:
        out.append("internet-gateway IGW { vpc V0 }")
        out.append("internet-host Host { ip 192.0.2.10 }")
        out.append("elastic-ip NE { }")
        out.append("nat-gateway NAT { subnet %s; elastic-ip NE; "
                   "private-ip 10.1.1.200 }" % subnets["V0"][0][0])
    for i, v in enumerate(vpcs):
        for sn, pre in subnets[v]:
            routes = []
            for name, a, b in peerings:
                if i in (a, b) and r.random() < 0.8:
                    other = b if i == a else a
                    routes.append("route 10.%d.0.0/16 via %s"
                                  % (other + 1, name))
                    # sometimes a transitive route through this peering
                    third = [t for t in range(nv) if t not in (a, b)]
                    if third and r.random() < 0.2:
                        routes.append("route 10.%d.0.0/16 via %s"
                                      % (third[0] + 1, name))
            if r.random() < 0.1:
                routes.append("route 10.9.0.0/16 via blackhole")
            if internet and v == "V0":
                if sn == subnets["V0"][0][0]:
                    routes.append("route 0.0.0.0/0 via IGW")
                elif r.random() < 0.7:
                    routes.append("route 0.0.0.0/0 via NAT")
            # a destination is routed once: drop later duplicates
            seen, uniq = set(), []
            for rt in routes:
                if rt.split()[1] not in seen:
                    seen.add(rt.split()[1])
                    uniq.append(rt)
            rtab[sn] = uniq
            out.append("route-table RT-%s { vpc %s; associate %s%s }"
                       % (sn, v, sn, "".join("\n\t" + x for x in uniq)))
            if r.random() < 0.3:
                out.append(nacl(r, sn, v))
    for i, v in enumerate(vpcs):
        for sn, pre in subnets[v]:
            name = "I-%s" % sn
            sg = "G-%s" % sn
            insts.append((name, v, "%s.10" % pre, sg))
            sgs.append((sg, v))
    peered = {(vpcs[a], vpcs[b]) for _, a, b in peerings}
    peered |= {(b, a) for a, b in peered}
    for sg, v in sgs:
        # groups of the VPC or of a VPC peered with it
        refs = [g for g, gv in sgs if gv == v or (v, gv) in peered]
        lines = ["security-group %s { vpc %s; description \"g\"" % (sg, v)]
        rules = set()
        if r.random() < 0.5:
            rules.add("\tingress all from 10.0.0.0/8")
        for _ in range(r.randint(0, 3)):
            rules.add("\tingress %s from %s" % (r.choice(RULES), r.choice(
                ["0.0.0.0/0", "10.0.0.0/8"] * 2 + refs)))
        if r.random() < 0.25:
            rules.add("\tegress %s to %s" % (
                r.choice(["icmp", "tcp 22", "all"]),
                r.choice(["0.0.0.0/0", "10.0.0.0/8"] + refs)))
        out.append("\n".join(lines + sorted(rules)) + " }")
    public = {}
    for n, (name, v, ip, sg) in enumerate(insts):
        out.append("instance %s { subnet %s; private-ip %s; "
                   "security-groups %s }" % (name, name[2:], ip, sg))
        if internet and v == "V0" and r.random() < 0.6:
            public[name] = "198.51.100.%d" % (50 + n)
            out.append("elastic-ip E-%s { address %s; instance %s }"
                       % (name, public[name], name))
    for v in vpcs:
        out.append("flow-log FL-%s { resource %s; traffic reject; "
                   "interval 1 }" % (v, v))
    ends = [i[0] for i in insts] + (["Host"] if internet else [])
    probes = []
    for _ in range(r.randint(6, 10)):
        s, d = r.sample(ends, 2)
        if s == "Host" and d in public and r.random() < 0.8:
            d = public[d]
        probes.append((s, d, r.choice(RULES)))
    ips = {name: ip for name, _, ip, _ in insts}
    ips["routed"] = {(name, d): routed(name, d, v, vpcs, rtab, status,
                                       public)
                     for name, v, _, _ in insts for d in ends if d != name}
    ips["Host"] = "192.0.2.10"
    for name, pub in public.items():
        ips[pub] = ips[name]
        ips.setdefault("names", {})[pub] = name
    return "\n".join(out) + "\n", probes, ips


def routed(s, d, v, vpcs, rtab, status, public):
    """Whether a packet of instance s (in VPC v) to d reaches the router's
    filter: the kernel looks the route up, and checks a peering's or the
    internet gateway's guards, before the ACLs and groups, while AWS
    checks the sender's ACL and groups first (aws-semantics §15): what
    has no route, or a guard drops, leaves no REJECT."""
    sn = s[2:]
    if d == "Host":
        via = [rt.split()[3] for rt in rtab[sn] if rt.split()[1] == "0.0.0.0/0"]
        return bool(via) and (via[0] == "NAT" or s in public)
    dv = "V%d" % (int(d[2:].split("-")[0][1:]))
    if dv == v:
        return True
    net = "10.%d.0.0/16" % (vpcs.index(dv) + 1)
    via = [rt.split()[3] for rt in rtab[sn] if rt.split()[1] == net]
    if via:
        p = via[0]
        return (p in status and status[p] == "active" and
                {"V" + p[1], "V" + p[2]} == {v, dv})
    deflt = [rt.split()[3] for rt in rtab[sn] if rt.split()[1] == "0.0.0.0/0"]
    return deflt == ["NAT"]


# Where analyze says a group or an ACL drops: (path direction, direction)
# -> whose ENI's rules it is, the probe's source or destination.
OWNER = {("forward", "egress"): 0, ("forward", "ingress"): 1,
         ("return", "egress"): 1, ("return", "ingress"): 0}
PROTO = {"icmp": 1, "tcp": 6, "udp": 17}


def expected_reject(s, d, rule, e, ips):
    """The REJECT record a probe blocked by explanation e leaves, or None
    when it names no group or ACL of an instance's ENI."""
    if e["ExplanationCode"] not in ("ENI_SG_RULES_MISMATCH",
                                    "SUBNET_ACL_RESTRICTION"):
        return None
    ends = [s, ips.get("names", {}).get(d, d)]
    owner = ends[OWNER[(e["PathDirection"], e["Direction"])]]
    if owner == "Host":
        return None
    if (e["PathDirection"], e["Direction"]) == ("forward", "egress") and \
            not ips["routed"][(s, ends[1])]:
        return None
    src, dst = ips[s], ips[d]
    if e["PathDirection"] == "return":
        src, dst = dst, src
    return {"instance": owner, "src": src, "dst": dst,
            "proto": PROTO[rule.split()[0]], "code": e["ExplanationCode"],
            "probe": "%s -> %s %s" % (s, d, rule)}


def nacl(r, sn, v):
    lines = ["network-acl A-%s { vpc %s; associate %s" % (sn, v, sn)]
    for d, kw in (("ingress", "from"), ("egress", "to")):
        nums = sorted(r.sample(range(1, 200), r.randint(1, 4)))
        if r.random() < 0.5:
            nums.append(300)
        for n in nums:
            lines.append("\t%s %d %s %s %s %s" % (
                d, n, r.choice(["allow"] * 5 + ["deny"]),
                r.choice(ACL_RULES), kw,
                r.choice(["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16",
                          "10.2.0.0/16", "192.0.2.0/24"])))
    return "\n".join(lines) + " }"


def main():
    vpcemu, seed, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    text, probes, ips = gen(seed)
    with open(path, "w") as f:
        f.write("lab df%d\n" % seed + text)
    expects, rejects = [], []
    for s, d, rule in probes:
        res = subprocess.run([vpcemu, "analyze", path, s, d] + rule.split() +
                             ["--output", "json"], capture_output=True,
                             text=True)
        a = json.loads(res.stdout)
        if a["NetworkPathFound"]:
            expects.append("expect %s -> %s %s reachable" % (s, d, rule))
        else:
            expects.append("expect %s -> %s %s blocked %s" % (
                s, d, rule, a["Explanations"][0]["ExplanationCode"]))
            rej = expected_reject(s, d, rule, a["Explanations"][0], ips)
            if rej:
                rejects.append(rej)
    with open(path, "a") as f:
        f.write("\n".join(expects) + "\n")
    with open(path + ".rejects", "w") as f:
        json.dump(rejects, f, indent=1)


if __name__ == "__main__":
    main()
