// SPDX-License-Identifier: GPL-2.0
//
// `flowlane kernel status`: gather (sysfs, procfs per namespace, debugfs),
// then render for a person or for a script. Gathering never fails as a whole:
// what cannot be read is said so next to what could.
#include "sim/cli/kernel_status.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace flsim {

namespace {

const char *const kReplaced[] = {"nf_flow_table_inet", "nft_flow_offload"};
const char *const kBeside[] = {"nf_flow_table", "act_ct"};

// ------------------------------------------------------------------ reading

bool read_text(const std::string &path, std::string &out)
{
	std::ifstream in(path);
	if (!in)
		return false;
	std::ostringstream s;
	s << in.rdbuf();
	out = s.str();
	return !in.bad();
}

std::string trimmed(std::string s)
{
	while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
		s.pop_back();
	return s;
}

bool exists(const std::string &path)
{
	struct stat sb;
	return stat(path.c_str(), &sb) == 0;
}

std::vector<std::string> dir_names(const std::string &dir)
{
	std::vector<std::string> names;
	DIR *d = opendir(dir.c_str());
	if (!d)
		return names;
	while (dirent *e = readdir(d))
		if (e->d_name[0] != '.')
			names.push_back(e->d_name);
	closedir(d);
	std::sort(names.begin(), names.end());
	return names;
}

void read_module(const KernelPaths &p, KernelStatus &st)
{
	const std::string mod = p.sys_module + "/flowlane";
	st.loaded = exists(mod);
	std::string v;
	if (read_text(mod + "/version", v))
		st.version = trimmed(v);
	if (read_text(mod + "/srcversion", v))
		st.srcversion = trimmed(v);
	if (read_text(mod + "/refcnt", v))
		st.users = stat_counter(trimmed(v));
	for (const char *m : kReplaced)
		if (exists(p.sys_module + "/" + m))
			st.stock_replaced.push_back(m);
	for (const char *m : kBeside)
		if (exists(p.sys_module + "/" + m))
			st.stock_beside.push_back(m);
}

void read_proc(const KernelPaths &p, NetnsStatus &ns)
{
	std::string text;
	if (!read_text(p.proc_flowlane, text)) {
		ns.error = "cannot read " + p.proc_flowlane + ": " + std::strerror(errno);
		return;
	}
	ns.proc = parse_proc_flowlane(text);
}

struct NsId {
	dev_t dev = 0;
	ino_t ino = 0;
	bool operator==(const NsId &o) const { return dev == o.dev && ino == o.ino; }
};

std::optional<NsId> ns_id(const std::string &path)
{
	struct stat sb;
	if (stat(path.c_str(), &sb))
		return std::nullopt;
	return NsId{sb.st_dev, sb.st_ino};
}

// Enter the namespace at PATH, read it, come back to SELF_FD. Returns false
// only when coming back failed (the caller must not read on).
bool visit_netns(const KernelPaths &p, const std::string &path, int self_fd, NetnsStatus &ns)
{
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ns.error = std::string("cannot open ") + path + ": " + std::strerror(errno);
		return true;
	}
	if (setns(fd, CLONE_NEWNET)) {
		ns.error = std::string("cannot enter: ") + std::strerror(errno);
		close(fd);
		return true;
	}
	close(fd);
	read_proc(p, ns);
	if (setns(self_fd, CLONE_NEWNET)) {
		ns.error = std::string("cannot return to the original namespace: ") + std::strerror(errno);
		return false;
	}
	return true;
}

void read_namespaces(const KernelPaths &p, const std::string &only, KernelStatus &st)
{
	NetnsStatus current;
	current.current = true;
	std::optional<NsId> self = ns_id(p.self_netns);
	std::vector<std::string> named = p.netns_dir.empty() ? std::vector<std::string>{} : dir_names(p.netns_dir);
	if (!only.empty() && std::find(named.begin(), named.end(), only) == named.end()) {
		st.netns_note = "no network namespace named " + only + " in " + p.netns_dir;
		return;
	}
	std::vector<std::string> others;
	for (const std::string &n : named) {
		std::optional<NsId> id = ns_id(p.netns_dir + "/" + n);
		if (self && id && *self == *id)
			current.name = n;
		else if (only.empty() || n == only)
			others.push_back(n);
	}
	if (only.empty() || only == current.name) {
		read_proc(p, current);
		st.namespaces.push_back(current);
	}
	if (others.empty())
		return;
	if (geteuid() != 0) {
		st.netns_note = "only the current network namespace: entering the " + std::to_string(others.size()) +
				" others in " + p.netns_dir + " needs root";
		return;
	}
	int self_fd = open(p.self_netns.c_str(), O_RDONLY | O_CLOEXEC);
	if (self_fd < 0) {
		st.netns_note = "cannot open " + p.self_netns + ": " + std::strerror(errno);
		return;
	}
	for (const std::string &n : others) {
		NetnsStatus ns;
		ns.name = n;
		bool back = visit_netns(p, p.netns_dir + "/" + n, self_fd, ns);
		st.namespaces.push_back(ns);
		if (!back)
			break;
	}
	close(self_fd);
}

