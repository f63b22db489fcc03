#!/usr/bin/python3
"""Mininet as the peer reference for tests/bench/run.

   mininet-ref.py HOSTS SWITCHES TAG PIDFILE

builds HOSTS hosts on SWITCHES Linux bridges in a chain (as genlab's VPCs),
through Mininet's Python API, starts it, pings the first host from the last,
stops it, and prints one line of key=value figures (seconds).

Kept off the host namespace: every node, switches included, is a Mininet
node in its own unnamed namespace (inNamespace=True; no controller, so no
control network), so links are created in place (`ip link add ... netns
PID` from node1's shell) and nothing appears in the host's `ip link`.
Mininet.init() is bypassed: its fixLimits() writes host sysctls (rmem,
wmem, gc_thresh, ...), which this bench must never touch. Cleanup is
net.stop() in a finally block; the shells' pids go to PIDFILE as they
start, so the harness's trap can kill exactly those if we die. `mn -c`
is never used: it kills processes machine-wide.
"""
import resource
import sys
import time

from mininet.net import Mininet
from mininet.node import Host
from mininet.nodelib import LinuxBridge
from mininet.log import setLogLevel

hosts_n, switches_n, tag, pidfile = (int(sys.argv[1]), int(sys.argv[2]),
                                     sys.argv[3], sys.argv[4])
setLogLevel('error')
Mininet.inited = True           # skip fixLimits(): host sysctls
# What fixLimits would do for this process only: a pty and pipes per node.
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(_hard, 65536), _hard))

pids = open(pidfile, 'a')


def note(node):
    pids.write('%d\n' % node.pid)
    pids.flush()


net = Mininet(controller=None, switch=LinuxBridge, host=Host,
              autoSetMacs=True, build=False, waitConnected=False)
up = down = None
ping_ok = False
try:
    t0 = time.monotonic()
    switches = []
    for s in range(1, switches_n + 1):
        sw = net.addSwitch('%ss%d' % (tag, s), inNamespace=True)
        note(sw)
        if switches:
            net.addLink(switches[-1], sw)
        switches.append(sw)
    for h in range(hosts_n):
        host = net.addHost('%sh%d' % (tag, h + 1))
        note(host)
        net.addLink(host, switches[h * switches_n // hosts_n])
    net.build()
    net.start()
    up = time.monotonic() - t0
    first, last = net.hosts[0], net.hosts[-1]
    out = last.cmd('ping -q -c 1 -W 2 %s' % first.IP())
    ping_ok = ' 0% packet loss' in out
finally:
    t1 = time.monotonic()
    net.stop()
    down = time.monotonic() - t1
pids.close()
print('mininet hosts=%d switches=%d up_s=%.3f down_s=%.3f ping=%s'
      % (hosts_n, switches_n, up, down, 'ok' if ping_ok else 'FAILED'))
