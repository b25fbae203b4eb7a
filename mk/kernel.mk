# SPDX-License-Identifier: GPL-2.0
# The kernel side: flowlane.ko for Debian's 6.1 kernel, the guest tests and KUnit.
KERNEL_PACKAGES := linux-headers-amd64 linux-image-amd64 linux-source-6.1 g++ make bc flex \
	bison libelf-dev libssl-dev python3 kmod cpio qemu-system-x86 busybox-static
GUEST_PACKAGES := nftables conntrack iproute2 iputils-ping netcat-openbsd socat procps
# Recursive: expanded in recipes, after $(BUILD)/.deps-kernel installed the kernel
# (testing/vm/run-guest discovers the same release itself).
GUEST_KVER ?= $(shell scripts/guest-kver)
KDIR ?= $(if $(wildcard /lib/modules/$(shell uname -r)/build/Makefile),/lib/modules/$(shell uname -r)/build,/usr/src/linux-headers-$(GUEST_KVER))

$(BUILD)/.deps-kernel: scripts/need-packages
	@mkdir -p $(@D)
	@scripts/need-packages $(KERNEL_PACKAGES) $(GUEST_PACKAGES)
	@touch $@

# The iproute2 plugin behind `ip link add A type ftnic peer name B`: ip loads
# link_ftnic.so from $IP_LIB_DIR (the guest tests point it at $(BUILD)/ip).
FTNIC_IPLIB := $(BUILD)/ip/link_ftnic.so
$(FTNIC_IPLIB): offload/ftnic/iproute2/link_ftnic.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -shared -fPIC -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -o $@ $<

.PHONY: module module-clean
module: $(BUILD)/.deps-kernel $(FTNIC_IPLIB)
	$(MAKE) -C $(KDIR) M=$(TOP) modules
	cp -f flowlane.ko $(BUILD)/flowlane.ko 2>/dev/null || true
	cp -f ftnic.ko $(BUILD)/ftnic.ko 2>/dev/null || true
	@nm -u flowlane.ko | awk '{print $$2}' > $(BUILD)/flowlane.undef
	@echo "flowlane.ko: $$(wc -l < $(BUILD)/flowlane.undef) undefined symbols, all resolved by the kernel (checked by modpost)"
	@echo "ftnic.ko: $$(nm -u ftnic.ko | wc -l) undefined symbols, all resolved by the kernel (checked by modpost)"

module-clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean >/dev/null 2>&1
	find nf_flow_table offload kunit -name '*.o' -o -name '.*.cmd' -o -name '*.mod*' | xargs rm -f

# Boot the guest, load flowlane.ko with its self-check, unload, clean dmesg.
.PHONY: vm-check
vm-check: module
	testing/vm/run-guest --timeout 600 kunit/guest/smoke.sh flowlane.ko

# The Linux 6.1 flowtable selftest with the stock modules (validates the runner).
.PHONY: vm-selftest-stock
vm-selftest-stock: $(BUILD)/.deps-kernel
	testing/vm/run-guest --timeout 1500 kunit/guest/selftest.sh "$$(scripts/fetch-selftest)" stock

# flowlane driven by nft: the Linux 6.1 flowtable selftest (11 PASS lines
# required) and flowlane's own scenarios, with the stock modules kept out.
.PHONY: vm-selftest vm-scenarios
vm-selftest: module
	testing/vm/run-guest --timeout 1500 kunit/guest/selftest.sh "$$(scripts/fetch-selftest)" flowlane
vm-scenarios: module
	testing/vm/run-guest --timeout 900 kunit/guest/scenarios.sh

# KUnit on UML and on x86_64 under QEMU (scratch kernel tree in FLOWLANE_CACHE).
.PHONY: kunit-um kunit-x86
kunit-um: $(BUILD)/.deps-kernel
	scripts/kunit-run um
kunit-x86: $(BUILD)/.deps-kernel
	scripts/kunit-run x86_64

# Everything kernel-side, one after the other (each boots its own guest).
.PHONY: check-kernel
check-kernel: module
	@failed=""; \
	for t in vm-check vm-coexist vm-scenarios vm-selftest kunit-um kunit-x86; do \
		echo "--- make $$t"; \
		$(MAKE) --no-print-directory $$t || failed="$$failed $$t"; \
	done; \
	echo "--- kernel summary: failed:$${failed:- none}"; \
	[ -z "$$failed" ]
CHECK_TARGETS += check-kernel
