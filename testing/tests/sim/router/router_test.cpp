// SPDX-License-Identifier: GPL-2.0
//
// The simulated router end to end: the flowtables article's walkthrough on the
// default scenario, expiry on the virtual clock, output frames checked field by
// field (IPv4/IPv6 x NAT x VLAN, slow and fast), hardware offload through the
// mock NICs, and the error paths of scenarios.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "sim/net/frames.h"
#include "testing/fakes/rulesets.h"
#include "sim/run/default_scenario.h"
#include "sim/net/pcap_io.h"
#include "sim/router/router.h"
#include "sim/run/session.h"

using namespace flsim;

namespace {

template <typename T> T ok(Parsed<T> p)
{
	if (auto *d = std::get_if<Diag>(&p))
		FAIL(d->str());
	return std::get<T>(std::move(p));
}

std::unique_ptr<Router> make_router(const std::string &rs, const std::string &topo, RouterOptions o = {})
{
	return ok(Router::create(ok(parse_ruleset(rs, "test.nft")), ok(parse_topology(topo, "test.ip")), o));
}

std::vector<Conversation> convs(std::initializer_list<const char *> specs)
{
	std::vector<Conversation> v;
	for (const char *s : specs)
		v.push_back(ok(parse_conversation(s, "test")));
	return v;
}

// Trace lines of one conversation's packets (by a substring of the summary).
std::vector<const TraceLine *> lines_of(const Router &r, const std::string &what)
{
	std::vector<const TraceLine *> v;
	for (const TraceLine &tl : r.trace())
		if (tl.summary.find(what) != std::string::npos)
			v.push_back(&tl);
	return v;
}

bool contains(const std::string &hay, const std::string &needle) { return hay.find(needle) != std::string::npos; }

std::string line_with(const std::string &text, const std::string &needle)
{
	size_t at = text.find(needle);
	if (at == std::string::npos)
		return "";
	size_t b = text.rfind('\n', at), e = text.find('\n', at);
	return text.substr(b == std::string::npos ? 0 : b + 1, e - (b == std::string::npos ? 0 : b + 1));
}

} // namespace

TEST_CASE("sim: the article's walkthrough on the default scenario", "[sim][router][walkthrough]")
{
	const ScenarioText &sc = default_scenario();
	auto r = make_router(sc.ruleset, sc.topology);
	std::vector<Conversation> cv;
	for (const std::string &s : sc.conversations)
		cv.push_back(ok(parse_conversation(s, "default")));
	SessionOptions so;
	so.conversations = cv;
	so.idle_s = 35;
	Session session(*r);
	REQUIRE(session.run(so) == "");

	// TCP: the handshake goes slow; its last ACK offloads; data goes fast until FIN.
	auto tcp = lines_of(*r, "tcp 10.");
	REQUIRE(tcp.size() == 14);
	for (int i = 0; i < 3; i++)
		CHECK(tcp[i]->path == "slow");
	CHECK(tcp[0]->reason == "no-entry");
	REQUIRE(tcp[2]->notes.size() == 1);
	CHECK(tcp[2]->notes[0] == "flow add @f: offloaded");
	for (int i = 3; i < 11; i++) {
		CHECK(tcp[i]->path == "fast");
		CHECK(contains(tcp[i]->reason, "in f"));
	}
	CHECK(tcp[11]->path == "slow");
	CHECK(tcp[11]->reason == "tcp-fin-rst");
	CHECK(tcp[12]->path == "slow");
	CHECK(tcp[12]->reason == "teardown");
	// UDP: the first reply offloads, everything after it is fast.
	auto udp = lines_of(*r, "udp 10.");
	REQUIRE(udp.size() == 6);
	CHECK(udp[0]->path == "slow");
	CHECK(udp[1]->path == "slow");
	CHECK(udp[1]->notes.at(0) == "flow add @f: offloaded");
	for (int i = 2; i < 6; i++)
		CHECK(udp[i]->path == "fast");

	// The forward chain's counter (3) counts only the slow packets.
	const Rule &counter_rule = r->ruleset().tables.at(0).chains.at(0).rules.at(1);
	REQUIRE(counter_rule.stmts.at(0).kind == Stmt::Counter);
	uint64_t slow = 0;
	for (const TraceLine &tl : r->trace())
		slow += tl.path == "slow";
	CHECK(slow == 8);
	CHECK(counter_rule.stmts[0].packets == slow);

	// conntrack -L: [OFFLOAD] while offloaded; FIN hands TCP back; UDP expires.
	REQUIRE(session.snapshots().size() == 3);
	const std::string &data = session.snapshots()[0].conntrack;
	// As 6.1 prints an offloaded entry: no timeout, no TCP state.
	CHECK(contains(line_with(data, "tcp "), "tcp      6 src=10.0.1.2 "));
	CHECK_FALSE(contains(line_with(data, "tcp "), "ESTABLISHED"));
	CHECK(contains(line_with(data, "tcp "), "[OFFLOAD]"));
	CHECK(contains(line_with(data, "udp "), "[OFFLOAD]"));
	const std::string &closed = session.snapshots()[1].conntrack;
	CHECK_FALSE(contains(line_with(closed, "tcp "), "[OFFLOAD]"));
	CHECK(contains(line_with(closed, "udp "), "[OFFLOAD]"));
	const std::string &idle = session.snapshots()[2].conntrack;
	CHECK_FALSE(contains(idle, "[OFFLOAD]"));
	CHECK(contains(session.snapshots()[2].flowtables, "flows 0"));
	RouterStats st = r->stats();
	CHECK(st.teardowns["fin-rst"] == 1);
	CHECK(st.teardowns["timeout"] == 1);
	CHECK(st.offloaded == 2);
	// Every packet reached the other side, as the other side expected it.
	for (const ConversationResult &res : session.results()) {
		CHECK(res.problem == "");
		CHECK(res.delivered == res.sent);
		CHECK(res.bad_checksums == 0);
	}
}

