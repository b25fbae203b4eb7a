// SPDX-License-Identifier: GPL-2.0
//
// `flowlane kernel status` on captured text: /proc/net/flowlane and the debugfs
// totals as flowlane.ko prints them (taken from a guest run), the same with
// keys, lines and files the reader has never seen, malformed input, and the
// whole command on a directory laid out like /sys and /proc (module missing,
// stock modules loaded, everything there).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "sim/cli/kernel_status.h"

using namespace flsim;

namespace {

// /proc/net/flowlane of a router namespace after a 2 MB TCP transfer (guest capture).
const char *kProc = R"(flowtable ip filter f: flows 1 hits 261 added 1 exists 0 teardowns 0
  gc runs 9 expired 0 freed 0; buckets 16 resizes 0 failed 0
  slowpath not-ip 4 fragment 0 ip-options 0 ttl 0 malformed 0 not-tcp-udp 0 no-entry 3 teardown 0 mtu 0 tcp-fin-rst 0 route-stale 0 need-pull 0 no-headroom 0 not-writable 0
flowtable inet x f: flows 0 hits 0 added 0 exists 0 teardowns 0
  gc runs 2 expired 0 freed 0; buckets 16 resizes 0 failed 0
  slowpath not-ip 0 fragment 0 ip-options 0 ttl 0 malformed 0 not-tcp-udp 0 no-entry 0 teardown 0 mtu 0 tcp-fin-rst 0 route-stale 0 need-pull 0 no-headroom 0 not-writable 0
)";

// /sys/kernel/debug/flowlane/totals of the same run.
const char *kTotals = R"(flowtables 2 hits 261 added 1 exists 0 teardowns 0 gc_freed 0
slowpath not-ip 4
slowpath fragment 0
slowpath ip-options 0
slowpath no-entry 3
slowpath mtu 0
)";

struct TempTree {
	std::string root;
	TempTree()
	{
		char t[] = "/tmp/flowlane-kstatus-XXXXXX";
		REQUIRE(mkdtemp(t));
		root = t;
	}
	~TempTree() { REQUIRE(std::system(("rm -rf '" + root + "'").c_str()) == 0); }
	void write(const std::string &rel, const std::string &text) const
	{
		REQUIRE(std::system(("mkdir -p \"$(dirname '" + root + "/" + rel + "')\"").c_str()) == 0);
		std::ofstream(root + "/" + rel) << text;
	}
	void dir(const std::string &rel) const { REQUIRE(std::system(("mkdir -p '" + root + "/" + rel + "'").c_str()) == 0); }
	KernelPaths paths() const
	{
		KernelPaths p;
		p.sys_module = root + "/sys/module";
		p.debugfs = root + "/debug/flowlane";
		p.proc_flowlane = root + "/proc/net/flowlane";
		p.self_netns = root + "/proc/ns/net";
		p.netns_dir = "";
		return p;
	}
};

// Run kernel_command with stdout and stderr captured into files.
struct Captured {
	int status;
	std::string out, err;
};

std::string slurp(const std::string &path)
{
	std::ifstream in(path);
	return std::string(std::istreambuf_iterator<char>(in), {});
}

Captured run(const std::vector<std::string> &args, const KernelPaths &p, const TempTree &t)
{
	std::fflush(stdout);
	std::fflush(stderr);
	int out = dup(1), err = dup(2);
	REQUIRE(std::freopen((t.root + "/stdout").c_str(), "w", stdout));
	REQUIRE(std::freopen((t.root + "/stderr").c_str(), "w", stderr));
	int status = kernel_command(args, p);
	std::fflush(stdout);
	std::fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	return {status, slurp(t.root + "/stdout"), slurp(t.root + "/stderr")};
}

} // namespace

