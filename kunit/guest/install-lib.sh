# SPDX-License-Identifier: GPL-2.0
# Sourced by the installation guest scripts (coexist.sh, install.sh): checks,
# module state, and client -- router -- server lines of namespaces with traffic.

fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }
loaded() { lsmod | grep -q "^$1 "; }
modules() { lsmod | awk 'NR > 1 && $1 ~ /^(flowlane|nf_flow_table|nf_flow_table_inet|nft_flow_offload|act_ct)$/ {printf " %s", $1}'; }

# A client -- router -- server line of namespaces, names prefixed by $1.
topology()
{
	local p=$1
	ip netns add ${p}cl; ip netns add ${p}rt; ip netns add ${p}sv
	ip link add eth0 netns ${p}rt type veth peer name eth0 netns ${p}cl
	ip link add eth1 netns ${p}rt type veth peer name eth0 netns ${p}sv
	for ns in ${p}cl ${p}rt ${p}sv; do ip -n $ns link set lo up; ip -n $ns link set eth0 up; done
	ip -n ${p}rt link set eth1 up
	ip -n ${p}rt addr add 10.0.1.1/24 dev eth0; ip -n ${p}rt addr add 10.0.2.1/24 dev eth1
	ip -n ${p}cl addr add 10.0.1.2/24 dev eth0; ip -n ${p}sv addr add 10.0.2.2/24 dev eth0
	ip -n ${p}cl route add default via 10.0.1.1; ip -n ${p}sv route add default via 10.0.2.1
	ip netns exec ${p}rt sysctl -qw net.ipv4.ip_forward=1
	ip netns exec ${p}cl ping -c1 -W5 10.0.2.2 >/dev/null || { echo "topology $p: no connectivity"; return 1; }
}

# eventually SECONDS COMMAND...: true as soon as COMMAND is (polled every 0.2 s).
eventually()
{
	local end=$(( $(date +%s) + $1 )); shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}
offloaded() { ip netns exec "$1" conntrack -L 2>/dev/null | grep "dport=$2" | grep -q OFFLOAD; }

teardown() { local ns; for ns in "$@"; do ip netns del "$ns" 2>/dev/null; done; }

# transfer PREFIX PORT BYTES OUT: client to server through the router, held
# open 8 s after the data so the router can be looked at; runs in the background.
transfer()
{
	local p=$1 port=$2 bytes=$3 out=$4
	ip netns exec ${p}sv sh -c "nc -l -p $port > $out" &
	for _ in $(seq 100); do
		ip netns exec ${p}sv ss -Hlnt "sport = :$port" | grep -q . && break
		sleep 0.1
	done
	ip netns exec ${p}cl sh -c "(head -c $bytes /dev/urandom; sleep 8) | nc -N 10.0.2.2 $port" &
}

# flowlane_table_hits NETNS: the hits of the first flowtable in its /proc/net/flowlane.
flowlane_table_hits()
{
	ip netns exec "$1" awk '/^flowtable / { for (i = 1; i < NF; i++) if ($i == "hits") { print $(i + 1); exit } }' \
		/proc/net/flowlane
}

# article_ruleset NETNS: the seed article's ruleset (flowtables part 1), verbatim.
article_ruleset()
{
	ip netns exec "$1" nft -f - <<'EOF'
table ip filter {
        flowtable f {
                hook ingress priority 0; devices = { eth0, eth1 };
        }
        chain y {
                type filter hook forward priority 0; policy accept;
                ip protocol tcp flow add @f
                counter
        }
}
EOF
}
