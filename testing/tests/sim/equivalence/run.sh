#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The simulator against the kernel: each scenario (./scenarios) runs through
# `flowlane sim`, which writes what each device received and sent; a guest
# then builds a real router from the same topology and ruleset, replays the
# received frames into it and captures what it sends, once with Linux's own
# nf_flow_table and once with flowlane.ko. The two must agree frame by frame,
# byte by byte, and flowlane.ko's fastpath must take as many packets as the
# simulator's.
#
# usage: run.sh FLOWLANE [SCENARIO...]   (from the top of the tree)
set -u
fl=$1
shift
here=testing/tests/sim/equivalence
work=$PWD/build/equivalence
rm -rf "$work"
mkdir -p "$work"
fails=0

scenarios=()
while read -r line; do
	scen=$(echo "$line" | cut -d'|' -f1 | xargs)
	ruleset=$(echo "$line" | cut -d'|' -f2 | xargs)
	[ $# -gt 0 ] && [[ " $* " != *" $scen "* ]] && continue
	args=()
	IFS=';' read -ra convs <<< "$(echo "$line" | cut -d'|' -f3)"
	for c in "${convs[@]}"; do args+=(-c "$(echo "$c" | xargs)"); done
	mkdir -p "$work/$scen"
	if ! "$fl" sim -r "$here/$ruleset" -t "$here/topology.ip" "${args[@]}" --idle 0 --no-trace \
		-o "$work/$scen/sim" --inputs > "$work/$scen/sim.txt" 2>&1; then
		echo "equivalence: $scen: flowlane sim failed:"; cat "$work/$scen/sim.txt"
		fails=$((fails + 1))
		continue
	fi
	scenarios+=("$scen")
done < <(grep -v '^\s*\(#\|$\)' "$here/scenarios")

devs=$(sed -n 's/^ip link add \([^ ]*\) type veth.*/\1/p' "$here/topology.ip")
start=$(date +%s)
echo "--- equivalence: the guest router, with the stock nf_flow_table and with flowlane.ko"
testing/vm/run-guest --timeout 1200 --results "$work/guest" \
	"$here/guest.sh" "$work" "${scenarios[@]}" > "$work/guest.log" 2>&1
status=$?
grep -E 'FAIL|failed|error|WARN|BUG|run-guest|check-dmesg' "$work/guest.log"
[ $status -eq 0 ] || { echo "equivalence: the guest exited $status (log: $work/guest.log)"; fails=$((fails + 1)); }
guest_s=$(($(date +%s) - start))

echo "--- equivalence: frames the simulator wrote vs frames the kernel sent"
for scen in "${scenarios[@]}"; do
	sim_fast=$(sed -n 's/^packets [0-9]*: \([0-9]*\) fastpath.*/\1/p' "$work/$scen/sim.txt")

	for impl in stock flowlane; do
		kdir=$work/guest/$scen/$impl
		# shellcheck disable=SC2086
		python3 "$here/compare.py" "$scen" "$impl" "$work/$scen/sim" "$kdir" $devs || fails=$((fails + 1))
	done
	hits=$(cat "$work/guest/$scen/flowlane/fastpath-hits" 2>/dev/null || echo "?")
	echo "equivalence: $scen fastpath packets: simulator $sim_fast, flowlane.ko $hits"

	[ "$hits" = "$sim_fast" ] || { echo "equivalence: $scen: fastpath counts differ"; fails=$((fails + 1)); }
done
echo "equivalence: ${#scenarios[@]} scenarios, 2 kernel implementations, guest time ${guest_s} s, failures $fails"
[ $fails -eq 0 ]
