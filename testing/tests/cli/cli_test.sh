#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The flowlane command line as users drive it: help and version, `check` on good
# and bad rulesets (exit status, file:line:col), `sim` from files with output
# captures that tcpdump reads back, --json that parses, the default scenario,
# and --netns against a live network namespace created here.
# usage: cli_test.sh PATH/TO/flowlane
set -uo pipefail
FL=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/flowlane-cli-XXXXXX)
ns=flowlane-cli-$$
cleanup() { ip netns del "$ns" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "  ok   $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL $1"; }
expect() { # expect NAME STATUS COMMAND... : exit status, output in $work/out
	local name=$1 want=$2; shift 2
	"$@" >"$work/out" 2>&1
	local got=$?
	if [ "$got" = "$want" ]; then ok "$name"; else bad "$name (exit $got, wanted $want)"; sed 's/^/       /' "$work/out" | head -20; fi
}
has() { # has NAME PATTERN : grep -E in $work/out
	if grep -Eq -- "$2" "$work/out"; then ok "$1"; else bad "$1 (no /$2/)"; sed 's/^/       /' "$work/out" | head -20; fi
}

expect "--help" 0 "$FL" --help
has "--help names the commands" "flowlane sim -r RULESET \(-t TOPOLOGY \| --netns NAME\)"
expect "--version" 0 "$FL" --version
has "--version" "^flowlane [0-9]+\.[0-9]+\.[0-9]+$"
expect "unknown option" 2 "$FL" sim --frobnicate
has "unknown option is named" "unknown option --frobnicate"
expect "sim without traffic" 2 "$FL" sim -r "$here/article.nft" -t "$here/article.ip"
expect "sim without topology" 2 "$FL" sim -r "$here/article.nft" -c "udp 10.0.1.2 10.0.2.2:53"

expect "check: the article's ruleset" 0 "$FL" check -r "$here/article.nft"
has "check reports what it read" "ok: 1 tables, 1 flowtables, 1 chains, 2 rules"
expect "check with the topology" 0 "$FL" check -r "$here/article.nft" -t "$here/article.ip"
printf 'table ip filter {\n\tchain y {\n\t\ttype filter hook forward priority 0;\n\t\tip protocol tcp flow add @nosuch\n\t}\n}\n' >"$work/bad1.nft"
expect "check: unknown flowtable" 1 "$FL" check -r "$work/bad1.nft"
has "error names file:line:col" "bad1.nft:4:[0-9]+: .*nosuch"
printf 'table ip filter {\n\tflowtable f { hook egress priority 0; devices = { eth0 }; }\n}\n' >"$work/bad2.nft"
expect "check: flowtable not on ingress" 1 "$FL" check -r "$work/bad2.nft"
has "hook error names file:line:col" "bad2.nft:2:[0-9]+: "
printf 'table ip filter {\n\tflowtable f { hook ingress priority 0; devices = { wan7 }; }\n}\n' >"$work/bad3.nft"
expect "check: device missing from the topology" 1 "$FL" check -r "$work/bad3.nft" -t "$here/article.ip"
has "device error" "bad3.nft:2:[0-9]+: flowtable f: device wan7 is not in the topology"
expect "check: missing file" 1 "$FL" check -r "$work/none.nft"
has "missing file named" "none.nft"
printf 'ip link add eth0 type veth\nip addr add 10.0.1.300/24 dev eth0\n' >"$work/bad.ip"
expect "sim: bad topology" 1 "$FL" sim -r "$here/article.nft" -t "$work/bad.ip" -c "udp 10.0.1.2 10.0.2.2:53"
has "topology error names file:line:col" "bad.ip:2:[0-9]+: "
expect "sim: bad conversation" 1 "$FL" sim -r "$here/article.nft" -t "$here/article.ip" -c "tcp 10.0.1.2 nowhere"
has "conversation error" "-c #1:1:1: bad server address"
printf 'not a pcap at all' >"$work/junk.pcap"
expect "sim: junk capture" 1 "$FL" sim -r "$here/article.nft" -t "$here/article.ip" -i "eth0=$work/junk.pcap"
has "capture error names the file" "junk.pcap"

# A user ruleset on a user topology, output captures read back by tcpdump.
expect "sim with conversations and -o" 0 "$FL" sim -r "$here/article.nft" -t "$here/article.ip" -o "$work/out.d" \
	-c "tcp 10.0.1.2:40000 10.0.2.2:80 packets 5 size 800" -c "udp 10.0.1.2:5000 10.0.2.2:53 packets 3"
