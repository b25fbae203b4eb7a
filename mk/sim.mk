# SPDX-License-Identifier: GPL-2.0
# The simulator proven against the kernel (testing/tests/sim/equivalence): the
# same scenarios through `flowlane sim` and through a real router in a guest,
# with Linux's nf_flow_table and with flowlane.ko, compared frame by frame.
EQUIVALENCE_PACKAGES := tcpdump python3 conntrack nftables iproute2
.PHONY: vm-equivalence
vm-equivalence: module $(REL)/flowlane
	@scripts/need-packages $(EQUIVALENCE_PACKAGES)
	testing/tests/sim/equivalence/run.sh $(REL)/flowlane $(EQUIVALENCE_SCENARIOS)
