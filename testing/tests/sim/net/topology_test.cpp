// SPDX-License-Identifier: GPL-2.0
//
// Topology from iproute2 command lines (and its error paths), and --netns
// import from a real network namespace created here.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "sim/net/netns_import.h"
#include "sim/net/topology.h"

using namespace flsim;

namespace {

Topology ok(const std::string &text)
{
	auto r = parse_topology(text, "topo.ip");
	if (auto *d = std::get_if<Diag>(&r))
		FAIL(d->str());
	return std::get<Topology>(r);
}

std::string err(const std::string &text)
{
	auto r = parse_topology(text, "topo.ip");
	REQUIRE(std::holds_alternative<Diag>(r));
	return std::get<Diag>(r).str();
}

int sh(const std::string &cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

} // namespace

TEST_CASE("topology: the article's router from ip commands", "[sim][topology]")
{
	Topology t = ok(R"(# client -- eth0 [router] eth1 -- server
ip link add eth0 type veth peer name c0
ip link add eth1 type veth peer name s0
ip link set eth0 up
ip link set eth1 mtu 1400 up
ip addr add 10.0.1.1/24 dev eth0
ip addr add 10.0.2.1/24 dev eth1
ip -6 addr add 2001:db8:1::1/64 dev eth0
ip route add 192.168.0.0/16 via 10.0.2.2
ip route add default via 10.0.1.254 dev eth0
ip neigh add 10.0.1.2 lladdr 02:00:00:00:01:02 dev eth0
ip link add link eth0 name eth0.10 type vlan id 10
ip link add link eth1 name eth1.20 type vlan id 20 protocol 802.1ad
ip link add br0 type bridge
ip link add d0 type dummy
ip link set d0 master br0
)");
	REQUIRE(t.links.size() == 6);
	const Link *e1 = t.link("eth1");
	REQUIRE(e1);
	CHECK(e1->mtu == 1400);
	CHECK(e1->up);
	CHECK(e1->ifindex == 3);
	CHECK(t.link("eth0")->kind == "veth");
	const Link *v = t.link("eth0.10");
	CHECK(v->kind == "vlan");
	CHECK(v->vlan_id == 10);
	CHECK(v->mac == t.link("eth0")->mac); // a VLAN device shares its parent's MAC
	CHECK(t.lower(*v)->name == "eth0");
	CHECK(t.link("eth1.20")->vlan_proto == 0x88a8);
	CHECK(t.link("d0")->master == "br0");
	REQUIRE(t.addrs.size() == 3);
	CHECK(t.addrs[2].addr.ipver == 6);
	REQUIRE(t.routes.size() == 2);
	CHECK(t.routes[0].plen == 16);
	CHECK(t.routes[0].via.str() == "10.0.2.2");
	CHECK(t.routes[1].plen == 0);
	CHECK(t.routes[1].dev == "eth0");
	REQUIRE(t.neighs.size() == 1);
	CHECK(mac_str(t.neighs[0].mac) == "02:00:00:00:01:02");
}

TEST_CASE("topology: errors name file, line and column", "[sim][topology][errors]")
{
	CHECK(err("ip link add eth0 type ethernet") ==
	      "topo.ip:1:23: unsupported link type 'ethernet' (supported: veth, dummy, bridge, vlan)");
	CHECK(err("ip link set eth9 up") == "topo.ip:1:13: no such device: eth9");
	CHECK(err("ip link add d type dummy\nip link set d mtu 9") == "topo.ip:2:19: expected an MTU (68-65535), got '9'");
	CHECK(err("ip link add d type dummy\nip addr add 10.0.0.300/24 dev d") == "topo.ip:2:13: bad address '10.0.0.300'");
	CHECK(err("ip link add d type dummy\nip addr add 10.0.0.1/33 dev d") ==
	      "topo.ip:2:13: bad prefix length in '10.0.0.1/33'");
	CHECK(err("ip route add 10.0.0.0/8") == "topo.ip:1:24: a route needs 'via GATEWAY' or 'dev DEVICE'");
	CHECK(err("ip link add d type dummy\nip neigh add 10.0.0.9 lladdr 02:00:00:00:00:zz dev d") ==
	      "topo.ip:2:30: bad MAC address");
	CHECK(err("ip link add v type vlan id 5") == "topo.ip:1:20: a vlan needs 'link PARENT'");
	CHECK(err("ip link add d type dummy\nip link add link d name v type vlan id 5000") ==
	      "topo.ip:2:40: expected a VLAN id (0-4094), got '5000'");
	CHECK(err("ip tunnel add t0") == "topo.ip:1:4: expected link, addr, route or neigh, got 'tunnel'");
	CHECK(err("ip link add d type dummy\nip link add d type dummy") == "topo.ip:2:4: device d already exists");
	CHECK(err("ip link add d type dummy\nip link set d master d") == "topo.ip:2:22: d is not a bridge");
	auto missing = load_topology("/nonexistent/topo");
	REQUIRE(std::holds_alternative<Diag>(missing));
	CHECK(std::get<Diag>(missing).str() == "/nonexistent/topo:0:0: cannot open the topology file");
}

TEST_CASE("topology: --netns imports a live namespace through libnl", "[sim][netns]")
{
	std::string ns = "flowlane-test-" + std::to_string(getpid());
	REQUIRE(sh("ip netns add " + ns) == 0);
	struct Cleanup {
		std::string ns;
		~Cleanup() { sh("ip netns del " + ns); }
	} cleanup{ns};
	std::string ip = "ip -n " + ns + " ";
	REQUIRE(sh(ip + "link add eth0 type veth peer name eth1") == 0);
	REQUIRE(sh(ip + "link set eth0 address 02:aa:bb:cc:dd:01 mtu 1400 up") == 0);
	REQUIRE(sh(ip + "link set eth1 up") == 0);
	// A bridge with the veth's other end as its port (VLAN devices need the
	// 8021q module, which build machines may lack: the guest tests cover them).
	REQUIRE(sh(ip + "link add br0 type bridge") == 0);
	REQUIRE(sh(ip + "link set eth1 master br0") == 0);
	REQUIRE(sh(ip + "link set br0 up") == 0);
	REQUIRE(sh(ip + "addr add 10.9.0.1/24 dev eth0") == 0);
	REQUIRE(sh(ip + "addr add 10.9.42.1/24 dev br0") == 0);
	REQUIRE(sh(ip + "route add 172.16.0.0/12 via 10.9.0.254") == 0);
	REQUIRE(sh(ip + "neigh add 10.9.0.254 lladdr 02:00:00:00:fe:fe dev eth0") == 0);

	auto r = import_netns(ns);
	if (auto *d = std::get_if<Diag>(&r))
		FAIL(d->str());
	Topology t = std::get<Topology>(r);
	const Link *e0 = t.link("eth0");
	REQUIRE(e0);
	CHECK(e0->kind == "veth");
	CHECK(e0->mtu == 1400);
	CHECK(e0->up);
	CHECK(mac_str(e0->mac) == "02:aa:bb:cc:dd:01");
	const Link *br = t.link("br0");
	REQUIRE(br);
	CHECK(br->kind == "bridge");
	CHECK(t.link("eth1")->master == "br0");
	bool addr = false;
	for (const Address &a : t.addrs)
		addr |= a.dev == "br0" && a.addr.str() == "10.9.42.1" && a.plen == 24;
	CHECK(addr);
	bool route = false;
	for (const Route &rt : t.routes)
		route |= rt.plen == 12 && rt.dst.str() == "172.16.0.0" && rt.has_via && rt.via.str() == "10.9.0.254";
	CHECK(route);
	bool neigh = false;
	for (const Neighbor &n : t.neighs)
		neigh |= n.addr.str() == "10.9.0.254" && mac_str(n.mac) == "02:00:00:00:fe:fe" && n.dev == "eth0";
	CHECK(neigh);

	auto bad = import_netns("flowlane-no-such-ns");
	REQUIRE(std::holds_alternative<Diag>(bad));
	CHECK(std::get<Diag>(bad).msg.find("no such network namespace") != std::string::npos);
	// We are back in our own namespace: the test's interfaces are not here.
	CHECK(sh("ip addr show | grep -q 10.9.42.1") != 0);
}
