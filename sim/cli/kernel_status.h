// SPDX-License-Identifier: GPL-2.0
//
// `flowlane kernel status`: what flowlane.ko is doing on this machine. It
// reads /sys/module (is the module loaded, which stock flowtable modules are
// loaded beside it), /proc/net/flowlane of the current network namespace and,
// as root, of every namespace named in /run/netns (entered with setns), and the
// files under /sys/kernel/debug/flowlane; then prints them for a person or as
// JSON. Namespaces without a name in /run/netns (a container's) are not
// visited: run the command inside them (nsenter -n -t PID flowlane kernel status).
#ifndef FLOWLANE_SIM_CLI_KERNEL_STATUS_H
#define FLOWLANE_SIM_CLI_KERNEL_STATUS_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/cli/kernel_stats.h"

namespace flsim {

// Where the kernel's files are (tests point these into a directory of their own).
struct KernelPaths {
	std::string sys_module = "/sys/module";
	std::string debugfs = "/sys/kernel/debug/flowlane";
	// The calling thread's namespace: /proc/net follows the thread group leader.
	std::string proc_flowlane = "/proc/thread-self/net/flowlane";
	std::string self_netns = "/proc/thread-self/ns/net";
	// Named namespaces to visit; empty: only the current one.
	std::string netns_dir = "/run/netns";
};

struct NetnsStatus {
	std::string name; // empty for the current namespace when it has no name
	bool current = false;
	std::string error; // could not be entered or read
	ProcFlowlane proc;
};

struct DebugfsFile {
	std::string name;
	std::vector<StatLine> lines;
};

struct KernelStatus {
	bool loaded = false;
	std::string version, srcversion;
	std::optional<uint64_t> users; // references held on the module (nft objects)
	// Loaded modules of the stock flowtable: the two flowlane replaces, and
	// others it works beside (nf_flow_table, act_ct).
	std::vector<std::string> stock_replaced, stock_beside;
	std::vector<NetnsStatus> namespaces;
	std::string netns_note; // why namespaces were left out
	std::vector<DebugfsFile> debugfs;
	std::string debugfs_note;
};

// Read everything; ONLY_NETNS non-empty: just that namespace of NETNS_DIR.
KernelStatus read_kernel_status(const KernelPaths &paths, const std::string &only_netns);
std::string render_status_text(const KernelStatus &st);
std::string render_status_json(const KernelStatus &st);
// The message for a machine without the module (empty when it is loaded).
std::string not_loaded_message(const KernelStatus &st);

// `flowlane kernel ARGS...` (ARGS after "kernel"); returns the exit status.
int kernel_command(const std::vector<std::string> &args, const KernelPaths &paths = {});

} // namespace flsim

#endif // FLOWLANE_SIM_CLI_KERNEL_STATUS_H
