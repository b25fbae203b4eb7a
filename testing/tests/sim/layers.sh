#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The simulator's floors, top to bottom: cli -> run -> router -> nft | net -> base.
# A room may include only itself and the floors below it, and the shipped
# product never includes the test rig. Prints each offending include.
set -u
cd "$(dirname "$0")/../../.."
allowed() {
	case $1 in
	base) echo "base" ;;
	net) echo "base net" ;;
	nft) echo "base nft" ;;
	router) echo "base net nft router" ;;
	run) echo "base net nft router run" ;;
	cli) echo "base net nft router run cli" ;;
	esac
}
bad=0
checked=0
for room in base net nft router run cli; do
	for f in $(find sim/$room -name '*.cpp' -o -name '*.h'); do
		checked=$((checked + 1))
		for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
			case $inc in
			testing/*)
				echo "$f: includes the test rig ($inc)"; bad=$((bad + 1)) ;;
			sim/*)
				to=$(echo "$inc" | cut -d/ -f2)
				case " $(allowed $room) " in
				*" $to "*) ;;
				*) echo "$f: $room must not depend on $to ($inc)"; bad=$((bad + 1)) ;;
				esac ;;
			esac
		done
	done
done
echo "layers: $checked files, $bad back-arrows"
[ "$bad" -eq 0 ]
