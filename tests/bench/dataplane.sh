#!/bin/bash
# Data-plane figures of the issue that built `vpcemu up`: wall time of up and
# down (hands-on lab; a generated V x M lab against a plain `ip` loop for the
# same number of namespaces and veths, in the same run), and ping RTT / iperf3
# throughput across a peering (with SGs and NACLs) against a direct veth pair.
# Root only. Cleans up after itself; every name starts with "bench$$".
#   tests/bench/dataplane.sh [BUILD-DIR] [VPCS] [INSTANCES-PER-VPC]
set -euo pipefail
B=${1:-build}
V=${2:-10}
M=${3:-10}
top=$(cd "$(dirname "$0")/../.." && pwd)
vpcemu="$top/$B/vpcemu"
tag="bench$$"
tmp=$(mktemp -d)
export VPCEMU_STATE_DIR="$tmp/state"

[ "$(id -u)" -eq 0 ] || { echo "dataplane.sh: needs root" >&2; exit 1; }

cleanup() {
	for l in "$tag-h" "$tag-g" "$tag-p"; do "$vpcemu" down "$l" >/dev/null 2>&1 || true; done
	for n in $(ip netns list | awk '{print $1}' | grep "^$tag-" || true); do ip netns del "$n"; done
	[ -n "${iperf_pid:-}" ] && kill "$iperf_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }

# Waits until no namespace of the prefix is left and its devices are gone.
wait_gone() {
	while ip netns list | grep -q "^$1"; do sleep 0.01; done
}

echo "# vpcemu data plane, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo

# 1. The hands-on lab.
t0=$(now); "$vpcemu" up "$top/topologies/vpc-peering.conf" --name "$tag-h" >/dev/null; t1=$(now)
"$vpcemu" down "$tag-h" >/dev/null; t2=$(now)
printf '| hands-on lab (7 namespaces) | up %.3f s | down %.3f s |\n' "$(elapsed "$t0" "$t1")" "$(elapsed "$t1" "$t2")"

# 2. A generated lab against a plain ip loop of the same size.
N=$((V * M))
"$top/tests/bench/genlab" "$V" "$M" "$tag-g" > "$tmp/gen.conf"
t0=$(now); "$vpcemu" up "$tmp/gen.conf" >/dev/null; t1=$(now)
"$vpcemu" down "$tag-g" >/dev/null; t2=$(now)
up_v=$(elapsed "$t0" "$t1"); down_v=$(elapsed "$t1" "$t2")

t0=$(now)
ip netns add "$tag-r"
for i in $(seq 1 "$N"); do
	ip netns add "$tag-i$i"
	ip -n "$tag-i$i" link add eth0 type veth peer name "v$i" netns "$tag-r"
done
t1=$(now)
for i in $(seq 1 "$N"); do ip netns del "$tag-i$i"; done
ip netns del "$tag-r"
wait_gone "$tag-"
t2=$(now)
up_ip=$(elapsed "$t0" "$t1"); down_ip=$(elapsed "$t1" "$t2")
echo
echo "| $V VPCs x $M instances ($N) | vpcemu | plain ip loop (netns + veth only) | vpcemu / ip |"
echo "| --- | --- | --- | --- |"
printf '| up per instance | %.2f ms | %.2f ms | %s |\n' "$(echo "$up_v * 1000 / $N" | bc -l)" "$(echo "$up_ip * 1000 / $N" | bc -l)" "$(ratio "$up_v" "$up_ip")"
printf '| down per instance | %.2f ms | %.2f ms | %s |\n' "$(echo "$down_v * 1000 / $N" | bc -l)" "$(echo "$down_ip * 1000 / $N" | bc -l)" "$(ratio "$down_v" "$down_ip")"

# 3. RTT and throughput: across a peering with SGs + NACLs vs a direct veth.
"$top/tests/bench/genlab" 2 1 "$tag-p" > "$tmp/pair.conf"
"$vpcemu" up "$tmp/pair.conf" >/dev/null
src="$tag-p-i1-1"; dst="$tag-p-i2-1"; dst_ip=10.2.1.4
ip netns add "$tag-da"; ip netns add "$tag-db"
ip -n "$tag-da" link add eth0 type veth peer name eth0 netns "$tag-db"
ip -n "$tag-da" addr add 192.0.2.1/30 dev eth0; ip -n "$tag-db" addr add 192.0.2.2/30 dev eth0
for n in "$tag-da" "$tag-db"; do ip -n "$n" link set eth0 up; ip -n "$n" link set lo up; done

rtt() { ip netns exec "$1" ping -q -c 200 -i 0.002 "$2" | awk -F/ '/^rtt/ {print $5}'; }
gbps() {
	ip netns exec "$2" iperf3 -s -1 >/dev/null 2>&1 & iperf_pid=$!
	for _ in $(seq 50); do ip netns exec "$2" ss -ltn | grep -q ':5201 ' && break; sleep 0.05; done
	ip netns exec "$1" iperf3 -c "$3" -t 5 -J | awk -F'[:,]' '/"sum_received"/ {f=1} f && /bits_per_second/ {printf "%.2f", $2/1e9; exit}'
	wait "$iperf_pid" 2>/dev/null || true; iperf_pid=
}
rtt_d=$(rtt "$tag-da" 192.0.2.2); rtt_p=$(rtt "$src" "$dst_ip")
bw_d=$(gbps "$tag-da" "$tag-db" 192.0.2.2); bw_p=$(gbps "$src" "$dst" "$dst_ip")
echo
echo "| path | ping RTT | x direct | iperf3 1 stream | x direct |"
echo "| --- | --- | --- | --- | --- |"
printf '| direct veth pair | %s ms | 1 | %s Gbit/s | 1 |\n' "$rtt_d" "$bw_d"
printf '| instance -> router -> peering -> router -> instance, SGs + NACLs | %s ms | %s | %s Gbit/s | %s |\n' \
	"$rtt_p" "$(ratio "$rtt_p" "$rtt_d")" "$bw_p" "$(ratio "$bw_p" "$bw_d")"