TEST_CASE("sim: flows expire after the flowtable timeout on the virtual clock", "[sim][router][timeout]")
{
	const ScenarioText &sc = default_scenario();
	RouterOptions o;
	o.udp_timeout_s = 10;
	auto r = make_router(sc.ruleset, sc.topology, o);
	SessionOptions so;
	so.conversations = convs({"udp 10.0.1.2:5000 10.0.2.2:53 packets 2"});
	so.idle_s = 0;
	Session session(*r);
	REQUIRE(session.run(so) == "");
	CHECK(contains(r->conntrack_list(), "[OFFLOAD]"));
	for (int s = 0; s < 9; s++)
		r->advance_ms(1000);
	CHECK(contains(r->conntrack_list(), "[OFFLOAD]")); // 9 s idle: still there
	for (int s = 0; s < 3; s++)
		r->advance_ms(1000);
	CHECK_FALSE(contains(r->conntrack_list(), "[OFFLOAD]"));
	CHECK(r->stats().teardowns["timeout"] == 1);
	// Handed back with a relative conntrack timeout (UDP with a reply: 120 s).
	std::string line = line_with(r->conntrack_list(), "udp ");
	int left = std::atoi(line.c_str() + std::strlen("udp      17 "));
	CHECK(left > 110);
	CHECK(left <= 120);
	// The next packet goes slow again and offloads again.
	Session again(*r);
	so.conversations = convs({"udp 10.0.1.2:5000 10.0.2.2:53 packets 1"});
	REQUIRE(again.run(so) == "");
	auto udp = lines_of(*r, "udp 10.0.1.2:5000"); // the client's packets
	REQUIRE(udp.size() == 3);
	CHECK(udp[1]->path == "fast");
	CHECK(udp[2]->path == "slow");
	CHECK(udp[2]->notes.at(0) == "flow add @f: offloaded");
}

