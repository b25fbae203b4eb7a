# SPDX-License-Identifier: GPL-2.0
# `make demo`: the main job, the flowlane CLI, on its embedded default scenario.
.PHONY: demo
demo: $(REL)/flowlane
	@$(REL)/flowlane