TEST_CASE("kernel stats: the module's /proc/net/flowlane, key by key", "[kstatus]")
{
	ProcFlowlane p = parse_proc_flowlane(kProc);
	REQUIRE(p.other.empty());
	REQUIRE(p.flowtables.size() == 2);
	const KernelFlowtable &ft = p.flowtables[0];
	CHECK(ft.family == "ip");
	CHECK(ft.table == "filter");
	CHECK(ft.name == "f");
	REQUIRE(ft.lines.size() == 3);
	CHECK(stat_value(ft.lines, "", "flows") == "1");
	CHECK(stat_value(ft.lines, "", "hits") == "261");
	CHECK(stat_value(ft.lines, "", "teardowns") == "0");
	CHECK(stat_value(ft.lines, "gc", "runs") == "9");
	// After the ';' the pairs lead with no word: they are the table's own.
	CHECK(stat_value(ft.lines, "", "buckets") == "16");
	CHECK(stat_value(ft.lines, "gc", "buckets") == std::nullopt);
	CHECK(section_pairs(ft.lines, "slowpath").size() == 14);
	CHECK(stat_value(ft.lines, "slowpath", "no-entry") == "3");
	CHECK(p.flowtables[1].family == "inet");
	CHECK(p.flowtables[1].table == "x");
}

TEST_CASE("kernel stats: unknown keys, lines and layouts pass through", "[kstatus]")
{
	ProcFlowlane p = parse_proc_flowlane("flowtable ip6 my table ft6: flows 3 hits 7 colour blue\n"
					     "  hw offloaded 2 pending 1 failed 0\n"
					     "  futureword\n"
					     "\n"
					     "flowtables seen by a newer module\n"
					     "  indented with no flowtable before? no: it belongs to ft6\n"
					     "flowtable broken-header without colon\n"
					     "flowtable ip t f:\n");
	REQUIRE(p.flowtables.size() == 2);
	const KernelFlowtable &ft = p.flowtables[0];
	CHECK(ft.family == "ip6");
	CHECK(ft.table == "my table");
	CHECK(ft.name == "ft6");
	CHECK(stat_value(ft.lines, "", "colour") == "blue");
	CHECK(stat_value(ft.lines, "hw", "offloaded") == "2");
	CHECK(stat_value(ft.lines, "hw", "pending") == "1");
	REQUIRE(ft.lines.size() == 4);
	CHECK(ft.lines[2].groups.at(0).section == "futureword");
	CHECK(ft.lines[2].groups.at(0).pairs.empty());
	REQUIRE(p.other.size() == 2);
	CHECK(p.other[0] == "flowtables seen by a newer module");
	CHECK(p.other[1] == "flowtable broken-header without colon");
	CHECK(p.flowtables[1].name == "f");
	CHECK(p.flowtables[1].lines.size() == 1);
	CHECK(p.flowtables[1].lines[0].groups.empty());
}

TEST_CASE("kernel stats: malformed text never breaks the reader", "[kstatus]")
{
	CHECK(parse_proc_flowlane("").flowtables.empty());
	CHECK(parse_proc_flowlane("  indented first\n").other.size() == 1);
	CHECK(parse_proc_flowlane("flowtable\n").other.size() == 1);
	CHECK(parse_proc_flowlane("flowtable ip:\n").other.size() == 1);
	// Odd word counts lead with a word, even ones do not; empty groups vanish.
	StatLine l = parse_stat_line(";;; a ; b 1 c ; d 1 e 2;");
	REQUIRE(l.groups.size() == 3);
	CHECK(l.groups[0].section == "a");
	CHECK(l.groups[0].pairs.empty());
	CHECK(l.groups[1].section == "b");
	REQUIRE(l.groups[1].pairs.size() == 1);
	CHECK(l.groups[1].pairs[0].key == "1");
	CHECK(l.groups[1].pairs[0].value == "c");
	CHECK(l.groups[2].section == "");
	REQUIRE(l.groups[2].pairs.size() == 2);
	CHECK(l.groups[2].pairs[1].key == "e");
	CHECK(stat_counter("18446744073709551615") == UINT64_MAX);
	CHECK(stat_counter("18446744073709551616") == std::nullopt);
	CHECK(stat_counter("12a") == std::nullopt);
	CHECK(stat_counter("") == std::nullopt);
	std::string binary = "flowtable ip t f: flows \x01\xff hits 2\n  gc \"x\\ 1\n";
	ProcFlowlane b = parse_proc_flowlane(binary);
	REQUIRE(b.flowtables.size() == 1);
	KernelStatus st;
	st.loaded = true;
	st.namespaces.push_back({"", true, "", b});
	std::string json = render_status_json(st);
	CHECK(json.find("\"flows\":\"\\u0001\xff\"") != std::string::npos);
	CHECK(json.find("\"gc\":{\"\\\"x\\\\\":1}") != std::string::npos);
}