void read_debugfs(const KernelPaths &p, KernelStatus &st)
{
	if (!exists(p.debugfs)) {
		st.debugfs_note = p.debugfs + " is not there (" +
				  (geteuid() ? std::string("debugfs needs root") : std::string("is debugfs mounted?")) + ")";
		return;
	}
	for (const std::string &name : dir_names(p.debugfs)) {
		std::string text;
		if (!read_text(p.debugfs + "/" + name, text)) {
			st.debugfs_note += (st.debugfs_note.empty() ? "" : "; ") + std::string("cannot read ") + p.debugfs +
					   "/" + name + ": " + std::strerror(errno);
			continue;
		}
		st.debugfs.push_back({name, parse_stat_text(text)});
	}
}

// ------------------------------------------------------------------ text

std::string join(const std::vector<std::string> &items)
{
	std::string s;
	for (const std::string &i : items)
		s += (s.empty() ? "" : ", ") + i;
	return s;
}

std::string join_pairs(const std::vector<StatPair> &pairs)
{
	std::string s;
	for (const StatPair &p : pairs)
		s += (s.empty() ? "" : ", ") + p.key + (p.value.empty() ? "" : " " + p.value);
	return s;
}

// Slowpath reasons: the ones that happened, most frequent first.
std::string slowpath_text(const std::vector<StatPair> &pairs)
{
	std::vector<StatPair> seen;
	size_t zero = 0;
	for (const StatPair &p : pairs) {
		if (stat_counter(p.value) == uint64_t{0})
			zero++;
		else
			seen.push_back(p);
	}
	std::stable_sort(seen.begin(), seen.end(), [](const StatPair &a, const StatPair &b) {
		return stat_counter(a.value).value_or(0) > stat_counter(b.value).value_or(0);
	});
	std::string s = seen.empty() ? "none" : join_pairs(seen);
	if (zero && !seen.empty())
		s += " (" + std::to_string(zero) + " other reasons 0)";
	return s;
}

std::string group_text(const StatGroup &g)
{
	std::string body = g.section == "slowpath" ? slowpath_text(g.pairs) : join_pairs(g.pairs);
	return g.section.empty() ? body : g.section + ": " + body;
}

// Consecutive lines that are one group led by the same word read as one
// (debugfs prints `slowpath REASON N` once per reason).
std::vector<StatLine> merge_runs(const std::vector<StatLine> &lines, size_t from)
{
	std::vector<StatLine> out;
	auto single = [](const StatLine &l) { return l.groups.size() == 1 && !l.groups[0].section.empty(); };
	for (size_t i = from; i < lines.size(); i++) {
		const StatLine &l = lines[i];
		if (single(l) && !out.empty() && single(out.back()) &&
		    out.back().groups[0].section == l.groups[0].section) {
			std::vector<StatPair> &to = out.back().groups[0].pairs;
			to.insert(to.end(), l.groups[0].pairs.begin(), l.groups[0].pairs.end());
		} else {
			out.push_back(l);
		}
	}
	return out;
}

// Lines as printed by the kernel, a line's groups joined with "; ".
void lines_text(std::ostringstream &o, const std::vector<StatLine> &lines, size_t from, const char *indent)
{
	for (const StatLine &l : merge_runs(lines, from)) {
		std::string s;
		for (const StatGroup &g : l.groups)
			s += (s.empty() ? "" : "; ") + group_text(g);
		o << indent << s << '\n';
	}
}

std::string netns_label(const NetnsStatus &ns)
{
	if (ns.current)
		return ns.name.empty() ? "netns (current)" : "netns " + ns.name + " (current)";
	return "netns " + ns.name;
}

std::string plural(size_t n, const char *what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }

