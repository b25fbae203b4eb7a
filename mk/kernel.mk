# SPDX-License-Identifier: GPL-2.0
# The kernel side: flowlane.ko for Debian's 6.1 kernel, the guest tests and KUnit.
KERNEL_PACKAGES := linux-headers-amd64 linux-image-amd64 linux-source-6.1 g++ make bc flex \
	bison libelf-dev libssl-dev python3 kmod cpio qemu-system-x86 busybox-static
GUEST_PACKAGES := nftables conntrack iproute2 iputils-ping netcat-openbsd procps
GUEST_KVER ?= 6.1.0-56-amd64
KDIR ?= $(if $(wildcard /lib/modules/$(shell uname -r)/build/Makefile),/lib/modules/$(shell uname -r)/build,/usr/src/linux-headers-$(GUEST_KVER))

$(BUILD)/.deps-kernel: scripts/need-packages
	@mkdir -p $(@D)
	@scripts/need-packages $(KERNEL_PACKAGES) $(GUEST_PACKAGES)
	@touch $@

.PHONY: module module-clean
module: $(BUILD)/.deps-kernel
	$(MAKE) -C $(KDIR) M=$(TOP) modules
	cp -f flowlane.ko $(BUILD)/flowlane.ko 2>/dev/null || true
	@nm -u flowlane.ko | awk '{print $$2}' > $(BUILD)/flowlane.undef
	@echo "flowlane.ko: $$(wc -l < $(BUILD)/flowlane.undef) undefined symbols, all resolved by the kernel (checked by modpost)"

module-clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean >/dev/null 2>&1
	find nf_flow_table offload kunit -name '*.o' -o -name '.*.cmd' -o -name '*.mod*' | xargs rm -f

# Boot the guest, load flowlane.ko with its self-check, unload, clean dmesg.
.PHONY: vm-check
vm-check: module
	harness/vm/run-guest --timeout 600 kunit/guest/smoke.sh flowlane.ko

# The Linux 6.1 flowtable selftest with the stock modules (validates the runner).
.PHONY: vm-selftest-stock
vm-selftest-stock: $(BUILD)/.deps-kernel
	harness/vm/run-guest --timeout 1500 kunit/guest/selftest.sh "$$(scripts/fetch-selftest)" stock
