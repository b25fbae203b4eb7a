# SPDX-License-Identifier: GPL-2.0
# Guest side: run Linux 6.1's tools/testing/selftests/netfilter/nft_flowtable.sh
# unchanged, with a pinned seed (a ~9 MB transfer file) and its sleeps stretched
# three-fold for emulation, then count its PASS and FAIL lines (it prints
# "FAIL: ipsec ..." without changing its exit status).
# usage: selftest.sh SELFTEST_PATH MODE   (MODE: stock | flowlane)
set -u
selftest=$1 mode=$2
dir=$(mktemp -d)
cp "$selftest" "$dir/nft_flowtable.sh"
if [ "$mode" = flowlane ]; then
	. kunit/guest/flowlane-env.sh
	flowlane_load || exit 1
fi
cd "$dir"
start=$(date +%s)
bash -c 'sleep() { command sleep $(( ${1%.*} * 3 )); }; RANDOM=2; source ./nft_flowtable.sh' > out.txt 2>&1
rc=$?
cd - >/dev/null
end=$(date +%s)
grep -E '^(PASS|FAIL|ERROR|SKIP)' "$dir/out.txt"
pass=$(grep -c '^PASS' "$dir/out.txt" || true)
fail=$(grep -cE '^(FAIL|ERROR)' "$dir/out.txt" || true)
echo "selftest ($mode): exit $rc, $pass PASS, $fail FAIL, $((end - start)) s"
lsmod | grep -E '^(nf_flow_table|nft_flow_offload|flowlane)' | awk '{print "module loaded: " $1}'
if [ "$mode" = flowlane ]; then
	flowlane_stats
	if lsmod | grep -qE '^(nf_flow_table_inet|nft_flow_offload) '; then
		echo "the stock flowtable types or expression were loaded"
		exit 1
	fi
	echo "lsmod: no nf_flow_table_inet or nft_flow_offload; flowlane loaded"
	[ "$(flowlane_hits)" -gt 0 ] || { echo "flowlane's fastpath saw no hit"; exit 1; }
	dmesg > /tmp/selftest.dmesg
	testing/vm/check-dmesg /tmp/selftest.dmesg "selftest with flowlane" || exit 1
fi
[ "$rc" -eq 0 ] && [ "$pass" -eq 11 ] && [ "$fail" -eq 0 ] || { tail -n 30 "$dir/out.txt"; exit 1; }
