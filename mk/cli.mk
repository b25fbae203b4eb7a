# SPDX-License-Identifier: GPL-2.0
# The flowlane command line, driven as users drive it (testing/tests/cli).
CLI_TEST_PACKAGES := tcpdump iproute2 python3
.PHONY: check-cli
check-cli: $(REL)/flowlane
	@scripts/need-packages $(CLI_TEST_PACKAGES)
	@echo "--- simulator layers"
	testing/tests/sim/layers.sh
	@echo "--- CLI"
	testing/tests/cli/cli_test.sh $(TOP)/$(REL)/flowlane
CHECK_TARGETS += check-cli