namespace {

struct Variant {
	int ipver;
	bool nat, vlan;
};

std::string topo_for(const Variant &v)
{
	std::string t = "ip link add eth0 type veth peer name c\nip link add eth1 type veth peer name s\n"
			"ip link set eth0 up\nip link set eth1 up\n";
	std::string cdev = "eth0";
	if (v.vlan) {
		t += "ip link add link eth0 name eth0.10 type vlan id 10\nip link set eth0.10 up\n";
		cdev = "eth0.10";
	}
	if (v.ipver == 4)
		t += "ip addr add 10.0.1.1/24 dev " + cdev + "\nip addr add 192.0.2.1/24 dev eth1\n";
	else
		t += "ip -6 addr add 2001:db8:1::1/64 dev " + cdev + "\nip -6 addr add 2001:db8:2::1/64 dev eth1\n";
	return t;
}

const char *kInetRuleset = R"(table inet filter {
	flowtable f {
		hook ingress priority 0; devices = { eth0, eth1 };
	}
	chain forward {
		type filter hook forward priority 0; policy accept;
		meta l4proto { tcp, udp } flow add @f
	}
}
)";

const char *kMasquerade = R"(table inet nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth1" masquerade
	}
}
)";

} // namespace

TEST_CASE("sim: output frames field by field (IPv4/IPv6 x NAT x VLAN, slow and fast)", "[sim][router][pcap]")
{
	Variant v = GENERATE(Variant{4, false, false}, Variant{4, true, false}, Variant{4, false, true},
			     Variant{4, true, true}, Variant{6, false, false}, Variant{6, true, false},
			     Variant{6, false, true}, Variant{6, true, true});
	CAPTURE(v.ipver, v.nat, v.vlan);
	auto r = make_router(std::string(kInetRuleset) + (v.nat ? kMasquerade : ""), topo_for(v));
	std::string client = v.ipver == 4 ? "10.0.1.2" : "2001:db8:1::2";
	std::string server = v.ipver == 4 ? "192.0.2.2" : "2001:db8:2::2";
	std::string router_out = v.ipver == 4 ? "192.0.2.1" : "2001:db8:2::1";
	auto br = [&](const std::string &a) { return v.ipver == 4 ? a : "[" + a + "]"; };
	SessionOptions so;
	so.conversations = convs({("tcp " + br(client) + ":40000 " + br(server) + ":80 packets 3").c_str(),
				  ("udp " + br(client) + ":5000 " + br(server) + ":53 packets 3").c_str()});
	so.idle_s = 0;
	char dir[] = "/tmp/flowlane-sim-XXXXXX";
	REQUIRE(mkdtemp(dir));
	so.outdir = dir;
	Session session(*r);
	REQUIRE(session.run(so) == "");
	for (const ConversationResult &res : session.results()) {
		CHECK(res.problem == "");
		CHECK(res.delivered == res.sent);
	}
	const Topology &topo = r->topology();
	IpAddr cl, sv;
	REQUIRE(parse_ip(client, cl));
	REQUIRE(parse_ip(server, sv));
	unsigned fast = 0;
	for (const TraceLine &tl : r->trace())
		fast += tl.path == "fast";
	CHECK(fast >= 8);

	// What the server sees on eth1, and what the client sees on eth0.
	for (const std::string dev : {"eth0", "eth1"}) {
		CAPTURE(dev);
		auto read = ok(read_pcap(std::string(dir) + "/" + dev + ".pcap"));
		const auto &sent = session.captures().at(dev);
		REQUIRE(read.size() == sent.size());
		for (size_t i = 0; i < read.size(); i++) {
			CAPTURE(i);
			REQUIRE(read[i].data == sent[i].frame);
			auto pv = parse_packet(read[i].data);
			REQUIRE(pv);
			CHECK(flfake::verify_checksums(read[i].data.data() + pv->l3, pv->l3len()) == "");
			CHECK(pv->ttl == 63);
			if (dev == "eth1") {
				CHECK(pv->vlans.empty());
				CHECK(pv->src_mac == topo.link("eth1")->mac);
				CHECK(pv->dst_mac == host_mac(sv));
				CHECK(pv->dst.str() == server);
				CHECK(pv->src.str() == (v.nat ? router_out : client));
			} else {
				REQUIRE(pv->vlans.size() == (v.vlan ? 1u : 0u));
				if (v.vlan)
					CHECK(pv->vlans[0].id == 10);
				CHECK(pv->src_mac == topo.link("eth0")->mac);
				CHECK(pv->dst_mac == host_mac(cl));
				CHECK(pv->src.str() == server);
				CHECK(pv->dst.str() == client);
			}
		}
	}
	std::system((std::string("rm -rf ") + dir).c_str());
}

