// SPDX-License-Identifier: GPL-2.0
//
// iproute2 command lines -> Topology: `ip link add/set`, `ip addr add`,
// `ip route add`, `ip neigh add`, with `-4`/`-6`/`-n NS` options. Every error
// names file, line and column.
#include "sim/net/topology.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace flsim {

bool IpAddr::operator==(const IpAddr &o) const
{
	return ipver == o.ipver && std::memcmp(b, o.b, ipver == 4 ? 4 : 16) == 0;
}

std::string IpAddr::str() const
{
	char buf[64];
	inet_ntop(ipver == 4 ? AF_INET : AF_INET6, b, buf, sizeof(buf));
	return buf;
}

bool parse_ip(const std::string &s, IpAddr &out)
{
	IpAddr a;
	if (inet_pton(AF_INET, s.c_str(), a.b) == 1) {
		a.ipver = 4;
	} else if (inet_pton(AF_INET6, s.c_str(), a.b) == 1) {
		a.ipver = 6;
	} else {
		return false;
	}
	out = a;
	return true;
}

bool parse_mac(const std::string &s, MacAddr &out)
{
	unsigned v[6];
	char tail;
	if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return false;
		out[i] = static_cast<uint8_t>(v[i]);
	}
	return true;
}

std::string mac_str(const MacAddr &m)
{
	char buf[32];
	std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

MacAddr default_mac(int ifindex)
{
	return {0x02, 0xf1, 0x00, 0x00, static_cast<uint8_t>(ifindex >> 8), static_cast<uint8_t>(ifindex)};
}

Link *Topology::link(const std::string &name)
{
	for (Link &l : links)
		if (l.name == name)
			return &l;
	return nullptr;
}

const Link *Topology::link(const std::string &name) const { return const_cast<Topology *>(this)->link(name); }

const Link *Topology::link(int ifindex) const
{
	for (const Link &l : links)
		if (l.ifindex == ifindex)
			return &l;
	return nullptr;
}

const Link *Topology::lower(const Link &l) const
{
	const Link *cur = &l;
	for (int depth = 0; depth < 4 && cur->kind == "vlan"; depth++) {
		const Link *p = link(cur->parent);
		if (!p)
			break;
		cur = p;
	}
	return cur;
}

bool Topology::is_up(const Link &l) const
{
	const Link *cur = &l;
	for (int depth = 0; depth < 4; depth++) {
		if (!cur->up)
			return false;
		if (cur->kind != "vlan")
			return true;
		cur = link(cur->parent);
		if (!cur)
			return false;
	}
	return true;
}

namespace {

struct Word {
	std::string text;
	int col;
};

struct TopoError {
	Diag diag;
};

class LineParser {
public:
	LineParser(Topology &t, std::string file, int line, std::vector<Word> words)
		: t_(t), file_(std::move(file)), line_(line), w_(std::move(words))
	{
	}

	void run()
	{
		if (peek() == "ip")
			i_++;
		while (i_ < w_.size() && !w_[i_].text.empty() && w_[i_].text[0] == '-') {
			std::string opt = w_[i_++].text;
			if (opt == "-4" || opt == "-6")
				continue;
			if (opt == "-n" || opt == "-netns") {
				take("a namespace name");
				continue;
			}
			fail(i_ - 1, "unknown option " + opt);
		}
		std::string obj = take("link, addr, route or neigh");
		if (obj == "link" || obj == "l")
			return link_cmd();
		if (obj == "addr" || obj == "address" || obj == "a")
			return addr_cmd();
		if (obj == "route" || obj == "r")
			return route_cmd();
		if (obj == "neigh" || obj == "neighbor" || obj == "n")
			return neigh_cmd();
		fail(i_ - 1, "expected link, addr, route or neigh, got '" + obj + "'");
	}

private:
	[[noreturn]] void fail(size_t idx, const std::string &msg)
	{
		int col = idx < w_.size() ? w_[idx].col
					  : (w_.empty() ? 1 : w_.back().col + static_cast<int>(w_.back().text.size()));
		throw TopoError{{{file_, line_, col}, msg}};
	}
	std::string peek() const { return i_ < w_.size() ? w_[i_].text : ""; }
	std::string take(const std::string &what)
	{
		if (i_ >= w_.size())
			fail(i_, "expected " + what + " at end of line");
		return w_[i_++].text;
	}
	int number(const std::string &what, int lo, int hi)
	{
		size_t at = i_;
		std::string s = take(what);
		char *end;
		long v = std::strtol(s.c_str(), &end, 10);
		if (*end || s.empty() || v < lo || v > hi)
			fail(at, "expected " + what + " (" + std::to_string(lo) + "-" + std::to_string(hi) + "), got '" +
					 s + "'");
		return static_cast<int>(v);
	}
	Link &existing(const std::string &what)
	{
		size_t at = i_;
		std::string name = take(what);
		Link *l = t_.link(name);
		if (!l)
			fail(at, "no such device: " + name);
		return *l;
	}
	void prefix(const std::string &what, IpAddr &addr, int &plen)
	{
		size_t at = i_;
		std::string s = take(what);
		if (s == "default") {
			addr = IpAddr{};
			addr.ipver = 0;
			plen = 0;
			return;
		}
		size_t slash = s.find('/');
		std::string a = s.substr(0, slash);
		if (!parse_ip(a, addr))
			fail(at, "bad address '" + a + "'");
		int max = addr.ipver == 4 ? 32 : 128;
		plen = max;
		if (slash != std::string::npos) {
			char *end;
			long v = std::strtol(s.c_str() + slash + 1, &end, 10);
			if (*end || v < 0 || v > max)
				fail(at, "bad prefix length in '" + s + "'");
			plen = static_cast<int>(v);
		}
	}

	// ---------------------------------------------------------------- link

	void link_cmd()
	{
		std::string verb = take("add or set");
		if (verb == "add")
			return link_add();
		if (verb == "set")
			return link_set();
		if (verb == "del" || verb == "delete")
			return link_del();
		fail(i_ - 1, "expected add, set or del after 'link', got '" + verb + "'");
	}

	void link_add()
	{
		Link l;
		l.loc = {file_, line_, w_[i_ < w_.size() ? i_ : 0].col};
		std::string kind;
		while (i_ < w_.size()) {
			std::string key = w_[i_].text;
			if (key == "link") {
				i_++;
				l.parent = existing("a parent device").name;
			} else if (key == "name") {
				i_++;
				l.name = take("a device name");
			} else if (key == "type") {
				i_++;
				kind = take("a link type");
				link_type(l, kind);
				break;
			} else if (key == "mtu") {
				i_++;
				l.mtu = number("an MTU", 68, 65535);
			} else if (key == "address") {
				i_++;
				size_t at = i_;
				if (!parse_mac(take("a MAC address"), l.mac))
					fail(at, "bad MAC address");
			} else if (key == "netns") {
				i_ += 2;
			} else if (l.name.empty()) {
				l.name = w_[i_++].text;
			} else {
				fail(i_, "unexpected '" + key + "'");
			}
		}
		if (l.name.empty())
			fail(i_, "link add needs a device name");
		if (kind.empty())
			fail(i_, "link add needs 'type veth|dummy|bridge|vlan'");
		if (t_.link(l.name))
			fail(1, "device " + l.name + " already exists");
		add_link(l);
	}

	void link_type(Link &l, const std::string &kind)
	{
		if (kind == "veth") {
			l.kind = "veth";
			if (peek() == "peer") {
				i_++;
				if (peek() == "name")
					i_++;
				take("a peer name");
				while (i_ < w_.size())
					i_++; // the peer lives in another namespace (a host)
			}
		} else if (kind == "dummy" || kind == "bridge") {
			l.kind = kind;
		} else if (kind == "vlan") {
			l.kind = "vlan";
			if (l.parent.empty())
				fail(i_ - 1, "a vlan needs 'link PARENT'");
			while (i_ < w_.size()) {
				std::string k = take("id or protocol");
				if (k == "id") {
					l.vlan_id = static_cast<uint16_t>(number("a VLAN id", 0, 4094));
				} else if (k == "protocol") {
					std::string p = take("802.1Q or 802.1ad");
					if (p == "802.1Q" || p == "802.1q")
						l.vlan_proto = 0x8100;
					else if (p == "802.1ad")
						l.vlan_proto = 0x88a8;
					else
						fail(i_ - 1, "expected 802.1Q or 802.1ad, got '" + p + "'");
				} else {
					fail(i_ - 1, "unexpected '" + k + "' in vlan options");
				}
			}
		} else {
			fail(i_ - 1, "unsupported link type '" + kind + "' (supported: veth, dummy, bridge, vlan)");
		}
	}

	void add_link(Link &l)
	{
		int ifindex = 2; // 1 is lo
		for (const Link &x : t_.links)
			ifindex = std::max(ifindex, x.ifindex + 1);
		l.ifindex = ifindex;
		MacAddr zero{};
		if (l.mac == zero) {
			const Link *p = l.kind == "vlan" ? t_.link(l.parent) : nullptr;
			l.mac = p ? p->mac : default_mac(ifindex);
		}
		if (l.kind == "vlan")
			l.mtu = std::min(l.mtu, t_.link(l.parent)->mtu);
		t_.links.push_back(l);
	}

	void link_set()
	{
		Link &l = existing("a device name");
		if (peek() == "dev") // `ip link set dev X up`
			i_++;
		while (i_ < w_.size()) {
			std::string key = take("an attribute");
			if (key == "up") {
				l.up = true;
			} else if (key == "down") {
				l.up = false;
			} else if (key == "mtu") {
				l.mtu = number("an MTU", 68, 65535);
			} else if (key == "master") {
				Link &br = existing("a bridge");
				if (br.kind != "bridge")
					fail(i_ - 1, br.name + " is not a bridge");
				l.master = br.name;
			} else if (key == "nomaster") {
				l.master.clear();
			} else if (key == "address") {
				size_t at = i_;
				if (!parse_mac(take("a MAC address"), l.mac))
					fail(at, "bad MAC address");
			} else if (key == "netns") {
				take("a namespace");
			} else {
				fail(i_ - 1, "unsupported link attribute '" + key + "'");
			}
		}
	}

	void link_del()
	{
		Link &l = existing("a device name");
		std::string name = l.name;
		for (auto it = t_.links.begin(); it != t_.links.end(); ++it) {
			if (it->name == name) {
				t_.links.erase(it);
				break;
			}
		}
	}

	// ---------------------------------------------------------------- addr

	void addr_cmd()
	{
		std::string verb = take("add");
		if (verb != "add")
			fail(i_ - 1, "expected add after 'addr', got '" + verb + "'");
		Address a;
		size_t at = i_;
		prefix("an address/prefix", a.addr, a.plen);
		if (a.addr.ipver == 0)
			fail(at, "expected an address, got 'default'");
		if (take("dev") != "dev")
			fail(i_ - 1, "expected 'dev'");
		a.dev = existing("a device name").name;
		t_.addrs.push_back(a);
	}

	// ---------------------------------------------------------------- route

	void route_cmd()
	{
		std::string verb = take("add");
		if (verb != "add" && verb != "replace")
			fail(i_ - 1, "expected add after 'route', got '" + verb + "'");
		Route r;
		r.loc = {file_, line_, w_[i_ < w_.size() ? i_ : 0].col};
		prefix("a destination", r.dst, r.plen);
		while (i_ < w_.size()) {
			std::string key = take("via or dev");
			if (key == "via") {
				size_t at = i_;
				if (!parse_ip(take("a gateway"), r.via))
					fail(at, "bad gateway address");
				r.has_via = true;
			} else if (key == "dev") {
				r.dev = existing("a device name").name;
			} else if (key == "metric" || key == "proto" || key == "scope" || key == "table") {
				take("a value");
			} else {
				fail(i_ - 1, "unexpected '" + key + "' in route");
			}
		}
		if (!r.has_via && r.dev.empty())
			fail(i_, "a route needs 'via GATEWAY' or 'dev DEVICE'");
		if (r.dst.ipver == 0)
			r.dst.ipver = r.has_via ? r.via.ipver : 4;
		t_.routes.push_back(r);
	}

	// ---------------------------------------------------------------- neigh

	void neigh_cmd()
	{
		std::string verb = take("add");
		if (verb != "add" && verb != "replace")
			fail(i_ - 1, "expected add after 'neigh', got '" + verb + "'");
		Neighbor n;
		size_t at = i_;
		if (!parse_ip(take("an address"), n.addr))
			fail(at, "bad neighbour address");
		bool have_mac = false;
		while (i_ < w_.size()) {
			std::string key = take("lladdr or dev");
			if (key == "lladdr") {
				size_t m = i_;
				if (!parse_mac(take("a MAC address"), n.mac))
					fail(m, "bad MAC address");
				have_mac = true;
			} else if (key == "dev") {
				n.dev = existing("a device name").name;
			} else if (key == "nud") {
				take("a state");
			} else {
				fail(i_ - 1, "unexpected '" + key + "' in neigh");
			}
		}
		if (!have_mac || n.dev.empty())
			fail(i_, "a neighbour needs 'lladdr MAC dev DEVICE'");
		t_.neighs.push_back(n);
	}

	Topology &t_;
	std::string file_;
	int line_;
	std::vector<Word> w_;
	size_t i_ = 0;
};

std::vector<Word> split_words(const std::string &line)
{
	std::vector<Word> words;
	size_t i = 0;
	while (i < line.size()) {
		if (line[i] == '#')
			break;
		if (std::isspace(static_cast<unsigned char>(line[i]))) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j])))
			j++;
		words.push_back({line.substr(i, j - i), static_cast<int>(i) + 1});
		i = j;
	}
	return words;
}

} // namespace

Parsed<Topology> parse_topology(const std::string &text, const std::string &file)
{
	Topology t;
	std::istringstream in(text);
	std::string line;
	int n = 0;
	try {
		while (std::getline(in, line)) {
			n++;
			std::vector<Word> words = split_words(line);
			if (words.empty())
				continue;
			LineParser(t, file, n, words).run();
		}
	} catch (const TopoError &e) {
		return e.diag;
	}
	return t;
}

Parsed<Topology> load_topology(const std::string &path)
{
	std::ifstream in(path);
	if (!in)
		return Diag{{path, 0, 0}, "cannot open the topology file"};
	std::stringstream ss;
	ss << in.rdbuf();
	return parse_topology(ss.str(), path);
}

} // namespace flsim