void namespace_text(std::ostringstream &o, const NetnsStatus &ns)
{
	o << '\n' << netns_label(ns) << ": ";
	if (!ns.error.empty()) {
		o << ns.error << '\n';
		return;
	}
	o << (ns.proc.flowtables.empty() ? "no flowtables" : plural(ns.proc.flowtables.size(), "flowtable")) << '\n';
	for (const KernelFlowtable &ft : ns.proc.flowtables) {
		o << "  " << ft.family << ' ' << ft.table << ' ' << ft.name << ": ";
		std::string head;
		if (!ft.lines.empty())
			for (const StatGroup &g : ft.lines[0].groups)
				head += (head.empty() ? "" : "; ") + group_text(g);
		o << head << '\n';
		lines_text(o, ft.lines, 1, "    ");
	}
	for (const std::string &l : ns.proc.other)
		o << "  " << l << '\n';
}

// ------------------------------------------------------------------ json

std::string jstr(const std::string &in)
{
	std::string o = "\"";
	for (unsigned char c : in) {
		switch (c) {
		case '"': o += "\\\""; break;
		case '\\': o += "\\\\"; break;
		case '\n': o += "\\n"; break;
		case '\t': o += "\\t"; break;
		default:
			if (c < 0x20) {
				char b[8];
				std::snprintf(b, sizeof(b), "\\u%04x", c);
				o += b;
			} else {
				o += static_cast<char>(c);
			}
		}
	}
	return o + "\"";
}

// A counter as a number, anything else as a string.
std::string jvalue(const std::string &v)
{
	if (auto n = stat_counter(v))
		return std::to_string(*n);
	return jstr(v);
}

// An object with members in the order added; a key met twice gets "#2", "#3".
class JsonObject {
public:
	void add(const std::string &key, const std::string &json)
	{
		std::string k = key;
		for (int n = 2; has(k); n++)
			k = key + "#" + std::to_string(n);
		members_.push_back({k, json});
	}
	std::string str() const
	{
		std::string s = "{";
		for (size_t i = 0; i < members_.size(); i++)
			s += (i ? "," : "") + jstr(members_[i].first) + ":" + members_[i].second;
		return s + "}";
	}

private:
	bool has(const std::string &k) const
	{
		return std::any_of(members_.begin(), members_.end(), [&](const auto &m) { return m.first == k; });
	}
	std::vector<std::pair<std::string, std::string>> members_;
};

std::string jarray(const std::vector<std::string> &items)
{
	std::string s = "[";
	for (size_t i = 0; i < items.size(); i++)
		s += (i ? "," : "") + items[i];
	return s + "]";
}

std::vector<std::string> jstrings(const std::vector<std::string> &v)
{
	std::vector<std::string> out;
	for (const std::string &s : v)
		out.push_back(jstr(s));
	return out;
}

// Unlabelled pairs as members, each section as one object of its pairs.
std::string stats_json(const std::vector<StatLine> &lines)
{
	JsonObject o;
	std::vector<std::string> sections;
	for (const StatLine &l : lines)
		for (const StatGroup &g : l.groups) {
			if (g.section.empty()) {
				for (const StatPair &p : g.pairs)
					o.add(p.key, jvalue(p.value));
			} else if (std::find(sections.begin(), sections.end(), g.section) == sections.end()) {
				sections.push_back(g.section);
			}
		}
	for (const std::string &sec : sections) {
		JsonObject s;
		for (const StatPair &p : section_pairs(lines, sec))
			s.add(p.key, jvalue(p.value));
		o.add(sec, s.str());
	}
	return o.str();
}

std::string flowtable_json(const KernelFlowtable &ft)
{
	JsonObject o;
	o.add("family", jstr(ft.family));
	o.add("table", jstr(ft.table));
	o.add("name", jstr(ft.name));
	o.add("stats", stats_json(ft.lines));
	return o.str();
}

std::string namespace_json(const NetnsStatus &ns)
{
	JsonObject o;
	o.add("name", ns.name.empty() ? "null" : jstr(ns.name));
	o.add("current", ns.current ? "true" : "false");
	o.add("error", ns.error.empty() ? "null" : jstr(ns.error));
	std::vector<std::string> fts;
	for (const KernelFlowtable &ft : ns.proc.flowtables)
		fts.push_back(flowtable_json(ft));
	o.add("flowtables", jarray(fts));
	o.add("other", jarray(jstrings(ns.proc.other)));
	return o.str();
}

std::string nft_uses(const KernelStatus &st)
{
	if (st.loaded && st.stock_replaced.empty())
		return "flowlane";
	if (st.loaded)
		return "unknown";
	return st.stock_replaced.empty() ? "none" : "stock";
}

} // namespace

// ------------------------------------------------------------------ API

KernelStatus read_kernel_status(const KernelPaths &paths, const std::string &only_netns)
{
	KernelStatus st;
	read_module(paths, st);
	if (!st.loaded)
		return st;
	read_namespaces(paths, only_netns, st);
	read_debugfs(paths, st);
	return st;
}