TEST_CASE("kernel status: text a person reads at a glance", "[kstatus]")
{
	KernelStatus st;
	st.loaded = true;
	st.version = "0.1.0";
	st.users = 4;
	st.stock_beside = {"nf_flow_table", "act_ct"};
	st.namespaces.push_back({"rt", true, "", parse_proc_flowlane(kProc)});
	st.namespaces.push_back({"empty", false, "", {}});
	st.namespaces.push_back({"gone", false, "cannot enter: Operation not permitted", {}});
	st.debugfs.push_back({"totals", parse_stat_text(kTotals)});
	std::string t = render_status_text(st);
	INFO(t);
	CHECK(t.find("flowlane kernel module 0.1.0: loaded, 4 users; nft's flowtables run on flowlane\n") == 0);
	CHECK(t.find("beside it: nf_flow_table, act_ct (the stock flowtable core") != std::string::npos);
	CHECK(t.find("\nnetns rt (current): 2 flowtables\n"
		     "  ip filter f: flows 1, hits 261, added 1, exists 0, teardowns 0\n"
		     "    gc: runs 9, expired 0, freed 0; buckets 16, resizes 0, failed 0\n"
		     "    slowpath: not-ip 4, no-entry 3 (12 other reasons 0)\n"
		     "  inet x f: flows 0, hits 0, added 0, exists 0, teardowns 0\n") != std::string::npos);
	CHECK(t.find("    slowpath: none\n") != std::string::npos);
	CHECK(t.find("\nnetns empty: no flowtables\n") != std::string::npos);
	CHECK(t.find("\nnetns gone: cannot enter: Operation not permitted\n") != std::string::npos);
	CHECK(t.find("all namespaces, deleted flowtables included (debugfs totals):\n"
		     "  flowtables 2, hits 261, added 1, exists 0, teardowns 0, gc_freed 0\n"
		     "  slowpath: not-ip 4, no-entry 3 (3 other reasons 0)\n") != std::string::npos);
	st.stock_replaced = {"nf_flow_table_inet"};
	CHECK(render_status_text(st).find("warning: nf_flow_table_inet loaded too") != std::string::npos);
}

TEST_CASE("kernel status: JSON for scripts, sections as objects, counters as numbers", "[kstatus]")
{
	KernelStatus st;
	st.loaded = true;
	st.version = "0.1.0";
	st.users = 1;
	st.namespaces.push_back({"", true, "", parse_proc_flowlane("flowtable inet x f: flows 2 hits 9 mode fast\n"
								    "  gc runs 1; buckets 16\n"
								    "  hw offloaded 2 state on\n"
								    "  slowpath no-entry 3\n"
								    "  slowpath mtu 1\n")});
	st.debugfs.push_back({"totals", parse_stat_text("flowtables 1 hits 9\nslowpath no-entry 3\n")});
	CHECK(render_status_json(st) ==
	      "{\"module\":{\"loaded\":true,\"version\":\"0.1.0\",\"srcversion\":null,\"users\":1,"
	      "\"nft_uses\":\"flowlane\",\"stock_replaced_loaded\":[],\"stock_beside_loaded\":[]},"
	      "\"namespaces\":[{\"name\":null,\"current\":true,\"error\":null,\"flowtables\":[{\"family\":\"inet\","
	      "\"table\":\"x\",\"name\":\"f\",\"stats\":{\"flows\":2,\"hits\":9,\"mode\":\"fast\",\"buckets\":16,"
	      "\"gc\":{\"runs\":1},\"hw\":{\"offloaded\":2,\"state\":\"on\"},\"slowpath\":{\"no-entry\":3,\"mtu\":1}}}],"
	      "\"other\":[]}],\"netns_note\":null,"
	      "\"debugfs\":{\"totals\":{\"flowtables\":1,\"hits\":9,\"slowpath\":{\"no-entry\":3}}},"
	      "\"debugfs_note\":null}\n");
	// A section named like a pair keeps both.
	KernelStatus c;
	c.loaded = true;
	c.namespaces.push_back({"", true, "", parse_proc_flowlane("flowtable ip t f: hw 1\n  hw state on\n")});
	CHECK(render_status_json(c).find("\"stats\":{\"hw\":1,\"hw#2\":{\"state\":\"on\"}}") != std::string::npos);
}