TEST_CASE("sim: DNAT and SNAT with the selftest's rulesets, ports included", "[sim][router][nat]")
{
	// The selftest's forward chain: `ct mark set 1` runs before `flow add`
	// fails on the unconfirmed SYN, and the next rule accepts by the mark.
	auto r = make_router(std::string(flfake::kSelftestFilter) + flfake::kSelftestNat,
			     "ip link add veth0 type veth peer name c\nip link add veth1 type veth peer name s\n"
			     "ip link set veth0 up\nip link set veth1 up\n"
			     "ip addr add 10.0.1.1/24 dev veth0\nip addr add 10.0.2.1/24 dev veth1\n");
	SessionOptions so;
	so.conversations = convs({"tcp 10.0.1.99:33000 10.6.6.6:1666 packets 5 size 1000"});
	so.idle_s = 0;
	Session session(*r);
	REQUIRE(session.run(so) == "");
	const ConversationResult &res = session.results().at(0);
	CHECK(res.problem == "");
	CHECK(res.delivered == res.sent);
	unsigned fast = 0;
	for (const EmittedFrame &f : session.captures().at("veth1")) {
		auto pv = parse_packet(f.frame);
		REQUIRE(pv);
		CHECK(pv->dst.str() == "10.0.2.99");
		CHECK(pv->dport == 12345);
		CHECK(pv->src.str() == "10.0.2.1");
	}
	for (const EmittedFrame &f : session.captures().at("veth0")) {
		auto pv = parse_packet(f.frame);
		REQUIRE(pv);
		CHECK(pv->src.str() == "10.6.6.6");
		CHECK(pv->sport == 1666);
		CHECK(pv->dst.str() == "10.0.1.99");
		CHECK(pv->dport == 33000);
	}
	for (const TraceLine &tl : r->trace())
		fast += tl.path == "fast";
	CHECK(fast == 10);
	CHECK(contains(session.snapshots().at(0).conntrack, "[OFFLOAD]"));
}

TEST_CASE("sim: flags offload puts the flow on the mock NICs", "[sim][router][hw]")
{
	auto r = make_router(R"(table ip filter {
	flowtable f { hook ingress priority 0; devices = { eth0, eth1 }; flags offload; counter; }
	chain y { type filter hook forward priority 0; policy accept; ip protocol tcp flow add @f; }
}
)",
			     default_scenario().topology);
	SessionOptions so;
	so.conversations = convs({"tcp 10.0.1.2:40000 10.0.2.2:80 packets 4 close none"});
	so.idle_s = 0;
	Session session(*r);
	REQUIRE(session.run(so) == "");
	auto tcp = lines_of(*r, "tcp ");
	REQUIRE(tcp.size() == 11);
	CHECK(tcp[2]->path == "slow");
	for (size_t i = 3; i < tcp.size(); i++) {
		CHECK(tcp[i]->path == "hw");
		CHECK(contains(tcp[i]->reason, "rule on eth"));
	}
	CHECK(session.results().at(0).delivered == 11);
	const Snapshot &s = session.snapshots().at(0);
	CHECK(contains(s.conntrack, "[HW_OFFLOAD]"));
	CHECK(contains(s.tc, "tc -s filter show dev eth0 ingress"));
	CHECK(contains(s.tc, "tc -s filter show dev eth1 ingress"));
	CHECK(contains(s.tc, "flower"));
	CHECK(r->stats().hw_offloaded == 1);
	CHECK(r->stats().hw == 8);
}

