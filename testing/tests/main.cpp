// SPDX-License-Identifier: GPL-2.0
// The one translation unit that instantiates Catch2's runner for flowlane_tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
