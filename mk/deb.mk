# SPDX-License-Identifier: GPL-2.0
# `make deb`: the Debian packages from a copy of the tracked sources (debian/,
# Documentation/install.rst). The version is scripts/flowlane-version's;
# debian/changelog is written from it at build time, dated by the last commit.
DEB_PACKAGES := debhelper dh-dkms dkms dpkg-dev fakeroot python3-docutils lintian
DEB_VERSION = $(shell scripts/flowlane-version)
DEB_DIR := $(BUILD)/deb
DEB_STAGE = $(DEB_DIR)/flowlane-$(DEB_VERSION)
DEB_MAINTAINER = $(shell sed -n 's/^Maintainer: //p' debian/control)
# Rebuilt when a source file changes (everything git tracks or would track).
DEB_SOURCES := $(wildcard $(shell git ls-files -co --exclude-standard 2>/dev/null | grep -v '^$(BUILD)/'))
DEB_STAMP := $(DEB_DIR)/.built
# DKMS's binary archive of the package's sources, built on this machine for
# every kernel line by check-deb (testing/tests/deb/deb_test.sh).
DKMS_TARBALL = $(DEB_DIR)/flowlane-$(DEB_VERSION).dkms.tar.gz

$(BUILD)/.deps-deb: scripts/need-packages mk/deb.mk
	@mkdir -p $(@D)
	@scripts/need-packages $(DEB_PACKAGES)
	@touch $@

.PHONY: deb check-deb
deb: $(DEB_STAMP)
$(DEB_STAMP): $(DEB_SOURCES) | $(BUILD)/.deps-deb
	@rm -rf $(DEB_DIR)
	@mkdir -p $(DEB_STAGE)
	@printf '%s\n' $(DEB_SOURCES) | cpio -pdm --quiet $(DEB_STAGE)
	@{ echo "flowlane ($(DEB_VERSION)) unstable; urgency=medium"; echo; \
	   echo "  * flowlane $(DEB_VERSION), from commit $$(git rev-parse --short HEAD 2>/dev/null || echo unknown)."; echo; \
	   echo " -- $(DEB_MAINTAINER)  $$(date -R -u -d @$$(git log -1 --format=%ct 2>/dev/null || date +%s))"; \
	 } > $(DEB_STAGE)/debian/changelog
	cd $(DEB_STAGE) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL DEB_BUILD_OPTIONS="parallel=$$(nproc) $$DEB_BUILD_OPTIONS" dpkg-buildpackage -b -us -uc > ../build.log 2>&1 || { tail -40 ../build.log; exit 1; }
	@ls -1 $(DEB_DIR)/*.deb
	@touch $@

# `make check-deb`: lintian on what `make deb` built, no error or warning
# beyond the overrides a package ships (debian/*.lintian-overrides, each with
# its reason; none today), then the packages unpacked and used, DKMS included.
check-deb: $(DEB_STAMP)
	lintian --fail-on error,warning --show-overrides $(DEB_DIR)/*.changes
	@echo "lintian: no errors or warnings"
	testing/tests/deb/deb_test.sh $(DEB_DIR) $(DEB_VERSION) $(DKMS_TARBALL)
CHECK_TARGETS += check-deb

$(DKMS_TARBALL): $(DEB_STAMP)
	$(MAKE) --no-print-directory check-deb
