// SPDX-License-Identifier: GPL-2.0
//
// How a fuzz target hands mk/fuzz.mk its seeds: run with FL_FUZZ_WRITE_SEEDS=DIR,
// LLVMFuzzerInitialize writes the target's seed inputs into DIR and exits.
#ifndef FLOWLANE_HARNESS_FUZZ_SEEDS_H
#define FLOWLANE_HARNESS_FUZZ_SEEDS_H

#include <cstdio>
#include <cstdlib>
#include <string>

namespace flfuzz {

// DIR/seedN for seed number @n.
inline std::string seed_path(const char *dir, int n) { return std::string(dir) + "/seed" + std::to_string(n); }

inline void write_seed(const char *dir, int n, const void *data, size_t size)
{
	if (FILE *fp = std::fopen(seed_path(dir, n).c_str(), "wb")) {
		std::fwrite(data, 1, size, fp);
		std::fclose(fp);
	}
}

// When FL_FUZZ_WRITE_SEEDS names a directory: @write(dir), then exit.
template <typename Fn> void write_seeds_if_asked(Fn write)
{
	if (const char *dir = std::getenv("FL_FUZZ_WRITE_SEEDS")) {
		write(dir);
		std::exit(0);
	}
}

} // namespace flfuzz

#endif // FLOWLANE_HARNESS_FUZZ_SEEDS_H
