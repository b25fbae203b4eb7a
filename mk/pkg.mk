# SPDX-License-Identifier: GPL-2.0
# Installing flowlane beside the rest of the kernel (Documentation/install.rst).
# (Included after kernel.mk, whose FTNIC_IPLIB `make install` depends on.)

# flowlane.ko beside nf_flow_table and act_ct: load order, the stock modules it
# replaces kept out, tc's action ct forwarding while nft runs on flowlane, and
# `flowlane kernel status` on the real module.
.PHONY: vm-coexist
vm-coexist: module $(REL)/flowlane
	testing/vm/run-guest --timeout 600 kunit/guest/coexist.sh

# The Debian packages installed in the guest for its kernel (kunit/guest/install.sh):
# DKMS installs flowlane, nft -f autoloads it, traffic takes its fastpath,
# `flowlane kernel status` shows it, dpkg -r unloads and removes it, the stock
# flowtable works again. The postinst loads DKMS's archive of check-deb's
# builds (same sources, same kernels) instead of compiling the C++ core under
# TCG; vm-install-build lets DKMS compile in the guest (not in make check).
.PHONY: vm-install vm-install-build
vm-install: $(DKMS_TARBALL) $(BUILD)/.deps-kernel
	testing/vm/run-guest --timeout 2400 kunit/guest/install.sh $(DEB_DIR) $(DEB_VERSION) $(DKMS_TARBALL)
vm-install-build: $(DEB_STAMP) $(BUILD)/.deps-kernel
	testing/vm/run-guest --timeout 3600 kunit/guest/install.sh $(DEB_DIR) $(DEB_VERSION)

# `make install` (DESTDIR, PREFIX, LIBDIR, IPLIBDIR): the flowlane command
# line, libflowlane for userspace dataplanes (shared and static library, the C
# API's headers, a pkg-config file) and the iproute2 plugin of the ftnic test
# NIC (`ip link add A type ftnic peer name B`; IPLIBDIR is where ip looks, its
# IP_LIB_DIR). The kernel modules install through DKMS.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
IPLIBDIR ?= $(LIBDIR)/ip
FLOWLANE_VERSION = $(shell scripts/flowlane-version)
LIBFLOWLANE_REAL = libflowlane.so.$(FLOWLANE_VERSION)

.PHONY: install
install: lib tools $(FTNIC_IPLIB)
	install -D -m755 $(REL)/flowlane $(DESTDIR)$(BINDIR)/flowlane
	install -D -m644 $(FTNIC_IPLIB) $(DESTDIR)$(IPLIBDIR)/link_ftnic.so
	install -D -m644 $(REL)/libflowlane.so $(DESTDIR)$(LIBDIR)/$(LIBFLOWLANE_REAL)
	ln -sf $(LIBFLOWLANE_REAL) $(DESTDIR)$(LIBDIR)/libflowlane.so.$(LIBFLOWLANE_SOVERSION)
	ln -sf libflowlane.so.$(LIBFLOWLANE_SOVERSION) $(DESTDIR)$(LIBDIR)/libflowlane.so
	install -m644 $(REL)/libflowlane.a $(DESTDIR)$(LIBDIR)/libflowlane.a
	install -d $(DESTDIR)$(INCLUDEDIR)/flowlane
	install -m644 include/flowlane/*.h $(DESTDIR)$(INCLUDEDIR)/flowlane/
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
		'Name: flowlane' \
		'Description: flowtable core (flow cache with NAT, TTL and transmit decisions) for userspace dataplanes' \
		'Version: $(FLOWLANE_VERSION)' 'Libs: -L$${libdir} -lflowlane' \
		'Requires.private: liburcu-memb' 'Libs.private: -lstdc++ -lpthread' 'Cflags: -I$${includedir}' \
		> $(DESTDIR)$(LIBDIR)/pkgconfig/flowlane.pc
