// SPDX-License-Identifier: GPL-2.0
//
// flowlane: what an nft flowtable ruleset does to traffic, on a simulated
// router running flowlane's core as its fastpath.
//
//   flowlane                      the embedded default scenario
//   flowlane sim -r RULESET (-t TOPOLOGY | --netns NAME) [-i DEV=PCAP]... [-c CONV]...
//                [-o OUTDIR] [--json] [--idle S] [--tcp-timeout S] [--udp-timeout S] [--no-trace]
//   flowlane check -r RULESET [-t TOPOLOGY]
//   flowlane kernel status [--json] [--netns NAME]   (sim/cli/kernel_status.h)
//   flowlane --help | --version
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/cli/kernel_status.h"
#include "sim/run/default_scenario.h"
#include "sim/net/netns_import.h"
#include "sim/router/router.h"
#include "sim/run/session.h"

using namespace flsim;

namespace {

// FLOWLANE_VERSION: PACKAGE_VERSION of dkms.conf, passed in by the Makefile.
constexpr const char *kVersion = "flowlane " FLOWLANE_VERSION;

constexpr const char *kUsage = R"(usage:
  flowlane                      run the embedded default scenario (the flowtables
                                article's client -- router -- server, TCP and UDP)
  flowlane sim -r RULESET (-t TOPOLOGY | --netns NAME) [options]
  flowlane check -r RULESET [-t TOPOLOGY]
  flowlane kernel status [--json] [--netns NAME]
                                what flowlane.ko does on this machine, per
                                namespace and flowtable (exit 1: not loaded)
  flowlane --help | --version

sim options:
  -r, --ruleset FILE     nft ruleset (nft -f syntax)
  -t, --topology FILE    iproute2 command lines: ip link/addr/route/neigh
      --netns NAME       import links, addresses, routes, neighbours of a live netns
  -i, --input DEV=PCAP   replay an Ethernet capture as received on DEV (repeatable)
  -c, --conversation C   generate a conversation (repeatable), e.g.
                           "tcp 10.0.1.2:40000 10.0.2.2:80 packets 10 size 500"
                           "udp [2001:db8:1::2]:5000 [2001:db8:2::2]:53 close none"
                         options: packets N, size BYTES, gap MS, close fin|rst|none
  -o, --outdir DIR       write what leaves each device to DIR/DEV.pcap
      --inputs           with -o, also what arrived on each device: DIR/DEV.in.pcap
      --json             machine-readable output on stdout
      --idle S           afterwards let S seconds of virtual time pass (default 35)
      --tcp-timeout S    flowtable TCP timeout (default 30)
      --udp-timeout S    flowtable UDP timeout (default 30)
      --no-trace         leave out the per-packet trace
      --progress         progress line on stderr (default when stderr is a terminal)

check: parse and validate RULESET (and with -t, that its devices exist);
exit status 0 when valid, 1 with a file:line:col error otherwise.
)";

struct Args {
	std::string cmd;
	std::string ruleset, topology, netns, outdir;
	std::vector<std::pair<std::string, std::string>> pcaps;
	std::vector<std::string> convs;
	bool json = false, trace = true, progress = false, inputs = false;
	uint32_t idle = 35, tcp_timeout = 0, udp_timeout = 0;
};

[[noreturn]] void usage_error(const std::string &msg)
{
	std::fprintf(stderr, "flowlane: %s\n(flowlane --help shows the usage)\n", msg.c_str());
	std::exit(2);
}

uint32_t seconds(const std::string &opt, const std::string &v)
{
	char *end = nullptr;
	unsigned long n = std::strtoul(v.c_str(), &end, 10);
	if (v.empty() || *end || n > 86400 * 365)
		usage_error(opt + ": expected seconds, got \"" + v + "\"");
	return static_cast<uint32_t>(n);
}

Args parse_args(int argc, char **argv)
{
	Args a;
	a.progress = isatty(2);
	int i = 1;
	if (i < argc && argv[i][0] != '-')
		a.cmd = argv[i++];
	auto value = [&](const std::string &opt) -> std::string {
		if (i + 1 >= argc)
			usage_error(opt + " needs a value");
		return argv[++i];
	};
	for (; i < argc; i++) {
		std::string o = argv[i];
		if (o == "-r" || o == "--ruleset")
			a.ruleset = value(o);
		else if (o == "-t" || o == "--topology")
			a.topology = value(o);
		else if (o == "--netns")
			a.netns = value(o);
		else if (o == "-o" || o == "--outdir")
			a.outdir = value(o);
		else if (o == "-c" || o == "--conversation")
			a.convs.push_back(value(o));
		else if (o == "-i" || o == "--input") {
			std::string v = value(o);
			size_t eq = v.find('=');
			if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
				usage_error(o + ": expected DEV=PCAP, got \"" + v + "\"");
			a.pcaps.push_back({v.substr(0, eq), v.substr(eq + 1)});
		} else if (o == "--json")
			a.json = true;
		else if (o == "--inputs")
			a.inputs = true;
		else if (o == "--no-trace")
			a.trace = false;
		else if (o == "--progress")
			a.progress = true;
		else if (o == "--idle")
			a.idle = seconds(o, value(o));
		else if (o == "--tcp-timeout")
			a.tcp_timeout = seconds(o, value(o));
		else if (o == "--udp-timeout")
			a.udp_timeout = seconds(o, value(o));
		else
			usage_error("unknown option " + o);
	}
	return a;
}

template <typename T> bool failed(Parsed<T> &p)
{
	if (auto *d = std::get_if<Diag>(&p)) {
		std::fprintf(stderr, "flowlane: %s\n", d->str().c_str());
		return true;
	}
	return false;
}

std::string describe_topology(const Topology &t)
{
	std::ostringstream s;
	for (const Link &l : t.links) {
		s << l.ifindex << ": " << l.name << " (" << l.kind;
		if (l.kind == "vlan")
			s << " id " << l.vlan_id << " on " << l.parent;
		s << ") mtu " << l.mtu << ' ' << mac_str(l.mac) << (l.master.empty() ? "" : " master " + l.master);
		for (const Address &a : t.addrs)
			if (a.dev == l.name)
				s << ' ' << a.addr.str() << '/' << a.plen;
		s << '\n';
	}
	for (const Route &r : t.routes)
		s << "route " << (r.plen ? r.dst.str() + "/" + std::to_string(r.plen) : "default")
		  << (r.has_via ? " via " + r.via.str() : "") << (r.dev.empty() ? "" : " dev " + r.dev) << '\n';
	for (const Neighbor &n : t.neighs)
		s << "neigh " << n.addr.str() << " lladdr " << mac_str(n.mac) << " dev " << n.dev << '\n';
	return s.str();
}

void section(const std::string &title) { std::cout << "\n== " << title << '\n'; }

int run_sim(Ruleset rs, Topology topo, const std::vector<Conversation> &convs, const Args &a,
	    const std::string &title)
{
	RouterOptions ro;
	ro.tcp_timeout_s = a.tcp_timeout;
	ro.udp_timeout_s = a.udp_timeout;
	std::string rs_text = format_ruleset(rs), topo_text = describe_topology(topo);
	auto router = Router::create(std::move(rs), std::move(topo), ro);
	if (failed(router))
		return 1;
	Router &r = *std::get<std::unique_ptr<Router>>(router);
	SessionOptions so;
	so.pcaps = a.pcaps;
	so.conversations = convs;
	so.idle_s = a.idle;
	so.outdir = a.outdir;
	so.inputs = a.inputs;
	so.progress = a.progress && !a.json;
	Session session(r);
	std::string err = session.run(so);
	if (!err.empty()) {
		std::fprintf(stderr, "flowlane: %s\n", err.c_str());
		return 1;
	}
	if (a.json) {
		std::cout << session.json();
		return 0;
	}
	std::cout << kVersion << ": " << title << '\n';
	section("ruleset (nft list ruleset, before the traffic)");
	std::cout << rs_text;
	section("topology");
	std::cout << topo_text;
	if (a.trace) {
		section("trace: every packet the router received, the path it took and why");
		std::cout << session.trace_text();
	}
	for (const Snapshot &s : session.snapshots()) {
		char t[32];
		std::snprintf(t, sizeof(t), "%.3f", static_cast<double>(s.t_ms) / 1000.0);
		section(std::string("conntrack -L at ") + t + " s, " + s.label);
		std::cout << s.conntrack;
		std::cout << s.flowtables;
		if (!s.tc.empty())
			std::cout << s.tc;
	}
	section("nft list ruleset (counters after the run)");
	std::cout << format_ruleset(r.ruleset());
	if (std::string c = r.counters_list(); !c.empty()) {
		section("nft list counters");
		std::cout << c;
	}
	section("summary");
	std::cout << session.summary_text();
	return 0;
}

int cmd_default(const Args &a)
{
	const ScenarioText &sc = default_scenario();
	auto rs = parse_ruleset(sc.ruleset, "<default ruleset>");
	auto topo = parse_topology(sc.topology, "<default topology>");
	if (failed(rs) || failed(topo))
		return 1;
	std::vector<Conversation> convs;
	for (size_t i = 0; i < sc.conversations.size(); i++) {
		auto c = parse_conversation(sc.conversations[i], "<default conversation>");
		if (failed(c))
			return 1;
		convs.push_back(std::get<Conversation>(c));
	}
	return run_sim(std::get<Ruleset>(std::move(rs)), std::get<Topology>(std::move(topo)), convs, a, sc.title);
}

Parsed<Topology> load_any_topology(const Args &a)
{
	if (!a.netns.empty())
		return import_netns(a.netns);
	return load_topology(a.topology);
}

int cmd_sim(const Args &a)
{
	if (a.ruleset.empty())
		usage_error("sim needs -r RULESET");
	if (a.topology.empty() == a.netns.empty())
		usage_error("sim needs exactly one of -t TOPOLOGY and --netns NAME");
	auto rs = load_ruleset(a.ruleset);
	if (failed(rs))
		return 1;
	auto topo = load_any_topology(a);
	if (failed(topo))
		return 1;
	std::vector<Conversation> convs;
	for (size_t i = 0; i < a.convs.size(); i++) {
		auto c = parse_conversation(a.convs[i], "-c #" + std::to_string(i + 1));
		if (failed(c))
			return 1;
		convs.push_back(std::get<Conversation>(c));
	}
	if (convs.empty() && a.pcaps.empty())
		usage_error("sim needs traffic: -i DEV=PCAP or -c CONVERSATION");
	std::string title = a.ruleset + " on " + (a.netns.empty() ? a.topology : "netns " + a.netns);
	return run_sim(std::get<Ruleset>(std::move(rs)), std::get<Topology>(std::move(topo)), convs, a, title);
}

int cmd_check(const Args &a)
{
	if (a.ruleset.empty())
		usage_error("check needs -r RULESET");
	auto rs = load_ruleset(a.ruleset);
	if (failed(rs))
		return 1;
	Ruleset &r = std::get<Ruleset>(rs);
	size_t fts = 0, chains = 0, rules = 0;
	for (const Table &t : r.tables) {
		fts += t.flowtables.size();
		chains += t.chains.size();
		for (const Chain &c : t.chains)
			rules += c.rules.size();
	}
	if (!a.topology.empty() || !a.netns.empty()) {
		auto topo = load_any_topology(a);
		if (failed(topo))
			return 1;
		auto router = Router::create(r, std::get<Topology>(std::move(topo)));
		if (failed(router))
			return 1;
	}
	std::printf("%s: ok: %zu tables, %zu flowtables, %zu chains, %zu rules\n", a.ruleset.c_str(),
		    r.tables.size(), fts, chains, rules);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
			std::fputs(kUsage, stdout);
			return 0;
		}
		if (!std::strcmp(argv[i], "--version") || !std::strcmp(argv[i], "-V")) {
			std::puts(kVersion);
			return 0;
		}
	}
	if (argc > 1 && !std::strcmp(argv[1], "kernel"))
		return kernel_command(std::vector<std::string>(argv + 2, argv + argc));
	Args a = parse_args(argc, argv);
	if (a.cmd.empty()) {
		if (!a.ruleset.empty() || !a.topology.empty() || !a.netns.empty() || !a.pcaps.empty() || !a.convs.empty())
			usage_error("options need a command: flowlane sim ... or flowlane check ...");
		return cmd_default(a);
	}
	if (a.cmd == "sim")
		return cmd_sim(a);
	if (a.cmd == "check")
		return cmd_check(a);
	usage_error("unknown command " + a.cmd);
}