TEST_CASE("kernel status command: module missing, stock loaded, everything there", "[kstatus]")
{
	TempTree t;
	KernelPaths p = t.paths();
	t.dir("sys/module/nf_tables");

	Captured none = run({"status"}, p, t);
	CHECK(none.status == 1);
	CHECK(none.out.empty());
	CHECK(none.err.find("flowlane: the flowlane kernel module is not loaded (no /sys/module/flowlane)\n") == 0);

	t.dir("sys/module/nf_flow_table_inet");
	Captured stock = run({"status", "--json"}, p, t);
	CHECK(stock.status == 1);
	CHECK(stock.err.find("nft's flowtables run on the stock modules (nf_flow_table_inet)") != std::string::npos);
	CHECK(stock.out.find("\"loaded\":false") != std::string::npos);
	CHECK(stock.out.find("\"nft_uses\":\"stock\"") != std::string::npos);
	REQUIRE(rmdir((t.root + "/sys/module/nf_flow_table_inet").c_str()) == 0);

	t.write("sys/module/flowlane/version", "0.1.0\n");
	t.write("sys/module/flowlane/refcnt", "3\n");
	t.dir("sys/module/act_ct");
	t.dir("sys/module/nf_flow_table");
	t.write("proc/net/flowlane", kProc);
	t.write("debug/flowlane/totals", kTotals);
	Captured ok = run({"status"}, p, t);
	INFO(ok.out << ok.err);
	CHECK(ok.status == 0);
	CHECK(ok.err.empty());
	CHECK(ok.out.find("flowlane kernel module 0.1.0: loaded, 3 users; nft's flowtables run on flowlane") == 0);
	CHECK(ok.out.find("beside it: nf_flow_table, act_ct") != std::string::npos);
	CHECK(ok.out.find("ip filter f: flows 1, hits 261") != std::string::npos);

	Captured js = run({"status", "--json"}, p, t);
	CHECK(js.status == 0);
	CHECK(js.out.find("\"users\":3") != std::string::npos);
	CHECK(js.out.find("\"totals\":{\"flowtables\":2,\"hits\":261") != std::string::npos);

	// Without a readable /proc/net/flowlane the namespace says why; debugfs missing too.
	REQUIRE(unlink((t.root + "/proc/net/flowlane").c_str()) == 0);
	REQUIRE(std::system(("rm -rf '" + t.root + "/debug'").c_str()) == 0);
	Captured partial = run({"status"}, p, t);
	CHECK(partial.status == 0);
	CHECK(partial.out.find("netns (current): cannot read " + t.root + "/proc/net/flowlane") != std::string::npos);
	CHECK(partial.out.find("note: " + t.root + "/debug/flowlane is not there") != std::string::npos);

	CHECK(run({}, p, t).status == 2);
	CHECK(run({"stat"}, p, t).status == 2);
	CHECK(run({"status", "--netns"}, p, t).status == 2);
	Captured nons = run({"status", "--netns", "nosuch"}, p, t);
	CHECK(nons.status == 1);
	CHECK(nons.err.find("no network namespace named nosuch") != std::string::npos);
}