has "trace shows the fastpath" "-> fast \(hit original in f\) out eth1"
has "conntrack shows [OFFLOAD] as 6.1 does (no timeout, no state)" "^tcp +6 src=.*\[OFFLOAD\]"
has "summary" "conversation \"tcp 10.0.1.2:40000 10.0.2.2:80 packets 5 size 800\": 16 sent, 16 delivered"
has "captures written" "wrote $work/out.d/eth1.pcap"
if tcpdump -nn -r "$work/out.d/eth1.pcap" >"$work/td" 2>&1 && [ "$(grep -c 'IP 10.0.1.2' "$work/td")" = 12 ]; then
	ok "tcpdump reads eth1.pcap (12 client packets)"
else bad "tcpdump reads eth1.pcap"; head "$work/td"; fi
if tcpdump -nn -v -r "$work/out.d/eth0.pcap" 2>&1 | grep -q "ttl 63" && ! tcpdump -nn -vv -r "$work/out.d/eth0.pcap" 2>&1 | grep -qi "incorrect"; then
	ok "tcpdump: TTL 63, checksums correct"
else bad "tcpdump: TTL/checksums"; fi
# Replay what left eth1 on eth0: addressed to the server's MAC, not the
# router's, so the router ignores every frame (as Linux would).
expect "sim replays a capture" 0 "$FL" sim -r "$here/article.nft" -t "$here/article.ip" -i "eth0=$work/out.d/eth1.pcap" --no-trace
has "replay summary" "^packets 12: 0 fastpath, .* 12 ignored"

expect "--json" 0 "$FL" sim -r "$here/article.nft" -t "$here/article.ip" --json -c "udp 10.0.1.2:5000 10.0.2.2:53 packets 2"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["fast"] == 2, d["summary"]; assert d["packets"][1]["path"] == "slow"; assert any("[OFFLOAD]" in l for l in d["snapshots"][0]["conntrack"])' "$work/out"; then
	ok "--json parses and tells the story"
else bad "--json"; fi

# The README's session: a user's home router (VLAN uplink, masquerade, counter).
ex=$here/../../../Documentation/examples
expect "README session" 0 "$FL" sim -r "$ex/home-router.nft" -t "$ex/home-router.ip" \
	-c "tcp 192.168.1.10:51000 198.51.100.80:443 packets 3 size 1200" \
	-c "udp 192.168.1.10:40000 198.51.100.53:53 packets 2" -o "$work/home" --idle 31
has "README: masqueraded reply offloaded" "tcp 198.51.100.80:443 > 203.0.113.2:51000 \[\.\] len 0\s*$"
has "README: packets" "^packets 16: 8 fastpath, 0 hardware, 8 slowpath"
has "README: tcp delivered" "packets 3 size 1200\": 12 sent, 12 delivered$"
has "README: counter flag accounts the fastpath" "^tcp +6 src=.* packets=5 bytes=3800 .* \[OFFLOAD\]"
if tcpdump -nn -e -r "$work/home/eth1.pcap" 2>/dev/null | grep -q "vlan 7.*203.0.113.2.51000 > 198.51.100.80.443"; then
	ok "README: uplink frames carry VLAN 7 and the masqueraded source"
else bad "README: uplink frames"; fi

expect "default scenario" 0 "$FL"
has "default: [OFFLOAD]" "\[OFFLOAD\]"
has "default: summary" "^flows offloaded 2"

# --netns: the router's links, addresses and routes from a live namespace.
ip netns add "$ns"
ipn() { ip -n "$ns" "$@"; }
ipn link add eth0 type veth peer name c0 && ipn link add eth1 type veth peer name s0 &&
	ipn link set eth0 up && ipn link set eth1 up &&
	ipn addr add 10.0.1.1/24 dev eth0 && ipn addr add 10.0.2.1/24 dev eth1 &&
	ipn route add 198.51.100.0/24 via 10.0.2.2
expect "sim --netns" 0 "$FL" sim -r "$here/article.nft" --netns "$ns" -c "tcp 10.0.1.2:40000 198.51.100.7:443 packets 3"
has "--netns: routed through the imported route" "-> fast \(hit reply in f\) out eth0"
has "--netns: all delivered" "12 sent, 12 delivered"
expect "--netns missing" 1 "$FL" sim -r "$here/article.nft" --netns "no-such-ns-$$" -c "udp 10.0.1.2 10.0.2.2:53"

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
