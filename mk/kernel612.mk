# SPDX-License-Identifier: GPL-2.0
# The same module on Debian 12's second kernel line, Linux 6.12 (make module
# builds for both; testing/vm/run-guest --kernel 6.12 boots it): the 6.12
# flowtable selftest with the stock modules and with flowlane, the load and
# self-check, the scenarios, and KUnit with 6.12's own kunit.py (UML only: on a
# fresh machine it is a whole kernel build, cached in FLOWLANE_CACHE after).

# Each kernel line's own nft_flowtable.sh runs in both guests: vm-selftest (6.1's
# in 6.1), vm-selftest-612 (6.12's in 6.12), and the two crossed runs.
.PHONY: vm-check-612 vm-selftest-612 vm-selftest-stock-612 vm-scenarios-612 kunit-um-612 kunit-x86-612 \
	vm-selftest-61-on-612 vm-selftest-612-on-61
vm-check-612: module
	testing/vm/run-guest --kernel 6.12 --timeout 600 kunit/guest/smoke.sh
vm-selftest-stock-612: $(BUILD)/.deps-kernel
	testing/vm/run-guest --kernel 6.12 --timeout 1500 kunit/guest/selftest.sh "$$(scripts/fetch-selftest 6.12)" stock
vm-selftest-612: module
	testing/vm/run-guest --kernel 6.12 --timeout 1500 kunit/guest/selftest.sh "$$(scripts/fetch-selftest 6.12)" flowlane
vm-selftest-61-on-612: module
	testing/vm/run-guest --kernel 6.12 --timeout 1500 kunit/guest/selftest.sh "$$(scripts/fetch-selftest 6.1)" flowlane
vm-selftest-612-on-61: module
	testing/vm/run-guest --kernel 6.1 --timeout 1500 kunit/guest/selftest.sh "$$(scripts/fetch-selftest 6.12)" flowlane
vm-scenarios-612: module
	testing/vm/run-guest --kernel 6.12 --timeout 900 kunit/guest/scenarios.sh
kunit-um-612: $(BUILD)/.deps-kernel
	scripts/kunit-run um 6.12
kunit-x86-612: $(BUILD)/.deps-kernel
	scripts/kunit-run x86_64 6.12