std::string not_loaded_message(const KernelStatus &st)
{
	if (st.loaded)
		return "";
	std::string m = "flowlane: the flowlane kernel module is not loaded (no /sys/module/flowlane)";
	if (!st.stock_replaced.empty())
		m += "; nft's flowtables run on the stock modules (" + join(st.stock_replaced) + ")";
	return m + "\nWith flowlane-dkms installed, nft -f of a ruleset with a flowtable loads it; or: modprobe flowlane\n";
}

std::string render_status_text(const KernelStatus &st)
{
	std::ostringstream o;
	o << "flowlane kernel module" << (st.version.empty() ? "" : " " + st.version) << ": loaded";
	if (st.users)
		o << ", " << plural(*st.users, "user");
	if (st.stock_replaced.empty())
		o << "; nft's flowtables run on flowlane\n";
	else
		o << "\nwarning: " << join(st.stock_replaced)
		  << " loaded too: nft uses whichever registered first (see Documentation/install.rst)\n";
	if (!st.stock_beside.empty())
		o << "beside it: " << join(st.stock_beside) << " (the stock flowtable core for tc's action ct and OVS)\n";
	if (!st.netns_note.empty())
		o << "note: " << st.netns_note << '\n';
	for (const NetnsStatus &ns : st.namespaces)
		namespace_text(o, ns);
	for (const DebugfsFile &f : st.debugfs) {
		o << '\n' << (f.name == "totals" ? "all namespaces, deleted flowtables included" : f.name) << " (debugfs "
		  << f.name << "):\n";
		lines_text(o, f.lines, 0, "  ");
	}
	if (!st.debugfs_note.empty())
		o << "\nnote: " << st.debugfs_note << '\n';
	return o.str();
}

std::string render_status_json(const KernelStatus &st)
{
	JsonObject mod;
	mod.add("loaded", st.loaded ? "true" : "false");
	mod.add("version", st.version.empty() ? "null" : jstr(st.version));
	mod.add("srcversion", st.srcversion.empty() ? "null" : jstr(st.srcversion));
	mod.add("users", st.users ? std::to_string(*st.users) : "null");
	mod.add("nft_uses", jstr(nft_uses(st)));
	mod.add("stock_replaced_loaded", jarray(jstrings(st.stock_replaced)));
	mod.add("stock_beside_loaded", jarray(jstrings(st.stock_beside)));
	JsonObject o;
	o.add("module", mod.str());
	std::vector<std::string> nss;
	for (const NetnsStatus &ns : st.namespaces)
		nss.push_back(namespace_json(ns));
	o.add("namespaces", jarray(nss));
	o.add("netns_note", st.netns_note.empty() ? "null" : jstr(st.netns_note));
	JsonObject dbg;
	for (const DebugfsFile &f : st.debugfs)
		dbg.add(f.name, stats_json(f.lines));
	o.add("debugfs", dbg.str());
	o.add("debugfs_note", st.debugfs_note.empty() ? "null" : jstr(st.debugfs_note));
	return o.str() + "\n";
}

int kernel_command(const std::vector<std::string> &args, const KernelPaths &paths)
{
	const char *usage = "usage: flowlane kernel status [--json] [--netns NAME]\n";
	if (args.empty() || args[0] != "status") {
		std::fprintf(stderr, "flowlane: %s%s", args.empty() ? "kernel needs a subcommand\n" :
			     ("unknown kernel subcommand " + args[0] + "\n").c_str(), usage);
		return 2;
	}
	bool json = false;
	std::string only;
	for (size_t i = 1; i < args.size(); i++) {
		if (args[i] == "--json") {
			json = true;
		} else if (args[i] == "--netns") {
			if (i + 1 == args.size()) {
				std::fprintf(stderr, "flowlane: kernel status: --netns needs a name\n%s", usage);
				return 2;
			}
			only = args[++i];
		} else {
			std::fprintf(stderr, "flowlane: kernel status: unknown option %s\n%s", args[i].c_str(), usage);
			return 2;
		}
	}
	KernelStatus st = read_kernel_status(paths, only);
	std::fputs((json ? render_status_json(st) : (st.loaded ? render_status_text(st) : "")).c_str(), stdout);
	if (!st.loaded) {
		std::fputs(not_loaded_message(st).c_str(), stderr);
		return 1;
	}
	if (!only.empty() && st.namespaces.empty()) {
		std::fprintf(stderr, "flowlane: %s\n", st.netns_note.c_str());
		return 1;
	}
	return 0;
}

} // namespace flsim
