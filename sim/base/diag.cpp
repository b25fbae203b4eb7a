// SPDX-License-Identifier: GPL-2.0
#include "sim/base/diag.h"

namespace flsim {

std::string Diag::str() const
{
	return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col) + ": " + msg;
}

} // namespace flsim
