# SPDX-License-Identifier: GPL-2.0
# The core must build like kernel code and depend only on the boundary.
.PHONY: check-freestanding
check-freestanding: | $(DEPS_STAMP)
	scripts/check-freestanding $(BUILD)/freestanding $(CORE_SRCS)
CHECK_TARGETS += check-freestanding