TEST_CASE("sim: scenario error paths", "[sim][router][errors]")
{
	const ScenarioText &sc = default_scenario();
	SECTION("a flowtable device the topology does not have")
	{
		auto res = Router::create(ok(parse_ruleset(R"(table ip t {
	flowtable f { hook ingress priority 0; devices = { eth0, wan9 }; }
}
)",
								 "bad.nft")),
					  ok(parse_topology(sc.topology, "t.ip")));
		REQUIRE(std::holds_alternative<Diag>(res));
		CHECK(std::get<Diag>(res).str() == "bad.nft:2:2: flowtable f: device wan9 is not in the topology");
	}
	SECTION("conversations that do not parse")
	{
		for (const char *bad : {"icmp 10.0.0.1 10.0.0.2:1", "tcp 10.0.0.1", "tcp 10.0.0.1 10.0.0.2",
					"tcp 10.0.0.1 10.0.0.2:99999", "tcp 10.0.0.1 [2001:db8::1]:80",
					"udp 10.0.0.1 10.0.0.2:53 close fin", "tcp 10.0.0.1 10.0.0.2:80 packets",
					"tcp 10.0.0.1 10.0.0.2:80 size 99999", "tcp 1.2.3 10.0.0.2:80"}) {
			CAPTURE(bad);
			auto c = parse_conversation(bad, "-c #1");
			REQUIRE(std::holds_alternative<Diag>(c));
			CHECK(contains(std::get<Diag>(c).str(), "-c #1:1:1: "));
		}
	}
	SECTION("traffic the session cannot take")
	{
		auto r = make_router(sc.ruleset, sc.topology);
		Session s(*r);
		SessionOptions so;
		CHECK(s.run(so) == "no traffic: give -i DEV=PCAP or -c CONVERSATION");
		so.pcaps = {{"eth7", "/nonexistent.pcap"}};
		CHECK(contains(s.run(so), "no device eth7"));
		so.pcaps = {{"eth0", "/nonexistent.pcap"}};
		CHECK(contains(s.run(so), "/nonexistent.pcap"));
		so.pcaps.clear();
		so.conversations = convs({"tcp 198.51.100.1:1000 10.0.2.2:80"});
		CHECK(contains(s.run(so), "no route to the client"));
	}
	SECTION("a conversation the ruleset drops stops with the reason")
	{
		auto r = make_router(R"(table ip filter {
	chain y { type filter hook forward priority 0; policy drop; }
}
)",
				     sc.topology);
		Session s(*r);
		SessionOptions so;
		so.conversations = convs({"tcp 10.0.1.2:1000 10.0.2.2:80"});
		so.idle_s = 0;
		REQUIRE(s.run(so) == "");
		CHECK(s.results().at(0).sent == 1);
		CHECK(s.results().at(0).problem == "packet 1 (client) was not forwarded: drop (forward: filter/y policy drop)");
	}
}

TEST_CASE("sim: pcap replay through the router", "[sim][router][replay]")
{
	// Record a run's input frames, then replay them as captures into a fresh router.
	const ScenarioText &sc = default_scenario();
	char dir[] = "/tmp/flowlane-replay-XXXXXX";
	REQUIRE(mkdtemp(dir));
	std::string in = std::string(dir) + "/in.pcap";
	{
		PcapWriter w;
		REQUIRE(w.open(in) == "");
		flfake::FrameSpec f;
		f.dst = ok(Router::create(ok(parse_ruleset(sc.ruleset, "r")), ok(parse_topology(sc.topology, "t"))))
				->topology()
				.link("eth0")
				->mac;
		f.proto = 17;
		f.sport = 7000;
		f.dport = 7001;
		for (int i = 0; i < 5; i++)
			w.write(1000000 + i * 500000, flfake::build_frame(f));
	}
	auto r = make_router(sc.ruleset, sc.topology);
	Session s(*r);
	SessionOptions so;
	so.pcaps = {{"eth0", in}};
	so.idle_s = 0;
	REQUIRE(s.run(so) == "");
	CHECK(r->trace().size() == 5);
	CHECK(r->trace().back().t_ms == 2000);
	CHECK(s.captures().at("eth1").size() == 5);
	// One direction only: conntrack never confirms a reply, the flow is
	// offloaded from the second packet on (UDP needs no reply).
	CHECK(r->trace()[0].path == "slow");
	CHECK(r->trace()[2].path == "fast");
	std::system((std::string("rm -rf ") + dir).c_str());
}
