/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything that differs between the kernels flowlane.ko is built for
 * (Debian's 6.1 and 6.12 lines). The core never sees any of it; the rest of
 * the shim uses these names and no version test of its own.
 */
#ifndef FLOWLANE_COMPAT_H
#define FLOWLANE_COMPAT_H

#include <linux/version.h>

/*
 * nf_tables' register-tracking pass (struct nft_expr_ops .reduce): 6.1 asks
 * every expression whether it writes registers (flow_offload writes none:
 * NFT_REDUCE_READONLY); 6.12 has no such pass.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define FLOWLANE_EXPR_OPS_REDUCE .reduce = NFT_REDUCE_READONLY,
#else
#define FLOWLANE_EXPR_OPS_REDUCE
#endif

#endif /* FLOWLANE_COMPAT_H */
