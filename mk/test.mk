# SPDX-License-Identifier: GPL-2.0
# Catch2 suite: one binary per build variant; `make check-unit` runs all three.
# TEST_ARGS narrows a run, e.g. make test-rel TEST_ARGS='[rhashtable]'.
TEST_ARGS ?=
# TSan: liburcu and libstdc++ are not instrumented; the suppressions file names what we accept.
TSAN_OPTIONS_ALL := halt_on_error=1 second_deadlock_stack=1 suppressions=$(TOP)/testing/tests/tsan.supp
ASAN_OPTIONS_ALL := detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
UBSAN_OPTIONS_ALL := print_stacktrace=1:halt_on_error=1

.PHONY: test-rel test-asan test-tsan check-unit
test-rel: $(BUILD)/rel/flowlane_tests
	@echo "--- Catch2 (release)"
	$< $(TEST_ARGS)
test-asan: $(BUILD)/asan/flowlane_tests
	@echo "--- Catch2 (ASan+UBSan)"
	ASAN_OPTIONS=$(ASAN_OPTIONS_ALL) UBSAN_OPTIONS=$(UBSAN_OPTIONS_ALL) $< $(TEST_ARGS)
test-tsan: $(BUILD)/tsan/flowlane_tests
	@echo "--- Catch2 (TSan)"
	TSAN_OPTIONS="$(TSAN_OPTIONS_ALL)" $< $(TEST_ARGS)
# Build the three binaries in parallel, then run them one after the other.
check-unit: $(BUILD)/rel/flowlane_tests $(BUILD)/asan/flowlane_tests $(BUILD)/tsan/flowlane_tests
	@$(MAKE) --no-print-directory test-rel
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-tsan
CHECK_TARGETS += check-unit
